/// The JSON grammar (RFC 8259) checked over a whole line in one pass, with
/// no allocation but the stack of open containers.
///
/// The decoder checks structure up front but a string's escapes and a
/// number's digits only when it reads that value, so a defect in a member
/// nobody reads (an unknown envelope member, an extra member of a
/// `school.import` row) would slip through: `"x":"\q"`, `"x":01`, `"x":-`.
/// Found by the libFuzzer target (Fuzz/). Escaped UTF-16 surrogates must
/// pair up, as the decoder insists where it reads them.
enum JSONSyntax {
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var scanner = Scanner(bytes: bytes)
        return scanner.document()
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var i = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var current: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func skipSpace() {
            while let b = current, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { i += 1 }
        }

        /// One value and nothing after it but white space. Containers are
        /// kept on an explicit stack: nesting depth costs no call stack.
        mutating func document() -> Bool {
            var open: [UInt8] = []  // `{` or `[`, innermost last
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
                        open.append(b)
                        if b == UInt8(ascii: "{"), !memberName() { return false }
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
                    guard let container = open.last else {
                        return current == nil
                    }
                    guard let b = current else { return false }
                    if b == UInt8(ascii: ",") {
                        i += 1
                        if container == UInt8(ascii: "{"), !memberName() { return false }
                        continue valueLoop
                    }
                    guard b == (container == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                        return false
                    }
                    i += 1
                    open.removeLast()
                }
            }
        }

        /// `"name"` and the `:` after it.
        mutating func memberName() -> Bool {
            skipSpace()
            guard current == UInt8(ascii: "\""), string() else { return false }
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
            while let b = current {
                i += 1
                switch b {
                case UInt8(ascii: "\""):
                    return true
                case UInt8(ascii: "\\"):
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
                let b = bytes[i]
                let d: UInt8
                switch b {
                case 0x30...0x39: d = b - 0x30
                case 0x41...0x46: d = b - 0x41 + 10
                case 0x61...0x66: d = b - 0x61 + 10
                default: return nil
                }
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
    fileprivate var isDigit: Bool { self >= 0x30 && self <= 0x39 }
}
