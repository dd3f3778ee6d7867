import Crypto
import Foundation
import KoppelingCore
import Testing

@testable import KoppelingStorage

/// The audit trail is tamper-evident: a row edited, removed or inserted
/// without the install secret is found by `verifyAuditChain`, with the
/// first row that no longer verifies.
@Suite("The audit chain")
struct AuditChainTests {
    static let reader = Caller(user: "nobody", uid: 65534, mayChange: false)

    /// `count` rows of different kinds: made and refused, with and without
    /// a school or koppeling.
    @discardableResult
    static func append(_ register: Register, _ count: Int, from first: Int = 1) throws -> [Int64] {
        try (first..<(first + count)).map { i in
            try register.write {
                try register.appendAudit(
                    at: "2026-03-10T09:\(String(format: "%02d", i % 60)):00Z",
                    caller: i % 2 == 0 ? Fixture.admin : reader,
                    method: i % 3 == 0 ? "koppeling.activate" : "school.add",
                    school: i % 4 == 0 ? nil : "21QW0\(i % 10)",
                    koppeling: i % 3 == 0 ? "topdossier-eckid" : nil,
                    outcome: i % 2 == 0 ? .ok : .refused,
                    reasons: i % 2 == 0 ? [] : [.permissionDenied],
                    detail: i % 5 == 0 ? "brin6,name" : ""
                )
            }
        }
    }

    static func verdict(_ register: Register) throws -> (ok: Bool, rows: Int, broken: Int64?) {
        let v = try register.verifyAuditChain()
        return (v.ok, v.rows, v.firstBrokenID)
    }

    @Test func aNewRegisterVerifiesWithNoRows() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            #expect(try Self.verdict(register) == (true, 0, nil))
        }
    }

    @Test func rowsAsWrittenVerify() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            #expect(try Self.append(register, 7) == Array(1...7))
            #expect(try Self.verdict(register) == (true, 7, nil))
            // The head moved with every row, in the same transaction.
            let head = try #require(try register.auditHead())
            #expect(head.lastID == 7 && head.rowCount == 7)
            #expect(try register.db.queryOne("SELECT count(*) FROM audit WHERE length(chain) = 32") { $0.int(0) } == 7)
        }
    }

    @Test func anEditedDetailIsFound() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try Self.append(register, 6)
            try register.db.execute("UPDATE audit SET detail = 'niets aan de hand' WHERE id = 3")
            #expect(try Self.verdict(register) == (false, 6, 3))
        }
    }

    /// Every column is covered, and NULL is not the empty text.
    @Test(arguments: [
        "at = '2026-03-10T10:00:00Z'", "os_user = 'root'", "os_uid = 0", "method = 'school.remove'",
        "school = NULL", "school = ''", "koppeling = 'topdossier'", "outcome = 'ok'", "reasons = ''",
        "detail = 'brin6'",
    ])
    func anyEditedColumnIsFound(_ assignment: String) throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try Self.append(register, 4)
            // Row 3: the reader's refused activation of 21QW03, no detail.
            try register.db.execute("UPDATE audit SET \(assignment) WHERE id = 3")
            #expect(try register.db.queryOne("SELECT changes()") { $0.int(0) } == 1)
            #expect(try Self.verdict(register) == (false, 4, 3))
        }
    }

    @Test func aRemovedRowIsFoundAtTheRowAfterIt() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try Self.append(register, 6)
            try register.db.execute("DELETE FROM audit WHERE id = 3")
            #expect(try Self.verdict(register) == (false, 5, 4))
        }
    }

    /// The chain alone would not show it; the head does.
    @Test func aRemovedLastRowIsFound() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try Self.append(register, 6)
            try register.db.execute("DELETE FROM audit WHERE id >= 5")
            #expect(try Self.verdict(register) == (false, 4, 5))
        }
    }

    /// Someone without the secret edits a row and clears the head, so that a
    /// restart would chain the trail as it is now: the trail is chained only
    /// in the open that upgrades the register, so this stays a break.
    @Test func anUnchainedHeadAfterTheUpgradeIsABreakNotAReasonToChain() throws {
        try withTemporaryDirectory { dir in
            do {
                let register = try dir.openRegister()
                try Self.append(register, 4)
                register.close()
            }
            let raw = try SQLiteConnection(path: dir.databasePath)
            try raw.execute("UPDATE audit SET detail = 'vervalst' WHERE id = 2; UPDATE audit_head SET chain = NULL;")
            raw.close()
            let reopened = try dir.openRegister()
            defer { reopened.close() }
            #expect(reopened.auditRowsChainedAtOpen == 0)
            #expect(try Self.verdict(reopened).0 == false)
        }
    }

    /// The next row is chained onto the head, not onto what is left: the
    /// removal stays visible after the daemon writes on (and the removed
    /// row's id, used again, is where the chain breaks).
    @Test func aRemovedLastRowStaysFoundAfterTheNextRow() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try Self.append(register, 6)
            try register.db.execute("DELETE FROM audit WHERE id = 6")
            try Self.append(register, 2, from: 7)
            #expect(try Self.verdict(register) == (false, 7, 6))
        }
    }

    @Test func aForgedRowIsFoundEvenWithAForgedHead() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try Self.append(register, 5)
            try register.db.execute(
                """
                INSERT INTO audit (id, at, os_user, os_uid, method, school, koppeling, outcome, reasons, detail, chain)
                SELECT 6, at, os_user, os_uid, method, school, koppeling, outcome, reasons, 'verzonnen', randomblob(32)
                FROM audit WHERE id = 5;
                UPDATE audit_head SET last_id = 6, row_count = 6, prev_chain = chain,
                    chain = (SELECT chain FROM audit WHERE id = 6);
                """
            )
            #expect(try Self.verdict(register) == (false, 6, 6))
        }
    }

    /// A row put back in the place of a removed one, with the removed row's
    /// own chain value: the id is covered too.
    @Test func aRowMovedIntoAGapIsFound() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try Self.append(register, 6)
            try register.db.execute(
                """
                DELETE FROM audit WHERE id = 3;
                UPDATE audit SET id = 3 WHERE id = 6;
                """
            )
            #expect(try Self.verdict(register) == (false, 5, 3))
        }
    }

    @Test func twoSwappedRowsAreFound() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try Self.append(register, 6)
            try register.db.execute(
                """
                UPDATE audit SET id = -2 WHERE id = 2;
                UPDATE audit SET id = 2 WHERE id = 4;
                UPDATE audit SET id = 4 WHERE id = -2;
                """
            )
            #expect(try Self.verdict(register) == (false, 6, 2))
        }
    }

    /// Text is bound as a C string: a NUL ends what is stored, and the chain
    /// covers what is stored. Bytes hidden after a NUL by hand (which a
    /// reader of the text would not see) are found.
    @Test func theChainCoversTheStoredBytes() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try register.write {
                try register.appendAudit(
                    at: Fixture.now,
                    caller: Self.reader,
                    method: "school.add",
                    school: nil,
                    koppeling: nil,
                    outcome: .refused,
                    reasons: [.unknownParams],
                    detail: "naam\u{0}verborgen"
                )
            }
            #expect(try Self.verdict(register) == (true, 1, nil))
            try register.db.execute("UPDATE audit SET detail = CAST(X'6E61616D0078' AS TEXT) WHERE id = 1")
            #expect(try register.db.queryOne("SELECT detail FROM audit") { $0.text(0) } == "naam")
            #expect(try Self.verdict(register) == (false, 1, 1))
        }
    }

    /// What a chain with a head in the same database cannot show: the last
    /// rows cut off together with the head set back to the row before them
    /// (chain values are stored in the clear). The daemon logs the head of
    /// each daily check outside the database for this; docs/protocol.md
    /// says so.
    @Test func rowsCutOffTogetherWithTheHeadAreTheDocumentedLimit() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try Self.append(register, 5)
            try register.db.execute(
                """
                DELETE FROM audit WHERE id = 5;
                UPDATE audit_head SET last_id = 4, row_count = 4, chain = (SELECT chain FROM audit WHERE id = 4);
                """
            )
            #expect(try Self.verdict(register) == (true, 4, nil))
        }
    }

    @Test func aMissingHeadIsFound() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try Self.append(register, 3)
            try register.db.execute("DELETE FROM audit_head")
            #expect(try Self.verdict(register) == (false, 3, 4))
            // The daemon writes on; the row after the gap does not verify.
            try Self.append(register, 1, from: 4)
            #expect(try Self.verdict(register) == (false, 4, 4))
        }
    }

    /// Rows chained under another install's secret do not verify here.
    @Test func anotherSecretsChainDoesNotVerify() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            try Self.append(register, 3)
            register.close()
            let other = Register(
                db: try DatabaseSetup.openWriter(path: dir.databasePath),
                secret: InstallSecret(key: SymmetricKey(size: .bits256)),
                path: dir.databasePath
            )
            defer { other.close() }
            #expect(try Self.verdict(other) == (false, 3, 1))
        }
    }

    /// The chain's key is derived from the secret: neither the secret
    /// itself (which keys the code hashes) nor the stored check value.
    @Test func theChainKeyIsItsOwn() throws {
        let raw = SymmetricKey(size: .bits256)
        let secret = InstallSecret(key: raw)
        let key = secret.auditChainKey.withUnsafeBytes { Array($0) }
        #expect(key.count == 32)
        #expect(key != raw.withUnsafeBytes { Array($0) })
        #expect(key != secret.checkValue)
        #expect(
            key == Array(HMAC<SHA256>.authenticationCode(for: Data(InstallSecret.auditChainLabel.utf8), using: raw))
        )
    }

    // MARK: - The summary row of a minute

    static func summary(_ register: Register, uid: Int = 65534, _ detail: String) throws -> Int64 {
        try register.write {
            try register.appendAudit(
                at: Fixture.now,
                caller: Caller(user: "nobody", uid: uid, mayChange: false),
                method: "audit.summary",
                school: nil,
                koppeling: nil,
                outcome: .refused,
                reasons: [.auditSummary],
                detail: detail
            )
        }
    }

    typealias Rewrite = Register.SummaryRewrite

    static func rewrite(_ r: Register, _ id: Int64, uid: Int = 65534, _ detail: String) throws -> Rewrite {
        try r.write { try r.rewriteAuditSummary(id: id, uid: uid, detail: detail) }
    }

    static func detail(_ register: Register, _ id: Int64) throws -> String? {
        try register.db.queryOne("SELECT detail FROM audit WHERE id = ?", [.integer(id)]) { $0.text(0) }
    }

    @Test func theLastSummaryRowIsRewrittenAndStillVerifies() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try Self.append(register, 3)
            let row = try Self.summary(register, "1 weigering(en)")
            #expect(try Self.rewrite(register, row, "2 weigering(en)") == .rewritten)
            #expect(try Self.rewrite(register, row, "3 weigering(en)") == .rewritten)
            #expect(try Self.detail(register, row) == "3 weigering(en)")
            #expect(try Self.verdict(register) == (true, 4, nil))
            try Self.append(register, 1, from: 5)
            #expect(try Self.verdict(register) == (true, 5, nil))
        }
    }

    @Test func aSummaryRowWithRowsAfterItStaysAsItIs() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            let row = try Self.summary(register, "1 weigering(en)")
            try Self.append(register, 1, from: 2)
            #expect(try Self.rewrite(register, row, "2 weigering(en)") == .notLast)
            #expect(try Self.detail(register, row) == "1 weigering(en)")
            #expect(try Self.verdict(register) == (true, 2, nil))
        }
    }

    @Test func anotherCallersOrAMissingSummaryRowIsGone() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            let row = try Self.summary(register, "1 weigering(en)")
            #expect(try Self.rewrite(register, row, uid: 1001, "2 weigering(en)") == .gone)
            #expect(try Self.rewrite(register, row + 1, "2 weigering(en)") == .gone)
            let plain = try Self.append(register, 1, from: 2)[0]
            #expect(try Self.rewrite(register, plain, "2 weigering(en)") == .gone, "not a summary row")
            #expect(try Self.verdict(register) == (true, 2, nil))
        }
    }

    /// Re-chaining a row someone edited would make the edit verify.
    @Test func anEditedSummaryRowIsNotRechained() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try Self.append(register, 2)
            let row = try Self.summary(register, "1 weigering(en)")
            try register.db.execute("UPDATE audit SET os_user = 'iemand anders' WHERE id = \(row)")
            #expect(try Self.rewrite(register, row, "2 weigering(en)") == .notLast)
            #expect(try Self.verdict(register) == (false, 3, row))
        }
    }

    // MARK: - A register of the previous release

    /// Made by the release before the chain (migrations up to 0005), with
    /// audit rows as it wrote them: opened by this version, its rows are
    /// chained once, in batches, and from then on checked like any other.
    @Test func aRegisterOfThePreviousReleaseIsChainedAtOpen() throws {
        try withTemporaryDirectory { dir in
            let old = try DatabaseSetup.openWriter(
                path: dir.databasePath,
                migrations: Array(Migrator.embedded.prefix(5))
            )
            #expect(try Migrator.currentVersion(old) == 5)
            try old.transaction {
                for i in 1...2_345 {
                    try old.run(
                        """
                        INSERT INTO audit (at, os_user, os_uid, method, school, koppeling, outcome, reasons, detail)
                        VALUES (?, 'root', 0, 'school.add', ?, NULL, ?, ?, ?)
                        """,
                        [
                            .text("2026-03-10T09:30:00Z"), i % 7 == 0 ? .null : .text("21QW00"),
                            .text(i % 2 == 0 ? "ok" : "refused"), .text(i % 2 == 0 ? "" : "brin6_format"),
                            .text(i % 3 == 0 ? "brin6" : ""),
                        ]
                    )
                }
            }
            old.close()

            let register = try Register.open(path: dir.databasePath)
            #expect(register.schemaVersion == Migrator.latestVersion)
            #expect(register.auditRowsChainedAtOpen == 2_345)
            #expect(try Self.verdict(register) == (true, 2_345, nil))
            try Self.append(register, 2, from: 2_346)
            #expect(try Self.verdict(register) == (true, 2_347, nil))
            register.close()

            let reopened = try Register.open(path: dir.databasePath)
            defer { reopened.close() }
            #expect(reopened.auditRowsChainedAtOpen == 0, "chained once, at the upgrade")
            #expect(try Self.verdict(reopened) == (true, 2_347, nil))
            try reopened.db.execute("UPDATE audit SET os_uid = 1000 WHERE id = 1200")
            #expect(try Self.verdict(reopened) == (false, 2_347, 1200))
        }
    }
}
