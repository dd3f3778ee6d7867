import Foundation
import Testing

@testable import KoppelingStorage

/// Every file the register keeps is reached through its directory without
/// following a link: a link planted at the lock, the secret, the register,
/// its -wal or -shm, or the backups directory is a refusal that names the
/// file, and the file the link points at is left as it was. (The same as
/// root, with the directory owned by another user: EndToEndTests,
/// RootLinkTests, and the system test.)
@Suite("The state directory: no link followed")
struct StateDirectoryTests {
    /// A file the links point at, with what it held.
    struct Target {
        let path: String
        let contents = "not koppelingd's\n"

        init(in dir: TemporaryDirectory) throws {
            path = dir.path + "-target"
            try contents.write(toFile: path, atomically: false, encoding: .utf8)
            chmod(path, 0o644)
        }

        func expectUntouched(sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(
                (try? String(contentsOfFile: path, encoding: .utf8)) == contents,
                "the link's target was written",
                sourceLocation: sourceLocation
            )
            #expect(fileMode(path) == 0o644, "the link's target changed mode", sourceLocation: sourceLocation)
        }

        func remove() { unlink(path) }
    }

    static func plant(_ link: String, to target: Target) throws {
        unlink(link)
        guard symlink(target.path, link) == 0 else { throw POSIXError(.EEXIST) }
    }

    @Test func lockLink() throws {
        try withTemporaryDirectory { dir in
            let target = try Target(in: dir)
            defer { target.remove() }
            try Self.plant(RegisterLock.path(forDatabase: dir.databasePath), to: target)
            #expect(throws: StorageOpenError.unsafeFile(.symlink(path: RegisterLock.path(forDatabase: dir.databasePath)))) {
                try RegisterLock.acquire(database: dir.databasePath, holder: "test")
            }
            target.expectUntouched()
        }
    }

    @Test(arguments: ["koppelingd.secret", "koppelingd.db", "koppelingd.db-wal", "koppelingd.db-shm"])
    func registerFileLink(name: String) throws {
        try withTemporaryDirectory { dir in
            // A register with its secret first, closed cleanly.
            try dir.openRegister(schools: ["21QW00"]).close()
            let target = try Target(in: dir)
            defer { target.remove() }
            let link = dir.path + "/" + name
            try Self.plant(link, to: target)
            let refusal = openRefusal(dir.databasePath)
            #expect(refusal == .unsafeFile(.symlink(path: link)), "\(String(describing: refusal))")
            #expect(refusal.map { "\($0)" }?.contains("symbolic link") == true)
            target.expectUntouched()
        }
    }

    @Test func backupsDirectoryLink() throws {
        try withTemporaryDirectory { dir in
            try dir.openRegister().close()
            let elsewhere = dir.path + "-elsewhere"
            try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: false)
            defer { try? FileManager.default.removeItem(atPath: elsewhere) }
            symlink(elsewhere, dir.path + "/backups")
            let refusal = openRefusal(dir.databasePath)
            #expect(refusal == .unsafeFile(.symlink(path: dir.path + "/backups")), "\(String(describing: refusal))")
            #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
        }
    }

    /// A second name of another file at the lock: written through, it
    /// would change that file.
    @Test func lockHardLink() throws {
        try withTemporaryDirectory { dir in
            let other = dir.path + "/other"
            try "other file\n".write(toFile: other, atomically: false, encoding: .utf8)
            link(other, RegisterLock.path(forDatabase: dir.databasePath))
            #expect(throws: StorageOpenError.self) { try RegisterLock.acquire(database: dir.databasePath, holder: "test") }
            #expect(try String(contentsOfFile: other, encoding: .utf8) == "other file\n")
        }
    }

    @Test func secretIsADirectory() throws {
        try withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir.secretPath, withIntermediateDirectories: false)
            #expect(openRefusal(dir.databasePath) != nil)
        }
    }

    /// The directory's names, read through its descriptor.
    @Test func namesAndSubdirectory() throws {
        try withTemporaryDirectory { dir in
            let state = try StateDirectory.open(dir.path)
            #expect(try state.subdirectory("backups", create: false) == nil)
            let backups = try #require(try state.subdirectory("backups", create: true))
            let fd = try backups.openFile("a.db", flags: O_WRONLY | O_CREAT | O_EXCL)
            close(fd)
            #expect(try backups.names() == ["a.db"])
            try state.rename("backups", to: "moved")
            #expect(try state.names().sorted() == ["moved"])
            // The descriptor still names the directory that moved.
            #expect(try backups.names() == ["a.db"])
        }
    }
}

/// A register whose contents were lost while the daemon was stopped: an
/// emptied file, or one whose schema lived only in a -wal that was removed.
/// Beside an earlier register's secret or backups it is refused like a
/// missing one, never taken for a new empty register.
@Suite("An emptied register at start")
struct EmptiedRegisterTests {
    @Test func truncatedRegisterBesideSecret() throws {
        try withTemporaryDirectory { dir in
            try dir.openRegister(schools: ["21QW00"]).close()
            truncate(dir.databasePath, 0)
            let refusal = openRefusal(dir.databasePath)
            #expect(refusal == .registerEmptied(path: dir.databasePath, leftovers: [dir.secretPath]))
            #expect(refusal.map { "\($0)" }?.contains("koppelingd restore") == true)
            // Nothing was written: still empty.
            #expect((try? FileManager.default.attributesOfItem(atPath: dir.databasePath)[.size] as? Int) == 0)
        }
    }

    /// The schema only in the log, and the log removed: what a SIGKILL
    /// right after the first start, then `rm koppelingd.db-wal`, leaves.
    @Test func schemaOnlyInTheRemovedLog() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            // A copy of the register file alone, as a crash would leave it
            // with its log gone: the committed pages are still in the log.
            let copy = dir.path + "/copy"
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: false)
            try FileManager.default.copyItem(atPath: dir.databasePath, toPath: copy + "/koppelingd.db")
            try FileManager.default.copyItem(atPath: dir.secretPath, toPath: copy + "/koppelingd.secret")
            register.close()
            let refusal = openRefusal(copy + "/koppelingd.db")
            #expect(
                refusal == .registerEmptied(path: copy + "/koppelingd.db", leftovers: [copy + "/koppelingd.secret"]),
                "\(String(describing: refusal))"
            )
        }
    }

    /// A first start: no secret and no backups, so an empty file is a new
    /// register, and its secret is made once the schema is in.
    @Test func emptyFileWithoutLeftoversIsNew() throws {
        try withTemporaryDirectory { dir in
            FileManager.default.createFile(atPath: dir.databasePath, contents: Data())
            let register = try Register.open(path: dir.databasePath)
            register.close()
            #expect(FileManager.default.fileExists(atPath: dir.secretPath))
        }
    }
}
