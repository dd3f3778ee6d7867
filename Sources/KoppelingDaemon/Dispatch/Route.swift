import KoppelingCore
import KoppelingProtocol
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// What the audit trail records a request is about. A request about many
/// schools (`school.import`, `koppeling.activate_many`) names them all: a
/// change made leaves a row for each, so every school's history holds it.
struct AuditSubject: Sendable {
    var school: String?
    var koppeling: String?
    var schools: [String] = []
    static let none = AuditSubject()
}

/// A decoded request, ready to run on the database thread.
struct PreparedCall: Sendable {
    let subject: AuditSubject
    /// The decoded params (the decoder twins in TreeDecoderTests compare them).
    let params: any Encodable & Sendable
    /// Runs the method and encodes its success reply for `id`.
    let run: @Sendable (Application, Caller, RPCID) throws -> ByteBuffer
}

/// One protocol method: how its params decode and which function serves it.
struct Route: Sendable {
    let method: AnyMethod
    /// The member names its `params` may hold.
    var allowedKeys: Set<String> { method.paramKeys }
    /// Decodes the params (nil: absent or null) and checks their names.
    let decode: @Sendable (_ params: (decoder: any Decoder, keys: [String])?) throws(KoppelingError) -> PreparedCall

    /// The handler of `descriptor`, typed by it: a body that takes other
    /// params or returns another result does not compile.
    static func make<P, R>(
        _ descriptor: MethodDescriptor<P, R>,
        subject: @escaping @Sendable (P) -> AuditSubject = { _ in .none },
        _ body: @escaping @Sendable (Application, P, Caller) throws -> R
    ) -> Route {
        let method = descriptor.erased
        return Route(method: method) { given throws(KoppelingError) in
            let unknown = (given?.keys ?? []).filter { !P.allowedKeys.contains($0) }.sorted()
            if !unknown.isEmpty {
                throw .invalidParams(
                    .unknownParams,
                    message: "Onbekende parameter(s) voor '\(method.name)': \(unknown.joined(separator: ", ")).",
                    fields: unknown
                )
            }
            let params = try ParamsDecoding.decode(P.self, from: given?.decoder)
            return PreparedCall(subject: subject(params), params: params) { app, caller, id in
                try ReplyEncoding.success(id: id, result: try body(app, params, caller))
            }
        }
    }
}

/// Typed params from the request line: `params` omitted or `null` is an
/// empty object, so a method without parameters accepts all three forms.
enum ParamsDecoding {
    static func decode<P: Decodable>(_ type: P.Type, from decoder: (any Decoder)?) throws(KoppelingError) -> P {
        do {
            return try P(from: decoder ?? TreeDecoder(.object([])))
        } catch let error as DecodingError {
            throw invalidParams(error)
        } catch {
            // A number too large for its type comes without the member's name
            // (`TreeDecoder.NumberNotRepresentable`, as from Foundation's
            // decoder, its twin); find the member that holds it.
            let fields = decoder.map(unrepresentableNumbers) ?? []
            guard let field = fields.first else {
                throw .invalidParams(.invalidParams, message: "Ongeldige parameters.", fields: [])
            }
            throw .invalidParams(
                .invalidParams,
                message: "De parameter '\(field)' is een getal buiten het bereik.",
                fields: fields
            )
        }
    }

    /// The members of `params` holding a number no integer type can hold.
    static func unrepresentableNumbers(_ decoder: any Decoder) -> [String] {
        guard let members = try? decoder.container(keyedBy: Envelope.Key.self) else { return [] }
        return members.allKeys.filter { key in
            do {
                _ = try members.decode(Int64.self, forKey: key)
                return false
            } catch is DecodingError {
                return false  // not a number, or one that fits: not this defect
            } catch {
                return true
            }
        }.map(\.stringValue).sorted()
    }

    static func invalidParams(_ error: DecodingError) -> KoppelingError {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys.drop(while: { $0.stringValue == "params" }) {
                if let i = key.intValue {
                    out += "[\(i)]"
                } else {
                    out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return out.isEmpty ? "params" : out
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            let field = path(ctx.codingPath + [key])
            return .invalidParams(.invalidParams, message: "De parameter '\(field)' ontbreekt.", fields: [field])
        case .typeMismatch(let type, let ctx), .valueNotFound(let type, let ctx):
            let field = path(ctx.codingPath)
            return .invalidParams(
                .invalidParams,
                message: "De parameter '\(field)' heeft het verkeerde type (verwacht: \(typeName(type))).",
                fields: [field]
            )
        case .dataCorrupted(let ctx):
            let field = path(ctx.codingPath)
            return .invalidParams(
                .invalidParams,
                message: "De parameter '\(field)' heeft een ongeldige waarde.",
                fields: [field]
            )
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

/// Reply lines: compact JSON with sorted keys, written by
/// `CompactJSONEncoder`, or by Foundation for what that one leaves out.
enum ReplyEncoding {
    static func success<R: Encodable>(id: RPCID, result: R) throws -> ByteBuffer {
        try encode(RPCSuccess(id: id, result: result))
    }

    static func failure(id: RPCID, error: RPCError) -> ByteBuffer {
        // Encoding strings and integers cannot fail.
        (try? encode(RPCFailure(id: id, error: error))) ?? ByteBuffer()
    }

    static func encode<T: Encodable>(_ value: T) throws -> ByteBuffer {
        do {
            return line(try CompactJSONEncoder().encode(value))
        } catch is CompactJSONEncoder.Unsupported {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
            return line(try encoder.encode(value))
        }
    }

    /// The reply's bytes with room for the newline the transport adds, so
    /// that adding it copies nothing.
    private static func line(_ bytes: some Collection<UInt8>) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: bytes.count + 1)
        buffer.writeBytes(bytes)
        return buffer
    }

    private static let allocator = ByteBufferAllocator()
}
