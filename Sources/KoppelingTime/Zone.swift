import Foundation
import KoppelingCore

/// The daemon's IANA time zone, and the two conversions everything needs:
/// instant → local day, and (local day, time of day) → instant.
public struct Zone: Sendable, CustomStringConvertible {
    public let identifier: String
    private let timeZone: TimeZone

    public init?(identifier: String) {
        guard let tz = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.timeZone = tz
    }

    public var description: String { identifier }

    public func offset(at t: Int) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))
    }

    public func localDate(at date: Date) -> LocalDate {
        let t = Int(date.timeIntervalSince1970.rounded(.down))
        let local = t + offset(at: t)
        return LocalDate(dayNumber: local >= 0 ? local / 86400 : (local - 86399) / 86400)
    }

    /// The first instant at or after `time` on `day`, local time: a doubled
    /// local time (DST ends) gives its first occurrence; a local time that
    /// does not exist (DST starts, also at midnight) gives the moment the
    /// clocks jump past it.
    public func firstInstant(of day: LocalDate, at time: LocalTime) -> Date {
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
