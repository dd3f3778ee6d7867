import KoppelingCore

extension Register {
    /// Appends one audit row, chained onto the last one (`AuditChain`), and
    /// moves the head to it. Never given a secret: callers pass reason
    /// codes and a short detail only.
    @discardableResult
    public func appendAudit(
        at: String,
        caller: Caller,
        method: String,
        school: String?,
        koppeling: String?,
        outcome: AuditEntry.Outcome,
        reasons: [Reason],
        detail: String
    ) throws -> Int64 {
        requireWriteScope()
        // The id is chained, so it is chosen here rather than by the insert
        // (the same one SQLite would choose). The row is chained onto the
        // head, not onto the last row there is: rows removed from the end
        // stay noticed after the next row is written.
        let (id, head) =
            try db.queryOne(
                """
                SELECT (SELECT coalesce(max(id), 0) + 1 FROM audit), h.row_count, h.chain
                FROM (SELECT 1) LEFT JOIN audit_head h ON h.id = 1
                """
            ) { r in (Int64(r.int(0)), r.isNull(2) ? nil : (rows: r.int(1), chain: r.blob(2))) } ?? (1, nil)
        let previous = head?.chain ?? AuditChain.genesis
        let reasonsText = reasons.map(\.rawValue).joined(separator: ",")
        let content = AuditChainRow(
            id: id,
            at: at,
            user: caller.user,
            uid: Int64(caller.uid),
            method: method,
            school: school,
            koppeling: koppeling,
            outcome: outcome.rawValue,
            reasons: reasonsText,
            detail: detail
        )
        let chain = auditChain.link(previous: previous, content)
        try db.run(
            """
            INSERT INTO audit (id, at, os_user, os_uid, method, school, koppeling, outcome, reasons, detail, chain)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .integer(id), .text(at), .text(caller.user), .integer(Int64(caller.uid)), .text(method),
                school.map { .text($0) } ?? .null, koppeling.map { .text($0) } ?? .null,
                .text(outcome.rawValue), .text(reasonsText), .text(detail), .blob(chain),
            ]
        )
        try setAuditHead(lastID: id, rowCount: (head?.rows ?? 0) + 1, chain: chain, previous: previous)
        return id
    }

    public enum SummaryRewrite: Sendable, Equatable {
        /// The row now says the new count.
        case rewritten
        /// Other rows were written after it (or it does not verify): it
        /// stays as it is, and a new summary row counts from here on.
        case notLast
        /// There is no such summary row of this caller (its transaction was
        /// rolled back).
        case gone
    }

    /// Rewrites the detail of `uid`'s summary row `id` (`audit.summary`),
    /// re-chaining it. Only the last row of the chain can change without
    /// breaking the rows after it, and only one that verifies is re-chained:
    /// re-chaining a row someone edited would make the edit look genuine.
    public func rewriteAuditSummary(id: Int64, uid: Int, detail: String) throws -> SummaryRewrite {
        requireWriteScope()
        let found = try db.queryOne(
            "SELECT \(AuditChainRow.columns), chain FROM audit WHERE id = ? AND method = 'audit.summary' AND os_uid = ?",
            [.integer(id), .integer(Int64(uid))]
        ) { r in (row: AuditChainRow(row: r), chain: r.isNull(10) ? nil : r.blob(10)) }
        guard let found else { return .gone }
        var scratch: [UInt8] = []
        guard let head = try auditHead(), head.lastID == id, let previous = head.previous, head.chain == found.chain,
            auditChain.verifies(found.chain, previous: previous, found.row, buffer: &scratch)
        else { return .notLast }
        var row = found.row
        row.detail = AuditChainRow.stored(detail)
        let chain = auditChain.link(previous: previous, row)
        try db.run("UPDATE audit SET detail = ?, chain = ? WHERE id = ?", [.text(detail), .blob(chain), .integer(id)])
        try setAuditHead(lastID: id, rowCount: head.rowCount, chain: chain, previous: previous)
        return .rewritten
    }

    /// The result of checking the whole chain.
    public struct AuditChainVerdict: Sendable, Equatable {
        public var ok: Bool
        /// The rows in the trail.
        public var rows: Int
        /// The first row that does not verify (edited, or after a row that
        /// was removed or inserted); when every row verifies but the trail
        /// ends before the head (rows removed from the end), the id after
        /// the last row. Nil when the trail is intact.
        public var firstBrokenID: Int64?
        /// Where an intact chain ends: the last row's id and chain value
        /// (0 and `genesis` for an empty trail), for a record outside the
        /// database; meaningless when broken.
        public var lastID: Int64 = 0
        public var lastChain: [UInt8] = []

        public init(ok: Bool, rows: Int, firstBrokenID: Int64?) {
            self.ok = ok
            self.rows = rows
            self.firstBrokenID = firstBrokenID
        }
    }

    /// Checks every row in id order, in one snapshot, one row in memory at
    /// a time, then the head.
    public func verifyAuditChain() throws -> AuditChainVerdict {
        try read {
            var previous = AuditChain.genesis
            var rows = 0
            var lastID: Int64 = 0
            var broken: Int64?
            var scratch: [UInt8] = []
            scratch.reserveCapacity(512)
            try db.forEach("SELECT \(AuditChainRow.columns), chain FROM audit ORDER BY id") { r in
                rows += 1
                // Past the first break the rows are only counted: nothing
                // after it can be trusted, and the answer names the first.
                guard broken == nil else { return }
                let row = AuditChainRow(row: r)
                let stored = r.isNull(10) ? nil : r.blob(10)
                if !auditChain.verifies(stored, previous: previous, row, buffer: &scratch) { broken = row.id }
                previous = stored ?? []
                lastID = row.id
            }
            if broken == nil {
                let head = try auditHead()
                if head?.chain != previous || head?.lastID != lastID || head?.rowCount != rows { broken = lastID + 1 }
            }
            var verdict = AuditChainVerdict(ok: broken == nil, rows: rows, firstBrokenID: broken)
            verdict.lastID = lastID
            verdict.lastChain = previous
            return verdict
        }
    }

    /// Chains the rows of a register made before the audit chain (migration
    /// 0007 leaves its head unchained), in id order, in batches so memory
    /// stays flat; returns how many. Runs at open, in the transaction that
    /// also stores the secret's check value. These rows are taken as they
    /// are: what happened to them before this version cannot be checked.
    func chainEarlierAuditRows() throws -> Int {
        requireWriteScope()
        guard let head = try auditHead(), head.chain == nil else { return 0 }
        var previous = AuditChain.genesis
        var beforeLast = AuditChain.genesis
        var lastID: Int64 = 0
        var count = 0
        while true {
            let batch = try db.query(
                "SELECT \(AuditChainRow.columns) FROM audit WHERE id > ? ORDER BY id LIMIT 1000",
                [.integer(lastID)]
            ) { AuditChainRow(row: $0) }
            if batch.isEmpty { break }
            for row in batch {
                let chain = auditChain.link(previous: previous, row)
                try db.run("UPDATE audit SET chain = ? WHERE id = ?", [.blob(chain), .integer(row.id)])
                beforeLast = previous
                previous = chain
                lastID = row.id
                count += 1
            }
        }
        try setAuditHead(lastID: lastID, rowCount: count, chain: previous, previous: beforeLast)
        return count
    }

    struct AuditHead {
        var lastID: Int64
        var rowCount: Int
        /// Nil while the rows of an earlier version are still to be chained.
        var chain: [UInt8]?
        /// What the last row was chained onto.
        var previous: [UInt8]?
    }

    /// Where the audit chain stands: its last row's id and chain value (hex),
    /// for the heading of an export, so a printed copy can be matched to
    /// the trail. Nil while the trail is empty or not yet chained.
    public func auditChainHead() throws -> (id: Int64, value: String)? {
        guard let head = try auditHead(), let chain = head.chain else { return nil }
        return (head.lastID, TermsDigest.hex(chain))
    }

    func auditHead() throws -> AuditHead? {
        try db.queryOne("SELECT last_id, row_count, chain, prev_chain FROM audit_head WHERE id = 1") { r in
            AuditHead(
                lastID: Int64(r.int(0)),
                rowCount: r.int(1),
                chain: r.isNull(2) ? nil : r.blob(2),
                previous: r.isNull(3) ? nil : r.blob(3)
            )
        }
    }

    private func setAuditHead(lastID: Int64, rowCount: Int, chain: [UInt8], previous: [UInt8]) throws {
        try db.run(
            """
            INSERT INTO audit_head (id, last_id, row_count, chain, prev_chain) VALUES (1, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, row_count = excluded.row_count,
                chain = excluded.chain, prev_chain = excluded.prev_chain
            """,
            [.integer(lastID), .integer(Int64(rowCount)), .blob(chain), .blob(previous)]
        )
    }

    /// Newest first, optionally for one school and since an instant.
    public func audit(school: String?, since: String?, limit: Int) throws -> [AuditEntry] {
        var sql =
            "SELECT id, at, os_user, os_uid, method, school, koppeling, outcome, reasons, detail FROM audit WHERE 1 = 1"
        var values: [SQLValue] = []
        if let school {
            sql += " AND school = ?"
            values.append(.text(school))
        }
        if let since {
            sql += " AND at >= ?"
            values.append(.text(since))
        }
        sql += " ORDER BY id DESC LIMIT ?"
        values.append(.integer(Int64(limit)))
        return try db.query(sql, values) { r in
            AuditEntry(
                id: r.int(0),
                at: r.text(1),
                user: r.text(2),
                uid: r.int(3),
                method: r.text(4),
                school: r.optionalText(5),
                koppeling: r.optionalText(6),
                outcome: AuditEntry.Outcome(rawValue: r.text(7)) ?? .error,
                reasons: r.text(8).split(separator: ",").map(String.init),
                detail: r.text(9)
            )
        }
    }
}
