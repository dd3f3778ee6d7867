import KoppelingCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's IANA time zone, and the two conversions everything needs:
/// instant → local day, and (local day, time of day) → instant. The rules
/// are the system's TZif file (`/usr/share/zoneinfo/<identifier>`), read
/// by the core's reader, so the daemon loads no ICU.
public struct Zone: Sendable, CustomStringConvertible {
    public let identifier: String
    public let rules: TimeZoneRules

    public init?(identifier: String, directory: String = SystemZones.zoneinfoDirectory) {
        guard let rules = try? TimeZoneRules.system(identifier: identifier, directory: directory) else { return nil }
        self.identifier = identifier
        self.rules = rules
    }

    public var description: String { identifier }

    public func offset(at t: Int) -> Int { rules.offset(at: Int64(t)) }

    public func localDate(at date: Date) -> LocalDate {
        rules.localDateTime(at: Int64(date.timeIntervalSince1970.rounded(.down))).date
    }

    /// The first instant at or after `time` on `day`, local time: a doubled
    /// local time (DST ends) gives its first occurrence; a local time that
    /// does not exist (DST starts, also at midnight) gives the moment the
    /// clocks jump past it.
    public func firstInstant(of day: LocalDate, at time: LocalTime) -> Date {
        Date(timeIntervalSince1970: Double(rules.firstInstant(of: day, at: time)))
    }
}
