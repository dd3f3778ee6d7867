import ArgumentParser
import KoppelingCore
import KoppelingProtocol

struct EckidCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eckid",
        abstract: "De ECKiD-import van TOP dossier (stap 5–6).",
        subcommands: [SetKey.self, Status.self, Disable.self]
    )

    struct SetKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-key",
            abstract: "Voer de autorisatiesleutel in (= de verificatiecode van TOP Dossier – ECKiD).",
            discussion:
                "Zonder --key-stdin of --key-file vraagt koppelingctl de sleutel zonder weergave. De import is actief vanaf de volgende dag."
        )
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: ArgumentHelp("BRIN6 van de school.", valueName: "brin6")) var school: String
        @OptionGroup var key: KeySource

        func run() throws {
            let secret = try SecretInput.read(
                what: "autorisatiesleutel",
                stdin: key.fromStdin,
                file: key.file,
                argv: key.onCommandLine,
                confirm: false
            )
            guard
                let r = try Session(global).call(
                    Methods.eckidSetKey,
                    SetKeyParams(brin6: school, key: secret)
                )
            else { return }
            if r.changed {
                print(
                    "De autorisatiesleutel is opgeslagen. De ECKiD-import van \(r.import.school) is actief vanaf \(r.activeFrom)."
                )
            } else {
                print(
                    "Deze autorisatiesleutel was al ingevoerd; er is niets gewijzigd (\(Output.importState(r.state)), actief vanaf \(r.activeFrom))."
                )
            }
            for w in r.warnings { Output.warning(w.message) }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Toon de ECKiD-import van één school of van alle scholen."
        )
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: ArgumentHelp("BRIN6 van de school (standaard: alle).", valueName: "brin6"))
        var school: String?

        func run() throws {
            let session = try Session(global)
            guard
                let r = try session.call(
                    Methods.eckidStatus,
                    EckidStatusParams(brin6: school)
                )
            else { return }
            if r.imports.isEmpty {
                print("Er is geen ECKiD-import ingesteld.")
                return
            }
            let times = try LocalTimes(session)
            Output.table(
                ["School", "Status", "Actief vanaf", "Sleutel ingevoerd", "Actief geworden", "Gestopt", "Reden"],
                r.imports.map {
                    [
                        $0.school, Output.importState($0.state), $0.activeFrom,
                        "\(times.format($0.keySetAt)) (\($0.keySetBy))", times.format($0.activatedAt) ?? "—",
                        times.format($0.disabledAt) ?? "—", reasonText($0.disabledReason),
                    ]
                }
            )
        }

        func reasonText(_ r: String?) -> String {
            switch r {
            case "activation_ended"?: "koppeling beëindigd"
            case "disabled_by_administrator"?: "door beheerder uitgezet"
            case let other?: other
            case nil: "—"
            }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "disable",
            abstract: "Zet de ECKiD-import van een school uit."
        )
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: ArgumentHelp("BRIN6 van de school.", valueName: "brin6")) var school: String

        func run() throws {
            guard
                let r = try Session(global).call(Methods.eckidDisable, Brin6Params(brin6: school))
            else { return }
            print("De ECKiD-import van \(r.import.school) is uitgezet.")
        }
    }
}

struct TimerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timer",
        abstract: "De dagelijkse run die ECKiD-imports aanzet.",
        subcommands: [Status.self, Run.self]
    )

    static func timerLines(_ t: TimerStatusResult, _ times: LocalTimes) -> [(String, String)] {
        func describe(_ run: TimerRunRecord?) -> String {
            guard let run else { return "nog niet" }
            let kind = run.kind == .manual ? "handmatig" : "gepland"
            let ended = run.ended > 0 ? ", \(run.ended) beëindigd (einddatum)" : ""
            return
                "\(run.localDay) (\(kind), \(times.format(run.finishedAt))): \(run.enabled) aangezet, \(run.stopped) gestopt\(ended)"
        }
        return [
            ("Dagelijkse run", "\(t.runAt) \(t.timeZone)"), ("Laatste run", describe(t.lastRun)),
            ("Laatste geplande run", describe(t.lastScheduledRun)),
            ("Volgende run", t.nextRunLocal),
        ]
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Toon de laatste en de volgende run."
        )
        @OptionGroup var global: GlobalOptions

        func run() throws {
            guard let t = try Session(global).call(Methods.timerStatus) else { return }
            Output.fields(TimerCommand.timerLines(t, LocalTimes(zone: t.timeZone)))
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Voer de run nu uit (telt niet als de geplande run van vandaag)."
        )
        @OptionGroup var global: GlobalOptions

        func run() throws {
            guard let r = try Session(global).call(Methods.timerRun) else { return }
            print(
                "Run uitgevoerd voor \(r.run.localDay): \(r.run.enabled) ECKiD-imports aangezet, \(r.run.stopped) gestopt."
            )
        }
    }
}
