import KoppelingCore
import Testing

@testable import KoppelingStorage

/// `counts().termsOutdated` (two index ranges, below and above the current
/// version) against the plain `<>` count it replaces, on versions that sort
/// below, equal to and above the current one, active and ended.
@Suite struct CountsTests {
    static let plainCount = """
        SELECT count(*) FROM activation a JOIN catalog_entry c ON c.id = a.koppeling_id
        WHERE a.deactivated_at IS NULL AND a.terms_version <> c.terms_version
        """

    @Test func termsOutdatedIsThePlainCount() throws {
        try withTemporaryDirectory { dir in
            let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            let schools: [String] = (0..<30).map { n in
                let digits = n < 10 ? "0\(n)" : "\(n)"
                return "21Q" + String(letters[n % 26]) + digits
            }
            let register = try dir.openRegister(schools: schools)
            defer { register.close() }
            for (i, school) in schools.enumerated() {
                try register.activate(school, "topdossier", code: school + "Xk3mP9qR7sT2vW5yZ8")
                if i % 2 == 0 { try register.activate(school, "topdossier-eckid", code: school + "Hb6nC4dF1gJ0kL9m") }
                if i % 5 == 4 { try register.deactivate(school, "topdossier") }
            }
            // Behind the register's back: versions the rules would not let in
            // this way, around the current "2024.1" in text order.
            let db = try SQLiteConnection(path: dir.databasePath)
            defer { db.close() }
            let versions = ["2024.1", "2023.9", "2024.10", "2024.1 ", "2025", "1", "2024.0", "Ω", ""]
            var generator = SystemRandomNumberGenerator()
            for round in 0..<20 {
                let ids = try db.query("SELECT id FROM activation") { $0.int(0) }
                for id in ids {
                    let version = versions.randomElement(using: &generator)!
                    _ = try db.run(
                        "UPDATE activation SET terms_version = ? WHERE id = ?",
                        [.text(version), .integer(Int64(id))]
                    )
                }
                let plain = try #require(try db.queryOne(Self.plainCount) { $0.int(0) })
                #expect(try register.read { try register.counts() }.termsOutdated == plain, "round \(round)")
            }
            _ = try db.run(
                "UPDATE activation SET terms_version = (SELECT terms_version FROM catalog_entry c WHERE c.id = koppeling_id)"
            )
            #expect(try register.read { try register.counts() }.termsOutdated == 0)
        }
    }

    /// The count is two searches of `activation_terms`, not a scan of the
    /// active activations.
    @Test func termsOutdatedSearchesTheIndex() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            register.close()
            let db = try SQLiteConnection(path: dir.databasePath)
            defer { db.close() }
            let plan = try db.query("EXPLAIN QUERY PLAN " + Register.countsQuery) { $0.text(3) }
            for range in ["terms_version<?", "terms_version>?"] {
                let search = "SEARCH a USING INDEX activation_terms (koppeling_id=? AND \(range))"
                #expect(plan.contains { $0.contains(search) }, "\(plan)")
            }
        }
    }
}
