import Testing

@testable import KoppelingCore

/// A verification code typed into free text (a name, a school name, a
/// deactivation reason) is refused with `looks_like_code` and shown only
/// masked; honest names pass.
@Suite("A code in free text: the rule")
struct FreeTextCodeRuleTests {
    static let code = "21QW00Hn4Bc7Xs2Fj9Lt5Pm"
    static let secret = String(code.dropFirst(6))

    /// Each free-text field through the rule that guards it, with the
    /// request's own code where the request carries one.
    static let fields: [(String, @Sendable (String) -> Violation?)] = [
        ("person name", { TextRules.personName($0, codes: [code]).failureValue }),
        ("school name", { TextRules.schoolName($0).failureValue }),
        ("deactivation reason", { TextRules.deactivationReason($0).failureValue }),
        (
            "activation name",
            {
                ActivationRules.validate(
                    ActivationInput(
                        school: "21QW00",
                        koppeling: "topdossier",
                        name: $0,
                        agree: true,
                        termsVersion: "2024.1",
                        verificationCode: code,
                        startDate: nil
                    ),
                    today: LocalDate(iso: "2026-11-29")!
                ).failureValue?.violations.first
            }
        ),
    ]

    static let codeShapes: [String] = [
        code,
        "21qw00" + secret,
        "Mijn code is \(code), niet doorgeven.",
        "  \(code)  ",
        // A BRIN6-led run of 20 and of 50, another school's code.
        "99ZZ99" + String(repeating: "a", count: 14),
        "99zz99" + String(repeating: "Ab3", count: 14) + "xy",
        // Longer than any code: a code glued to the word after it.
        code + "VanDerBergAchternaamZonderSpatiesErtussenLang",
        // Split by an invisible character that a listing does not show.
        "21QW00Hn4\u{200B}Bc7Xs2Fj9Lt5Pm",
    ]

    @Test("every shape of a code is refused in every field", arguments: codeShapes)
    func refused(text: String) throws {
        for (field, check) in Self.fields {
            let v = try #require(check(text), "\(field) accepted \(text)")
            #expect(v.reason == .looksLikeCode, "\(field): \(v)")
            #expect(!v.message.contains(Self.secret), "\(field) repeats the code: \(v.message)")
            #expect(v.message.contains("tekens)"), "\(field): the masked form is named: \(v.message)")
        }
    }

    @Test func theMessageMasksTheCode() throws {
        let v = try #require(TextRules.personName("Jan \(Self.code)", codes: [Self.code]).failureValue)
        #expect(v.message.contains("21QW00… (23 tekens)"), "\(v.message)")
        #expect(v.field == "name")
    }

    @Test("the request's own code counts wherever it stands, its prefix in any case")
    func ownCodeEmbedded() {
        // Glued to the word before it: the run does not start with a BRIN6,
        // but the request's own code is in it.
        for name in ["Jan\(Self.code)", "Jan21qw00\(Self.secret)x", "x21Qw00\(Self.secret)"] {
            #expect(TextRules.personName(name, codes: [Self.code]).failureValue?.reason == .looksLikeCode, "\(name)")
        }
        // Without the code in hand the same text is an ordinary word.
        #expect(TextRules.personName("Jan\(Self.code)").successValue != nil)
        // After the prefix the comparison is exact: another case is another code.
        #expect(TextRules.personName("Jan21QW00\(Self.secret.lowercased())", codes: [Self.code]).successValue != nil)
        // A code too short to be one is not looked for.
        #expect(TextRules.personName("Jan de Vries", codes: ["Vries"]).successValue == "Jan de Vries")
    }

    @Test(
        "honest names and reasons pass",
        arguments: [
            "Jan de Vries", "J. van 't Hof", "1e Montessorischool", "21 Apostelen", "Anne-Marie Ç. Öztürk",
            "Stichting 21QW00 Onderwijs", "21QW00", "OBS 21QW00-01 dependance",
            // A BRIN6-led run of 19: one short of a code.
            "99ZZ99" + String(repeating: "a", count: 13),
            // Twenty letters and digits that do not start with a BRIN6.
            "AB12CD34EFGHIJKLMNOPQRSTU", "123456789012345678901234",
        ]
    )
    func honestTextPasses(text: String) {
        for (field, check) in Self.fields {
            #expect(check(text) == nil, "\(field) refused \(text): \(String(describing: check(text)))")
        }
    }

    @Test func deactivationReasonKeepsItsOtherRules() {
        #expect(TextRules.deactivationReason(nil).successValue == .some(nil))
        #expect(TextRules.deactivationReason("   ").successValue == .some(nil))
        #expect(TextRules.deactivationReason(" contract opgezegd ").successValue == "contract opgezegd")
        #expect(TextRules.deactivationReason(String(repeating: "a", count: 501)).failureValue?.reason == .tooLong)
        #expect(TextRules.deactivationReason("a\u{1B}[2J").failureValue?.reason == .controlCharacter)
        #expect(TextRules.deactivationReason("a\u{2028}b").failureValue?.reason == .controlCharacter)
    }

    @Test("a board's name may hold none of its rows' codes")
    func consentWithManyCodes() {
        let other = "21QW01Rt6Yu8Io2Pa4Sd7"
        var violations: [Violation] = []
        _ = ActivationRules.validateConsent(
            koppeling: "topdossier",
            name: "Jan" + other,
            agree: true,
            termsVersion: "2024.1",
            startDate: nil,
            endDate: nil,
            codes: [Self.code, other],
            today: LocalDate(iso: "2026-11-29")!,
            into: &violations
        )
        #expect(violations.map(\.reason) == [.looksLikeCode])
        #expect(violations.map(\.field) == ["name"])
    }

    @Test("a verification_code refusal never repeats the code")
    func verificationCodeRefusalsAreMasked() {
        for raw in [Self.code + "!", "21QW09" + Self.secret, Self.code + String(repeating: "x", count: 40), "21QW00"] {
            let violations = VerificationCode.validate(raw, for: Brin6.parse("21QW00").successValue!)
                .failureValue?.violations ?? []
            #expect(!violations.isEmpty, "\(raw)")
            for v in violations { #expect(!v.message.contains(Self.secret), "\(v.message)") }
        }
    }
}

@Suite("Identifiers fold with ASCII rules only")
struct AsciiIdentifierTests {
    @Test func koppelingIdsFoldAsciiOnly() {
        #expect(CatalogRules.normalisedId(" TopDossier-ECKiD ") == "topdossier-eckid")
        #expect(CatalogRules.normalisedId("topdossier-ec\u{212A}id") == "topdossier-ec\u{212A}id")
        #expect(CatalogRules.normalisedId("TOPDOSSİER") == "topdossİer")
    }

    @Test func activationKeepsAKelvinSignAsItIs() {
        var violations: [Violation] = []
        let consent = ActivationRules.validateConsent(
            koppeling: "topdossier-ec\u{212A}id",
            name: "Jan",
            agree: true,
            termsVersion: "1",
            startDate: nil,
            endDate: nil,
            today: LocalDate(iso: "2026-11-29")!,
            into: &violations
        )
        #expect(consent.koppeling != "topdossier-eckid")
    }

    @Test("BRIN6s fold with ASCII rules only", arguments: ["21\u{212A}W00", "21ſW00", "21ıW00", "21ß00"])
    func brin6(raw: String) {
        #expect(Brin6.parse(raw).failureValue?.reason == .brin6Format)
    }
}
