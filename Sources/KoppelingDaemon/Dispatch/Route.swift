import Foundation
import KoppelingCore
import KoppelingProtocol

/// What the audit trail records a request is about.
struct AuditSubject: Sendable {
    var school: String?
    var koppeling: String?
    static let none = AuditSubject()
}

/// A decoded request, ready to run on the database thread.
struct PreparedCall: Sendable {
    let subject: AuditSubject
    /// Runs the method and encodes its success reply for `id`.
    let run: @Sendable (Application, Caller, RPCID) throws -> Data
}

/// One protocol method: how its params decode and which function serves it.
struct Route: Sendable {
    let method: Method
    let decode: @Sendable (_ line: Data, _ paramKeys: [String]) throws(KoppelingError) -> PreparedCall

    static func make<P: RPCParams, R: Encodable>(
        _ method: Method,
        subject: @escaping @Sendable (P) -> AuditSubject = { _ in .none },
        _ body: @escaping @Sendable (Application, P, Caller) throws -> R
    ) -> Route {
        Route(method: method) { line, paramKeys throws(KoppelingError) in
            let unknown = paramKeys.filter { !P.allowedKeys.contains($0) }.sorted()
            if !unknown.isEmpty {
                throw .invalidParams(.unknownParams,
                    message: "Onbekende parameter(s) voor '\(method.rawValue)': \(unknown.joined(separator: ", ")).",
                    fields: unknown)
            }
            let params = try ParamsDecoding.decode(P.self, from: line)
            return PreparedCall(subject: subject(params)) { app, caller, id in
                try ReplyEncoding.success(id: id, result: try body(app, params, caller))
            }
        }
    }
}

/// Typed params from the request line: `params` omitted or `null` is an
/// empty object, so a method without parameters accepts all three forms.
enum ParamsDecoding {
    struct Box<P: Decodable>: Decodable {
        let params: P
        enum CodingKeys: String, CodingKey { case params }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if c.contains(.params), try !c.decodeNil(forKey: .params) {
                params = try c.decode(P.self, forKey: .params)
            } else {
                params = try JSONDecoder().decode(P.self, from: Data("{}".utf8))
            }
        }
    }

    static func decode<P: Decodable>(_ type: P.Type, from line: Data) throws(KoppelingError) -> P {
        do {
            return try JSONDecoder().decode(Box<P>.self, from: line).params
        } catch let error as DecodingError {
            throw invalidParams(error)
        } catch {
            throw .invalidParams(.invalidParams, message: "Ongeldige parameters.", fields: [])
        }
    }

    static func invalidParams(_ error: DecodingError) -> KoppelingError {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys.drop(while: { $0.stringValue == "params" }) {
                if let i = key.intValue { out += "[\(i)]" } else { out += out.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return out.isEmpty ? "params" : out
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            let field = path(ctx.codingPath + [key])
            return .invalidParams(.invalidParams, message: "De parameter '\(field)' ontbreekt.", fields: [field])
        case .typeMismatch(let type, let ctx), .valueNotFound(let type, let ctx):
            let field = path(ctx.codingPath)
            return .invalidParams(.invalidParams, message: "De parameter '\(field)' heeft het verkeerde type (verwacht: \(typeName(type))).", fields: [field])
        case .dataCorrupted(let ctx):
            let field = path(ctx.codingPath)
            return .invalidParams(.invalidParams, message: "De parameter '\(field)' heeft een ongeldige waarde.", fields: [field])
        @unknown default:
            return .invalidParams(.invalidParams, message: "Ongeldige parameters.", fields: [])
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "tekst"
        case is Bool.Type: "true of false"
        case is Int.Type, is Int64.Type, is Double.Type: "getal"
        case is [Any].Type: "lijst"
        default: "object"
        }
    }
}

enum ReplyEncoding {
    static func success<R: Encodable>(id: RPCID, result: R) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return try encoder.encode(RPCSuccess(id: id, result: result))
    }

    static func failure(id: RPCID, error: RPCError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        // Encoding strings and integers cannot fail.
        return (try? encoder.encode(RPCFailure(id: id, error: error))) ?? Data()
    }
}
