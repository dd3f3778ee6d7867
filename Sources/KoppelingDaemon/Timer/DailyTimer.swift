import KoppelingCore
import KoppelingTime
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The daily ECKiD run inside the daemon (no cron). It wakes at least once
/// a minute and asks the schedule with the wall-clock time it reads, so a
/// clock jump is noticed within a minute and a missed day is made up once.
struct DailyTimer: Sendable {
    static let maxSleepSeconds = 60.0

    let executor: DatabaseExecutor
    let clock: any KoppelingClock
    let logger: Logger
    /// Called after each scheduled run (the daily backup hangs here).
    let afterRun: @Sendable () async -> Void

    func run() async {
        while !Task.isCancelled {
            let wait = await tick()
            do { try await clock.sleep(seconds: wait) } catch { return }
        }
    }

    /// One check: runs the due day's pass if it has not run, and returns
    /// how long to sleep before the next check.
    func tick() async -> Double {
        do {
            let (run, wait) = try await executor.run(DailyTimer.check)
            if let run {
                logger.info(
                    "daily ECKiD run done",
                    metadata: [
                        "day": "\(run.localDay)", "enabled": "\(run.enabled)", "stopped": "\(run.stopped)",
                    ]
                )
                await afterRun()
            }
            return wait
        } catch {
            logger.error("daily ECKiD run failed; retrying within a minute", metadata: ["error": "\(error)"])
            return DailyTimer.maxSleepSeconds
        }
    }

    /// The database part of a tick, on the database thread: the pass if
    /// due, and the sleep until the next check (never more than a minute).
    static func check(_ app: Application) throws -> (run: TimerRunRecord?, wait: Double) {
        // The pass is a change: none goes to a register file that is gone.
        if let file = app.health.lostFile { throw KoppelingError.storageGone(file) }
        if app.health.damage != nil { throw KoppelingError.storageDamaged }
        let last = try app.register.lastScheduledRunDay()
        let run = try app.runScheduledIfDue(lastRunDay: .some(last))
        let now = app.clock.now()
        let next = app.config.schedule.nextRun(
            after: now,
            lastRunDay: run.flatMap { LocalDate(iso: $0.localDay) } ?? last
        )
        return (run, min(maxSleepSeconds, max(0.05, next.timeIntervalSince(now))))
    }
}
