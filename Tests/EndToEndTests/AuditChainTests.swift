import Foundation
import Testing

/// `koppelingctl audit verify` against the built daemon: an intact trail,
/// then one changed in the database file while the daemon was down.
@Suite("The audit chain with koppelingctl")
struct AuditChainEndToEndTests {
    /// Changes the database with the sqlite3 shell, as someone with access
    /// to the file (but not to the secret) could.
    static func sqlite(_ path: String, _ sql: String) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [path, sql]
        try p.run()
        p.reap()
        return p.terminationStatus
    }

    @Test func verifyFindsARowChangedWhileTheDaemonWasDown() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "sqlite3 is not installed")
        let dir = TemporaryDirectory()
        var daemon = try DaemonProcess(directory: dir)
        var ctl = Ctl(socketPath: daemon.socketPath)
        for (brin6, name) in [("21QW00", "OBS De Regenboog"), ("21QW01", "CBS Het Kompas")] {
            #expect(try ctl.run(["school", "add", brin6, name]).status == 0)
        }
        // A refusal is a row of the chain too.
        #expect(try ctl.run(["school", "add", "21QW00", "Dubbel"]).status == 1)

        var r = try ctl.run(["audit", "verify"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout == "Audit-log intact: 3 regels gecontroleerd.\n")
        r = try ctl.run(["audit", "verify", "--json"])
        #expect(r.status == 0)
        #expect(r.json?["ok"] as? Bool == true && r.json?["rows"] as? Int == 3 && r.json?["first_broken_id"] is NSNull)
        // `audit` alone still lists, with its options, as before.
        r = try ctl.run(["audit", "--school", "21QW01"])
        #expect(r.status == 0 && r.stdout.contains("school toevoegen") && !r.stdout.contains("21QW00"), "\(r.stdout)")
        #expect(try ctl.run(["audit", "list", "--limit", "1"]).status == 0)
        #expect(daemon.stop() == 0)

        #expect(try Self.sqlite(daemon.databasePath, "UPDATE audit SET os_user = 'iemand' WHERE id = 2") == 0)
        daemon = try DaemonProcess(directory: dir)
        ctl = Ctl(socketPath: daemon.socketPath)
        r = try ctl.run(["audit", "verify"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.hasPrefix("Audit-log is gewijzigd: regel 2 klopt niet of ontbreekt"), "\(r.stdout)")
        r = try ctl.run(["--json", "audit", "verify"])
        #expect(r.status == 1)
        #expect(r.json?["ok"] as? Bool == false && r.json?["first_broken_id"] as? Int == 2, "\(r.stdout)")
        // This daemon has not checked the chain itself: it does after each
        // daily run, and the first daemon made today's.
        r = try ctl.run(["status", "--json"])
        #expect(r.json?["audit_chain"] is NSNull, "\(r.stdout)")
        #expect(daemon.stop() == 0)
    }
}
