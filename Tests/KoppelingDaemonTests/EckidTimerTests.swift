import Foundation
import KoppelingCore
import KoppelingProtocol
import Testing

@testable import KoppelingDaemon

/// Steps 5–6 end to end inside one process, driven by a manual clock.
@Suite("ECKiD import and the daily timer")
struct EckidTimerTests {
    static let code = "21QW00abcdefghijKLMNOP1234"

    /// A school with an active ECKiD activation and its key entered at
    /// 2026-03-10 14:00 local (Amsterdam, UTC+1).
    func setUp(start: Date = utc("2026-03-10T13:00:00Z"), standard: Bool = false) throws -> TestRegister {
        let t = try TestRegister(start: start)
        _ = t.call(
            #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Regenboog"}}"#
        )
        if standard {
            _ = t.call(
                #"{"jsonrpc":"2.0","id":2,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"topdossier","name":"Jan","agree":true,"terms_version":"2024.1","verification_code":"21QW00standaardCode12345"}}"#
            )
        }
        let r = t.call(
            #"{"jsonrpc":"2.0","id":3,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"topdossier-eckid","name":"Jan","agree":true,"terms_version":"2024.2","verification_code":"\#(Self.code)"}}"#
        )
        #expect(r["result"] != nil)
        return t
    }

    func setKey(_ t: TestRegister, _ key: String = code) -> [String: Any] {
        t.call(#"{"jsonrpc":"2.0","id":4,"method":"eckid.set_key","params":{"brin6":"21QW00","key":"\#(key)"}}"#)
    }

    func state(_ t: TestRegister) -> String? {
        try? t.app.register.eckidImports(school: Brin6.parse("21QW00").get()).first?.state.rawValue
    }

    @Test func keyMakesImportPendingFromTomorrowWithWarning() throws {
        let t = try setUp()
        let result = try #require(setKey(t)["result"] as? [String: Any])
        #expect(result["state"] as? String == "pending")
        #expect(result["active_from"] as? String == "2026-03-11")
        #expect(result["changed"] as? Bool == true)
        let warnings = try #require(result["warnings"] as? [[String: Any]])
        #expect(warnings.map { $0["reason"] as? String } == ["topdossier_not_active"])
        #expect((warnings.first?["message"] as? String)?.contains("TOP dossier") == true)
    }

    @Test func noWarningWhenStandardKoppelingIsActive() throws {
        let t = try setUp(standard: true)
        let result = try #require(setKey(t)["result"] as? [String: Any])
        #expect((result["warnings"] as? [[String: Any]])?.isEmpty == true)
    }

    @Test func mismatchAndMissingActivationAreRefused() throws {
        let t = try setUp()
        let wrong = try #require(setKey(t, "21QW00abcdefghijKLMNOP1235")["error"] as? [String: Any])
        #expect(wrong["code"] as? Int == -32001)
        #expect((wrong["data"] as? [String: Any])?["reason"] as? String == "eckid_key_mismatch")
        _ = t.call(#"{"jsonrpc":"2.0","id":5,"method":"school.add","params":{"brin6":"21QW01","name":"Dependance"}}"#)
        let none = try #require(
            t.call(
                #"{"jsonrpc":"2.0","id":6,"method":"eckid.set_key","params":{"brin6":"21QW01","key":"21QW01abcdefghijKLMNOP1234"}}"#
            )["error"] as? [String: Any]
        )
        #expect((none["data"] as? [String: Any])?["reason"] as? String == "koppeling_not_active")
    }

    @Test func sameKeyAgainChangesNothing() throws {
        let t = try setUp()
        _ = setKey(t)
        t.clock.advance(seconds: 3600)
        let again = try #require(setKey(t)["result"] as? [String: Any])
        #expect(again["changed"] as? Bool == false)
        #expect(again["active_from"] as? String == "2026-03-11")
    }

    @Test func laterStartDateWins() throws {
        let t = try TestRegister(start: utc("2026-03-10T13:00:00Z"))
        _ = t.call(#"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"X"}}"#)
        _ = t.call(
            #"{"jsonrpc":"2.0","id":2,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"topdossier-eckid","name":"Jan","agree":true,"terms_version":"2024.2","verification_code":"\#(Self.code)","start_date":"2026-04-01"}}"#
        )
        let result = try #require(setKey(t)["result"] as? [String: Any])
        #expect(result["active_from"] as? String == "2026-04-01")
    }

    @Test func enabledOnTheNextDayAtRunTimeAndNotBefore() async throws {
        let t = try setUp()
        _ = setKey(t)
        // Today's run already happened at start-up catch-up or now: run it.
        _ = try t.app.runScheduledIfDue()
        #expect(state(t) == "pending")
        t.clock.set(utc("2026-03-10T23:04:59Z"))  // 00:04:59 local on the 11th
        #expect(try t.app.runScheduledIfDue() == nil)
        #expect(state(t) == "pending")
        t.clock.set(utc("2026-03-10T23:05:00Z"))
        let run = try #require(try t.app.runScheduledIfDue())
        #expect(run.enabled == 1)
        #expect(run.localDay == "2026-03-11")
        #expect(state(t) == "active")
    }

    @Test func manualRunTodayLeavesItPendingAndDoesNotReplaceScheduledRun() throws {
        let t = try setUp()
        _ = setKey(t)
        let manual = try #require(t.call(#"{"jsonrpc":"2.0","id":7,"method":"timer.run"}"#)["result"] as? [String: Any])
        #expect((manual["run"] as? [String: Any])?["enabled"] as? Int == 0)
        #expect(state(t) == "pending")
        // The scheduled run of today still happens once.
        #expect(try t.app.runScheduledIfDue()?.kind == .scheduled)
        #expect(try t.app.runScheduledIfDue() == nil)
        // A second manual run changes nothing.
        let again = try #require(t.call(#"{"jsonrpc":"2.0","id":8,"method":"timer.run"}"#)["result"] as? [String: Any])
        #expect((again["run"] as? [String: Any])?["enabled"] as? Int == 0)
    }

    @Test(arguments: [false, true])
    func deactivationStopsPendingOrActiveImport(afterEnabling: Bool) throws {
        let t = try setUp()
        _ = setKey(t)
        if afterEnabling {
            t.clock.set(utc("2026-03-11T08:00:00Z"))
            _ = try t.app.runScheduledIfDue()
            #expect(state(t) == "active")
        }
        let r = try #require(
            t.call(
                #"{"jsonrpc":"2.0","id":9,"method":"koppeling.deactivate","params":{"brin6":"21QW00","koppeling":"topdossier-eckid","reason":"test"}}"#
            )["result"] as? [String: Any]
        )
        #expect(r["eckid_import_stopped"] as? Bool == true)
        let status = try #require(
            t.call(#"{"jsonrpc":"2.0","id":10,"method":"eckid.status","params":{"brin6":"21QW00"}}"#)["result"]
                as? [String: Any]
        )
        let imp = try #require((status["imports"] as? [[String: Any]])?.first)
        #expect(imp["state"] as? String == "disabled")
        #expect(imp["disabled_reason"] as? String == "activation_ended")
    }

    @Test func disableByAdministrator() throws {
        let t = try setUp()
        _ = setKey(t)
        let r = try #require(
            t.call(#"{"jsonrpc":"2.0","id":11,"method":"eckid.disable","params":{"brin6":"21QW00"}}"#)["result"]
                as? [String: Any]
        )
        #expect((r["import"] as? [String: Any])?["disabled_reason"] as? String == "disabled_by_administrator")
        let again = try #require(
            t.call(#"{"jsonrpc":"2.0","id":12,"method":"eckid.disable","params":{"brin6":"21QW00"}}"#)["error"]
                as? [String: Any]
        )
        #expect(again["code"] as? Int == -32003)
    }
}
