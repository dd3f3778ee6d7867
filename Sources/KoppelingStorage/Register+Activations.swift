import KoppelingCore

extension Register {
    static let activationColumns = """
        a.id, a.school_brin6, a.koppeling_id, c.name, a.accepted_by_name, a.os_user, a.os_uid, a.terms_version,
        a.start_date, a.code_prefix, a.code_length, a.activated_at, a.deactivated_at, a.deactivated_by, a.deactivation_reason
        """

    static func activation(_ r: Row) -> ActivationRecord {
        ActivationRecord(
            id: r.int(0),
            school: r.text(1),
            koppeling: r.text(2),
            koppelingName: r.text(3),
            acceptedByName: r.text(4),
            user: r.text(5),
            uid: r.int(6),
            termsVersion: r.text(7),
            startDate: r.text(8),
            verificationCode: MaskedCode(prefix: r.text(9), length: r.int(10)).description,
            activatedAt: r.text(11),
            active: r.isNull(12),
            deactivatedAt: r.optionalText(12),
            deactivatedBy: r.optionalText(13),
            deactivationReason: r.optionalText(14)
        )
    }

    /// A school's activations, active ones first, newest first.
    public func activations(of school: Brin6, activeOnly: Bool = false) throws -> [ActivationRecord] {
        try db.query(
            """
            SELECT \(Register.activationColumns) FROM activation a JOIN catalog_entry c ON c.id = a.koppeling_id
            WHERE a.school_brin6 = ? \(activeOnly ? "AND a.deactivated_at IS NULL" : "")
            ORDER BY a.deactivated_at IS NOT NULL, a.id DESC
            """,
            [.text(school.value)],
            Register.activation
        )
    }

    func activeActivationRow(
        _ school: Brin6,
        _ koppeling: String
    ) throws -> (id: Int, startDate: String, codeHash: [UInt8])? {
        try db.queryOne(
            """
            SELECT id, start_date, code_hash FROM activation
            WHERE school_brin6 = ? AND koppeling_id = ? AND deactivated_at IS NULL
            """,
            [.text(school.value), .text(koppeling)]
        ) { ($0.int(0), $0.text(1), $0.blob(2)) }
    }

    /// Whether a code was ever used on this server (current or past), in
    /// any case of its prefix (see migrations/0003_secret_check.sql).
    public func isCodeUsed(_ code: VerificationCode) throws -> Bool {
        let hashes = secret.storedHashes(code)
        let marks = Array(repeating: "?", count: hashes.count).joined(separator: ", ")
        return try db.queryOne("SELECT 1 FROM used_code WHERE code_hash IN (\(marks))", hashes.map { .blob($0) }) { _ in
            true
        } ?? false
    }

    /// Steps 3–4: records the activation with the terms version accepted.
    /// The input rules have passed; this checks those that need state.
    public func activate(_ a: ValidatedActivation, by caller: Caller, now: String) throws -> ActivationRecord {
        try inWriteScope {
            _ = try requireSchool(a.school)
            let entry = try requireCatalogEntry(a.koppeling)
            if try activeActivationRow(a.school, a.koppeling) != nil {
                throw KoppelingError.conflict(
                    Violation(
                        field: "koppeling",
                        reason: .alreadyActive,
                        message: "\(entry.name) is voor school \(a.school) al geactiveerd."
                    )
                )
            }
            if try isCodeUsed(a.code) { throw KoppelingError.codeReused }
            let hash = secret.hash(a.code)
            try db.run("INSERT INTO used_code (code_hash, used_at) VALUES (?, ?)", [.blob(hash), .text(now)])
            try db.run(
                """
                INSERT INTO activation (school_brin6, koppeling_id, accepted_by_name, os_user, os_uid, terms_version,
                    start_date, code_hash, code_prefix, code_length, activated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(a.school.value), .text(entry.id), .text(a.acceptedByName), .text(caller.user),
                    .integer(Int64(caller.uid)), .text(entry.termsVersion), .text(a.startDate.description),
                    .blob(hash), .text(a.code.masked.prefix), .integer(Int64(a.code.masked.length)), .text(now),
                ]
            )
            let id = db.lastInsertRowID
            return try db.queryOne(
                """
                SELECT \(Register.activationColumns) FROM activation a JOIN catalog_entry c ON c.id = a.koppeling_id WHERE a.id = ?
                """,
                [.integer(id)],
                Register.activation
            )!
        }
    }

    /// Ends an active koppeling; its ECKiD import, pending or active, stops
    /// with it.
    public func deactivate(
        school: Brin6,
        koppeling: String,
        reason: String?,
        by caller: Caller,
        now: String
    )
        throws -> (activation: ActivationRecord, stoppedImport: Bool)
    {
        try inWriteScope {
            _ = try requireSchool(school)
            let entry = try requireCatalogEntry(koppeling)
            guard let row = try activeActivationRow(school, koppeling) else {
                throw KoppelingError.notFound(
                    Violation(
                        field: "koppeling",
                        reason: .koppelingNotActive,
                        message: "\(entry.name) is voor school \(school) niet geactiveerd."
                    )
                )
            }
            try db.run(
                """
                UPDATE activation SET deactivated_at = ?, deactivated_by = ?, deactivation_reason = ? WHERE id = ?
                """,
                [.text(now), .text(caller.user), reason.map { .text($0) } ?? .null, .integer(Int64(row.id))]
            )
            let stopped = try db.run(
                """
                UPDATE eckid_import SET state = 'disabled', disabled_at = ?, disabled_by = ?, disabled_reason = 'activation_ended'
                WHERE activation_id = ? AND state IN ('pending', 'active')
                """,
                [.text(now), .text(caller.user), .integer(Int64(row.id))]
            )
            let record = try db.queryOne(
                """
                SELECT \(Register.activationColumns) FROM activation a JOIN catalog_entry c ON c.id = a.koppeling_id WHERE a.id = ?
                """,
                [.integer(Int64(row.id))],
                Register.activation
            )!
            return (record, stopped > 0)
        }
    }
}

extension KoppelingError {
    static let codeReused = KoppelingError.conflict(
        Violation(
            field: "verification_code",
            reason: .verificationCodeReused,
            message: "Deze verificatiecode is op deze server al eerder gebruikt; bedenk een nieuwe."
        )
    )
}
