/// The SQL files of `migrations/`, compiled into the binary by SwiftPM
/// (`.embedInCode`), so an installed koppelingd needs no source tree.
///
/// SwiftPM embeds each file as its own constant; this list names them. A
/// storage test fails when a file in `migrations/` is missing here.
enum EmbeddedMigrations {
    struct File {
        let name: String
        let sql: String
    }

    static let all: [File] = [
        File(name: "0001_initial.sql", sql: String(decoding: PackageResources._001_initial_sql, as: UTF8.self)),
        File(
            name: "0002_catalog_seed.sql",
            sql: String(decoding: PackageResources._002_catalog_seed_sql, as: UTF8.self)
        ),
        File(
            name: "0003_secret_check.sql",
            sql: String(decoding: PackageResources._003_secret_check_sql, as: UTF8.self)
        ),
        File(
            name: "0004_mask_audit.sql",
            sql: String(decoding: PackageResources._004_mask_audit_sql, as: UTF8.self)
        ),
        File(
            name: "0005_keep_school_history.sql",
            sql: String(decoding: PackageResources._005_keep_school_history_sql, as: UTF8.self)
        ),
        File(name: "0006_consent.sql", sql: String(decoding: PackageResources._006_consent_sql, as: UTF8.self)),
        File(
            name: "0007_audit_chain.sql",
            sql: String(decoding: PackageResources._007_audit_chain_sql, as: UTF8.self)
        ),
        File(
            name: "0008_terms_index.sql",
            sql: String(decoding: PackageResources._008_terms_index_sql, as: UTF8.self)
        ),
        File(
            name: "0009_consent_whole.sql",
            sql: String(decoding: PackageResources._009_consent_whole_sql, as: UTF8.self)
        ),
        File(
            name: "0010_eckid_purpose.sql",
            sql: String(decoding: PackageResources._010_eckid_purpose_sql, as: UTF8.self)
        ),
    ]
}
