import Foundation
import Testing

/// Every line koppelingctl writes itself is Dutch, usage errors included,
/// with a suggestion for a mistyped subcommand or option, and exit code 2.
@Suite("Usage errors in Dutch")
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
        daemon.waitUntilExit()
        let version = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(daemon.terminationStatus == 0)
        #expect(
            version.trimmingCharacters(in: .whitespacesAndNewlines)
                == ctl.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }
}
