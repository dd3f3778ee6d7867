import Foundation
import KoppelingCore
import Testing

@testable import KoppelingStorage

/// Audit rows written before values were masked: a code pasted into the
/// school or koppeling field of a refused request is masked by the migration;
/// valid schools and catalogue ids stay as they are.
@Suite struct AuditMaskingTests {
    @Test func theMigrationMasksWhatIsNotASchoolOrACatalogueId() throws {
        try withTemporaryDirectory { dir in
            let db = try DatabaseSetup.openWriter(
                path: dir.databasePath,
                migrations: Array(Migrator.embedded.prefix(3))
            )
            let rows: [(String?, String?)] = [
                ("21QW00", "topdossier-eckid"),  // a valid request: unchanged
                ("21QW00Zx9Vq3Lm7Tp2Kd", nil),  // a code as the school, cut to 20 characters as stored then
                ("21QW00", "21QW00Zx9Vq3Lm7Tp2Kd8Rw"),  // a code as the koppeling, in full
                ("21qw00", nil),  // not as a valid school is stored (upper-cased): masked
                (nil, nil),
            ]
            for (school, koppeling) in rows {
                try db.run(
                    """
                    INSERT INTO audit (at, os_user, os_uid, method, school, koppeling, outcome)
                    VALUES ('2026-11-01T09:00:00Z', 'beheerder', 1001, 'koppeling.activate', ?, ?, 'refused')
                    """,
                    [school.map { .text($0) } ?? .null, koppeling.map { .text($0) } ?? .null]
                )
            }
            db.close()

            let register = try Register.open(path: dir.databasePath)
            defer { register.close() }
            let stored = try register.db.query("SELECT school, koppeling FROM audit ORDER BY id") {
                [$0.optionalText(0), $0.optionalText(1)]
            }
            #expect(
                stored == [
                    ["21QW00", "topdossier-eckid"],
                    ["21QW00… (20 tekens)", nil],
                    ["21QW00", "21QW00… (23 tekens)"],
                    ["21qw00… (6 tekens)", nil],
                    [nil, nil],
                ]
            )
            let all = try register.db.query("SELECT coalesce(school, '') || coalesce(koppeling, '') FROM audit") {
                $0.text(0)
            }
            #expect(!all.contains { $0.contains("Zx9Vq3") }, "\(all)")
        }
    }

    @Test func maskedShowsSixCharactersAndTheLength() {
        #expect("21QW00Zx9Vq3Lm7Tp2Kd8Rw".masked == "21QW00… (23 tekens)")
        #expect("abc".masked == "abc… (3 tekens)")
        #expect("\u{1B}[2J1234567".masked == "?[2J12… (11 tekens)")
    }
}
