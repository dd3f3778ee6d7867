import KoppelingCore
import KoppelingProtocol

extension Application {
    func addSchool(_ p: SchoolAddParams) throws -> SchoolResult {
        var violations: [Violation] = []
        var brin6: Brin6?
        var name = ""
        switch Brin6.parse(p.brin6) {
        case .success(let b): brin6 = b
        case .failure(let v): violations.append(v)
        }
        switch TextRules.schoolName(p.name) {
        case .success(let n): name = n
        case .failure(let v): violations.append(v)
        }
        guard let brin6, violations.isEmpty else { throw KoppelingError.rules(violations) }
        return SchoolResult(school: try register.addSchool(brin6, name: name, now: nowStamp))
    }

    func listSchools() throws -> SchoolListResult {
        SchoolListResult(schools: try register.schools())
    }

    func getSchool(_ p: Brin6Params) throws -> SchoolDetailResult {
        let b = try brin6(p.brin6)
        let school = try register.requireSchool(b)
        return SchoolDetailResult(
            school: school,
            activations: try register.activations(of: b),
            eckidImport: try register.eckidImports(school: b).first
        )
    }

    func removeSchool(_ p: Brin6Params) throws -> SchoolResult {
        SchoolResult(school: try register.removeSchool(try brin6(p.brin6)))
    }

    /// All or nothing: every bad row is reported, with its row number.
    static let maxSchoolsPerImport = 10_000

    func importSchools(_ p: SchoolImportParams) throws -> SchoolImportResult {
        var violations: [Violation] = []
        var rows: [(Brin6, String)] = []
        var seen: Set<Brin6> = []
        if p.schools.isEmpty {
            throw KoppelingError.rules([
                Violation(field: "schools", reason: .required, message: "De lijst met scholen is leeg.")
            ])
        }
        // Each school imported is an audit row of its own; a bestuur has
        // hundreds of vestigingen, not tens of thousands.
        if p.schools.count > Self.maxSchoolsPerImport {
            throw KoppelingError.rules([
                Violation(
                    field: "schools",
                    reason: .tooLong,
                    message: "Hoogstens \(Self.maxSchoolsPerImport) scholen per keer; splits het bestand."
                )
            ])
        }
        for (i, row) in p.schools.enumerated() {
            let prefix = "schools[\(i)]"
            var brin6: Brin6?
            switch Brin6.parse(row.brin6, field: "\(prefix).brin6") {
            case .success(let b): brin6 = b
            case .failure(let v):
                violations.append(
                    Violation(field: v.field, reason: v.reason, message: "Rij \(i + 1): " + v.message, row: i + 1)
                )
            }
            var name: String?
            switch TextRules.schoolName(row.name, field: "\(prefix).name") {
            case .success(let n): name = n
            case .failure(let v):
                violations.append(
                    Violation(field: v.field, reason: v.reason, message: "Rij \(i + 1): " + v.message, row: i + 1)
                )
            }
            if let b = brin6 {
                if !seen.insert(b).inserted {
                    violations.append(
                        Violation(
                            field: "\(prefix).brin6",
                            reason: .duplicateInBatch,
                            message: "Rij \(i + 1): \(b) staat al eerder in de lijst.",
                            row: i + 1
                        )
                    )
                }
            }
            if let brin6, let name { rows.append((brin6, name)) }
        }
        if !violations.isEmpty { throw KoppelingError.rules(violations) }
        let schools = try register.importSchools(rows, now: nowStamp)
        return SchoolImportResult(imported: schools.count, schools: schools)
    }
}
