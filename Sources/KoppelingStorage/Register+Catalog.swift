import KoppelingCore

extension Register {
    static let catalogColumns = """
        id, category, name, description, supplier, price_cents, terms_text, terms_version,
        recommended_prerequisite, carries_eckid_import
        """

    static func catalogEntry(_ r: Row) -> CatalogEntry {
        CatalogEntry(
            id: r.text(0),
            category: r.text(1),
            name: r.text(2),
            description: r.text(3),
            supplier: r.text(4),
            priceCents: r.optionalInt(5),
            termsText: r.text(6),
            termsVersion: r.text(7),
            recommendedPrerequisite: r.optionalText(8),
            carriesEckidImport: r.int(9) != 0
        )
    }

    public func catalog() throws -> [CatalogEntry] {
        try db.query(
            "SELECT \(Register.catalogColumns) FROM catalog_entry ORDER BY category, sort_order, name",
            [],
            Register.catalogEntry
        )
    }

    public func catalogEntry(_ id: String) throws -> CatalogEntry? {
        try db.queryOne(
            "SELECT \(Register.catalogColumns) FROM catalog_entry WHERE id = ?",
            [.text(id)],
            Register.catalogEntry
        )
    }

    public func requireCatalogEntry(_ id: String) throws -> CatalogEntry {
        guard let e = try catalogEntry(id) else { throw KoppelingError.koppelingNotFound(id) }
        return e
    }

    /// Upserts by id, all or nothing. Entries not named are kept: an
    /// active koppeling's entry is never dropped.
    public func loadCatalog(_ entries: [CatalogEntry]) throws -> (added: Int, updated: Int) {
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
            }
            if !violations.isEmpty { throw KoppelingError.rules(violations) }
            var added = 0
            let nextOrder = try db.queryOne("SELECT coalesce(max(sort_order), 0) FROM catalog_entry") { $0.int(0) } ?? 0
            for (i, e) in entries.enumerated() {
                let values: [SQLValue] = [
                    .text(e.id), .text(e.category.trimmingWhitespace()), .text(e.name.trimmingWhitespace()),
                    .text(e.description.trimmingWhitespace()), .text(e.supplier.trimmingWhitespace()),
                    e.priceCents.map { .integer(Int64($0)) } ?? .null, .text(e.termsText),
                    .text(e.termsVersion.trimmingWhitespace()),
                    e.recommendedPrerequisite.map { .text($0) } ?? .null, .integer(e.carriesEckidImport ? 1 : 0),
                    .integer(Int64(nextOrder + 10 * (i + 1))),
                ]
                if existing.contains(e.id) {
                    try db.run(
                        """
                        UPDATE catalog_entry SET category = ?2, name = ?3, description = ?4, supplier = ?5, price_cents = ?6,
                            terms_text = ?7, terms_version = ?8, recommended_prerequisite = ?9, carries_eckid_import = ?10
                        WHERE id = ?1
                        """,
                        Array(values.prefix(10))
                    )
                } else {
                    try db.run(
                        "INSERT INTO catalog_entry (\(Register.catalogColumns), sort_order) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        values
                    )
                    added += 1
                }
            }
            return (added, entries.count - added)
        }
    }
}
