/// One row of the processing register (*verwerkingsregister*): per
/// activation, what an AVG register and a privacy officer need to know.
public struct ProcessingRecord: Sendable, Equatable, Codable {
    public var brin6: String
    /// Null when the school has since been removed from the lists (its
    /// history stays).
    @NullWhenAbsent public var schoolName: String?
    public var koppeling: String
    public var koppelingName: String
    public var category: String
    public var supplier: String
    public var purpose: String
    public var dataSet: DataSet
    @NullWhenAbsent public var processorAgreement: ProcessorAgreement?
    public var activatedAt: String
    /// *Uw naam* of who accepted, and the OS account that made the change.
    public var activatedByName: String
    public var activatedBy: String
    public var startDate: String
    @NullWhenAbsent public var endDate: String?
    public var active: Bool
    @NullWhenAbsent public var endedAt: String?
    @NullWhenAbsent public var endedBy: String?
    @NullWhenAbsent public var endReason: String?
    /// The terms last accepted, and when and by whom.
    public var termsVersion: String
    @NullWhenAbsent public var termsSha256: String?
    public var termsAcceptedAt: String
    public var termsAcceptedByName: String
    public var termsOutdated: Bool

    public init(
        brin6: String,
        schoolName: String?,
        koppeling: String,
        koppelingName: String,
        category: String,
        supplier: String,
        purpose: String,
        dataSet: DataSet,
        processorAgreement: ProcessorAgreement?,
        activatedAt: String,
        activatedByName: String,
        activatedBy: String,
        startDate: String,
        endDate: String?,
        active: Bool,
        endedAt: String?,
        endedBy: String?,
        endReason: String?,
        termsVersion: String,
        termsSha256: String?,
        termsAcceptedAt: String,
        termsAcceptedByName: String,
        termsOutdated: Bool
    ) {
        self.brin6 = brin6
        self.schoolName = schoolName
        self.koppeling = koppeling
        self.koppelingName = koppelingName
        self.category = category
        self.supplier = supplier
        self.purpose = purpose
        self.dataSet = dataSet
        self.processorAgreement = processorAgreement
        self.activatedAt = activatedAt
        self.activatedByName = activatedByName
        self.activatedBy = activatedBy
        self.startDate = startDate
        self.endDate = endDate
        self.active = active
        self.endedAt = endedAt
        self.endedBy = endedBy
        self.endReason = endReason
        self.termsVersion = termsVersion
        self.termsSha256 = termsSha256
        self.termsAcceptedAt = termsAcceptedAt
        self.termsAcceptedByName = termsAcceptedByName
        self.termsOutdated = termsOutdated
    }

    enum CodingKeys: String, CodingKey {
        case brin6, koppeling, category, supplier, purpose, active
        case schoolName = "school_name"
        case koppelingName = "koppeling_name"
        case dataSet = "data_set"
        case processorAgreement = "processor_agreement"
        case activatedAt = "activated_at"
        case activatedByName = "activated_by_name"
        case activatedBy = "activated_by"
        case startDate = "start_date"
        case endDate = "end_date"
        case endedAt = "ended_at"
        case endedBy = "ended_by"
        case endReason = "end_reason"
        case termsVersion = "terms_version"
        case termsSha256 = "terms_sha256"
        case termsAcceptedAt = "terms_accepted_at"
        case termsAcceptedByName = "terms_accepted_by_name"
        case termsOutdated = "terms_outdated"
    }
}
