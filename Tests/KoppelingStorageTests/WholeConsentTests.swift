import Foundation
import KoppelingCore
import Testing

@testable import KoppelingStorage

/// What a school agrees to is one versioned whole (DESIGN §2): under a
/// known version nothing of it changes, and the processing register shows
/// what each acceptance agreed to, never today's catalogue in its place.
@Suite struct WholeConsentTests {
    func load(_ register: Register, _ entries: [CatalogEntry]) throws {
        _ = try register.write { try register.loadCatalog(entries, now: Fixture.now) }
    }

    func refusedField(_ register: Register, _ entry: CatalogEntry) -> [String] {
        do {
            try load(register, [entry])
            return []
        } catch let error as KoppelingError {
            #expect(error.reason == .consentChanged, "\(error)")
            return error.fields
        } catch {
            Issue.record("\(error)")
            return []
        }
    }

    /// Every part of the whole, changed alone under the known version, is
    /// refused naming that part; the same entry again is accepted.
    @Test func noPartOfTheWholeChangesUnderAKnownVersion() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            let shipped = try #require(try register.catalogEntry("topdossier"))
            try load(register, [shipped])

            let changes: [(String, (inout CatalogEntry) -> Void)] = [
                ("supplier", { $0.supplier = "Andere B.V." }),
                ("purpose", { $0.purpose += " En meer." }),
                ("data_set.profile", { $0.dataSet.profile = "UWLR Leerlinggegevens – Brede set" }),
                ("data_set.fields", { $0.dataSet.fields.append(.init(name: "bsn", description: "Burgerservicenummer")) }),
                ("data_set.fields[4].name", { $0.dataSet.fields[4].name = "geboortejaar" }),
                ("data_set.fields[1].description", { $0.dataSet.fields[1].description = "Familienaam" }),
                ("data_set.fields[0].data_subjects", { $0.dataSet.fields[0].dataSubjects = ["leerling", "ouder"] }),
                ("processor_agreement", { $0.processorAgreement = nil }),
                ("legal_basis", { $0.legalBasis = "Toestemming" }),
                ("retention", { $0.retention = "Tot een jaar na uitschrijving" }),
                ("recipients", { $0.recipients = "TOP dossier B.V." }),
                ("transfers", { $0.transfers = "Nederland; geen doorgifte buiten de EER" }),
                ("security", { $0.security = "ISO 27001" }),
            ]
            for (field, change) in changes {
                var changed = shipped
                change(&changed)
                #expect(refusedField(register, changed) == ["entries[0].\(field)"], "\(field)")
            }
            #expect(try register.catalogEntry("topdossier") == shipped, "nothing of a refused load is saved")
            // Whitespace around a text is no change: it is stored trimmed.
            var padded = shipped
            padded.purpose = "  " + shipped.purpose + " "
            try load(register, [padded])
        }
    }

    /// The defect this rule closes: `bsn` added under the known version
    /// was accepted and every row showed it. Now it comes as a new version,
    /// and the rows keep what was accepted.
    @Test func theRegisterShowsWhatWasAcceptedAfterANewVersion() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.activate("21QW00", "topdossier", code: "21QW00Xk3mP9qR7sT2vW5yZ8")
            let shipped = try #require(try register.catalogEntry("topdossier"))
            var wider = ConsentTests.newVersion(of: shipped, "2025.1")
            wider.dataSet.fields.append(.init(name: "bsn", description: "Burgerservicenummer", dataSubjects: ["leerling"]))
            wider.retention = "Tot een jaar na uitschrijving"
            try load(register, [wider])

            let row = try #require(try register.processingRegister(school: nil, includeEnded: false).first)
            let accepted = try #require(row.accepted)
            #expect(!accepted.dataSet.fields.map(\.name).contains("bsn"))
            #expect(accepted.termsVersion == shipped.termsVersion && accepted.retention == nil)
            #expect(row.acceptedRecord == .atAcceptance && row.catalogDiffers == true && row.termsOutdated)
            #expect(row.gaps.contains("retention"))

            _ = try register.write {
                try register.reaccept(
                    school: try brin("21QW00"),
                    koppeling: "topdossier",
                    name: "J. de Vries",
                    termsVersion: "2025.1",
                    by: Fixture.admin,
                    now: "2026-03-11T09:00:00Z"
                )
            }
            let after = try #require(try register.processingRegister(school: nil, includeEnded: false).first)
            #expect(after.accepted?.dataSet.fields.last?.name == "bsn")
            #expect(after.catalogDiffers == false && !after.termsOutdated && !after.gaps.contains("retention"))
        }
    }

    /// The shipped catalogue names whose data each field holds; the facts
    /// it cannot know (the supplier's retention, recipients, …) are gaps.
    @Test func theShippedRowsNameTheirGaps() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.activate("21QW00", "topdossier", code: "21QW00Xk3mP9qR7sT2vW5yZ8")
            let row = try #require(try register.processingRegister(school: nil, includeEnded: false).first)
            #expect(row.accepted?.dataSet.dataSubjects == ["leerling", "leerkracht"])
            #expect(row.gaps == ["recipients", "transfers", "retention", "security", "legal_basis"])
        }
    }

    /// A register of the release before whole-consent: its acceptances
    /// kept no whole. The version they accepted is recorded at the upgrade
    /// and shown as such; a version replaced before is shown as not kept.
    @Test func anUpgradedRegisterSaysWhatItCannotKnow() throws {
        try withTemporaryDirectory { dir in
            let register = try Self.upgraded(
                dir,
                activations: [("topdossier", "2024.1", "x'00'"), ("topdossier-eckid", "2023.9", "x'01'")]
            )
            defer { register.close() }
            let rows = try register.processingRegister(school: nil, includeEnded: false)
            let standard = try #require(rows.first { $0.koppeling == "topdossier" })
            #expect(standard.acceptedRecord == .atUpgrade && standard.accepted?.termsVersion == "2024.1")
            #expect(standard.acceptedRecordedAt != nil && standard.catalogDiffers == false)
            let eckid = try #require(rows.first { $0.koppeling == "topdossier-eckid" })
            #expect(eckid.acceptedRecord == .notKept && eckid.accepted == nil && eckid.catalogDiffers == nil)
            #expect(eckid.gaps == ProcessingRecord.items, "nothing of what it accepted is known")
            // A whole of that old version loaded later says nothing about what
            // the acceptance before the upgrade saw.
            var older = try #require(try register.catalogEntry("topdossier-eckid"))
            older.termsVersion = "2023.9"
            older.termsText = "De voorwaarden van 2023.9, opnieuw geladen."
            try load(register, [older])
            let reloaded = try register.processingRegister(school: nil, includeEnded: false)
            #expect(reloaded.first { $0.koppeling == "topdossier-eckid" }?.acceptedRecord == .notKept)
            // From the upgrade on, the version is held like any other.
            var changed = try #require(try register.catalogEntry("topdossier"))
            changed.purpose = "Iets anders."
            #expect(refusedField(register, changed) == ["entries[0].purpose"])
            // A new acceptance keeps its whole.
            try register.deactivate("21QW00", "topdossier-eckid")
            try register.activate("21QW00", "topdossier-eckid", code: "21QW00Zx9Vq3Lm7Tp2Kd8Rw")
            let renewed = try register.processingRegister(school: nil, includeEnded: false)
            #expect(renewed.first { $0.koppeling == "topdossier-eckid" }?.acceptedRecord == .atAcceptance)
        }
    }

    /// The shipped ECKiD purpose said no other personal data was shared; its
    /// correction comes as version 2024.2 (0010_eckid_purpose.sql). A school
    /// that accepted 2024.1 is outdated, and its row still shows what it
    /// accepted then.
    @Test func theCorrectedEckidPurposeIsANewVersion() throws {
        try withTemporaryDirectory { dir in
            let register = try Self.upgraded(dir, activations: [("topdossier-eckid", "2024.1", "x'01'")])
            defer { register.close() }
            let entry = try #require(try register.catalogEntry("topdossier-eckid"))
            #expect(entry.termsVersion == "2024.2")
            #expect(!entry.purpose.contains("zonder andere persoonsgegevens") && entry.purpose.contains("e-mailadres"))
            #expect(entry.termsText.contains("leerkracht"))
            let row = try #require(try register.processingRegister(school: nil, includeEnded: false).first)
            #expect(row.termsOutdated && row.catalogDiffers == true && row.acceptedRecord == .atUpgrade)
            #expect(row.accepted?.termsVersion == "2024.1")
            #expect(row.accepted?.purpose.contains("zonder andere persoonsgegevens") == true, "what was accepted then")
        }
    }

    /// A register of the release before whole-consent (schema 8) with one
    /// school and these activations, each accepted once (koppeling, terms
    /// version, code hash as an SQL literal), opened by this version.
    static func upgraded(_ dir: TemporaryDirectory, activations: [(String, String, String)]) throws -> Register {
        do {
            let old = try DatabaseSetup.openWriter(path: dir.databasePath, migrations: Array(Migrator.embedded.prefix(8)))
            defer { old.close() }
            let rows = activations.map { koppeling, version, hash in
                "('21QW00', '\(koppeling)', 'A. Oud', 'beheer', 1000, '\(version)', '2026-01-05', \(hash), '21QW00', 24, "
                    + "'2026-01-05T08:00:00Z')"
            }
            try old.execute(
                """
                INSERT INTO school VALUES ('21QW00', 'OBS Oud', '2026-01-05T08:00:00Z');
                INSERT INTO activation (school_brin6, koppeling_id, accepted_by_name, os_user, os_uid, terms_version,
                    start_date, code_hash, code_prefix, code_length, activated_at)
                VALUES \(rows.joined(separator: ", "));
                INSERT INTO terms_acceptance (activation_id, terms_version, accepted_by_name, os_user, os_uid, accepted_at)
                SELECT id, terms_version, accepted_by_name, os_user, os_uid, activated_at FROM activation;
                INSERT INTO used_code SELECT code_hash, activated_at FROM activation;
                """
            )
        }
        // The secret of an old register with codes must exist; make one.
        _ = try InstallSecret.create(path: Register.secretPath(forDatabase: dir.databasePath))
        return try Register.open(path: dir.databasePath)
    }
}
