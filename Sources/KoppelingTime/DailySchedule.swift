import KoppelingCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// When the daily ECKiD run is due. Pure: the scheduler asks it with the
/// wall-clock time it reads, so a clock jump forward or back is only a
/// different `now` here.
public struct DailySchedule: Sendable {
    public let zone: Zone
    public let runAt: LocalTime

    public init(zone: Zone, runAt: LocalTime) {
        self.zone = zone
        self.runAt = runAt
    }

    public func runInstant(of day: LocalDate) -> Date {
        zone.firstInstant(of: day, at: runAt)
    }

    /// The newest local day whose run instant is at or before `now`.
    public func dueDay(at now: Date) -> LocalDate {
        var day = zone.localDate(at: now).adding(days: 1)
        // A skipped calendar day (e.g. Samoa, 2011) can push a run instant
        // into the next day; look back far enough to be exact.
        while runInstant(of: day) > now { day = day.adding(days: -1) }
        return day
    }

    /// Whether a scheduled run is owed now, given the last day that ran.
    public func isDue(at now: Date, lastRunDay: LocalDate?) -> LocalDate? {
        let due = dueDay(at: now)
        if let last = lastRunDay, last >= due { return nil }
        return due
    }

    /// The instant of the next scheduled run after `now`.
    public func nextRun(after now: Date, lastRunDay: LocalDate?) -> Date {
        let due = dueDay(at: now)
        if lastRunDay.map({ $0 < due }) ?? true { return now }
        // After a clock was set back, the day already run is not run again.
        let next = max(due, lastRunDay ?? due).adding(days: 1)
        return runInstant(of: next)
    }
}
