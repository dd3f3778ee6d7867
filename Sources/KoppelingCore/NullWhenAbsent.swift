/// An optional member that a reply always carries: `null` when absent, so
/// every reply of a method has the same keys. Synthesized `Codable` leaves
/// a `nil` optional out; marking the property keeps the synthesized
/// conformance and works with every encoder alike (the daemon's compact
/// one, Foundation's, the client's). Decoding accepts the member missing
/// or `null`.
@propertyWrapper
public struct NullWhenAbsent<Value> {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }
}

extension NullWhenAbsent: Sendable where Value: Sendable {}
extension NullWhenAbsent: Equatable where Value: Equatable {}

extension NullWhenAbsent: Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}

extension NullWhenAbsent: Decodable where Value: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        wrappedValue = c.decodeNil() ? nil : try c.decode(Value.self)
    }
}

extension KeyedDecodingContainer {
    /// A member missing altogether is absent too (synthesized decoding
    /// would call this with the member's key and fail on a missing one).
    public func decode<Value: Decodable>(
        _ type: NullWhenAbsent<Value>.Type,
        forKey key: Key
    ) throws -> NullWhenAbsent<Value> {
        NullWhenAbsent(wrappedValue: try decodeIfPresent(Value.self, forKey: key))
    }
}
