import KoppelingCore
import KoppelingProtocol
import KoppelingStorage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

extension Application {
    var backupDirectory: String { Register.backupDirectory(forDatabase: config.databasePath) }

    /// A consistent copy while serving: `VACUUM INTO` a temporary file
    /// beside the register, integrity check, fsync, rename into `backups/`.
    /// Every file is reached through the directories' descriptors without
    /// following a link (`StateDirectory`): started by hand as root, the
    /// daemon must not be led by a link its user planted in `backups/`.
    /// The temporary file sits in the state directory itself, whose path
    /// only root can change, because SQLite opens it by path.
    func createBackup() throws -> BackupResult {
        do {
            return try makeBackup()
        } catch let refusal as StateDirectory.Refusal {
            logger.error("backup refused", metadata: ["reason": "\(refusal)"])
            throw KoppelingError.unavailable(
                .storageFailure,
                message: "De back-up kon niet worden gemaakt: \(refusal.dutch)."
            )
        }
    }

    private func makeBackup() throws -> BackupResult {
        let now = clock.now()
        let state = try StateDirectory.open(containing: config.databasePath)
        guard let backups = try state.subdirectory("backups", create: true) else {
            throw StateDirectory.Refusal.failed(path: backupDirectory, operation: "mkdir", errno: ENOENT)
        }
        let stamp = Instant.rfc3339(now).filter { $0 != ":" }
        var name = "koppelingd-\(stamp).db"
        var suffix = 1
        while backups.exists(name) {
            suffix += 1
            name = "koppelingd-\(stamp)-\(suffix).db"
        }
        let temporary = Self.unfinishedBackupPrefix + name
        try state.remove(temporary)
        do {
            try register.copy(into: state.pathOf(temporary))
            let copy = try DatabaseSetup.openReader(path: state.pathOf(temporary))
            let check = try copy.query("PRAGMA integrity_check") { $0.text(0) }
            copy.close()
            guard check == ["ok"] else {
                throw KoppelingError.unavailable(
                    .storageFailure,
                    message: "De kopie is niet in orde (\(check.first ?? "?")); er is geen back-up gemaakt."
                )
            }
            let fd = try state.openFile(temporary, flags: O_RDONLY)
            defer { close(fd) }
            guard fsync(fd) == 0 else {
                throw KoppelingError.unavailable(.storageFailure, message: "De back-up kon niet worden weggeschreven.")
            }
            try state.rename(temporary, to: name, in: backups)
            try backups.sync()
        } catch {
            try? state.remove(temporary)
            throw error
        }
        let size = (try? backups.status(name)).flatMap { $0 }.map { Int($0.st_size) } ?? 0
        return BackupResult(path: backups.pathOf(name), sizeBytes: size, createdAt: Instant.rfc3339(now))
    }

    /// A backup being written: in the state directory, renamed into
    /// `backups/` once checked.
    static let unfinishedBackupPrefix = ".backup-incoming-"

    /// Removes temporary copies a crash left half-written (and those an
    /// earlier version left in `backups/`).
    func removeUnfinishedBackups() {
        guard let state = try? StateDirectory.open(containing: config.databasePath) else { return }
        for name in (try? state.names()) ?? [] where name.hasPrefix(Self.unfinishedBackupPrefix) {
            try? state.remove(name)
        }
        guard let backups = try? state.subdirectory("backups", create: false) else { return }
        for name in (try? backups.names()) ?? [] where name.hasPrefix(".incoming-") { try? backups.remove(name) }
    }

    /// Keeps the newest `keep` backups by the time they were written, not
    /// by name: `…Z-2.db`, the second of one second, sorts before `…Z.db`
    /// as text. Equal times (a coarse file-system clock) fall back to the
    /// sequence number of the name. Only regular files count; a link is
    /// neither followed nor removed.
    func pruneBackups(keep: Int) throws -> [String] {
        let state = try StateDirectory.open(containing: config.databasePath)
        guard let backups = try state.subdirectory("backups", create: false) else { return [] }
        let found = try backups.names().filter(Register.isBackupName).compactMap { name -> (String, stat)? in
            guard let info = try backups.status(name), info.st_mode & S_IFMT == S_IFREG else { return nil }
            return (name, info)
        }
        let oldestFirst = found.map { name, info -> (name: String, time: timespec, sequence: Int) in
            (name, info.st_mtim, Self.backupSequence(name))
        }.sorted { a, b in
            if a.time.tv_sec != b.time.tv_sec { return a.time.tv_sec < b.time.tv_sec }
            if a.time.tv_nsec != b.time.tv_nsec { return a.time.tv_nsec < b.time.tv_nsec }
            if a.sequence != b.sequence { return a.sequence < b.sequence }
            return a.name < b.name
        }.map(\.name)
        let doomed = oldestFirst.dropLast(max(0, keep))
        for name in doomed { try backups.remove(name) }
        return Array(doomed)
    }

    /// `koppelingd-<stamp>-3.db` → 3; a name without a suffix is the first.
    static func backupSequence(_ name: String) -> Int {
        let stem = name.dropLast(3)
        guard let dash = stem.lastIndex(of: "-"), let n = Int(stem[stem.index(after: dash)...]) else { return 1 }
        return n
    }
}
