/// A school location (vestiging): the 4-character BRIN (2 digits, 2 upper-case
/// letters) followed by the 2-digit vestigingsnummer, e.g. `21QW00`.
public struct Brin6: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let value: String

    /// Trims and upper-cases the input, then checks `^[0-9]{2}[A-Z]{2}[0-9]{2}$`.
    public static func parse(_ raw: String, field: String = "brin6") -> Result<Brin6, Violation> {
        let normalised = raw.trimmingWhitespace().asciiUppercased
        if isWellFormed(normalised) { return .success(Brin6(unchecked: normalised)) }
        return .failure(
            Violation(
                field: field,
                reason: .brin6Format,
                message:
                    "'\(raw.masked)' is geen geldig BRIN6-nummer: verwacht 2 cijfers, 2 letters en het 2-cijferige vestigingsnummer, bijvoorbeeld 21QW00."
            )
        )
    }

    init(unchecked value: String) { self.value = value }

    static func isWellFormed(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 6 else { return false }
        return u[0].isASCIIDigit && u[1].isASCIIDigit
            && u[2].isASCIIUpper && u[3].isASCIIUpper
            && u[4].isASCIIDigit && u[5].isASCIIDigit
    }

    public var description: String { value }
    public static func < (a: Brin6, b: Brin6) -> Bool { a.value < b.value }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        switch Brin6.parse(raw) {
        case .success(let b): self = b
        case .failure(let v):
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: v.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}

extension UInt8 {
    var isASCIIDigit: Bool { self >= 0x30 && self <= 0x39 }
    var isASCIIUpper: Bool { self >= 0x41 && self <= 0x5A }
    var isASCIILower: Bool { self >= 0x61 && self <= 0x7A }
    var isASCIIAlphanumeric: Bool { isASCIIDigit || isASCIIUpper || isASCIILower }
}

extension String {
    /// Trims Unicode white space (including non-breaking spaces) at both ends.
    public func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }

    /// Upper-cases `a`-`z` only. Unicode case mapping would turn `21ß00`
    /// into `21SS00` (or `ı` into `I`) and let a malformed input pass.
    var asciiUppercased: String {
        String(decoding: utf8.map { $0.isASCIILower ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    /// Lower-cases `A`-`Z` only, for the same reason: the Kelvin sign
    /// (U+212A) is not a `k`.
    var asciiLowercased: String {
        String(decoding: utf8.map { $0.isASCIIUpper ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// A short, single-line excerpt safe to echo back in a message: no
    /// control character, and no bidirectional control or line separator
    /// (one would turn the rest of the message around on a terminal).
    var printableExcerpt: String {
        let cleaned = String(
            self.unicodeScalars.map {
                $0.properties.generalCategory == .control || $0.isLayoutControl ? "?" : Character($0)
            }
        )
        return cleaned.count > 40 ? String(cleaned.prefix(40)) + "…" : cleaned
    }
}
