import Foundation
import Testing

@testable import KoppelingCore

@Suite("Catalogue rules")
struct CatalogRulesTests {
    func entry(
        id: String = "topdossier-eckid",
        category: String = "UWLR Leerlinggegevens",
        name: String = "TOP dossier – ECKiD",
        description: String = "UWLR koppeling waarin het leerlingnummer & ECK-Id meegeleverd wordt",
        supplier: String = "Topicus",
        priceCents: Int? = nil,
        termsText: String = "Gebruikersvoorwaarden …",
        termsVersion: String = "2024-1",
        prerequisite: String? = "topdossier",
        eckid: Bool = true,
        dataSet: DataSet = DataSet(
            profile: "UWLR Leerlinggegevens – Smalle set",
            fields: [
                .init(name: "leerlingnummer", description: "Het leerlingnummer"),
                .init(name: "eck_id", description: "De ECK iD van de leerling"),
            ]
        ),
        purpose: String = "Toetsresultaten aan de juiste leerling koppelen.",
        processorAgreement: ProcessorAgreement? = ProcessorAgreement(
            name: "Model Verwerkersovereenkomst",
            version: "4.0"
        )
    ) -> CatalogEntry {
        CatalogEntry(
            id: id,
            category: category,
            name: name,
            description: description,
            supplier: supplier,
            priceCents: priceCents,
            termsText: termsText,
            termsVersion: termsVersion,
            recommendedPrerequisite: prerequisite,
            carriesEckidImport: eckid,
            dataSet: dataSet,
            purpose: purpose,
            processorAgreement: processorAgreement
        )
    }

    let known: Set<String> = ["topdossier", "topdossier-eckid"]

    func fields(_ e: CatalogEntry, known: Set<String>? = nil) -> [String] {
        let v = CatalogRules.validate(e, field: "entries[3]", knownIds: known ?? self.known)
        #expect(v.allSatisfy { $0.reason == .catalogEntryInvalid && !$0.message.isEmpty })
        return v.map(\.field)
    }

    @Test(
        "valid slugs",
        arguments: [
            "topdossier", "topdossier-eckid", "ab", "a1", "0-9", "uwlr-2-leerling",
            String(repeating: "a", count: 64),
        ]
    )
    func validSlugs(slug: String) {
        #expect(CatalogRules.isSlug(slug))
    }

    @Test(
        "invalid slugs",
        arguments: [
            "", "a", "-ab", "ab-", "a--b", "TopDossier", "top_dossier", "top dossier",
            "top.dossier", "topdössier", "top/dossier", " ab", "ab\n", "ａｂ",
            String(repeating: "a", count: 65),
        ]
    )
    func invalidSlugs(slug: String) {
        #expect(!CatalogRules.isSlug(slug))
    }

    @Test func validEntryHasNoViolations() {
        #expect(fields(entry()).isEmpty)
        #expect(fields(entry(id: "topdossier", prerequisite: nil, eckid: false)).isEmpty)
        #expect(fields(entry(priceCents: 0)).isEmpty)
        #expect(fields(entry(priceCents: 100_000_000)).isEmpty)
    }

    @Test func badIdIsReportedWithItsPath() {
        #expect(fields(entry(id: "TOP Dossier")) == ["entries[3].id"])
    }

    @Test func everyMissingFieldIsReported() {
        let e = entry(category: "", name: " ", description: "   ", supplier: "", termsText: "  ", termsVersion: "")
        #expect(
            Set(fields(e)) == [
                "entries[3].category", "entries[3].name", "entries[3].description",
                "entries[3].supplier", "entries[3].terms_text", "entries[3].terms_version",
            ]
        )
    }

    @Test func lengthLimits() {
        #expect(fields(entry(category: String(repeating: "c", count: 100))).isEmpty)
        #expect(fields(entry(category: String(repeating: "c", count: 101))) == ["entries[3].category"])
        #expect(fields(entry(name: String(repeating: "n", count: 200))).isEmpty)
        #expect(fields(entry(name: String(repeating: "n", count: 201))) == ["entries[3].name"])
        #expect(fields(entry(supplier: String(repeating: "s", count: 201))) == ["entries[3].supplier"])
        #expect(fields(entry(description: String(repeating: "d", count: 2000))).isEmpty)
        #expect(fields(entry(description: String(repeating: "d", count: 2001))) == ["entries[3].description"])
        #expect(fields(entry(termsVersion: String(repeating: "v", count: 51))) == ["entries[3].terms_version"])
        #expect(fields(entry(termsText: String(repeating: "t", count: 200_000))).isEmpty)
        #expect(fields(entry(termsText: String(repeating: "t", count: 200_001))) == ["entries[3].terms_text"])
    }

    @Test func priceRange() {
        #expect(fields(entry(priceCents: -1)) == ["entries[3].price_cents"])
        #expect(fields(entry(priceCents: 100_000_001)) == ["entries[3].price_cents"])
    }

    @Test func prerequisiteMustBeAnotherKnownEntry() {
        #expect(fields(entry(prerequisite: "onbekend")) == ["entries[3].recommended_prerequisite"])
        #expect(fields(entry(prerequisite: "topdossier-eckid")) == ["entries[3].recommended_prerequisite"])
        // An entry may recommend one loaded in the same batch, if the caller lists it.
        #expect(fields(entry(id: "nieuw", prerequisite: "ander"), known: ["ander"]).isEmpty)
        // Naming itself is refused even when its own id is among the known ones.
        #expect(
            fields(entry(id: "nieuw", prerequisite: "nieuw"), known: ["nieuw"]) == [
                "entries[3].recommended_prerequisite"
            ]
        )
    }

    @Test func severalProblemsAreReportedTogether() {
        let e = entry(id: "Bad Id", name: "", priceCents: -5, prerequisite: "onbekend")
        #expect(
            Set(fields(e)) == [
                "entries[3].id", "entries[3].name", "entries[3].price_cents",
                "entries[3].recommended_prerequisite",
            ]
        )
    }

    @Test func priceText() {
        #expect(Price.text(cents: nil) == "n.v.t.")
        #expect(Price.text(cents: 0) == "€ 0,00")
        #expect(Price.text(cents: 5) == "€ 0,05")
        #expect(Price.text(cents: 1250) == "€ 12,50")
        #expect(Price.text(cents: 100_000_000) == "€ 1000000,00")
        #expect(entry(priceCents: nil).priceText == "n.v.t.")
    }

    @Test func jsonUsesSnakeCaseKeys() throws {
        let data = try JSONEncoder().encode(entry(priceCents: 1250))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "id", "category", "name", "description", "supplier", "price_cents", "terms_text",
                "terms_version", "recommended_prerequisite", "carries_eckid_import", "data_set", "purpose",
                "processor_agreement", "legal_basis", "retention", "recipients", "transfers", "security",
            ]
        )
        #expect(try JSONDecoder().decode(CatalogEntry.self, from: data) == entry(priceCents: 1250))
    }
}

@Suite("Errors")
struct KoppelingErrorTests {
    let a = Violation(field: "name", reason: .nameRequired, message: "Naam ontbreekt.")
    let b = Violation(field: "agree", reason: .agreementRequired, message: "Vink aan.")

    @Test func rulesReportTheFirstReasonAndEveryField() {
        let e = KoppelingError.rules([a, b])
        #expect(e.reason == .nameRequired)
        #expect(e.fields == ["name", "agree"])
        #expect(e.violations == [a, b])
        #expect(e.message == "2 regels zijn niet nageleefd: Naam ontbreekt. Vink aan.")
        #expect(KoppelingError.rules([a]).message == "Naam ontbreekt.")
    }

    @Test func otherCases() {
        #expect(KoppelingError.notFound(a).reason == .nameRequired)
        #expect(KoppelingError.conflict(b).fields == ["agree"])
        #expect(KoppelingError.permissionDenied(method: "school.add").reason == .permissionDenied)
        #expect(KoppelingError.permissionDenied(method: "school.add").message.contains("school.add"))
        #expect(KoppelingError.unavailable(.databaseBusy, message: "Bezet.").violations.isEmpty)
        #expect(KoppelingError.invalidParams(.unknownParams, message: "x", fields: ["foo"]).fields == ["foo"])
    }

    @Test func reasonCodesAreStable() {
        // Part of the protocol: renaming one breaks clients.
        #expect(Reason.brin6Format.rawValue == "brin6_format")
        #expect(Reason.verificationCodeLength.rawValue == "verification_code_length")
        #expect(Reason.verificationCodeCharacters.rawValue == "verification_code_characters")
        #expect(Reason.verificationCodePrefix.rawValue == "verification_code_prefix")
        #expect(Reason.verificationCodeReused.rawValue == "verification_code_reused")
        #expect(Reason.startDateInPast.rawValue == "start_date_in_past")
        #expect(Set(Reason.allCases.map(\.rawValue)).count == Reason.allCases.count)
    }
}
