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
        abstract: "Toon de beschikbare en geactiveerde koppelingen van een school."
    )
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "BRIN6 van de school.") var school: String

    func run() throws {
        guard let r = try Session(global).call(.koppelingOverview, Brin6Params(brin6: school), as: OverviewResult.self)
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
        }
        print("\nGeactiveerde koppelingen")
        if r.activated.isEmpty {
            print("  (geen)")
            return
        }
        Output.table(
            ["Naam", "Startdatum", "Uw naam", "Gebruiker", "Verificatiecode"],
            r.activated.map { [$0.koppelingName, $0.startDate, $0.acceptedByName, $0.user, $0.verificationCode] }
        )
    }
}

/// Steps 3–4: the activation dialog.
struct ActivateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activate",
        abstract: "Activeer een koppeling voor een school (stap 3–4).",
        discussion: """
            De verificatiecode bedenkt u zelf: 20 tot 50 letters en cijfers, beginnend met de BRIN6 van de school.
            Zonder --code-stdin of --code-file vraagt koppelingctl de code twee keer, zonder weergave.
            Schrijf de code op: u voert hem later in TOP dossier in als autorisatiesleutel.
            'koppelingctl verification-code generate --school BRIN6' maakt een geldige code.
            """
    )
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "BRIN6 van de school.") var school: String
    @Option(name: .long, help: "Id van de koppeling, bijv. topdossier-eckid.") var koppeling: String
    @Option(name: .long, help: "Uw naam: de gemandateerde persoon die akkoord gaat met de voorwaarden.") var name:
        String
    @Flag(name: .long, help: "Voor akkoord: u gaat akkoord met de gebruikersvoorwaarden.") var agree = false
    @Option(name: .customLong("start-date"), help: "Startdatum JJJJ-MM-DD (standaard vandaag).") var startDate: String?
    @OptionGroup var code: SecretSource

    func run() throws {
        let secret = try SecretInput.read(
            what: "verificatiecode",
            stdin: code.fromStdin,
            file: code.file,
            argv: code.onCommandLine,
            confirm: true
        )
        let params = ActivationInput(
            school: school,
            koppeling: koppeling,
            name: name,
            agree: agree,
            verificationCode: secret,
            startDate: startDate
        )
        guard let r = try Session(global).call(.koppelingActivate, params, as: ActivateResult.self) else { return }
        let a = r.activation
        print("\(a.koppelingName) is geactiveerd voor school \(a.school).")
        Output.fields([
            ("Uw naam", a.acceptedByName), ("Gebruiker", a.user), ("Startdatum", a.startDate),
            ("Voorwaarden", "versie \(a.termsVersion) geaccepteerd"), ("Verificatiecode", a.verificationCode),
        ])
        if a.koppeling == "topdossier-eckid" {
            print("Bewaar de verificatiecode goed: u voert hem in TOP dossier in als autorisatiesleutel (stap 6).")
        } else {
            print("Bewaar de verificatiecode goed: de leverancier kan er later om vragen.")
        }
        for w in r.warnings { Output.warning(w) }
    }
}

struct DeactivateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deactivate",
        abstract: "Beëindig een geactiveerde koppeling."
    )
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "BRIN6 van de school.") var school: String
    @Option(name: .long, help: "Id van de koppeling.") var koppeling: String
    @Option(name: .long, help: "Reden (optioneel).") var reason: String?

    func run() throws {
        let params = DeactivateParams(brin6: school, koppeling: koppeling, reason: reason)
        guard let r = try Session(global).call(.koppelingDeactivate, params, as: DeactivateResult.self) else { return }
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
        @Option(name: .long, help: "BRIN6 van de school.") var school: String
        @Option(name: .long, help: "Lengte, 20 tot 50 (standaard 32).") var length = 32

        func validate() throws {
            guard (VerificationCode.minLength...VerificationCode.maxLength).contains(length) else {
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
            print(CodeGenerator.generate(for: brin6, length: length))
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
