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
    private struct Entry {
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
    private struct NameTable {
        /// The object's stack index.
        let object: Int
        /// 0: empty; else a name's hash (high 32 bits) and its stack index + 1.
        var slots: [UInt64] = Array(repeating: 0, count: 64)
        var count = 0
    }

    private struct Scanner {
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

        /// Keeps `name` for the innermost open object, unless it has it already.
        mutating func note(_ name: Entry) {
            let first = container + 1
            if tables.last?.object == container {
                stack.append(name)
                if !insert(stack.count - 1) { found(name) }
                return
            }
            for k in first..<stack.count where same(stack[k], name) {
                found(name)
                return
            }
            stack.append(name)
            if stack.count - first > JSONSyntax.linearLimit {
                // All different: each was compared with those before it.
                tables.append(NameTable(object: container))
                for k in first..<stack.count { _ = insert(k) }
            }
        }

        mutating func found(_ name: Entry) {
            duplicate = name
            tables = []
        }

        /// Puts the name at stack index `index` in the innermost table;
        /// false if the table has that name already.
        mutating func insert(_ index: Int) -> Bool {
            let hash = self.hash(stack[index])
            var table = tables.removeLast()
            defer { tables.append(table) }
            if (table.count + 1) * 2 > table.slots.count {
                // Twice the size, each name where its stored hash puts it.
                var slots = [UInt64](repeating: 0, count: table.slots.count * 2)
                for slot in table.slots where slot != 0 {
                    var p = Int(slot >> 32) & (slots.count - 1)
                    while slots[p] != 0 { p = (p + 1) & (slots.count - 1) }
                    slots[p] = slot
                }
                table.slots = slots
            }
            let mask = table.slots.count - 1
            var p = Int(hash) & mask
            while table.slots[p] != 0 {
                let slot = table.slots[p]
                if UInt32(slot >> 32) == hash, same(stack[Int(slot & 0xFFFF_FFFF) - 1], stack[index]) { return false }
                p = (p + 1) & mask
            }
            table.slots[p] = UInt64(hash) << 32 | UInt64(index + 1)
            table.count += 1
            return true
        }

        /// The seeded hash of a name's unescaped bytes.
        mutating func hash(_ name: Entry) -> UInt32 {
            var hasher = Hasher()
            if name.escaped {
                scratch.removeAll(keepingCapacity: true)
                unescape(name, into: &scratch)
                scratch.withUnsafeBytes { hasher.combine(bytes: $0) }
            } else {
                hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: bytes[Int(name.start)..<Int(name.end)]))
            }
            return UInt32(truncatingIfNeeded: hasher.finalize())
        }

        /// Whether two names are the same once unescaped.
        func same(_ a: Entry, _ b: Entry) -> Bool {
            if !a.escaped, !b.escaped {
                return a.end - a.start == b.end - b.start
                    && bytes[Int(a.start)..<Int(a.end)].elementsEqual(bytes[Int(b.start)..<Int(b.end)])
            }
            var x = Unescaping(bytes: bytes, i: Int(a.start), end: Int(a.end))
            var y = Unescaping(bytes: bytes, i: Int(b.start), end: Int(b.end))
            while true {
                let p = x.next()
                guard p == y.next() else { return false }
                if p == nil { return true }
            }
        }

        func unescape(_ name: Entry, into out: inout [UInt8]) {
            var x = Unescaping(bytes: bytes, i: Int(name.start), end: Int(name.end))
            while let b = x.next() { out.append(b) }
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

    /// The UTF-8 bytes of a checked string's contents with its escapes undone.
    private struct Unescaping: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var i: Int
        let end: Int
        /// The bytes of a scalar still to come, next one in the highest used byte.
        var pending: UInt32 = 0
        var pendingCount = 0

        mutating func next() -> UInt8? {
            if pendingCount > 0 {
                pendingCount -= 1
                return UInt8(truncatingIfNeeded: pending >> (8 * pendingCount))
            }
            guard i < end else { return nil }
            let b = bytes[i]
            i += 1
            guard b == UInt8(ascii: "\\") else { return b }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "b"): return 0x08
            case UInt8(ascii: "f"): return 0x0C
            case UInt8(ascii: "n"): return 0x0A
            case UInt8(ascii: "r"): return 0x0D
            case UInt8(ascii: "t"): return 0x09
            case UInt8(ascii: "u"): break
            default: return e  // `"` `\` `/`
            }
            var scalar = UInt32(unit())
            if (0xD800...0xDBFF).contains(scalar) {
                i += 2  // `\u`, checked to follow
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (UInt32(unit()) - 0xDC00)
            }
            switch scalar {
            case ..<0x80:
                return UInt8(scalar)
            case ..<0x800:
                pending = continuation(scalar)
                pendingCount = 1
                return UInt8(0xC0 | (scalar >> 6))
            case ..<0x10000:
                pending = continuation(scalar >> 6) << 8 | continuation(scalar)
                pendingCount = 2
                return UInt8(0xE0 | (scalar >> 12))
            default:
                pending = continuation(scalar >> 12) << 16 | continuation(scalar >> 6) << 8 | continuation(scalar)
                pendingCount = 3
                return UInt8(0xF0 | (scalar >> 18))
            }
        }

        /// A UTF-8 continuation byte of the low six bits.
        func continuation(_ bits: UInt32) -> UInt32 { 0x80 | (bits & 0x3F) }

        /// Four hex digits, checked already.
        mutating func unit() -> UInt16 {
            var v: UInt16 = 0
            for _ in 0..<4 {
                v = v << 4 | UInt16(bytes[i].hexDigitValue!)
                i += 1
            }
            return v
        }
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { self >= 0x30 && self <= 0x39 }

    fileprivate var hexDigitValue: UInt8? {
        switch self {
        case 0x30...0x39: self - 0x30
        case 0x41...0x46: self - 0x41 + 10
        case 0x61...0x66: self - 0x61 + 10
        default: nil
        }
    }
}
