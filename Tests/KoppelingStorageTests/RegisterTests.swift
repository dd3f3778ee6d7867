import Foundation
import KoppelingCore
import Testing

@testable import KoppelingStorage

@Suite struct SchoolTests {
    @Test func addAndDuplicate() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            let added = try register.write {
                try register.addSchool(try brin("21qw00"), name: "De Regenboog", now: Fixture.now)
            }
            #expect(added == School(brin6: "21QW00", name: "De Regenboog", createdAt: Fixture.now))
            #expect(try register.schools() == [added])

            expectRefusal(.conflict, [.schoolExists]) {
                try register.write { try register.addSchool(try brin("21QW00"), name: "Andere naam", now: Fixture.now) }
            }
            #expect(try register.schools() == [added])
        }
    }

    @Test func importInsertsEveryRow() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            let rows = [(try brin("21QW01"), "Een"), (try brin("21QW00"), "Twee")]
            let imported = try register.write { try register.importSchools(rows, now: Fixture.now) }
            #expect(imported.map(\.brin6) == ["21QW01", "21QW00"])
            #expect(try register.schools().map(\.brin6) == ["21QW00", "21QW01"])
        }
    }

    @Test func importIsAllOrNothing() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW01"])
            defer { register.close() }
            let rows = [
                (try brin("21QW00"), "Nieuw"), (try brin("21QW01"), "Bestaat al"), (try brin("21QW02"), "Ook nieuw"),
            ]
            do {
                _ = try register.write { try register.importSchools(rows, now: Fixture.now) }
                Issue.record("the import was accepted")
            } catch let error as KoppelingError {
                guard case .rules(let violations) = error else {
                    Issue.record("expected rules, got \(error)")
                    return
                }
                #expect(violations.map(\.reason) == [.schoolExists])
                #expect(violations.map(\.field) == ["schools[1].brin6"])
            }
            #expect(try register.schools().map(\.brin6) == ["21QW01"])
            #expect(!register.db.isInTransaction)
        }
    }

    @Test func importWithADuplicateRowStoresNothing() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            // The daemon reports duplicates before this; should one slip
            // through, the transaction must still leave nothing behind.
            let rows = [(try brin("21QW00"), "Een"), (try brin("21QW01"), "Twee"), (try brin("21QW00"), "Drie")]
            #expect(throws: (any Error).self) {
                try register.write { try register.importSchools(rows, now: Fixture.now) }
            }
            #expect(try register.schools() == [])
            #expect(!register.db.isInTransaction)
        }
    }

    @Test func removeIsRefusedWhileAKoppelingIsActive() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.write { try register.activate("21QW00", "topdossier", code: "21QW00StandaardCode0001") }
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: "21QW00EckidCode00000001") }

            expectRefusal(.conflict, [.schoolHasActiveKoppelingen]) {
                try register.write { try register.removeSchool(try brin("21QW00")) }
            }
            try register.write { try register.deactivate("21QW00", "topdossier") }
            expectRefusal(.conflict, [.schoolHasActiveKoppelingen]) {
                try register.write { try register.removeSchool(try brin("21QW00")) }
            }
            #expect(try register.school(try brin("21QW00")) != nil)

            try register.write { try register.deactivate("21QW00", "topdossier-eckid") }
            let removed = try register.write { try register.removeSchool(try brin("21QW00")) }
            #expect(removed.brin6 == "21QW00")
            #expect(try register.schools() == [])
            expectRefusal(.notFound, [.schoolNotFound]) {
                try register.write { try register.removeSchool(try brin("21QW00")) }
            }
        }
    }
}

@Suite struct ActivationTests {
    @Test func activationRecordsTheMaskedCodeAndTermsVersion() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            let record = try register.write {
                try register.activate(
                    "21QW00",
                    "topdossier-eckid",
                    code: "21qw00Zx9Vq3Lm7Tp2Kd8Rw",
                    startDate: "2026-03-12"
                )
            }
            #expect(record.school == "21QW00")
            #expect(record.koppeling == "topdossier-eckid")
            #expect(record.koppelingName == "TOP Dossier – ECKiD")
            #expect(record.acceptedByName == "J. de Vries")
            #expect(record.user == Fixture.admin.user && record.uid == Fixture.admin.uid)
            #expect(record.termsVersion == (try register.catalogEntry("topdossier-eckid"))?.termsVersion)
            #expect(record.startDate == "2026-03-12")
            #expect(record.active && record.deactivatedAt == nil)
            #expect(record.verificationCode == MaskedCode(prefix: "21QW00", length: 23).description)
            #expect(try register.activations(of: try brin("21QW00")) == [record])
            #expect(try register.counts().activeActivations == 1)
        }
    }

    @Test func plainCodeNeverReachesAnyFile() throws {
        try withTemporaryDirectory { dir in
            let code = "21QW00Zx9Vq3Lm7Tp2Kd8Rw"
            let secretPart = "Zx9Vq3Lm7Tp2Kd8Rw"
            let register = try dir.openRegister(schools: ["21QW00"])
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: code) }
            try register.setKey("21QW00", code)
            // A refused reuse and a refused key must leave no trace either.
            expectRefusal(.conflict, [.verificationCodeReused]) {
                try register.write { try register.activate("21QW00", "topdossier", code: code) }
            }

            func expectNoTrace(_ moment: String) throws {
                let files = try dir.allFileContents()
                #expect(files.keys.contains("koppelingd.db"))
                for (name, bytes) in files {
                    for needle in [code, secretPart, code.uppercased(), code.lowercased()] {
                        #expect(bytes.range(of: Data(needle.utf8)) == nil, "\(moment): \(name) holds the code")
                    }
                }
            }
            #expect(try dir.fileNames().contains("koppelingd.db-wal"))
            try expectNoTrace("while open")
            try register.write { try register.deactivate("21QW00", "topdossier-eckid") }
            register.close()
            try expectNoTrace("after close")
        }
    }

    @Test func alreadyActive() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.write { try register.activate("21QW00", "topdossier", code: "21QW00StandaardCode0001") }
            expectRefusal(.conflict, [.alreadyActive]) {
                try register.write { try register.activate("21QW00", "topdossier", code: "21QW00StandaardCode0002") }
            }
            // The refused attempt did not burn its code.
            #expect(try !register.isCodeUsed(VerificationCode(plainText: "21QW00StandaardCode0002")))
            #expect(try register.activations(of: try brin("21QW00")).count == 1)
        }
    }

    @Test func codeIsNeverAcceptedTwice() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            let code = "21QW00HergebruikCode001"
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: code) }

            // Another koppeling of the same school.
            expectRefusal(.conflict, [.verificationCodeReused]) {
                try register.write { try register.activate("21QW00", "topdossier", code: code) }
            }

            // After deactivation, the same koppeling again.
            try register.write { try register.deactivate("21QW00", "topdossier-eckid") }
            expectRefusal(.conflict, [.verificationCodeReused]) {
                try register.write { try register.activate("21QW00", "topdossier-eckid", code: code) }
            }

            // After the school was removed and registered anew.
            _ = try register.write { try register.removeSchool(try brin("21QW00")) }
            _ = try register.write { try register.addSchool(try brin("21QW00"), name: "Opnieuw", now: Fixture.now) }
            expectRefusal(.conflict, [.verificationCodeReused]) {
                try register.write { try register.activate("21QW00", "topdossier-eckid", code: code) }
            }
            expectRefusal(.conflict, [.verificationCodeReused]) {
                try register.write { try register.activate("21QW00", "topdossier", code: code) }
            }
            // The history came back with the school (SchoolHistoryTests).
            #expect(try register.activations(of: try brin("21QW00")).allSatisfy { !$0.active })
            #expect(try register.isCodeUsed(VerificationCode(plainText: code)))
        }
    }

    @Test func sameSecretPartWithAnotherPrefixIsANewCode() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00", "21QW01"])
            defer { register.close() }
            try register.write { try register.activate("21QW00", "topdossier", code: "21QW00GedeeldeCode00001") }
            // The same secret part with the other school's prefix is a new code.
            try register.write { try register.activate("21QW01", "topdossier", code: "21QW01GedeeldeCode00001") }
            expectRefusal(.conflict, [.verificationCodeReused]) {
                try register.write {
                    try register.activate("21QW01", "topdossier-eckid", code: "21QW01GedeeldeCode00001")
                }
            }
        }
    }

    @Test func deactivateThenActivateAgainWithANewCode() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            let first = try register.write {
                try register.activate("21QW00", "topdossier", code: "21QW00StandaardCode0001")
            }
            let (ended, stopped) = try register.write {
                try register.deactivate(
                    school: try brin("21QW00"),
                    koppeling: "topdossier",
                    reason: "contract opgezegd",
                    by: Fixture.admin,
                    now: "2026-03-10T10:00:00Z"
                )
            }
            #expect(!stopped)
            #expect(ended.id == first.id && !ended.active)
            #expect(ended.deactivatedAt == "2026-03-10T10:00:00Z")
            #expect(ended.deactivatedBy == Fixture.admin.user)
            #expect(ended.deactivationReason == "contract opgezegd")
            expectRefusal(.notFound, [.koppelingNotActive]) {
                try register.write { try register.deactivate("21QW00", "topdossier") }
            }

            let second = try register.write {
                try register.activate("21QW00", "topdossier", code: "21QW00StandaardCode0002")
            }
            #expect(second.active && second.id != first.id)
            let all = try register.activations(of: try brin("21QW00"))
            #expect(all.map(\.id) == [second.id, first.id])
            #expect(try register.activations(of: try brin("21QW00"), activeOnly: true).map(\.id) == [second.id])
        }
    }

    @Test func unknownSchoolOrKoppeling() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            expectRefusal(.notFound, [.schoolNotFound]) {
                try register.write { try register.activate("21QW09", "topdossier", code: "21QW09StandaardCode0001") }
            }
            expectRefusal(.notFound, [.koppelingNotFound]) {
                try register.write { try register.activate("21QW00", "bestaat-niet", code: "21QW00StandaardCode0001") }
            }
            // Neither refusal used up the code.
            try register.write { try register.activate("21QW00", "topdossier", code: "21QW00StandaardCode0001") }
        }
    }
}

@Suite struct CatalogTests {
    static func entry(_ id: String, name: String = "Roosterkoppeling", prerequisite: String? = nil) -> CatalogEntry {
        CatalogEntry(
            id: id,
            category: "Roosters",
            name: name,
            description: "Lesroosters uitwisselen",
            supplier: "Rooster BV",
            priceCents: 1250,
            termsText: "Voorwaarden",
            termsVersion: "1",
            recommendedPrerequisite: prerequisite,
            carriesEckidImport: false,
            dataSet: DataSet(
                profile: "Roosters – leerlingen",
                fields: [.init(name: "leerling_key", description: "De sleutel van de leerling")]
            ),
            purpose: "Lesroosters tonen aan leerlingen en ouders.",
            processorAgreement: ProcessorAgreement(name: "Model Verwerkersovereenkomst", version: "4.0")
        )
    }

    @Test func loadUpsertsAndKeepsEntriesNotNamed() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            let eckidBefore = try register.catalogEntry("topdossier-eckid")
            var standard = try #require(try register.catalogEntry("topdossier"))
            standard.description = "Nieuwe omschrijving"
            standard.priceCents = 0
            let added = CatalogTests.entry("roosters", prerequisite: "topdossier")

            let result = try register.write { try register.loadCatalog([standard, added], now: Fixture.now) }
            #expect(result.added == 1 && result.updated == 1)
            #expect(try register.catalogEntry("topdossier") == standard)
            #expect(try register.catalogEntry("roosters") == added)
            #expect(try register.catalogEntry("topdossier-eckid") == eckidBefore)
            #expect(try register.counts().catalogEntries == 3)

            // A load naming only a new entry drops nothing.
            _ = try register.write { try register.loadCatalog([CatalogTests.entry("absenties")], now: Fixture.now) }
            #expect(
                Set(try register.catalog().map(\.id)) == ["topdossier", "topdossier-eckid", "roosters", "absenties"]
            )
        }
    }

    @Test func loadKeepsTheEntryOfAnActiveKoppeling() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: "21QW00EckidCode00000001") }
            _ = try register.write { try register.loadCatalog([CatalogTests.entry("roosters")], now: Fixture.now) }
            #expect(
                try register.activations(of: try brin("21QW00"), activeOnly: true).map(\.koppeling) == [
                    "topdossier-eckid"
                ]
            )
            #expect(try register.catalogEntry("topdossier-eckid") != nil)
        }
    }

    @Test func everyBadEntryIsReportedAndNothingIsWritten() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            let before = try register.catalog()
            var badId = CatalogTests.entry("Geen Slug!")
            badId.name = "  "
            let badPrerequisite = CatalogTests.entry("lvs", prerequisite: "bestaat-niet")
            var updateOfShipped = try #require(try register.catalogEntry("topdossier"))
            updateOfShipped.description = "Mag niet blijven staan"
            let entries = [
                badId, badPrerequisite, CatalogTests.entry("roosters"), CatalogTests.entry("roosters"), updateOfShipped,
            ]

            do {
                _ = try register.write { try register.loadCatalog(entries, now: Fixture.now) }
                Issue.record("a bad catalogue was loaded")
            } catch let error as KoppelingError {
                guard case .rules(let violations) = error else {
                    Issue.record("expected rules, got \(error)")
                    return
                }
                #expect(
                    violations.map(\.field) == [
                        "entries[0].id", "entries[0].name",
                        "entries[1].recommended_prerequisite", "entries[3].id",
                    ]
                )
                #expect(
                    violations.map(\.reason) == [
                        .catalogEntryInvalid, .catalogEntryInvalid,
                        .catalogEntryInvalid, .duplicateInBatch,
                    ]
                )
            }
            #expect(try register.catalog() == before)
            #expect(!register.db.isInTransaction)
        }
    }

    @Test func prerequisiteMayNameAnEntryOfTheSameLoad() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            let result = try register.write {
                try register.loadCatalog(
                    [
                        CatalogTests.entry("plus", prerequisite: "basis"), CatalogTests.entry("basis"),
                    ],
                    now: Fixture.now
                )
            }
            #expect(result.added == 2 && result.updated == 0)
        }
    }
}
