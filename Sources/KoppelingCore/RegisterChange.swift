/// One change to what the processing register records, for the yearly
/// review and the medezeggenschapsraad (`register.changes`).
public struct RegisterChange: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, Equatable, CaseIterable {
        /// A school activated a koppeling.
        case activated
        /// An activation ended (by an administrator or its end date).
        case ended
        /// A school accepted a new terms version of an active koppeling.
        case reaccepted
        /// A catalogue load brought a new terms version of a koppeling.
        case termsVersion = "terms_version"
        /// The controller block was set or replaced.
        case controllerSet = "controller_set"
    }

    /// RFC 3339 UTC.
    public var at: String
    public var kind: Kind
    @NullWhenAbsent public var brin6: String?
    @NullWhenAbsent public var koppeling: String?
    @NullWhenAbsent public var termsVersion: String?
    /// Who: *Uw naam* of who accepted, else the OS account; null for a
    /// terms version (the audit trail names who loaded the catalogue).
    @NullWhenAbsent public var by: String?
    /// The reason an activation ended, when one was given.
    @NullWhenAbsent public var detail: String?

    public init(
        at: String,
        kind: Kind,
        brin6: String?,
        koppeling: String?,
        termsVersion: String?,
        by: String?,
        detail: String?
    ) {
        self.at = at
        self.kind = kind
        self.brin6 = brin6
        self.koppeling = koppeling
        self.termsVersion = termsVersion
        self.by = by
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case at, kind, brin6, koppeling, by, detail
        case termsVersion = "terms_version"
    }
}
