import KoppelingCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The whole a school agrees to, kept once per koppeling and terms version
/// (`consent_document`), and what each acceptance accepted of it.
extension Register {
    /// The stored whole of `id` under `version`; nil when the register
    /// never recorded one.
    func consentDocument(_ id: String, version: String) throws -> ConsentDocument? {
        try db.queryOne(
            "SELECT document FROM consent_document WHERE koppeling_id = ? AND version = ?",
            [.text(id), .text(version)]
        ) { try ConsentRecords.decode($0.text(0)) }
    }

    /// The first part of what a school agrees to that `entry` (normalised)
    /// would change under a version the register knows, or nil.
    func consentChange(_ entry: CatalogEntry) throws -> String? {
        guard let stored = try consentDocument(entry.id, version: entry.termsVersion) else { return nil }
        let now = ConsentDocument(entry: entry, termsSha256: TermsDigest.sha256Hex(entry.termsText))
        return now.firstDifference(from: stored)
    }

    /// Keeps the whole of entry `id` under its current version, once, as
    /// the view `catalog_consent` (0009_consent_whole.sql) writes it: a
    /// version already recorded keeps what it had (a load that differs was
    /// refused before this).
    func recordConsent(of id: String, now: String) throws {
        try db.run(
            """
            INSERT INTO consent_document (koppeling_id, version, document, sha256, recorded_at, recorded_at_upgrade)
            SELECT id, terms_version, document, sha256_hex(document), ?, 0 FROM catalog_consent WHERE id = ?
            ON CONFLICT (koppeling_id, version) DO NOTHING
            """,
            [.text(now), .text(id)]
        )
    }
}

/// How the whole is stored: one JSON document (the view `catalog_consent`
/// writes it), whose SHA-256, of that text as stored, an acceptance keeps.
enum ConsentRecords {
    static func decode(_ json: String) throws -> ConsentDocument {
        try JSONDecoder().decode(ConsentDocument.self, from: Data(json.utf8))
    }

    static func encodeSubjects(_ subjects: [String]) -> String {
        // Validated categories are lower-case letters only: nothing to escape.
        "[" + subjects.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    }

    static func decodeSubjects(_ json: String) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(json.utf8))
    }
}
