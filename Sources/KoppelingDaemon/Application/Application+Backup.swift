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

    /// A consistent copy while serving: `VACUUM INTO` a temporary file,
    /// integrity check, fsync, rename into `backups/`.
    func createBackup() throws -> BackupResult {
        let now = clock.now()
        try FileManager.default.createDirectory(atPath: backupDirectory, withIntermediateDirectories: true)
        let stamp = Instant.rfc3339(now).filter { $0 != ":" }
        var name = "koppelingd-\(stamp).db"
        var suffix = 1
        while FileManager.default.fileExists(atPath: backupDirectory + "/" + name) {
            suffix += 1
            name = "koppelingd-\(stamp)-\(suffix).db"
        }
        let final = backupDirectory + "/" + name
        let temporary = backupDirectory + "/.incoming-" + name
        unlink(temporary)
        do {
            try register.copy(into: temporary)
            let copy = try DatabaseSetup.openReader(path: temporary)
            let check = try copy.query("PRAGMA integrity_check") { $0.text(0) }
            copy.close()
            guard check == ["ok"] else {
                throw KoppelingError.unavailable(
                    .storageFailure,
                    message: "De kopie is niet in orde (\(check.first ?? "?")); er is geen back-up gemaakt."
                )
            }
            try fsyncFile(temporary)
            guard rename(temporary, final) == 0 else {
                throw KoppelingError.unavailable(.storageFailure, message: "De back-up kon niet worden opgeslagen.")
            }
            try fsyncFile(backupDirectory)
        } catch {
            unlink(temporary)
            throw error
        }
        var info = stat()
        stat(final, &info)
        return BackupResult(path: final, sizeBytes: Int(info.st_size), createdAt: Instant.rfc3339(now))
    }

    /// Removes temporary copies a crash left half-written in `backups/`.
    func removeUnfinishedBackups() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: backupDirectory)) ?? []
        for name in names where name.hasPrefix(".incoming-") { unlink(backupDirectory + "/" + name) }
    }

    /// Keeps the newest `keep` backups by the time they were written, not
    /// by name: `…Z-2.db`, the second of one second, sorts before `…Z.db`
    /// as text. Equal times (a coarse file-system clock) fall back to the
    /// sequence number of the name.
    func pruneBackups(keep: Int) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: backupDirectory)
            .filter { $0.hasPrefix("koppelingd-") && $0.hasSuffix(".db") }
        let oldestFirst = names.map { name -> (name: String, time: timespec, sequence: Int) in
            var info = stat()
            stat(backupDirectory + "/" + name, &info)
            return (name, info.st_mtim, Self.backupSequence(name))
        }.sorted { a, b in
            if a.time.tv_sec != b.time.tv_sec { return a.time.tv_sec < b.time.tv_sec }
            if a.time.tv_nsec != b.time.tv_nsec { return a.time.tv_nsec < b.time.tv_nsec }
            if a.sequence != b.sequence { return a.sequence < b.sequence }
            return a.name < b.name
        }.map(\.name)
        let doomed = oldestFirst.dropLast(max(0, keep))
        for name in doomed { unlink(backupDirectory + "/" + name) }
        return Array(doomed)
    }

    /// `koppelingd-<stamp>-3.db` → 3; a name without a suffix is the first.
    static func backupSequence(_ name: String) -> Int {
        let stem = name.dropLast(3)
        guard let dash = stem.lastIndex(of: "-"), let n = Int(stem[stem.index(after: dash)...]) else { return 1 }
        return n
    }

    private func fsyncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw KoppelingError.unavailable(.storageFailure, message: "De back-up kon niet worden weggeschreven.")
        }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw KoppelingError.unavailable(.storageFailure, message: "De back-up kon niet worden weggeschreven.")
        }
    }
}
