/// A `Decoder` over a `JSONTree`: the envelope and the params of a request
/// line straight into their types, with the errors Foundation's
/// `JSONDecoder` gives for the same line (its kind, type and coding path),
/// so every refusal reads as before. `TreeDecoderTests` hold it against
/// `JSONDecoder` on every params type with random and adversarial input.
struct TreeDecoder: Decoder {
    let value: JSONTree
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ value: JSONTree, codingPath: [any CodingKey] = []) {
        self.value = value
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        switch value {
        case .object(let members): return KeyedDecodingContainer(Keyed<Key>(members: members, codingPath: codingPath))
        case .null: throw TreeDecoder.valueNotFound([String: Any].self, codingPath)
        default: throw TreeDecoder.typeMismatch([String: Any].self, codingPath)
        }
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch value {
        case .array(let elements): return Unkeyed(elements: elements, codingPath: codingPath)
        case .null: throw TreeDecoder.valueNotFound([Any].self, codingPath)
        default: throw TreeDecoder.typeMismatch([Any].self, codingPath)
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        Single(value: value, codingPath: codingPath)
    }

    // MARK: Errors as JSONDecoder words them

    static func typeMismatch(_ type: Any.Type, _ path: [any CodingKey]) -> DecodingError {
        .typeMismatch(
            type,
            .init(codingPath: path, debugDescription: "Expected to decode \(type) but found another value.")
        )
    }

    static func valueNotFound(_ type: Any.Type, _ path: [any CodingKey]) -> DecodingError {
        .valueNotFound(
            type,
            .init(codingPath: path, debugDescription: "Cannot get \(type) -- found null value instead")
        )
    }

    /// A number no value of the type can hold. `JSONDecoder` reports it
    /// with an error of its own, not a `DecodingError`, and without the
    /// member's path: `ParamsDecoding` finds the member.
    struct NumberNotRepresentable: Error {}

    static func notRepresentable() -> NumberNotRepresentable { NumberNotRepresentable() }

    // MARK: Scalars

    static func decode<T: Decodable>(_ type: T.Type, from value: JSONTree, at path: [any CodingKey]) throws -> T {
        switch type {
        case is String.Type:
            guard case .string(let s) = value else { throw mismatch(type, value, path) }
            return s as! T
        case is Bool.Type:
            guard case .bool(let b) = value else { throw mismatch(type, value, path) }
            return b as! T
        case is Int.Type: return try integer(Int.self, value, path) as! T
        case is Int64.Type: return try integer(Int64.self, value, path) as! T
        case is any FixedWidthInteger.Type, is any BinaryFloatingPoint.Type:
            // No envelope or params member is another number type; their
            // own init(from:) would ask this decoder again, without end.
            throw typeMismatch(type, path)
        default:
            return try T(from: TreeDecoder(value, codingPath: path))
        }
    }

    /// Digits as an integer, which must fit; a number with a fraction or an
    /// exponent, as `JSONDecoder` reads it, as a `Double` that must be a
    /// whole value of the type (`1.0`, `1e2`; `1.5` and `1e19` are not).
    static func integer<I: FixedWidthInteger>(_ type: I.Type, _ value: JSONTree, _ path: [any CodingKey]) throws -> I {
        guard case .number(let text) = value else { throw mismatch(type, value, path) }
        let isInteger = !text.utf8.contains {
            $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E")
        }
        if isInteger {
            guard let exact = I(text) else { throw notRepresentable() }
            return exact
        }
        guard let d = Double(text), let whole = I(exactly: d) else { throw notRepresentable() }
        return whole
    }

    static func mismatch(_ type: Any.Type, _ value: JSONTree, _ path: [any CodingKey]) -> DecodingError {
        if case .null = value { return valueNotFound(type, path) }
        return typeMismatch(type, path)
    }

    // MARK: Containers

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [(name: String, value: JSONTree)]
        let codingPath: [any CodingKey]

        var allKeys: [Key] { members.compactMap { Key(stringValue: $0.name) } }

        func contains(_ key: Key) -> Bool { members.contains { $0.name == key.stringValue } }

        func member(_ key: Key) throws -> JSONTree {
            guard let m = members.first(where: { $0.name == key.stringValue }) else {
                throw DecodingError.keyNotFound(
                    key,
                    .init(codingPath: codingPath, debugDescription: "No value associated with key \(key.stringValue).")
                )
            }
            return m.value
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            if case .null = try member(key) { return true }
            return false
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try TreeDecoder.decode(type, from: try member(key), at: codingPath + [key])
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type,
            forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try TreeDecoder(try member(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try TreeDecoder(try member(key), codingPath: codingPath + [key]).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { try superDecoder(forKey: Key(stringValue: "super")!) }

        func superDecoder(forKey key: Key) throws -> any Decoder {
            TreeDecoder(members.first { $0.name == key.stringValue }?.value ?? .null, codingPath: codingPath + [key])
        }
    }

    struct Index: CodingKey {
        let intValue: Int?
        var stringValue: String { "Index \(intValue ?? 0)" }
        init(_ i: Int) { intValue = i }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let elements: [JSONTree]
        let codingPath: [any CodingKey]
        private(set) var currentIndex = 0

        init(elements: [JSONTree], codingPath: [any CodingKey]) {
            self.elements = elements
            self.codingPath = codingPath
        }

        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }
        private var here: [any CodingKey] { codingPath + [Index(currentIndex)] }

        private func next(_ type: Any.Type) throws -> JSONTree {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(
                    type,
                    .init(codingPath: here, debugDescription: "Unkeyed container is at end.")
                )
            }
            return elements[currentIndex]
        }

        mutating func decodeNil() throws -> Bool {
            guard case .null = try next(Never.self) else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let v = try TreeDecoder.decode(type, from: try next(type), at: here)
            currentIndex += 1
            return v
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type
        ) throws -> KeyedDecodingContainer<NestedKey> {
            let c = try TreeDecoder(try next([String: Any].self), codingPath: here).container(keyedBy: type)
            currentIndex += 1
            return c
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            let c = try TreeDecoder(try next([Any].self), codingPath: here).unkeyedContainer()
            currentIndex += 1
            return c
        }

        mutating func superDecoder() throws -> any Decoder {
            let d = TreeDecoder(try next(Any.self), codingPath: here)
            currentIndex += 1
            return d
        }
    }

    struct Single: SingleValueDecodingContainer {
        let value: JSONTree
        let codingPath: [any CodingKey]

        func decodeNil() -> Bool {
            if case .null = value { return true }
            return false
        }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try TreeDecoder.decode(type, from: value, at: codingPath)
        }
    }
}
