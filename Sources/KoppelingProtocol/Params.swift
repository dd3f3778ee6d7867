import KoppelingCore

/// Parameters of a method: decoded from `params`, whose member names are
/// checked against `CodingKeys` so unknown names are refused by name.
public protocol RPCParams: Codable, Sendable {
    associatedtype CodingKeys: CodingKey & CaseIterable
    /// The member names `params` may hold. A requirement, not only an
    /// extension member, so that a type's own answer (`NoParams`: none) is
    /// the one generic code sees.
    static var allowedKeys: Set<String> { get }
}

extension RPCParams {
    public static var allowedKeys: Set<String> { Set(CodingKeys.allCases.map(\.stringValue)) }
}

/// The parameters of a method that takes none: `params` omitted, `{}` or
/// `null`.
public struct NoParams: RPCParams {
    public enum CodingKeys: String, CodingKey, CaseIterable { case none }
    public static var allowedKeys: Set<String> { [] }
    public init() {}
    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: CodingKeys.self)
    }
}

public struct SchoolAddParams: RPCParams {
    public var brin6: String
    public var name: String
    public init(brin6: String, name: String) {
        self.brin6 = brin6
        self.name = name
    }
    public enum CodingKeys: String, CodingKey, CaseIterable { case brin6, name }
}

public struct Brin6Params: RPCParams {
    public var brin6: String
    public init(brin6: String) { self.brin6 = brin6 }
    public enum CodingKeys: String, CodingKey, CaseIterable { case brin6 }
}

public struct SchoolImportParams: RPCParams {
    public struct Row: Codable, Sendable {
        public var brin6: String
        public var name: String
        public init(brin6: String, name: String) {
            self.brin6 = brin6
            self.name = name
        }
    }
    public var schools: [Row]
    public init(schools: [Row]) { self.schools = schools }
    public enum CodingKeys: String, CodingKey, CaseIterable { case schools }
}

public struct CatalogGetParams: RPCParams {
    public var id: String
    public init(id: String) { self.id = id }
    public enum CodingKeys: String, CodingKey, CaseIterable { case id }
}

public struct CatalogLoadParams: RPCParams {
    public var entries: [CatalogEntry]
    public init(entries: [CatalogEntry]) { self.entries = entries }
    public enum CodingKeys: String, CodingKey, CaseIterable { case entries }
}

/// `koppeling.activate`'s params are the domain's own `ActivationInput`.
extension ActivationInput: RPCParams {}

public struct DeactivateParams: RPCParams {
    public var brin6: String
    public var koppeling: String
    public var reason: String?
    public init(brin6: String, koppeling: String, reason: String?) {
        self.brin6 = brin6
        self.koppeling = koppeling
        self.reason = reason
    }
    public enum CodingKeys: String, CodingKey, CaseIterable { case brin6, koppeling, reason }
}

public struct SetKeyParams: RPCParams {
    public var brin6: String
    public var key: String
    public init(brin6: String, key: String) {
        self.brin6 = brin6
        self.key = key
    }
    public enum CodingKeys: String, CodingKey, CaseIterable { case brin6, key }
}

public struct EckidStatusParams: RPCParams {
    public var brin6: String?
    public init(brin6: String?) { self.brin6 = brin6 }
    public enum CodingKeys: String, CodingKey, CaseIterable { case brin6 }
}

public struct AuditListParams: RPCParams {
    public var brin6: String?
    public var since: String?
    public var limit: Int?
    public init(brin6: String?, since: String?, limit: Int?) {
        self.brin6 = brin6
        self.since = since
        self.limit = limit
    }
    public enum CodingKeys: String, CodingKey, CaseIterable { case brin6, since, limit }
}
