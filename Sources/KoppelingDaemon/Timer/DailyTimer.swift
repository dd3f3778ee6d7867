import Foundation
import KoppelingCore
import Logging

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
            let (run, next, now) = try await executor.run { app -> (TimerRunRecord?, Date, Date) in
                let run = try app.runScheduledIfDue()
                let now = app.clock.now()
                return (run, app.config.schedule.nextRun(after: now, lastRunDay: try app.register.lastScheduledRunDay()), now)
            }
            if let run {
                logger.info("daily ECKiD run done", metadata: [
                    "day": "\(run.localDay)", "enabled": "\(run.enabled)", "stopped": "\(run.stopped)",
                ])
                await afterRun()
            }
            return min(DailyTimer.maxSleepSeconds, max(0.05, next.timeIntervalSince(now)))
        } catch {
            logger.error("daily ECKiD run failed; retrying within a minute", metadata: ["error": "\(error)"])
            return DailyTimer.maxSleepSeconds
        }
    }
}
