import Foundation
import Testing

/// Root never follows what the daemon's user planted (DESIGN §4). The state
/// directory belongs to the daemon's user (here `nobody`); a symlink to a
/// root-only file is planted at each path a root-run command touches there,
/// one at a time, and `koppelingd restore` and the daemon itself are run as
/// root. Whatever they answer, the target keeps its contents, owner and
/// mode, and nothing is made where a planted directory link points.
@Suite(
    "Root and links in the state directory",
    .serialized,
    .enabled(if: geteuid() == 0, "runs koppelingd as root against a directory of another user: needs root (CI runs as root)")
)
struct RootLinkTests {
    /// The daemon's user in this test: any uid but root's.
    static let owner: (uid: uid_t, gid: gid_t) = (65534, 65534)

    /// A root-only file the links point at.
    struct Victim {
        let path: String
        let contents = "root's own file\n"

        init(_ directory: TemporaryDirectory) throws {
            path = directory.path + "/victim"
            try contents.write(toFile: path, atomically: false, encoding: .utf8)
            chown(path, 0, 0)
            chmod(path, 0o600)
        }

        func expectUntouched(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            var info = stat()
            #expect(lstat(path, &info) == 0, "\(what): the target is gone", sourceLocation: sourceLocation)
            #expect(info.st_uid == 0 && info.st_gid == 0, "\(what): the target changed owner", sourceLocation: sourceLocation)
            #expect(info.st_mode & 0o7777 == 0o600, "\(what): the target changed mode", sourceLocation: sourceLocation)
            #expect(
                (try? String(contentsOfFile: path, encoding: .utf8)) == contents,
                "\(what): the target was written",
                sourceLocation: sourceLocation
            )
        }
    }

    /// A stopped register with one school and one backup, its state
    /// directory and every file in it given to the daemon's user.
    static func register() throws -> (daemon: DaemonProcess, backup: String) {
        let daemon = try DaemonProcess()
        let added = try daemon.rawCall(
            #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Test"}}"#
        )
        #expect(added["result"] != nil, "\(added)")
        let made = try daemon.rawCall(#"{"jsonrpc":"2.0","id":2,"method":"backup.create"}"#)
        let backup = try #require((made["result"] as? [String: Any])?["path"] as? String, "\(made)")
        #expect(daemon.stop() == 0)
        lchown(daemon.stateDirectory, owner.uid, owner.gid)
        for file in E2E.regularFiles(under: daemon.stateDirectory) { lchown(file, owner.uid, owner.gid) }
        lchown(daemon.stateDirectory + "/backups", owner.uid, owner.gid)
        return (daemon, backup)
    }

    /// Every name a root-run command opens, creates, truncates, renames or
    /// hands over in the state directory.
    static let plantedNames = [
        "koppelingd.db.lock", "koppelingd.db", "koppelingd.db-wal", "koppelingd.db-shm", "koppelingd.secret",
        "koppelingd.db.restoring", "koppelingd.db.restoring-wal", "koppelingd.db.restoring-shm",
    ]

    @Test(arguments: plantedNames)
    func fileLink(name: String) throws {
        let (daemon, backup) = try Self.register()
        let victim = try Victim(daemon.directory)
        let link = daemon.stateDirectory + "/" + name
        unlink(link)
        #expect(symlink(victim.path, link) == 0)
        lchown(link, Self.owner.uid, Self.owner.gid)

        let restore = try OneDaemonTests.runToEnd([
            "restore", "--database", daemon.databasePath, "--socket", daemon.socketPath, backup,
        ])
        victim.expectUntouched("restore with a link at \(name) (exit \(restore.status): \(restore.output))")
        if restore.status != 0 {
            #expect(restore.output.contains("symbolische koppeling"), "\(restore.output)")
        }

        // The daemon started by hand as root on the same directory.
        if Self.symlinkStillThere(link) || restore.status != 0 {
            let started = try OneDaemonTests.runToEnd(
                ["--database", daemon.databasePath, "--socket", daemon.socketPath],
                timeout: 3
            )
            victim.expectUntouched("the daemon as root with a link at \(name) (exit \(started.status))")
        }
    }

    /// The backups directory is a link: the daemon started as root refuses
    /// (it would make its daily backup there), and nothing appears in the
    /// directory it points at.
    @Test func backupsDirectoryLink() throws {
        let (daemon, _) = try Self.register()
        let elsewhere = daemon.directory.path + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: false)
        let backups = daemon.stateDirectory + "/backups"
        #expect(rename(backups, daemon.directory.path + "/backups-real") == 0)
        #expect(symlink(elsewhere, backups) == 0)
        let started = try OneDaemonTests.runToEnd(["--database", daemon.databasePath, "--socket", daemon.socketPath])
        #expect(started.status == 78, "\(started.output)")
        #expect(started.output.contains("symbolic link"), "\(started.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
    }

    /// The backup named to the restore is itself a link the daemon's user
    /// planted in `backups/`: refused, not read through.
    @Test func backupLink() throws {
        let (daemon, backup) = try Self.register()
        let victim = try Victim(daemon.directory)
        #expect(unlink(backup) == 0)
        #expect(symlink(victim.path, backup) == 0)
        let restore = try OneDaemonTests.runToEnd([
            "restore", "--database", daemon.databasePath, "--socket", daemon.socketPath, backup,
        ])
        #expect(restore.status == 1, "\(restore.output)")
        #expect(restore.output.contains("symbolische koppeling"), "\(restore.output)")
        victim.expectUntouched("restore of a linked backup")
    }

    /// Without links the restore as root hands every file it made to the
    /// directory's owner, mode 0600.
    @Test func restoreHandsFilesToTheOwner() throws {
        let (daemon, backup) = try Self.register()
        unlink(daemon.databasePath + ".lock")
        let restore = try OneDaemonTests.runToEnd([
            "restore", "--database", daemon.databasePath, "--socket", daemon.socketPath, backup,
        ])
        #expect(restore.status == 0, "\(restore.output)")
        for file in [daemon.databasePath, daemon.databasePath + ".lock"] {
            var info = stat()
            #expect(lstat(file, &info) == 0)
            #expect(info.st_uid == Self.owner.uid && info.st_mode & 0o777 == 0o600, "\(file): \(info.st_uid) \(info.st_mode)")
        }
    }

    static func symlinkStillThere(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }
}
