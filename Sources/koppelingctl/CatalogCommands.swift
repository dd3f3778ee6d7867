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
            guard let r = try Session(global).call(.catalogList, as: CatalogListResult.self) else { return }
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
            guard let r = try Session(global).call(.catalogGet, CatalogGetParams(id: id), as: CatalogGetResult.self)
            else { return }
            let e = r.entry
            Output.fields([
                ("Naam", e.name), ("Id", e.id), ("Categorie", e.category), ("Omschrijving", e.description),
                ("Leverancier", e.supplier), ("Prijs", e.price),
                ("Gebruikersvoorwaarden", "versie \(e.termsVersion) ('koppelingctl catalog terms \(e.id)')"),
                ("Aanbevolen eerst", e.recommendedPrerequisite ?? "—"),
                ("ECKiD-import", Output.yesNo(e.carriesEckidImport)),
            ])
        }
    }

    struct Terms: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "terms",
            abstract: "Toon de gebruikersvoorwaarden van een koppeling."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Id van de koppeling.") var id: String

        func run() throws {
            guard let r = try Session(global).call(.catalogGet, CatalogGetParams(id: id), as: CatalogGetResult.self)
            else { return }
            // The text carries its own title; the version is what it lacks.
            print(r.termsText)
            print("\n(versie \(r.entry.termsVersion))")
        }
    }

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "load",
            abstract: "Laad catalogusregels uit een JSON-bestand (toevoegen of bijwerken per id).",
            discussion:
                "Het bestand bevat een lijst van objecten, of {\"entries\": [...]}, met de velden id, category, name, description, supplier, price_cents (of null), terms_text, terms_version, recommended_prerequisite (of null) en carries_eckid_import."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "JSON-bestand.") var file: String

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
                    .catalogLoad,
                    CatalogLoadParams(entries: entries),
                    as: CatalogLoadResult.self
                )
            else { return }
            print("Catalogus bijgewerkt: \(r.added) toegevoegd, \(r.updated) bijgewerkt.")
        }
    }
}
