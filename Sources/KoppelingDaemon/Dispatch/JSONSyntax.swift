/// The JSON grammar (RFC 8259) checked over a whole line in one pass, and
/// no member name twice in one object.
///
/// The decoder checks structure up front but a string's escapes and a
/// number's digits only when it reads that value, so a defect in a member
/// nobody reads (an unknown envelope member, an extra member of a
/// `school.import` row) would slip through: `"x":"\q"`, `"x":01`, `"x":-`.
/// Found by the libFuzzer target (Fuzz/). Escaped UTF-16 surrogates must
/// pair up, as the decoder insists where it reads them.
///
/// An object that names a member twice says two things, and the decoder
/// would silently keep one of them (`"method":"hello","method":"school.add"`).
/// Names are compared after unescaping, code point by code point (RFC 8259
/// §8.3): `"a"` and `"\u0061"` are the same name, `"é"` and `"e\u0301"` are
/// not. A line that is not JSON is `invalid` whatever it repeats.
///
/// Allocation: one stack holds the open containers and the names of the
/// open objects, so a request line still costs one allocation (twelve
/// bytes an entry). An object's names are compared one by one up to
/// `linearLimit` members; a larger object gets a hash table, its hash
/// seeded per process as `Set`'s is, so names chosen to collide cannot
/// make it quadratic.
enum JSONSyntax {
    enum Verdict: Equatable, Sendable {
        case valid
        case invalid
        /// Valid JSON with an object that names this member twice (the
        /// first such repetition in the line, unescaped).
        case duplicateMember(String)
    }

    /// Up to this many members an object's names are compared one by one.
    static let linearLimit = 16

    /// What the line is: JSON, JSON that repeats a name in an object, or not JSON.
    static func verdict(_ bytes: UnsafeRawBufferPointer) -> Verdict {
        // Offsets are kept in 32 bits; a request line is at most 1 MiB.
        guard bytes.count < Int(Int32.max) else { return .invalid }
        var scanner = Scanner(bytes: bytes)
        guard scanner.document() else { return .invalid }
        guard let duplicate = scanner.duplicate else { return .valid }
        var name: [UInt8] = []
        scanner.unescape(duplicate, into: &name)
        return .duplicateMember(String(decoding: name, as: UTF8.self))
    }

    /// An entry of the scanner's stack: an open container, or a member
    /// name of the innermost open object. Twelve bytes.
    struct Entry {
        /// `}` or `]` for a container; 0 for a name.
        let close: UInt8
        /// For a name: whether it holds a `\` (if not, its bytes are the name).
        let escaped: Bool
        /// A name: where its bytes between the quotes begin and end. A
        /// container: `start` is the stack index of the container around
        /// it (-1: none).
        let start: Int32
        let end: Int32

        static func container(_ close: UInt8, outer: Int) -> Entry {
            Entry(close: close, escaped: false, start: Int32(outer), end: 0)
        }
    }

    /// The names of an object past `linearLimit` members, by hash.
    struct NameTable {
        /// The object's stack index.
        let object: Int
        /// 0: empty; else a name's hash (high 32 bits) and its stack index + 1.
        var slots: [UInt64] = Array(repeating: 0, count: 64)
        var count = 0
    }

    struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var i = 0
        /// The open containers, each object followed by the names it has
        /// had so far: those above the innermost container are its own.
        var stack: [Entry] = []
        /// The stack index of the innermost open container (-1: none).
        var container = -1
        /// The tables of the open objects past `linearLimit` members, innermost last.
        var tables: [NameTable] = []
        /// Whether the last string read holds a `\`.
        var escaped = false
        /// The first name found twice; once found, names are no longer compared.
        var duplicate: Entry?
        /// An escaped name unescaped, to hash it.
        var scratch: [UInt8] = []

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var current: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func skipSpace() {
            while let b = current, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { i += 1 }
        }

        /// One value and nothing after it but white space. Containers are
        /// kept on an explicit stack: nesting depth costs no call stack.
        mutating func document() -> Bool {
            // Room for a request's envelope and params: one allocation.
            stack.reserveCapacity(32)
            skipSpace()
            // Each turn reads one value, then the `,` `]` `}` after it.
            valueLoop: while true {
                skipSpace()
                guard let b = current else { return false }
                switch b {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    i += 1
                    skipSpace()
                    let close = b == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                    if current == close {
                        i += 1  // empty: the value is complete
                    } else {
                        stack.append(.container(close, outer: container))
                        container = stack.count - 1
                        if close == UInt8(ascii: "}"), !memberName() { return false }
                        continue valueLoop
                    }
                case UInt8(ascii: "\""):
                    guard string() else { return false }
                case UInt8(ascii: "t"): guard literal("true") else { return false }
                case UInt8(ascii: "f"): guard literal("false") else { return false }
                case UInt8(ascii: "n"): guard literal("null") else { return false }
                default:
                    guard number() else { return false }
                }
                // A value is complete: close containers or move to the next member.
                while true {
                    skipSpace()
                    guard container >= 0 else {
                        return current == nil
                    }
                    let close = stack[container].close
                    guard let b = current else { return false }
                    if b == UInt8(ascii: ",") {
                        i += 1
                        if close == UInt8(ascii: "}"), !memberName() { return false }
                        continue valueLoop
                    }
                    guard b == close else { return false }
                    i += 1
                    if tables.last?.object == container { tables.removeLast() }
                    let outer = Int(stack[container].start)
                    stack.removeLast(stack.count - container)
                    container = outer
                }
            }
        }

        /// `"name"` and the `:` after it, in the innermost open object.
        mutating func memberName() -> Bool {
            skipSpace()
            guard current == UInt8(ascii: "\"") else { return false }
            let start = i + 1
            guard string() else { return false }
            if duplicate == nil {
                note(Entry(close: 0, escaped: escaped, start: Int32(start), end: Int32(i - 1)))
            }
            skipSpace()
            guard current == UInt8(ascii: ":") else { return false }
            i += 1
            return true
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard bytes.count - i >= n else { return false }
            for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return false }
            i += n
            return true
        }

        /// At the opening quote.
        mutating func string() -> Bool {
            i += 1
            escaped = false
            while let b = current {
                i += 1
                switch b {
                case UInt8(ascii: "\""):
                    return true
                case UInt8(ascii: "\\"):
                    escaped = true
                    guard let e = current else { return false }
                    i += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                        UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        continue
                    case UInt8(ascii: "u"):
                        guard let unit = hex4() else { return false }
                        if (0xDC00...0xDFFF).contains(unit) { return false }  // a low surrogate alone
                        if (0xD800...0xDBFF).contains(unit) {
                            guard bytes.count - i >= 2, bytes[i] == UInt8(ascii: "\\"),
                                bytes[i + 1] == UInt8(ascii: "u")
                            else { return false }
                            i += 2
                            guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return false }
                        }
                    default:
                        return false
                    }
                default:
                    if b < 0x20 { return false }
                }
            }
            return false  // unterminated
        }

        mutating func hex4() -> UInt16? {
            guard bytes.count - i >= 4 else { return nil }
            var v: UInt16 = 0
            for _ in 0..<4 {
                guard let d = bytes[i].hexDigitValue else { return nil }
                v = v << 4 | UInt16(d)
                i += 1
            }
            return v
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        mutating func number() -> Bool {
            if current == UInt8(ascii: "-") { i += 1 }
            guard let first = current, first.isDigit else { return false }
            i += 1
            if first != UInt8(ascii: "0") { skipDigits() }
            if current == UInt8(ascii: ".") {
                i += 1
                guard current?.isDigit == true else { return false }
                skipDigits()
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                i += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
                guard current?.isDigit == true else { return false }
                skipDigits()
            }
            return true
        }

        mutating func skipDigits() {
            while current?.isDigit == true { i += 1 }
        }
    }

}

extension UInt8 {
    var isDigit: Bool { self >= 0x30 && self <= 0x39 }

    var hexDigitValue: UInt8? {
        switch self {
        case 0x30...0x39: self - 0x30
        case 0x41...0x46: self - 0x41 + 10
        case 0x61...0x66: self - 0x61 + 10
        default: nil
        }
    }
}
