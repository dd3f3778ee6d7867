import KoppelingCore

extension Register {
    /// The processing register: one row per activation (active ones, and
    /// ended ones when asked), by school and koppeling.
    public func processingRegister(school: Brin6?, includeEnded: Bool) throws -> [ProcessingRecord] {
        var sql = """
            SELECT a.school_brin6, s.name, a.koppeling_id, c.name, c.category, c.supplier, c.purpose,
                   c.data_set_profile, c.processor_agreement_name, c.processor_agreement_version,
                   a.activated_at, a.accepted_by_name, a.os_user, a.start_date, a.end_date,
                   a.deactivated_at, a.deactivated_by, a.deactivation_reason,
                   a.terms_version, a.terms_sha256, t.accepted_at, t.accepted_by_name,
                   a.deactivated_at IS NULL AND a.terms_version <> c.terms_version
            FROM activation a
            JOIN catalog_entry c ON c.id = a.koppeling_id
            LEFT JOIN school s ON s.brin6 = a.school_brin6
            LEFT JOIN terms_acceptance t ON t.id = (
                SELECT max(id) FROM terms_acceptance WHERE activation_id = a.id
            )
            WHERE 1 = 1
            """
        var values: [SQLValue] = []
        if let school {
            sql += " AND a.school_brin6 = ?"
            values.append(.text(school.value))
        }
        if !includeEnded { sql += " AND a.deactivated_at IS NULL" }
        sql += " ORDER BY a.school_brin6, c.category, c.sort_order, a.id"
        var fields: [String: [DataSet.Field]] = [:]
        return try db.query(sql, values) { r in
            let koppeling = r.text(2)
            if fields[koppeling] == nil { fields[koppeling] = try dataFields(of: koppeling) }
            let agreement: ProcessorAgreement? =
                if let name = r.optionalText(8), let version = r.optionalText(9) {
                    ProcessorAgreement(name: name, version: version)
                } else {
                    nil
                }
            return ProcessingRecord(
                brin6: r.text(0),
                schoolName: r.optionalText(1),
                koppeling: koppeling,
                koppelingName: r.text(3),
                category: r.text(4),
                supplier: r.text(5),
                purpose: r.text(6),
                dataSet: DataSet(profile: r.text(7), fields: fields[koppeling] ?? []),
                processorAgreement: agreement,
                activatedAt: r.text(10),
                activatedByName: r.text(11),
                activatedBy: r.text(12),
                startDate: r.text(13),
                endDate: r.optionalText(14),
                active: r.isNull(15),
                endedAt: r.optionalText(15),
                endedBy: r.optionalText(16),
                endReason: r.optionalText(17),
                termsVersion: r.text(18),
                termsSha256: r.optionalText(19),
                termsAcceptedAt: r.optionalText(20) ?? r.text(10),
                termsAcceptedByName: r.optionalText(21) ?? r.text(11),
                termsOutdated: r.int(22) != 0
            )
        }
    }
}
