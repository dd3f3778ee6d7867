import KoppelingCore

extension Register {
    /// What changed in the register from `from` up to (not including)
    /// `until`, both RFC 3339 UTC, oldest first. Instants are stored in one
    /// fixed form, so they compare as text.
    public func changes(from: String, until: String) throws -> [RegisterChange] {
        try db.query(
            """
            SELECT at, kind, brin6, koppeling, version, who, detail FROM (
                SELECT activated_at AS at, 'activated' AS kind, school_brin6 AS brin6, koppeling_id AS koppeling,
                       (SELECT terms_version FROM terms_acceptance t WHERE t.activation_id = a.id ORDER BY t.id LIMIT 1)
                           AS version,
                       accepted_by_name AS who, NULL AS detail, 1 AS sort
                FROM activation a WHERE activated_at >= ?1 AND activated_at < ?2
                UNION ALL
                SELECT deactivated_at, 'ended', school_brin6, koppeling_id, NULL, deactivated_by,
                       deactivation_reason, 4
                FROM activation WHERE deactivated_at >= ?1 AND deactivated_at < ?2
                UNION ALL
                SELECT t.accepted_at, 'reaccepted', a.school_brin6, a.koppeling_id, t.terms_version,
                       t.accepted_by_name, NULL, 3
                FROM terms_acceptance t JOIN activation a ON a.id = t.activation_id
                WHERE t.accepted_at >= ?1 AND t.accepted_at < ?2
                  AND t.id > (SELECT min(id) FROM terms_acceptance f WHERE f.activation_id = t.activation_id)
                UNION ALL
                SELECT first_loaded_at, 'terms_version', NULL, koppeling_id, version, NULL, NULL, 0
                FROM terms WHERE first_loaded_at >= ?1 AND first_loaded_at < ?2
                UNION ALL
                SELECT at, 'controller_set', NULL, NULL, NULL, os_user, NULL, 2
                FROM audit WHERE method = 'register.set_controller' AND outcome = 'ok' AND at >= ?1 AND at < ?2
            )
            ORDER BY at, sort, brin6, koppeling
            """,
            [.text(from), .text(until)]
        ) { r in
            // The kinds are the query's own literals above.
            guard let kind = RegisterChange.Kind(rawValue: r.text(1)) else {
                throw SQLiteError(code: 1, message: "unknown change kind \(r.text(1))")
            }
            return RegisterChange(
                at: r.text(0),
                kind: kind,
                brin6: r.optionalText(2),
                koppeling: r.optionalText(3),
                termsVersion: r.optionalText(4),
                by: r.optionalText(5),
                detail: r.optionalText(6)
            )
        }
    }
}
