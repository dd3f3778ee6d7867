import Foundation
import KoppelingCore
import Testing

@testable import KoppelingDaemon

/// Rules that only one test guarded, now seen a second time through the
/// daemon's dispatcher (the reply as the socket would carry it): the
/// terms-version check and `school.remove` while a koppeling is active.
/// Their first witnesses are ConsentFlowTests (end to end, `koppeling.activate`
/// only) and RegisterTests (storage, the error's kind only).
@Suite("Second witnesses in the daemon")
struct DaemonSecondWitnessTests {
    static let code = "21QW00Hr4Tk8Nz2Wq6Lp9Xc"

    static func line(_ id: Int, _ method: String, _ params: [String: Any]) -> String {
        let object: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": method, "params": params]
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    static func error(_ reply: [String: Any]) -> [String: Any] { reply["error"] as? [String: Any] ?? [:] }
    static func data(_ reply: [String: Any]) -> [String: Any] { error(reply)["data"] as? [String: Any] ?? [:] }

    /// A register with school 21QW00 and topdossier's terms moved on to
    /// 2025.1 by `catalog.load` (the version a person read was 2024.1).
    static func registerWithNewTerms() throws -> TestRegister {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        #expect(t.call(line(1, "school.add", ["brin6": "21QW00", "name": "OBS De Test"]))["result"] != nil)
        #expect(t.call(line(2, "school.add", ["brin6": "21QW01", "name": "OBS De Tweede"]))["result"] != nil)
        let got = t.call(line(3, "catalog.get", ["id": "topdossier"]))
        var entry = try #require((got["result"] as? [String: Any])?["entry"] as? [String: Any], "\(got)")
        #expect(entry["terms_version"] as? String == "2024.1", "the shipped version this test assumes")
        entry["price"] = nil
        entry["terms_version"] = "2025.1"
        entry["terms_text"] = "Voorwaarden 2025.1\n\n1. Nieuw."
        let loaded = t.call(line(4, "catalog.load", ["entries": [entry]]))
        #expect(loaded["result"] != nil, "\(loaded)")
        return t
    }

    /// The conflict a person gets who agreed to terms that are no longer
    /// the current ones: -32003 `terms_changed`, the version to show
    /// instead, the field, and nothing saved.
    static func expectTermsChanged(_ reply: [String: Any], _ what: String) {
        #expect(error(reply)["code"] as? Int == -32003, "\(what): \(reply)")
        #expect(data(reply)["reason"] as? String == "terms_changed", "\(what): \(reply)")
        #expect(data(reply)["current_version"] as? String == "2025.1", "\(what): \(reply)")
        #expect((data(reply)["fields"] as? [String] ?? []).contains("terms_version"), "\(what): \(reply)")
    }

    @Test("koppeling.activate with an older terms_version: terms_changed, data.current_version, nothing saved, code not burnt")
    func activateWithOldTerms() throws {
        let t = try Self.registerWithNewTerms()
        let params: [String: Any] = [
            "brin6": "21QW00", "koppeling": "topdossier", "name": "Jan", "agree": true,
            "terms_version": "2024.1", "verification_code": Self.code,
        ]
        Self.expectTermsChanged(t.call(Self.line(5, "koppeling.activate", params)), "activate")
        let overview = t.call(Self.line(6, "koppeling.overview", ["brin6": "21QW00"]))
        let activated = (overview["result"] as? [String: Any])?["activated"] as? [Any]
        #expect(activated?.isEmpty == true, "a refused activation is listed: \(overview)")

        // The version shown now is accepted, with the same code.
        var current = params
        current["terms_version"] = "2025.1"
        let accepted = t.call(Self.line(7, "koppeling.activate", current))
        #expect(accepted["result"] != nil, "the refused code was burnt or the current version refused: \(accepted)")
    }

    @Test("koppeling.activate_many with an older terms_version is refused whole with data.current_version")
    func activateManyWithOldTerms() throws {
        let t = try Self.registerWithNewTerms()
        let reply = t.call(
            Self.line(
                5,
                "koppeling.activate_many",
                [
                    "koppeling": "topdossier", "name": "Jan", "agree": true, "terms_version": "2024.1",
                    "schools": [
                        ["brin6": "21QW00", "verification_code": Self.code],
                        ["brin6": "21QW01", "verification_code": "21QW01Mb7Gd3Jv5Ys8Fq2Ck"],
                    ],
                ]
            )
        )
        Self.expectTermsChanged(reply, "activate_many")
        for school in ["21QW00", "21QW01"] {
            let overview = t.call(Self.line(6, "koppeling.overview", ["brin6": school]))
            let activated = (overview["result"] as? [String: Any])?["activated"] as? [Any]
            #expect(activated?.isEmpty == true, "\(school) activated by a refused batch: \(overview)")
        }
    }

    @Test("koppeling.reaccept of the version already accepted, after new terms: terms_changed with data.current_version")
    func reacceptWithOldTerms() throws {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        #expect(t.call(Self.line(1, "school.add", ["brin6": "21QW00", "name": "OBS De Test"]))["result"] != nil)
        let activated = t.call(
            Self.line(
                2,
                "koppeling.activate",
                [
                    "brin6": "21QW00", "koppeling": "topdossier", "name": "Jan", "agree": true,
                    "terms_version": "2024.1", "verification_code": Self.code,
                ]
            )
        )
        #expect(activated["result"] != nil, "\(activated)")
        let got = t.call(Self.line(3, "catalog.get", ["id": "topdossier"]))
        var entry = try #require((got["result"] as? [String: Any])?["entry"] as? [String: Any])
        entry["price"] = nil
        entry["terms_version"] = "2025.1"
        entry["terms_text"] = "Voorwaarden 2025.1\n\n1. Nieuw."
        #expect(t.call(Self.line(4, "catalog.load", ["entries": [entry]]))["result"] != nil)

        let reply = t.call(
            Self.line(
                5,
                "koppeling.reaccept",
                ["brin6": "21QW00", "koppeling": "topdossier", "name": "Jan", "agree": true, "terms_version": "2024.1"]
            )
        )
        Self.expectTermsChanged(reply, "reaccept")
        let again = t.call(
            Self.line(
                6,
                "koppeling.reaccept",
                ["brin6": "21QW00", "koppeling": "topdossier", "name": "Jan", "agree": true, "terms_version": "2025.1"]
            )
        )
        #expect(again["result"] != nil, "\(again)")
    }

    @Test("school.remove while a koppeling is active: -32003 school_has_active_koppelingen, the school stays, audited")
    func removeWhileActive() throws {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        #expect(t.call(Self.line(1, "school.add", ["brin6": "21QW00", "name": "OBS De Test"]))["result"] != nil)
        let activated = t.call(
            Self.line(
                2,
                "koppeling.activate",
                [
                    "brin6": "21QW00", "koppeling": "topdossier", "name": "Jan", "agree": true,
                    "terms_version": "2024.1", "verification_code": Self.code,
                ]
            )
        )
        #expect(activated["result"] != nil, "\(activated)")

        // Lower case on purpose: the rule holds for the school, not the spelling.
        let refused = t.call(Self.line(3, "school.remove", ["brin6": "21qw00"]))
        #expect(Self.error(refused)["code"] as? Int == -32003, "\(refused)")
        #expect(Self.data(refused)["reason"] as? String == "school_has_active_koppelingen", "\(refused)")
        let listed = t.call(Self.line(4, "school.list", [:]))
        #expect("\(listed)".contains("21QW00"), "the school was removed while a koppeling was active: \(listed)")

        let audit = t.call(Self.line(5, "audit.list", ["limit": 10]))
        let rows = (audit["result"] as? [String: Any])?["entries"] as? [[String: Any]] ?? []
        #expect(
            rows.contains { row in
                row["method"] as? String == "school.remove" && "\(row)".contains("school_has_active_koppelingen")
            },
            "the refusal is not in the audit: \(audit)"
        )

        // Once it has ended, the same request removes the school.
        let ended = t.call(Self.line(6, "koppeling.deactivate", ["brin6": "21QW00", "koppeling": "topdossier"]))
        #expect(ended["result"] != nil, "\(ended)")
        let removed = t.call(Self.line(7, "school.remove", ["brin6": "21QW00"]))
        #expect(removed["result"] != nil, "\(removed)")
    }
}
