/// The *verificatiecode* a school invents when it activates a koppeling.
///
/// It is a secret: this type never prints it. `description` is the masked
/// form, and the plain text is reachable only through `plainText` for the
/// one place that hashes it.
public struct VerificationCode: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let minLength = 20
    public static let maxLength = 50

    public let plainText: String

    /// Checks every rule and reports every one that fails (reuse is checked
    /// by storage, which alone knows the codes used before).
    public static func validate(
        _ raw: String,
        for school: Brin6,
        field: String = "verification_code"
    ) -> Result<VerificationCode, KoppelingError> {
        var violations: [Violation] = []
        let scalars = raw.unicodeScalars
        let length = scalars.count
        if length < minLength || length > maxLength {
            violations.append(
                Violation(
                    field: field,
                    reason: .verificationCodeLength,
                    message:
                        "De verificatiecode moet minimaal \(minLength) en mag maximaal \(maxLength) tekens bevatten (nu \(length))."
                )
            )
        }
        if !scalars.allSatisfy({ $0.isASCII && UInt8($0.value).isASCIIAlphanumeric }) {
            violations.append(
                Violation(
                    field: field,
                    reason: .verificationCodeCharacters,
                    message:
                        "De verificatiecode mag alleen letters en cijfers bevatten (A-Z, a-z, 0-9): geen spaties, leestekens of andere tekens."
                )
            )
        }
        // The vendor's own screenshot shows a lower-case prefix: compare
        // the first six characters without regard to case.
        let prefix = String(String.UnicodeScalarView(scalars.prefix(6)))
        if prefix.asciiUppercased != school.value {
            violations.append(
                Violation(
                    field: field,
                    reason: .verificationCodePrefix,
                    message:
                        "De verificatiecode moet beginnen met het BRIN- en vestigingsnummer van de school (\(school.value))."
                )
            )
        }
        if violations.isEmpty { return .success(VerificationCode(plainText: raw)) }
        return .failure(.rules(violations))
    }

    public init(plainText: String) { self.plainText = plainText }

    /// The form a code is kept (hashed) in: the six prefix characters
    /// upper-cased, the rest exactly as typed. `21qw00Abc…` and `21QW00Abc…`
    /// are one code; `21QW00abc…` is another.
    public var canonical: String {
        String(String.UnicodeScalarView(plainText.unicodeScalars.prefix(6))).asciiUppercased
            + String(String.UnicodeScalarView(plainText.unicodeScalars.dropFirst(6)))
    }

    /// The code with every ASCII letter of its prefix in each case, the
    /// canonical form first. A register written before codes were kept in
    /// canonical form holds the hash of the code as typed; one of these is
    /// that text. A valid prefix has two letters: four variants (at most 64).
    public var prefixCaseVariants: [String] {
        let scalars = Array(plainText.unicodeScalars)
        let rest = String(String.UnicodeScalarView(scalars.dropFirst(6)))
        var prefixes: [String] = [String(String.UnicodeScalarView(scalars.prefix(6))).asciiUppercased]
        for (i, scalar) in scalars.prefix(6).enumerated()
        where scalar.isASCII && (UInt8(scalar.value).isASCIIUpper || UInt8(scalar.value).isASCIILower) {
            prefixes += prefixes.map { prefix in
                var chars = Array(prefix.unicodeScalars)
                chars[i] = Unicode.Scalar(UInt8(scalar.value) | 0x20)
                return String(String.UnicodeScalarView(chars))
            }
        }
        return prefixes.map { $0 + rest }
    }

    /// The fewest distinct characters after the prefix that a code should
    /// have; fewer is accepted with a warning.
    public static let minDistinctAfterPrefix = 8

    /// Whether the part after the prefix has fewer than
    /// `minDistinctAfterPrefix` distinct characters (`21QW00aaaaaaaaaaaaaaaaaa`).
    public var isWeak: Bool {
        Set(plainText.unicodeScalars.dropFirst(6)).count < Self.minDistinctAfterPrefix
    }

    public var masked: MaskedCode {
        MaskedCode(prefix: String(plainText.prefix(6)).asciiUppercased, length: plainText.count)
    }
    public var description: String { masked.description }
    public var debugDescription: String { masked.description }
    /// `dump` and other reflection would otherwise show `plainText`.
    public var customMirror: Mirror { Mirror(self, children: ["masked": masked]) }
}

/// What listings show of a code: its BRIN6 prefix and its length.
public struct MaskedCode: Sendable, Equatable, CustomStringConvertible, Codable {
    public let prefix: String
    public let length: Int

    public init(prefix: String, length: Int) {
        self.prefix = prefix
        self.length = length
    }

    public var description: String { "\(prefix)… (\(length) tekens)" }
}

extension String {
    /// What a reply or the audit may repeat of a value that failed
    /// validation: its first six characters and its length. Administrators
    /// paste verification codes into the wrong field, and whatever follows
    /// the BRIN6 prefix of such a value is a secret.
    public var masked: String {
        let prefix = String(String.UnicodeScalarView(unicodeScalars.prefix(6))).printableExcerpt
        return MaskedCode(prefix: prefix, length: unicodeScalars.count).description
    }
}
