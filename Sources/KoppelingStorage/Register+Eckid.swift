import KoppelingCore

extension Register {
    static let importColumns = """
        school_brin6, state, active_from, key_set_at, key_set_by, activated_at, disabled_at, disabled_by, disabled_reason
        """

    static func eckidImport(_ r: Row) -> EckidImportRecord {
        EckidImportRecord(
            school: r.text(0),
            state: EckidImportState(rawValue: r.text(1)) ?? .disabled,
            activeFrom: r.text(2),
            keySetAt: r.text(3),
            keySetBy: r.text(4),
            activatedAt: r.optionalText(5),
            disabledAt: r.optionalText(6),
            disabledBy: r.optionalText(7),
            disabledReason: r.optionalText(8)
        )
    }

    public func eckidImports(school: Brin6?) throws -> [EckidImportRecord] {
        if let school {
            return try db.query(
                "SELECT \(Register.importColumns) FROM eckid_import WHERE school_brin6 = ?",
                [.text(school.value)],
                Register.eckidImport
            )
        }
        return try db.query(
            "SELECT \(Register.importColumns) FROM eckid_import ORDER BY school_brin6",
            [],
            Register.eckidImport
        )
    }

    public struct KeyOutcome: Sendable {
        public let record: EckidImportRecord
        public let changed: Bool
        public let standardKoppelingActive: Bool
    }

    /// Step 6: the authorisation key must equal the verification code of the
    /// school's active TOP dossier – ECKiD activation.
    public func setEckidKey(
        school: Brin6,
        key: String,
        today: LocalDate,
        by caller: Caller,
        now: String
    ) throws -> KeyOutcome {
        try inWriteScope {
            _ = try requireSchool(school)
            guard let activation = try activeActivationRow(school, EckidRules.catalogId) else {
                throw KoppelingError.rules([
                    Violation(
                        field: "brin6",
                        reason: .koppelingNotActive,
                        message:
                            "TOP Dossier – ECKiD is voor school \(school) niet geactiveerd; activeer die koppeling eerst (stap 2–4)."
                    )
                ])
            }
            // A key longer than any code cannot match: it is not hashed.
            let candidate = VerificationCode(plainText: key)
            guard key.unicodeScalars.count <= VerificationCode.maxLength,
                secret.matches(candidate, storedHash: activation.codeHash)
            else {
                throw KoppelingError.rules([
                    Violation(
                        field: "key",
                        reason: .eckidKeyMismatch,
                        message:
                            "De autorisatiesleutel komt niet overeen met de verificatiecode van de geactiveerde koppeling TOP Dossier – ECKiD."
                    )
                ])
            }
            let standardActive = try activeActivationRow(school, EckidRules.standardCatalogId) != nil
            let existing = try db.queryOne(
                "SELECT activation_id, state FROM eckid_import WHERE school_brin6 = ?",
                [.text(school.value)]
            ) { ($0.int(0), $0.text(1)) }
            if let existing, existing.0 == activation.id, existing.1 != EckidImportState.disabled.rawValue {
                let record = try eckidImports(school: school)[0]
                return KeyOutcome(record: record, changed: false, standardKoppelingActive: standardActive)
            }
            let start = LocalDate(iso: activation.startDate) ?? today
            let activeFrom = EckidRules.activeFrom(today: today, activationStart: start)
            try db.run(
                """
                INSERT INTO eckid_import (school_brin6, activation_id, key_hash, state, active_from, key_set_at, key_set_by)
                VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6)
                ON CONFLICT (school_brin6) DO UPDATE SET activation_id = ?2, key_hash = ?3, state = 'pending',
                    active_from = ?4, key_set_at = ?5, key_set_by = ?6, activated_at = NULL,
                    disabled_at = NULL, disabled_by = NULL, disabled_reason = NULL
                """,
                [
                    .text(school.value), .integer(Int64(activation.id)), .blob(activation.codeHash),
                    .text(activeFrom.description), .text(now), .text(caller.user),
                ]
            )
            let record = try eckidImports(school: school)[0]
            return KeyOutcome(record: record, changed: true, standardKoppelingActive: standardActive)
        }
    }

    public func disableEckidImport(school: Brin6, by caller: Caller, now: String) throws -> EckidImportRecord {
        try inWriteScope {
            _ = try requireSchool(school)
            guard let current = try eckidImports(school: school).first else {
                throw KoppelingError.notFound(
                    Violation(
                        field: "brin6",
                        reason: .eckidImportNotFound,
                        message: "Voor school \(school) is geen ECKiD-import ingesteld."
                    )
                )
            }
            if current.state == .disabled {
                throw KoppelingError.conflict(
                    Violation(
                        field: "brin6",
                        reason: .eckidAlreadyDisabled,
                        message: "De ECKiD-import van school \(school) staat al uit."
                    )
                )
            }
            try db.run(
                """
                UPDATE eckid_import SET state = 'disabled', disabled_at = ?, disabled_by = ?, disabled_reason = 'disabled_by_administrator'
                WHERE school_brin6 = ?
                """,
                [.text(now), .text(caller.user), .text(school.value)]
            )
            return try eckidImports(school: school)[0]
        }
    }
}
