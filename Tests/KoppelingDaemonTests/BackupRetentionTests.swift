import Foundation
import Testing

@testable import KoppelingDaemon

/// Retention keeps the newest backups by their time, whatever their names.
@Suite("Backup retention")
struct BackupRetentionTests {
    @Test("three backups in one second: keeping two drops the first, not the second")
    func sameSecond() throws {
        let t = try TestRegister(start: utc("2026-12-01T00:05:01Z"))
        let paths = try (1...3).map { _ in try t.app.createBackup().path }
        #expect(
            paths.map { ($0 as NSString).lastPathComponent } == [
                "koppelingd-2026-12-01T000501Z.db", "koppelingd-2026-12-01T000501Z-2.db",
                "koppelingd-2026-12-01T000501Z-3.db",
            ]
        )
        let pruned = try t.app.pruneBackups(keep: 2)
        #expect(pruned == ["koppelingd-2026-12-01T000501Z.db"])
        #expect(FileManager.default.fileExists(atPath: paths[1]) && FileManager.default.fileExists(atPath: paths[2]))
    }

    @Test("the file times decide, not the names")
    func byTime() throws {
        let t = try TestRegister(start: utc("2026-12-01T00:05:01Z"))
        let directory = t.app.backupDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Name order and time order disagree.
        let files: [(String, Int)] = [
            ("koppelingd-2026-11-30T000501Z.db", 3_000),
            ("koppelingd-copied-by-hand.db", 1_000),
            ("koppelingd-2026-12-01T000501Z.db", 2_000),
        ]
        for (name, seconds) in files {
            let path = directory + "/" + name
            #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
            var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
            #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        }
        #expect(
            try t.app.pruneBackups(keep: 1).sorted() == [
                "koppelingd-2026-12-01T000501Z.db", "koppelingd-copied-by-hand.db",
            ]
        )
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["koppelingd-2026-11-30T000501Z.db"])
    }

    @Test func sequenceOfAName() {
        #expect(Application.backupSequence("koppelingd-2026-12-01T000501Z.db") == 1)
        #expect(Application.backupSequence("koppelingd-2026-12-01T000501Z-12.db") == 12)
    }
}
