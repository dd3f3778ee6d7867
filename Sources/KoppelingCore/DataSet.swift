/// What a school must know before it agrees (the AVG asks it of the school
/// as controller): which pupil data leaves the LAS, for what, and under
/// which processor agreement.
public struct DataSet: Sendable, Equatable, Codable {
    /// One field that leaves the LAS, with a Dutch description.
    public struct Field: Sendable, Equatable, Codable {
        public var name: String
        public var description: String
        /// Whose data the field holds (*categorieën betrokkenen*, article
        /// 30(1)(c)): `leerling`, `leerkracht`, `ouder`, …; nil when the
        /// catalogue does not say (a gap in the record).
        @NullWhenAbsent public var dataSubjects: [String]?

        public init(name: String, description: String, dataSubjects: [String]? = nil) {
            self.name = name
            self.description = description
            self.dataSubjects = dataSubjects
        }

        enum CodingKeys: String, CodingKey {
            case name, description
            case dataSubjects = "data_subjects"
        }
    }

    /// A category of data subjects as the catalogue names it: lower-case
    /// letters (Dutch words like `leerling`, `leerkracht`, `ouder`),
    /// 2 to 40 of them, so the export can list them without quoting.
    public static func isSubjectCategory(_ s: String) -> Bool {
        (2...40).contains(s.utf8.count) && s.utf8.allSatisfy { $0.isASCIILower }
    }

    /// Every category of data subjects the set names, in first-seen order;
    /// nil when a field does not say.
    public var dataSubjects: [String]? {
        var seen: [String] = []
        for f in fields {
            guard let subjects = f.dataSubjects else { return nil }
            for s in subjects where !seen.contains(s) { seen.append(s) }
        }
        return fields.isEmpty ? nil : seen
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
