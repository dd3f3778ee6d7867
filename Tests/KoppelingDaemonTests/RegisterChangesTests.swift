import Foundation
import KoppelingCore
import KoppelingProtocol
import Testing

@testable import KoppelingDaemon

/// `register.changes`: the days of a period as the school lives them, in
/// the daemon's zone, and periods it cannot answer refused.
@Suite("What changed in a period")
struct RegisterChangesTests {
    static func changes(_ t: TestRegister, _ from: String, _ to: String) -> [String: Any] {
        t.call(
            #"{"jsonrpc":"2.0","id":1,"method":"register.changes","params":{"from":"\#(from)","to":"\#(to)"}}"#
        )
    }

    static func kinds(_ reply: [String: Any]) -> [String] {
        ((reply["result"] as? [String: Any])?["changes"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
    }

    @Test("an activation at 00:30 in Amsterdam is that day's, not the UTC day before")
    func localDays() throws {
        // 2026-03-10 00:30 in Amsterdam is 2026-03-09 23:30 UTC.
        let t = try TestRegister(start: utc("2026-03-09T23:30:00Z"))
        _ = t.call(#"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Test"}}"#)
        let activated = t.call(
            #"{"jsonrpc":"2.0","id":2,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"topdossier","name":"Jan","agree":true,"terms_version":"2024.1","verification_code":"21QW00Xk3mP9qR7sT2vW5yZ8"}}"#
        )
        #expect(activated["result"] != nil, "\(activated)")
        #expect(Self.kinds(Self.changes(t, "2026-03-10", "2026-03-10")) == ["activated"])
        #expect(Self.kinds(Self.changes(t, "2026-03-09", "2026-03-09")).isEmpty)
    }

    @Test("a period ending before it starts, a day that is none and a year past 9998 are refused, naming the field")
    func refusals() throws {
        let t = try TestRegister(start: utc("2026-03-10T09:00:00Z"))
        for (from, to, field, reason) in [
            ("2026-03-10", "2026-03-09", "to", "end_date_before_start"),
            ("2026-02-30", "2026-03-09", "from", "date_format"),
            ("2026-01-01", "9999-12-31", "to", "date_format"),
        ] {
            let reply = Self.changes(t, from, to)
            let violations = ((reply["error"] as? [String: Any])?["data"] as? [String: Any])?["violations"]
            let found = (violations as? [[String: Any]] ?? []).map { "\($0["field"] ?? "") \($0["reason"] ?? "")" }
            #expect(found == ["\(field) \(reason)"], "\(from)…\(to): \(reply)")
        }
        #expect(Self.changes(t, "2026-01-01", "9998-12-31")["result"] != nil)
    }
}
