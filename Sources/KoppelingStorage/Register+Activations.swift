import KoppelingCore

extension Register {
    static let activationColumns = """
        a.id, a.school_brin6, a.koppeling_id, c.name, a.accepted_by_name, a.os_user, a.os_uid, a.terms_version,
        a.start_date, a.code_prefix, a.code_length, a.activated_at, a.deactivated_at, a.deactivated_by, a.deactivation_reason,
        a.terms_sha256, a.deactivated_at IS NULL AND a.terms_version <> c.terms_version, a.end_date
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
            termsSha256: r.optionalText(15),
            termsOutdated: r.int(16) != 0,
            startDate: r.text(8),
            endDate: r.optionalText(17),
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

    /// Steps 3–4: records the activation with the terms version accepted
    /// and the SHA-256 of its text. The input rules have passed; this
    /// checks those that need state.
    public func activate(_ a: ValidatedActivation, by caller: Caller, now: String) throws -> ActivationRecord {
        try inWriteScope {
            _ = try requireSchool(a.school)
            let entry = try requireCatalogEntry(a.koppeling)
            try requireCurrentTerms(entry, shown: a.termsVersion)
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
            let id = try insertActivation(a, entry: entry, by: caller, now: now)
            return try activation(id: id)
        }
    }

    /// The terms shown must be the current ones.
    func requireCurrentTerms(_ entry: CatalogEntry, shown: String) throws {
        guard shown == entry.termsVersion else {
            throw KoppelingError.termsChanged(
                Violation(
                    field: "terms_version",
                    reason: .termsChanged,
                    message:
                        "De gebruikersvoorwaarden van \(entry.name) zijn gewijzigd: u las versie \(shown.masked), "
                        + "de huidige is \(entry.termsVersion). Lees de nieuwe voorwaarden en ga opnieuw akkoord."
                ),
                currentVersion: entry.termsVersion
            )
        }
    }

    /// Writes the activation, its code and its first acceptance; the rules
    /// have been checked.
    func insertActivation(_ a: ValidatedActivation, entry: CatalogEntry, by caller: Caller, now: String) throws -> Int64
    {
        let hash = secret.hash(a.code)
        let digest = try termsDigest(entry.id, version: entry.termsVersion)
        try db.run("INSERT INTO used_code (code_hash, used_at) VALUES (?, ?)", [.blob(hash), .text(now)])
        try db.run(
            """
            INSERT INTO activation (school_brin6, koppeling_id, accepted_by_name, os_user, os_uid, terms_version,
                start_date, code_hash, code_prefix, code_length, activated_at, terms_sha256, end_date)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(a.school.value), .text(entry.id), .text(a.acceptedByName), .text(caller.user),
                .integer(Int64(caller.uid)), .text(entry.termsVersion), .text(a.startDate.description),
                .blob(hash), .text(a.code.masked.prefix), .integer(Int64(a.code.masked.length)), .text(now),
                digest.map { .text($0) } ?? .null, a.endDate.map { .text($0.description) } ?? .null,
            ]
        )
        let id = db.lastInsertRowID
        try recordAcceptance(
            activation: id,
            version: entry.termsVersion,
            digest: digest,
            name: a.acceptedByName,
            caller: caller,
            now: now
        )
        return id
    }

    func recordAcceptance(
        activation: Int64,
        version: String,
        digest: String?,
        name: String,
        caller: Caller,
        now: String
    ) throws {
        try db.run(
            """
            INSERT INTO terms_acceptance (activation_id, terms_version, terms_sha256, accepted_by_name, os_user, os_uid,
                accepted_at, consent_sha256)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, (
                -- The whole accepted with the version, kept by every load.
                SELECT d.sha256 FROM consent_document d
                WHERE d.koppeling_id = (SELECT koppeling_id FROM activation WHERE id = ?1) AND d.version = ?2
            ))
            """,
            [
                .integer(activation), .text(version), digest.map { .text($0) } ?? .null, .text(name),
                .text(caller.user),
                .integer(Int64(caller.uid)), .text(now),
            ]
        )
    }

    func activation(id: Int64) throws -> ActivationRecord {
        try db.queryOne(
            """
            SELECT \(Register.activationColumns) FROM activation a JOIN catalog_entry c ON c.id = a.koppeling_id WHERE a.id = ?
            """,
            [.integer(id)],
            Register.activation
        )!
    }

    /// A bestuur's many schools: one consent, one activation per row, all
    /// or nothing. Every row that clashes with the register is reported,
    /// each with its row number.
    public func activateMany(
        _ rows: [ValidatedActivation],
        by caller: Caller,
        now: String
    ) throws -> [ActivationRecord] {
        try inWriteScope {
            guard let first = rows.first else { return [] }
            let entry = try requireCatalogEntry(first.koppeling)
            try requireCurrentTerms(entry, shown: first.termsVersion)
            let violations = try activationClashes(rows.enumerated().map { ($0.offset + 1, $0.element) }, entry: entry)
            if !violations.isEmpty { throw KoppelingError.rules(violations) }
            var ids: [Int64] = []
            for a in rows { ids.append(try insertActivation(a, entry: entry, by: caller, now: now)) }
            return try ids.map { try activation(id: $0) }
        }
    }

    /// What the register says against rows of a board's activation (each
    /// with its 1-based row number): a school not registered, a koppeling
    /// already active, a code used before. A read: the caller can report
    /// these together with the rows' own rule failures.
    public func activationClashes(_ rows: [(row: Int, ValidatedActivation)], entry: CatalogEntry) throws -> [Violation]
    {
        var violations: [Violation] = []
        for (row, a) in rows {
            let i = row - 1
            let field = "schools[\(i)]"
            if try school(a.school) == nil {
                violations.append(
                    Violation(
                        field: "\(field).brin6",
                        reason: .schoolNotFound,
                        message: "Rij \(i + 1): school \(a.school) is niet geregistreerd.",
                        row: i + 1
                    )
                )
            } else if try activeActivationRow(a.school, a.koppeling) != nil {
                violations.append(
                    Violation(
                        field: "\(field).brin6",
                        reason: .alreadyActive,
                        message: "Rij \(i + 1): \(entry.name) is voor school \(a.school) al geactiveerd.",
                        row: i + 1
                    )
                )
            }
            if try isCodeUsed(a.code) {
                violations.append(
                    Violation(
                        field: "\(field).verification_code",
                        reason: .verificationCodeReused,
                        message: "Rij \(i + 1): deze verificatiecode is op deze server al eerder gebruikt.",
                        row: i + 1
                    )
                )
            }
        }
        return violations
    }

    /// Records acceptance of the current terms for an active koppeling,
    /// with the code it has; nothing else changes.
    public func reaccept(
        school: Brin6,
        koppeling: String,
        name: String,
        termsVersion: String,
        by caller: Caller,
        now: String
    ) throws -> ActivationRecord {
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
            try requireCurrentTerms(entry, shown: termsVersion)
            let current = try activation(id: Int64(row.id))
            if !current.termsOutdated {
                throw KoppelingError.conflict(
                    Violation(
                        field: "terms_version",
                        reason: .termsAlreadyAccepted,
                        message:
                            "Voor \(entry.name) bij school \(school) zijn de huidige voorwaarden (versie \(entry.termsVersion)) al geaccepteerd; er is niets veranderd."
                    )
                )
            }
            let digest = try termsDigest(entry.id, version: entry.termsVersion)
            try db.run(
                "UPDATE activation SET terms_version = ?, terms_sha256 = ? WHERE id = ?",
                [.text(entry.termsVersion), digest.map { .text($0) } ?? .null, .integer(Int64(row.id))]
            )
            try recordAcceptance(
                activation: Int64(row.id),
                version: entry.termsVersion,
                digest: digest,
                name: name,
                caller: caller,
                now: now
            )
            return try activation(id: Int64(row.id))
        }
    }

    /// Active activations whose end date falls from `from` to `through`,
    /// soonest first.
    public func activationsEnding(from: LocalDate, through: LocalDate) throws -> [ActivationRecord] {
        try db.query(
            """
            SELECT \(Register.activationColumns) FROM activation a JOIN catalog_entry c ON c.id = a.koppeling_id
            WHERE a.deactivated_at IS NULL AND a.end_date BETWEEN ? AND ?
            ORDER BY a.end_date, a.school_brin6, a.koppeling_id
            """,
            [.text(from.description), .text(through.description)],
            Register.activation
        )
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
            return (try activation(id: Int64(row.id)), stopped > 0)
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
