import KoppelingCore

public struct HelloResult: Codable, Sendable {
    public var daemon: String
    public var version: String
    public var `protocol`: Int
    public var methods: [String]
    public init(daemon: String, version: String, protocol: Int, methods: [String]) {
        self.daemon = daemon
        self.version = version
        self.protocol = `protocol`
        self.methods = methods
    }
}

/// `version`: which daemon answers and which protocol it speaks, without
/// the list of methods `hello` adds.
public struct VersionResult: Codable, Sendable {
    public var daemon: String
    public var version: String
    public var `protocol`: Int
    public init(daemon: String, version: String, protocol: Int) {
        self.daemon = daemon
        self.version = version
        self.protocol = `protocol`
    }
}

public struct SchoolResult: Codable, Sendable {
    public var school: School
    public init(school: School) { self.school = school }
}

public struct SchoolListResult: Codable, Sendable {
    public var schools: [School]
    public init(schools: [School]) { self.schools = schools }
}

public struct SchoolDetailResult: Codable, Sendable {
    public var school: School
    public var activations: [ActivationRecord]
    @NullWhenAbsent public var eckidImport: EckidImportRecord?
    public init(school: School, activations: [ActivationRecord], eckidImport: EckidImportRecord?) {
        self.school = school
        self.activations = activations
        self.eckidImport = eckidImport
    }
    enum CodingKeys: String, CodingKey {
        case school, activations
        case eckidImport = "eckid_import"
    }

}

public struct SchoolImportResult: Codable, Sendable {
    public var imported: Int
    public var schools: [School]
    public init(imported: Int, schools: [School]) {
        self.imported = imported
        self.schools = schools
    }
}

/// A catalogue entry without its terms text, as listings show it.
public struct CatalogSummary: Codable, Sendable {
    public var id: String
    public var category: String
    public var name: String
    public var description: String
    public var supplier: String
    @NullWhenAbsent public var priceCents: Int?
    public var price: String
    public var termsVersion: String
    @NullWhenAbsent public var recommendedPrerequisite: String?
    public var carriesEckidImport: Bool
    public var dataSet: DataSet
    public var purpose: String
    @NullWhenAbsent public var processorAgreement: ProcessorAgreement?

    public init(_ e: CatalogEntry) {
        id = e.id
        category = e.category
        name = e.name
        description = e.description
        supplier = e.supplier
        priceCents = e.priceCents
        price = e.priceText
        termsVersion = e.termsVersion
        recommendedPrerequisite = e.recommendedPrerequisite
        carriesEckidImport = e.carriesEckidImport
        dataSet = e.dataSet
        purpose = e.purpose
        processorAgreement = e.processorAgreement
    }

    enum CodingKeys: String, CodingKey {
        case id, category, name, description, supplier, price, purpose
        case priceCents = "price_cents"
        case termsVersion = "terms_version"
        case recommendedPrerequisite = "recommended_prerequisite"
        case carriesEckidImport = "carries_eckid_import"
        case dataSet = "data_set"
        case processorAgreement = "processor_agreement"
    }

}

public struct CatalogListResult: Codable, Sendable {
    public var entries: [CatalogSummary]
    public init(entries: [CatalogSummary]) { self.entries = entries }
}

/// One koppeling with the terms a person reads before agreeing.
public struct CatalogGetResult: Codable, Sendable {
    public struct Terms: Codable, Sendable {
        /// What `koppeling.activate` must carry as `terms_version`.
        public var version: String
        /// Of the text's UTF-8 bytes, lower-case hex (`sha256sum` of a saved copy).
        public var sha256: String
        public var text: String
        public init(version: String, sha256: String, text: String) {
            self.version = version
            self.sha256 = sha256
            self.text = text
        }
    }
    public var entry: CatalogSummary
    public var terms: Terms
    public init(entry: CatalogSummary, terms: Terms) {
        self.entry = entry
        self.terms = terms
    }
}

public struct CatalogLoadResult: Codable, Sendable {
    public var added: Int
    public var updated: Int
    /// Active activations of the loaded koppelingen whose accepted terms
    /// are not the current version (they stay active; see `koppeling.reaccept`).
    public var termsOutdated: Int
    public init(added: Int, updated: Int, termsOutdated: Int) {
        self.added = added
        self.updated = updated
        self.termsOutdated = termsOutdated
    }
    enum CodingKeys: String, CodingKey {
        case added, updated
        case termsOutdated = "terms_outdated"
    }
}

/// The screen of step 2: available koppelingen per category with an
/// `activated` mark, and the activated ones.
public struct OverviewResult: Codable, Sendable {
    public struct Available: Codable, Sendable {
        public var id: String
        public var name: String
        public var description: String
        public var price: String
        public var dataSet: DataSet
        public var activated: Bool
        public init(id: String, name: String, description: String, price: String, dataSet: DataSet, activated: Bool) {
            self.id = id
            self.name = name
            self.description = description
            self.price = price
            self.dataSet = dataSet
            self.activated = activated
        }
        enum CodingKeys: String, CodingKey {
            case id, name, description, price, activated
            case dataSet = "data_set"
        }
    }
    public struct Category: Codable, Sendable {
        public var category: String
        public var koppelingen: [Available]
        public init(category: String, koppelingen: [Available]) {
            self.category = category
            self.koppelingen = koppelingen
        }
    }
    public var school: School
    public var available: [Category]
    public var activated: [ActivationRecord]
    public init(school: School, available: [Category], activated: [ActivationRecord]) {
        self.school = school
        self.available = available
        self.activated = activated
    }
}

public struct ActivateResult: Codable, Sendable {
    public var activation: ActivationRecord
    public var warnings: [Warning]
    public init(activation: ActivationRecord, warnings: [Warning]) {
        self.activation = activation
        self.warnings = warnings
    }
}

public struct DeactivateResult: Codable, Sendable {
    public var activation: ActivationRecord
    public var eckidImportStopped: Bool
    public init(activation: ActivationRecord, eckidImportStopped: Bool) {
        self.activation = activation
        self.eckidImportStopped = eckidImportStopped
    }
    enum CodingKeys: String, CodingKey {
        case activation
        case eckidImportStopped = "eckid_import_stopped"
    }
}

public struct SetKeyResult: Codable, Sendable {
    public var state: EckidImportState
    public var activeFrom: String
    public var changed: Bool
    public var warnings: [Warning]
    public var `import`: EckidImportRecord
    public init(
        state: EckidImportState,
        activeFrom: String,
        changed: Bool,
        warnings: [Warning],
        import: EckidImportRecord
    ) {
        self.state = state
        self.activeFrom = activeFrom
        self.changed = changed
        self.warnings = warnings
        self.import = `import`
    }
    enum CodingKeys: String, CodingKey {
        case state
        case activeFrom = "active_from"
        case changed, warnings, `import`
    }
}

public struct EckidStatusResult: Codable, Sendable {
    public var imports: [EckidImportRecord]
    public init(imports: [EckidImportRecord]) { self.imports = imports }
}

public struct EckidDisableResult: Codable, Sendable {
    public var `import`: EckidImportRecord
    public init(import: EckidImportRecord) { self.import = `import` }
}

public struct TimerRunResult: Codable, Sendable {
    public var run: TimerRunRecord
    public init(run: TimerRunRecord) { self.run = run }
}

public struct AuditListResult: Codable, Sendable {
    public var entries: [AuditEntry]
    public init(entries: [AuditEntry]) { self.entries = entries }
}

/// `audit.verify`: whether every audit row and the head verify.
public struct AuditVerifyResult: Codable, Sendable, Equatable {
    public var ok: Bool
    /// The rows in the trail.
    public var rows: Int
    /// The first row that does not verify, or the id after the last row
    /// when rows are missing from the end; null when `ok`.
    @NullWhenAbsent public var firstBrokenId: Int64?

    public init(ok: Bool, rows: Int, firstBrokenId: Int64?) {
        self.ok = ok
        self.rows = rows
        self.firstBrokenId = firstBrokenId
    }

    enum CodingKeys: String, CodingKey {
        case ok, rows
        case firstBrokenId = "first_broken_id"
    }
}

/// The daemon's last check of the audit chain, in `status`.
public struct AuditChainStatus: Codable, Sendable, Equatable {
    public var ok: Bool
    public var rows: Int
    @NullWhenAbsent public var firstBrokenId: Int64?
    /// RFC 3339 UTC instant of the check.
    public var checkedAt: String

    public init(ok: Bool, rows: Int, firstBrokenId: Int64?, checkedAt: String) {
        self.ok = ok
        self.rows = rows
        self.firstBrokenId = firstBrokenId
        self.checkedAt = checkedAt
    }

    enum CodingKeys: String, CodingKey {
        case ok, rows
        case firstBrokenId = "first_broken_id"
        case checkedAt = "checked_at"
    }
}

public struct BackupResult: Codable, Sendable {
    public var path: String
    public var sizeBytes: Int
    public var createdAt: String
    public init(path: String, sizeBytes: Int, createdAt: String) {
        self.path = path
        self.sizeBytes = sizeBytes
        self.createdAt = createdAt
    }
    enum CodingKeys: String, CodingKey {
        case path
        case sizeBytes = "size_bytes"
        case createdAt = "created_at"
    }
}
