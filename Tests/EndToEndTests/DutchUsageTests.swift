import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every line koppelingctl writes itself is Dutch, usage errors included,
/// with a suggestion for a mistyped subcommand or option, and exit code 2.
@Suite("Usage errors in Dutch", .secretCanary)
struct DutchUsageTests {
    static let cases: [(arguments: [String], says: [String])] = [
        (["stauts", "--jsn"], ["onbekend commando 'stauts'", "bedoelde u 'status'?"]),
        (["schol", "add"], ["onbekend commando 'schol'", "bedoelde u 'school'?"]),
        (["catalog", "shwo", "x"], ["onbekend commando 'shwo' voor 'koppelingctl catalog'", "bedoelde u 'show'?"]),
        (["--socket", "/x", "stats"], ["bedoelde u 'status'?"]),
        (["status", "--jsn"], ["onbekende optie '--jsn'", "bedoelde u '--json'?"]),
        (
            ["activate", "--school", "21QW00", "--koppeling", "topdossier"],
            ["zonder terminal", "--name NAAM", "--agree", "--code-stdin of --code-file"]
        ),
        (["deactivate", "--school", "21QW00"], ["verplicht argument ontbreekt: '--koppeling"]),
        (["audit", "--limit", "veel"], ["de waarde 'veel' is ongeldig voor '--limit"]),
        (["register", "export", "--format", "xml"], ["kies uit 'csv', 'json' of 'markdown'"]),
        (["school", "add"], ["verplicht argument ontbreekt: '<brin6>'"]),
        (
            ["verification-code", "generate", "--school", "21QW00", "--length", "5"],
            ["--length moet tussen 20 en 50 liggen"]
        ),
    ]

    @Test("usage errors", arguments: 0..<cases.count)
    func usageError(index: Int) throws {
        let (arguments, says) = Self.cases[index]
        let r = try Ctl(socketPath: "/nonexistent/k.sock").run(arguments)
        #expect(r.status == 2, "\(arguments): \(r.transcript)")
        #expect(r.stderr.hasPrefix("koppelingctl: "), "\(r.transcript)")
        #expect(!r.stderr.contains("Error:") && !r.stderr.contains("Usage:"), "\(r.transcript)")
        for phrase in says { #expect(r.stderr.contains(phrase), "\(phrase) in \(r.transcript)") }
        #expect(r.stderr.contains("--help'."), "points at the help: \(r.transcript)")
    }

    /// The help of every command, the built-in `--help` and `--version`
    /// lines and the headings included, is Dutch: every path of the command
    /// tree, asked with `--help`, `-h` and `help`.
    @Test func helpIsDutchEverywhere() throws {
        let english = [
            "Show help information", "Show the version", "OVERVIEW:", "USAGE:", "OPTIONS:", "ARGUMENTS:",
            "SUBCOMMANDS:", "for detailed help", "(default", "default:", "values:", "<subcommand>",
        ]
        let ctl = Ctl(socketPath: "/nonexistent/k.sock")
        let paths = [[]] + Self.commandPaths(try ManPageTests.dump(BuiltProducts.koppelingctl).command, [])
        #expect(paths.count > 30, "\(paths)")
        for path in paths {
            var askings = [path + ["--help"], path + ["-h"]]
            if !path.isEmpty && path != ["help"] { askings.append(["help"] + path) }
            for arguments in askings {
                let r = try ctl.run(arguments)
                #expect(r.status == 0 && r.stderr.isEmpty, "\(arguments): \(r.transcript)")
                #expect(r.stdout.contains("GEBRUIK: koppelingctl"), "\(arguments): \(r.transcript)")
                for line in r.stdout.split(separator: "\n") {
                    for phrase in english {
                        #expect(!line.contains(phrase), "\(arguments): '\(line)'")
                    }
                }
            }
        }
    }

    /// Every command below `command` (the `--experimental-dump-help` tree).
    static func commandPaths(_ command: [String: Any], _ path: [String]) -> [[String]] {
        (command["subcommands"] as? [[String: Any]] ?? []).flatMap { sub -> [[String]] in
            guard let name = sub["commandName"] as? String else { return [] }
            return [path + [name]] + commandPaths(sub, path + [name])
        }
    }

    /// The default socket the help names is the one that applies: root's
    /// system socket; for anyone else their own daemon's socket first (here
    /// under HOME=/, with no XDG_RUNTIME_DIR), then the system one; the
    /// socket KOPPELING_SOCKET names when it is set.
    @Test func helpNamesTheSocketThatApplies() throws {
        func oneLine(_ r: Ctl.Result) -> String { r.stdout.replacingOccurrences(of: "\n", with: " ") }
        let root = try Ctl(socketPath: "").run(["--help"])
        #expect(oneLine(root).contains("/run/koppelingd/koppelingd.sock"), "\(root.transcript)")
        let nobody = try ForeignCtl(socketPath: "").as(uid: 65534, gid: 65534).run(["--help"])
        #expect(oneLine(nobody).contains("/.local/state/koppelingd/koppelingd.sock"), "\(nobody.transcript)")
        #expect(oneLine(nobody).contains("/run/koppelingd/koppelingd.sock"), "\(nobody.transcript)")
        let explicit = try Ctl(socketPath: "/tmp/elders/k.sock").run(["--help"])
        #expect(oneLine(explicit).contains("/tmp/elders/k.sock"), "\(explicit.transcript)")
    }

    /// A mistyped subcommand with no near name still ends its sentence.
    @Test func unknownSubcommandWithoutSuggestionEndsItsSentence() throws {
        let r = try Ctl(socketPath: "/nonexistent/k.sock").run(["xyzzy"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("onbekend commando 'xyzzy' voor 'koppelingctl'. Kies uit: "), "\(r.transcript)")
    }

    /// Not reachable: for the system socket the hint is systemd's; for any
    /// other socket (a daemon started by hand, perhaps still starting) it is
    /// about starting it or waiting for it, not about systemctl.
    @Test func unreachableHintFitsTheSocket() throws {
        let byHand = try Ctl(socketPath: "/tmp/kt-nergens/k.sock").run(["status"])
        #expect(byHand.status == 3, "\(byHand.transcript)")
        #expect(!byHand.stderr.contains("systemctl"), "\(byHand.transcript)")
        #expect(byHand.stderr.contains("koppelingd"), "\(byHand.transcript)")
        #expect(!byHand.stderr.contains("No such file"), "strerror is English: \(byHand.transcript)")
        let system = try Ctl(socketPath: "/run/koppelingd/koppelingd.sock").run(["status"])
        if system.status == 3 {
            #expect(system.stderr.contains("systemctl status koppelingd"), "\(system.transcript)")
        }
    }

    /// A valid line is never taken for a mistyped subcommand: an option's
    /// value (`bash`) is not a subcommand (the package makes completions so).
    @Test func aValidLineWithAnOptionValueRuns() throws {
        let r = try Ctl(socketPath: "/nonexistent/k.sock").run(["--generate-completion-script", "bash"])
        #expect(r.status == 0 && r.stdout.contains("koppelingctl") && r.stderr.isEmpty, "\(r.transcript)")
    }

    @Test func versionOfBothPrograms() throws {
        let ctl = try Ctl(socketPath: "/nonexistent/k.sock").run(["--version"])
        #expect(
            ctl.status == 0
                && ctl.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3
        )
        let daemon = Process()
        daemon.executableURL = BuiltProducts.koppelingd
        daemon.arguments = ["--version"]
        let out = Pipe()
        daemon.standardOutput = out
        try daemon.run()
        daemon.reap()
        let version = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(daemon.terminationStatus == 0)
        #expect(
            version.trimmingCharacters(in: .whitespacesAndNewlines)
                == ctl.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }
}
