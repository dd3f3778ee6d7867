import KoppelingCore

extension Register {
    /// Appends one audit row. Never given a secret: callers pass reason
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
        try db.run(
            """
            INSERT INTO audit (at, os_user, os_uid, method, school, koppeling, outcome, reasons, detail)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(at), .text(caller.user), .integer(Int64(caller.uid)), .text(method),
                school.map { .text($0) } ?? .null, koppeling.map { .text($0) } ?? .null,
                .text(outcome.rawValue), .text(reasons.map(\.rawValue).joined(separator: ",")), .text(detail),
            ]
        )
        return db.lastInsertRowID
    }

    /// Rewrites the detail of the audit row `id`; false when there is no
    /// such row (its transaction was rolled back).
    public func updateAuditDetail(id: Int64, detail: String) throws -> Bool {
        requireWriteScope()
        return try db.run("UPDATE audit SET detail = ? WHERE id = ?", [.text(detail), .integer(id)]) > 0
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
