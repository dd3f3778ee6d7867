import Foundation
import KoppelingTime

@testable import KoppelingCore

/// Shorthands for literals the tests are sure of; a typo should crash loudly
/// rather than turn into a silently different test.
func day(_ iso: String) -> LocalDate {
    guard let d = LocalDate(iso: iso) else { fatalError("bad test date \(iso)") }
    return d
}

func time(_ text: String) -> LocalTime {
    guard let t = LocalTime(text) else { fatalError("bad test time \(text)") }
    return t
}

func zone(_ identifier: String) -> Zone {
    guard let z = Zone(identifier: identifier) else { fatalError("unknown test zone \(identifier)") }
    return z
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` with Foundation's own formatter, so the
/// expected instants do not depend on the code under test.
func utc(_ text: String) -> Date {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    guard let d = f.date(from: text) else { fatalError("bad test instant \(text)") }
    return d
}

func brin(_ raw: String) -> Brin6 {
    guard case .success(let b) = Brin6.parse(raw) else { fatalError("bad test BRIN6 \(raw)") }
    return b
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }

    var successValue: Success? {
        if case .success(let s) = self { return s }
        return nil
    }
}

/// Reads the local calendar date and time of day through Foundation's
/// `Calendar` rather than through `Zone`: an independent oracle for the
/// scheduling tests.
struct WallClock {
    private let calendar: Calendar

    init(_ identifier: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: identifier)!
        self.calendar = calendar
    }

    func read(_ date: Date) -> (day: LocalDate, seconds: Int) {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return (LocalDate(year: c.year!, month: c.month!, day: c.day!)!, c.hour! * 3600 + c.minute! * 60 + c.second!)
    }
}
