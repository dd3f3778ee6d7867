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
    public static func validate(_ raw: String, for school: Brin6, field: String = "verification_code") -> Result<VerificationCode, KoppelingError> {
        var violations: [Violation] = []
        let scalars = raw.unicodeScalars
        let length = scalars.count
        if length < minLength || length > maxLength {
            violations.append(Violation(field: field, reason: .verificationCodeLength,
                message: "De verificatiecode moet minimaal \(minLength) en mag maximaal \(maxLength) tekens bevatten (nu \(length))."))
        }
        if !scalars.allSatisfy({ $0.isASCII && UInt8($0.value).isASCIIAlphanumeric }) {
            violations.append(Violation(field: field, reason: .verificationCodeCharacters,
                message: "De verificatiecode mag alleen letters en cijfers bevatten (A-Z, a-z, 0-9): geen spaties, leestekens of andere tekens."))
        }
        // The vendor's own screenshot shows a lower-case prefix: compare
        // the first six characters without regard to case.
        let prefix = String(String.UnicodeScalarView(scalars.prefix(6)))
        if prefix.asciiUppercased != school.value {
            violations.append(Violation(field: field, reason: .verificationCodePrefix,
                message: "De verificatiecode moet beginnen met het BRIN- en vestigingsnummer van de school (\(school.value))."))
        }
        if violations.isEmpty { return .success(VerificationCode(plainText: raw)) }
        return .failure(.rules(violations))
    }

    public init(plainText: String) { self.plainText = plainText }

    public var masked: MaskedCode { MaskedCode(prefix: String(plainText.prefix(6)).uppercased(), length: plainText.count) }
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
