import Testing

@testable import KoppelingCore

/// The rules of consent that need no stored state: terms version, end
/// date, weak codes, and catalogue texts that could act on a terminal.
@Suite("Consent rules")
struct ConsentRulesTests {
    let today = LocalDate(iso: "2026-05-12")!

    func input(
        code: String = "21QW00abcdefghijklmnop",
        startDate: String? = nil,
        endDate: String? = nil,
        termsVersion: String = "2024.1"
    ) -> ActivationInput {
        ActivationInput(
            school: "21QW00",
            koppeling: "topdossier",
            name: "J. de Vries",
            agree: true,
            termsVersion: termsVersion,
            verificationCode: code,
            startDate: startDate,
            endDate: endDate
        )
    }

    func reasons(_ i: ActivationInput) -> [Reason] {
        ActivationRules.validate(i, today: today).failureValue?.violations.map(\.reason) ?? []
    }

    @Test func theEndDateIsOnOrAfterTheStartDate() throws {
        // The boundary: a koppeling of one day ends on its start date.
        let oneDay = try #require(
            ActivationRules.validate(input(startDate: "2026-06-01", endDate: "2026-06-01"), today: today).successValue
        )
        #expect(oneDay.endDate == oneDay.startDate)
        #expect(reasons(input(startDate: "2026-06-01", endDate: "2026-05-31")) == [.endDateBeforeStart])
        // Without a start date, today is the start.
        #expect(reasons(input(endDate: "2026-05-11")) == [.endDateBeforeStart])
        #expect(ActivationRules.validate(input(endDate: "2026-05-12"), today: today).successValue != nil)
        #expect(reasons(input(endDate: "2026-02-30")) == [.endDateFormat])
        #expect(reasons(input(endDate: "31-07-2027")) == [.endDateFormat])
        #expect(ActivationRules.validate(input(), today: today).successValue?.endDate == nil)
    }

    @Test func theTermsVersionShownIsRequired() throws {
        #expect(reasons(input(termsVersion: "  ")) == [.termsVersionRequired])
        #expect(
            ActivationRules.validate(input(termsVersion: " 2024.1 "), today: today).successValue?.termsVersion
                == "2024.1"
        )
    }

    @Test(
        "a weak code: fewer than 8 distinct characters after the prefix",
        arguments: [
            ("21QW00aaaaaaaaaaaaaaaaaa", true),
            ("21QW00abcdefgabcdefgabcd", true),  // 7 distinct
            ("21QW00abcdefghabcdefghab", false),  // 8 distinct
            ("21QW00Xk3mP9qR7sT2vW5yZ8", false),
            ("21QW0012121212121212121212", true),
        ]
    )
    func weakCodes(code: String, weak: Bool) {
        #expect(VerificationCode(plainText: code).isWeak == weak)
        // Weak is a warning, never a refusal.
        #expect(ActivationRules.validate(input(code: code), today: today).successValue != nil)
    }

    static let entry = CatalogEntry(
        id: "roosters",
        category: "Roosters",
        name: "Roosterkoppeling",
        description: "Lesroosters uitwisselen",
        supplier: "Rooster BV",
        priceCents: nil,
        termsText: "Voorwaarden\r\n\n1.\tArtikel één.\n",
        termsVersion: "1",
        recommendedPrerequisite: nil,
        carriesEckidImport: false,
        dataSet: DataSet(profile: "Roosters", fields: [.init(name: "leerling_key", description: "Sleutel")]),
        purpose: "Roosters tonen.",
        processorAgreement: nil
    )

    func fields(_ e: CatalogEntry) -> [String] {
        CatalogRules.validate(e, field: "entries[0]", knownIds: []).map(\.field)
    }

    @Test func aTermsTextKeepsItsLineBreaksAndTabs() {
        #expect(fields(Self.entry).isEmpty)
    }

    @Test(
        "a character that acts on a terminal is refused in the terms",
        arguments: [
            "\u{1B}[2J\u{1B}[1;1HGELUKT", "tekst\rGELUKT", "a\u{07}b", "a\u{7F}", "a\u{9B}2J", "a\u{202E}b",
            "a\u{2028}b", "\u{0}",
        ]
    )
    func controlCharactersInTheTerms(text: String) {
        var e = Self.entry
        e.termsText = text
        let v = CatalogRules.validate(e, field: "entries[0]", knownIds: [])
        #expect(v.map(\.field) == ["entries[0].terms_text"])
        #expect(v.map(\.reason) == [.controlCharacter])
    }

    @Test func everyOtherTextRefusesLineBreaksAndTabsToo() {
        let paths: [(WritableKeyPath<CatalogEntry, String>, String)] = [
            (\.name, "name"), (\.category, "category"), (\.description, "description"), (\.supplier, "supplier"),
            (\.purpose, "purpose"), (\.dataSet.profile, "data_set.profile"), (\.termsVersion, "terms_version"),
        ]
        for (path, field) in paths {
            for bad in ["Regel\nRegel", "a\tb", "\u{1B}[31mrood"] {
                var e = Self.entry
                e[keyPath: path] = bad
                #expect(
                    CatalogRules.validate(e, field: "entries[0]", knownIds: []).contains {
                        $0.field == "entries[0].\(field)" && $0.reason == .controlCharacter
                    },
                    "\(field): \(bad.debugDescription)"
                )
            }
        }
        var e = Self.entry
        e.dataSet.fields = [.init(name: "eck\u{1B}id", description: "ok"), .init(name: "ok", description: "a\u{85}")]
        e.processorAgreement = ProcessorAgreement(name: "Model\u{202E}", version: "4.0")
        #expect(
            Set(fields(e)) == [
                "entries[0].data_set.fields[0].name", "entries[0].data_set.fields[1].description",
                "entries[0].processor_agreement.name",
            ]
        )
    }

    @Test func theDataSetPurposeAndAgreementAreChecked() {
        var e = Self.entry
        e.dataSet = DataSet(profile: " ", fields: [])
        e.purpose = ""
        e.processorAgreement = ProcessorAgreement(name: "Model", version: " ")
        #expect(
            Set(fields(e)) == [
                "entries[0].data_set.profile", "entries[0].data_set.fields", "entries[0].purpose",
                "entries[0].processor_agreement.version",
            ]
        )
        e = Self.entry
        e.dataSet.fields = [
            .init(name: "eck_id", description: "a"), .init(name: "eck_id", description: "b"),
            .init(name: "", description: ""),
        ]
        #expect(
            fields(e) == [
                "entries[0].data_set.fields[1].name", "entries[0].data_set.fields[2].name",
                "entries[0].data_set.fields[2].description",
            ]
        )
    }
}
