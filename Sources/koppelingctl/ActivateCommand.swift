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

/// Steps 3–4: the activation dialog.
struct ActivateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activate",
        abstract: "Activeer een koppeling voor een school (stap 3–4), of voor veel scholen tegelijk.",
        discussion: """
            Op een terminal vraagt koppelingctl wat ontbreekt, in de volgorde van het activeringsscherm: de koppeling,
            de gebruikersvoorwaarden (tonen of opslaan), Uw naam, Voor akkoord, de verificatiecode (of een gemaakte)
            en tot slot Gereed. Zonder terminal moet alles op de opdrachtregel staan.
            De verificatiecode bedenkt u zelf: 20 tot 50 letters en cijfers, beginnend met de BRIN6 van de school.
            Zonder --code-stdin of --code-file vraagt koppelingctl de code twee keer, zonder weergave.
            Schrijf de code op: u voert hem later in TOP dossier in als autorisatiesleutel.
            'koppelingctl verification-code generate --school BRIN6' maakt een geldige code.
            U gaat akkoord met de versie van de gebruikersvoorwaarden die koppelingctl toont
            ('koppelingctl catalog terms ID' toont de tekst); zijn ze intussen gewijzigd, dan weigert koppelingd.
            Voor een bestuur: --schools-file BESTAND met per regel 'brin6;verificatiecode' activeert alle scholen
            in één keer, of geen enkele. Met --generate-codes BESTAND mag de code ontbreken: koppelingctl maakt
            dan voor elke school een code en schrijft ze eenmalig naar dat nieuwe bestand (alleen voor u leesbaar).
            """
    )
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: ArgumentHelp("BRIN6 van de school.", valueName: "brin6")) var school: String?
    @Option(name: .long, help: ArgumentHelp("Id van de koppeling, bijv. topdossier-eckid.", valueName: "id"))
    var koppeling: String?
    @Option(
        name: .long,
        help: ArgumentHelp("Uw naam: de gemandateerde persoon die akkoord gaat met de voorwaarden.", valueName: "naam")
    ) var name: String?
    @Flag(name: .long, help: "Voor akkoord: u gaat akkoord met de gebruikersvoorwaarden.") var agree = false
    @Option(
        name: .customLong("start-date"),
        help: ArgumentHelp("Startdatum JJJJ-MM-DD (standaard vandaag).", valueName: "datum")
    ) var startDate: String?
    @Option(
        name: .customLong("end-date"),
        help: ArgumentHelp("Einddatum JJJJ-MM-DD: de laatste dag (optioneel).", valueName: "datum")
    ) var endDate: String?
    @Option(
        name: .customLong("schools-file"),
        help: ArgumentHelp("CSV-bestand 'brin6;verificatiecode' voor veel scholen.", valueName: "bestand")
    )
    var schoolsFile: String?
    @Option(
        name: .customLong("generate-codes"),
        help: ArgumentHelp(
            "Maak codes voor de scholen zonder code en schrijf ze naar dit nieuwe bestand (0600).",
            valueName: "bestand"
        )
    )
    var generatedCodesFile: String?
    @OptionGroup var code: SecretSource

    func validate() throws {
        try SecretInput.checkOneSource(
            what: "verificatiecode",
            stdin: code.fromStdin,
            file: code.file,
            argv: code.onCommandLine
        )
        if schoolsFile == nil {
            if generatedCodesFile != nil { throw ValidationError("--generate-codes hoort bij --schools-file.") }
        } else if school != nil || code.fromStdin || code.file != nil || code.onCommandLine != nil {
            throw ValidationError(
                "Met --schools-file staan de scholen en hun codes in het bestand, niet in --school, --code-stdin, --code-file of --code."
            )
        }
        // Without a terminal nobody can be asked: what is missing is a
        // usage error naming its flag.
        if isatty(STDIN_FILENO) != 1 || global.json || schoolsFile != nil {
            var missing: [String] = []
            if school == nil && schoolsFile == nil { missing.append("--school BRIN6 (of --schools-file BESTAND)") }
            if koppeling == nil { missing.append("--koppeling ID") }
            if name == nil { missing.append("--name NAAM") }
            if !agree { missing.append("--agree") }
            if schoolsFile == nil && !codeGiven && (isatty(STDIN_FILENO) != 1 || global.json) {
                missing.append("--code-stdin of --code-file BESTAND")
            }
            if !missing.isEmpty {
                throw ValidationError(
                    "zonder terminal kan koppelingctl niets vragen; geef ook: " + missing.joined(separator: ", ") + "."
                )
            }
        }
    }

    private var codeGiven: Bool { code.fromStdin || code.file != nil || code.onCommandLine != nil }

    private func readCode() throws -> String {
        try SecretInput.read(
            what: "verificatiecode",
            stdin: code.fromStdin,
            file: code.file,
            argv: code.onCommandLine,
            confirm: true
        )
    }

    func run() throws {
        let session = try Session(global)
        // The code counts as a field: the dialog offers a generated one.
        let complete =
            (school != nil && codeGiven || schoolsFile != nil) && koppeling != nil && name != nil && agree
        if !complete {
            // On a terminal (validate() refused everything else): the dialog.
            let dialog = ActivationDialog(
                school: school,
                koppeling: koppeling,
                name: name,
                agree: agree,
                startDate: startDate,
                endDate: endDate,
                code: codeGiven ? { try readCode() } : nil
            )
            guard let answers = try dialog.run(session) else { throw ExitCode(CtlExit.refused) }
            try send(
                session,
                school: answers.school,
                koppeling: answers.entry.entry.id,
                name: answers.name,
                termsVersion: answers.entry.terms.version,
                code: answers.code
            )
            return
        }
        guard let koppeling, let name else { return }
        // The terms shown here are the ones agreed to: their version goes
        // with the request, and the daemon refuses if they changed since.
        let entry = try session.lookup(Methods.catalogGet, CatalogGetParams(id: koppeling))
        if !global.json {
            print("Koppeling:             \(entry.entry.name) (\(entry.entry.id))")
            print("Gebruikersvoorwaarden: versie \(entry.terms.version), SHA-256 \(entry.terms.sha256)")
            print("                       (tekst: 'koppelingctl catalog terms \(entry.entry.id)')")
        }
        if let schoolsFile {
            try activateMany(
                session,
                schoolsFile: schoolsFile,
                koppeling: koppeling,
                name: name,
                termsVersion: entry.terms.version
            )
            return
        }
        try send(
            session,
            school: school ?? "",
            koppeling: koppeling,
            name: name,
            termsVersion: entry.terms.version,
            code: try readCode()
        )
    }

    private func send(
        _ session: Session,
        school: String,
        koppeling: String,
        name: String,
        termsVersion: String,
        code secret: String
    ) throws {
        let params = ActivationInput(
            school: school,
            koppeling: koppeling,
            name: name,
            agree: true,
            termsVersion: termsVersion,
            verificationCode: secret,
            startDate: startDate,
            endDate: endDate
        )
        guard let r = try session.call(Methods.koppelingActivate, params) else { return }
        let a = r.activation
        print("\(a.koppelingName) is geactiveerd voor school \(a.school).")
        Output.fields([
            ("Uw naam", a.acceptedByName), ("Gebruiker", a.user), ("Startdatum", a.startDate),
            ("Einddatum", a.endDate ?? "geen"),
            ("Voorwaarden", "versie \(a.termsVersion) geaccepteerd"), ("Verificatiecode", a.verificationCode),
        ])
        if a.koppeling == "topdossier-eckid" {
            print("Bewaar de verificatiecode goed: u voert hem in TOP dossier in als autorisatiesleutel (stap 6).")
        } else {
            print("Bewaar de verificatiecode goed: de leverancier kan er later om vragen.")
        }
        for w in r.warnings { Output.warning(w.message) }
    }

    private func activateMany(
        _ session: Session,
        schoolsFile: String,
        koppeling: String,
        name: String,
        termsVersion: String
    ) throws {
        guard let data = FileManager.default.contents(atPath: schoolsFile) else {
            throw ValidationError("Kan '\(schoolsFile)' niet lezen.")
        }
        var rows: [ActivateManyParams.Row] = []
        var lines: [Int] = []
        var carriesCodes = false
        var generated: [(brin6: String, code: String)] = []
        for (index, record) in try CSV.records(try CSV.text(data, file: schoolsFile)).enumerated() {
            let fields = record.fields.map { String($0.trimmedSpaces) }
            if index == 0, fields.first?.lowercased() == "brin6" { continue }
            guard (1...2).contains(fields.count) else {
                throw ValidationError(
                    "Regel \(record.line): verwacht 'brin6;verificatiecode', gevonden \(fields.count) velden."
                )
            }
            var code = fields.count == 2 ? fields[1] : ""
            if !code.isEmpty { carriesCodes = true }
            if code.isEmpty {
                guard generatedCodesFile != nil else {
                    throw ValidationError(
                        "Regel \(record.line): de verificatiecode ontbreekt; vul hem in of laat koppelingctl codes maken met --generate-codes BESTAND."
                    )
                }
                guard case .success(let b) = Brin6.parse(fields[0]) else {
                    throw ValidationError("Regel \(record.line): '\(fields[0].masked)' is geen BRIN6.")
                }
                code = CodeGenerator.generate(for: b, length: 32)
                generated.append((b.value, code))
            }
            rows.append(.init(brin6: fields[0], verificationCode: code))
            lines.append(record.line)
        }
        if carriesCodes { SecretInput.warnIfOthersMayRead(schoolsFile, what: "verificatiecodes") }
        // Generated codes are written before the request, to a new file
        // only this user may read: once saved, the daemon keeps only their
        // hashes, so a code not written down first would be lost.
        if let file = generatedCodesFile, !generated.isEmpty {
            let text = "brin6;verificatiecode\n" + generated.map { "\($0.brin6);\($0.code)\n" }.joined()
            try OutputFile.write(text, to: file, mode: 0o600, exclusive: true)
        }
        let params = ActivateManyParams(
            koppeling: koppeling,
            name: name,
            agree: agree,
            termsVersion: termsVersion,
            startDate: startDate,
            endDate: endDate,
            schools: rows
        )
        let result: ActivateManyResult?
        do {
            result = try session.call(Methods.koppelingActivateMany, params, fileLines: lines)
        } catch let exit as ExitCode where exit.rawValue == CtlExit.refused {
            // Refused: nothing was saved, the codes in the file were never used.
            if let file = generatedCodesFile, !generated.isEmpty { unlink(file) }
            throw exit
        } catch {
            // The connection broke or the reply was unreadable: the request
            // may have been saved, and then these codes exist only here.
            if let file = generatedCodesFile, !generated.isEmpty {
                Output.error(
                    "of de scholen geactiveerd zijn is niet bekend; de gemaakte codes staan nog in \(file). Kijk met 'koppelingctl koppelingen' en bewaar het bestand tot dat duidelijk is."
                )
            }
            throw error
        }
        guard let r = result else { return }
        print("\(r.activations.count) scholen geactiveerd voor \(r.activations.first?.koppelingName ?? koppeling).")
        Output.table(
            ["School", "Startdatum", "Einddatum", "Verificatiecode"],
            r.activations.map { [$0.school, $0.startDate, $0.endDate ?? "geen", $0.verificationCode] }
        )
        if let file = generatedCodesFile, !generated.isEmpty {
            print("De \(generated.count) gemaakte codes staan in \(file) (alleen voor u leesbaar).")
            print("Geef elke school haar code voor TOP dossier en verwijder daarna het bestand.")
        }
        for w in r.warnings { Output.warning(w.message) }
    }
}
