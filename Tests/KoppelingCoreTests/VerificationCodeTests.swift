import Testing

@testable import KoppelingCore

@Suite("Verification code")
struct VerificationCodeTests {
    let school = brin("21QW00")

    /// A code for `school` of exactly `length` characters.
    func code(length: Int, prefix: String = "21QW00") -> String {
        let filler = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return prefix + String(filler.prefix(length - prefix.count))
    }

    func reasons(_ raw: String, for school: Brin6? = nil) -> [Reason] {
        switch VerificationCode.validate(raw, for: school ?? self.school) {
        case .success: return []
        case .failure(let e): return e.violations.map(\.reason)
        }
    }

    @Test func lengthBoundaries() {
        #expect(reasons(code(length: 19)) == [.verificationCodeLength])
        #expect(reasons(code(length: 20)) == [])
        #expect(reasons(code(length: 50)) == [])
        #expect(reasons(code(length: 51)) == [.verificationCodeLength])
        #expect(reasons("") == [.verificationCodeLength, .verificationCodePrefix])
    }

    @Test func acceptedCodeKeepsItsPlainText() {
        let raw = code(length: 24)
        #expect(VerificationCode.validate(raw, for: school).successValue?.plainText == raw)
    }

    @Test(
        "only ASCII letters and digits are allowed",
        arguments: [
            "21QW00-abcdefghijklmn",
            "21QW00 abcdefghijklmn",
            "21QW00abcdefghijklmn ",
            "21QW00abcdefg.ijklmn",
            "21QW00abcdefg_ijklmn",
            "21QW00abcdefgéijklmn",
            "21QW00abcdefgßijklmn",
            "21QW00abcdefgÉijklmn",
            "21QW00abcdefg٣ijklmn",  // Arabic-Indic digit
            "21QW00abcdefg３ijklmn",  // full-width digit
            "21QW00abcdefg\u{0}ijklmn",
            "21QW00abcdefg\nijklmn",
            "21QW00abcdefg😀ijklmn",
        ]
    )
    func refusesCharacters(raw: String) {
        #expect(reasons(raw) == [.verificationCodeCharacters])
    }

    @Test func codeIsNotTrimmed() {
        // What the school wrote down must be entered exactly, spaces included.
        #expect(reasons(" 21QW00abcdefghijklmn") == [.verificationCodeCharacters, .verificationCodePrefix])
    }

    @Test func prefixOfAnotherVestigingIsRefused() {
        #expect(reasons(code(length: 24, prefix: "21QW01")) == [.verificationCodePrefix])
        #expect(reasons(code(length: 24, prefix: "21QX00")) == [.verificationCodePrefix])
        #expect(reasons("abcdefghijklmnopqrstuvwx") == [.verificationCodePrefix])
        // The BRIN6 somewhere else in the code is not a prefix.
        #expect(reasons("x21QW00abcdefghijklmnop") == [.verificationCodePrefix])
    }

    @Test func prefixIsComparedWithoutRegardToCase() {
        #expect(reasons(code(length: 24, prefix: "21qw00")) == [])
        #expect(reasons(code(length: 24, prefix: "21Qw00")) == [])
    }

    @Test func prefixMustBeASCIIEvenWhereUnicodeCaseMappingWouldMatch() {
        // "ı".uppercased() == "I": the prefix is not the school's BRIN6.
        #expect(
            reasons("21qı00abcdefghijklmnop", for: brin("21QI00"))
                == [.verificationCodeCharacters, .verificationCodePrefix]
        )
    }

    @Test func everyViolationIsReportedAtOnce() throws {
        let error = try #require(VerificationCode.validate("21QW01 abc", for: school).failureValue)
        #expect(
            error.violations.map(\.reason) == [
                .verificationCodeLength, .verificationCodeCharacters, .verificationCodePrefix,
            ]
        )
        #expect(error.violations.allSatisfy { $0.field == "verification_code" })
        #expect(error.reason == .verificationCodeLength)
    }

    @Test func violationsNeverEchoTheCode() throws {
        let raw = "21QW01 secretsecret!!"
        let error = try #require(VerificationCode.validate(raw, for: school).failureValue)
        #expect(!error.violations.isEmpty)
        for v in error.violations { #expect(!v.message.contains("secretsecret")) }
        #expect(!error.message.contains("secretsecret"))
    }

    @Test func maskedFormShowsPrefixAndLength() {
        let c = VerificationCode(plainText: "21qw00GeheimeCode2026x")
        #expect(c.masked == MaskedCode(prefix: "21QW00", length: 22))
        #expect(c.masked.description == "21QW00… (22 tekens)")
    }

    @Test func printingNeverRevealsThePlainText() {
        let secret = "21QW00GeheimeCode2026x"
        let c = VerificationCode(plainText: secret)
        var dumped = ""
        dump(c, to: &dumped)
        let renderings = [
            c.description,
            c.debugDescription,
            "\(c)",
            String(describing: c),
            String(reflecting: c),
            "\([c])",
            "\(Optional(c) as Any)",
            dumped,
            String(describing: Mirror(reflecting: c).children.map(\.value)),
        ]
        for text in renderings {
            #expect(!text.contains("GeheimeCode"), "leaked in: \(text)")
            #expect(!text.contains(secret))
        }
        #expect("\(c)".contains("21QW00"))
    }
}
