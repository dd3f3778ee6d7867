import KoppelingCore
import KoppelingProtocol
import KoppelingStorage
import KoppelingTime

extension Application {
    func listCatalog() throws -> CatalogListResult {
        CatalogListResult(entries: try register.catalog().map(CatalogSummary.init))
    }

    func getCatalogEntry(_ p: CatalogGetParams) throws -> CatalogGetResult {
        let id = CatalogRules.normalisedId(p.id)
        guard let e = try register.catalogEntry(id) else {
            throw KoppelingError.notFound(
                Violation(
                    field: "id",
                    reason: .koppelingNotFound,
                    message: "Koppeling '\(id.masked)' staat niet in de catalogus. Zie 'koppelingctl catalog list'."
                )
            )
        }
        return CatalogGetResult(
            entry: CatalogSummary(e),
            terms: .init(version: e.termsVersion, sha256: TermsDigest.sha256Hex(e.termsText), text: e.termsText)
        )
    }

    func loadCatalog(_ p: CatalogLoadParams) throws -> CatalogLoadResult {
        if p.entries.isEmpty {
            throw KoppelingError.rules([
                Violation(field: "entries", reason: .required, message: "Er zijn geen catalogusregels opgegeven.")
            ])
        }
        let load = try register.loadCatalog(p.entries, now: nowStamp)
        return CatalogLoadResult(added: load.added, updated: load.updated, termsOutdated: load.termsOutdated)
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
                dataSet: entry.dataSet,
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
        return ActivateResult(activation: record, warnings: try warnings(for: [validated]))
    }

    /// Advice on activations just made: a weak code, and a recommended
    /// koppeling the school does not have.
    private func warnings(for activations: [ValidatedActivation]) throws -> [Warning] {
        var warnings: [Warning] = []
        for a in activations where a.code.isWeak {
            warnings.append(
                Warning(
                    reason: .verificationCodeWeak,
                    message:
                        "De verificatiecode voor school \(a.school) is zwak: na de BRIN6 staan minder dan \(VerificationCode.minDistinctAfterPrefix) verschillende tekens. Hij is opgeslagen; een gegenereerde code ('koppelingctl verification-code generate') is veiliger."
                )
            )
        }
        for a in activations {
            guard let prerequisite = try register.requireCatalogEntry(a.koppeling).recommendedPrerequisite,
                !(try register.activations(of: a.school, activeOnly: true).contains { $0.koppeling == prerequisite })
            else { continue }
            let name = try register.catalogEntry(prerequisite)?.name ?? prerequisite
            warnings.append(
                Warning(
                    reason: .recommendedPrerequisiteNotActive,
                    message: "Wij raden aan eerst de koppeling \(name) te activeren voor school \(a.school)."
                )
            )
        }
        return warnings
    }

    /// A bestuur's many schools: one consent, each row its own school and
    /// code; every bad row is reported, with its row number, and nothing
    /// is saved unless every row is right.
    func activateMany(_ p: ActivateManyParams, caller: Caller) throws -> ActivateManyResult {
        var violations: [Violation] = []
        if p.schools.isEmpty {
            violations.append(Violation(field: "schools", reason: .required, message: "De lijst met scholen is leeg."))
        } else if p.schools.count > Self.maxSchoolsPerActivation {
            violations.append(
                Violation(
                    field: "schools",
                    reason: .tooLong,
                    message: "Hoogstens \(Self.maxSchoolsPerActivation) scholen per keer; splits de lijst."
                )
            )
        }
        // The consent once; each row only its school and code, so a bad
        // consent still lets every row's own faults and the register's
        // objections be reported together.
        let consent = ActivationRules.validateConsent(
            koppeling: p.koppeling,
            name: p.name,
            agree: p.agree,
            termsVersion: p.termsVersion,
            startDate: p.startDate,
            endDate: p.endDate,
            codes: p.schools.prefix(Self.maxSchoolsPerActivation).map(\.verificationCode),
            today: today,
            into: &violations
        )
        var validated: [(row: Int, activation: ValidatedActivation)] = []
        var seenSchools: Set<Brin6> = []
        var seenCodes: Set<String> = []
        for (i, row) in p.schools.prefix(Self.maxSchoolsPerActivation).enumerated() {
            func report(_ v: Violation) {
                violations.append(
                    Violation(
                        field: "schools[\(i)].\(v.field)",
                        reason: v.reason,
                        message: "Rij \(i + 1): " + v.message,
                        row: i + 1
                    )
                )
            }
            let school: Brin6
            let code: VerificationCode
            switch ActivationRules.validateRow(brin6: row.brin6, verificationCode: row.verificationCode) {
            case .success(let valid): (school, code) = valid
            case .failure(let e):
                e.violations.forEach(report)
                continue
            }
            if !seenSchools.insert(school).inserted {
                report(
                    Violation(field: "brin6", reason: .duplicateInBatch, message: "\(school) staat al eerder in de lijst.")
                )
            }
            if !seenCodes.insert(code.canonical).inserted {
                report(
                    Violation(
                        field: "verification_code",
                        reason: .duplicateInBatch,
                        message: "dezelfde verificatiecode staat al eerder in de lijst; elke school krijgt een eigen code."
                    )
                )
            }
            validated.append((i + 1, ValidatedActivation(consent: consent, school: school, code: code)))
        }
        if !violations.isEmpty {
            // Every bad row at once: the register's objections to the rows
            // that passed their own rules too, in row order.
            if let entry = try register.catalogEntry(consent.koppeling) {
                violations += try register.activationClashes(validated, entry: entry)
            }
            violations = violations.enumerated().sorted {
                ($0.element.row ?? 0, $0.offset) < ($1.element.row ?? 0, $1.offset)
            }
            .map(\.element)
            throw KoppelingError.rules(violations)
        }
        let rows = validated.map(\.activation)
        let records = try register.activateMany(rows, by: caller, now: nowStamp)
        return ActivateManyResult(activations: records, warnings: try warnings(for: rows))
    }

    /// The most schools one `koppeling.activate_many` takes: a large
    /// bestuur has a few hundred vestigingen.
    static let maxSchoolsPerActivation = 1000

    /// Acceptance of new terms for an active koppeling, with its code.
    func reaccept(_ p: ReacceptParams, caller: Caller) throws -> ReacceptResult {
        var violations: [Violation] = []
        let school: Brin6?
        switch Brin6.parse(p.brin6) {
        case .success(let b): school = b
        case .failure(let v):
            school = nil
            violations.append(v)
        }
        let consent = ActivationRules.validateConsent(
            koppeling: p.koppeling,
            name: p.name,
            agree: p.agree,
            termsVersion: p.termsVersion,
            startDate: nil,
            endDate: nil,
            today: today,
            into: &violations
        )
        guard violations.isEmpty, let school else { throw KoppelingError.rules(violations) }
        let record = try register.reaccept(
            school: school,
            koppeling: consent.koppeling,
            name: consent.name,
            termsVersion: consent.termsVersion,
            by: caller,
            now: nowStamp
        )
        return ReacceptResult(activation: record)
    }

    func deactivate(_ p: DeactivateParams, caller: Caller) throws -> DeactivateResult {
        let b = try brin6(p.brin6)
        // It is shown in listings and the processing register.
        let reason: String?
        switch TextRules.deactivationReason(p.reason) {
        case .success(let r): reason = r
        case .failure(let v): throw KoppelingError.rules([v])
        }
        let (record, stopped) = try register.deactivate(
            school: b,
            koppeling: CatalogRules.normalisedId(p.koppeling),
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
