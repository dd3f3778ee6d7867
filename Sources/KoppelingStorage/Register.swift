import Foundation
import KoppelingCore

/// The register's queries over the single writing connection. Confined to
/// the daemon's database thread; every method runs there.
public final class Register: @unchecked Sendable {
    public let db: SQLiteConnection
    public let secret: InstallSecret
    public let path: String

    public init(db: SQLiteConnection, secret: InstallSecret, path: String) {
        self.db = db
        self.secret = secret
        self.path = path
    }

    /// Opens the database and its secret at `path` (the secret file sits
    /// beside it as `koppelingd.secret`).
    public static func open(path: String) throws -> Register {
        // An exposed secret is refused before anything is written; a new
        // secret is made only once the database was accepted.
        let secretPath = secretPath(forDatabase: path)
        try InstallSecret.refuseIfExposed(path: secretPath)
        let db = try DatabaseSetup.openWriter(path: path)
        do {
            let secret = try InstallSecret.loadOrCreate(path: secretPath)
            return Register(db: db, secret: secret, path: path)
        } catch {
            db.close()
            throw error
        }
    }

    public static func secretPath(forDatabase path: String) -> String {
        // appendingPathComponent, not "/" + name: a bare file name has an
        // empty directory, which must mean here, not the root.
        ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("koppelingd.secret")
    }

    public func close() { db.close() }

    public var schemaVersion: Int { (try? Migrator.currentVersion(db)) ?? 0 }

    public struct Counts: Sendable, Equatable {
        public var schools = 0
        public var catalogEntries = 0
        public var activeActivations = 0
        public var pendingImports = 0
        public var activeImports = 0
    }

    public func counts() throws -> Counts {
        try db.queryOne("""
            SELECT (SELECT count(*) FROM school),
                   (SELECT count(*) FROM catalog_entry),
                   (SELECT count(*) FROM activation WHERE deactivated_at IS NULL),
                   (SELECT count(*) FROM eckid_import WHERE state = 'pending'),
                   (SELECT count(*) FROM eckid_import WHERE state = 'active')
            """) { r in
            Counts(schools: r.int(0), catalogEntries: r.int(1), activeActivations: r.int(2),
                   pendingImports: r.int(3), activeImports: r.int(4))
        } ?? Counts()
    }
}

extension KoppelingError {
    static func schoolNotFound(_ b: Brin6) -> KoppelingError {
        .notFound(Violation(field: "brin6", reason: .schoolNotFound, message: "School \(b) is niet geregistreerd."))
    }

    static func koppelingNotFound(_ id: String) -> KoppelingError {
        .notFound(Violation(field: "koppeling", reason: .koppelingNotFound,
            message: "Koppeling '\(id)' staat niet in de catalogus. Zie 'koppelingctl catalog list'."))
    }
}
