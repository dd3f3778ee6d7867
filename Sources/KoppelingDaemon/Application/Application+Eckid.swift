import KoppelingCore
import KoppelingProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

extension Application {
    /// Step 6: the authorisation key for the school's ECKiD import.
    func setEckidKey(_ p: SetKeyParams, caller: Caller) throws -> SetKeyResult {
        let b = try brin6(p.brin6)
        let outcome = try register.setEckidKey(school: b, key: p.key, today: today, by: caller, now: nowStamp)
        let warnings = outcome.standardKoppelingActive ? [] : [EckidRules.missingStandardKoppelingWarning]
        return SetKeyResult(
            state: outcome.record.state,
            activeFrom: outcome.record.activeFrom,
            changed: outcome.changed,
            warnings: warnings,
            import: outcome.record
        )
    }

    func eckidStatus(_ p: EckidStatusParams) throws -> EckidStatusResult {
        let school = try p.brin6.map { try brin6($0) }
        if let school { _ = try register.requireSchool(school) }
        return EckidStatusResult(imports: try register.eckidImports(school: school))
    }

    func disableEckid(_ p: Brin6Params, caller: Caller) throws -> EckidDisableResult {
        EckidDisableResult(
            import: try register.disableEckidImport(school: try brin6(p.brin6), by: caller, now: nowStamp)
        )
    }

    func timerStatus() throws -> TimerStatusResult {
        let schedule = config.schedule
        let now = clock.now()
        let next = schedule.nextRun(after: now, lastRunDay: try register.lastScheduledRunDay())
        return TimerStatusResult(
            timeZone: zone.identifier,
            runAt: schedule.runAt.description,
            lastRun: try register.lastTimerRun(),
            lastScheduledRun: try register.lastTimerRun(kind: .scheduled),
            nextRun: Instant.rfc3339(next),
            nextRunLocal: localDescription(of: next)
        )
    }

    /// `timer.run`: the same enabling pass now, recorded as manual. It never
    /// takes the place of the day's scheduled run.
    func runTimerNow() throws -> TimerRunResult {
        let started = nowStamp
        guard
            let run = try register.runEnablingPass(
                kind: .manual,
                today: today,
                startedAt: started,
                now: { self.nowStamp }
            )
        else {
            throw KoppelingError.unavailable(.internalError, message: "De handmatige run is niet uitgevoerd.")
        }
        return TimerRunResult(run: run)
    }

    /// The scheduled pass for the day that is due, if it has not run yet.
    /// Called by the daily timer on the database thread.
    func runScheduledIfDue(lastRunDay: LocalDate?? = nil) throws -> TimerRunRecord? {
        let now = clock.now()
        let last = try lastRunDay ?? register.lastScheduledRunDay()
        guard let day = config.schedule.isDue(at: now, lastRunDay: last) else { return nil }
        return try register.write {
            try register.runEnablingPass(
                kind: .scheduled,
                today: day,
                startedAt: Instant.rfc3339(now),
                now: { self.nowStamp }
            )
        }
    }

    /// "2026-11-30 00:05 (Europe/Amsterdam)".
    func localDescription(of date: Date) -> String {
        let t = Int(date.timeIntervalSince1970)
        let local = t + zone.offset(at: t)
        let secs = ((local % 86400) + 86400) % 86400
        let time = LocalTime(hour: secs / 3600, minute: secs / 60 % 60)!
        return "\(zone.localDate(at: date)) \(time) (\(zone.identifier))"
    }
}
