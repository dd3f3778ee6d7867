import Foundation
import KoppelingCore
import KoppelingProtocol
import Logging
import Testing

@testable import KoppelingDaemon
@testable import KoppelingStorage

/// `audit.verify` through the dispatcher, and the daemon's own check after
/// each daily run, shown in `status`.
@Suite("audit.verify and the daily check of the audit chain")
struct AuditVerifyTests {
    static func verify(_ t: TestRegister, as caller: Caller = TestRegister.admin) -> [String: Any]? {
        t.call(#"{"jsonrpc":"2.0","id":1,"method":"audit.verify"}"#, as: caller)["result"] as? [String: Any]
    }

    static func addSchools(_ t: TestRegister, _ n: Int) {
        for i in 0..<n {
            _ = t.call(
                #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW\#(String(format: "%02d", i))","name":"S"}}"#
            )
        }
    }

    @Test func aReaderMayVerifyAndTheCallLeavesNoRow() throws {
        let t = try TestRegister(start: utc("2026-12-01T10:00:05Z"))
        Self.addSchools(t, 3)
        let result = try #require(Self.verify(t, as: TestRegister.reader))
        #expect(result["ok"] as? Bool == true)
        #expect(result["rows"] as? Int == 3)
        #expect(result["first_broken_id"] is NSNull)
        #expect(try t.app.register.audit(school: nil, since: nil, limit: 100).count == 3, "a read is not audited")
    }

    @Test func aBrokenChainNamesTheFirstRow() throws {
        let t = try TestRegister(start: utc("2026-12-01T10:00:05Z"))
        Self.addSchools(t, 4)
        try t.app.register.db.execute("UPDATE audit SET os_user = 'iemand' WHERE id = 2")
        let result = try #require(Self.verify(t))
        #expect(result["ok"] as? Bool == false)
        #expect(result["rows"] as? Int == 4)
        #expect(result["first_broken_id"] as? Int == 2)
    }

    @Test func paramsAreRefusedLikeEveryMethodWithoutThem() throws {
        let t = try TestRegister(start: utc("2026-12-01T10:00:05Z"))
        #expect(t.call(#"{"jsonrpc":"2.0","id":1,"method":"audit.verify","params":null}"#)["result"] != nil)
        #expect(t.call(#"{"jsonrpc":"2.0","id":1,"method":"audit.verify","params":{}}"#)["result"] != nil)
        let reply = t.call(#"{"jsonrpc":"2.0","id":1,"method":"audit.verify","params":{"from":1}}"#)
        let error = try #require(reply["error"] as? [String: Any])
        #expect(error["code"] as? Int == RPCErrorCode.invalidParams)
    }

    /// Null in `status` before the first check; then its outcome, a break
    /// with the first row that does not verify.
    @Test func theDailyCheckIsShownInStatus() async throws {
        let t = try TestRegister(start: utc("2026-12-01T10:00:05Z"))
        Self.addSchools(t, 5)
        func status() -> [String: Any]? {
            (t.call(#"{"jsonrpc":"2.0","id":1,"method":"status"}"#)["result"] as? [String: Any])
        }
        #expect(status()?["audit_chain"] is NSNull)

        let logger = Logger(label: "test")
        let first = await AuditChainCheck.run(
            register: t.app.register,
            health: t.app.health,
            clock: t.clock,
            logger: logger
        )
        #expect(first == AuditChainStatus(ok: true, rows: 5, firstBrokenId: nil, checkedAt: "2026-12-01T10:00:05Z"))
        var chain = try #require(status()?["audit_chain"] as? [String: Any])
        #expect(chain["ok"] as? Bool == true && chain["rows"] as? Int == 5)

        try t.app.register.db.execute("DELETE FROM audit WHERE id = 3")
        t.clock.advance(seconds: 86_400)
        let second = await AuditChainCheck.run(
            register: t.app.register,
            health: t.app.health,
            clock: t.clock,
            logger: logger
        )
        #expect(second == AuditChainStatus(ok: false, rows: 4, firstBrokenId: 4, checkedAt: "2026-12-02T10:00:05Z"))
        chain = try #require(status()?["audit_chain"] as? [String: Any])
        #expect(chain["ok"] as? Bool == false && chain["first_broken_id"] as? Int == 4)
        #expect(chain["checked_at"] as? String == "2026-12-02T10:00:05Z")
    }
}
