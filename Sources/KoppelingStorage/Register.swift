import KoppelingCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The register's queries over the single writing connection. Confined to
/// the daemon's database thread; every method runs there.
public final class Register: @unchecked Sendable {
    let db: SQLiteConnection
    public let secret: InstallSecret
    public let path: String
    let auditChain: AuditChain
    /// The files to confirm after each commit and whom to tell when one
    /// was lost (`confirmCommit`); set on the writer by the daemon.
    public var commitWatch: (files: RegisterFiles, lost: @Sendable (RegisterFiles.File) -> Void)? {
        didSet { logLength = commitWatch?.files.size(of: .log) ?? 0 }
    }
    /// The log's length after this connection's last commit or checkpoint:
    /// a log found shorter was cut by someone else (`RegisterFiles.lost`).
    public internal(set) var logLength: Int64 = 0
    /// How many audit rows of an earlier version `open` chained (logged by
    /// the daemon: it happens once, at the upgrade).
    public internal(set) var auditRowsChainedAtOpen = 0

    init(db: SQLiteConnection, secret: InstallSecret, path: String) {
        self.db = db
        self.secret = secret
        self.path = path
        auditChain = AuditChain(key: secret.auditChainKey)
    }

    /// Opens the database and its secret at `path` (the secret file sits
    /// beside it as `koppelingd.secret`). Nothing is written unless both
    /// belong together: an exposed, missing or foreign secret, or a missing
    /// or emptied register beside an earlier one's secret or backups, is a
    /// refusal.
    public static func open(path: String) throws -> Register {
        let secretPath = secretPath(forDatabase: path)
        try InstallSecret.refuseIfExposed(path: secretPath)
        let leftovers = try earlierRegister(path: path, secretPath: secretPath)
        var secret: InstallSecret?
        var versionBefore = 0
        let db = try DatabaseSetup.openWriter(path: path) { db, version in
            versionBefore = version
            // No schema (an empty file, or one whose WAL held everything
            // and was removed) beside an earlier register's files: its
            // contents are lost, and a new empty register there would run
            // the day's timer and rotate the good backups out.
            if version == 0, !leftovers.isEmpty {
                throw StorageOpenError.registerEmptied(path: path, leftovers: leftovers)
            }
            // A new register gets its secret once its schema is committed
            // (below): a start that fails in between leaves no secret that
            // would make the next start take the register for a lost one.
            if version > 0 {
                secret = try InstallSecret.resolve(
                    path: secretPath,
                    database: path,
                    state: try secretState(db, schemaVersion: version)
                )
            }
        }
        if secret == nil {
            do { secret = try InstallSecret.resolve(path: secretPath, database: path, state: .init(check: nil, holdsCodes: false)) } catch {
                db.close()
                throw error
            }
        }
        guard let secret else {
            db.close()
            throw StorageOpenError.cannotOpen(path: path, detail: "no secret")
        }
        let register = Register(db: db, secret: secret, path: path)
        do {
            // What SQL could not do in the migrations, with the secret they
            // could not see, in one transaction: a register made by a
            // version without check values gets one from the secret it has
            // (a new one from its new secret), and one made before the
            // audit chain gets its rows chained.
            try db.transaction {
                try db.run(
                    "INSERT INTO install_check (id, secret_check) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
                    [.blob(secret.checkValue)]
                )
                // Only in the open that brought the register to the chained
                // trail: a head made unchained later (by someone without the
                // secret, to have edited rows chained as they are) is a
                // break that audit.verify reports, never a reason to chain.
                if versionBefore < AuditChain.firstChainedSchemaVersion {
                    register.auditRowsChainedAtOpen = try register.chainEarlierAuditRows()
                }
            }
        } catch let error as SQLiteError where error.isCorrupt {
            // Damage in what start-up reads or writes is a refusal that
            // names the file, like damage found while opening it.
            db.close()
            throw StorageOpenError.damaged(path: path, detail: error.message)
        } catch {
            db.close()
            throw error
        }
        return register
    }

    /// The full check of the file (`PRAGMA quick_check`), on a read-only
    /// connection of its own: what it finds wrong, empty when nothing.
    /// `stop` is asked now and then while it reads; once it says yes the
    /// check ends with `SQLITE_INTERRUPT` (the daemon is stopping).
    public func quickCheck(stop: @escaping () -> Bool = { false }) throws -> [String] {
        let reader = try DatabaseSetup.openReader(path: path)
        defer { reader.close() }
        return try reader.interruptible(by: stop) { try DatabaseSetup.quickCheck(reader) }
    }

    /// What a database at `schemaVersion` says about its secret.
    public static func secretState(
        _ db: SQLiteConnection,
        schemaVersion version: Int
    ) throws -> InstallSecret.DatabaseState {
        let holdsCodes =
            version >= 1
            ? try db.queryOne("SELECT EXISTS (SELECT 1 FROM used_code) OR EXISTS (SELECT 1 FROM activation)") {
                $0.int(0)
            } == 1
            : false
        let check =
            version >= 3
            ? try db.queryOne("SELECT secret_check FROM install_check WHERE id = 1") { $0.blob(0) }
            : nil
        return InstallSecret.DatabaseState(check: check, holdsCodes: holdsCodes)
    }

    /// The files of an earlier register beside `path`: its secret, its
    /// backups. A register that is gone while they are there was lost or
    /// moved: starting a new empty register there would hide that (and
    /// void the backups' codes), so that is refused here; an emptied one is
    /// refused once its schema version is read (`open`). Everything is
    /// looked at through the directory without following a link.
    static func earlierRegister(path: String, secretPath: String) throws -> [String] {
        do {
            let directory = try StateDirectory.open(containing: path)
            let name = PathText.lastComponent(of: path)
            // A link (or a directory) at any of the register's files is
            // refused naming it: SQLite would refuse a link at its own files
            // too (it opens them with O_NOFOLLOW), but says only "unable to
            // open database file".
            for file in RegisterFiles.File.allCases {
                let at = RegisterFiles.path(of: file, database: path)
                guard let info = try directory.status(PathText.lastComponent(of: at)), info.st_mode & S_IFMT != S_IFREG
                else { continue }
                throw StorageOpenError.unsafeFile(
                    info.st_mode & S_IFMT == S_IFLNK
                        ? .symlink(path: at) : .wrongType(path: at, expected: "regular file")
                )
            }
            let register = try directory.status(name)
            var leftovers: [String] = []
            if directory.exists(PathText.lastComponent(of: secretPath)) { leftovers.append(secretPath) }
            let backups = try directory.subdirectory("backups", create: false)
            if let backups, try backups.names().contains(where: isBackupName) { leftovers.append(backups.path) }
            if register == nil, !leftovers.isEmpty {
                throw StorageOpenError.registerMissing(path: path, leftovers: leftovers)
            }
            return leftovers
        } catch let refusal as StateDirectory.Refusal {
            throw StorageOpenError.unsafeFile(refusal)
        }
    }

    /// `koppelingd-20261201T183300Z.db` (and `…-2.db`): a finished backup.
    public static func isBackupName(_ name: String) -> Bool {
        name.hasPrefix("koppelingd-") && name.hasSuffix(".db")
    }

    /// Where backups of the register at `path` are kept.
    public static func backupDirectory(forDatabase path: String) -> String {
        PathText.join(PathText.directory(of: path), "backups")
    }

    public static func secretPath(forDatabase path: String) -> String {
        // appendingPathComponent, not "/" + name: a bare file name has an
        // empty directory, which must mean here, not the root.
        PathText.join(PathText.directory(of: path), "koppelingd.secret")
    }

    public func close() { db.close() }

    /// Runs `body` so that it ends once `stop` says so (a scan the daemon
    /// stops): see `SQLiteConnection.interruptible`.
    public func interruptible<T>(by stop: @escaping () -> Bool, _ body: () throws -> T) rethrows -> T {
        try db.interruptible(by: stop, body)
    }

    public var schemaVersion: Int { (try? Migrator.currentVersion(db)) ?? 0 }

    public struct Counts: Sendable, Equatable {
        public var schools = 0
        public var catalogEntries = 0
        public var activeActivations = 0
        public var pendingImports = 0
        public var activeImports = 0
        /// Active activations whose accepted terms are not the current ones:
        /// counted as the versions below and above the current one, two
        /// ranges of `activation_terms` that hold only the outdated entries
        /// (`<>` would walk every active one); CROSS JOIN keeps the catalogue
        /// the outer loop, so each range is a search. Tested equal to `<>`.
        public var termsOutdated = 0
    }

    static let countsQuery = """
        SELECT (SELECT count(*) FROM school),
               (SELECT count(*) FROM catalog_entry),
               (SELECT count(*) FROM activation WHERE deactivated_at IS NULL),
               (SELECT count(*) FROM eckid_import WHERE state = 'pending'),
               (SELECT count(*) FROM eckid_import WHERE state = 'active'),
               (SELECT count(*) FROM catalog_entry c CROSS JOIN activation a INDEXED BY activation_terms
                ON a.koppeling_id = c.id AND a.deactivated_at IS NULL AND a.terms_version < c.terms_version)
             + (SELECT count(*) FROM catalog_entry c CROSS JOIN activation a INDEXED BY activation_terms
                ON a.koppeling_id = c.id AND a.deactivated_at IS NULL AND a.terms_version > c.terms_version)
        """

    public func counts() throws -> Counts {
        try db.queryOne(Register.countsQuery) { r in
            Counts(
                schools: r.int(0),
                catalogEntries: r.int(1),
                activeActivations: r.int(2),
                pendingImports: r.int(3),
                activeImports: r.int(4),
                termsOutdated: r.int(5)
            )
        } ?? Counts()
    }
}

extension KoppelingError {
    static func schoolNotFound(_ b: Brin6) -> KoppelingError {
        .notFound(Violation(field: "brin6", reason: .schoolNotFound, message: "School \(b) is niet geregistreerd."))
    }

    static func koppelingNotFound(_ id: String) -> KoppelingError {
        .notFound(
            Violation(
                field: "koppeling",
                reason: .koppelingNotFound,
                message: "Koppeling '\(id.masked)' staat niet in de catalogus. Zie 'koppelingctl catalog list'."
            )
        )
    }
}
