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

struct SchoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "school",
        abstract: "Registreer en beheer scholen (vestigingen).",
        subcommands: [Add.self, List.self, Show.self, Remove.self, Import.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Registreer een school: BRIN6 (bijv. 21QW00) en naam."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "BRIN + vestigingsnummer, bijv. 21QW00.") var brin6: String
        @Argument(help: ArgumentHelp("Naam van de school.", valueName: "naam")) var name: String

        func run() throws {
            guard
                let r = try Session(global).call(
                    Methods.schoolAdd,
                    SchoolAddParams(brin6: brin6, name: name)
                )
            else { return }
            print("School \(r.school.brin6) (\(r.school.name)) is geregistreerd.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Toon alle geregistreerde scholen."
        )
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let session = try Session(global)
            guard let r = try session.call(Methods.schoolList) else { return }
            if r.schools.isEmpty {
                print("Er zijn nog geen scholen geregistreerd. Gebruik 'koppelingctl school add'.")
                return
            }
            let times = try LocalTimes(session)
            Output.table(
                ["BRIN6", "Naam", "Geregistreerd"],
                r.schools.map { [$0.brin6, $0.name, times.format($0.createdAt)] }
            )
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Toon een school met haar koppelingen."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "BRIN6 van de school.") var brin6: String

        func run() throws {
            let session = try Session(global)
            guard let r = try session.call(Methods.schoolGet, Brin6Params(brin6: brin6))
            else { return }
            let times = try LocalTimes(session)
            Output.fields([
                ("School", "\(r.school.brin6) \(r.school.name)"), ("Geregistreerd", times.format(r.school.createdAt)),
            ])
            print("")
            if r.activations.isEmpty {
                print("Geen koppelingen geactiveerd.")
            } else {
                Output.table(
                    [
                        "Koppeling", "Status", "Startdatum", "Einddatum", "Voorwaarden", "Uw naam", "Gebruiker",
                        "Verificatiecode",
                    ],
                    r.activations.map {
                        [
                            $0.koppelingName,
                            $0.active ? "actief" : "beëindigd \(times.format($0.deactivatedAt) ?? "")",
                            $0.startDate, $0.endDate ?? "—", $0.active ? Output.terms($0) : "versie \($0.termsVersion)",
                            $0.acceptedByName, $0.user, $0.verificationCode,
                        ]
                    }
                )
            }
            if let i = r.eckidImport {
                print("")
                print("ECKiD-import: \(Output.importState(i.state)), actief vanaf \(i.activeFrom)")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Verwijder een school (niet zolang er koppelingen actief zijn)."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "BRIN6 van de school.") var brin6: String

        func run() throws {
            guard let r = try Session(global).call(Methods.schoolRemove, Brin6Params(brin6: brin6))
            else { return }
            print("School \(r.school.brin6) (\(r.school.name)) is verwijderd.")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Registreer scholen uit een CSV-bestand met regels 'brin6,naam' (alles of niets).",
            discussion:
                "Een kopregel 'brin6,name' of 'brin6,naam' wordt overgeslagen. Een naam met een komma staat tussen dubbele aanhalingstekens."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("CSV-bestand, of - voor standaardinvoer.", valueName: "bestand")) var file: String

        func run() throws {
            let data: Data
            if file == "-" {
                data = Data(StandardStreams.readAllInput())
            } else {
                guard let d = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("Kan '\(file)' niet lezen.")
                }
                data = d
            }
            let rows = try CSV.schoolRows(try CSV.text(data, file: file))
            guard
                let r = try Session(global).call(
                    Methods.schoolImport,
                    SchoolImportParams(schools: rows.map(\.row)),
                    fileLines: rows.map(\.line)
                )
            else { return }
            print("\(r.imported) scholen geregistreerd.")
        }
    }
}

/// The small CSV dialect of the files koppelingctl reads (`school import`,
/// `activate --schools-file`): `;` (what Dutch spreadsheet programs write)
/// or `,`, detected from the first line; optional double quotes (with ""
/// for a quote); a UTF-8 byte order mark and Windows line ends ignored.
enum CSV {
    /// The file as text. Dutch Excel's plain "CSV" is Windows-1252, which
    /// read as UTF-8 would put U+FFFD in school names: refused, saying how
    /// to save it.
    static func text(_ data: Data, file: String) throws -> String {
        guard let text = String(validating: Array(data), as: UTF8.self) else {
            throw ValidationError(
                "'\(file)' is geen UTF-8-tekst. Sla het in Excel op als 'CSV UTF-8 (door komma's gescheiden)' en probeer het opnieuw."
            )
        }
        return text
    }

    /// The non-empty lines, each with its line number in the file.
    static func records(_ text: String) throws -> [(line: Int, fields: [String])] {
        var text = Substring(text)
        if text.unicodeScalars.first == "\u{FEFF}" { text = text.dropFirst() }
        let lines = text.replacing("\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        let first = lines.first { !$0.trimmedSpaces.isEmpty } ?? ""
        let separator: Character = first.contains(";") ? ";" : ","
        var out: [(Int, [String])] = []
        for (n, line) in lines.enumerated() where !line.trimmedSpaces.isEmpty {
            out.append((n + 1, try split(String(line), lineNumber: n + 1, separator: separator)))
        }
        return out
    }

    /// The rows, each with its line in the file.
    static func schoolRows(_ text: String) throws -> [(line: Int, row: SchoolImportParams.Row)] {
        var rows: [(line: Int, row: SchoolImportParams.Row)] = []
        for (index, record) in try records(text).enumerated() {
            let fields = record.fields
            guard fields.count == 2 else {
                throw ValidationError(
                    "Regel \(record.line): verwacht twee velden 'brin6;naam', gevonden \(fields.count)."
                )
            }
            if index == 0, fields[0].lowercased() == "brin6", ["name", "naam"].contains(fields[1].lowercased()) {
                continue
            }
            rows.append((record.line, .init(brin6: fields[0], name: fields[1])))
        }
        return rows
    }

    static func split(_ line: String, lineNumber: Int, separator: Character) throws -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var chars = line.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? chars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = chars.next() {
                        if next == "\"" {
                            current.append("\"")
                        } else {
                            quoted = false
                            pending = next
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(c)
                }
            } else if c == "\"" && current.trimmedSpaces.isEmpty {
                quoted = true
                current = ""
            } else if c == separator {
                fields.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        if quoted { throw ValidationError("Regel \(lineNumber): aanhalingsteken niet gesloten.") }
        fields.append(current)
        return fields
    }
}
