import Foundation
import KoppelingCore
import Testing

@testable import KoppelingDaemon

/// Free text that holds a verification code is refused (`looks_like_code`)
/// on every field a request stores or echoes, and the code reaches no
/// reply, no audit row and no listing a reader can see. Identifiers fold
/// with ASCII rules only, and an instant with second 60 is refused.
@Suite("A code in free text")
struct FreeTextCodeTests {
    static let ownCode = "21QW00Hn4Bc7Xs2Fj9Lt5Pm"
    static let manyCode = "21QW01Rt6Yu8Io2Pa4Sd7"
    static let foreignCode = "21QW00Gg5Hh6Jj7Kk8Ll9Mm"
    static let schoolCode = "21QW02Ab3Cd4Ef5Gh6Ij7Kl"
    static let importCode = "21qw03Zz1Yy2Xx3Ww4Vv5"
    static let reasonCode = "21QW00Qa1Ws2Ed3Rf4Tg5Yh"
    static let codes = [ownCode, manyCode, foreignCode, schoolCode, importCode, reasonCode]

    /// The part of each code after its public BRIN6 prefix: found in a text,
    /// the code is there in some prefix case.
    static let needles = codes.map { String($0.dropFirst(6)) }

    static func text(_ reply: [String: Any]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: reply)) ?? Data(), as: UTF8.self)
    }

    static func reasons(_ reply: [String: Any]) -> [String] {
        let data = (reply["error"] as? [String: Any])?["data"] as? [String: Any]
        let violations = data?["violations"] as? [[String: Any]] ?? []
        return violations.compactMap { $0["reason"] as? String }
    }

    static func errorReason(_ reply: [String: Any]) -> String? {
        ((reply["error"] as? [String: Any])?["data"] as? [String: Any])?["reason"] as? String
    }

    static func activateLine(
        id: Int,
        school: String = "21QW00",
        koppeling: String = "topdossier",
        name: String,
        code: String
    ) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"koppeling.activate","params":{"brin6":"\#(school)","koppeling":"\#(koppeling)","name":"\#(name)","agree":true,"terms_version":"\#(ShippedTerms.version(koppeling))","verification_code":"\#(code)"}}"#
    }

    /// Each free-text field with a code in it, through the real request path.
    static let refused: [(field: String, line: String)] = [
        ("activate name: the code itself", activateLine(id: 1, name: ownCode, code: ownCode)),
        (
            "activate name: the code with a lower-case prefix",
            activateLine(id: 2, name: "21qw00" + ownCode.dropFirst(6), code: ownCode)
        ),
        (
            "activate name: the code in a sentence",
            activateLine(id: 3, name: "Jan (code \(ownCode))", code: ownCode)
        ),
        (
            "activate_many name: a row's code glued to a word",
            #"{"jsonrpc":"2.0","id":4,"method":"koppeling.activate_many","params":{"koppeling":"topdossier","name":"Jan\#(manyCode)","agree":true,"terms_version":"2024.1","schools":[{"brin6":"21QW01","verification_code":"\#(manyCode)"}]}}"#
        ),
        (
            "reaccept name: a BRIN6-led run",
            #"{"jsonrpc":"2.0","id":5,"method":"koppeling.reaccept","params":{"brin6":"21QW00","koppeling":"topdossier","name":"\#(foreignCode)","agree":true,"terms_version":"2024.1"}}"#
        ),
        (
            "school.add name",
            #"{"jsonrpc":"2.0","id":6,"method":"school.add","params":{"brin6":"21QW02","name":"\#(schoolCode)"}}"#
        ),
        (
            "school.import row name",
            #"{"jsonrpc":"2.0","id":7,"method":"school.import","params":{"schools":[{"brin6":"21QW04","name":"OBS Het Anker"},{"brin6":"21QW03","name":"OBS \#(importCode)"}]}}"#
        ),
        (
            "deactivation reason",
            #"{"jsonrpc":"2.0","id":8,"method":"koppeling.deactivate","params":{"brin6":"21QW00","koppeling":"topdossier","reason":"code was \#(reasonCode)"}}"#
        ),
    ]

    @Test("every free-text field with a code is refused, and the code is shown nowhere")
    func refusedAndShownNowhere() throws {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        for line in [
            #"{"jsonrpc":"2.0","id":0,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Regenboog"}}"#,
            #"{"jsonrpc":"2.0","id":0,"method":"school.add","params":{"brin6":"21QW01","name":"J. van 't Hofschool"}}"#,
            Self.activateLine(id: 0, name: "J. van 't Hof", code: "21QW00Pq7Rs8Tu9Vw2Xy3Za"),
        ] {
            #expect(t.call(line)["result"] != nil, "\(line)")
        }
        var seen: [String] = []
        for (field, line) in Self.refused {
            let reply = t.call(line)
            seen.append(Self.text(reply))
            #expect(Self.reasons(reply).contains("looks_like_code"), "\(field): \(reply)")
            let message = (reply["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("tekens)"), "\(field): the message names the masked form: \(message)")
        }
        // A code that breaks its own rules is not repeated either.
        for (id, code) in [
            (9, Self.ownCode + "!"), (10, "21QW09" + Self.ownCode.dropFirst(6)),
            (11, Self.ownCode + String(repeating: "x", count: 40)),
        ] {
            let reply = t.call(Self.activateLine(id: id, name: "Jan de Vries", code: code))
            #expect(Self.reasons(reply).contains { $0.hasPrefix("verification_code_") }, "\(reply)")
            seen.append(Self.text(reply))
        }
        for line in [
            #"{"jsonrpc":"2.0","id":20,"method":"audit.list","params":{"limit":1000}}"#,
            #"{"jsonrpc":"2.0","id":21,"method":"school.get","params":{"brin6":"21QW00"}}"#,
            #"{"jsonrpc":"2.0","id":22,"method":"school.get","params":{"brin6":"21QW02"}}"#,
            #"{"jsonrpc":"2.0","id":23,"method":"school.get","params":{"brin6":"21QW03"}}"#,
            #"{"jsonrpc":"2.0","id":24,"method":"school.list"}"#,
            #"{"jsonrpc":"2.0","id":25,"method":"koppeling.overview","params":{"brin6":"21QW00"}}"#,
            #"{"jsonrpc":"2.0","id":26,"method":"register.export","params":{"include_ended":true}}"#,
        ] {
            seen.append(Self.text(t.call(line, as: TestRegister.reader)))
        }
        for (n, text) in seen.enumerated() {
            for needle in Self.needles where text.contains(needle) {
                Issue.record("reply \(n) holds a code: \(text.prefix(400))")
            }
        }
        // Each refusal has its audit row, with the reason and nothing of the text.
        let audit = try t.app.register.audit(school: nil, since: nil, limit: 1000)
        let refusals = audit.filter { $0.reasons.contains("looks_like_code") }
        #expect(refusals.count == Self.refused.count, "\(audit)")
        #expect(!Self.needles.contains { "\(audit)".contains($0) }, "\(audit)")
        // Nothing was changed: the activation stays, with its honest name.
        let active = try t.app.register.activations(of: brin6("21QW00"), activeOnly: true)
        #expect(active.map(\.acceptedByName) == ["J. van 't Hof"])
    }

    @Test(
        "real names pass",
        arguments: [
            "Jan de Vries", "J. van 't Hof", "1e Montessorischool", "21 Apostelen", "Anne-Marie Ç. Öztürk",
            "Stichting 21QW00 Onderwijs",
        ]
    )
    func realNamesPass(name: String) throws {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        let add = t.call(
            #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"\#(name)"}}"#
        )
        #expect(add["result"] != nil, "\(add)")
        let activate = t.call(Self.activateLine(id: 2, name: name, code: Self.ownCode))
        #expect(activate["result"] != nil, "\(activate)")
        let deactivate = t.call(
            #"{"jsonrpc":"2.0","id":3,"method":"koppeling.deactivate","params":{"brin6":"21QW00","koppeling":"topdossier","reason":"\#(name)"}}"#
        )
        #expect(deactivate["result"] != nil, "\(deactivate)")
    }

    @Test("a koppeling id with a Kelvin sign is no koppeling; ASCII capitals still fold")
    func kelvinSign() throws {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        _ = t.call(#"{"jsonrpc":"2.0","id":0,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Test"}}"#)
        let kelvin = #"topdossier-ec\u212Aid"#
        let get = t.call(#"{"jsonrpc":"2.0","id":1,"method":"catalog.get","params":{"id":"\#(kelvin)"}}"#)
        #expect(Self.errorReason(get) == "koppeling_not_found", "\(get)")
        let activate = t.call(Self.activateLine(id: 2, koppeling: kelvin, name: "Jan de Vries", code: Self.ownCode))
        #expect(activate["error"] != nil, "\(activate)")
        #expect(try t.app.register.activations(of: brin6("21QW00")).isEmpty)

        let upper = t.call(
            Self.activateLine(id: 3, koppeling: "TOPDOSSIER-ECKID", name: "Jan de Vries", code: Self.ownCode)
        )
        #expect(upper["result"] != nil, "\(upper)")
        #expect(try t.app.register.audit(school: nil, since: nil, limit: 1).first?.koppeling == "topdossier-eckid")
        let deactivate = t.call(
            #"{"jsonrpc":"2.0","id":4,"method":"koppeling.deactivate","params":{"brin6":"21QW00","koppeling":"\#(kelvin)"}}"#
        )
        #expect(Self.errorReason(deactivate) == "koppeling_not_found", "\(deactivate)")
        #expect(try t.app.register.activations(of: brin6("21QW00"), activeOnly: true).count == 1)
        let reaccept = t.call(
            #"{"jsonrpc":"2.0","id":5,"method":"koppeling.reaccept","params":{"brin6":"21QW00","koppeling":"\#(kelvin)","name":"Jan","agree":true,"terms_version":"2024.1"}}"#
        )
        #expect(Self.errorReason(reaccept) == "koppeling_not_found", "\(reaccept)")
        let school = t.call(#"{"jsonrpc":"2.0","id":6,"method":"school.get","params":{"brin6":"21QW00"}}"#)
        #expect(school["result"] != nil)
        let kelvinSchool = t.call(#"{"jsonrpc":"2.0","id":7,"method":"audit.list","params":{"brin6":"21\u212AW00"}}"#)
        #expect(Self.reasons(kelvinSchool) == ["brin6_format"], "\(kelvinSchool)")
    }

    @Test("an instant with second 60 is refused", arguments: ["2026-12-01T07:00:60Z", "2026-12-31T23:59:60Z"])
    func secondSixty(since: String) throws {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        let reply = t.call(#"{"jsonrpc":"2.0","id":1,"method":"audit.list","params":{"since":"\#(since)"}}"#)
        #expect(Self.reasons(reply) == ["date_format"], "\(reply)")
        let fine = t.call(#"{"jsonrpc":"2.0","id":2,"method":"audit.list","params":{"since":"2026-12-01T07:00:59Z"}}"#)
        #expect(fine["result"] != nil, "\(fine)")
    }

    private func brin6(_ raw: String) throws -> Brin6 { try Brin6.parse(raw).get() }
}
