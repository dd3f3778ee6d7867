import KoppelingCore

extension Register {
    static let catalogColumns = """
        id, category, name, description, supplier, price_cents, terms_text, terms_version,
        recommended_prerequisite, carries_eckid_import, data_set_profile, purpose,
        processor_agreement_name, processor_agreement_version, legal_basis, retention, recipients, transfers,
        security
        """

    func catalogEntry(_ r: Row) throws -> CatalogEntry {
        let id = r.text(0)
        let agreement: ProcessorAgreement? =
            if let name = r.optionalText(12), let version = r.optionalText(13) {
                ProcessorAgreement(name: name, version: version)
            } else {
                nil
            }
        return CatalogEntry(
            id: id,
            category: r.text(1),
            name: r.text(2),
            description: r.text(3),
            supplier: r.text(4),
            priceCents: r.optionalInt(5),
            termsText: r.text(6),
            termsVersion: r.text(7),
            recommendedPrerequisite: r.optionalText(8),
            carriesEckidImport: r.int(9) != 0,
            dataSet: DataSet(profile: r.text(10), fields: try dataFields(of: id)),
            purpose: r.text(11),
            processorAgreement: agreement,
            legalBasis: r.optionalText(14),
            retention: r.optionalText(15),
            recipients: r.optionalText(16),
            transfers: r.optionalText(17),
            security: r.optionalText(18)
        )
    }

    func dataFields(of id: String) throws -> [DataSet.Field] {
        try db.query(
            "SELECT name, description, data_subjects FROM catalog_data_field WHERE koppeling_id = ? ORDER BY position",
            [.text(id)]
        ) {
            DataSet.Field(
                name: $0.text(0),
                description: $0.text(1),
                dataSubjects: try $0.optionalText(2).map(ConsentRecords.decodeSubjects)
            )
        }
    }

    public func catalog() throws -> [CatalogEntry] {
        try db.query(
            "SELECT \(Register.catalogColumns) FROM catalog_entry ORDER BY category, sort_order, name",
            [],
            catalogEntry
        )
    }

    public func catalogEntry(_ id: String) throws -> CatalogEntry? {
        try db.queryOne(
            "SELECT \(Register.catalogColumns) FROM catalog_entry WHERE id = ?",
            [.text(id)],
            catalogEntry
        )
    }

    public func requireCatalogEntry(_ id: String) throws -> CatalogEntry {
        guard let e = try catalogEntry(id) else { throw KoppelingError.koppelingNotFound(id) }
        return e
    }

    /// The SHA-256 of a koppeling's terms text of `version`, if that
    /// version was ever loaded.
    public func termsDigest(_ id: String, version: String) throws -> String? {
        try db.queryOne("SELECT sha256 FROM terms WHERE koppeling_id = ? AND version = ?", [.text(id), .text(version)])
        {
            $0.text(0)
        }
    }

    /// What a catalogue load did.
    public struct CatalogLoad: Sendable, Equatable {
        public var added: Int
        public var updated: Int
        /// Active activations whose terms are no longer the current ones
        /// because this load gave a new terms version.
        public var termsOutdated: Int
    }

    /// Upserts by id, all or nothing. Entries not named are kept: an
    /// active koppeling's entry is never dropped. A terms version already
    /// known keeps its text: another text under it is refused.
    public func loadCatalog(_ entries: [CatalogEntry], now: String) throws -> CatalogLoad {
        try inWriteScope {
            let existing = Set(try db.query("SELECT id FROM catalog_entry", []) { $0.text(0) })
            let known = existing.union(entries.map(\.id))
            var violations: [Violation] = []
            var seen: Set<String> = []
            for (i, e) in entries.enumerated() {
                violations += CatalogRules.validate(e, field: "entries[\(i)]", knownIds: known)
                if !seen.insert(e.id).inserted {
                    violations.append(
                        Violation(
                            field: "entries[\(i)].id",
                            reason: .duplicateInBatch,
                            message: "Het id '\(e.id)' komt meer dan eens voor."
                        )
                    )
                }
                let version = e.termsVersion.trimmingWhitespace()
                if let changed = try consentChange(e.normalised) {
                    violations.append(
                        Violation(
                            field: "entries[\(i)].\(changed)",
                            reason: .consentChanged,
                            message:
                                "Wat een school bij '\(e.id)' versie \(version) aanvaardt, ligt vast: '\(changed)' wijkt af "
                                + "van wat onder die versie al geldt. Een wijziging krijgt een nieuwe versie van de "
                                + "voorwaarden (wie akkoord ging, ging akkoord met het oude)."
                        )
                    )
                }
                if let stored = try termsDigest(e.id, version: version), stored != TermsDigest.sha256Hex(e.termsText) {
                    violations.append(
                        Violation(
                            field: "entries[\(i)].terms_text",
                            reason: .termsTextChanged,
                            message:
                                "De gebruikersvoorwaarden van '\(e.id)' versie \(version) hebben al een andere tekst; "
                                + "een nieuwe tekst krijgt een nieuwe versie (wie akkoord ging, las de oude)."
                        )
                    )
                }
            }
            if !violations.isEmpty { throw KoppelingError.rules(violations) }
            var added = 0
            var outdated = 0
            let nextOrder = try db.queryOne("SELECT coalesce(max(sort_order), 0) FROM catalog_entry") { $0.int(0) } ?? 0
            for (i, raw) in entries.enumerated() {
                let e = raw.normalised
                let version = e.termsVersion
                func optional(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
                let values: [SQLValue] = [
                    .text(e.id), .text(e.category), .text(e.name), .text(e.description), .text(e.supplier),
                    e.priceCents.map { .integer(Int64($0)) } ?? .null, .text(e.termsText), .text(version),
                    optional(e.recommendedPrerequisite), .integer(e.carriesEckidImport ? 1 : 0),
                    .text(e.dataSet.profile), .text(e.purpose), optional(e.processorAgreement?.name),
                    optional(e.processorAgreement?.version), optional(e.legalBasis), optional(e.retention),
                    optional(e.recipients), optional(e.transfers), optional(e.security),
                    .integer(Int64(nextOrder + 10 * (i + 1))),
                ]
                if existing.contains(e.id) {
                    try db.run(
                        """
                        UPDATE catalog_entry SET category = ?2, name = ?3, description = ?4, supplier = ?5, price_cents = ?6,
                            terms_text = ?7, terms_version = ?8, recommended_prerequisite = ?9, carries_eckid_import = ?10,
                            data_set_profile = ?11, purpose = ?12, processor_agreement_name = ?13,
                            processor_agreement_version = ?14, legal_basis = ?15, retention = ?16, recipients = ?17,
                            transfers = ?18, security = ?19
                        WHERE id = ?1
                        """,
                        Array(values.prefix(19))
                    )
                } else {
                    try db.run(
                        """
                        INSERT INTO catalog_entry (\(Register.catalogColumns), sort_order)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                        values
                    )
                    added += 1
                }
                try db.run("DELETE FROM catalog_data_field WHERE koppeling_id = ?", [.text(e.id)])
                for (position, f) in e.dataSet.fields.enumerated() {
                    try db.run(
                        """
                        INSERT INTO catalog_data_field (koppeling_id, position, name, description, data_subjects)
                        VALUES (?, ?, ?, ?, ?)
                        """,
                        [
                            .text(e.id), .integer(Int64(position + 1)), .text(f.name), .text(f.description),
                            optional(f.dataSubjects.map(ConsentRecords.encodeSubjects)),
                        ]
                    )
                }
                try recordConsent(of: e.id, now: now)
                try db.run(
                    """
                    INSERT INTO terms (koppeling_id, version, text, sha256, first_loaded_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (koppeling_id, version) DO NOTHING
                    """,
                    [
                        .text(e.id), .text(version), .text(e.termsText), .text(TermsDigest.sha256Hex(e.termsText)),
                        .text(now),
                    ]
                )
                outdated +=
                    try db.queryOne(
                        "SELECT count(*) FROM activation WHERE koppeling_id = ? AND deactivated_at IS NULL AND terms_version <> ?",
                        [.text(e.id), .text(version)]
                    ) { $0.int(0) } ?? 0
            }
            return CatalogLoad(added: added, updated: entries.count - added, termsOutdated: outdated)
        }
    }
}
