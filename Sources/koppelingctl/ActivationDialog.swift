import ArgumentParser
import KoppelingCore
import KoppelingProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The seed's activation screen on a terminal, for the fields the command
/// line left out, in the screen's order: the koppeling (Naam, Omschrijving,
/// Prijs, the data set, purpose and processor agreement), its terms (shown
/// or saved), Gebruiker and Startdatum, then Uw naam and Voor akkoord —
/// before the code, so nobody types a secret to be refused for a missing
/// tick — then the code (typed twice without echo, or generated), a
/// summary and Gereed.
struct ActivationDialog {
    var school: String?
    var koppeling: String?
    var name: String?
    var agree: Bool
    var startDate: String?
    var endDate: String?
    /// The code from the command line's source, if it named one.
    var code: (() throws -> String)?

    /// What the dialog settled on.
    struct Answers {
        var school: String
        var entry: CatalogGetResult
        var name: String
        var code: String
        var startDate: String?
    }

    /// Walks the screen; nil when the person stops (no, or end of input).
    func run(_ session: Session) throws -> Answers? {
        let status = try session.lookup(Methods.status, NoParams())
        let school = try self.school ?? ask("School (BRIN6): ")
        guard let school else { return nil }
        let catalog = try session.lookup(Methods.catalogList, NoParams())
        var koppeling = self.koppeling
        if koppeling == nil {
            print("Beschikbare koppelingen:")
            Output.table(["Id", "Naam", "Categorie"], catalog.entries.map { [$0.id, $0.name, $0.category] })
            koppeling = try ask("Koppeling (id): ")
        }
        guard let koppeling else { return nil }
        let entry = try session.lookup(Methods.catalogGet, CatalogGetParams(id: koppeling))
        let e = entry.entry
        print("")
        Output.fields([
            ("Naam", e.name), ("Omschrijving", e.description), ("Prijs", e.price), ("Leverancier", e.supplier),
            ("Doel", e.purpose.isEmpty ? "niet opgegeven" : e.purpose),
            ("Verwerkersovereenkomst", e.processorAgreement.map { "\($0.name), versie \($0.version)" } ?? "geen"),
        ])
        Output.dataSet(e.dataSet)
        print("")
        print("Gebruikersvoorwaarden: versie \(entry.terms.version), SHA-256 \(entry.terms.sha256)")
        while let choice = try ask("[t] tonen, [o] opslaan in een bestand, Enter: verder: ", allowEmpty: true) {
            switch choice.lowercased() {
            case "": break
            case "t":
                print(entry.terms.text)
                print("(versie \(entry.terms.version))")
                continue
            case "o":
                guard let file = try ask("Bestandsnaam: ") else { return nil }
                try OutputFile.write(entry.terms.text, to: file, mode: 0o644, exclusive: false)
                print("Opgeslagen in \(file).")
                continue
            default:
                continue
            }
            break
        }
        print("")
        Output.fields([
            ("Gebruiker", Session.userName()),
            ("Startdatum", startDate ?? "\(status.today) (vandaag)"),
            ("Einddatum", endDate ?? "geen"),
        ])
        guard let name = try self.name ?? ask("Uw naam: ") else { return nil }
        if !agree {
            guard let answer = try yesNo("Voor akkoord met de gebruikersvoorwaarden (versie \(entry.terms.version))?")
            else { return nil }
            if !answer {
                print("Zonder akkoord wordt de koppeling niet geactiveerd.")
                return nil
            }
        }
        guard let code = try self.code?() ?? askCode(school: school) else { return nil }
        print("")
        print("Samenvatting")
        Output.fields([
            ("Koppeling", "\(e.name) (\(e.id))"), ("School", school.uppercased()), ("Uw naam", name),
            ("Gebruiker", Session.userName()), ("Startdatum", startDate ?? status.today),
            ("Einddatum", endDate ?? "geen"),
            ("Voorwaarden", "versie \(entry.terms.version), akkoord"),
            ("Verificatiecode", "\(String(code.prefix(6)))… (\(code.unicodeScalars.count) tekens)"),
        ])
        guard let ready = try yesNo("Gereed?"), ready else {
            print("Niet geactiveerd.")
            return nil
        }
        return Answers(school: school, entry: entry, name: name, code: code, startDate: startDate)
    }

    /// Typed twice without echo, or generated and shown once.
    private func askCode(school: String) throws -> String? {
        print("")
        print("De verificatiecode: 20 tot 50 letters en cijfers, beginnend met de BRIN6 van de school.")
        guard let choice = try ask("[e] zelf invoeren, [g] laten maken: ") else { return nil }
        if choice.lowercased() == "g", case .success(let brin6) = Brin6.parse(school) {
            let code = CodeGenerator.generate(for: brin6, length: 32)
            // On the terminal only (stderr, like the prompts), never on a
            // standard output that may go to a file or a log.
            StandardStreams.writeError("Uw verificatiecode: \(code)\n")
            StandardStreams.writeError("Schrijf hem nu op: hij wordt niet bewaard en niet meer getoond.\n")
            guard let saved = try yesNo("Opgeschreven?"), saved else { return nil }
            return code
        }
        let first = try SecretInput.prompt("Verificatiecode: ")
        let second = try SecretInput.prompt("Herhaal de verificatiecode: ")
        guard first == second else { throw ValidationError("De twee invoeren van de verificatiecode verschillen.") }
        return first
    }

    /// A visible answer; nil at the end of input.
    private func ask(_ prompt: String, allowEmpty: Bool = false) throws -> String? {
        while true {
            StandardStreams.writeError(prompt)
            guard let line = readLine(strippingNewline: true) else { return nil }
            let answer = String(line.trimmedSpaces)
            if !answer.isEmpty || allowEmpty { return answer }
        }
    }

    private func yesNo(_ question: String) throws -> Bool? {
        while let answer = try ask(question + " (j/n): ") {
            switch answer.lowercased() {
            case "j", "ja": return true
            case "n", "nee": return false
            default: continue
            }
        }
        return nil
    }
}
