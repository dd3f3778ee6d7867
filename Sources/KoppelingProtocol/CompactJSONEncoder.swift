/// Encodes a reply as compact JSON, byte for byte what Foundation's
/// `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]` writes, in
/// one pass into one buffer: Foundation first builds a tree of boxed values
/// and dictionaries, and that was a third of the daemon's time per read.
///
/// It covers what replies use: keyed and unkeyed containers used in order,
/// strings, integers, booleans and null. Anything else (floating point,
/// nested containers obtained ahead of use, super encoders, a key written
/// twice) throws `CompactJSONEncoder.Unsupported`; `ReplyEncoding.encode` then
/// asks Foundation, so the output never depends on which path ran.
public struct CompactJSONEncoder {
    public struct Unsupported: Error {}

    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = JSONByteWriter()
        try writer.encodeValue(value)
        return writer.bytes
    }
}

/// The state of one encoding: the output and the open objects and arrays.
final class JSONByteWriter {
    /// The output and the open frames live behind a pointer: a stored
    /// property of a class pays a dynamic exclusivity check at every
    /// `append`, and that was a fifth of the encoding time.
    private struct State {
        var bytes: [UInt8] = []
        var frames: [Frame] = []
    }
    private let state: UnsafeMutablePointer<State>

    var bytes: [UInt8] {
        _read { yield state.pointee.bytes }
        _modify { yield &state.pointee.bytes }
    }
    private var frames: [Frame] {
        _read { yield state.pointee.frames }
        _modify { yield &state.pointee.frames }
    }

    struct Frame {
        let isObject: Bool
        /// `frames.count` when the value that opened it started encoding.
        let owner: Int
        /// Where the members start (after the bracket).
        let start: Int
        var count = 0
        /// Object members: the key and where the member ends.
        var members: [(key: String, end: Int)] = []
    }

    init() {
        state = .allocate(capacity: 1)
        state.initialize(to: State())
        state.pointee.bytes.reserveCapacity(512)
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    // MARK: values

    func encodeValue<T: Encodable>(_ value: T) throws {
        // Comparing metatypes is cheaper than a dynamic cast per value.
        if T.self == String.self {
            writeString(unsafeBitCast(value, to: String.self))
        } else if T.self == Int.self {
            writeInteger(unsafeBitCast(value, to: Int.self))
        } else if T.self == Bool.self {
            writeRaw(unsafeBitCast(value, to: Bool.self) ? "true" : "false")
        } else if T.self == Int64.self {
            writeInteger(unsafeBitCast(value, to: Int64.self))
        } else {
            let owner = frames.count
            let before = bytes.count
            try value.encode(to: WrappedOwner(writer: self, owner: owner))
            if frames.count > owner {
                while frames.count > owner { try closeTop() }
            } else if bytes.count == before {
                writeRaw("{}")  // encoded nothing: Foundation writes an empty object
            }
        }
    }

    func writeRaw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    func writeInteger<I: BinaryInteger>(_ i: I) {
        if i >= 0, i < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(i))  // counts and flags, mostly
        } else {
            bytes.append(contentsOf: String(i).utf8)
        }
    }

    func writeString(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            // Runs that need no escape are copied whole.
            var run = 0
            for i in utf8.indices {
                let b = utf8[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<i]))
                run = i + 1
                switch b {
                case UInt8(ascii: "\""): writeRaw("\\\"")
                case UInt8(ascii: "\\"): writeRaw("\\\\")
                case 0x08: writeRaw("\\b")
                case 0x0C: writeRaw("\\f")
                case 0x0A: writeRaw("\\n")
                case 0x0D: writeRaw("\\r")
                case 0x09: writeRaw("\\t")
                default:
                    writeRaw("\\u00")
                    bytes.append(Self.hex[Int(b >> 4)])
                    bytes.append(Self.hex[Int(b & 0xF)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
            bytes.append(UInt8(ascii: "\""))
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    // MARK: frames

    func open(object: Bool, owner: Int) -> Int {
        bytes.append(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        frames.append(Frame(isObject: object, owner: owner, start: bytes.count))
        return frames.count - 1
    }

    /// The frame a container may write to: only the innermost open one.
    func check(_ index: Int) throws {
        guard index >= 0, index == frames.count - 1 else { throw CompactJSONEncoder.Unsupported() }
    }

    func beginMember(_ index: Int, key: String) {
        if frames[index].count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[index].count += 1
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    func endMember(_ index: Int, key: String) {
        frames[index].members.append((key, bytes.count))
    }

    func beginElement(_ index: Int) {
        if frames[index].count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[index].count += 1
    }

    private func closeTop() throws {
        let frame = frames.removeLast()
        if frame.isObject {
            try sortMembers(frame)
            bytes.append(UInt8(ascii: "}"))
        } else {
            bytes.append(UInt8(ascii: "]"))
        }
    }

    /// Reorders the members by key, comparing UTF-8 bytes as Foundation does.
    private func sortMembers(_ frame: Frame) throws {
        let members = frame.members
        guard members.count > 1 else { return }
        var sorted = true
        for i in 1..<members.count {
            let previous = members[i - 1].key.utf8
            let key = members[i].key.utf8
            if previous.elementsEqual(key) { throw CompactJSONEncoder.Unsupported() }
            if !previous.lexicographicallyPrecedes(key) { sorted = false }
        }
        if sorted { return }
        // Member i spans [start_i, end_i), with its leading comma for i > 0.
        var spans: [(key: String, range: Range<Int>)] = []
        spans.reserveCapacity(members.count)
        var start = frame.start
        for (i, m) in members.enumerated() {
            spans.append((m.key, (i == 0 ? start : start + 1)..<m.end))
            start = m.end
        }
        spans.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        for i in 1..<spans.count where spans[i - 1].key.utf8.elementsEqual(spans[i].key.utf8) {
            throw CompactJSONEncoder.Unsupported()
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count - frame.start)
        for (i, span) in spans.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: bytes[span.range])
        }
        bytes.replaceSubrange(frame.start..<bytes.count, with: out)
    }

    /// The frame `owner`'s value opened, if it opened one.
    func frameOpened(by owner: Int, object: Bool) throws -> Int? {
        guard frames.count == owner + 1, frames[owner].owner == owner else {
            if frames.count > owner { throw CompactJSONEncoder.Unsupported() }
            return nil
        }
        guard frames[owner].isObject == object else { throw CompactJSONEncoder.Unsupported() }
        return owner
    }
}

/// The encoder one value sees: knows which value it encodes, so a second
/// `container(keyedBy:)` call of the same value returns the same object.
struct WrappedOwner: Encoder {
    let writer: JSONByteWriter
    let owner: Int

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        do {
            let index = try writer.frameOpened(by: owner, object: true) ?? writer.open(object: true, owner: owner)
            return KeyedEncodingContainer(JSONKeyedWriter<Key>(writer: writer, frame: index))
        } catch {
            return KeyedEncodingContainer(JSONKeyedWriter<Key>(writer: writer, frame: -1))
        }
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        do {
            let index = try writer.frameOpened(by: owner, object: false) ?? writer.open(object: false, owner: owner)
            return JSONUnkeyedWriter(writer: writer, frame: index)
        } catch {
            return JSONUnkeyedWriter(writer: writer, frame: -1)
        }
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONSingleValueWriter(writer: writer, owner: owner)
    }
}

struct JSONKeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONByteWriter
    /// -1: the container could not be opened in order; every use throws.
    let frame: Int
    var codingPath: [any CodingKey] { [] }

    private func member(_ key: Key, _ body: () throws -> Void) throws {
        try writer.check(frame)
        writer.beginMember(frame, key: key.stringValue)
        try body()
        writer.endMember(frame, key: key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws { try member(key) { writer.writeRaw("null") } }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        try member(key) { writer.writeRaw(value ? "true" : "false") }
    }
    mutating func encode(_ value: String, forKey key: Key) throws { try member(key) { writer.writeString(value) } }
    mutating func encode(_ value: Double, forKey key: Key) throws { throw CompactJSONEncoder.Unsupported() }
    mutating func encode(_ value: Float, forKey key: Key) throws { throw CompactJSONEncoder.Unsupported() }
    mutating func encode(_ value: Int, forKey key: Key) throws { try member(key) { writer.writeInteger(value) } }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try member(key) { writer.writeInteger(value) } }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try member(key) { writer.writeInteger(value) } }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try member(key) { writer.writeInteger(value) } }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try member(key) { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try member(key) { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try member(key) { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try member(key) { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try member(key) { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try member(key) { writer.writeInteger(value) } }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try member(key) { try writer.encodeValue(value) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(JSONKeyedWriter<NestedKey>(writer: writer, frame: -1))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        JSONUnkeyedWriter(writer: writer, frame: -1)
    }
    mutating func superEncoder() -> any Encoder { UnsupportedEncoder() }
    mutating func superEncoder(forKey key: Key) -> any Encoder { UnsupportedEncoder() }
}

struct JSONUnkeyedWriter: UnkeyedEncodingContainer {
    let writer: JSONByteWriter
    let frame: Int
    var codingPath: [any CodingKey] { [] }
    var count: Int { 0 }

    private func element(_ body: () throws -> Void) throws {
        try writer.check(frame)
        writer.beginElement(frame)
        try body()
    }

    mutating func encodeNil() throws { try element { writer.writeRaw("null") } }
    mutating func encode(_ value: Bool) throws { try element { writer.writeRaw(value ? "true" : "false") } }
    mutating func encode(_ value: String) throws { try element { writer.writeString(value) } }
    mutating func encode(_ value: Double) throws { throw CompactJSONEncoder.Unsupported() }
    mutating func encode(_ value: Float) throws { throw CompactJSONEncoder.Unsupported() }
    mutating func encode(_ value: Int) throws { try element { writer.writeInteger(value) } }
    mutating func encode(_ value: Int8) throws { try element { writer.writeInteger(value) } }
    mutating func encode(_ value: Int16) throws { try element { writer.writeInteger(value) } }
    mutating func encode(_ value: Int32) throws { try element { writer.writeInteger(value) } }
    mutating func encode(_ value: Int64) throws { try element { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt) throws { try element { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt8) throws { try element { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt16) throws { try element { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt32) throws { try element { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt64) throws { try element { writer.writeInteger(value) } }
    mutating func encode<T: Encodable>(_ value: T) throws { try element { try writer.encodeValue(value) } }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(JSONKeyedWriter<NestedKey>(writer: writer, frame: -1))
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        JSONUnkeyedWriter(writer: writer, frame: -1)
    }
    mutating func superEncoder() -> any Encoder { UnsupportedEncoder() }
}

struct JSONSingleValueWriter: SingleValueEncodingContainer {
    let writer: JSONByteWriter
    let owner: Int
    var codingPath: [any CodingKey] { [] }

    /// One value, written where the owning value goes.
    private func value(_ body: () throws -> Void) throws {
        if try writer.frameOpened(by: owner, object: true) != nil { throw CompactJSONEncoder.Unsupported() }
        try body()
    }

    mutating func encodeNil() throws { try value { writer.writeRaw("null") } }
    mutating func encode(_ value: Bool) throws { try self.value { writer.writeRaw(value ? "true" : "false") } }
    mutating func encode(_ value: String) throws { try self.value { writer.writeString(value) } }
    mutating func encode(_ value: Double) throws { throw CompactJSONEncoder.Unsupported() }
    mutating func encode(_ value: Float) throws { throw CompactJSONEncoder.Unsupported() }
    mutating func encode(_ value: Int) throws { try self.value { writer.writeInteger(value) } }
    mutating func encode(_ value: Int8) throws { try self.value { writer.writeInteger(value) } }
    mutating func encode(_ value: Int16) throws { try self.value { writer.writeInteger(value) } }
    mutating func encode(_ value: Int32) throws { try self.value { writer.writeInteger(value) } }
    mutating func encode(_ value: Int64) throws { try self.value { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt) throws { try self.value { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt8) throws { try self.value { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt16) throws { try self.value { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt32) throws { try self.value { writer.writeInteger(value) } }
    mutating func encode(_ value: UInt64) throws { try self.value { writer.writeInteger(value) } }
    mutating func encode<T: Encodable>(_ value: T) throws { try self.value { try writer.encodeValue(value) } }
}

/// What `superEncoder()` hands out: every use fails, so the caller falls back.
struct UnsupportedEncoder: Encoder {
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(JSONKeyedWriter<Key>(writer: JSONByteWriter(), frame: -1))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { JSONUnkeyedWriter(writer: JSONByteWriter(), frame: -1) }
    func singleValueContainer() -> any SingleValueEncodingContainer { FailingSingleValue() }
}

struct FailingSingleValue: SingleValueEncodingContainer {
    var codingPath: [any CodingKey] { [] }
    mutating func encodeNil() throws { throw CompactJSONEncoder.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T) throws { throw CompactJSONEncoder.Unsupported() }
}
