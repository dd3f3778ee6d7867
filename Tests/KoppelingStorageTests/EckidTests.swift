import Foundation
import KoppelingCore
import KoppelingStorage
import Testing

private let eckidCode = "21QW00Zx9Vq3Lm7Tp2Kd8Rw"
private let standardCode = "21QW00StandaardCode0001"

@Suite struct EckidKeyTests {
    @Test func refusedWithoutAnActiveEckidActivation() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            expectRefusal(.rules, [.koppelingNotActive]) { try register.setKey("21QW00", eckidCode) }
            // The standard koppeling alone is not enough.
            try register.activate("21QW00", "topdossier", code: standardCode)
            expectRefusal(.rules, [.koppelingNotActive]) { try register.setKey("21QW00", standardCode) }
            expectRefusal(.notFound, [.schoolNotFound]) { try register.setKey("21QW09", eckidCode) }
            #expect(try register.eckidImport("21QW00") == nil)
        }
    }

    @Test func wrongKeyIsRefused() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.activate("21QW00", "topdossier", code: standardCode)
            try register.activate("21QW00", "topdossier-eckid", code: eckidCode)
            // The key must equal the code exactly: not the other koppeling's
            // code, not another case, not with white space.
            for wrong in [standardCode, eckidCode.uppercased(), eckidCode + " ", String(eckidCode.dropLast()), ""] {
                expectRefusal(.rules, [.eckidKeyMismatch]) { try register.setKey("21QW00", wrong) }
            }
            #expect(try register.eckidImport("21QW00") == nil)
        }
    }

    @Test func rightKeyMakesTheImportPendingFromTomorrow() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.activate("21QW00", "topdossier-eckid", code: eckidCode)

            let first = try register.setKey("21QW00", eckidCode)
            #expect(first.changed)
            #expect(first.record.state == .pending)
            #expect(first.record.activeFrom == Fixture.tomorrow.description)
            #expect(first.record.keySetBy == Fixture.admin.user)
            #expect(first.record.activatedAt == nil && first.record.disabledAt == nil)
            #expect(try register.eckidImport("21QW00") == first.record)
            #expect(try register.counts().pendingImports == 1)

            // Entering the same key again, even a day later, changes nothing.
            let again = try register.setKey("21QW00", eckidCode, today: Fixture.tomorrow)
            #expect(!again.changed)
            #expect(again.record == first.record)
        }
    }

    @Test func warnsWhenTheStandardKoppelingIsNotActive() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00", "21QW01"])
            defer { register.close() }
            try register.activate("21QW00", "topdossier-eckid", code: eckidCode)
            #expect(try !register.setKey("21QW00", eckidCode).standardKoppelingActive)

            try register.activate("21QW01", "topdossier", code: "21QW01StandaardCode0001")
            try register.activate("21QW01", "topdossier-eckid", code: "21QW01Zx9Vq3Lm7Tp2Kd8Rw")
            #expect(try register.setKey("21QW01", "21QW01Zx9Vq3Lm7Tp2Kd8Rw").standardKoppelingActive)

            // An ended standard koppeling counts as not active.
            try register.deactivate("21QW01", "topdossier")
            #expect(try !register.setKey("21QW01", "21QW01Zx9Vq3Lm7Tp2Kd8Rw").standardKoppelingActive)
        }
    }

    @Test func notActiveBeforeTheActivationsStartDate() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00", "21QW01"])
            defer { register.close() }
            try register.activate("21QW00", "topdossier-eckid", code: eckidCode, startDate: "2026-03-20")
            #expect(try register.setKey("21QW00", eckidCode).record.activeFrom == "2026-03-20")

            // A start date of today or tomorrow still means tomorrow.
            try register.activate("21QW01", "topdossier-eckid", code: "21QW01Zx9Vq3Lm7Tp2Kd8Rw", startDate: "2026-03-11")
            #expect(try register.setKey("21QW01", "21QW01Zx9Vq3Lm7Tp2Kd8Rw").record.activeFrom == "2026-03-11")
        }
    }

    @Test func deactivationStopsAPendingImport() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.activate("21QW00", "topdossier-eckid", code: eckidCode)
            try register.setKey("21QW00", eckidCode)

            #expect(try register.deactivate("21QW00", "topdossier-eckid").stoppedImport)
            let stopped = try #require(try register.eckidImport("21QW00"))
            #expect(stopped.state == .disabled)
            #expect(stopped.disabledReason == "activation_ended")
            #expect(stopped.disabledAt == Fixture.now)

            // The timer does not bring it back.
            let run = try #require(try register.pass(.scheduled, day("2026-03-12")))
            #expect(run.enabled == 0)
            #expect(try register.eckidImport("21QW00")?.state == .disabled)
        }
    }

    @Test func deactivationStopsAnActiveImport() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.activate("21QW00", "topdossier-eckid", code: eckidCode)
            try register.setKey("21QW00", eckidCode)
            try register.pass(.scheduled, Fixture.tomorrow)
            #expect(try register.eckidImport("21QW00")?.state == .active)

            #expect(try register.deactivate("21QW00", "topdossier-eckid").stoppedImport)
            let stopped = try #require(try register.eckidImport("21QW00"))
            #expect(stopped.state == .disabled)
            #expect(stopped.disabledReason == "activation_ended")
            #expect(try register.counts().activeImports == 0)
            expectRefusal(.rules, [.koppelingNotActive]) { try register.setKey("21QW00", eckidCode) }
        }
    }

    @Test func newActivationsKeyReplacesTheOldOne() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.activate("21QW00", "topdossier-eckid", code: eckidCode)
            try register.setKey("21QW00", eckidCode)
            try register.deactivate("21QW00", "topdossier-eckid")

            let newCode = "21QW00NieuweCode0000002"
            try register.activate("21QW00", "topdossier-eckid", code: newCode)
            expectRefusal(.rules, [.eckidKeyMismatch]) { try register.setKey("21QW00", eckidCode) }
            let replaced = try register.setKey("21QW00", newCode, today: day("2026-03-15"))
            #expect(replaced.changed)
            #expect(replaced.record.state == .pending)
            #expect(replaced.record.activeFrom == "2026-03-16")
            #expect(replaced.record.disabledReason == nil && replaced.record.disabledAt == nil)
        }
    }

    @Test func administratorDisable() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            expectRefusal(.notFound, [.eckidImportNotFound]) {
                try register.disableEckidImport(school: try brin("21QW00"), by: Fixture.admin, now: Fixture.now)
            }
            try register.activate("21QW00", "topdossier-eckid", code: eckidCode)
            try register.setKey("21QW00", eckidCode)
            let disabled = try register.disableEckidImport(school: try brin("21QW00"), by: Fixture.admin, now: Fixture.now)
            #expect(disabled.state == .disabled && disabled.disabledReason == "disabled_by_administrator")
            expectRefusal(.conflict, [.eckidAlreadyDisabled]) {
                try register.disableEckidImport(school: try brin("21QW00"), by: Fixture.admin, now: Fixture.now)
            }
            try register.pass(.scheduled, day("2026-03-12"))
            #expect(try register.eckidImport("21QW00")?.state == .disabled)
        }
    }
}

@Suite struct TimerPassTests {
    /// 21QW00's import is due on 2026-03-11, 21QW01's on 2026-03-15.
    static func registerWithTwoPendingImports(_ dir: TemporaryDirectory) throws -> Register {
        let register = try dir.openRegister(schools: ["21QW00", "21QW01"])
        try register.activate("21QW00", "topdossier-eckid", code: eckidCode)
        try register.setKey("21QW00", eckidCode)
        try register.activate("21QW01", "topdossier-eckid", code: "21QW01Zx9Vq3Lm7Tp2Kd8Rw", startDate: "2026-03-15")
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

            let run = try #require(try register.runEnablingPass(kind: .scheduled, today: Fixture.tomorrow,
                                                                startedAt: "2026-03-10T23:05:00Z",
                                                                now: { "2026-03-10T23:05:01Z" }))
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
            try register.db.run("UPDATE activation SET deactivated_at = ? WHERE school_brin6 = '21QW00'", [.text(Fixture.now)])
            let run = try #require(try register.pass(.scheduled, Fixture.tomorrow))
            #expect(run.enabled == 0 && run.stopped == 1)
            #expect(run.stoppedDetail == "activation_ended: 21QW00")
            let stopped = try #require(try register.eckidImport("21QW00"))
            #expect(stopped.state == .disabled && stopped.disabledReason == "activation_ended")
        }
    }
}

@Suite struct AuditTests {
    @Test func newestFirstAndFiltered() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            let viewer = Caller(user: "lezer", uid: 2002, mayChange: false)
            try register.appendAudit(at: "2026-03-10T08:00:00Z", caller: Fixture.admin, method: "school.add",
                                     school: "21QW00", koppeling: nil, outcome: .ok, reasons: [], detail: "")
            try register.appendAudit(at: "2026-03-10T09:00:00Z", caller: Fixture.admin, method: "koppeling.activate",
                                     school: "21QW00", koppeling: "topdossier-eckid", outcome: .refused,
                                     reasons: [.verificationCodeLength, .verificationCodePrefix], detail: "21QW00… (12 tekens)")
            try register.appendAudit(at: "2026-03-10T10:00:00Z", caller: viewer, method: "school.remove",
                                     school: "21QW01", koppeling: nil, outcome: .refused, reasons: [.permissionDenied], detail: "")
            try register.appendAudit(at: "2026-03-10T11:00:00Z", caller: Fixture.admin, method: "timer.run",
                                     school: nil, koppeling: nil, outcome: .ok, reasons: [], detail: "enabled 0")

            let all = try register.audit(school: nil, since: nil, limit: 100)
            #expect(all.map(\.method) == ["timer.run", "school.remove", "koppeling.activate", "school.add"])
            #expect(all.map(\.id) == all.map(\.id).sorted(by: >))

            let refused = all[2]
            #expect(refused.at == "2026-03-10T09:00:00Z")
            #expect(refused.user == Fixture.admin.user && refused.uid == Fixture.admin.uid)
            #expect(refused.school == "21QW00" && refused.koppeling == "topdossier-eckid")
            #expect(refused.outcome == .refused)
            #expect(refused.reasons == ["verification_code_length", "verification_code_prefix"])
            #expect(refused.detail == "21QW00… (12 tekens)")
            #expect(all[0].school == nil && all[0].reasons == [])
            #expect(all[1].user == "lezer" && all[1].uid == 2002)

            #expect(try register.audit(school: "21QW00", since: nil, limit: 100).map(\.method) == ["koppeling.activate", "school.add"])
            #expect(try register.audit(school: nil, since: "2026-03-10T09:00:00Z", limit: 100).map(\.method)
                == ["timer.run", "school.remove", "koppeling.activate"])
            #expect(try register.audit(school: "21QW00", since: "2026-03-10T08:30:00Z", limit: 100).map(\.method)
                == ["koppeling.activate"])
            #expect(try register.audit(school: nil, since: nil, limit: 2).map(\.method) == ["timer.run", "school.remove"])
            #expect(try register.audit(school: "99ZZ99", since: nil, limit: 100) == [])
        }
    }

    @Test func auditOutlivesReopening() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            try register.appendAudit(at: Fixture.now, caller: Fixture.admin, method: "school.add", school: "21QW00",
                                     koppeling: nil, outcome: .ok, reasons: [], detail: "")
            register.close()
            let reopened = try Register.open(path: dir.databasePath)
            defer { reopened.close() }
            #expect(try reopened.audit(school: "21QW00", since: nil, limit: 10).count == 1)
        }
    }
}
