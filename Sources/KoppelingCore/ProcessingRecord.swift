/// One row of the processing register (*verwerkingsregister*): per
/// activation, what an AVG article-30 record and a privacy officer need to
/// know, from what the activation accepted (never today's catalogue in its
/// place).
public struct ProcessingRecord: Sendable, Equatable, Codable {
    public var brin6: String
    /// Null when the school has since been removed from the lists (its
    /// history stays).
    @NullWhenAbsent public var schoolName: String?
    public var koppeling: String
    public var koppelingName: String
    public var category: String
    /// The whole the last acceptance agreed to: data set, purpose,
    /// supplier, processor agreement and the other article-30 facts. Null
    /// when it was not kept (an acceptance under a version replaced before
    /// the register kept wholes).
    @NullWhenAbsent public var accepted: ConsentDocument?
    /// How sure the register is that `accepted` is what was accepted.
    public var acceptedRecord: AcceptedRecord
    /// When the whole shown was recorded.
    @NullWhenAbsent public var acceptedRecordedAt: String?
    /// The SHA-256 of the whole shown, of its JSON text as the register
    /// keeps it: it names the whole, it is not recomputed from `accepted`.
    @NullWhenAbsent public var consentSha256: String?
    /// Whether today's catalogue entry differs from the whole shown (a new
    /// version since); null when nothing was kept to compare.
    @NullWhenAbsent public var catalogDiffers: Bool?
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
    /// Every article-30 item this row leaves empty, by name (`retention`,
    /// `data_subjects`, …): what to ask the supplier. Never a blank that
    /// looks complete.
    public var gaps: [String]

    /// How the whole shown in a row is known.
    public enum AcceptedRecord: String, Sendable, Codable, Equatable {
        /// The acceptance kept the whole's hash: this is what was accepted.
        case atAcceptance = "at_acceptance"
        /// The acceptance came before the register kept wholes; this is its
        /// version's whole as recorded at that upgrade. The release before
        /// let a catalogue load change it under the same version, so
        /// whether the acceptance saw exactly this cannot be known.
        case atUpgrade = "at_upgrade"
        /// No whole was kept for the version accepted.
        case notKept = "not_kept"
    }

    /// The article-30(1) items a row draws from what was accepted, in the
    /// order the record lists them.
    public static let items = [
        "purpose", "data_subjects", "data_categories", "recipients", "transfers", "retention", "security",
        "legal_basis", "processor_agreement",
    ]

    /// The items `accepted` leaves empty; every item when nothing was kept.
    public static func gaps(of accepted: ConsentDocument?) -> [String] {
        guard let a = accepted else { return items }
        var empty: Set<String> = []
        if a.purpose.isEmpty { empty.insert("purpose") }
        if a.dataSet.fields.isEmpty { empty.insert("data_categories") }
        if a.dataSet.dataSubjects?.isEmpty ?? true { empty.insert("data_subjects") }
        if a.recipients == nil { empty.insert("recipients") }
        if a.transfers == nil { empty.insert("transfers") }
        if a.retention == nil { empty.insert("retention") }
        if a.security == nil { empty.insert("security") }
        if a.legalBasis == nil { empty.insert("legal_basis") }
        if a.processorAgreement == nil { empty.insert("processor_agreement") }
        return items.filter(empty.contains)
    }

    public init(
        brin6: String,
        schoolName: String?,
        koppeling: String,
        koppelingName: String,
        category: String,
        accepted: ConsentDocument?,
        acceptedRecord: AcceptedRecord,
        acceptedRecordedAt: String?,
        consentSha256: String?,
        catalogDiffers: Bool?,
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
        self.accepted = accepted
        self.acceptedRecord = acceptedRecord
        self.acceptedRecordedAt = acceptedRecordedAt
        self.consentSha256 = consentSha256
        self.catalogDiffers = catalogDiffers
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
        self.gaps = Self.gaps(of: accepted)
    }

    enum CodingKeys: String, CodingKey {
        case brin6, koppeling, category, accepted, active, gaps
        case schoolName = "school_name"
        case koppelingName = "koppeling_name"
        case acceptedRecord = "accepted_record"
        case acceptedRecordedAt = "accepted_recorded_at"
        case consentSha256 = "consent_sha256"
        case catalogDiffers = "catalog_differs"
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
