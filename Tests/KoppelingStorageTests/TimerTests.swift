import Foundation
import KoppelingCore
import Testing

@testable import KoppelingStorage

private let eckidCode = "21QW00Zx9Vq3Lm7Tp2Kd8Rw"

@Suite struct TimerPassTests {
    /// 21QW00's import is due on 2026-03-11, 21QW01's on 2026-03-15.
    static func registerWithTwoPendingImports(_ dir: TemporaryDirectory) throws -> Register {
        let register = try dir.openRegister(schools: ["21QW00", "21QW01"])
        try register.write { try register.activate("21QW00", "topdossier-eckid", code: eckidCode) }
        try register.setKey("21QW00", eckidCode)
        try register.write {
            try register.activate(
                "21QW01",
                "topdossier-eckid",
                code: "21QW01Zx9Vq3Lm7Tp2Kd8Rw",
                startDate: "2026-03-15"
            )
        }
        try register.setKey("21QW01", "21QW01Zx9Vq3Lm7Tp2Kd8Rw")
        return register
    }

    @Test func enablesOnlyImportsWhoseDayHasCome() throws {
        try withTemporaryDirectory { dir in
            let register = try TimerPassTests.registerWithTwoPendingImports(dir)
            defer { register.close() }

            // Nothing is due on the day the keys were entered.
            #expect(try register.pass(.scheduled, Fixture.today)?.enabled == 0)
            #expect(try register.eckidImport("21QW00")?.state == .pending)

            let run = try #require(
                try register.write {
                    try register.runEnablingPass(
                        kind: .scheduled,
                        today: Fixture.tomorrow,
                        startedAt: "2026-03-10T23:05:00Z",
                        now: { "2026-03-10T23:05:01Z" }
                    )
                }
            )
            #expect(run.kind == .scheduled && run.localDay == "2026-03-11")
            #expect(run.enabled == 1 && run.stopped == 0)
            #expect(run.startedAt == "2026-03-10T23:05:00Z" && run.finishedAt == "2026-03-10T23:05:01Z")
            let enabled = try #require(try register.eckidImport("21QW00"))
            #expect(enabled.state == .active && enabled.activatedAt == "2026-03-10T23:05:01Z")
            #expect(try register.eckidImport("21QW01")?.state == .pending)
            #expect(try register.lastTimerRun() == run)

            // A run missed for days enables what became due meanwhile.
            #expect(try register.pass(.scheduled, day("2026-03-20"))?.enabled == 1)
            #expect(try register.eckidImport("21QW01")?.state == .active)
        }
    }

    @Test func secondScheduledRunForTheSameDayDoesNothing() throws {
        try withTemporaryDirectory { dir in
            let register = try TimerPassTests.registerWithTwoPendingImports(dir)
            defer { register.close() }
            let first = try #require(try register.pass(.scheduled, Fixture.tomorrow))
            let importsAfterFirst = try register.eckidImports(school: nil)
            let runsAfterFirst = try register.count("timer_run")

            // Even with 21QW01 made due, the day that already ran is not run again.
            try register.db.run("UPDATE eckid_import SET active_from = '2026-03-11' WHERE school_brin6 = '21QW01'")
            #expect(try register.pass(.scheduled, Fixture.tomorrow) == nil)
            #expect(try register.eckidImport("21QW01")?.state == .pending)
            #expect(try register.eckidImport("21QW00") == importsAfterFirst[0])
            #expect(try register.count("timer_run") == runsAfterFirst)
            #expect(try register.lastTimerRun(kind: .scheduled) == first)
            #expect(!register.db.isInTransaction)
        }
    }

    @Test func clockSetBackNeverRunsAnEarlierDayAgain() throws {
        try withTemporaryDirectory { dir in
            let register = try TimerPassTests.registerWithTwoPendingImports(dir)
            defer { register.close() }
            try register.pass(.scheduled, day("2026-03-12"))
            #expect(try register.pass(.scheduled, Fixture.tomorrow) == nil)
            #expect(try register.lastScheduledRunDay() == day("2026-03-12"))
        }
    }

    @Test func manualRunIsNotTheScheduledOne() throws {
        try withTemporaryDirectory { dir in
            let register = try TimerPassTests.registerWithTwoPendingImports(dir)
            defer { register.close() }
            #expect(try register.lastScheduledRunDay() == nil)

            let manual = try #require(try register.pass(.manual, Fixture.tomorrow))
            #expect(manual.kind == .manual && manual.enabled == 1)
            #expect(try register.eckidImport("21QW00")?.state == .active)
            #expect(try register.lastScheduledRunDay() == nil)
            #expect(try register.lastTimerRun(kind: .scheduled) == nil)

            // Running it by hand again changes nothing.
            let importsBefore = try register.eckidImports(school: nil)
            #expect(try register.pass(.manual, Fixture.tomorrow)?.enabled == 0)
            #expect(try register.eckidImports(school: nil) == importsBefore)

            let scheduled = try #require(try register.pass(.scheduled, Fixture.tomorrow))
            #expect(scheduled.kind == .scheduled && scheduled.enabled == 0)
            #expect(try register.lastScheduledRunDay() == Fixture.tomorrow)

            // A manual run after the scheduled one neither fails nor lets a
            // second scheduled run through.
            #expect(try register.pass(.manual, Fixture.tomorrow) != nil)
            #expect(try register.pass(.scheduled, Fixture.tomorrow) == nil)
            #expect(try register.count("timer_run") == 4)
            #expect(try register.lastTimerRun()?.kind == .manual)
        }
    }

    @Test func lastScheduledRunDaySurvivesReopening() throws {
        try withTemporaryDirectory { dir in
            let register = try TimerPassTests.registerWithTwoPendingImports(dir)
            try register.pass(.scheduled, Fixture.tomorrow)
            register.close()
            let reopened = try Register.open(path: dir.databasePath)
            defer { reopened.close() }
            #expect(try reopened.lastScheduledRunDay() == Fixture.tomorrow)
            #expect(try reopened.pass(.scheduled, Fixture.tomorrow) == nil)
        }
    }

    @Test func importWhoseActivationEndedBehindItsBackIsStopped() throws {
        try withTemporaryDirectory { dir in
            let register = try TimerPassTests.registerWithTwoPendingImports(dir)
            defer { register.close() }
            // Only a pass can repair an activation ended without its import
            // (e.g. by a database restored by hand).
            try register.db.run(
                "UPDATE activation SET deactivated_at = ? WHERE school_brin6 = '21QW00'",
                [.text(Fixture.now)]
            )
            let run = try #require(try register.pass(.scheduled, Fixture.tomorrow))
            #expect(run.enabled == 0 && run.stopped == 1)
            #expect(run.stoppedDetail == "activation_ended: 21QW00")
            let stopped = try #require(try register.eckidImport("21QW00"))
            #expect(stopped.state == .disabled && stopped.disabledReason == "activation_ended")
        }
    }
}
