import Foundation
import KoppelingCore
import KoppelingProtocol
import Testing

@testable import KoppelingDaemon

/// End dates through the daemon, driven by a manual clock: `status` lists
/// what ends within 30 days, and the daily run after the last day ends it
/// (by `timer`, `end_date_reached`), its ECKiD import with it.
@Suite("End dates and the daily run")
struct EndDateTests {
    static let code = "21QW00abcdefghijKLMNOP1234"

    func activate(_ t: TestRegister, _ koppeling: String, code: String, endDate: String) -> [String: Any] {
        t.call(
            #"{"jsonrpc":"2.0","id":2,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"\#(koppeling)","name":"Jan","agree":true,"terms_version":"\#(ShippedTerms.version(koppeling))","verification_code":"\#(code)","end_date":"\#(endDate)"}}"#
        )
    }

    func endingSoon(_ t: TestRegister) -> [String] {
        let status = t.call(#"{"jsonrpc":"2.0","id":9,"method":"status"}"#)
        return ((status["result"] as? [String: Any])?["ending_soon"] as? [[String: Any]] ?? []).compactMap {
            $0["koppeling"] as? String
        }
    }

    @Test func statusListsWhatEndsWithin30DaysAndTheRunAfterTheLastDayEndsIt() throws {
        // 2026-03-10 14:00 in Amsterdam.
        let t = try TestRegister(start: utc("2026-03-10T13:00:00Z"))
        _ = t.call(#"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Test"}}"#)
        #expect(activate(t, "topdossier-eckid", code: Self.code, endDate: "2026-03-11")["result"] != nil)
        #expect(activate(t, "topdossier", code: "21QW00Xk3mP9qR7sT2vW5yZ8", endDate: "2026-04-10")["result"] != nil)
        _ = t.call(
            #"{"jsonrpc":"2.0","id":3,"method":"eckid.set_key","params":{"brin6":"21QW00","key":"\#(Self.code)"}}"#
        )
        // Today + 30 days is the last day listed: 2026-04-10 is 31 days off.
        #expect(endingSoon(t) == ["topdossier-eckid"])
        t.clock.set(utc("2026-03-10T22:59:00Z"))  // 23:59 local: still the 10th
        #expect(endingSoon(t) == ["topdossier-eckid"])

        // The 11th is its last day: the import is enabled, the activation stays.
        t.clock.set(utc("2026-03-10T23:05:00Z"))
        let lastDay = try #require(try t.app.runScheduledIfDue())
        #expect(lastDay.enabled == 1 && lastDay.ended == 0)
        #expect(endingSoon(t) == ["topdossier-eckid", "topdossier"], "2026-04-10 is 30 days from the 11th")

        // The run of the 12th ends it, in the same run as everything else.
        t.clock.set(utc("2026-03-11T23:05:00Z"))
        let after = try #require(try t.app.runScheduledIfDue())
        #expect(after.ended == 1 && after.stopped == 1)
        let school = t.call(#"{"jsonrpc":"2.0","id":4,"method":"school.get","params":{"brin6":"21QW00"}}"#)
        let result = try #require(school["result"] as? [String: Any])
        let ended = try #require(
            (result["activations"] as? [[String: Any]])?.first { $0["koppeling"] as? String == "topdossier-eckid" }
        )
        #expect(ended["active"] as? Bool == false)
        #expect(ended["deactivated_by"] as? String == "timer")
        #expect(ended["deactivation_reason"] as? String == "end_date_reached")
        #expect((result["eckid_import"] as? [String: Any])?["state"] as? String == "disabled")
        #expect(endingSoon(t) == ["topdossier"], "an ended activation is no longer listed")
        // The daemon's own change is in the school's audit.
        let audit = t.call(#"{"jsonrpc":"2.0","id":5,"method":"audit.list","params":{"brin6":"21QW00"}}"#)
        let rows = ((audit["result"] as? [String: Any])?["entries"] as? [[String: Any]] ?? []).filter {
            $0["method"] as? String == "timer.run" && $0["koppeling"] as? String == "topdossier-eckid"
        }
        #expect(rows.count == 1, "\(audit)")
        #expect(rows.first?["reasons"] as? [String] == ["end_date_reached"] && rows.first?["user"] as? String == "koppelingd")
    }
}

/// A board's list with a bad consent still reports every row.
@Suite("A board's activation reports every bad row")
struct ActivateManyRowsTests {
    @Test func aBadConsentDoesNotHideTheRows() throws {
        let t = try TestRegister(start: utc("2026-03-10T13:00:00Z"))
        _ = t.call(#"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Test"}}"#)
        let reply = t.call(
            #"{"jsonrpc":"2.0","id":2,"method":"koppeling.activate_many","params":{"koppeling":"topdossier","name":"","agree":false,"terms_version":"2024.1","schools":[{"brin6":"21QW00","verification_code":"21QW00Ab3dEf5gH7jK9mN2"},{"brin6":"21qw00","verification_code":"21QW00Zz9yX8wV7uT6sR5"},{"brin6":"99ZZ99","verification_code":"99ZZ99Ab3dEf5gH7jK9mN2"},{"brin6":"21QW0","verification_code":"kort"}]}}"#
        )
        let violations = try #require(
            ((reply["error"] as? [String: Any])?["data"] as? [String: Any])?["violations"] as? [[String: Any]],
            "\(reply)"
        )
        let pairs = violations.map { "\($0["row"] as? Int ?? 0):\($0["reason"] as? String ?? "")" }
        #expect(
            Set(pairs).isSuperset(of: [
                "0:name_required", "0:agreement_required", "2:duplicate_in_batch", "3:school_not_found",
                "4:brin6_format", "4:verification_code_length",
            ]),
            "\(pairs)"
        )
        #expect(pairs.first?.hasPrefix("0:") == true, "the consent's own faults come first: \(pairs)")
    }
}
