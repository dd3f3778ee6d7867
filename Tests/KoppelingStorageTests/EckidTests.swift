import Foundation
import KoppelingCore
import Testing

@testable import KoppelingStorage

private let eckidCode = "21QW00Zx9Vq3Lm7Tp2Kd8Rw"
private let standardCode = "21QW00StandaardCode0001"

@Suite struct EckidKeyTests {
    @Test func refusedWithoutAnActiveEckidActivation() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            expectRefusal(.rules, [.koppelingNotActive]) { try register.setKey("21QW00", eckidCode) }
            // The standard koppeling alone is not enough.
            try register.write { try register.activate("21QW00", "topdossier", code: standardCode) }
            expectRefusal(.rules, [.koppelingNotActive]) { try register.setKey("21QW00", standardCode) }
            expectRefusal(.notFound, [.schoolNotFound]) { try register.setKey("21QW09", eckidCode) }
            #expect(try register.eckidImport("21QW00") == nil)
        }
    }

    @Test func wrongKeyIsRefused() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.write { try register.activate("21QW00", "topdossier", code: standardCode) }
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: eckidCode) }
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
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: eckidCode) }

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
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: eckidCode) }
            #expect(try !register.setKey("21QW00", eckidCode).standardKoppelingActive)

            try register.write { try register.activate("21QW01", "topdossier", code: "21QW01StandaardCode0001") }
            try register.write { try register.activate("21QW01", "topdossier-eckid", code: "21QW01Zx9Vq3Lm7Tp2Kd8Rw") }
            #expect(try register.setKey("21QW01", "21QW01Zx9Vq3Lm7Tp2Kd8Rw").standardKoppelingActive)

            // An ended standard koppeling counts as not active.
            try register.write { try register.deactivate("21QW01", "topdossier") }
            #expect(try !register.setKey("21QW01", "21QW01Zx9Vq3Lm7Tp2Kd8Rw").standardKoppelingActive)
        }
    }

    @Test func notActiveBeforeTheActivationsStartDate() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00", "21QW01"])
            defer { register.close() }
            try register.write {
                try register.activate("21QW00", "topdossier-eckid", code: eckidCode, startDate: "2026-03-20")
            }
            #expect(try register.setKey("21QW00", eckidCode).record.activeFrom == "2026-03-20")

            // A start date of today or tomorrow still means tomorrow.
            try register.write {
                try register.activate(
                    "21QW01",
                    "topdossier-eckid",
                    code: "21QW01Zx9Vq3Lm7Tp2Kd8Rw",
                    startDate: "2026-03-11"
                )
            }
            #expect(try register.setKey("21QW01", "21QW01Zx9Vq3Lm7Tp2Kd8Rw").record.activeFrom == "2026-03-11")
        }
    }

    @Test func deactivationStopsAPendingImport() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: eckidCode) }
            try register.setKey("21QW00", eckidCode)

            #expect(try register.write { try register.deactivate("21QW00", "topdossier-eckid") }.stoppedImport)
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
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: eckidCode) }
            try register.setKey("21QW00", eckidCode)
            try register.pass(.scheduled, Fixture.tomorrow)
            #expect(try register.eckidImport("21QW00")?.state == .active)

            #expect(try register.write { try register.deactivate("21QW00", "topdossier-eckid") }.stoppedImport)
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
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: eckidCode) }
            try register.setKey("21QW00", eckidCode)
            try register.write { try register.deactivate("21QW00", "topdossier-eckid") }

            let newCode = "21QW00NieuweCode0000002"
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: newCode) }
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
                try register.write {
                    try register.disableEckidImport(school: try brin("21QW00"), by: Fixture.admin, now: Fixture.now)
                }
            }
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: eckidCode) }
            try register.setKey("21QW00", eckidCode)
            let disabled = try register.write {
                try register.disableEckidImport(
                    school: try brin("21QW00"),
                    by: Fixture.admin,
                    now: Fixture.now
                )
            }
            #expect(disabled.state == .disabled && disabled.disabledReason == "disabled_by_administrator")
            expectRefusal(.conflict, [.eckidAlreadyDisabled]) {
                try register.write {
                    try register.disableEckidImport(school: try brin("21QW00"), by: Fixture.admin, now: Fixture.now)
                }
            }
            try register.pass(.scheduled, day("2026-03-12"))
            #expect(try register.eckidImport("21QW00")?.state == .disabled)
        }
    }
}
