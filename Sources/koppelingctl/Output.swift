import ArgumentParser
import KoppelingClient
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

enum Output {
    static func error(_ message: String) {
        StandardStreams.writeError("koppelingctl: " + message + "\n")
    }

    static func warning(_ message: String) {
        StandardStreams.writeError("Let op: " + message + "\n")
    }

    /// A refusal: the Dutch message and each violated rule with its reason
    /// code, or with `--json` the error object with the daemon's code.
    static func refusal(_ error: RPCError, json: Bool) {
        if json {
            JSONError.report(refusal: error)
            return
        }
        if let violations = error.data?.violations, violations.count > 1 {
            self.error("geweigerd, \(violations.count) regels zijn niet nageleefd:")
            for v in violations {
                StandardStreams.writeError("  - \(v.message) [\(v.reason.rawValue)]\n")
            }
        } else {
            let reason = error.data.map { " [\($0.reason)]" } ?? ""
            self.error("geweigerd: \(error.message)\(reason)")
        }
    }

    /// No answer from the daemon (exit 3): what happened and what to do,
    /// or with `--json` both as the error object's message.
    static func noAnswer(_ failure: ClientError, hint: String?, json: Bool) -> ExitCode {
        if json {
            JSONError.report(
                failure.jsonReason,
                message: [failure.description, hint].compactMap { $0 }.joined(separator: " ")
            )
        } else {
            error(failure.description)
            if let hint { error(hint) }
        }
        return ExitCode(CtlExit.unreachable)
    }

    /// The refusal with each row's "Rij N: " said as the file's "Regel L: ".
    static func withFileLines(_ error: RPCError, _ lines: [Int]) -> RPCError {
        guard !lines.isEmpty, var data = error.data, let violations = data.violations else { return error }
        data.violations = violations.map { v in
            guard let row = v.row, lines.indices.contains(row - 1), v.message.hasPrefix("Rij \(row): ") else {
                return v
            }
            let message = "Regel \(lines[row - 1]): " + v.message.dropFirst("Rij \(row): ".count)
            return Violation(field: v.field, reason: v.reason, message: message, row: v.row)
        }
        var copy = error
        copy.data = data
        if data.violations?.count == 1, let only = data.violations?.first { copy.message = only.message }
        return copy
    }

    /// An aligned table; widths count characters, not bytes.
    static func table(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        for (n, row) in all.enumerated() {
            let cells = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }
            var line = cells.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            print(line)
            if n == 0 { print(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")) }
        }
    }

    /// Label–value lines, labels aligned.
    static func fields(_ pairs: [(String, String)]) {
        let width = pairs.map(\.0.count).max() ?? 0
        for (label, value) in pairs {
            print(label + ":" + String(repeating: " ", count: width - label.count + 1) + value)
        }
    }

    static func yesNo(_ b: Bool) -> String { b ? "ja" : "nee" }

    /// The data that leaves the LAS: the profile and each field.
    static func dataSet(_ d: DataSet) {
        print("Gegevensset: \(d.profile.isEmpty ? "niet opgegeven" : d.profile)")
        if !d.fields.isEmpty { table(["Veld", "Omschrijving"], d.fields.map { [$0.name, $0.description] }) }
    }

    /// An activation's terms as the lists show them.
    static func terms(_ a: ActivationRecord) -> String {
        "versie \(a.termsVersion)" + (a.termsOutdated ? " (verouderd: opnieuw akkoord nodig)" : "")
    }

    static func importState(_ s: EckidImportState) -> String {
        switch s {
        case .pending: "in afwachting"
        case .active: "actief"
        case .disabled: "uitgeschakeld"
        }
    }
}
