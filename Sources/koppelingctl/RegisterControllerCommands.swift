import ArgumentParser
import KoppelingCore
import KoppelingProtocol

/// `register controller set|show`: the bestuur and its privacy officer,
/// at the head of every export.
struct ControllerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controller",
        abstract: "De verwerkingsverantwoordelijke (het bestuur) en de FG: vastleggen of tonen.",
        subcommands: [Set.self, Show.self],
        defaultSubcommand: Show.self
    )

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Leg het bestuur en zijn functionaris gegevensbescherming (FG) vast voor het register."
        )
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: ArgumentHelp("De naam van het bestuur.", valueName: "naam")) var name: String
        @Option(
            name: .long,
            help: ArgumentHelp("Het bestuursnummer (5 cijfers) of KvK-nummer (8 cijfers).", valueName: "nummer")
        ) var number: String
        @Option(name: .long, help: ArgumentHelp("Het adres van het bestuur.", valueName: "adres")) var address: String
        @Option(
            name: .long,
            help: ArgumentHelp("Hoe het bestuur te bereiken is (telefoon of e-mail).", valueName: "contact")
        ) var contact: String
        @Option(name: .customLong("fg-name"), help: ArgumentHelp("De naam van de FG.", valueName: "naam"))
        var officerName: String
        @Option(name: .customLong("fg-email"), help: ArgumentHelp("Het e-mailadres van de FG.", valueName: "e-mail"))
        var officerEmail: String

        func run() throws {
            let params = SetControllerParams(
                Controller(
                    name: name,
                    number: number,
                    address: address,
                    contact: contact,
                    privacyOfficer: .init(name: officerName, email: officerEmail)
                )
            )
            let session = try Session(global)
            guard let r = try session.call(Methods.registerSetController, params) else { return }
            print("De verwerkingsverantwoordelijke is vastgelegd.")
            if let record = r.controller { Output.fields(ControllerCommand.lines(record, try LocalTimes(session))) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Toon de verwerkingsverantwoordelijke en de FG."
        )
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let session = try Session(global)
            guard let r = try session.call(Methods.registerGetController, NoParams()) else { return }
            guard let record = r.controller else {
                print(
                    "Er is nog geen verwerkingsverantwoordelijke vastgelegd. "
                        + "Leg die vast met 'koppelingctl register controller set'."
                )
                return
            }
            Output.fields(ControllerCommand.lines(record, try LocalTimes(session)))
        }
    }

    static func lines(_ record: ControllerRecord, _ times: LocalTimes) -> [(String, String)] {
        let c = record.controller
        return [
            ("Bestuur", c.name), ("Nummer", c.number), ("Adres", c.address), ("Contact", c.contact),
            ("FG", "\(c.privacyOfficer.name) <\(c.privacyOfficer.email)>"),
            ("Vastgelegd", "\(times.format(record.setAt)) door \(record.setBy)"),
        ]
    }
}

/// `register changes --from --to`: what changed in a period, for the
/// yearly review and the medezeggenschapsraad.
struct Changes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changes",
        abstract: "Wat er in een periode in het register veranderde (activeringen, beëindigingen, nieuwe voorwaarden)."
    )
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: ArgumentHelp("De eerste dag (JJJJ-MM-DD).", valueName: "datum")) var from: String
    @Option(name: .long, help: ArgumentHelp("De laatste dag (JJJJ-MM-DD), die telt mee.", valueName: "datum"))
    var to: String

    func run() throws {
        let session = try Session(global)
        guard let r = try session.call(Methods.registerChanges, RegisterChangesParams(from: from, to: to)) else {
            return
        }
        let times = LocalTimes(zone: r.timeZone)
        if r.changes.isEmpty {
            print("Geen wijzigingen van \(r.from) tot en met \(r.to).")
            return
        }
        Output.table(
            ["Tijdstip", "Wijziging", "School", "Koppeling", "Versie", "Door", "Reden"],
            r.changes.map {
                [
                    times.format($0.at), Self.label($0.kind), $0.brin6 ?? "—", $0.koppeling ?? "—",
                    $0.termsVersion ?? "—", $0.by ?? "—", $0.detail ?? "",
                ]
            }
        )
    }

    static func label(_ kind: RegisterChange.Kind) -> String {
        switch kind {
        case .activated: "geactiveerd"
        case .ended: "beëindigd"
        case .reaccepted: "opnieuw akkoord"
        case .termsVersion: "nieuwe voorwaarden"
        case .controllerSet: "verantwoordelijke vastgelegd"
        }
    }
}
