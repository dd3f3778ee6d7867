import Foundation
import KoppelingCore
import Testing

@testable import KoppelingStorage

/// Consent tied to what was shown (DESIGN §2 Activation, New terms).
@Suite struct ConsentTests {
    static func newVersion(of entry: CatalogEntry, _ version: String, text: String? = nil) -> CatalogEntry {
        var e = entry
        e.termsVersion = version
        e.termsText = text ?? "Nieuwe voorwaarden, versie \(version).\n\n1. Nieuw artikel."
        return e
    }

    func load(_ register: Register, _ entries: [CatalogEntry]) throws -> Register.CatalogLoad {
        try register.write { try register.loadCatalog(entries, now: Fixture.now) }
    }

    @Test func anActivationRecordsTheVersionAndTheHashOfTheTextShown() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            let entry = try #require(try register.catalogEntry("topdossier"))
            let a = try register.activate("21QW00", "topdossier", code: "21QW00Xk3mP9qR7sT2vW5yZ8")
            #expect(a.termsVersion == entry.termsVersion)
            #expect(a.termsSha256 == TermsDigest.sha256Hex(entry.termsText))
            #expect(a.termsSha256?.count == 64)
            #expect(!a.termsOutdated)
            #expect(try register.count("terms_acceptance") == 1)
        }
    }

    @Test func termsOtherThanTheCurrentOnesAreRefusedAndNothingIsSaved() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            let entry = try #require(try register.catalogEntry("topdossier"))
            _ = try load(register, [Self.newVersion(of: entry, "2025.1")])
            do {
                try register.activate("21QW00", "topdossier", code: "21QW00Xk3mP9qR7sT2vW5yZ8", termsVersion: "2024.1")
                Issue.record("an activation of terms nobody was shown was saved")
            } catch let error as KoppelingError {
                #expect(error.reason == .termsChanged)
                #expect(error.currentTermsVersion == "2025.1")
                #expect(error.fields == ["terms_version"])
            }
            #expect(try register.count("activation") == 0)
            #expect(try register.count("used_code") == 0, "the code of a refused activation is not burnt")
            #expect(
                try register.activate("21QW00", "topdossier", code: "21QW00Xk3mP9qR7sT2vW5yZ8").termsVersion == "2025.1"
            )
        }
    }

    @Test func anotherTextUnderAKnownVersionIsRefused() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            let entry = try #require(try register.catalogEntry("topdossier"))
            var changed = entry
            changed.termsText = "Totally different terms"
            expectRefusal(.rules, [.termsTextChanged]) { try load(register, [changed]) }
            #expect(try register.catalogEntry("topdossier") == entry)

            // The same text again is fine; a new version gets a new text.
            #expect(try load(register, [entry]).updated == 1)
            let v2 = Self.newVersion(of: entry, "2025.1")
            _ = try load(register, [v2])
            // Back to the old version: only with its own text.
            expectRefusal(.rules, [.termsTextChanged]) {
                try load(register, [Self.newVersion(of: entry, "2024.1", text: "Nog een andere tekst")])
            }
            _ = try load(register, [entry])
            #expect(try register.catalogEntry("topdossier")?.termsVersion == "2024.1")
            #expect(
                try register.count("terms") == 4,
                "the shipped texts (topdossier 2024.1, topdossier-eckid 2024.1 and 2024.2) and 2025.1, each once"
            )
        }
    }

    @Test func aNewVersionMarksActiveActivationsOutdatedUntilReaccepted() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00", "21QW01"])
            defer { register.close() }
            try register.activate("21QW00", "topdossier", code: "21QW00Xk3mP9qR7sT2vW5yZ8")
            try register.activate("21QW01", "topdossier", code: "21QW01Xk3mP9qR7sT2vW5yZ8")
            try register.deactivate("21QW01", "topdossier")
            let entry = try #require(try register.catalogEntry("topdossier"))
            let result = try load(register, [Self.newVersion(of: entry, "2025.1")])
            #expect(result.termsOutdated == 1, "the ended one is not counted")
            let outdated = try #require(try register.activations(of: try brin("21QW00"), activeOnly: true).first)
            #expect(outdated.termsOutdated && outdated.active && outdated.termsVersion == "2024.1")
            #expect(try register.counts().termsOutdated == 1)
            let ended = try #require(try register.activations(of: try brin("21QW01")).first)
            #expect(!ended.active && !ended.termsOutdated, "an ended activation needs no new agreement")

            expectRefusal(.termsChanged, [.termsChanged]) {
                try register.write {
                    try register.reaccept(
                        school: try brin("21QW00"),
                        koppeling: "topdossier",
                        name: "P. Jansen",
                        termsVersion: "2024.1",
                        by: Fixture.admin,
                        now: Fixture.now
                    )
                }
            }
            let reaccepted = try register.write {
                try register.reaccept(
                    school: try brin("21QW00"),
                    koppeling: "topdossier",
                    name: "P. Jansen",
                    termsVersion: "2025.1",
                    by: Fixture.admin,
                    now: "2026-03-12T10:00:00Z"
                )
            }
            #expect(!reaccepted.termsOutdated && reaccepted.termsVersion == "2025.1")
            #expect(reaccepted.termsSha256 == TermsDigest.sha256Hex(Self.newVersion(of: entry, "2025.1").termsText))
            #expect(reaccepted.id == outdated.id && reaccepted.verificationCode == outdated.verificationCode)
            #expect(
                reaccepted.acceptedByName == "J. de Vries",
                "who activated stays; the new acceptance is its own row"
            )
            #expect(try register.count("terms_acceptance") == 3)
            #expect(try register.counts().termsOutdated == 0)
            let row = try #require(
                try register.processingRegister(school: try brin("21QW00"), includeEnded: false).first
            )
            #expect(row.termsAcceptedByName == "P. Jansen" && row.termsAcceptedAt == "2026-03-12T10:00:00Z")

            expectRefusal(.conflict, [.termsAlreadyAccepted]) {
                try register.write {
                    try register.reaccept(
                        school: try brin("21QW00"),
                        koppeling: "topdossier",
                        name: "P. Jansen",
                        termsVersion: "2025.1",
                        by: Fixture.admin,
                        now: Fixture.now
                    )
                }
            }
            expectRefusal(.notFound, [.koppelingNotActive]) {
                try register.write {
                    try register.reaccept(
                        school: try brin("21QW01"),
                        koppeling: "topdossier",
                        name: "P. Jansen",
                        termsVersion: "2025.1",
                        by: Fixture.admin,
                        now: Fixture.now
                    )
                }
            }
        }
    }

    @Test func theDailyRunEndsAnActivationTheDayAfterItsEndDateAndStopsItsImport() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00", "21QW01"])
            defer { register.close() }
            let code = "21QW00Zx9Vq3Lm7Tp2Kd8Rw"
            try register.activate("21QW00", "topdossier-eckid", code: code, endDate: "2026-03-12")
            try register.setKey("21QW00", code)
            try register.activate("21QW01", "topdossier", code: "21QW01Zx9Vq3Lm7Tp2Kd8Rw", endDate: "2026-03-20")

            #expect(
                try register.activationsEnding(from: Fixture.today, through: Fixture.today.adding(days: 30)).map(
                    \.school
                )
                    == ["21QW00", "21QW01"]
            )
            #expect(try register.activationsEnding(from: Fixture.today, through: day("2026-03-11")).isEmpty)
            // Its last day: still active, and its import is enabled.
            let lastDay = try #require(try register.pass(.scheduled, day("2026-03-12")))
            #expect(lastDay.ended == 0 && lastDay.enabled == 1)
            #expect(try register.eckidImport("21QW00")?.state == .active)
            // The day after: ended by the timer, its import stopped, in one run.
            let after = try #require(try register.pass(.scheduled, day("2026-03-13")))
            #expect(after.ended == 1 && after.stopped == 1)
            let ended = try #require(try register.activations(of: try brin("21QW00")).first)
            #expect(!ended.active && ended.deactivatedBy == "timer" && ended.deactivationReason == "end_date_reached")
            #expect(try register.eckidImport("21QW00")?.state == .disabled)
            #expect(try register.activations(of: try brin("21QW01"), activeOnly: true).count == 1)
            #expect(try register.lastTimerRun()?.ended == 1)
        }
    }

    @Test func aBoardActivatesAllOrNothingWithEveryBadRowReported() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00", "21QW01", "21QW02"])
            defer { register.close() }
            try register.activate("21QW01", "topdossier", code: "21QW01Xk3mP9qR7sT2vW5yZ8")
            func rows(_ codes: [(String, String)]) throws -> [ValidatedActivation] {
                try codes.map { school, code in
                    try ActivationRules.validate(
                        ActivationInput(
                            school: school,
                            koppeling: "topdossier",
                            name: "Bestuurder",
                            agree: true,
                            termsVersion: "2024.1",
                            verificationCode: code,
                            startDate: nil
                        ),
                        today: Fixture.today
                    ).get()
                }
            }
            let bad = try rows([
                ("21QW00", "21QW00Ab3dEf5gH7jK9mN2"), ("21QW01", "21QW01Ab3dEf5gH7jK9mN2"),
                ("21QW02", "21QW02Ab3dEf5gH7jK9mN2"),
                ("21QW03", "21QW03Ab3dEf5gH7jK9mN2"),
            ])
            do {
                _ = try register.write { try register.activateMany(bad, by: Fixture.admin, now: Fixture.now) }
                Issue.record("a board's list with bad rows was saved")
            } catch let error as KoppelingError {
                #expect(error.violations.map(\.row) == [2, 4])
                #expect(error.violations.map(\.reason) == [.alreadyActive, .schoolNotFound])
            }
            #expect(try register.count("activation") == 1)
            let good = try rows([("21QW00", "21QW00Ab3dEf5gH7jK9mN2"), ("21QW02", "21QW02Ab3dEf5gH7jK9mN2")])
            let made = try register.write { try register.activateMany(good, by: Fixture.admin, now: Fixture.now) }
            #expect(made.map(\.school) == ["21QW00", "21QW02"])
            #expect(try register.count("terms_acceptance") == 3)
            // Each code is used once, even after the activation ended.
            try register.deactivate("21QW00", "topdossier")
            expectRefusal(.rules, [.verificationCodeReused]) {
                try register.write {
                    try register.activateMany(
                        try rows([("21QW00", "21qw00Ab3dEf5gH7jK9mN2")]),
                        by: Fixture.admin,
                        now: Fixture.now
                    )
                }
            }
        }
    }

    @Test func theProcessingRegisterHasEveryActivationWithWhatASchoolMustKnow() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00", "21QW01"])
            defer { register.close() }
            try register.activate("21QW00", "topdossier-eckid", code: "21QW00Zx9Vq3Lm7Tp2Kd8Rw", endDate: "2027-07-31")
            try register.activate("21QW01", "topdossier", code: "21QW01Zx9Vq3Lm7Tp2Kd8Rw")
            try register.deactivate("21QW01", "topdossier")
            _ = try register.write { try register.removeSchool(try brin("21QW01")) }

            let active = try register.processingRegister(school: nil, includeEnded: false)
            #expect(active.map(\.brin6) == ["21QW00"])
            let row = try #require(active.first)
            #expect(row.schoolName == "School 21QW00" && row.koppelingName == "TOP Dossier – ECKiD")
            let accepted = try #require(row.accepted)
            #expect(accepted.dataSet.profile == "UWLR Leerlinggegevens – Smalle set")
            #expect(accepted.dataSet.fields.map(\.name).suffix(2) == ["leerlingnummer", "eck_id"])
            #expect(accepted.purpose.contains("ECK iD"))
            #expect(accepted.processorAgreement?.version == "4.0")
            #expect(row.acceptedRecord == .atAcceptance)
            #expect(row.activatedBy == "beheerder" && row.activatedByName == "J. de Vries")
            #expect(row.endDate == "2027-07-31" && row.active && row.endedAt == nil)
            #expect(row.termsSha256 != nil && !row.termsOutdated)

            let all = try register.processingRegister(school: nil, includeEnded: true)
            #expect(all.map(\.brin6) == ["21QW00", "21QW01"])
            let ended = try #require(all.last)
            #expect(ended.schoolName == nil, "a removed school's history stays, without its name")
            #expect(!ended.active && ended.endedBy == "beheerder" && ended.endReason == "test")
            #expect(try register.processingRegister(school: try brin("21QW01"), includeEnded: false).isEmpty)
        }
    }

    @Test func theSQLDigestIsTheSwiftOne() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            try register.db.registerTermsDigestFunction()
            for text in ["", "a", "Gebruikersvoorwaarden – Één\n\t€", String(repeating: "x", count: 100_000)] {
                let sql = try register.db.queryOne("SELECT sha256_hex(?)", [.text(text)]) { $0.text(0) }
                #expect(sql == TermsDigest.sha256Hex(text))
            }
            // The well-known digest of "abc".
            #expect(TermsDigest.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        }
    }

    /// A register of the previous release (migrations 0001–0005) with an
    /// activation upgrades in place: the terms it accepted, with their
    /// hash, its acceptance, and the shipped data sets.
    @Test func aRegisterOfThePreviousReleaseUpgradesInPlace() throws {
        try withTemporaryDirectory { dir in
            do {
                let old = try DatabaseSetup.openWriter(
                    path: dir.databasePath,
                    migrations: Array(Migrator.embedded.prefix(5))
                )
                try old.execute(
                    """
                    INSERT INTO school VALUES ('21QW00', 'OBS Oud', '2026-01-05T08:00:00Z');
                    INSERT INTO activation (school_brin6, koppeling_id, accepted_by_name, os_user, os_uid, terms_version,
                        start_date, code_hash, code_prefix, code_length, activated_at)
                    VALUES ('21QW00', 'topdossier', 'A. Oud', 'beheer', 1000, '2024.1', '2026-01-05', x'00', '21QW00', 24,
                        '2026-01-05T08:00:00Z'),
                           ('21QW00', 'topdossier-eckid', 'A. Oud', 'beheer', 1000, '2023.9', '2026-01-05', x'01', '21QW00',
                        24, '2026-01-05T08:00:00Z');
                    INSERT INTO used_code VALUES (x'00', '2026-01-05T08:00:00Z'), (x'01', '2026-01-05T08:00:00Z');
                    """
                )
                old.close()
            }
            // The secret of an old register with codes must exist; make one.
            _ = try InstallSecret.create(path: Register.secretPath(forDatabase: dir.databasePath))
            let register = try Register.open(path: dir.databasePath)
            defer { register.close() }
            #expect(register.schemaVersion == Migrator.latestVersion)
            let text = try #require(try register.catalogEntry("topdossier")).termsText
            let activations = try register.activations(of: try brin("21QW00"))
            let standard = try #require(activations.first { $0.koppeling == "topdossier" })
            #expect(standard.termsSha256 == TermsDigest.sha256Hex(text) && !standard.termsOutdated)
            let eckid = try #require(activations.first { $0.koppeling == "topdossier-eckid" })
            #expect(eckid.termsSha256 == nil, "a version whose text was not kept has no hash")
            #expect(eckid.termsOutdated)
            #expect(try register.count("terms_acceptance") == 2)
            #expect(try register.catalogEntry("topdossier")?.dataSet.fields.count == 12)
            #expect(
                try register.catalogEntry("topdossier-eckid")?.dataSet.fields.map(\.name).suffix(2) == [
                    "leerlingnummer", "eck_id",
                ]
            )
            #expect(
                try register.catalogEntry("topdossier")?.processorAgreement?.name.contains("Privacyconvenant") == true
            )
        }
    }
}
