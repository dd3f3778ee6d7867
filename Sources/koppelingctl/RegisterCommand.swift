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
        subcommands: [Export.self]
    )

    struct Export: ParsableCommand {
        enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json, markdown }

        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract:
                "Exporteer het verwerkingsregister: per activering welke gegevens naar wie gaan, waarvoor en onder welke voorwaarden.",
            discussion:
                "CSV opent als kolommen in Nederlandse spreadsheetprogramma's (scheidingsteken ';', UTF-8 met BOM). Tijden zijn in UTC."
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
            case .csv: text = ProcessingRegisterFormat.csv(r)
            case .markdown: text = ProcessingRegisterFormat.markdown(r)
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

/// The register's rows as files: CSV for spreadsheets, Markdown for a
/// document.
enum ProcessingRegisterFormat {
    static let header = [
        "BRIN6", "School", "Koppeling-id", "Koppeling", "Categorie", "Leverancier", "Doel", "Gegevensset",
        "Velden", "Verwerkersovereenkomst", "Geactiveerd op (UTC)", "Akkoord gegeven door", "Gebruiker",
        "Startdatum", "Einddatum", "Actief", "Beëindigd op (UTC)", "Beëindigd door", "Reden beëindiging",
        "Voorwaarden versie", "Voorwaarden SHA-256", "Laatste akkoord op (UTC)", "Laatste akkoord door",
        "Voorwaarden verouderd",
    ]

    static func cells(_ r: ProcessingRecord) -> [String] {
        [
            r.brin6, r.schoolName ?? "(verwijderd)", r.koppeling, r.koppelingName, r.category, r.supplier, r.purpose,
            r.dataSet.profile, r.dataSet.fields.map(\.name).joined(separator: ", "),
            r.processorAgreement.map { "\($0.name) \($0.version)" } ?? "geen", r.activatedAt, r.activatedByName,
            r.activatedBy, r.startDate, r.endDate ?? "", r.active ? "ja" : "nee", r.endedAt ?? "", r.endedBy ?? "",
            r.endReason ?? "", r.termsVersion, r.termsSha256 ?? "onbekend", r.termsAcceptedAt, r.termsAcceptedByName,
            r.termsOutdated ? "ja" : "nee",
        ]
    }

    /// `;`-separated, UTF-8 with a BOM and CRLF line ends, as Excel opens it.
    static func csv(_ result: RegisterExportResult) -> String {
        var out = "\u{FEFF}"
        for row in [header] + result.rows.map(cells) {
            out += row.map(csvCell).joined(separator: ";") + "\r\n"
        }
        return out
    }

    /// A cell quoted when it must be. A cell that a spreadsheet would take
    /// for a formula (`=`, `+`, `-`, `@`, a tab or a carriage return first)
    /// gets a leading `'`: a school name must not run as a formula on the
    /// privacy officer's computer.
    static func csvCell(_ value: String) -> String {
        var v = value
        if let first = v.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { v = "'" + v }
        // By scalar: in Swift "\r\n" is one Character, equal to neither.
        guard v.unicodeScalars.contains(where: { ";\",\n\r".unicodeScalars.contains($0) }) else {
            return v
        }
        return "\"" + v.replacing("\"", with: "\"\"") + "\""
    }

    static func markdown(_ result: RegisterExportResult) -> String {
        var out = "# Verwerkingsregister koppelingen\n\n"
        out +=
            "Geëxporteerd op \(result.exportedAt) (UTC); datums in \(result.timeZone). \(result.rows.count) activering(en).\n"
        var school: String?
        for r in result.rows {
            if r.brin6 != school {
                school = r.brin6
                out += "\n## \(r.brin6) \(r.schoolName ?? "(verwijderd)")\n"
            }
            out += "\n### \(r.koppelingName) (\(r.koppeling))\(r.active ? "" : " — beëindigd")\n\n"
            var lines: [(String, String)] = [
                ("Categorie", r.category), ("Leverancier", r.supplier), ("Doel", r.purpose),
                (
                    "Gegevensset",
                    r.dataSet.profile
                        + (r.dataSet.fields.isEmpty
                            ? "" : ": " + r.dataSet.fields.map(\.name).joined(separator: ", "))
                ),
                ("Verwerkersovereenkomst", r.processorAgreement.map { "\($0.name), versie \($0.version)" } ?? "geen"),
                ("Geactiveerd", "\(r.activatedAt) door \(r.activatedByName) (gebruiker \(r.activatedBy))"),
                ("Periode", "\(r.startDate) tot en met \(r.endDate ?? "(geen einddatum)")"),
                (
                    "Voorwaarden",
                    "versie \(r.termsVersion), SHA-256 \(r.termsSha256 ?? "onbekend"); laatste akkoord \(r.termsAcceptedAt) door \(r.termsAcceptedByName)"
                        + (r.termsOutdated ? " — **verouderd: opnieuw akkoord nodig**" : "")
                ),
            ]
            if let endedAt = r.endedAt {
                lines.append(
                    ("Beëindigd", "\(endedAt) door \(r.endedBy ?? "?")" + (r.endReason.map { " (\($0))" } ?? ""))
                )
            }
            for (label, value) in lines { out += "- **\(label):** \(value)\n" }
        }
        return out
    }
}
