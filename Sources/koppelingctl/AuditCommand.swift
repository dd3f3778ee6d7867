import ArgumentParser
import KoppelingCore
import KoppelingProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Het logboek van wijzigingen en weigeringen: tonen (standaard) of controleren.",
        subcommands: [List.self, Verify.self],
        // `koppelingctl audit --school 21QW00` lists, as it always did.
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Toon het logboek van wijzigingen en weigeringen (nieuwste eerst)."
        )
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: ArgumentHelp("Alleen deze school (BRIN6).", valueName: "brin6")) var school: String?
        @Option(
            name: .long,
            help: ArgumentHelp("Vanaf deze datum (JJJJ-MM-DD) of dit tijdstip (RFC 3339, UTC).", valueName: "datum")
        ) var since: String?
        @Option(name: .long, help: ArgumentHelp("Hoogstens zoveel regels (standaard 100).", valueName: "aantal"))
        var limit: Int?

        func run() throws {
            let params = AuditListParams(brin6: school, since: since, limit: limit)
            let session = try Session(global)
            guard let r = try session.call(Methods.auditList, params) else { return }
            let times = try LocalTimes(session)
            if r.entries.isEmpty {
                print("Geen regels gevonden.")
                return
            }
            Output.table(
                ["Tijdstip", "Gebruiker", "Handeling", "School", "Koppeling", "Uitkomst", "Reden"],
                r.entries.map {
                    [
                        times.format($0.at), "\($0.user) (\($0.uid))", MethodLabels.dutchLabel(of: $0.method),
                        $0.school ?? "—",
                        $0.koppeling ?? "—", outcome($0.outcome),
                        $0.reasons.map(Reason.dutchLabel(of:)).joined(separator: ", "),
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

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Controleer of het logboek sinds het schrijven ongewijzigd is (exitcode 1 als het niet klopt).",
            discussion: """
                Elke regel draagt een sleutelwaarde over de regel ervoor en zijn eigen inhoud, berekend met \
                de installatiesleutel. Een regel die is gewijzigd, verwijderd of ingevoegd door iemand zonder \
                die sleutel valt op.
                """
        )
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let session = try Session(global)
            let r: AuditVerifyResult
            if global.json {
                // The raw result for scripts, and still exit 1 on a break.
                let data = try session.callRaw(Methods.auditVerify)
                print(String(decoding: data, as: UTF8.self))
                guard let decoded = try? JSONDecoder().decode(AuditVerifyResult.self, from: data) else { return }
                r = decoded
            } else {
                guard let decoded = try session.call(Methods.auditVerify) else { return }
                r = decoded
            }
            if r.ok {
                let rows = r.rows == 1 ? "1 regel" : "\(r.rows) regels"
                if !global.json { print("Audit-log intact: \(rows) gecontroleerd.") }
                return
            }
            if !global.json {
                let where_ = r.firstBrokenId.map { "regel \($0) klopt niet of ontbreekt" } ?? "het klopt niet"
                print(
                    "Audit-log is gewijzigd: \(where_) (gewijzigd, verwijderd of ingevoegd buiten koppelingd om)."
                        + " Vanaf daar is het logboek niet te vertrouwen; bewaar de database en de back-ups zoals ze zijn"
                        + " en vergelijk met een back-up."
                )
            }
            throw ExitCode(CtlExit.refused)
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
        guard let r = try Session(global).call(Methods.backupCreate) else { return }
        print("Back-up gemaakt: \(r.path) (\(r.sizeBytes) bytes).")
    }
}
