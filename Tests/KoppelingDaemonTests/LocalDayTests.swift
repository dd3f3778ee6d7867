import Foundation
import Testing

@testable import KoppelingDaemon

/// "Today" is the school's local day. Between 22:00 and 24:00 UTC in summer
/// Amsterdam is already on the next day: a daemon that took the UTC day would
/// default the start date a day early, accept yesterday, and enable the
/// ECKiD import a day early.
@Suite("The local day")
struct LocalDayTests {
    // 2026-06-15 22:30 UTC is 2026-06-16 00:30 in Amsterdam (CEST).
    static let lateEvening = "2026-06-15T22:30:00Z"

    static func activate(
        _ t: TestRegister,
        _ koppeling: String,
        code: String,
        startDate: String? = nil
    ) -> [String: Any] {
        let start = startDate.map { #","start_date":"\#($0)""# } ?? ""
        return t.call(
            #"{"jsonrpc":"2.0","id":1,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"\#(koppeling)","name":"J. de Vries","agree":true,"terms_version":"\#(ShippedTerms.version(koppeling))","verification_code":"\#(code)"\#(start)}}"#
        )
    }

    static func reasons(_ reply: [String: Any]) -> [String] {
        let data = (reply["error"] as? [String: Any])?["data"] as? [String: Any]
        return (data?["violations"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
    }

    @Test("default start date, the past and active_from follow the Amsterdam day, not the UTC day")
    func lateEveningInSummer() throws {
        let t = try TestRegister(start: utc(Self.lateEvening))
        #expect(
            t.call(#"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Test"}}"#)[
                "result"
            ] != nil
        )

        // The UTC day is yesterday in Amsterdam.
        let past = Self.activate(t, "topdossier", code: "21QW00Pq7Rs8Tu9Vw2Xy3", startDate: "2026-06-15")
        #expect(Self.reasons(past) == ["start_date_in_past"], "\(past)")
        let today = Self.activate(t, "topdossier", code: "21QW00Pq7Rs8Tu9Vw2Xy3", startDate: "2026-06-16")
        #expect(today["result"] != nil, "\(today)")

        let eckid = Self.activate(t, "topdossier-eckid", code: "21QW00Zx9Vq3Lm7Tp2Kd8Rw")
        let activation = (eckid["result"] as? [String: Any])?["activation"] as? [String: Any]
        #expect(activation?["start_date"] as? String == "2026-06-16", "\(eckid)")

        let key = t.call(
            #"{"jsonrpc":"2.0","id":2,"method":"eckid.set_key","params":{"brin6":"21QW00","key":"21QW00Zx9Vq3Lm7Tp2Kd8Rw"}}"#
        )
        #expect((key["result"] as? [String: Any])?["active_from"] as? String == "2026-06-17", "\(key)")
    }

    @Test("just before midnight UTC in winter: Amsterdam is an hour ahead, already tomorrow")
    func lateEveningInWinter() throws {
        let t = try TestRegister(start: utc("2026-12-01T23:30:00Z"))
        #expect(
            t.call(#"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Test"}}"#)[
                "result"
            ] != nil
        )
        let eckid = Self.activate(t, "topdossier-eckid", code: "21QW00Zx9Vq3Lm7Tp2Kd8Rw")
        let activation = (eckid["result"] as? [String: Any])?["activation"] as? [String: Any]
        #expect(activation?["start_date"] as? String == "2026-12-02", "\(eckid)")
    }

    @Test("a reused code is reported together with the other violations (-32001), as docs/protocol.md promises")
    func reusedCodeAmongOtherViolations() throws {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        #expect(
            t.call(#"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Test"}}"#)[
                "result"
            ] != nil
        )
        #expect(Self.activate(t, "topdossier-eckid", code: "21QW00Zx9Vq3Lm7Tp2Kd8Rw")["result"] != nil)
        _ = t.call(
            #"{"jsonrpc":"2.0","id":2,"method":"koppeling.deactivate","params":{"brin6":"21QW00","koppeling":"topdossier-eckid"}}"#
        )
        let reply = t.call(
            #"{"jsonrpc":"2.0","id":3,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"topdossier-eckid","name":"","agree":false,"terms_version":"2024.2","verification_code":"21qw00Zx9Vq3Lm7Tp2Kd8Rw"}}"#
        )
        let error = reply["error"] as? [String: Any]
        #expect(error?["code"] as? Int == -32001, "\(reply)")
        #expect(
            Set(Self.reasons(reply)).isSuperset(of: ["agreement_required", "verification_code_reused"]),
            "\(reply)"
        )
        // Alone it is a conflict.
        let alone = Self.activate(t, "topdossier-eckid", code: "21QW00Zx9Vq3Lm7Tp2Kd8Rw")
        #expect((alone["error"] as? [String: Any])?["code"] as? Int == -32003, "\(alone)")
    }
}
