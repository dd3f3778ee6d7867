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

struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "De catalogus van beschikbare koppelingen.",
        subcommands: [List.self, Show.self, Terms.self, Load.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Toon de beschikbare koppelingen."
        )
        @OptionGroup var global: GlobalOptions

        func run() throws {
            guard let r = try Session(global).call(Methods.catalogList) else { return }
            Output.table(
                ["Id", "Categorie", "Naam", "Prijs", "Voorwaarden"],
                r.entries.map { [$0.id, $0.category, $0.name, $0.price, $0.termsVersion] }
            )
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Toon de gegevens van een koppeling."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Id van de koppeling, bijv. topdossier-eckid.") var id: String

        func run() throws {
            guard let r = try Session(global).call(Methods.catalogGet, CatalogGetParams(id: id))
            else { return }
            let e = r.entry
            Output.fields([
                ("Naam", e.name), ("Id", e.id), ("Categorie", e.category), ("Omschrijving", e.description),
                ("Leverancier", e.supplier), ("Prijs", e.price),
                ("Doel", e.purpose.isEmpty ? "niet opgegeven" : e.purpose),
                ("Verwerkersovereenkomst", e.processorAgreement.map { "\($0.name), versie \($0.version)" } ?? "geen"),
                ("Gebruikersvoorwaarden", "versie \(r.terms.version) ('koppelingctl catalog terms \(e.id)')"),
                ("SHA-256", r.terms.sha256),
                ("Aanbevolen eerst", e.recommendedPrerequisite ?? "—"),
                ("ECKiD-import", Output.yesNo(e.carriesEckidImport)),
            ])
            print()
            Output.dataSet(e.dataSet)
        }
    }

    struct Terms: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "terms",
            abstract: "Toon de gebruikersvoorwaarden van een koppeling, of sla ze op."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Id van de koppeling.") var id: String
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Sla de voorwaarden op in dit bestand (gebruikersvoorwaarden downloaden).",
                valueName: "bestand"
            )
        )
        var output: String?

        func run() throws {
            guard let r = try Session(global).call(Methods.catalogGet, CatalogGetParams(id: id))
            else { return }
            if let output {
                // The file holds the text exactly as accepted: its SHA-256
                // is the one recorded with each activation.
                try OutputFile.write(r.terms.text, to: output, mode: 0o644, exclusive: false)
                print("Gebruikersvoorwaarden van \(r.entry.name), versie \(r.terms.version), opgeslagen in \(output).")
                print("SHA-256: \(r.terms.sha256) (controleer met 'sha256sum \(output)').")
                return
            }
            // The text carries its own title; the version is what it lacks.
            print(r.terms.text)
            print("\n(versie \(r.terms.version), SHA-256 \(r.terms.sha256))")
        }
    }

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "load",
            abstract: "Laad catalogusregels uit een JSON-bestand (toevoegen of bijwerken per id).",
            discussion:
                "Het bestand bevat een lijst van objecten, of {\"entries\": [...]}, met de velden id, category, name, description, supplier, price_cents (of null), terms_text, terms_version, recommended_prerequisite (of null), carries_eckid_import, data_set ({profile, fields: [{name, description}]}), purpose en processor_agreement ({name, version} of null). Een nieuwe tekst van de voorwaarden krijgt een nieuwe versie."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("JSON-bestand.", valueName: "bestand")) var file: String

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("Kan '\(file)' niet lezen.")
            }
            let entries: [CatalogEntry]
            do {
                if let list = try? JSONDecoder().decode([CatalogEntry].self, from: data) {
                    entries = list
                } else {
                    entries = try JSONDecoder().decode(CatalogLoadParams.self, from: data).entries
                }
            } catch {
                throw ValidationError("'\(file)' is geen geldige catalogus: \(error)")
            }
            guard
                let r = try Session(global).call(
                    Methods.catalogLoad,
                    CatalogLoadParams(entries: entries)
                )
            else { return }
            print("Catalogus bijgewerkt: \(r.added) toegevoegd, \(r.updated) bijgewerkt.")
            if r.termsOutdated > 0 {
                print(
                    "\(r.termsOutdated) actieve koppeling(en) hebben nu verouderde voorwaarden; ze blijven actief. "
                        + "Opnieuw akkoord: 'koppelingctl reaccept --school BRIN6 --koppeling ID --name NAAM --agree'."
                )
            }
        }
    }
}
