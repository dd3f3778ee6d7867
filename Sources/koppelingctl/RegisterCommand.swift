import ArgumentParser
import KoppelingCore
import KoppelingProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The processing register (verwerkingsregister) for the privacy officer.
struct RegisterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Het verwerkingsregister van de koppelingen (AVG).",
        subcommands: [Export.self, Changes.self, ControllerCommand.self]
    )

    struct Export: ParsableCommand {
        enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json, markdown }

        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract:
                "Exporteer het verwerkingsregister: per activering welke gegevens naar wie gaan, waarvoor en onder welke voorwaarden.",
            discussion:
                "CSV opent als kolommen in Nederlandse spreadsheetprogramma's (scheidingsteken ';', UTF-8 met BOM); "
                + "elke waarde blijft zoals ze is (een versie 2024.10 blijft 2024.10). Tijden staan in de tijdzone van "
                + "de daemon, zoals de datums. Wat ontbreekt voor het register (AVG artikel 30) heet ONTBREEKT."
        )
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: ArgumentHelp("Alleen deze school (BRIN6).", valueName: "brin6")) var school: String?
        @Flag(name: .customLong("include-ended"), help: "Ook beëindigde koppelingen.") var includeEnded = false
        @Option(name: .long, help: ArgumentHelp("Het formaat van de export.", valueName: "formaat")) var format:
            Format = .csv
        @Option(
            name: .long,
            help: ArgumentHelp("Schrijf naar dit bestand in plaats van naar het scherm.", valueName: "bestand")
        ) var output: String?

        func run() throws {
            let params = RegisterExportParams(brin6: school, includeEnded: includeEnded)
            guard let r = try Session(global).call(Methods.registerExport, params) else {
                return
            }
            let text: String
            switch format {
            case .csv: text = ProcessingRegisterFormat(r).csv()
            case .markdown: text = ProcessingRegisterFormat(r).markdown()
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                text = String(decoding: try encoder.encode(r), as: UTF8.self) + "\n"
            }
            if let output {
                try OutputFile.write(text, to: output, mode: 0o640, exclusive: false)
                print("Verwerkingsregister (\(r.rows.count) regels, \(format.rawValue)) opgeslagen in \(output).")
            } else {
                print(text, terminator: "")
            }
        }
    }
}
