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
            Socket: --socket PAD of KOPPELING_SOCKET (standaard /run/koppelingd/koppelingd.sock).
            """,
        version: ProtocolInfo.daemonVersion,
        subcommands: [
            StatusCommand.self, SchoolCommand.self, CatalogCommand.self, KoppelingenCommand.self,
            ActivateCommand.self, ReacceptCommand.self, DeactivateCommand.self, EckidCommand.self,
            TimerCommand.self, AuditCommand.self, RegisterCommand.self, BackupCommand.self,
            VerificationCodeCommand.self,
        ]
    )

    @OptionGroup var global: GlobalOptions

    /// ArgumentParser exits 64 on a usage error; this tool promises 2, and
    /// says it in Dutch.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // A mistyped subcommand is the error, not an option after it
                // (which ArgumentParser blames); looked for only once the
                // line failed, so an option's value is never taken for one.
                if let unknown = UsageErrors.unknownSubcommand(arguments, root: Self.self) {
                    Output.error(UsageErrors.subcommandMessage(unknown.word, of: unknown.command, path: unknown.path))
                    StandardStreams.writeError("Zie '\(unknown.path.joined(separator: " ")) --help'.\n")
                    Glibc.exit(CtlExit.usage)
                }
                Output.error(UsageErrors.dutch(message(for: error)))
                let path = UsageErrors.commandPath(arguments, root: Self.self)
                StandardStreams.writeError("Zie '\(path.joined(separator: " ")) --help'.\n")
                Glibc.exit(CtlExit.usage)
            }
            exit(withError: error)
        }
    }
}

enum CtlExit {
    static let ok: Int32 = 0
    static let refused: Int32 = 1
    static let usage: Int32 = 2
    static let unreachable: Int32 = 3
}
