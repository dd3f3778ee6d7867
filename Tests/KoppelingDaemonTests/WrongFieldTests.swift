import Foundation
import Testing

@testable import KoppelingDaemon

/// A code typed into the wrong field is repeated nowhere but masked: not in
/// the reply, not in the audit (which readers may list).
@Suite("A code in the wrong field")
struct WrongFieldTests {
    static let code = "21QW00Zx9Vq3Lm7Tp2Kd8Rw"
    static let secretPart = "Zx9Vq3Lm7Tp2Kd8Rw"

    static let misplaced: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"\#(code)","name":"J. de Vries","agree":true,"terms_version":"2024.1","verification_code":"21QW00Pq7Rs8Tu9Vw2Xy3"}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"koppeling.deactivate","params":{"brin6":"21QW00","koppeling":"\#(code)"}}"#,
        #"{"jsonrpc":"2.0","id":3,"method":"eckid.set_key","params":{"brin6":"\#(code)","key":"x"}}"#,
        #"{"jsonrpc":"2.0","id":4,"method":"school.get","params":{"brin6":"\#(code)"}}"#,
        #"{"jsonrpc":"2.0","id":5,"method":"catalog.get","params":{"id":"\#(code)"}}"#,
        #"{"jsonrpc":"2.0","id":6,"method":"school.remove","params":{"brin6":"\#(code)"}}"#,
        #"{"jsonrpc":"2.0","id":7,"method":"koppeling.overview","params":{"brin6":"\#(code)"}}"#,
    ]

    @Test("every reply refuses without repeating the code; the audit holds it masked")
    func nothingLeaks() throws {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        #expect(
            t.call(#"{"jsonrpc":"2.0","id":0,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Test"}}"#)[
                "result"
            ] != nil
        )
        for line in Self.misplaced {
            let reply = t.call(line)
            #expect(reply["error"] != nil, "\(line) → \(reply)")
            let text = String(decoding: try JSONSerialization.data(withJSONObject: reply), as: UTF8.self)
            #expect(!text.contains(Self.secretPart), "the reply repeats the code: \(text)")
        }
        let audit = try t.app.register.audit(school: nil, since: nil, limit: 100)
        let dump = "\(audit)"
        #expect(!dump.contains(Self.secretPart), "the audit holds the code: \(dump)")
        #expect(audit.contains { $0.koppeling == "21QW00… (23 tekens)" }, "\(dump)")
        #expect(audit.contains { $0.school == "21QW00… (23 tekens)" }, "\(dump)")
        // A valid koppeling id stays as it is.
        _ = t.call(
            #"{"jsonrpc":"2.0","id":8,"method":"koppeling.deactivate","params":{"brin6":"21QW00","koppeling":"topdossier"}}"#
        )
        #expect(try t.app.register.audit(school: nil, since: nil, limit: 1).first?.koppeling == "topdossier")
    }
}
