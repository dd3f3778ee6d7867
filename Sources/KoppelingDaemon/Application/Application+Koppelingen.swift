import KoppelingCore
import KoppelingProtocol
import KoppelingTime

extension Application {
    func listCatalog() throws -> CatalogListResult {
        CatalogListResult(entries: try register.catalog().map(CatalogSummary.init))
    }

    func getCatalogEntry(_ p: CatalogGetParams) throws -> CatalogGetResult {
        let id = p.id.trimmingWhitespace().lowercased()
        guard let e = try register.catalogEntry(id) else {
            throw KoppelingError.notFound(
                Violation(
                    field: "id",
                    reason: .koppelingNotFound,
                    message: "Koppeling '\(id.masked)' staat niet in de catalogus. Zie 'koppelingctl catalog list'."
                )
            )
        }
        return CatalogGetResult(entry: CatalogSummary(e), termsText: e.termsText)
    }

    func loadCatalog(_ p: CatalogLoadParams) throws -> CatalogLoadResult {
        if p.entries.isEmpty {
            throw KoppelingError.rules([
                Violation(field: "entries", reason: .required, message: "Er zijn geen catalogusregels opgegeven.")
            ])
        }
        let (added, updated) = try register.loadCatalog(p.entries)
        return CatalogLoadResult(added: added, updated: updated)
    }

    /// The koppelingen screen of step 2.
    func overview(_ p: Brin6Params) throws -> OverviewResult {
        let b = try brin6(p.brin6)
        let school = try register.requireSchool(b)
        let activated = try register.activations(of: b, activeOnly: true)
        let activeIds = Set(activated.map(\.koppeling))
        var categories: [OverviewResult.Category] = []
        for entry in try register.catalog() {
            let item = OverviewResult.Available(
                id: entry.id,
                name: entry.name,
                description: entry.description,
                price: entry.priceText,
                activated: activeIds.contains(entry.id)
            )
            if categories.last?.category == entry.category {
                categories[categories.count - 1].koppelingen.append(item)
            } else {
                categories.append(.init(category: entry.category, koppelingen: [item]))
            }
        }
        return OverviewResult(school: school, available: categories, activated: activated)
    }

    /// Steps 3–4. Every failing rule is reported together; a code used
    /// before is one of them when other rules fail too, and a conflict of
    /// its own when it is the only problem.
    func activate(_ input: ActivationInput, caller: Caller) throws -> ActivateResult {
        let validated: ValidatedActivation
        switch ActivationRules.validate(input, today: today) {
        case .success(let v): validated = v
        case .failure(let error):
            var violations = error.violations
            let codeIsWellFormed = !violations.contains { $0.field == "verification_code" }
            if codeIsWellFormed, try register.isCodeUsed(VerificationCode(plainText: input.verificationCode)) {
                violations.append(
                    Violation(
                        field: "verification_code",
                        reason: .verificationCodeReused,
                        message: "Deze verificatiecode is op deze server al eerder gebruikt; bedenk een nieuwe."
                    )
                )
            }
            throw KoppelingError.rules(violations)
        }
        let record = try register.activate(validated, by: caller, now: nowStamp)
        var warnings: [String] = []
        if let prerequisite = try register.requireCatalogEntry(validated.koppeling).recommendedPrerequisite,
            !(try register.activations(of: validated.school, activeOnly: true).contains { $0.koppeling == prerequisite })
        {
            let name = try register.catalogEntry(prerequisite)?.name ?? prerequisite
            warnings.append("Wij raden aan eerst de koppeling \(name) te activeren voor school \(validated.school).")
        }
        return ActivateResult(activation: record, warnings: warnings)
    }

    func deactivate(_ p: DeactivateParams, caller: Caller) throws -> DeactivateResult {
        let b = try brin6(p.brin6)
        var reason = p.reason?.trimmingWhitespace()
        if reason?.isEmpty == true { reason = nil }
        if let r = reason, r.count > 500 {
            throw KoppelingError.rules([
                Violation(field: "reason", reason: .tooLong, message: "De reden mag hoogstens 500 tekens lang zijn.")
            ])
        }
        let (record, stopped) = try register.deactivate(
            school: b,
            koppeling: p.koppeling.trimmingWhitespace().lowercased(),
            reason: reason,
            by: caller,
            now: nowStamp
        )
        return DeactivateResult(activation: record, eckidImportStopped: stopped)
    }

    func auditList(_ p: AuditListParams) throws -> AuditListResult {
        var violations: [Violation] = []
        var school: String?
        if let raw = p.brin6 {
            switch Brin6.parse(raw) {
            case .success(let b): school = b.value
            case .failure(let v): violations.append(v)
            }
        }
        var since: String?
        if let raw = p.since {
            // A plain date means the start of that day in the daemon's zone.
            if let day = LocalDate(iso: raw) {
                since = Instant.rfc3339(zone.firstInstant(of: day, at: LocalTime(hour: 0, minute: 0)!))
            } else if let d = Instant.parse(raw) {
                since = Instant.rfc3339(d)
            } else {
                violations.append(
                    Violation(
                        field: "since",
                        reason: .dateFormat,
                        message: "'since' moet een datum (JJJJ-MM-DD) of tijdstip (RFC 3339, UTC) zijn."
                    )
                )
            }
        }
        let limit = p.limit ?? 100
        if !(1...10_000).contains(limit) {
            violations.append(
                Violation(field: "limit", reason: .limitRange, message: "'limit' moet tussen 1 en 10000 liggen.")
            )
        }
        if !violations.isEmpty { throw KoppelingError.rules(violations) }
        return AuditListResult(entries: try register.audit(school: school, since: since, limit: limit))
    }
}
