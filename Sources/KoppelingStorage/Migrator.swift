import KoppelingCore

/// One schema step from `migrations/NNNN_name.sql`.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    /// Its first line says it rebuilds tables (drop and rename), which must
    /// run with foreign keys off.
    var rebuildsTables: Bool { sql.hasPrefix("-- migrator: rebuilds tables") }
}

/// Applies the migrations embedded in the binary, in order, each in one
/// transaction together with its `PRAGMA user_version`.
public enum Migrator {
    /// The migrations this binary carries, parsed from the files of
    /// `migrations/` that the build embedded (the single source of truth).
    public static let embedded: [Migration] = EmbeddedMigrations.all.compactMap { file in
        let stem = file.name.hasSuffix(".sql") ? String(file.name.dropLast(4)) : file.name
        let parts = stem.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]) else { return nil }
        return Migration(version: version, name: String(parts[1]), sql: file.sql)
    }.sorted { $0.version < $1.version }

    public static var latestVersion: Int { embedded.last?.version ?? 0 }

    public static func currentVersion(_ db: SQLiteConnection) throws -> Int {
        try db.queryOne("PRAGMA user_version") { $0.int(0) } ?? 0
    }

    /// Brings `db` to the latest version. Refuses a database that a newer
    /// koppelingd has written.
    @discardableResult
    public static func migrate(
        _ db: SQLiteConnection,
        migrations: [Migration] = embedded
    ) throws -> (from: Int, to: Int) {
        let from = try currentVersion(db)
        let latest = migrations.last?.version ?? 0
        if from > latest {
            throw StorageOpenError.newerSchema(found: from, known: latest)
        }
        try db.registerTermsDigestFunction()
        for m in migrations where m.version > from {
            // A table rebuilt to drop a constraint is dropped and renamed:
            // with foreign keys on, dropping it would cascade into the rows
            // that refer to it. The pragma is a no-op inside a transaction,
            // so it is set around it, and the keys are checked before the
            // commit instead.
            let rebuilds = m.rebuildsTables
            if rebuilds { try db.execute("PRAGMA foreign_keys = OFF") }
            defer { if rebuilds { try? db.execute("PRAGMA foreign_keys = ON") } }
            try db.transaction {
                try db.execute(m.sql)
                if rebuilds {
                    let broken = try db.query("PRAGMA foreign_key_check") { $0.text(0) }
                    if !broken.isEmpty {
                        throw SQLiteError(
                            code: 19,  // SQLITE_CONSTRAINT
                            message: "migration \(m.version) leaves foreign keys broken in \(Set(broken).sorted())"
                        )
                    }
                }
                try db.execute("PRAGMA user_version = \(m.version)")
            }
        }
        return (from, max(from, latest))
    }
}

extension Migrator {
    /// The names of the embedded files, to check against `migrations/`.
    public static var embeddedFileNames: [String] { EmbeddedMigrations.all.map(\.name) }
}
