import Foundation
import KoppelingClient
import KoppelingProtocol
import Testing

/// `koppelingd restore BACKUP`: the state of the backup's moment comes back,
/// the replaced register is kept aside, and every unsafe restore is refused
/// with the files left as they were.
@Suite("Restore", .serialized, .secretCanary)
struct RestoreTests {
    static func restore(_ daemon: DaemonProcess, _ backup: String) throws -> (status: Int32, output: String) {
        try OneDaemonTests.runToEnd([
            "restore", "--database", daemon.databasePath, "--socket", daemon.socketPath, backup,
        ])
    }

    static func backup(_ ctl: Ctl) throws -> String {
        let r = try ctl.run(["backup", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return try #require(json?["path"] as? String, "\(r)")
    }

    static func schools(_ ctl: Ctl) throws -> String { try ctl.run(["school", "list"]).stdout }

    @Test("backup, change, restore: the backup's state is back and the replaced register is kept aside")
    func roundTrip() throws {
        let daemon = try DaemonProcess()
        let ctl = Ctl(socketPath: daemon.socketPath)
        #expect(try ctl.run(["school", "add", "21QW00", "OBS De Test"]).status == 0)
        #expect(
            try ctl.run(
                [
                    "activate", "--school", "21QW00", "--koppeling", "topdossier-eckid", "--name", "J. de Vries",
                    "--agree", "--code-stdin",
                ],
                stdin: "21QW00Zx9Vq3Lm7Tp2Kd8Rw\n"
            ).status == 0
        )
        let backup = try Self.backup(ctl)
        #expect(try ctl.run(["school", "add", "21QW01", "OBS Later"]).status == 0)

        // Refused while the daemon runs; nothing changes.
        let early = try Self.restore(daemon, backup)
        #expect(early.status == 1)
        #expect(
            early.output.contains("koppelingd draait nog (pid \(daemon.process.processIdentifier)"),
            "\(early.output)"
        )
        #expect(try Self.schools(ctl).contains("21QW01"))
        #expect(daemon.stop() == 0)

        let done = try Self.restore(daemon, backup)
        #expect(done.status == 0, "\(done.output)")
        #expect(done.output.contains("Hersteld: \(daemon.databasePath) is nu de back-up \(backup)"), "\(done.output)")
        #expect(done.output.contains("1 school, 1 actieve koppeling"), "\(done.output)")
        let state = try FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory)
        let aside = try #require(state.first { $0.hasPrefix("koppelingd.db.before-restore-") }, "\(state)")
        #expect(
            !state.contains("koppelingd.db-wal") && !state.contains("koppelingd.db-shm"),
            "stale WAL files: \(state)"
        )
        #expect(E2E.mode(daemon.databasePath) == 0o600)

        let restarted = try DaemonProcess(directory: daemon.directory)
        let after = Ctl(socketPath: restarted.socketPath)
        let list = try Self.schools(after)
        #expect(list.contains("21QW00") && !list.contains("21QW01"), "\(list)")
        // The code of the backup's activation still verifies (same secret).
        let key = try after.run(
            ["eckid", "set-key", "--school", "21QW00", "--key-stdin"],
            stdin: "21QW00Zx9Vq3Lm7Tp2Kd8Rw\n"
        )
        #expect(key.status == 0, "\(key)")
        #expect(restarted.stop() == 0)

        // The register kept aside is complete: it holds the later school.
        let kept = try Fault.sqlite(daemon.stateDirectory + "/" + aside, "SELECT group_concat(brin6) FROM school")
        #expect(kept == "21QW00,21QW01", "\(kept)")
    }

    @Test("a backup of another install, a damaged file, a listening socket: refused, nothing changed")
    func refusals() throws {
        let other = try DaemonProcess()
        #expect(try Ctl(socketPath: other.socketPath).run(["school", "add", "21QW05", "Elders"]).status == 0)
        let foreign = try Self.backup(Ctl(socketPath: other.socketPath))
        #expect(other.stop() == 0)

        let daemon = try DaemonProcess()
        #expect(try Ctl(socketPath: daemon.socketPath).run(["school", "add", "21QW00", "OBS De Test"]).status == 0)
        let own = try Self.backup(Ctl(socketPath: daemon.socketPath))
        #expect(daemon.stop() == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: daemon.databasePath))
        let names = try FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory).sorted()
        func unchanged(_ what: String) throws {
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: daemon.databasePath)) == before,
                "\(what) changed the register"
            )
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory).sorted() == names,
                "\(what)"
            )
        }

        let mismatch = try Self.restore(daemon, foreign)
        #expect(mismatch.status == 1)
        #expect(
            mismatch.output.contains("hoort niet bij het geheim \(daemon.stateDirectory)/koppelingd.secret"),
            "\(mismatch.output)"
        )
        try unchanged("a foreign backup")

        let damaged = daemon.directory.path + "/damaged.db"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: own))
        for i in stride(from: 4096, to: min(bytes.count, 16384), by: 7) { bytes[i] ^= 0x5A }
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let broken = try Self.restore(daemon, damaged)
        #expect(broken.status == 1, "\(broken.output)")
        #expect(
            broken.output.contains("beschadigd") || broken.output.contains("geen back-up van koppelingd"),
            "\(broken.output)"
        )
        try unchanged("a damaged backup")

        let text = daemon.directory.path + "/notes.txt"
        try "not a database".write(toFile: text, atomically: false, encoding: .utf8)
        #expect(try Self.restore(daemon, text).output.contains("geen back-up van koppelingd"))
        try unchanged("a text file")

        // Something listens on the socket (the socket unit would start the
        // daemon at the first connection): refused.
        let listener = try Listener(path: daemon.socketPath)
        let listening = try Self.restore(daemon, own)
        #expect(listening.status == 1)
        #expect(listening.output.contains("luistert nog een socket"), "\(listening.output)")
        listener.close()
        try unchanged("a restore with a listener")
    }
}

/// A bare listening Unix socket, as systemd holds one for a socket unit.
final class Listener {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let address = try #require(UnixSocketAddress(path: path))
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        try #require(bound == 0 && listen(fd, 4) == 0)
    }

    func close() {
        Glibc.close(fd)
        unlink(path)
    }
}
