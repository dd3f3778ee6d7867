import Foundation
import KoppelingCore
import KoppelingProtocol
import Testing

@testable import KoppelingDaemon

/// A user outside the admin group gets -32004 for every changing method,
/// also when the params are wrong: permission is decided before the params
/// are judged, and the refusal is audited as permission_denied.
@Suite("Permission before params")
struct PermissionOrderTests {
    static let malformedChanges: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":7}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"school.add","params":{"brin6":"21QW00","name":"x","extra":true}}"#,
        #"{"jsonrpc":"2.0","id":3,"method":"koppeling.activate","params":[]}"#,
        #"{"jsonrpc":"2.0","id":4,"method":"eckid.set_key"}"#,
        #"{"jsonrpc":"2.0","id":5,"method":"school.import","params":{"schools":"21QW00"}}"#,
    ]

    @Test("malformed changes: -32004 for a reader, -32602 for an administrator")
    func malformedChanges() throws {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        for line in Self.malformedChanges {
            let asReader = t.call(line, as: TestRegister.reader)
            let readerError = asReader["error"] as? [String: Any]
            #expect(readerError?["code"] as? Int == -32004, "reader: \(line) → \(asReader)")
            #expect(
                (readerError?["data"] as? [String: Any])?["reason"] as? String == "permission_denied",
                "\(asReader)"
            )
            let asAdmin = t.call(line, as: TestRegister.admin)
            #expect((asAdmin["error"] as? [String: Any])?["code"] as? Int == -32602, "admin: \(line) → \(asAdmin)")
        }
        let audit = try t.app.register.audit(school: nil, since: nil, limit: 100)
        let readerRows = audit.filter { $0.uid == 65534 }
        #expect(readerRows.count == Self.malformedChanges.count)
        #expect(
            readerRows.allSatisfy { $0.outcome == .refused && $0.reasons == ["permission_denied"] },
            "\(readerRows)"
        )
    }
}
