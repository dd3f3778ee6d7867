import CSQLite
import KoppelingCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `koppelingd restore BACKUP`: puts a backup in the register's place with
/// every step a hand restore gets wrong done for the administrator. Run
/// with no daemon on the register (the lock proves it) and nothing listening
/// on its socket (a socket unit would start one mid-restore).
public enum RegisterRestore {
    /// What was done, for the administrator.
    public struct Outcome: Sendable {
        public var database: String
        public var backup: String
        public var schemaVersion: Int
        public var schools: Int
        public var activeActivations: Int
        /// Where the register that was replaced now lies (nil: there was none).
        public var keptAside: String?
        public var owner: String
        /// The backup predates check values: its secret could not be checked.
        public var secretUnchecked: Bool
    }

    public enum Refusal: Error, CustomStringConvertible, Equatable {
        case daemonRuns(holder: String)
        case socketListens(path: String)
        case backupUnreadable(path: String, detail: String)
        case backupDamaged(path: String, detail: String)
        case backupNotOurs(path: String)
        case backupNewer(path: String, found: Int, known: Int)
        case secretMissing(secret: String, backup: String)
        case secretMismatch(secret: String, backup: String)
        case fileOperation(path: String, detail: String)
        /// A link, a stranger's file or a hard link where the restore
        /// creates, renames or hands over a file (`StateDirectory`).
        case unsafeFile(StateDirectory.Refusal)

        public var description: String {
            switch self {
            case .daemonRuns(let holder):
                return
                    "koppelingd draait nog (\(holder)). Stop eerst beide units: sudo systemctl stop koppelingd.service koppelingd.socket"
            case .socketListens(let path):
                return
                    "Op \(path) luistert nog een socket (koppelingd.socket): een verbinding zou koppelingd midden in het herstel starten. "
                    + "Stop eerst beide units: sudo systemctl stop koppelingd.service koppelingd.socket"
            case .backupUnreadable(let p, let d):
                return "De back-up \(p) is niet te lezen: \(d)."
            case .backupDamaged(let p, let d):
                return "De back-up \(p) is beschadigd (\(d)); er is niets hersteld. Kies een andere back-up."
            case .backupNotOurs(let p):
                return
                    "\(p) is geen back-up van koppelingd (geen SQLite-database met het schema van koppelingd); er is niets hersteld."
            case .backupNewer(let p, let found, let known):
                return
                    "De back-up \(p) heeft schemaversie \(found), nieuwer dan deze koppelingd kent (\(known)). Installeer eerst een nieuwere koppelingd."
            case .secretMissing(let s, let b):
                return "De back-up \(b) bevat verificatiecodes, maar het geheim \(s) ontbreekt. "
                    + "Zet eerst het koppelingd.secret van deze installatie terug (eigenaar koppelingd, modus 0600)."
            case .secretMismatch(let s, let b):
                return
                    "De back-up \(b) hoort niet bij het geheim \(s): de controlewaarde verschilt (een back-up van een andere installatie?). "
                    + "Zet het koppelingd.secret van de installatie van die back-up terug (eigenaar koppelingd, modus 0600) en probeer opnieuw; er is niets hersteld."
            case .fileOperation(let p, let d):
                return "\(p): \(d); het herstel is afgebroken."
            case .unsafeFile(let refusal):
                return "\(refusal.dutch); het herstel is afgebroken."
            }
        }
    }

    /// Restores `backup` as the register at `database`. The files end owned
    /// by the owner of the register's directory, mode 0600.
    ///
    /// Run as root in a directory that belongs to the daemon's user, so
    /// every file there is reached through the directory's descriptor
    /// without following a link (`StateDirectory`): the lock, the copy, the
    /// register and its -wal and -shm kept aside, the rename into place and
    /// the hand-over to the owner. What is checked is the copy, the very
    /// bytes that become the register, not the path it came from.
    public static func run(backup: String, database: String, socket: String, now: Date = Date()) throws -> Outcome {
        let lock: RegisterLock
        do {
            lock = try RegisterLock.acquire(database: database, holder: "koppelingd restore, pid \(getpid())")
        } catch StorageOpenError.registerInUse(_, let holder) {
            throw Refusal.daemonRuns(holder: holder)
        } catch StorageOpenError.unsafeFile(let refusal) {
            throw Refusal.unsafeFile(refusal)
        }
        defer { lock.release() }
        if isListening(socket) { throw Refusal.socketListens(path: socket) }
        do {
            return try restore(backup: backup, database: database, lock: lock, now: now)
        } catch let refusal as StateDirectory.Refusal {
            throw Refusal.unsafeFile(refusal)
        }
    }

    private static func restore(backup: String, database: String, lock: RegisterLock, now: Date) throws -> Outcome {
        let directory = try StateDirectory.open(containing: database)
        let name = PathText.lastComponent(of: database)
        let incoming = name + ".restoring"
        let checked = try copyAndCheck(backup, to: incoming, in: directory, secret: Register.secretPath(forDatabase: database))
        let keptAside = try keepAside(name, in: directory, now: now)
        for suffix in ["-wal", "-shm"] { try directory.remove(name + suffix) }
        try directory.rename(incoming, to: name)
        try directory.sync()
        // A lock file made by this restore belongs to the daemon too.
        try lock.hand(to: directory, name: PathText.lastComponent(of: RegisterLock.path(forDatabase: database)))

        let (uid, gid) = (directory.owner, directory.group)
        let owner =
            (getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? "\(uid)")
            + ":" + (getgrgid(gid).map { String(cString: $0.pointee.gr_name) } ?? "\(gid)")
        return Outcome(
            database: database,
            backup: backup,
            schemaVersion: checked.version,
            schools: checked.schools,
            activeActivations: checked.active,
            keptAside: keptAside,
            owner: owner,
            secretUnchecked: checked.secretUnchecked
        )
    }

    /// The copy first, beside the register, so the rename is atomic, and
    /// checked there. A leftover of a broken restore goes first (a link
    /// there is removed, not followed); on any failure the copy goes too.
    private static func copyAndCheck(
        _ backup: String,
        to incoming: String,
        in directory: StateDirectory,
        secret: String
    ) throws -> Checked {
        let scratch = [incoming, incoming + "-wal", incoming + "-shm", incoming + "-journal"]
        try removeAll(scratch, in: directory)
        do {
            try copy(backup, into: directory, name: incoming)
            let checked = try check(file: directory.pathOf(incoming), named: backup, secret: secret)
            // A read-only look at a copy in WAL mode may leave these.
            try removeAll(scratch.dropFirst(), in: directory)
            return checked
        } catch {
            for leftover in scratch { try? directory.remove(leftover) }
            throw error
        }
    }

    private static func removeAll(_ names: some Sequence<String>, in directory: StateDirectory) throws {
        for name in names { try directory.remove(name) }
    }

    /// The register it replaces, with its WAL and shared memory, kept aside
    /// under one name: SQLite finds a WAL by the database's name, so the
    /// aside copy stays complete, and a stale WAL can never be applied to
    /// the restored file. Nil when there was no register.
    private static func keepAside(_ name: String, in directory: StateDirectory, now: Date) throws -> String? {
        guard directory.exists(name) else { return nil }
        let stem = name + ".before-restore-" + stamp(now)
        var aside = stem
        var n = 1
        while directory.exists(aside) {
            n += 1
            aside = stem + "-\(n)"
        }
        for suffix in ["", "-wal", "-shm"] where directory.exists(name + suffix) {
            try directory.rename(name + suffix, to: aside + suffix)
        }
        return directory.pathOf(aside)
    }

    struct Checked {
        var version: Int
        var schools: Int
        var active: Int
        var secretUnchecked: Bool
    }

    /// Integrity, schema and the secret's check value, on a read-only
    /// connection to `file`, the copy of the backup `backup` (named in what
    /// is said).
    static func check(file: String, named backup: String, secret secretPath: String) throws -> Checked {
        guard let header = FileHeader.read(file) else {
            throw Refusal.backupUnreadable(path: backup, detail: errnoText())
        }
        guard header == FileHeader.sqlite else { throw Refusal.backupNotOurs(path: backup) }
        let db: SQLiteConnection
        do { db = try SQLiteConnection(path: file, readOnly: true) } catch {
            throw Refusal.backupUnreadable(path: backup, detail: "\(error)")
        }
        defer { db.close() }
        do {
            let integrity = try db.query("PRAGMA integrity_check") { $0.text(0) }
            guard integrity == ["ok"] else {
                throw Refusal.backupDamaged(path: backup, detail: integrity.prefix(3).joined(separator: "; "))
            }
            let version = try Migrator.currentVersion(db)
            let tables = Set(try db.query("SELECT name FROM sqlite_master WHERE type = 'table'") { $0.text(0) })
            guard version >= 1, tables.isSuperset(of: ["school", "activation", "used_code", "audit"]) else {
                throw Refusal.backupNotOurs(path: backup)
            }
            guard version <= Migrator.latestVersion else {
                throw Refusal.backupNewer(path: backup, found: version, known: Migrator.latestVersion)
            }
            let state = try Register.secretState(db, schemaVersion: version)
            var unchecked = false
            if state.check != nil || state.holdsCodes {
                guard let secret = try InstallSecret.load(path: secretPath) else {
                    throw Refusal.secretMissing(secret: secretPath, backup: backup)
                }
                if let check = state.check {
                    guard secret.verifies(check: check) else {
                        throw Refusal.secretMismatch(secret: secretPath, backup: backup)
                    }
                } else {
                    unchecked = true
                }
            }
            let schools = try db.queryOne("SELECT count(*) FROM school") { $0.int(0) } ?? 0
            let active =
                try db.queryOne("SELECT count(*) FROM activation WHERE deactivated_at IS NULL") { $0.int(0) } ?? 0
            return Checked(version: version, schools: schools, active: active, secretUnchecked: unchecked)
        } catch let refusal as Refusal {
            throw refusal
        } catch StorageOpenError.unsafeFile(let refusal) {
            throw Refusal.unsafeFile(refusal)
        } catch {
            throw Refusal.backupDamaged(path: backup, detail: "\(error)")
        }
    }

    /// Whether a listening Unix socket is bound to `path` in this network
    /// namespace. Read from /proc/net/unix: connecting to find out would
    /// make systemd start the daemon.
    static func isListening(_ path: String) -> Bool {
        guard let table = readToEnd("/proc/net/unix") else { return false }
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 = listening.
            guard fields.count >= 8, fields[7] == path, let flags = Int(fields[3], radix: 16) else { continue }
            if flags & 0x10000 != 0 { return true }
        }
        return false
    }

    /// A file of the kernel's (`/proc`) read to its end. Such files give
    /// their size as 0 and are made as they are read; a reader that trusts
    /// the size, as FoundationEssentials' `String(contentsOfFile:)` does,
    /// gets one page (4 KiB: some 40 sockets of a server's hundreds).
    static func readToEnd(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(contentsOf: chunk[..<n])
        }
    }

    /// Copies `source` (a regular file, never through a link at its last
    /// component) to the new file `name` in `directory`, made there without
    /// following a link, synced and handed to the directory's owner (0600)
    /// through its descriptor.
    static func copy(_ source: String, into directory: StateDirectory, name: String) throws {
        let input = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else {
            if errno == ELOOP { throw Refusal.unsafeFile(.symlink(path: source)) }
            throw Refusal.backupUnreadable(path: source, detail: errnoText())
        }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw Refusal.unsafeFile(.wrongType(path: source, expected: "regular file"))
        }
        let output = try directory.openFile(name, flags: O_WRONLY | O_CREAT | O_EXCL)
        defer { close(output) }
        try directory.hand(fd: output, name: name)
        let destination = directory.pathOf(name)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n == 0 { break }
            guard n > 0 else { throw Refusal.backupUnreadable(path: source, detail: errnoText()) }
            var offset = 0
            while offset < n {
                let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + offset, n - offset) }
                guard w > 0 else { throw Refusal.fileOperation(path: destination, detail: errnoText()) }
                offset += w
            }
        }
        guard fsync(output) == 0 else { throw Refusal.fileOperation(path: destination, detail: errnoText()) }
    }

    /// `20261201T183300Z`: the UTC instant without separators.
    static func stamp(_ date: Date) -> String {
        Instant.rfc3339(date).filter { $0 != "-" && $0 != ":" }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
