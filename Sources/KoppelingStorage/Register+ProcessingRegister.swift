import KoppelingCore

extension Register {
    /// The processing register: one row per activation (active ones, and
    /// ended ones when asked), by school and koppeling, each with the whole
    /// its last acceptance agreed to.
    public func processingRegister(school: Brin6?, includeEnded: Bool) throws -> [ProcessingRecord] {
        var sql = """
            SELECT a.school_brin6, s.name, a.koppeling_id, c.name, c.category,
                   a.activated_at, a.accepted_by_name, a.os_user, a.start_date, a.end_date,
                   a.deactivated_at, a.deactivated_by, a.deactivation_reason,
                   a.terms_version, a.terms_sha256, t.accepted_at, t.accepted_by_name,
                   a.deactivated_at IS NULL AND a.terms_version <> c.terms_version,
                   t.consent_sha256, d.document, d.sha256, d.recorded_at, today.sha256, d.recorded_at_upgrade
            FROM activation a
            JOIN catalog_entry c ON c.id = a.koppeling_id
            LEFT JOIN school s ON s.brin6 = a.school_brin6
            LEFT JOIN terms_acceptance t ON t.id = (
                SELECT max(id) FROM terms_acceptance WHERE activation_id = a.id
            )
            LEFT JOIN consent_document d ON d.koppeling_id = a.koppeling_id AND d.version = a.terms_version
            LEFT JOIN consent_document today ON today.koppeling_id = c.id AND today.version = c.terms_version
            WHERE 1 = 1
            """
        var values: [SQLValue] = []
        if let school {
            sql += " AND a.school_brin6 = ?"
            values.append(.text(school.value))
        }
        if !includeEnded { sql += " AND a.deactivated_at IS NULL" }
        sql += " ORDER BY a.school_brin6, c.category, c.sort_order, a.id"
        // Many rows share a whole: each is decoded once.
        var wholes: [String: ConsentDocument] = [:]
        return try db.query(sql, values) { r in
            var accepted: ConsentDocument?
            var record = ProcessingRecord.AcceptedRecord.notKept
            // An acceptance that kept a hash names the whole it saw. One made
            // before wholes were kept has none: its version's whole recorded
            // at the upgrade is shown as such; one recorded later, by a load,
            // says nothing about what that acceptance saw.
            if let json = r.optionalText(19) {
                let sha = r.text(20)
                if r.optionalText(18) == sha {
                    record = .atAcceptance
                } else if r.int(23) != 0 {
                    record = .atUpgrade
                }
                if record != .notKept {
                    if wholes[sha] == nil { wholes[sha] = try ConsentRecords.decode(json) }
                    accepted = wholes[sha]
                }
            }
            return ProcessingRecord(
                brin6: r.text(0),
                schoolName: r.optionalText(1),
                koppeling: r.text(2),
                koppelingName: r.text(3),
                category: r.text(4),
                accepted: accepted,
                acceptedRecord: record,
                acceptedRecordedAt: accepted == nil ? nil : r.optionalText(21),
                consentSha256: accepted == nil ? nil : r.optionalText(20),
                catalogDiffers: accepted == nil ? nil : r.optionalText(22) != r.optionalText(20),
                activatedAt: r.text(5),
                activatedByName: r.text(6),
                activatedBy: r.text(7),
                startDate: r.text(8),
                endDate: r.optionalText(9),
                active: r.isNull(10),
                endedAt: r.optionalText(10),
                endedBy: r.optionalText(11),
                endReason: r.optionalText(12),
                termsVersion: r.text(13),
                termsSha256: r.optionalText(14),
                termsAcceptedAt: r.optionalText(15) ?? r.text(5),
                termsAcceptedByName: r.optionalText(16) ?? r.text(6),
                termsOutdated: r.int(17) != 0
            )
        }
    }
}
