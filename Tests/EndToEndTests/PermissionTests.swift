import CXattr
import Foundation
import KoppelingCore
import KoppelingProtocol
import Testing

/// Who may do what and how the state files are kept: `koppelingctl` run as other users through `setpriv`. Needs
/// root (CI runs as root), `setpriv`, `groupadd` and `useradd`.
@Suite(
    "Permissions and the state files",
    .serialized,
    .enabled(if: TemporaryAccounts.possible, "needs root, setpriv, groupadd and useradd"),
    .secretCanary
)
struct PermissionTests {
    static let nobody: uid_t = 65534
    static let nogroup: gid_t = 65534

    @Test(
        "a reader-group member reads everything, every change is refused with -32004 and audited; admin-group members may change; anyone else gets nothing"
    )
    func readersAndAdmins() throws {
        let accounts = try TemporaryAccounts()
        let daemon = try DaemonProcess(
            arguments: ["--admin-group", accounts.group, "--reader-group", accounts.readerGroup],
            environment: ["KOPPELINGD_LOG_LEVEL": "trace"]
        )
        // The daemon makes its socket 0660 root:<admin group>, with an ACL
        // entry for the reader group where the file system keeps one.
        #expect(E2E.mode(daemon.socketPath).map { $0 & 0o707 } == 0o600)
        var info = stat()
        #expect(
            stat(daemon.socketPath, &info) == 0 && info.st_gid == accounts.groupID,
            "the socket belongs to the admin group"
        )
        let files = try ForeignCtl(socketPath: daemon.socketPath)
        let outsider = files.as(uid: Self.nobody, gid: Self.nogroup)
        if Self.aclNames(daemon.socketPath, gid: accounts.readerGroupID) {
            let r = try files.as(uid: Self.nobody, gid: accounts.readerGroupID).run(["status"])
            #expect(r.status == 0, "the reader group connects through the socket's ACL\n\(r.transcript)")
            let kept = try outsider.run(["status"])
            #expect(kept.status == 3, "anyone else cannot open the socket\n\(kept.transcript)")
        }
        // Beyond the socket's mode the daemon decides by the credentials:
        // the test opens the socket up to show it.
        #expect(chmod(daemon.socketPath, 0o666) == 0)

        let root = Ctl(socketPath: daemon.socketPath)
        var outputs: [String] = []
        var secrets: [String] = []
        func asRoot(_ arguments: [String], stdin: String? = nil) throws {
            let r = try root.run(arguments, stdin: stdin)
            outputs += [r.stdout, r.stderr]
            #expect(r.status == 0, "root: koppelingctl \(arguments.joined(separator: " "))\n\(r.transcript)")
        }

        // The register as root makes it: two schools, both koppelingen, a pending import.
        try asRoot(["school", "add", "21QW00", "OBS De Regenboog"])
        try asRoot(["school", "add", "21QW01", "OBS Het Anker"])
        let eckidCode = E2E.code(for: "21QW00", length: 32)
        let standardCode = E2E.code(for: "21QW00", length: 24)
        secrets += [eckidCode, standardCode]
        try asRoot(
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan Jansen", "--agree",
                "--code-stdin",
            ],
            stdin: standardCode + "\n"
        )
        try asRoot(
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier-eckid", "--name", "Jan Jansen", "--agree",
                "--code-stdin",
            ],
            stdin: eckidCode + "\n"
        )
        try asRoot(["eckid", "set-key", "--school", "21QW00", "--key-stdin"], stdin: eckidCode + "\n")
        let backupsBefore = Self.backups(daemon)

        // Someone in neither group gets nothing, whatever the method.
        for arguments in [["--json", "status"], ["--json", "school", "list"], ["--json", "register", "export"]] {
            let r = try outsider.run(arguments)
            outputs += [r.stdout, r.stderr]
            let error = r.json?["error"] as? [String: Any]
            #expect(r.status == 1 && error?["reason"] as? String == "not_a_member", "\(r.transcript)")
            #expect(!r.stdout.contains("21QW00"), "\(r.transcript)")
        }
        let told = try outsider.run(["school", "list"])
        #expect(told.stderr.contains("usermod -aG \(accounts.readerGroup) nobody"), "\(told.transcript)")

        // nobody, in the reader group, reads: every reading command.
        let reader = files.as(uid: Self.nobody, gid: accounts.readerGroupID)
        for arguments in [
            ["status"], ["school", "list"], ["school", "show", "21QW00"], ["koppelingen", "--school", "21QW00"],
            ["catalog", "list"], ["catalog", "show", "topdossier-eckid"], ["eckid", "status"], ["timer", "status"],
            ["audit"], ["audit", "verify"], ["--json", "status"], ["school", "list", "--json"],
            ["register", "export", "--include-ended"], ["register", "controller", "show"],
            ["register", "changes", "--from", "2026-01-01", "--to", "2099-12-31"],
        ] {
            let r = try reader.run(arguments)
            outputs += [r.stdout, r.stderr]
            #expect(r.status == 0, "nobody: koppelingctl \(arguments.joined(separator: " "))\n\(r.transcript)")
        }
        let listed = try reader.run(["school", "list", "--json"])
        #expect(listed.stdout.contains("21QW00") && listed.stdout.contains("21QW01"), "\(listed.transcript)")

        // nobody tries every change.
        let csv = try files.write("schools.csv", "brin6,naam\n21QW05,OBS De Linde\n")
        let catalog = try files.write(
            "catalog.json",
            #"""
            [{"id":"test-koppeling","category":"UWLR Leerlinggegevens","name":"Testkoppeling","description":"Een test.",
              "supplier":"Test BV","price_cents":null,"terms_text":"Voorwaarden.","terms_version":"1",
              "recommended_prerequisite":null,"carries_eckid_import":false,
              "data_set":{"profile":"UWLR Leerlinggegevens – Smalle set","fields":[{"name":"leerling_key","description":"Sleutel"}]},
              "purpose":"Testen.","processor_agreement":null}]
            """#
        )
        let refusedCode = E2E.code(for: "21QW01", length: 27)
        let refusedKey = E2E.code(for: "21QW01", length: 45)
        secrets += [refusedCode, refusedKey]
        let changes: [(method: AnyMethod, arguments: [String], stdin: String?)] = [
            (Methods.schoolAdd.erased, ["school", "add", "21QW09", "OBS Niet Toegestaan"], nil),
            (Methods.schoolRemove.erased, ["school", "remove", "21QW01"], nil),
            (Methods.schoolImport.erased, ["school", "import", csv], nil),
            (Methods.catalogLoad.erased, ["catalog", "load", catalog], nil),
            (
                Methods.koppelingActivate.erased,
                [
                    "activate", "--school", "21QW01", "--koppeling", "topdossier", "--name", "Piet", "--agree",
                    "--code-stdin",
                ],
                refusedCode + "\n"
            ),
            (
                Methods.koppelingActivateMany.erased,
                [
                    "activate", "--koppeling", "topdossier", "--name", "Piet", "--agree", "--schools-file",
                    try files.write("board.csv", "brin6;code\n21QW01;\(refusedCode)\n"),
                ],
                nil
            ),
            (
                Methods.koppelingReaccept.erased,
                ["reaccept", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Piet", "--agree"], nil
            ),
            (
                Methods.koppelingDeactivate.erased,
                ["deactivate", "--school", "21QW00", "--koppeling", "topdossier", "--reason", "mag niet"], nil
            ),
            (Methods.eckidSetKey.erased, ["eckid", "set-key", "--school", "21QW01", "--key-stdin"], refusedKey + "\n"),
            (Methods.eckidDisable.erased, ["eckid", "disable", "--school", "21QW00"], nil),
            (Methods.timerRun.erased, ["timer", "run"], nil),
            (Methods.backupCreate.erased, ["backup"], nil),
            (
                Methods.registerSetController.erased,
                [
                    "register", "controller", "set", "--name", "X", "--number", "12345", "--address", "Y", "--contact",
                    "Z", "--fg-name", "Q", "--fg-email", "q@x.nl",
                ],
                nil
            ),
        ]
        // Every changing method is refused to a reader in MethodRegistryTests,
        // made from `Methods.all`; here each koppelingctl command that changes
        // passes the refusal on, as a real other user over the socket.
        #expect(changes.allSatisfy { $0.method.changesState }, "only changes are tried")
        for change in changes {
            let r = try reader.run(["--json"] + change.arguments, stdin: change.stdin)
            outputs += [r.stdout, r.stderr]
            #expect(r.status == 1, "nobody: \(change.method.name)\n\(r.transcript)")
            // With --json a refusal is `{"error": {code, reason, message, data}}` on stdout.
            let error = r.json?["error"] as? [String: Any]
            #expect(error?["code"] as? Int == -32004, "nobody: \(change.method.name)\n\(r.transcript)")
            #expect(error?["reason"] as? String == "permission_denied", "\(r.transcript)")
        }
        // Without --json: the Dutch refusal on stderr.
        let human = try reader.run(["school", "add", "21QW09", "OBS Niet Toegestaan"])
        outputs += [human.stdout, human.stderr]
        #expect(human.status == 1 && human.stderr.contains("[permission_denied]"), "\(human.transcript)")

        // Each refusal is in the audit, as nobody (65534).
        let audit = try root.run(["audit", "--json", "--limit", "1000"])
        outputs.append(audit.stdout)
        let entries = try #require(audit.json?["entries"] as? [[String: Any]], "\(audit.transcript)")
        for change in changes {
            let refusals = entries.filter {
                $0["method"] as? String == change.method.name && $0["outcome"] as? String == "refused"
                    && $0["user"] as? String == "nobody" && $0["uid"] as? Int == 65534
                    && ($0["reasons"] as? [String] ?? []).contains("permission_denied")
            }
            #expect(!refusals.isEmpty, "no audited refusal of \(change.method.name) for nobody")
        }
        #expect(entries.allSatisfy { $0["user"] as? String != "nobody" || $0["outcome"] as? String == "refused" })

        // Nothing changed.
        let schools = try root.run(["school", "list", "--json"])
        #expect(
            !schools.stdout.contains("21QW09") && !schools.stdout.contains("21QW05")
                && schools.stdout.contains("21QW01")
        )
        let catalogNow = try root.run(["catalog", "list", "--json"])
        #expect(!catalogNow.stdout.contains("test-koppeling"))
        let overview = try #require(try root.run(["koppelingen", "--school", "21QW00", "--json"]).json)
        #expect(E2E.activatedMarks(overview) == ["topdossier": true, "topdossier-eckid": true], "\(overview)")
        let eckid = try root.run(["eckid", "status", "--school", "21QW00", "--json"])
        #expect(eckid.stdout.contains("pending"), "\(eckid.transcript)")
        let timer = try #require(try root.run(["timer", "status", "--json"]).json)
        #expect(!"\(timer)".contains("manual"), "a refused timer.run left a run: \(timer)")
        #expect(Self.backups(daemon) == backupsBefore)

        // Members of the admin group may change: by primary group, by
        // supplementary group (from the group database), and any uid whose
        // gid is the admin group.
        let members: [(String, ForeignCtl.Runner, String)] = [
            (accounts.primaryMember, files.as(uid: accounts.primaryMemberID, gid: accounts.groupID), "21QW10"),
            (
                accounts.supplementaryMember,
                files.as(uid: accounts.supplementaryMemberID, gid: accounts.supplementaryMemberGroupID), "21QW11"
            ),
            ("nobody", files.as(uid: Self.nobody, gid: accounts.groupID), "21QW12"),
        ]
        for (name, runner, school) in members {
            let r = try runner.run(["school", "add", school, "OBS Beheerder"])
            outputs += [r.stdout, r.stderr]
            #expect(r.status == 0, "\(name) in the admin group:\n\(r.transcript)")
        }
        let admin = files.as(uid: accounts.primaryMemberID, gid: accounts.groupID)
        for arguments in [
            ["timer", "run"], ["backup"], ["eckid", "disable", "--school", "21QW00"],
            ["deactivate", "--school", "21QW00", "--koppeling", "topdossier"],
        ] {
            let r = try admin.run(arguments)
            outputs += [r.stdout, r.stderr]
            #expect(r.status == 0, "\(accounts.primaryMember): \(arguments.joined(separator: " "))\n\(r.transcript)")
        }
        let after = try root.run(["audit", "--json", "--limit", "1000"])
        let entriesAfter = try #require(after.json?["entries"] as? [[String: Any]])
        for (name, _, school) in members {
            #expect(
                entriesAfter.contains {
                    $0["method"] as? String == "school.add" && $0["school"] as? String == school
                        && $0["outcome"] as? String == "ok" && $0["user"] as? String == name
                },
                "\(name) adding \(school) is audited"
            )
        }

        // No code or key in the state files, the log or anything printed.
        #expect(daemon.stop() == 0)
        Self.expectNoSecrets(
            secrets,
            stateDirectory: daemon.stateDirectory,
            texts: outputs + [daemon.output, after.stdout]
        )
    }

    @Test("a user in neither group is told it is a matter of the groups, and how to join them")
    func nonMemberIsToldAboutTheGroup() throws {
        let accounts = try TemporaryAccounts()
        let daemon = try DaemonProcess(
            arguments: ["--admin-group", accounts.group, "--reader-group", accounts.readerGroup]
        )
        // The socket as the socket unit makes it: 0660, group koppelingbeheer.
        #expect(chown(daemon.socketPath, 0, accounts.groupID) == 0)
        #expect(chmod(daemon.socketPath, 0o660) == 0)
        #expect(chmod(daemon.directory.path, 0o755) == 0)
        let files = try ForeignCtl(socketPath: daemon.socketPath)
        let r = try files.as(uid: Self.nobody, gid: Self.nogroup).run(["status"])
        #expect(r.status == 3, "\(r.transcript)")
        // The reader group is named where the socket's ACL names it (a file
        // system that keeps ACLs).
        let readers = Self.aclNames(daemon.socketPath, gid: accounts.readerGroupID)
        #expect(
            r.stderr.contains(
                "alleen root en leden van de groep \(accounts.group) (beheren)"
                    + (readers ? " of \(accounts.readerGroup) (inzien)" : "") + " mogen koppelingd gebruiken"
            ),
            "\(r.transcript)"
        )
        #expect(r.stderr.contains("sudo usermod -aG \(accounts.group) nobody"), "\(r.transcript)")
        if readers {
            #expect(r.stderr.contains("sudo usermod -aG \(accounts.readerGroup) nobody (alleen inzien)"), "\(r.transcript)")
        }
        #expect(!r.stderr.contains("Draait koppelingd"), "the wrong cause: \(r.transcript)")
        #expect(daemon.stop() == 0)
    }

    @Test("database, WAL, shm and secret are 0600; a secret readable by others is a refusal to start")
    func stateFiles() throws {
        let directory = TemporaryDirectory()
        var daemon: DaemonProcess? = try DaemonProcess(directory: directory)
        let state = daemon!.stateDirectory
        let database = daemon!.databasePath
        let secret = state + "/koppelingd.secret"
        // A write, so the WAL has content.
        let reply = try daemon!.rawCall(
            #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Regenboog"}}"#
        )
        #expect(reply["result"] != nil, "\(reply)")
        for path in [database, database + "-wal", database + "-shm", secret] {
            #expect(E2E.mode(path) == 0o600, "\(path): \(E2E.mode(path).map { String($0, radix: 8) } ?? "missing")")
        }
        #expect(E2E.mode(state).map { $0 & 0o077 } == 0, "the state directory is open to others")
        #expect(daemon!.stop() == 0)
        daemon = nil
        let key = try Data(contentsOf: URL(fileURLWithPath: secret))

        for mode: mode_t in [0o644, 0o640, 0o604] {
            #expect(chmod(secret, mode) == 0)
            do {
                _ = try DaemonProcess(directory: directory)
                Issue.record("the daemon started with its secret at mode \(String(mode, radix: 8))")
            } catch DaemonProcess.DaemonError.exited(let status, let output) {
                #expect(status != 0)
                #expect(output.contains(secret) && output.contains("chmod 600"), "a clear message:\n\(output)")
            }
            // Refused, not repaired or replaced behind the administrator's back.
            #expect(E2E.mode(secret) == UInt32(mode))
            #expect(try Data(contentsOf: URL(fileURLWithPath: secret)) == key)
        }
        #expect(chmod(secret, 0o600) == 0)
        let again = try DaemonProcess(directory: directory)
        let get = try again.rawCall(#"{"jsonrpc":"2.0","id":2,"method":"school.get","params":{"brin6":"21QW00"}}"#)
        #expect(get["result"] != nil, "\(get)")
        #expect(again.stop() == 0)
    }

    // MARK: - Helpers

    /// Whether the socket's ACL has an entry for group `gid` (the file
    /// system keeps ACLs and the daemon added one).
    static func aclNames(_ path: String, gid: gid_t) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { getxattr(path, SocketACL.attribute, $0.baseAddress, $0.count) }
        return n > 0 && SocketACL.groupIDs(in: Array(buffer.prefix(n))).contains(gid)
    }

    static func backups(_ daemon: DaemonProcess) -> [String] {
        E2E.regularFiles(under: daemon.stateDirectory).filter { $0.contains("/backups/") }.sorted()
    }

    /// No secret (nor its part after the public BRIN6 prefix) in any file
    /// of the state directory or in `texts`.
    static func expectNoSecrets(_ secrets: [String], stateDirectory: String, texts: [String]) {
        let needles = secrets.flatMap { [$0, String($0.dropFirst(6))] }
        let files = E2E.regularFiles(under: stateDirectory)
        #expect(files.contains { $0.hasSuffix(".db") })
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                Issue.record("cannot read \(file)")
                continue
            }
            for needle in needles where data.containsText(needle) {
                Issue.record("a code is stored in plain text in \(file)")
            }
        }
        for (n, text) in texts.enumerated() {
            for needle in needles where text.contains(needle) {
                Issue.record("output \(n) contains a code: …\(needle.suffix(6))")
            }
        }
    }
}

/// A group for `--admin-group` and two members (one by primary group, one
/// by a supplementary group), removed again at deinit.
final class TemporaryAccounts {
    static let possible =
        getuid() == 0
        && ["/usr/bin/setpriv", "/usr/sbin/groupadd", "/usr/sbin/useradd", "/usr/sbin/userdel", "/usr/sbin/groupdel"]
            .allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

    let group: String
    /// The reader group (`--reader-group`): nobody is in it; a test runs as
    /// a uid whose gid is this one.
    let readerGroup: String
    let readerGroupID: gid_t
    let primaryMember: String
    let supplementaryMember: String
    let groupID: gid_t
    let primaryMemberID: uid_t
    let supplementaryMemberID: uid_t
    let supplementaryMemberGroupID: gid_t

    init() throws {
        let tag = String((0..<6).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement()! })
        group = "kt-beheer-" + tag
        readerGroup = "kt-inzage-" + tag
        primaryMember = "kt-a-" + tag
        supplementaryMember = "kt-b-" + tag
        try Self.run("/usr/sbin/groupadd", ["--system", group])
        try Self.run("/usr/sbin/groupadd", ["--system", readerGroup])
        try Self.run(
            "/usr/sbin/useradd",
            ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--gid", group, primaryMember]
        )
        try Self.run(
            "/usr/sbin/useradd",
            [
                "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group",
                "--groups", group, supplementaryMember,
            ]
        )
        guard let g = getgrnam(group)?.pointee.gr_gid, let r = getgrnam(readerGroup)?.pointee.gr_gid,
            let a = getpwnam(primaryMember)?.pointee,
            let b = getpwnam(supplementaryMember)?.pointee
        else { throw Failure("accounts not found after creating them") }
        groupID = g
        readerGroupID = r
        primaryMemberID = a.pw_uid
        supplementaryMemberID = b.pw_uid
        supplementaryMemberGroupID = b.pw_gid
    }

    deinit {
        try? Self.run("/usr/sbin/userdel", [primaryMember])
        try? Self.run("/usr/sbin/userdel", [supplementaryMember])
        try? Self.run("/usr/sbin/groupdel", [group])
        try? Self.run("/usr/sbin/groupdel", [readerGroup])
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.reap()
        guard p.terminationStatus == 0 else {
            throw Failure("\(tool) \(arguments.joined(separator: " ")): exit \(p.terminationStatus): \(message)")
        }
    }
}

/// `koppelingctl` for other users: a copy of the binary in a directory
/// anyone may enter (the build directory need not be), run through
/// `setpriv` with no supplementary groups. Input files go there too.
final class ForeignCtl {
    let directory = TemporaryDirectory()
    let binary: String
    let socketPath: String

    init(socketPath: String) throws {
        self.socketPath = socketPath
        binary = directory.path + "/koppelingctl"
        chmod(directory.path, 0o755)
        try FileManager.default.copyItem(atPath: BuiltProducts.koppelingctl.path, toPath: binary)
        chmod(binary, 0o755)
    }

    /// A file every user may read; returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let path = directory.path + "/" + name
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o644)
        return path
    }

    func `as`(uid: uid_t, gid: gid_t) -> Runner { Runner(ctl: self, uid: uid, gid: gid) }

    struct Runner {
        let ctl: ForeignCtl
        let uid: uid_t
        let gid: gid_t

        func run(_ arguments: [String], stdin: String? = nil) throws -> Ctl.Result {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--", ctl.binary] + arguments
            process.environment = [
                "KOPPELING_SOCKET": ctl.socketPath, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/",
            ]
            process.currentDirectoryURL = URL(fileURLWithPath: "/")
            let out = Pipe()
            let err = Pipe()
            let input = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = input
            try process.run()
            if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
            try input.fileHandleForWriting.close()
            let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
            let stderrData = err.fileHandleForReading.readDataToEndOfFile()
            process.reap()
            return Ctl.Result(
                status: process.terminationStatus,
                stdout: String(decoding: stdoutData, as: UTF8.self),
                stderr: String(decoding: stderrData, as: UTF8.self)
            )
        }
    }
}
