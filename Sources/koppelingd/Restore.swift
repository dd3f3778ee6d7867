import ArgumentParser
import KoppelingProtocol
import KoppelingStorage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `koppelingd restore BACKUP`: one command for what a hand restore gets
/// wrong (stale WAL files, root-owned copies, a backup of another install).
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract:
            "Restore the register from a backup (as root, with koppelingd.service and koppelingd.socket stopped).",
        discussion: """
            Checks the backup's integrity and its secret check value against the koppelingd.secret beside the register,
            keeps the current register aside (koppelingd.db.before-restore-<UTC time>, with its -wal and -shm),
            puts the backup in its place owned by the owner of the register's directory with mode 0600, and says what it did.
            """
    )

    @Argument(help: "The backup file (e.g. /var/lib/koppelingd/backups/koppelingd-2026-12-01T000501Z.db).")
    var backup: String
    @Option(help: "The register to restore (default as for the daemon, or KOPPELINGD_DATABASE).")
    var database: String?
    @Option(help: "The daemon's socket, checked for a listener (default as for the daemon, or KOPPELINGD_SOCKET).")
    var socket: String?

    static func count(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }

    func run() throws {
        let env = ProcessInfo.processInfo.environment
        let defaults = DefaultPaths.forUser()
        let database = Serve.absolute(database ?? env["KOPPELINGD_DATABASE"] ?? defaults.database)
        let socket = Serve.absolute(socket ?? env["KOPPELINGD_SOCKET"] ?? defaults.socket)
        do {
            let done = try RegisterRestore.run(backup: Serve.absolute(backup), database: database, socket: socket)
            print(
                "Hersteld: \(done.database) is nu de back-up \(done.backup)"
                    + " (schemaversie \(done.schemaVersion), \(Self.count(done.schools, "school", "scholen")),"
                    + " \(Self.count(done.activeActivations, "actieve koppeling", "actieve koppelingen")))."
            )
            if let aside = done.keptAside {
                print("Het vorige register staat in \(aside) (met zijn -wal- en -shm-bestanden, als die er waren).")
            }
            print("Oude -wal- en -shm-bestanden zijn verwijderd; eigenaar \(done.owner), modus 0600.")
            if done.secretUnchecked {
                print(
                    "Let op: deze back-up is ouder dan de controlewaarde van het geheim; of koppelingd.secret erbij hoort, kon niet worden gecontroleerd."
                )
            }
            print("Start koppelingd weer: sudo systemctl start koppelingd.socket koppelingd.service")
        } catch let refusal as RegisterRestore.Refusal {
            standardError("koppelingd restore: \(refusal)")
            throw ExitCode(1)
        } catch let error as StorageOpenError {
            standardError("koppelingd restore: \(error)")
            throw ExitCode(1)
        }
    }
}

/// One line to stderr, unbuffered (the restore ends right after it).
private func standardError(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
