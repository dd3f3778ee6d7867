import Foundation
import KoppelingCore
import Testing

@testable import KoppelingDaemon
@testable import KoppelingStorage

/// The timer service's own loop (`DailyTimer.tick`) against a real
/// database, with a manual clock: days, DST, downtime and clock jumps.
@Suite("Daily timer")
struct DailyTimerTests {
    struct Harness {
        let t: TestRegister
        let timer: DailyTimer
        let executor: DatabaseExecutor

        init(zone: String = "Europe/Amsterdam", runAt: String = "00:05", start: Date) throws {
            t = try TestRegister(zone: zone, runAt: runAt, start: start)
            executor = DatabaseExecutor(app: t.app)
            timer = DailyTimer(executor: executor, clock: t.clock, logger: .init(label: "test"), afterRun: {})
        }

        /// Checks and sleeps as the service does until `end` (the database
        /// part of each tick, without the hop to the database thread).
        func run(until end: Date) async {
            while t.clock.now() < end {
                let wait = (try? DailyTimer.check(t.app).wait) ?? .infinity
                #expect(wait <= DailyTimer.maxSleepSeconds)
                t.clock.advance(seconds: wait)
            }
        }

        func scheduledRuns() throws -> [(day: String, started: String)] {
            try t.app.register.db.query(
                "SELECT local_day, started_at FROM timer_run WHERE kind = 'scheduled' ORDER BY id"
            ) {
                ($0.text(0), $0.text(1))
            }
        }
    }

    /// Every local day between the first and last run has exactly one
    /// scheduled run, at or after its run instant and within a minute.
    func expectOneRunPerDay(_ h: Harness, days: Int) throws {
        let runs = try h.scheduledRuns()
        let daysRun = runs.map(\.day)
        #expect(Set(daysRun).count == daysRun.count, "a day ran twice")
        #expect(runs.count >= days)
        let schedule = h.t.app.config.schedule
        for (a, b) in zip(daysRun, daysRun.dropFirst()) {
            #expect(LocalDate(iso: b)!.dayNumber - LocalDate(iso: a)!.dayNumber == 1, "gap between \(a) and \(b)")
        }
        for run in runs.dropFirst() {
            let instant = schedule.runInstant(of: LocalDate(iso: run.day)!)
            let started = Instant.parse(run.started)!
            #expect(
                started >= instant.addingTimeInterval(-1) && started.timeIntervalSince(instant) <= 61,
                "run of \(run.day) at \(run.started), due \(Instant.rfc3339(instant))"
            )
        }
    }

    @Test func oneRunPerLocalDayOver400DaysInAmsterdam() async throws {
        let start = utc("2026-01-01T12:00:00Z")
        let h = try Harness(start: start)
        await h.run(until: start.addingTimeInterval(400 * 86400))
        try expectOneRunPerDay(h, days: 400)
    }

    @Test(arguments: ["00:00", "00:05"])
    func oneRunPerLocalDayWhereDSTChangesAtMidnight(runAt: String) async throws {
        // America/Santiago moves its clocks at midnight, in both directions.
        let start = utc("2026-01-01T12:00:00Z")
        let h = try Harness(zone: "America/Santiago", runAt: runAt, start: start)
        await h.run(until: start.addingTimeInterval(400 * 86400))
        try expectOneRunPerDay(h, days: 400)
    }

    @Test func downtimeIsMadeUpOnceAtStart() async throws {
        let h = try Harness(start: utc("2026-06-01T10:00:00Z"))
        _ = await h.timer.tick()
        #expect(try h.scheduledRuns().map(\.day) == ["2026-06-01"])
        // Three days down, then start again.
        h.t.clock.set(utc("2026-06-04T10:00:00Z"))
        _ = await h.timer.tick()
        _ = await h.timer.tick()
        #expect(try h.scheduledRuns().map(\.day) == ["2026-06-01", "2026-06-04"])
    }

    @Test func clockSetBackAfterTheRunDoesNotRunAgain() async throws {
        let h = try Harness(start: utc("2026-06-01T22:04:00Z"))  // 00:04 local, June 2
        _ = await h.timer.tick()  // catch-up for June 1
        await h.run(until: utc("2026-06-01T22:10:00Z"))
        #expect(try h.scheduledRuns().map(\.day) == ["2026-06-01", "2026-06-02"])
        h.t.clock.set(utc("2026-06-01T21:10:00Z"))  // back an hour: 23:10 on June 1
        await h.run(until: utc("2026-06-01T22:30:00Z"))
        #expect(try h.scheduledRuns().map(\.day) == ["2026-06-01", "2026-06-02"])
    }

    @Test func clockJumpForwardOverRunTimeRunsOnce() async throws {
        let h = try Harness(start: utc("2026-06-01T20:00:00Z"))
        _ = await h.timer.tick()
        h.t.clock.set(utc("2026-06-02T06:00:00Z"))  // jumps over 00:05 on June 2
        let wait = await h.timer.tick()
        #expect(wait <= 60)
        _ = await h.timer.tick()
        #expect(try h.scheduledRuns().map(\.day) == ["2026-06-01", "2026-06-02"])
    }

    @Test func nextRunIsShownInStatus() throws {
        let t = try TestRegister(start: utc("2026-11-29T10:00:00Z"))
        _ = try t.app.runScheduledIfDue()
        let status = try t.app.timerStatus()
        #expect(status.nextRun == "2026-11-29T23:05:00Z")
        #expect(status.nextRunLocal == "2026-11-30 00:05 (Europe/Amsterdam)")
        #expect(status.lastScheduledRun?.localDay == "2026-11-29")
    }
}
