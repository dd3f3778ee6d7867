import Foundation
import Testing

/// The LAS vendor's activation flow with the built `koppelingctl` against the
/// built `koppelingd`: steps 1–4 (schools, catalogue, activation) and
/// steps 5–6 (ECKiD key, timer), a restart, and the CLI's exit codes.
@Suite("The activation flow with koppelingctl", .secretCanary)
struct FlowTests {
    static let school = "21QW00"

    /// Runs `koppelingctl` and expects `status`.
    @discardableResult
    static func ctl(
        _ ctl: Ctl,
        _ arguments: [String],
        stdin: String? = nil,
        expect status: Int32 = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Ctl.Result {
        let r = try ctl.run(arguments, stdin: stdin)
        #expect(
            r.status == status,
            "koppelingctl \(arguments.joined(separator: " ")):\n\(r.transcript)",
            sourceLocation: sourceLocation
        )
        return r
    }

    static func overview(_ ctl: Ctl) throws -> [String: Any] {
        let r = try Self.ctl(ctl, ["koppelingen", "--json", "--school", school])
        return try #require(r.json, "not JSON: \(r.stdout)")
    }

    @Test("steps 1–4: school, catalogue, terms, activation, refusals, deactivation, audit")
    func activationFlow() throws {
        let daemon = try DaemonProcess()
        let ctl = Ctl(socketPath: daemon.socketPath)

        // Step 1: register the school; input is trimmed and upper-cased.
        var r = try Self.ctl(ctl, ["school", "add", "21qw00", "OBS De Regenboog"])
        #expect(r.stdout.contains("21QW00"))
        r = try Self.ctl(ctl, ["school", "list"])
        #expect(r.stdout.contains("21QW00"))
        #expect(r.stdout.contains("OBS De Regenboog"))
        #expect(!r.stdout.contains("21qw00"))

        // Step 2: both catalogue entries under "UWLR Leerlinggegevens", none activated.
        r = try Self.ctl(ctl, ["koppelingen", "--school", "21QW00"])
        let lines = r.stdout.components(separatedBy: "\n")
        let categoryLine = try #require(
            lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "UWLR Leerlinggegevens" },
            "no category heading:\n\(r.stdout)"
        )
        let activatedHeading = try #require(
            lines.firstIndex { $0.hasPrefix("Geactiveerde koppelingen") },
            "\(r.stdout)"
        )
        #expect(categoryLine < activatedHeading)
        let inCategory = lines[categoryLine..<activatedHeading].joined(separator: "\n")
        #expect(inCategory.contains("topdossier-eckid"))
        #expect(inCategory.contains("TOP Dossier – ECKiD"))
        #expect(inCategory.range(of: #"\btopdossier\b(?!-)"#, options: .regularExpression) != nil, "\(inCategory)")
        #expect(!inCategory.contains("✓"))
        #expect(lines[activatedHeading...].joined(separator: "\n").contains("(geen)"))
        var marks = E2E.activatedMarks(try Self.overview(ctl))
        #expect(marks == ["topdossier": false, "topdossier-eckid": false])

        // Step 3: the terms of use.
        let entry = try #require(
            E2E.object(
                try daemon.connect().exchange(
                    Data(
                        #"{"jsonrpc":"2.0","id":1,"method":"catalog.get","params":{"id":"topdossier-eckid"}}"#.utf8
                    )
                )
            )
        )
        let terms = try #require(((entry["result"] as? [String: Any])?["terms"] as? [String: Any])?["text"] as? String)
        #expect(terms.count > 50)
        r = try Self.ctl(ctl, ["catalog", "terms", "topdossier-eckid"])
        #expect(r.stdout.contains("Gebruikersvoorwaarden"))
        #expect(r.stdout.contains(terms))

        // Steps 3–4: activate with a valid code from standard input.
        let code = E2E.code(for: Self.school, length: 24)
        r = try Self.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier-eckid", "--name", "Jan Jansen",
                "--agree", "--code-stdin",
            ],
            stdin: code + "\n"
        )
        #expect(r.stdout.contains("21QW00… (24 tekens)"), "\(r.transcript)")
        #expect(!r.stdout.contains(code) && !r.stderr.contains(code))
        // The standard TOP dossier koppeling is recommended first (advice only).
        #expect(r.stderr.contains("TOP dossier"), "\(r.transcript)")

        // Listed as activated at once, with the caller's OS account as Gebruiker.
        let overview = try Self.overview(ctl)
        marks = E2E.activatedMarks(overview)
        #expect(marks == ["topdossier": false, "topdossier-eckid": true])
        let activated = try #require(overview["activated"] as? [[String: Any]])
        #expect(activated.count == 1)
        #expect(activated.first?["koppeling"] as? String == "topdossier-eckid")
        #expect(activated.first?["accepted_by_name"] as? String == "Jan Jansen")
        #expect(activated.first?["uid"] as? Int == Int(getuid()))
        #expect(activated.first?["verification_code"] as? String == "21QW00… (24 tekens)")
        r = try Self.ctl(ctl, ["koppelingen", "--school", "21QW00"])
        #expect(r.stdout.contains("✓"))

        // --json before and after the subcommand gives the same result.
        let before = try Self.ctl(ctl, ["--json", "koppelingen", "--school", "21QW00"])
        let after = try Self.ctl(ctl, ["koppelingen", "--school", "21QW00", "--json"])
        #expect(before.json != nil)
        #expect(before.stdout == after.stdout)
        #expect(E2E.activatedMarks(before.json ?? [:]) == ["topdossier": false, "topdossier-eckid": true])
        let statusBefore = try Self.ctl(ctl, ["--json", "status"])
        let statusAfter = try Self.ctl(ctl, ["status", "--json"])
        #expect(statusBefore.json?["daemon"] as? String == "koppelingd")
        #expect(statusAfter.json?["daemon"] as? String == "koppelingd")

        // Without a terminal a missing --agree is a usage error naming the
        // flag, before anything is asked or sent.
        r = try Self.ctl(
            ctl,
            ["activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan", "--code-stdin"],
            stdin: "21QW00abc\n",
            expect: 2
        )
        #expect(r.stderr.contains("--agree"), "\(r.transcript)")
        // A bad activation: every failing rule, each with its reason code.
        r = try Self.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "", "--agree",
                "--code-stdin",
            ],
            stdin: "21QW00abc\n",
            expect: 1
        )
        for reason in ["verification_code_length", "name_required"] {
            #expect(r.stderr.contains(reason), "\(reason) missing:\n\(r.transcript)")
        }
        // And through the socket, where a script may leave out the tick.
        let unticked = try daemon.rawCall(
            #"{"jsonrpc":"2.0","id":1,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"topdossier","name":"Jan","agree":false,"terms_version":"2024.1","verification_code":"21QW00abc"}}"#
        )
        #expect(
            Set(E2E.violationReasons(unticked)) == ["agreement_required", "verification_code_length"],
            "\(unticked)"
        )
        r = try Self.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan Jansen",
                "--agree", "--code-stdin",
            ],
            stdin: "21QW01 met spaties!\n",
            expect: 1
        )
        for reason in ["verification_code_length", "verification_code_characters", "verification_code_prefix"] {
            #expect(r.stderr.contains(reason), "\(reason) missing:\n\(r.transcript)")
        }

        // The same code again, for another koppeling: used before.
        r = try Self.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan Jansen",
                "--agree", "--code-stdin",
            ],
            stdin: code + "\n",
            expect: 1
        )
        #expect(r.stderr.contains("verification_code_reused"), "\(r.transcript)")
        // Active at most once per school.
        r = try Self.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier-eckid", "--name", "Jan Jansen",
                "--agree", "--code-stdin",
            ],
            stdin: E2E.code(for: Self.school) + "\n",
            expect: 1
        )
        #expect(r.stderr.contains("already_active"), "\(r.transcript)")

        // A school with an active koppeling cannot be removed.
        r = try Self.ctl(ctl, ["school", "remove", "21QW00"], expect: 1)
        #expect(r.stderr.contains("school_has_active_koppelingen"), "\(r.transcript)")

        // Deactivate, then activate again: the old code stays used, a new one works.
        try Self.ctl(ctl, ["deactivate", "--school", "21QW00", "--koppeling", "topdossier-eckid", "--reason", "proef"])
        #expect(E2E.activatedMarks(try Self.overview(ctl)) == ["topdossier": false, "topdossier-eckid": false])
        r = try Self.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier-eckid", "--name", "Jan Jansen",
                "--agree", "--code-stdin",
            ],
            stdin: code + "\n",
            expect: 1
        )
        #expect(r.stderr.contains("verification_code_reused"), "\(r.transcript)")
        let secondCode = E2E.code(for: Self.school, length: 50)
        r = try Self.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier-eckid", "--name", "Piet Pietersen",
                "--agree", "--code-stdin",
            ],
            stdin: secondCode + "\n"
        )
        #expect(r.stdout.contains("21QW00… (50 tekens)"), "\(r.transcript)")
        #expect(E2E.activatedMarks(try Self.overview(ctl)) == ["topdossier": false, "topdossier-eckid": true])

        // A generated code is accepted as it is printed.
        r = try Self.ctl(ctl, ["verification-code", "generate", "--school", "21QW00"])
        let generated = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(
            generated.range(of: "^21QW00[A-Za-z0-9]{14,44}$", options: .regularExpression) != nil,
            "\(r.transcript)"
        )
        r = try Self.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan Jansen",
                "--agree", "--code-stdin",
            ],
            stdin: generated + "\n"
        )
        #expect(E2E.activatedMarks(try Self.overview(ctl)) == ["topdossier": true, "topdossier-eckid": true])
        // With the standard koppeling active, the ECKiD one carries no warning.
        try Self.ctl(ctl, ["deactivate", "--school", "21QW00", "--koppeling", "topdossier-eckid"])
        r = try Self.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier-eckid", "--name", "Jan Jansen",
                "--agree", "--code-stdin",
            ],
            stdin: E2E.code(for: "21qw00") + "\n"
        )
        #expect(r.stderr.isEmpty, "\(r.transcript)")

        // The audit lists the refusals with their reason codes.
        r = try Self.ctl(ctl, ["audit", "--school", "21QW00"])
        #expect(r.stdout.contains("geweigerd"), "\(r.transcript)")
        // In Dutch words; --json keeps the codes.
        for reason in [
            "geen akkoord", "verificatiecode al gebruikt", "al geactiveerd", "school heeft actieve koppelingen",
        ] {
            #expect(r.stdout.contains(reason), "\(reason) not in the audit:\n\(r.stdout)")
        }
        for label in ["koppeling activeren", "school verwijderen"] {
            #expect(r.stdout.contains(label), "\(label) not in the audit:\n\(r.stdout)")
        }
        #expect(!r.stdout.contains("koppeling.activate") && !r.stdout.contains("agreement_required"), "\(r.stdout)")
        let audit = try Self.ctl(ctl, ["audit", "--json"])
        let entries = try #require(audit.json?["entries"] as? [[String: Any]])
        let refused = entries.filter { $0["outcome"] as? String == "refused" }
        #expect(refused.count >= 6)
        #expect(refused.contains { ($0["reasons"] as? [String])?.contains("verification_code_reused") == true })
        #expect(entries.allSatisfy { $0["uid"] as? Int == Int(getuid()) })

        #expect(daemon.stop() == 0)
    }

    @Test("school import from CSV is all or nothing")
    func schoolImport() throws {
        let daemon = try DaemonProcess()
        let ctl = Ctl(socketPath: daemon.socketPath)
        let good = daemon.directory.path + "/good.csv"
        try "brin6,naam\n21qw01,OBS De Regenboog (dependance)\n\"22AB00\",\"Het Kompas, locatie Noord\"\n"
            .write(toFile: good, atomically: true, encoding: .utf8)
        var r = try Self.ctl(ctl, ["school", "import", good])
        #expect(r.stdout.contains("2"), "\(r.transcript)")
        r = try Self.ctl(ctl, ["school", "list", "--json"])
        let brins = (r.json?["schools"] as? [[String: Any]] ?? []).compactMap { $0["brin6"] as? String }
        #expect(Set(brins) == ["21QW01", "22AB00"])
        #expect(r.stdout.contains("Het Kompas, locatie Noord"))

        // One bad row: nothing is imported, and every bad row is reported.
        let bad = daemon.directory.path + "/bad.csv"
        try "23CD00,Goede school\n2XX00,Foute BRIN\n24EF00,\n".write(toFile: bad, atomically: true, encoding: .utf8)
        r = try Self.ctl(ctl, ["school", "import", bad], expect: 1)
        #expect(r.stderr.contains("brin6_format"), "\(r.transcript)")
        #expect(r.stderr.contains("school_name_required"), "\(r.transcript)")
        // A row clashing with a school already registered rolls back the rest too.
        let clash = daemon.directory.path + "/clash.csv"
        try "25GH00,Nieuwe school\n21QW01,Bestaat al\n".write(toFile: clash, atomically: true, encoding: .utf8)
        r = try Self.ctl(ctl, ["school", "import", clash], expect: 1)
        r = try Self.ctl(ctl, ["school", "list", "--json"])
        let after = (r.json?["schools"] as? [[String: Any]] ?? []).compactMap { $0["brin6"] as? String }
        #expect(Set(after) == ["21QW01", "22AB00"])
        #expect(daemon.stop() == 0)
    }

    @Test("steps 5–6: ECKiD key pending until tomorrow, timer, restart keeps the state")
    func eckidAndRestart() throws {
        let directory = TemporaryDirectory()
        var daemon: DaemonProcess? = try DaemonProcess(directory: directory)
        var ctl = Ctl(socketPath: daemon!.socketPath)
        let tomorrow = E2E.tomorrow(in: "Europe/Amsterdam")

        try Self.ctl(ctl, ["school", "add", "21QW00", "OBS De Regenboog"])
        let code = E2E.code(for: Self.school, length: 30)
        try Self.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier-eckid", "--name", "Jan Jansen",
                "--agree", "--code-stdin",
            ],
            stdin: code + "\n"
        )

        // A key that is not the verification code is refused.
        var r = try Self.ctl(
            ctl,
            ["eckid", "set-key", "--school", "21QW00", "--key-stdin"],
            stdin: E2E.code(for: Self.school, length: 30) + "\n",
            expect: 1
        )
        #expect(r.stderr.contains("eckid_key_mismatch"), "\(r.transcript)")
        // The code with a different case is a different key: exact match only.
        r = try Self.ctl(
            ctl,
            ["eckid", "set-key", "--school", "21QW00", "--key-stdin"],
            stdin: code.lowercased() + "\n",
            expect: 1
        )
        #expect(r.stderr.contains("eckid_key_mismatch"), "\(r.transcript)")

        // The right key: pending, active from tomorrow, with the step-5 warning.
        r = try Self.ctl(ctl, ["eckid", "set-key", "--school", "21QW00", "--key-stdin"], stdin: code + "\n")
        #expect(r.stdout.contains("actief vanaf \(tomorrow)"), "\(r.transcript)")
        #expect(r.stderr.contains("TOP dossier"), "\(r.transcript)")
        #expect(!r.stdout.contains(code) && !r.stderr.contains(code))
        // The same key again changes nothing.
        r = try Self.ctl(ctl, ["eckid", "set-key", "--school", "21QW00", "--key-stdin", "--json"], stdin: code + "\n")
        #expect(r.json?["changed"] as? Bool == false, "\(r.transcript)")
        #expect(r.json?["active_from"] as? String == tomorrow)

        // A manual run today leaves it pending.
        r = try Self.ctl(ctl, ["timer", "run", "--json"])
        #expect((r.json?["run"] as? [String: Any])?["enabled"] as? Int == 0, "\(r.transcript)")
        func importState() throws -> [String: Any] {
            let r = try Self.ctl(ctl, ["eckid", "status", "--school", "21QW00", "--json"])
            let imports = try #require(r.json?["imports"] as? [[String: Any]], "\(r.transcript)")
            return try #require(imports.first)
        }
        var state = try importState()
        #expect(state["state"] as? String == "pending")
        #expect(state["active_from"] as? String == tomorrow)

        // The timer shows the last (manual) run and the next planned one.
        r = try Self.ctl(ctl, ["timer", "status"])
        let next = try #require(
            r.stdout.components(separatedBy: "\n").first { $0.hasPrefix("Volgende run") },
            "\(r.transcript)"
        )
        #expect(next.contains("Europe/Amsterdam"), "\(next)")
        #expect(r.stdout.contains("handmatig"), "\(r.transcript)")
        r = try Self.ctl(ctl, ["timer", "status", "--json"])
        let nextRun = try #require(r.json?["next_run"] as? String, "\(r.transcript)")
        let nextInstant = try #require(ISO8601DateFormatter().date(from: nextRun), "\(nextRun)")
        #expect(nextInstant > Date() && nextInstant < Date().addingTimeInterval(26 * 3600), "\(nextRun)")

        // Restart on the same state directory: everything is kept.
        #expect(daemon!.stop() == 0)
        daemon = nil
        daemon = try DaemonProcess(directory: directory)
        ctl = Ctl(socketPath: daemon!.socketPath)
        r = try Self.ctl(ctl, ["school", "list"])
        #expect(r.stdout.contains("21QW00") && r.stdout.contains("OBS De Regenboog"), "\(r.transcript)")
        #expect(E2E.activatedMarks(try Self.overview(ctl)) == ["topdossier": false, "topdossier-eckid": true])
        state = try importState()
        #expect(state["state"] as? String == "pending")
        #expect(state["active_from"] as? String == tomorrow)
        // The key and the used code survive too: same key is a no-op, the code stays used.
        r = try Self.ctl(ctl, ["eckid", "set-key", "--school", "21QW00", "--key-stdin", "--json"], stdin: code + "\n")
        #expect(r.json?["changed"] as? Bool == false, "\(r.transcript)")
        r = try Self.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan Jansen",
                "--agree", "--code-stdin",
            ],
            stdin: code + "\n",
            expect: 1
        )
        #expect(r.stderr.contains("verification_code_reused"), "\(r.transcript)")
        r = try Self.ctl(ctl, ["timer", "status", "--json"])
        #expect((r.json?["last_run"] as? [String: Any])?["kind"] as? String == "manual", "\(r.transcript)")

        // Deactivating the ECKiD koppeling stops its import.
        r = try Self.ctl(ctl, ["deactivate", "--school", "21QW00", "--koppeling", "topdossier-eckid"])
        #expect(r.stdout.contains("ECKiD-import"), "\(r.transcript)")
        state = try importState()
        #expect(state["state"] as? String == "disabled")
        #expect(state["disabled_reason"] as? String == "activation_ended")
        #expect(daemon!.stop() == 0)
    }

    @Test("exit codes: daemon not reachable is 3 with a hint, usage errors are 2")
    func exitCodes() throws {
        let directory = TemporaryDirectory()
        let missing = directory.path + "/geen.sock"
        let ctl = Ctl(socketPath: missing)
        // A socket of one's own: the hint fits a daemon started by hand
        // (systemd only runs the one on the system socket).
        var r = try Self.ctl(ctl, ["status"], expect: 3)
        #expect(r.stderr.contains("koppelingd --socket \(missing)"), "\(r.transcript)")
        #expect(!r.stderr.contains("systemctl"), "\(r.transcript)")
        r = try Self.ctl(Ctl(socketPath: "/nonexistent"), ["--socket", missing, "school", "list"], expect: 3)
        #expect(r.stderr.contains("koppelingd serves"), "\(r.transcript)")
        r = try Self.ctl(Ctl(socketPath: "/nonexistent"), ["school", "list", "--socket", missing], expect: 3)
        #expect(r.stderr.contains(missing), "\(r.transcript)")

        // A socket file nobody listens on (a crashed daemon's) is unreachable too.
        let stale = directory.path + "/stale.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in stale.utf8.enumerated() { raw[i] = b } }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        close(fd)
        try Self.ctl(Ctl(socketPath: stale), ["catalog", "list"], expect: 3)

        for usage in [
            ["school", "add"], ["bestaat-niet"], ["activate", "--school", "21QW00"],
            ["audit", "--limit", "veel"], ["verification-code", "generate", "--school", "21QW00", "--length", "5"],
            ["verification-code", "generate", "--school", "21Q"], ["koppelingen", "--school"],
        ] {
            r = try Self.ctl(ctl, usage, expect: 2)
            #expect(!r.stderr.isEmpty, "\(usage): \(r.transcript)")
        }
        // A secret from two sources at once is a usage error, before any daemon is asked.
        r = try Self.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan",
                "--agree", "--code-stdin", "--code-file", "/dev/null",
            ],
            stdin: "x\n",
            expect: 2
        )
    }
}
