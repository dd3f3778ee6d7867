/// A request line as values, read in one pass from bytes that
/// `Dispatcher.isWellFormedText` and `JSONSyntax.verdict` already accepted
/// (valid UTF-8, valid JSON, no member name twice). `TreeDecoder` decodes
/// the envelope and the params from it.
indirect enum JSONTree: Sendable {
    case null
    case bool(Bool)
    /// The number's text as written: each integer type reads it itself.
    case number(String)
    case string(String)
    case array([JSONTree])
    case object([(name: String, value: JSONTree)])

    /// Deeper than this is refused, as Foundation's decoder refuses it
    /// (512): the tree is built and taken apart recursively.
    static let maximumDepth = 512

    /// The tree of `bytes`, or nil if they are not one JSON value (which the
    /// checks before should have found) or nest deeper than `maximumDepth`.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> JSONTree? {
        var reader = Reader(bytes: bytes)
        reader.skipSpace()
        guard let value = reader.value(depth: 0) else { return nil }
        reader.skipSpace()
        return reader.i == bytes.count ? value : nil
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var i = 0

        var current: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func skipSpace() {
            while let b = current, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { i += 1 }
        }

        mutating func value(depth: Int) -> JSONTree? {
            guard let b = current else { return nil }
            switch b {
            case UInt8(ascii: "{"):
                guard depth < JSONTree.maximumDepth else { return nil }
                i += 1
                var members: [(name: String, value: JSONTree)] = []
                skipSpace()
                if current == UInt8(ascii: "}") {
                    i += 1
                    return .object(members)
                }
                while true {
                    skipSpace()
                    guard current == UInt8(ascii: "\""), let name = string() else { return nil }
                    skipSpace()
                    guard current == UInt8(ascii: ":") else { return nil }
                    i += 1
                    skipSpace()
                    guard let v = value(depth: depth + 1) else { return nil }
                    members.append((name, v))
                    skipSpace()
                    guard let next = current else { return nil }
                    i += 1
                    if next == UInt8(ascii: "}") { return .object(members) }
                    guard next == UInt8(ascii: ",") else { return nil }
                }
            case UInt8(ascii: "["):
                guard depth < JSONTree.maximumDepth else { return nil }
                i += 1
                var elements: [JSONTree] = []
                skipSpace()
                if current == UInt8(ascii: "]") {
                    i += 1
                    return .array(elements)
                }
                while true {
                    skipSpace()
                    guard let v = value(depth: depth + 1) else { return nil }
                    elements.append(v)
                    skipSpace()
                    guard let next = current else { return nil }
                    i += 1
                    if next == UInt8(ascii: "]") { return .array(elements) }
                    guard next == UInt8(ascii: ",") else { return nil }
                }
            case UInt8(ascii: "\""):
                return string().map(JSONTree.string)
            case UInt8(ascii: "t"):
                return word("true") ? .bool(true) : nil
            case UInt8(ascii: "f"):
                return word("false") ? .bool(false) : nil
            case UInt8(ascii: "n"):
                return word("null") ? .null : nil
            default:
                let start = i
                while let c = current,
                    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: "-")
                        || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "e")
                        || c == UInt8(ascii: "E")
                {
                    i += 1
                }
                guard i > start else { return nil }
                return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
            }
        }

        mutating func word(_ text: StaticString) -> Bool {
            let n = text.utf8CodeUnitCount
            guard i + n <= bytes.count else { return false }
            for k in 0..<n where bytes[i + k] != text.utf8Start[k] { return false }
            i += n
            return true
        }

        /// A string from its opening quote: escapes undone, UTF-16 pairs joined.
        mutating func string() -> String? {
            i += 1
            let start = i
            // Most strings hold no escape: their bytes are the string.
            while let b = current, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\") { i += 1 }
            guard let end = current else { return nil }
            if end == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(i - 1)]), as: UTF8.self)
            }
            var out = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
            while let b = current {
                i += 1
                switch b {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let e = current else { return nil }
                    i += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let unit = hex4() else { return nil }
                        var scalar = UInt32(unit)
                        if (0xD800...0xDBFF).contains(unit) {
                            guard word("\\u"), let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                            scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                        }
                        guard let s = Unicode.Scalar(scalar) else { return nil }
                        out.append(contentsOf: UTF8.encode(s)!)
                    default: return nil
                    }
                default:
                    out.append(b)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt16? {
            guard i + 4 <= bytes.count else { return nil }
            var v: UInt16 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                let d: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
                default: return nil
                }
                v = v << 4 | UInt16(d)
                i += 1
            }
            return v
        }
    }
}
