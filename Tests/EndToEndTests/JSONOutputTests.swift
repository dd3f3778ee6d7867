import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// With `--json`, koppelingctl's standard output is exactly one JSON value,
/// whatever happens: the result, or `{"error": {"code", "reason",
/// "message"}}` for a refusal by the daemon (exit 1, the JSON-RPC code), a
/// usage error (exit 2) or a daemon that cannot be reached (exit 3), the
/// last two with code null. Every subcommand of the command tree is run in
/// every outcome: a subcommand added later without a case here fails
/// `everySubcommandHasACase`.
@Suite("koppelingctl --json: stdout is one JSON value, whatever happens")
struct JSONOutputTests {
    // MARK: - The command tree

    /// Every runnable subcommand, as koppelingctl's own command tree (its
    /// `--experimental-dump-help`) lists it, without the built-in `help`,
    /// and whether it has an argument that must be given.
    static let tree: [(path: [String], needsArguments: Bool)] = {
        let dump = try! ManPageTests.dump(BuiltProducts.koppelingctl)
        var out: [(path: [String], needsArguments: Bool)] = []
        func walk(_ command: [String: Any], _ path: [String]) {
            let subcommands = command["subcommands"] as? [[String: Any]] ?? []
            if subcommands.isEmpty, !path.isEmpty {
                let arguments = command["arguments"] as? [[String: Any]] ?? []
                out.append((path, arguments.contains { $0["isOptional"] as? Bool == false }))
            }
            for sub in subcommands {
                guard let name = sub["commandName"] as? String, !(path.isEmpty && name == "help") else { continue }
                walk(sub, path + [name])
            }
        }
        walk(dump.command, [])
        return out
    }()

    static var leaves: [[String]] { tree.map(\.path) }

    /// Subcommands that never talk to the daemon: they cannot be refused or
    /// find it unreachable.
    static let local: Set<[String]> = [["verification-code", "generate"]]

    struct Step {
        let path: [String]
        var rest: [String] = []
        var stdin: String? = nil
        var arguments: [String] { path + rest }
    }

    /// Files the steps read, in a directory of their own.
    final class Files {
        let directory = TemporaryDirectory()

        /// A catalogue with one entry, `test-koppeling`, whose terms are at
        /// `version`.
        func catalog(version: String) throws -> String {
            let path = directory.path + "/catalogus-\(version).json"
            let text = #"""
                [{"id":"test-koppeling","category":"UWLR Leerlinggegevens","name":"Testkoppeling","description":"Een test.",
                  "supplier":"Test BV","price_cents":null,"terms_text":"Voorwaarden versie \#(version).","terms_version":"\#(version)",
                  "recommended_prerequisite":null,"carries_eckid_import":false,
                  "data_set":{"profile":"UWLR Leerlinggegevens – Smalle set","fields":[{"name":"leerling_key","description":"Sleutel"}]},
                  "purpose":"Testen.","processor_agreement":null}]
                """#
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            return path
        }
    }

    /// One successful run of every subcommand, in an order in which each
    /// succeeds on a fresh daemon.
    static func successfulSteps(_ files: Files) throws -> [Step] {
        let testCode = E2E.code(for: "21QW00", length: 30)
        let eckidCode = E2E.code(for: "21QW00", length: 32)
        let name = ["--name", "J. de Vries", "--agree"]
        let listed = [
            Step(path: ["status"]),
            Step(path: ["school", "add"], rest: ["21QW00", "OBS De Regenboog"]),
            Step(path: ["school", "import"], rest: ["-"], stdin: "21QW01,OBS Het Anker\n"),
            Step(path: ["school", "list"]),
            Step(path: ["school", "show"], rest: ["21QW00"]),
            Step(path: ["school", "remove"], rest: ["21QW01"]),
            Step(path: ["catalog", "list"]),
            Step(path: ["catalog", "show"], rest: ["topdossier"]),
            Step(path: ["catalog", "terms"], rest: ["topdossier"]),
            Step(path: ["catalog", "load"], rest: [try files.catalog(version: "1")]),
            Step(path: ["verification-code", "generate"], rest: ["--school", "21QW00"]),
            Step(
                path: ["activate"],
                rest: ["--school", "21QW00", "--koppeling", "test-koppeling"] + name + ["--code-stdin"],
                stdin: testCode + "\n"
            ),
            Step(path: ["catalog", "load"], rest: [try files.catalog(version: "2")]),
            Step(path: ["reaccept"], rest: ["--school", "21QW00", "--koppeling", "test-koppeling"] + name),
            Step(
                path: ["activate"],
                rest: ["--school", "21QW00", "--koppeling", "topdossier-eckid"] + name + ["--code-stdin"],
                stdin: eckidCode + "\n"
            ),
            Step(path: ["koppelingen"], rest: ["--school", "21QW00"]),
            Step(path: ["koppelingen"]),
            Step(path: ["eckid", "set-key"], rest: ["--school", "21QW00", "--key-stdin"], stdin: eckidCode + "\n"),
            Step(path: ["eckid", "status"]),
            Step(path: ["eckid", "disable"], rest: ["--school", "21QW00"]),
            Step(path: ["deactivate"], rest: ["--school", "21QW00", "--koppeling", "test-koppeling"]),
            Step(path: ["timer", "status"]),
            Step(path: ["timer", "run"]),
            Step(path: ["audit", "list"]),
            Step(path: ["audit", "verify"]),
            Step(
                path: ["register", "controller", "set"],
                rest: [
                    "--name", "Stichting De Regenboog", "--number", "41234", "--address", "Schoolstraat 1, Voorbeeld",
                    "--contact", "030 123 45 67", "--fg-name", "R. de Groot", "--fg-email", "fg@regenboog.nl",
                ]
            ),
            Step(path: ["register", "export"]),
            Step(path: ["register", "changes"], rest: ["--from", "2026-01-01", "--to", "2099-12-31"]),
            Step(path: ["backup"]),
        ]
        // A subcommand that needs no argument and has no step above runs
        // bare, after them: a new reading command needs no line here.
        let covered = Set(listed.map(\.path))
        return listed + tree.filter { !$0.needsArguments && !covered.contains($0.path) }.map { Step(path: $0.path) }
    }

    /// `--json` before the subcommand for some steps, after it for others:
    /// both are promised.
    static func withJSON(_ arguments: [String], _ index: Int) -> [String] {
        index.isMultiple(of: 2) ? ["--json"] + arguments : arguments + ["--json"]
    }

    // MARK: - Checking one run

    /// stdout as exactly one JSON value (JSONSerialization refuses trailing
    /// text, so two values or a line of prose fail).
    static func oneValue(_ r: Ctl.Result, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) -> Any? {
        let value = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8), options: [.fragmentsAllowed])
        #expect(value != nil, "\(what): stdout is not one JSON value\n\(r.transcript)", sourceLocation: sourceLocation)
        return value
    }

    /// The `error` object of a failure, checked for its three members.
    static func expectError(
        _ r: Ctl.Result,
        _ what: String,
        status: Int32,
        code: Int?,
        reason: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(r.status == status, "\(what): exit status\n\(r.transcript)", sourceLocation: sourceLocation)
        guard let value = oneValue(r, what, sourceLocation: sourceLocation) else { return }
        let top = value as? [String: Any]
        #expect(
            top?.keys.sorted() == ["error"],
            "\(what): only 'error' at the top\n\(r.transcript)",
            sourceLocation: sourceLocation
        )
        guard let error = top?["error"] as? [String: Any] else {
            Issue.record("\(what): no 'error' object\n\(r.transcript)", sourceLocation: sourceLocation)
            return
        }
        if let code {
            #expect(error["code"] as? Int == code, "\(what): code\n\(r.transcript)", sourceLocation: sourceLocation)
        } else {
            #expect(error["code"] is NSNull, "\(what): code null\n\(r.transcript)", sourceLocation: sourceLocation)
        }
        #expect(
            error["reason"] as? String == reason,
            "\(what): reason\n\(r.transcript)",
            sourceLocation: sourceLocation
        )
        let message = error["message"] as? String ?? ""
        #expect(!message.isEmpty, "\(what): message\n\(r.transcript)", sourceLocation: sourceLocation)
    }

    // MARK: - The outcomes

    @Test func everySubcommandHasACase() throws {
        #expect(Self.leaves.count > 20, "the command tree: \(Self.leaves)")
        let files = Files()
        let covered = Set(try Self.successfulSteps(files).map(\.path))
        for path in Self.leaves {
            #expect(covered.contains(path), "no successful --json run of 'koppelingctl \(path.joined(separator: " "))'")
        }
    }

    @Test("ok: the result as one JSON value, exit 0")
    func success() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let ctl = Ctl(socketPath: daemon.socketPath)
        let files = Files()
        for (i, step) in try Self.successfulSteps(files).enumerated() {
            let arguments = Self.withJSON(step.arguments, i)
            let what = "koppelingctl \(arguments.joined(separator: " "))"
            let r = try ctl.run(arguments, stdin: step.stdin)
            #expect(r.status == 0, "\(what)\n\(r.transcript)")
            guard let value = Self.oneValue(r, what) else { continue }
            #expect((value as? [String: Any])?["error"] == nil, "\(what)\n\(r.transcript)")
            if step.path == ["verification-code", "generate"] {
                let code = (value as? [String: Any])?["verification_code"] as? String ?? ""
                #expect(code.hasPrefix("21QW00") && code.count == 32, "\(what)\n\(r.transcript)")
            }
        }
    }

    @Test("refused by the daemon: its code, reason and message, exit 1")
    func refusedByAStandIn() throws {
        let stub = try StubDaemon(.refuse)
        let ctl = Ctl(socketPath: stub.socketPath)
        let files = Files()
        for (i, step) in try Self.successfulSteps(files).enumerated() where !Self.local.contains(step.path) {
            let arguments = Self.withJSON(step.arguments, i)
            let r = try ctl.run(arguments, stdin: step.stdin)
            Self.expectError(
                r,
                "koppelingctl \(arguments.joined(separator: " "))",
                status: 1,
                code: StubDaemon.refusalCode,
                reason: StubDaemon.refusalReason
            )
            #expect(r.stdout.contains(StubDaemon.refusalMessage), "\(r.transcript)")
        }
    }

    @Test("refused by the real daemon: a rule, with its violations kept")
    func refusedByTheDaemon() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let ctl = Ctl(socketPath: daemon.socketPath)
        var r = try ctl.run(["--json", "school", "show", "99ZZ99"])
        Self.expectError(r, "school show 99ZZ99", status: 1, code: -32002, reason: "school_not_found")
        try FlowTests.ctl(ctl, ["school", "add", "21QW00", "OBS De Regenboog"])
        r = try ctl.run(
            ["activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "J", "--agree", "--code-stdin"]
                + ["--json"],
            stdin: "21QW01-kort\n"
        )
        Self.expectError(r, "activate with a bad code", status: 1, code: -32001, reason: "verification_code_length")
        // The daemon's own error data stays, violations and all.
        let error = (Self.oneValue(r, "activate") as? [String: Any])?["error"] as? [String: Any]
        let violations = (error?["data"] as? [String: Any])?["violations"] as? [[String: Any]]
        #expect(violations?.count == 3, "\(r.transcript)")
    }

    @Test("usage error: reason usage, code null, exit 2")
    func usageErrors() throws {
        let ctl = Ctl(socketPath: "/nonexistent/k.sock")
        for (i, path) in Self.leaves.enumerated() {
            let arguments = Self.withJSON(path + ["--geen-optie"], i)
            let r = try ctl.run(arguments)
            Self.expectError(
                r,
                "koppelingctl \(arguments.joined(separator: " "))",
                status: 2,
                code: nil,
                reason: "usage"
            )
        }
        let others: [[String]] = [
            ["--json", "stauts"], ["--json", "catalog", "shwo", "x"], ["school", "add", "--json"],
            ["audit", "list", "--limit", "veel", "--json"], ["register", "export", "--format", "xml", "--json"],
            ["--json", "verification-code", "generate", "--school", "21QW00", "--length", "5"],
            ["--json", "verification-code", "generate", "--school", "XX"],
            ["--json", "activate", "--school", "21QW00", "--koppeling", "topdossier"],
            ["--json", "catalog", "load", "/nonexistent/catalogus.json"],
        ]
        for arguments in others {
            let r = try ctl.run(arguments)
            Self.expectError(
                r,
                "koppelingctl \(arguments.joined(separator: " "))",
                status: 2,
                code: nil,
                reason: "usage"
            )
        }
    }

    @Test("daemon unreachable: reason daemon_unreachable, code null, exit 3")
    func unreachable() throws {
        let ctl = Ctl(socketPath: "/nonexistent/k.sock")
        let files = Files()
        for (i, step) in try Self.successfulSteps(files).enumerated() where !Self.local.contains(step.path) {
            let arguments = Self.withJSON(step.arguments, i)
            let r = try ctl.run(arguments, stdin: step.stdin)
            Self.expectError(
                r,
                "koppelingctl \(arguments.joined(separator: " "))",
                status: 3,
                code: nil,
                reason: "daemon_unreachable"
            )
        }
    }

    @Test("no access to the socket: reason access_denied, exit 3")
    func accessDenied() throws {
        // A directory only root may enter: nobody's connect() fails with
        // EACCES, as for a socket of a group nobody is not in.
        let closed = TemporaryDirectory()
        chmod(closed.path, 0o700)
        let nobody = try ForeignCtl(socketPath: closed.path + "/k.sock").as(uid: 65534, gid: 65534)
        for arguments in [["--json", "status"], ["school", "add", "21QW00", "OBS", "--json"]] {
            let r = try nobody.run(arguments)
            Self.expectError(r, arguments.joined(separator: " "), status: 3, code: nil, reason: "access_denied")
        }
    }

    @Test("the daemon hangs up: reason connection_lost, exit 3")
    func connectionLost() throws {
        let stub = try StubDaemon(.hangUp)
        let r = try Ctl(socketPath: stub.socketPath).run(["--json", "status"])
        Self.expectError(r, "status", status: 3, code: nil, reason: "connection_lost")
    }
}

/// A stand-in for koppelingd on a Unix socket: answers every request line
/// with the same refusal, or closes each connection at once. Cheaper than a
/// real daemon, and it refuses every method alike.
final class StubDaemon: @unchecked Sendable {
    enum Behaviour { case refuse, hangUp }

    static let refusalCode = -32005
    static let refusalReason = "shutting_down"
    static let refusalMessage = "koppelingd stopt; probeer het zo opnieuw."

    let directory = TemporaryDirectory()
    var socketPath: String { directory.path + "/stub.sock" }
    private let listener: Int32

    init(_ behaviour: Behaviour) throws {
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = directory.path + "/stub.sock"
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        let fd = listener
        Thread.detachNewThread {
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                if behaviour == .refuse { Self.refuseEveryLine(connection) }
                close(connection)
            }
        }
    }

    deinit {
        // Wakes the accept() above, which then ends its thread.
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func refuseEveryLine(_ connection: Int32) {
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(pending[..<newline])
                pending.removeSubrange(...newline)
                let request = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any]
                let reply: [String: Any] = [
                    "jsonrpc": "2.0", "id": request?["id"] ?? NSNull(),
                    "error": [
                        "code": refusalCode, "message": refusalMessage,
                        "data": ["reason": refusalReason, "fields": [String]()],
                    ],
                ]
                var bytes = [UInt8]((try? JSONSerialization.data(withJSONObject: reply)) ?? Data())
                bytes.append(UInt8(ascii: "\n"))
                _ = bytes.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            let n = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return }
            pending.append(contentsOf: chunk[..<n])
        }
    }
}
