import ArgumentParser
import KoppelingCore
import KoppelingProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The koppelingen screen of step 2: available per category with an
/// activated mark, then the activated ones.
struct KoppelingenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "koppelingen",
        abstract: "Toon de beschikbare en geactiveerde koppelingen van een school, of van alle scholen.",
        discussion:
            "Zonder --school: voor elke school in één tabel de actieve koppelingen, een ECKiD-import die nog wacht, verouderde voorwaarden en wat binnen 30 dagen eindigt (het overzicht van een bestuur)."
    )
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: ArgumentHelp("BRIN6 van de school (zonder: alle scholen).", valueName: "brin6"))
    var school: String?

    func run() throws {
        guard let school else {
            try BoardOverview.show(try Session(global), json: global.json)
            return
        }
        guard let r = try Session(global).call(Methods.koppelingOverview, Brin6Params(brin6: school))
        else { return }
        print("Koppelingen van \(r.school.brin6) \(r.school.name)\n")
        print("Beschikbare koppelingen")
        for category in r.available {
            print("\n  \(category.category)")
            let rows = category.koppelingen.map {
                [
                    "  " + ($0.activated ? "✓" : " "), $0.name, $0.id, $0.price,
                    $0.activated
                        ? "geactiveerd"
                        : "activeren: koppelingctl activate --school \(r.school.brin6) --koppeling \($0.id)",
                ]
            }
            Output.table(["  ", "Naam", "Id", "Prijs", ""], rows)
            for k in category.koppelingen where !k.dataSet.fields.isEmpty {
                print("  Gegevens naar \(k.name): " + k.dataSet.fields.map(\.name).joined(separator: ", "))
            }
        }
        print("\nGeactiveerde koppelingen")
        if r.activated.isEmpty {
            print("  (geen)")
            return
        }
        Output.table(
            ["Naam", "Startdatum", "Einddatum", "Uw naam", "Gebruiker", "Voorwaarden", "Verificatiecode"],
            r.activated.map {
                [
                    $0.koppelingName, $0.startDate, $0.endDate ?? "—", $0.acceptedByName, $0.user, Output.terms($0),
                    $0.verificationCode,
                ]
            }
        )
    }
}

/// Accepting new terms for an active koppeling (opnieuw akkoord).
struct ReacceptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reaccept",
        abstract: "Ga akkoord met nieuwe gebruikersvoorwaarden van een actieve koppeling (de code blijft).",
        discussion:
            "U gaat akkoord met de versie die koppelingctl toont; lees de tekst met 'koppelingctl catalog terms ID'."
    )
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: ArgumentHelp("BRIN6 van de school.", valueName: "brin6")) var school: String
    @Option(name: .long, help: ArgumentHelp("Id van de koppeling.", valueName: "id")) var koppeling: String
    @Option(
        name: .long,
        help: ArgumentHelp("Uw naam: de gemandateerde persoon die akkoord gaat met de voorwaarden.", valueName: "naam")
    ) var name: String
    @Flag(name: .long, help: "Voor akkoord: u gaat akkoord met de nieuwe gebruikersvoorwaarden.") var agree = false

    func run() throws {
        let session = try Session(global)
        let entry = try session.lookup(Methods.catalogGet, CatalogGetParams(id: koppeling))
        if !global.json {
            print("Gebruikersvoorwaarden: versie \(entry.terms.version), SHA-256 \(entry.terms.sha256)")
        }
        let params = ReacceptParams(
            brin6: school,
            koppeling: koppeling,
            name: name,
            agree: agree,
            termsVersion: entry.terms.version
        )
        guard let r = try session.call(Methods.koppelingReaccept, params) else { return }
        print(
            "Voorwaarden versie \(r.activation.termsVersion) van \(r.activation.koppelingName) geaccepteerd voor school \(r.activation.school)."
        )
    }
}

struct DeactivateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deactivate",
        abstract: "Beëindig een geactiveerde koppeling."
    )
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: ArgumentHelp("BRIN6 van de school.", valueName: "brin6")) var school: String
    @Option(name: .long, help: ArgumentHelp("Id van de koppeling.", valueName: "id")) var koppeling: String
    @Option(name: .long, help: ArgumentHelp("Reden (optioneel).", valueName: "reden")) var reason: String?

    func run() throws {
        let params = DeactivateParams(brin6: school, koppeling: koppeling, reason: reason)
        guard let r = try Session(global).call(Methods.koppelingDeactivate, params) else { return }
        print("\(r.activation.koppelingName) is beëindigd voor school \(r.activation.school).")
        if r.eckidImportStopped { print("De ECKiD-import van deze school is daarmee ook gestopt.") }
    }
}

struct VerificationCodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verification-code",
        abstract: "Hulp bij de verificatiecode.",
        subcommands: [Generate.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Maak een geldige, willekeurige verificatiecode voor een school (eenmalig getoond)."
        )
        @Option(name: .long, help: ArgumentHelp("BRIN6 van de school.", valueName: "brin6")) var school: String
        // Optional, not `= 32`: ArgumentParser would add an English "(default: 32)".
        @Option(name: .long, help: ArgumentHelp("Lengte, 20 tot 50 (standaard 32).", valueName: "lengte"))
        var length: Int?
        // For --json, before or after the subcommand (it asks no daemon, so
        // --socket goes unused).
        @OptionGroup var global: GlobalOptions

        private var codeLength: Int { length ?? 32 }

        func validate() throws {
            guard (VerificationCode.minLength...VerificationCode.maxLength).contains(codeLength) else {
                throw ValidationError(
                    "--length moet tussen \(VerificationCode.minLength) en \(VerificationCode.maxLength) liggen."
                )
            }
        }

        func run() throws {
            let brin6: Brin6
            switch Brin6.parse(school) {
            case .success(let b): brin6 = b
            case .failure(let v): throw ValidationError(v.message)
            }
            let code = CodeGenerator.generate(for: brin6, length: codeLength)
            guard global.json else {
                print(code)
                return
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(["verification_code": code]), as: UTF8.self))
        }
    }
}

/// Random letters and digits after the BRIN6, from the system's CSPRNG.
enum CodeGenerator {
    static let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")

    static func generate(for school: Brin6, length: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        let tail = (0..<(length - 6)).map { _ in alphabet.randomElement(using: &rng)! }
        return school.value + String(tail)
    }
}
