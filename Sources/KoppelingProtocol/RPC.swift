import KoppelingCore

/// JSON-RPC 2.0 request ids: a string, an integral number, or null.
public enum RPCID: Sendable, Hashable, Codable, CustomStringConvertible {
    case number(Int64)
    case string(String)
    case null

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let n = try? c.decode(Int64.self) {
            self = .number(n)
        } else {
            self = .string(try c.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .null: try c.encodeNil()
        }
    }

    public var description: String {
        switch self {
        case .number(let n): String(n)
        case .string(let s): s
        case .null: "null"
        }
    }
}

/// The error codes of the protocol.
public enum RPCErrorCode {
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    public static let ruleFailed = -32001
    public static let notFound = -32002
    public static let conflict = -32003
    public static let permissionDenied = -32004
    public static let unavailable = -32005

    public static func code(for error: KoppelingError) -> Int {
        switch error {
        case .rules: ruleFailed
        case .notFound: notFound
        case .conflict, .termsChanged: conflict
        case .permissionDenied, .notAMember: permissionDenied
        case .unavailable(let reason, _): reason == .internalError ? internalError : unavailable
        case .invalidParams: invalidParams
        }
    }
}

/// `error.data`: the stable reason, the failing fields and, for rule
/// failures, every violation; for `terms_changed` the current version.
public struct RPCErrorData: Sendable, Equatable, Codable {
    public var reason: String
    public var fields: [String]
    public var violations: [Violation]?
    public var currentVersion: String?

    public init(reason: String, fields: [String], violations: [Violation]?, currentVersion: String? = nil) {
        self.reason = reason
        self.fields = fields
        self.violations = violations
        self.currentVersion = currentVersion
    }

    enum CodingKeys: String, CodingKey {
        case reason, fields, violations
        case currentVersion = "current_version"
    }
}

public struct RPCError: Error, Sendable, Equatable, Codable {
    public var code: Int
    public var message: String
    public var data: RPCErrorData?

    public init(code: Int, message: String, data: RPCErrorData?) {
        self.code = code
        self.message = message
        self.data = data
    }

    public init(_ error: KoppelingError) {
        let v = error.violations
        self.init(
            code: RPCErrorCode.code(for: error),
            message: error.message,
            data: RPCErrorData(
                reason: error.reason.rawValue,
                fields: error.fields,
                violations: v.isEmpty ? nil : v,
                currentVersion: error.currentTermsVersion
            )
        )
    }

    public init(code: Int, reason: Reason, message: String, fields: [String] = []) {
        self.init(
            code: code,
            message: message,
            data: RPCErrorData(reason: reason.rawValue, fields: fields, violations: nil)
        )
    }
}

/// A request as a client sends it.
public struct RPCRequest<Params: Encodable>: Encodable {
    public let jsonrpc = "2.0"
    public let id: RPCID
    public let method: String
    public let params: Params?

    public init(id: RPCID, method: String, params: Params?) {
        self.id = id
        self.method = method
        self.params = params
    }
}

/// A reply carrying a result.
public struct RPCSuccess<Result: Encodable>: Encodable {
    public let jsonrpc = "2.0"
    public let id: RPCID
    public let result: Result

    public init(id: RPCID, result: Result) {
        self.id = id
        self.result = result
    }
}

/// A reply carrying an error.
public struct RPCFailure: Codable {
    public var jsonrpc = "2.0"
    public let id: RPCID
    public let error: RPCError

    public init(id: RPCID, error: RPCError) {
        self.id = id
        self.error = error
    }
}

/// A reply as a client reads it: the result is decoded once its type is known.
public struct RPCReply<Result: Decodable>: Decodable {
    public let id: RPCID?
    public let result: Result?
    public let error: RPCError?
}
