/// What a school must know before it agrees (the AVG asks it of the school
/// as controller): which pupil data leaves the LAS, for what, and under
/// which processor agreement.
public struct DataSet: Sendable, Equatable, Codable {
    /// One field that leaves the LAS, with a Dutch description.
    public struct Field: Sendable, Equatable, Codable {
        public var name: String
        public var description: String

        public init(name: String, description: String) {
            self.name = name
            self.description = description
        }
    }

    /// The UWLR profile, e.g. `UWLR Leerlinggegevens – Smalle set`.
    public var profile: String
    public var fields: [Field]

    public init(profile: String, fields: [Field]) {
        self.profile = profile
        self.fields = fields
    }
}

/// The *verwerkersovereenkomst* a koppeling runs under.
public struct ProcessorAgreement: Sendable, Equatable, Codable {
    public var name: String
    public var version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }
}
