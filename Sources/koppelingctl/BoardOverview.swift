import KoppelingCore
import KoppelingProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `koppelingctl koppelingen` without `--school`: a bestuur's view of all
/// its schools in one table, from the register's own answers (the schools,
/// the processing register's active rows, the ECKiD imports, today).
enum BoardOverview {
    struct Row: Codable {
        var brin6: String
        var name: String
        var koppelingen: [String]
        var pendingImport: String?
        var termsOutdated: [String]
        var endingSoon: [String]

        enum CodingKeys: String, CodingKey {
            case brin6, name, koppelingen
            case pendingImport = "pending_import"
            case termsOutdated = "terms_outdated"
            case endingSoon = "ending_soon"
        }
    }

    static func rows(_ session: Session) throws -> [Row] {
        let schools = try session.lookup(Methods.schoolList, NoParams()).schools
        let register = try session.lookup(
            Methods.registerExport,
            RegisterExportParams(brin6: nil, includeEnded: false)
        )
        let imports = try session.lookup(Methods.eckidStatus, EckidStatusParams(brin6: nil))
        let status = try session.lookup(Methods.status, NoParams())
        let ending = Set(status.endingSoon.map { "\($0.school)/\($0.koppeling)" })
        let bySchool = Dictionary(grouping: register.rows, by: \.brin6)
        let pending = Dictionary(
            imports.imports.filter { $0.state == .pending }.map { ($0.school, $0.activeFrom) },
            uniquingKeysWith: { a, _ in a }
        )
        return schools.map { school in
            let active = bySchool[school.brin6] ?? []
            return Row(
                brin6: school.brin6,
                name: school.name,
                koppelingen: active.map(\.koppelingName),
                pendingImport: pending[school.brin6],
                termsOutdated: active.filter(\.termsOutdated).map(\.koppelingName),
                endingSoon: active.filter { ending.contains("\($0.brin6)/\($0.koppeling)") }.map {
                    "\($0.koppelingName) (\($0.endDate ?? ""))"
                }
            )
        }
    }

    static func show(_ session: Session, json: Bool) throws {
        let rows = try rows(session)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(["schools": rows]), as: UTF8.self))
            return
        }
        if rows.isEmpty {
            print("Nog geen scholen geregistreerd ('koppelingctl school add').")
            return
        }
        Output.table(
            [
                "School", "Naam", "Actieve koppelingen", "ECKiD-import", "Verouderde voorwaarden",
                "Eindigt binnen 30 dagen",
            ],
            rows.map {
                [
                    $0.brin6, $0.name, $0.koppelingen.isEmpty ? "—" : $0.koppelingen.joined(separator: ", "),
                    $0.pendingImport.map { "wacht, actief vanaf \($0)" } ?? "—",
                    $0.termsOutdated.isEmpty ? "—" : $0.termsOutdated.joined(separator: ", "),
                    $0.endingSoon.isEmpty ? "—" : $0.endingSoon.joined(separator: ", "),
                ]
            }
        )
        let outdated = rows.reduce(0) { $0 + $1.termsOutdated.count }
        print("")
        print(
            "\(rows.count) scholen, \(rows.reduce(0) { $0 + $1.koppelingen.count }) actieve koppelingen"
                + (outdated > 0 ? ", \(outdated) met verouderde voorwaarden ('koppelingctl reaccept')." : ".")
        )
    }
}
