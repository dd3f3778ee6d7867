import ArgumentParser
import KoppelingProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

@main
struct Koppelingctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "koppelingctl",
        abstract: "Beheer de koppelingen van uw scholen (ESIS ↔ TOP dossier ECKiD) via koppelingd.",
        discussion: """
            Exitcodes: 0 gelukt, 1 geweigerd door de daemon, 2 verkeerd gebruik, 3 daemon niet bereikbaar.
            Met --json staat op standaarduitvoer altijd één JSON-waarde, ook bij een fout: {"error": {"code", "reason", "message"}}.
            \(SocketChoice.helpLine)
            """,
        version: ProtocolInfo.daemonVersion,
        subcommands: [
            StatusCommand.self, SchoolCommand.self, CatalogCommand.self, KoppelingenCommand.self,
            ActivateCommand.self, ReacceptCommand.self, DeactivateCommand.self, EckidCommand.self,
            TimerCommand.self, AuditCommand.self, RegisterCommand.self, BackupCommand.self,
            VerificationCodeCommand.self, VersionCommand.self,
        ]
    )

    @OptionGroup var global: GlobalOptions

    /// ArgumentParser exits 64 on a usage error; this tool promises 2, and
    /// says it in Dutch, or with `--json` as the JSON error object: the
    /// line did not parse, so `--json` is looked for in the words.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let json = arguments.prefix { $0 != "--" }.contains("--json")
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if error is ExitCode {
                // The command said why already.
                Glibc.exit(code.rawValue)
            }
            if code == .success {
                // --help, --version, the man page's dump, completions.
                Swift.print(DutchHelp.translate(fullMessage(for: error, columns: DutchHelp.columns)))
                Glibc.exit(CtlExit.ok)
            }
            if code == .validationFailure {
                usageError(error, arguments: arguments, json: json)
            }
            let message = "interne fout: \(error)"
            if json { JSONError.report(.internalError, message: message) } else { Output.error(message) }
            Glibc.exit(code.rawValue)
        }
    }

    /// A mistyped subcommand is the error, not an option after it (which
    /// ArgumentParser blames); looked for only once the line failed, so an
    /// option's value is never taken for one.
    static func usageError(_ error: Error, arguments: [String], json: Bool) -> Never {
        let message: String
        let path: [String]
        if let unknown = UsageErrors.unknownSubcommand(arguments, root: Self.self) {
            message = UsageErrors.subcommandMessage(unknown.word, of: unknown.command, path: unknown.path)
            path = unknown.path
        } else {
            message = UsageErrors.dutch(self.message(for: error))
            path = UsageErrors.commandPath(arguments, root: Self.self)
        }
        let help = "Zie '\(path.joined(separator: " ")) --help'."
        if json {
            JSONError.report(.usage, message: message + " " + help)
        } else {
            Output.error(message)
            StandardStreams.writeError(help + "\n")
        }
        Glibc.exit(CtlExit.usage)
    }
}

enum CtlExit {
    static let ok: Int32 = 0
    static let refused: Int32 = 1
    static let usage: Int32 = 2
    static let unreachable: Int32 = 3
}

/// Which koppelingd answers, beside this koppelingctl's own version: after
/// an upgrade of one package and not the other, the two differ.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Toon de versie van koppelingd en van koppelingctl."
    )
    @OptionGroup var global: GlobalOptions

    func run() throws {
        guard let v = try Session(global).call(Methods.version) else { return }
        Output.fields([
            ("Daemon", "\(v.daemon) \(v.version), protocolversie \(v.protocol)"),
            ("koppelingctl", "\(ProtocolInfo.daemonVersion), protocolversie \(ProtocolInfo.version)"),
        ])
    }
}
