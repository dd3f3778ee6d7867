import KoppelingCore

/// `koppeling.activate_many`: one koppeling, one consent, many schools.
public struct ActivateManyParams: RPCParams {
    public struct Row: Codable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        public var brin6: String
        public var verificationCode: String
        public init(brin6: String, verificationCode: String) {
            self.brin6 = brin6
            self.verificationCode = verificationCode
        }
        enum CodingKeys: String, CodingKey {
            case brin6
            case verificationCode = "verification_code"
        }
        // Printed without its code, like `ActivationInput`.
        public var description: String {
            "Row(brin6: \(brin6.debugDescription), verificationCode: <verborgen, \(verificationCode.unicodeScalars.count) tekens>)"
        }
        public var debugDescription: String { description }
        public var customMirror: Mirror { Mirror(self, children: ["brin6": brin6, "verificationCode": "<verborgen>"]) }
    }
    public var koppeling: String
    public var name: String
    public var agree: Bool
    public var termsVersion: String
    public var startDate: String?
    public var endDate: String?
    public var schools: [Row]

    public init(
        koppeling: String,
        name: String,
        agree: Bool,
        termsVersion: String,
        startDate: String?,
        endDate: String?,
        schools: [Row]
    ) {
        self.koppeling = koppeling
        self.name = name
        self.agree = agree
        self.termsVersion = termsVersion
        self.startDate = startDate
        self.endDate = endDate
        self.schools = schools
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case koppeling, name, agree, schools
        case termsVersion = "terms_version"
        case startDate = "start_date"
        case endDate = "end_date"
    }
}

public struct ActivateManyResult: Codable, Sendable {
    public var activations: [ActivationRecord]
    public var warnings: [Warning]
    public init(activations: [ActivationRecord], warnings: [Warning]) {
        self.activations = activations
        self.warnings = warnings
    }
}

/// `koppeling.reaccept`: acceptance of the current terms, same code.
public struct ReacceptParams: RPCParams {
    public var brin6: String
    public var koppeling: String
    public var name: String
    public var agree: Bool
    public var termsVersion: String
    public init(brin6: String, koppeling: String, name: String, agree: Bool, termsVersion: String) {
        self.brin6 = brin6
        self.koppeling = koppeling
        self.name = name
        self.agree = agree
        self.termsVersion = termsVersion
    }
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case brin6, koppeling, name, agree
        case termsVersion = "terms_version"
    }
}

public struct ReacceptResult: Codable, Sendable {
    public var activation: ActivationRecord
    public init(activation: ActivationRecord) { self.activation = activation }
}

public struct RegisterExportParams: RPCParams {
    public var brin6: String?
    public var includeEnded: Bool?
    public init(brin6: String?, includeEnded: Bool?) {
        self.brin6 = brin6
        self.includeEnded = includeEnded
    }
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case brin6
        case includeEnded = "include_ended"
    }
}

