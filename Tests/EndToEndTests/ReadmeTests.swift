import Foundation
import KoppelingClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// README.md's walkthrough shows real koppelingctl sessions. These tests run
/// them against a fresh daemon and compare every line, so the README cannot
/// drift from the program (the sibling of `ProtocolDocTests`, which does the
/// same for docs/protocol.md).
///
/// **Marking a block.** A tested block is a fenced block with the info
/// string `console` on the line right after the HTML comment
/// `<!-- walkthrough -->`. GitHub hides the comment and highlights the block
/// as a console session; an extra word in the info string would depend on
/// each renderer. Every `console` block of the README must be marked: one
/// that is not would go untested.
///
/// **Inside a block.** A line starting with `$ ` is a command; every other
/// line is the expected output of the command before it: its standard output
/// and standard error together, as a terminal shows them. The blocks run in
/// order, each command through `/bin/sh -c` in one temporary working
/// directory (files the walkthrough writes land there), with the built
/// `koppelingctl` first on `PATH`, `KOPPELING_SOCKET` set to the daemon's
/// socket and standard input from /dev/null (no terminal, so no prompt).
/// Every command starts in a new shell, so state such as `umask` does not
/// carry to the next line; `$?` does: each shell starts with the previous
/// command's exit status, so `$ echo $?` prints what it prints in the
/// reader's shell. A command that exits non-zero must be followed by
/// `$ echo $?` in the README: a refusal is shown as one, with its status.
///
/// **Secrets.** After every command no file in the working directory may be
/// readable by group or others, and at the end no file may be left: a code
/// the walkthrough writes down goes into a file made with mode 0600 first,
/// and is deleted after use.
///
/// **What may differ** is listed in `Normaliser`: dates, instants and times
/// of day, uptimes, generated verification codes, the account running the
/// commands and the temporary paths. Nothing else: not a word, not a count,
/// not a reason code, not a SHA-256 of a terms text (those texts are fixed
/// per version).
@Suite("README.md's walkthrough matches koppelingctl", .secretCanary)
struct ReadmeTests {
    static let readmeURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // EndToEndTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("README.md")

    /// The scratch directory the README's output shows (one `mktemp -d`
    /// made); the test's own state directory stands for it.
    static let readmeStateDirectory = "/tmp/tmp.Xq3bV8sLk2"
    /// The account the README shows as *Gebruiker*, with its uid.
    static let readmeUser = "beheerder"
    static let readmeUID = "1000"

    struct Command {
        let line: Int
        let command: String
        var expected: [String]
    }

    struct Block {
        let line: Int
        var commands: [Command]
    }

    enum ReadmeError: Error, CustomStringConvertible {
        case malformed(line: Int, String)
        var description: String {
            switch self {
            case .malformed(let line, let why): "README.md:\(line): \(why)"
            }
        }
    }

    static let marker = "<!-- walkthrough -->"

    /// The marked blocks, top to bottom.
    static func parse(_ text: String) throws -> [Block] {
        let lines = text.components(separatedBy: "\n")
        var blocks: [Block] = []
        var i = 0
        while i < lines.count {
            let fence = lines[i].trimmingCharacters(in: .whitespaces)
            guard fence.hasPrefix("```") else {
                i += 1
                continue
            }
            let info = fence.dropFirst(3).trimmingCharacters(in: .whitespaces)
            let marked = i > 0 && lines[i - 1].trimmingCharacters(in: .whitespaces) == marker
            if marked, info != "console" {
                throw ReadmeError.malformed(line: i + 1, "\(marker) must be followed by a ```console block")
            }
            if info == "console", !marked {
                throw ReadmeError.malformed(line: i + 1, "a ```console block without \(marker) before it is not tested")
            }
            var block = Block(line: i + 1, commands: [])
            i += 1
            while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces) != "```" {
                if marked {
                    if lines[i].hasPrefix("$ ") {
                        block.commands.append(
                            Command(line: i + 1, command: String(lines[i].dropFirst(2)), expected: [])
                        )
                    } else if block.commands.isEmpty {
                        throw ReadmeError.malformed(line: i + 1, "output before the block's first '$ ' command")
                    } else {
                        block.commands[block.commands.count - 1].expected.append(lines[i])
                    }
                }
                i += 1
            }
            guard i < lines.count else { throw ReadmeError.malformed(line: block.line, "code block is not closed") }
            if marked {
                guard !block.commands.isEmpty else {
                    throw ReadmeError.malformed(line: block.line, "a walkthrough block without a command")
                }
                blocks.append(block)
            }
            i += 1
        }
        return blocks
    }

    // MARK: - The walkthrough

    @Test func walkthroughMatchesTheRealOutput() throws {
        let text = try String(contentsOf: Self.readmeURL, encoding: .utf8)
        let blocks = try Self.parse(text)
        try #require(!blocks.isEmpty, "README.md marks no walkthrough block")

        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        // The README's `status` shows the day's start-up run and the check
        // of the audit chain that follows it.
        Self.waitForStartUpChecks(try daemon.connect())
        let work = TemporaryDirectory()

        let normaliser = Normaliser(
            substitutions: [
                (daemon.stateDirectory, "<staat>"),
                (Self.readmeStateDirectory, "<staat>"),
                (work.path, "<werkmap>"),
                (daemon.directory.path, "<tmp>"),
            ],
            users: [Self.currentUser.name, Self.readmeUser]
        )
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = BuiltProducts.directory.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["KOPPELING_SOCKET"] = daemon.socketPath

        var status: Int32 = 0
        for block in blocks {
            for (n, command) in block.commands.enumerated() {
                let place = "README.md:\(command.line): $ \(command.command)"
                let result = try Self.shell(
                    command.command,
                    previousStatus: status,
                    directory: work.path,
                    environment: environment
                )
                status = result.status
                // The codes the walkthrough types, generates and writes down
                // are searched for in the daemon's state by the secret
                // canary; the shell's output itself may show a generated one.
                SecretCanary.current?.recordSent(command.command + "\n" + result.output)
                for file in E2E.regularFiles(under: work.path) {
                    if let data = FileManager.default.contents(atPath: file) { SecretCanary.current?.recordSent(data) }
                }
                let actual = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                let actualLines = actual.last == "" ? Array(actual.dropLast()) : actual
                let expected = command.expected.map(normaliser.normalise)
                let got = actualLines.map(normaliser.normalise)
                if expected != got {
                    Issue.record(
                        """
                        \(place)
                        differs from the README (after normalising both sides):
                        \(Self.diff(expected: expected, actual: got).joined(separator: "\n"))
                        real output (exit status \(result.status)):
                        \(actualLines.joined(separator: "\n"))
                        """
                    )
                }
                // A verification code the walkthrough writes down is for
                // its reader only, at every step.
                for file in E2E.regularFiles(under: work.path) {
                    let mode = E2E.mode(file) ?? 0
                    #expect(
                        mode & 0o077 == 0,
                        "\(place) leaves \(file.dropFirst(work.path.count + 1)) readable by others (mode \(String(mode, radix: 8)))"
                    )
                }
                if result.status != 0 {
                    let next = n + 1 < block.commands.count ? block.commands[n + 1].command : nil
                    #expect(
                        next?.trimmingCharacters(in: .whitespaces) == "echo $?",
                        "\(place) exits with status \(result.status): follow it with '$ echo $?' showing \(result.status)"
                    )
                }
            }
        }
        // Files holding codes are deleted after use.
        let left = E2E.regularFiles(under: work.path).map { String($0.dropFirst(work.path.count + 1)) }
        #expect(left.isEmpty, "the walkthrough leaves files behind in its working directory: \(left)")
        #expect(daemon.stop() == 0)
    }

    /// The set-up that makes a clone run must stay in the README.
    @Test func gettingStartedCommandsStay() throws {
        let text = try String(contentsOf: Self.readmeURL, encoding: .utf8)
        for command in ["swift run koppelingd", "swift test"] {
            #expect(text.contains("```sh\n\(command)\n```"), "README.md lost the block '\(command)'")
        }
    }

    /// The walkthrough's daemon gets a new, empty directory every time: a
    /// fixed one would hold the first pass's school and activations, and a
    /// second pass would be refused (`school_exists`, `already_active`).
    @Test func walkthroughStartsInAFreshDirectory() throws {
        let text = try String(contentsOf: Self.readmeURL, encoding: .utf8)
        #expect(text.contains("demo=$(mktemp -d)\n"), "README.md's set-up makes no fresh directory")
        #expect(
            text.contains(#"koppelingd --database "$demo/koppelingd.db" --socket "$demo/koppelingd.sock" &"#),
            "README.md's daemon does not use the fresh directory"
        )
        #expect(text.contains(#"export KOPPELING_SOCKET="$demo/koppelingd.sock""#))
        #expect(!text.contains("/tmp/koppelingd-demo"), "a fixed scratch directory is back in README.md")
    }

    /// What the README says of a second daemon on the same register (the
    /// defaults twice): it refuses with 78, and the README says 78.
    @Test func secondDaemonExitStatusIsTheOneTheReadmeGives() throws {
        let text = try String(contentsOf: Self.readmeURL, encoding: .utf8)
        #expect(
            text.contains(
                "78 (`EX_CONFIG`) when it refuses to start on what it finds — another daemon\nalready serves the same register"
            ),
            "README.md no longer gives 78 for a second daemon"
        )
        let first = try DaemonProcess()
        defer { first.stop() }
        let second = Process()
        second.executableURL = BuiltProducts.koppelingd
        second.arguments = ["--database", first.databasePath, "--socket", first.socketPath]
        second.standardError = FileHandle.nullDevice
        second.standardOutput = FileHandle.nullDevice
        try second.run()
        second.reap()
        #expect(second.terminationStatus == 78)
    }

    /// The first build's duration, which a newcomer waits through.
    @Test func firstBuildTimeIsSaid() throws {
        let text = try String(contentsOf: Self.readmeURL, encoding: .utf8)
        #expect(text.contains("about 2–5 minutes on a machine with 2 cores"))
    }

    /// The daemon makes the day's run at start-up, then checks the audit
    /// chain in the background; `status` shows both once they are done.
    static func waitForStartUpChecks(_ connection: KoppelingConnection) {
        ProtocolDocTests.waitForStartUpRun(connection)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let data = try? connection.exchange(Data(#"{"jsonrpc":"2.0","id":0,"method":"status"}"#.utf8)),
                let reply = E2E.object(data),
                (reply["result"] as? [String: Any])?["audit_chain"] is [String: Any]
            {
                return
            }
            usleep(20_000)
        }
    }

    // MARK: - Running a line

    struct ShellResult {
        let status: Int32
        let output: String
    }

    /// Runs one README line in `/bin/sh -c`, stdout and stderr in one pipe
    /// (koppelingctl writes both unbuffered, so their order is the
    /// terminal's), `$?` preset to the previous line's status.
    static func shell(
        _ command: String,
        previousStatus: Int32,
        directory: String,
        environment: [String: String],
        timeout: TimeInterval = 60
    ) throws -> ShellResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "(exit \(previousStatus)); " + command]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let collected = OutputCollector()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            collected.append(output.fileHandleForReading.readDataToEndOfFile())
            done.signal()
        }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            Issue.record("'\(command)' did not finish within \(Int(timeout)) s")
            _ = done.wait(timeout: .now() + 5)
        }
        process.reap()
        return ShellResult(status: process.terminationStatus, output: collected.text)
    }

    static var currentUser: (name: String, uid: String) {
        let uid = getuid()
        guard let pw = getpwuid(uid), let name = pw.pointee.pw_name else { return ("\(uid)", "\(uid)") }
        return (String(cString: name), "\(uid)")
    }

    /// The lines that differ, README first (`-`), then the real one (`+`).
    static func diff(expected: [String], actual: [String]) -> [String] {
        var out: [String] = []
        for i in 0..<max(expected.count, actual.count) {
            let e = i < expected.count ? expected[i] : nil
            let a = i < actual.count ? actual[i] : nil
            if e != a {
                if let e { out.append("  - \(e)") }
                if let a { out.append("  + \(a)") }
            }
        }
        return out
    }

    // MARK: - The normaliser

    /// Makes a README line and a real line comparable: what differs between
    /// runs and machines becomes a placeholder, the same on both sides, and
    /// nothing else changes.
    struct Normaliser {
        /// Literal paths and their placeholders, longest first: the test's
        /// temporary directories and the README's scratch directory.
        let substitutions: [(String, String)]
        /// Account names shown as *Gebruiker*: whoever runs the test and
        /// the README's `beheerder`.
        let users: [String]

        init(substitutions: [(String, String)], users: [String]) {
            self.substitutions = substitutions.filter { !$0.0.isEmpty }.sorted { $0.0.count > $1.0.count }
            self.users = Array(Set(users.filter { !$0.isEmpty }))
        }

        static func regex(_ pattern: String) -> NSRegularExpression {
            try! NSRegularExpression(pattern: pattern)
        }

        /// In order: an instant before the date and time inside it.
        static let patterns: [(NSRegularExpression, String)] = [
            // RFC 3339 instants, e.g. 2026-11-29T06:02:04Z.
            (regex(#"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"#), "<tijdstip>"),
            // Dates, e.g. 2026-11-30.
            (regex(#"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])"#), "<datum>"),
            // Times of day, e.g. 00:05 or 09:22:10.
            (regex(#"(?<![\d:])\d{2}:\d{2}(:\d{2})?(?![\d:])"#), "<tijd>"),
            // An uptime, e.g. (3 s).
            (regex(#"\(\d+ s\)"#), "(<duur>)"),
            // A generated verification code: a BRIN6 and 14 to 44 letters
            // and digits, as one word. The BRIN6 stays. A masked code
            // (`21QW00… (32 tekens)`) is not one word and stays as it is.
            (regex(#"(?<![A-Za-z0-9])(\d{2}[A-Z]{2}\d{2})[A-Za-z0-9]{14,44}(?![A-Za-z0-9])"#), "$1<code>"),
        ]

        static let spaces = regex(" {2,}")
        static let rules = regex("─+")

        func normalise(_ line: String) -> String {
            var s = line
            for (literal, placeholder) in substitutions {
                s = s.replacingOccurrences(of: literal, with: placeholder)
            }
            for (pattern, template) in Self.patterns {
                s = Self.replace(pattern, in: s, with: template)
            }
            for user in users {
                // A whole name only: `root` but not `/root` or `rootkit`.
                let name = NSRegularExpression.escapedPattern(for: user)
                s = Self.replace(
                    Self.regex("(?<![A-Za-z0-9_./-])\(name)(?![A-Za-z0-9_./-])"),
                    in: s,
                    with: "<gebruiker>"
                )
            }
            // The audit shows `user (uid)`.
            s = Self.replace(Self.regex(#"<gebruiker> \(\d+\)"#), in: s, with: "<gebruiker> (<uid>)")
            // Tables are aligned to their widest cell, and the masked values
            // (a user name above all) differ in width between the README and
            // the real run; masks of a fixed width cannot help, since the
            // real values' widths differ too. So a run of spaces counts as
            // one space and a rule `──────` as one `─`, on both sides: every
            // word, every cell and the number of columns under a rule are
            // still compared, their alignment is not.
            s = Self.replace(Self.spaces, in: s, with: " ")
            s = Self.replace(Self.rules, in: s, with: "─")
            while s.last == " " { s.removeLast() }
            return s
        }

        static func replace(_ pattern: NSRegularExpression, in s: String, with template: String) -> String {
            pattern.stringByReplacingMatches(
                in: s,
                range: NSRange(s.startIndex..., in: s),
                withTemplate: template
            )
        }
    }

    // MARK: - The normaliser's own tests

    static let testNormaliser = Normaliser(
        substitutions: [("/tmp/kt-1A2B3C4D/state", "<staat>"), ("/tmp/koppelingd-demo", "<staat>")],
        users: ["root", "beheerder"]
    )

    static func same(_ a: String, _ b: String) -> Bool {
        testNormaliser.normalise(a) == testNormaliser.normalise(b)
    }

    @Test func normaliserMasksWhatVaries() {
        #expect(
            Self.same(
                "Actief sinds:         2026-11-29T06:02:04Z (1 s)",
                "Actief sinds:         2027-01-03T17:45:59.123+01:00 (3605 s)"
            )
        )
        #expect(
            Self.same(
                "Volgende run:         2026-11-30 00:05 (Europe/Amsterdam) = 2026-11-29T23:05:00Z",
                "Volgende run:         2027-04-01 03:30 (Europe/Amsterdam) = 2027-04-01T01:30:00Z"
            )
        )
        #expect(Self.same("21QW00koywqcKQe3YC5BbfjW3B7NqssX", "21QW00ABCDEFGHJKLMNPQRSTUVWXYZ"))
        #expect(Self.same("21QW00" + String(repeating: "a", count: 14), "21QW00" + String(repeating: "b", count: 44)))
        #expect(
            Self.same(
                "Database:             /tmp/koppelingd-demo/koppelingd.db (schemaversie 7)",
                "Database:             /tmp/kt-1A2B3C4D/state/koppelingd.db (schemaversie 7)"
            )
        )
        #expect(Self.same("Gebruiker:       beheerder", "Gebruiker:       root"))
        #expect(
            Self.same(
                "2026-11-29T06:02:06Z  beheerder (1000)  school.add  21QW00  —  gelukt",
                "2026-12-01T10:00:00Z  root (0)          school.add  21QW00  —  gelukt"
            )
        )
        #expect(
            Self.same(
                "Naam  Gebruiker\n────  ─────────",
                "Naam  Gebruiker\n────  ──────────────"
            )
        )
        #expect(Self.same("\"key_set_by\" : \"beheerder\",", "\"key_set_by\" : \"root\","))
    }

    @Test func normaliserMasksNothingElse() {
        // A changed word, count, reason code or outcome still differs.
        #expect(!Self.same("Scholen:              0", "Scholen:              1"))
        #expect(!Self.same("Catalogus:            2 koppelingen", "Catalogus:            3 koppelingen"))
        #expect(!Self.same("School 21QW00 is geregistreerd.", "School 21QW00 is toegevoegd."))
        #expect(!Self.same("… gelukt", "… geweigerd"))
        #expect(!Self.same("[verification_code_length]", "[verification_code_prefix]"))
        #expect(!Self.same("Verificatiecode: 21QW00… (32 tekens)", "Verificatiecode: 21QW00… (28 tekens)"))
        #expect(!Self.same("(schemaversie 6)", "(schemaversie 7)"))
        #expect(!Self.same("actief vanaf 2026-11-30.", "actief vanaf 2026-11-30"))
        // A code keeps its BRIN6, and too short a tail is no generated code.
        #expect(!Self.same("21QW00koywqcKQe3YC5BbfjW3B7NqssX", "21QW01koywqcKQe3YC5BbfjW3B7NqssX"))
        #expect(!Self.same("21QW00abcdefghijklm", "21QW00abcdefghijkln"))
        // A SHA-256 of a terms text is compared, digit for digit.
        let sha = String(repeating: "0123456789abcdef", count: 4)
        #expect(!Self.same("SHA-256 \(sha)", "SHA-256 \(sha.dropLast())e"))
        // Another account, or an account inside a word or path, is not masked.
        #expect(!Self.same("Gebruiker: beheerder", "Gebruiker: piet"))
        #expect(!Self.same("/root/x", "/beheerder/x"))
        // A number in parentheses is a uid only after a user name.
        #expect(!Self.same("Scholen (1)", "Scholen (2)"))
        // A column more or less under a rule still differs.
        #expect(!Self.same("────  ────", "────  ────  ────"))
        // Other paths are compared.
        #expect(!Self.same("/tmp/koppelingd-demo/koppelingd.db", "/tmp/elders/koppelingd.db"))
        // A line more or less is a difference: lines are compared one by one.
        #expect(Self.diff(expected: ["a", "b"], actual: ["a"]) == ["  - b"])
    }

    @Test func parserReadsMarkedBlocks() throws {
        let text = """
            Intro.

            <!-- walkthrough -->
            ```console
            $ koppelingctl school list
            BRIN6  Naam
            $ echo x | koppelingctl activate --code-stdin
            Koppeling: y
            $ echo $?
            1
            ```

            ```sh
            swift test
            ```
            """
        let blocks = try Self.parse(text)
        #expect(blocks.count == 1)
        #expect(
            blocks.first?.commands.map(\.command) == [
                "koppelingctl school list", "echo x | koppelingctl activate --code-stdin", "echo $?",
            ]
        )
        #expect(blocks.first?.commands.map(\.expected) == [["BRIN6  Naam"], ["Koppeling: y"], ["1"]])
        #expect(blocks.first?.commands.first?.line == 5)

        #expect(throws: ReadmeError.self) { try Self.parse("```console\n$ koppelingctl status\n```\n") }
        #expect(throws: ReadmeError.self) { try Self.parse("<!-- walkthrough -->\n```console\nuitvoer\n```\n") }
        #expect(throws: ReadmeError.self) { try Self.parse("<!-- walkthrough -->\n```sh\nls\n```\n") }
    }
}
