import KoppelingCore
import KoppelingProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A JSON-RPC 2.0 request object, decoded in one pass: the envelope by
/// hand, so every defect gets its own answer, and `params` straight into
/// the method's parameter type found through `Routes`.
struct Envelope: Decodable {
    enum Outcome {
        case invalidID
        case invalidVersion
        case invalidMethod
        case unknownMethod(String)
        case refused(Route, KoppelingError)
        case call(Route, PreparedCall)
    }

    struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        static let jsonrpc = Key(stringValue: "jsonrpc")
        static let id = Key(stringValue: "id")
        static let method = Key(stringValue: "method")
        static let params = Key(stringValue: "params")
    }

    private(set) var id: RPCID?
    private(set) var outcome: Outcome = .invalidID

    /// Throws only when the line is not JSON or not an object.
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        if c.contains(.id) {
            if (try? c.decodeNil(forKey: .id)) == true {
                id = .null
            } else if let n = try? c.decode(Int64.self, forKey: .id) {
                id = .number(n)
            } else if let s = try? c.decode(String.self, forKey: .id) {
                id = .string(s)
            } else {
                return
            }  // .invalidID
        }
        guard (try? c.decode(String.self, forKey: .jsonrpc)) == "2.0" else {
            outcome = .invalidVersion
            return
        }
        guard let name = try? c.decode(String.self, forKey: .method) else {
            outcome = .invalidMethod
            return
        }
        guard let route = Routes.byName[name] else {
            outcome = .unknownMethod(name)
            return
        }
        do {
            outcome = .call(route, try route.decode(try Envelope.params(c)))
        } catch {
            outcome = .refused(route, error)
        }
    }

    /// The params decoder and its member names; nil when `params` is
    /// absent or null.
    private static func params(_ c: KeyedDecodingContainer<Key>) throws(KoppelingError) -> (any Decoder, [String])? {
        guard c.contains(.params), (try? c.decodeNil(forKey: .params)) == false else { return nil }
        do {
            let decoder = try c.superDecoder(forKey: .params)
            guard let members = try? decoder.container(keyedBy: Key.self) else {
                throw KoppelingError.invalidParams(
                    .invalidParams,
                    message: "'params' moet een object zijn met benoemde parameters.",
                    fields: ["params"]
                )
            }
            return (decoder, members.allKeys.map(\.stringValue))
        } catch let error as KoppelingError {
            throw error
        } catch {
            throw KoppelingError.invalidParams(.invalidParams, message: "Ongeldige parameters.", fields: ["params"])
        }
    }
}
