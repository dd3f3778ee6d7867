import ArgumentParser
import KoppelingProtocol

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Toon de toestand van koppelingd.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        guard let s = try Session(global).call(Methods.status) else { return }
        let times = LocalTimes(zone: s.timeZone)
        Output.fields(
            [
                ("Daemon", "\(s.daemon) \(s.version)"),
                ("Actief sinds", "\(times.format(s.startedAt)) (\(s.uptimeSeconds) s)"),
                ("Database", "\(s.database) (schemaversie \(s.schemaVersion))"),
                ("Opslag", Self.storage(s.storage)),
                ("Audit-log", auditChain(s.auditChain, times)),
                ("Tijdzone", "\(s.timeZone), vandaag \(s.today)"),
                ("Scholen", "\(s.counts.schools)"),
                ("Catalogus", "\(s.counts.catalogEntries) koppelingen"),
                ("Geactiveerd", "\(s.counts.activeKoppelingen) koppelingen"),
                (
                    "Voorwaarden",
                    s.counts.termsOutdated == 0
                        ? "overal de huidige"
                        : "\(s.counts.termsOutdated) koppeling(en) met verouderde voorwaarden ('koppelingctl reaccept')"
                ),
                ("ECKiD-imports", "\(s.counts.pendingImports) in afwachting, \(s.counts.activeImports) actief"),
            ] + TimerCommand.timerLines(s.timer, times)
        )
        if !s.endingSoon.isEmpty {
            print("")
            print("Eindigt binnen 30 dagen:")
            Output.table(
                ["Einddatum", "School", "Koppeling"],
                s.endingSoon.map { [$0.endDate ?? "", $0.school, $0.koppelingName] }
            )
        }
    }

    static func storage(_ state: String) -> String {
        switch state {
        case "ok": "in orde"
        case "damaged":
            "HET REGISTERBESTAND IS BESCHADIGD: wijzigingen worden geweigerd, lezen kan nog; herstel een back-up (koppelingd restore)"
        case "lock_gone":
            "HET VERGRENDELBESTAND IS VERWIJDERD OF VERVANGEN: wijzigingen worden geweigerd tot koppelingd opnieuw is gestart"
        case "secret_gone":
            "HET GEHEIM (koppelingd.secret) IS VERWIJDERD OF VERVANGEN: wijzigingen worden geweigerd; zet het terug voordat koppelingd opnieuw start"
        case "log_gone":
            "HET LOGBESTAND (-wal of -shm) IS VERWIJDERD OF VERVANGEN: de inhoud staat in het registerbestand; wijzigingen worden geweigerd tot koppelingd opnieuw is gestart"
        default:
            "HET REGISTERBESTAND IS VERWIJDERD OF VERVANGEN: wijzigingen worden geweigerd; herstel het en start koppelingd opnieuw"
        }
    }

    func auditChain(_ c: AuditChainStatus?, _ times: LocalTimes) -> String {
        guard let c else { return "nog niet gecontroleerd (dat gebeurt na elke dagelijkse run)" }
        let checked = times.format(c.checkedAt)
        if c.ok { return "intact bij de controle van \(checked) (\(c.rows) regels)" }
        let row = c.firstBrokenId.map { "vanaf regel \($0)" } ?? ""
        return "GEWIJZIGD BUITEN KOPPELINGD OM \(row) (controle van \(checked)); zie 'koppelingctl audit verify'"
    }
}
