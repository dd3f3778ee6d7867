import Testing

@testable import KoppelingCore

@Suite("Activation rules")
struct ActivationRulesTests {
    let today = day("2026-05-12")

    func input(
        school: String = "21QW00",
        koppeling: String = "topdossier-eckid",
        name: String = "J. de Vries",
        agree: Bool = true,
        code: String = "21QW00abcdefghijklmnop",
        startDate: String? = nil,
        endDate: String? = nil,
        termsVersion: String = "2024.1"
    ) -> ActivationInput {
        ActivationInput(
            school: school,
            koppeling: koppeling,
            name: name,
            agree: agree,
            termsVersion: termsVersion,
            verificationCode: code,
            startDate: startDate,
            endDate: endDate
        )
    }

    func violations(_ i: ActivationInput) -> [Violation] {
        ActivationRules.validate(i, today: today).failureValue?.violations ?? []
    }

    @Test func validInputIsNormalised() throws {
        let v = try #require(
            ActivationRules.validate(
                input(
                    school: " 21qw00 ",
                    koppeling: " TopDossier-ECKiD ",
                    name: "  J. de Vries ",
                    code: "21qw00abcdefghijklmnop"
                ),
                today: today
            ).successValue
        )
        #expect(v.school == brin("21QW00"))
        #expect(v.koppeling == "topdossier-eckid")
        #expect(v.acceptedByName == "J. de Vries")
        #expect(v.code.plainText == "21qw00abcdefghijklmnop")
    }

    @Test func startDateDefaultsToToday() throws {
        let v = try #require(ActivationRules.validate(input(startDate: nil), today: today).successValue)
        #expect(v.startDate == today)
    }

    @Test func startDateTodayOrLaterIsAllowed() {
        #expect(ActivationRules.validate(input(startDate: "2026-05-12"), today: today).successValue?.startDate == today)
        #expect(
            ActivationRules.validate(input(startDate: " 2026-05-13 "), today: today).successValue?.startDate
                == day("2026-05-13")
        )
        #expect(
            ActivationRules.validate(input(startDate: "2027-01-01"), today: today).successValue?.startDate
                == day("2027-01-01")
        )
    }

    @Test func startDateInThePastIsRefused() {
        #expect(violations(input(startDate: "2026-05-11")).map(\.reason) == [.startDateInPast])
        #expect(violations(input(startDate: "2025-12-31")).map(\.reason) == [.startDateInPast])
    }

    @Test(
        "a malformed or impossible start date is refused",
        arguments: [
            "2026-02-30", "2026-13-01", "2026-5-12", "12-05-2026", "2026/05/12", "", "morgen", "2026-05-12T00:00:00Z",
        ]
    )
    func startDateFormat(raw: String) {
        let v = violations(input(startDate: raw))
        #expect(v.map(\.reason) == [.startDateFormat])
        #expect(v.first?.field == "start_date")
    }

    @Test func everyFailingInputIsReportedAtOnce() {
        let v = violations(
            input(
                school: "21QW0",
                koppeling: " ",
                name: " ",
                agree: false,
                code: "kort!",
                startDate: "2026-05-01"
            )
        )
        let reasons = Set(v.map(\.reason))
        #expect(
            reasons == [
                .brin6Format, .required, .nameRequired, .agreementRequired, .startDateInPast,
                .verificationCodeLength, .verificationCodeCharacters,
            ]
        )
        #expect(Set(v.map(\.field)) == ["brin6", "koppeling", "name", "agree", "start_date", "verification_code"])
    }

    @Test func malformedStartDateIsReportedWithTheOtherFailures() {
        let v = violations(
            input(
                name: String(repeating: "x", count: 101),
                agree: false,
                code: "21QW01abcdefghijklmnop",
                startDate: "2026-02-30"
            )
        )
        #expect(Set(v.map(\.reason)) == [.nameTooLong, .agreementRequired, .startDateFormat, .verificationCodePrefix])
    }

    @Test func codeRulesAreCheckedForAValidSchool() {
        #expect(
            violations(input(code: "21QW01 abc")).map(\.reason)
                == [.verificationCodeLength, .verificationCodeCharacters, .verificationCodePrefix]
        )
    }

    @Test func withoutAValidSchoolTheCodePrefixIsNotJudged() {
        // No BRIN6 to compare with: reporting a prefix failure would be noise,
        // but the length and character rules still apply.
        #expect(violations(input(school: "nope", code: "21QW00abcdefghijklmnop")).map(\.reason) == [.brin6Format])
        #expect(
            Set(violations(input(school: "nope", code: "abc def")).map(\.reason))
                == [.brin6Format, .verificationCodeLength, .verificationCodeCharacters]
        )
    }

    @Test func startDateAtMostTwoYearsAhead() {
        let latest = ActivationRules.latestStartDate(today: today)
        #expect(latest == LocalDate(year: today.year + 2, month: today.month, day: today.day))
        #expect(violations(input(startDate: latest.description)).isEmpty)
        let v = violations(input(startDate: latest.adding(days: 1).description))
        #expect(v.map(\.reason) == [.startDateTooFar])
        #expect(v.first?.field == "start_date")
        #expect(violations(input(startDate: "9999-12-31")).map(\.reason) == [.startDateTooFar])
        // 29 February two years on is 28 February.
        #expect(ActivationRules.latestStartDate(today: LocalDate(iso: "2028-02-29")!) == LocalDate(iso: "2030-02-28"))
    }

    @Test func agreementIsRequired() {
        let v = violations(input(agree: false))
        #expect(v.map(\.reason) == [.agreementRequired])
        #expect(v.first?.field == "agree")
    }

    @Test func nameRules() {
        #expect(violations(input(name: "")).map(\.reason) == [.nameRequired])
        #expect(violations(input(name: "J.\u{0}de Vries")).map(\.reason) == [.nameCharacters])
        #expect(violations(input(name: String(repeating: "x", count: 100))).isEmpty)
        #expect(violations(input(name: String(repeating: "x", count: 101))).map(\.reason) == [.nameTooLong])
    }

    @Test func errorSummarisesEveryViolation() throws {
        let error = try #require(ActivationRules.validate(input(name: "", agree: false), today: today).failureValue)
        #expect(error.reason == .nameRequired)
        #expect(error.fields == ["name", "agree"])
        #expect(error.message.hasPrefix("2 regels"))
    }

    @Test func describingTheInputNeverRevealsTheCode() {
        let i = input(code: "21QW00GeheimeCode2026x")
        var dumped = ""
        dump(i, to: &dumped)
        for text in ["\(i)", String(reflecting: i), dumped] {
            #expect(!text.contains("GeheimeCode"))
            #expect(text.contains("J. de Vries"))
        }
        // An unchecked code need not start with the BRIN6: not even its
        // first characters are shown.
        let wrong = input(code: "Geheim-kort")
        for text in ["\(wrong)", String(reflecting: wrong)] {
            #expect(!text.lowercased().contains("geheim"))
        }
        let validated = ActivationRules.validate(i, today: today).successValue
        var dumpedValidated = ""
        dump(validated as Any, to: &dumpedValidated)
        #expect(!dumpedValidated.contains("GeheimeCode"))
        #expect(!"\(validated as Any)".contains("GeheimeCode"))
    }
}

@Suite("ECKiD import rules")
struct EckidRulesTests {
    @Test func activeFromTheNextDayAndNotBeforeTheStartDate() {
        #expect(
            EckidRules.activeFrom(today: day("2026-05-12"), activationStart: day("2026-05-12")) == day("2026-05-13")
        )
        #expect(
            EckidRules.activeFrom(today: day("2026-12-31"), activationStart: day("2026-12-01")) == day("2027-01-01")
        )
        #expect(
            EckidRules.activeFrom(today: day("2026-05-12"), activationStart: day("2026-06-01")) == day("2026-06-01")
        )
        #expect(
            EckidRules.activeFrom(today: day("2026-05-12"), activationStart: day("2026-05-13")) == day("2026-05-13")
        )
    }
}
