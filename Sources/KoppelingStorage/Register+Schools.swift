import KoppelingCore

extension Register {
    static func school(_ r: Row) -> School {
        School(brin6: r.text(0), name: r.text(1), createdAt: r.text(2))
    }

    public func schools() throws -> [School] {
        try db.query("SELECT brin6, name, created_at FROM school ORDER BY brin6", [], Register.school)
    }

    public func school(_ brin6: Brin6) throws -> School? {
        try db.queryOne(
            "SELECT brin6, name, created_at FROM school WHERE brin6 = ?",
            [.text(brin6.value)],
            Register.school
        )
    }

    public func requireSchool(_ brin6: Brin6) throws -> School {
        guard let s = try school(brin6) else { throw KoppelingError.schoolNotFound(brin6) }
        return s
    }

    public func addSchool(_ brin6: Brin6, name: String, now: String) throws -> School {
        try inWriteScope {
            if try school(brin6) != nil {
                throw KoppelingError.conflict(
                    Violation(
                        field: "brin6",
                        reason: .schoolExists,
                        message: "School \(brin6) is al geregistreerd."
                    )
                )
            }
            try db.run(
                "INSERT INTO school (brin6, name, created_at) VALUES (?, ?, ?)",
                [.text(brin6.value), .text(name), .text(now)]
            )
            return School(brin6: brin6.value, name: name, createdAt: now)
        }
    }

    /// Adds every school or none. Bad rows are reported together by the
    /// caller's validation; here only clashes with stored schools remain.
    public func importSchools(_ rows: [(Brin6, String)], now: String) throws -> [School] {
        try inWriteScope {
            var clashes: [Violation] = []
            for (i, (brin6, _)) in rows.enumerated() where try school(brin6) != nil {
                clashes.append(
                    Violation(
                        field: "schools[\(i)].brin6",
                        reason: .schoolExists,
                        message: "Rij \(i + 1): school \(brin6) is al geregistreerd.",
                        row: i + 1
                    )
                )
            }
            if !clashes.isEmpty { throw KoppelingError.rules(clashes) }
            for (brin6, name) in rows {
                try db.run(
                    "INSERT INTO school (brin6, name, created_at) VALUES (?, ?, ?)",
                    [.text(brin6.value), .text(name), .text(now)]
                )
            }
            return rows.map { School(brin6: $0.0.value, name: $0.1, createdAt: now) }
        }
    }

    public func removeSchool(_ brin6: Brin6) throws -> School {
        try inWriteScope {
            let s = try requireSchool(brin6)
            let active = try db.query(
                """
                SELECT koppeling_id FROM activation WHERE school_brin6 = ? AND deactivated_at IS NULL ORDER BY koppeling_id
                """,
                [.text(brin6.value)]
            ) { $0.text(0) }
            if !active.isEmpty {
                throw KoppelingError.conflict(
                    Violation(
                        field: "brin6",
                        reason: .schoolHasActiveKoppelingen,
                        message:
                            "School \(brin6) heeft nog actieve koppelingen (\(active.joined(separator: ", "))); deactiveer die eerst."
                    )
                )
            }
            try db.run("DELETE FROM school WHERE brin6 = ?", [.text(brin6.value)])
            return s
        }
    }
}
