import Foundation

@testable import KoppelingCore

/// The daemon's `Zone` as it was built on Foundation's `TimeZone` (ICU's
/// copy of the tz data): the slow twin the TZif reader's conversions are
/// checked against, where the two data sets agree.
struct FoundationZone: Sendable, CustomStringConvertible {
    let identifier: String
    private let timeZone: TimeZone

    init?(identifier: String) {
        guard let tz = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.timeZone = tz
    }

    var description: String { identifier }

    func offset(at t: Int) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))
    }

    func localDate(at date: Date) -> LocalDate {
        let t = Int(date.timeIntervalSince1970.rounded(.down))
        let local = t + offset(at: t)
        return LocalDate(dayNumber: local >= 0 ? local / 86400 : (local - 86399) / 86400)
    }

    /// The first instant at or after `time` on `day`, local time: a doubled
    /// local time (DST ends) gives its first occurrence; a local time that
    /// does not exist (DST starts, also at midnight) gives the moment the
    /// clocks jump past it.
    func firstInstant(of day: LocalDate, at time: LocalTime) -> Date {
        let target = day.dayNumber * 86400 + time.secondsIntoDay
        let offsets = Set([-172_800, -86_400, 0, 86_400, 172_800].map { offset(at: target + $0) })
        let valid = offsets.map { target - $0 }.filter { target - offset(at: $0) == $0 }
        if let first = valid.min() { return Date(timeIntervalSince1970: Double(first)) }
        // In a gap the local clock is monotone between these bounds: find
        // the first instant whose local time is at or past the target.
        var lo = target - (offsets.max() ?? 0)
        var hi = target - (offsets.min() ?? 0)
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if mid + offset(at: mid) >= target { hi = mid } else { lo = mid + 1 }
        }
        return Date(timeIntervalSince1970: Double(lo))
    }
}
