import CSQLite

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// All connection setup in one place: checks before SQLite may write,
/// pragmas, integrity check, migrations.
public enum DatabaseSetup {
    public static let busyTimeoutMilliseconds = 5_000
    /// Page cache per connection, in KiB (negative: a size, not pages).
    /// A register of thousands of schools fits; memory stays flat and small.
    static let pageCacheKiB = -1024
    /// What the log (`-wal`) is cut back to once a checkpoint restarts it:
    /// the size it reaches between automatic checkpoints (1,000 pages of
    /// 4 KiB), so a register under steady writes is never truncated and
    /// regrown, while a log that an outside reader let grow (the `sqlite3`
    /// shell holding a snapshot) returns to it once the reader lets go.
    public static let logSizeLimitBytes = 4 * 1024 * 1024

    /// Opens (creating if absent) the writing connection at `path`.
    /// `beforeChanging` sees the accepted file, with its schema version,
    /// before anything in it is changed; a throw there leaves it untouched.
    public static func openWriter(
        path: String,
        migrations: [Migration] = Migrator.embedded,
        beforeChanging: (SQLiteConnection, _ version: Int) throws -> Void = { _, _ in }
    )
        throws -> SQLiteConnection
    {
        try refuseForeignFile(path: path)
        let db: SQLiteConnection
        do { db = try SQLiteConnection(path: path) } catch let e as SQLiteError {
            throw StorageOpenError.cannotOpen(path: path, detail: e.message)
        }
        do {
            try db.execute("PRAGMA busy_timeout = \(busyTimeoutMilliseconds)")
            // Refuse a newer schema before changing anything in the file.
            let version = try Migrator.currentVersion(db)
            if let latest = migrations.last?.version, version > latest {
                throw StorageOpenError.newerSchema(found: version, known: latest)
            }
            // Version 0 with tables in it is another program's database.
            if version == 0, try db.queryOne("SELECT count(*) FROM sqlite_master") { $0.int(0) } ?? 0 > 0 {
                throw StorageOpenError.foreignSchema(path: path)
            }
            try beforeChanging(db, version)
            try db.execute(
                """
                PRAGMA cache_size = \(pageCacheKiB);
                PRAGMA journal_mode = WAL;
                PRAGMA journal_size_limit = \(logSizeLimitBytes);
                PRAGMA synchronous = FULL;
                PRAGMA foreign_keys = ON;
                """
            )
            try Migrator.migrate(db, migrations: migrations)
            return db
        } catch let e as SQLiteError {
            db.close()
            if e.code & 0xFF == SQLITE_NOTADB { throw StorageOpenError.notADatabase(path: path) }
            if e.code & 0xFF == SQLITE_CORRUPT { throw StorageOpenError.damaged(path: path, detail: e.message) }
            throw StorageOpenError.cannotOpen(path: path, detail: e.message)
        } catch {
            db.close()
            throw error
        }
    }

    /// A read-only connection to the same file (backups verify with it).
    public static func openReader(path: String) throws -> SQLiteConnection {
        let db = try SQLiteConnection(path: path, readOnly: true)
        try db.execute("PRAGMA busy_timeout = \(busyTimeoutMilliseconds); PRAGMA cache_size = \(pageCacheKiB)")
        return db
    }

    /// A file that exists and is not empty must start with SQLite's magic
    /// header; otherwise SQLite is never given the chance to write to it.
    static func refuseForeignFile(path: String) throws {
        guard let header = FileHeader.read(path), !header.isEmpty else { return }
        if header != FileHeader.sqlite { throw StorageOpenError.notADatabase(path: path) }
    }

    /// What `PRAGMA quick_check` finds wrong (empty: nothing). Not part of
    /// opening: it reads every page, which a large register need not wait
    /// for before it serves (DESIGN §4); the daemon runs it right after it
    /// is ready and after each daily backup (`StorageCheck`).
    static func quickCheck(_ db: SQLiteConnection) throws -> [String] {
        let rows = try db.query("PRAGMA quick_check(10)") { $0.text(0) }
        return rows == ["ok"] ? [] : rows
    }
}
