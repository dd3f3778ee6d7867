/// What a school agrees to when it accepts a koppeling's terms version:
/// one versioned whole (DESIGN §2). Under a version the register knows,
/// none of it may change; each acceptance keeps the SHA-256 of the whole
/// it accepted, and the whole is kept once per version, so the processing
/// register shows what was accepted, never today's catalogue in its place.
public struct ConsentDocument: Sendable, Equatable, Codable {
    public var termsVersion: String
    /// The terms text is kept once per version in its own table; the whole
    /// names it by its hash.
    public var termsSha256: String
    public var supplier: String
    public var purpose: String
    public var dataSet: DataSet
    @NullWhenAbsent public var processorAgreement: ProcessorAgreement?
    @NullWhenAbsent public var legalBasis: String?
    @NullWhenAbsent public var retention: String?
    @NullWhenAbsent public var recipients: String?
    @NullWhenAbsent public var transfers: String?
    @NullWhenAbsent public var security: String?

    /// The whole of `entry` as the register stores it (see
    /// `CatalogEntry.normalised`).
    public init(entry e: CatalogEntry, termsSha256: String) {
        termsVersion = e.termsVersion
        self.termsSha256 = termsSha256
        supplier = e.supplier
        purpose = e.purpose
        dataSet = e.dataSet
        processorAgreement = e.processorAgreement
        legalBasis = e.legalBasis
        retention = e.retention
        recipients = e.recipients
        transfers = e.transfers
        security = e.security
    }

    enum CodingKeys: String, CodingKey {
        case supplier, purpose, retention, recipients, transfers, security
        case termsVersion = "terms_version"
        case termsSha256 = "terms_sha256"
        case dataSet = "data_set"
        case processorAgreement = "processor_agreement"
        case legalBasis = "legal_basis"
    }

    /// The wire name of the first part (in the order a school reads them)
    /// in which `self` differs from `earlier`, or nil when none does. The
    /// terms text is left to its own check (`terms_text_changed`).
    public func firstDifference(from earlier: ConsentDocument) -> String? {
        if supplier != earlier.supplier { return "supplier" }
        if purpose != earlier.purpose { return "purpose" }
        if dataSet.profile != earlier.dataSet.profile { return "data_set.profile" }
        for (i, (now, then)) in zip(dataSet.fields, earlier.dataSet.fields).enumerated() {
            if now.name != then.name { return "data_set.fields[\(i)].name" }
            if now.description != then.description { return "data_set.fields[\(i)].description" }
            if now.dataSubjects != then.dataSubjects { return "data_set.fields[\(i)].data_subjects" }
        }
        if dataSet.fields.count != earlier.dataSet.fields.count { return "data_set.fields" }
        if processorAgreement != earlier.processorAgreement { return "processor_agreement" }
        if legalBasis != earlier.legalBasis { return "legal_basis" }
        if retention != earlier.retention { return "retention" }
        if recipients != earlier.recipients { return "recipients" }
        if transfers != earlier.transfers { return "transfers" }
        if security != earlier.security { return "security" }
        return nil
    }
}

extension CatalogEntry {
    /// The entry as the register stores it: every one-line text trimmed
    /// (the terms text is kept exactly as loaded).
    public var normalised: CatalogEntry {
        func t(_ s: String) -> String { s.trimmingWhitespace() }
        var e = self
        e.category = t(category)
        e.name = t(name)
        e.description = t(description)
        e.supplier = t(supplier)
        e.termsVersion = t(termsVersion)
        e.purpose = t(purpose)
        e.dataSet = DataSet(
            profile: t(dataSet.profile),
            fields: dataSet.fields.map {
                DataSet.Field(name: t($0.name), description: t($0.description), dataSubjects: $0.dataSubjects)
            }
        )
        e.processorAgreement = processorAgreement.map { ProcessorAgreement(name: t($0.name), version: t($0.version)) }
        e.legalBasis = legalBasis.map(t)
        e.retention = retention.map(t)
        e.recipients = recipients.map(t)
        e.transfers = transfers.map(t)
        e.security = security.map(t)
        return e
    }
}
