import ArgumentParser
import KoppelingCore
import KoppelingProtocol

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Toon het logboek van wijzigingen en weigeringen (nieuwste eerst)."
    )
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Alleen deze school (BRIN6).") var school: String?
    @Option(name: .long, help: "Vanaf deze datum (JJJJ-MM-DD) of dit tijdstip (RFC 3339, UTC).") var since: String?
    @Option(name: .long, help: "Hoogstens zoveel regels (standaard 100).") var limit: Int?

    func run() throws {
        let params = AuditListParams(brin6: school, since: since, limit: limit)
        guard let r = try Session(global).call(.auditList, params, as: AuditListResult.self) else { return }
        if r.entries.isEmpty {
            print("Geen regels gevonden.")
            return
        }
        Output.table(
            ["Tijdstip", "Gebruiker", "Methode", "School", "Koppeling", "Uitkomst", "Reden"],
            r.entries.map {
                [
                    $0.at, "\($0.user) (\($0.uid))", $0.method, $0.school ?? "—", $0.koppeling ?? "—",
                    outcome($0.outcome), $0.reasons.joined(separator: ","),
                ]
            }
        )
    }

    func outcome(_ o: AuditEntry.Outcome) -> String {
        switch o {
        case .ok: "gelukt"
        case .refused: "geweigerd"
        case .error: "fout"
        }
    }
}

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Maak nu een consistente back-up van de database."
    )
    @OptionGroup var global: GlobalOptions

    func run() throws {
        guard let r = try Session(global).call(.backupCreate, as: BackupResult.self) else { return }
        print("Back-up gemaakt: \(r.path) (\(r.sizeBytes) bytes).")
    }
}
