import Foundation
import Testing

/// The processing register's CSV opened in a real spreadsheet program
/// (LibreOffice Calc, headless): every cell reads back as written — a terms
/// version `2024.10`, a BRIN6 with leading digits, dates and times, a name
/// that starts like a formula — in a Dutch and an English locale. Needs
/// Debian's `libreoffice-calc-nogui` (CI installs it).
@Suite(
    "The register's CSV in a spreadsheet",
    .serialized,
    .enabled(if: LibreOffice.path != nil, "LibreOffice (libreoffice-calc-nogui) is not installed"),
    .secretCanary
)
struct SpreadsheetRoundTripTests {
    @Test("every cell of the export reads back as written, in nl-NL and en-US", arguments: [1043, 1033])
    func everyCellReadsBack(language: Int) throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let ctl = Ctl(socketPath: daemon.socketPath)
        let dir = daemon.directory.path

        // What a spreadsheet would change: digits first, a version that is
        // a number, a name that is a formula, a `;` and a quote inside.
        try FlowTests.ctl(ctl, ["school", "add", "01AB23", "=HYPERLINK(\"https://x.example\";\"klik\")"])
        try FlowTests.ctl(ctl, ["school", "add", "21QW00", "+31 OBS \"De Regenboog\"; Noord"])
        try FlowTests.ctl(ctl, ["school", "add", "21QW01", "--", "-1"])
        try FlowTests.ctl(
            ctl,
            [
                "register", "controller", "set", "--name", "@Stichting 2024", "--number", "01234",
                "--address", "1e Straat 1", "--contact", "030-1234567", "--fg-name", "TRUE", "--fg-email",
                "fg@x.nl",
            ]
        )
        let catalog = dir + "/catalogus.json"
        try Data(Self.catalogue.utf8).write(to: URL(fileURLWithPath: catalog))
        try FlowTests.ctl(ctl, ["catalog", "load", catalog])
        for school in ["01AB23", "21QW00", "21QW01"] {
            try FlowTests.ctl(
                ctl,
                [
                    "activate", "--school", school, "--koppeling", "versie-tien", "--name", "0,5 fte", "--agree",
                    "--end-date", "2099-07-31", "--code-stdin",
                ],
                stdin: E2E.code(for: school, length: 24) + "\n"
            )
        }
        let csv = dir + "/register.csv"
        try FlowTests.ctl(ctl, ["register", "export", "--format", "csv", "--output", csv])

        let written = try Self.rows(ofExport: csv)
        let read = try LibreOffice.roundTrip(csv: csv, language: language, in: dir)
        #expect(written.count == 4 && read.count == written.count, "rows: \(written.count) written, \(read.count) read")
        for (i, (w, r)) in zip(written, read).enumerated() {
            #expect(r == w, "row \(i + 1) differs:\n\(Self.differences(w, r).joined(separator: "\n"))")
        }
        // The values that spreadsheets like to change are among them.
        let cells = written.flatMap { $0 }
        for needle in ["2024.10", "01AB23", "2099-07-31", "=HYPERLINK(\"https://x.example\";\"klik\")", "-1", "TRUE"] {
            #expect(cells.contains(needle), "\(needle) is not a cell of the export")
        }
    }

    /// A catalogue entry whose terms version a spreadsheet reads as 2024.1.
    static let catalogue = #"""
        [{"id":"versie-tien","category":"Test","name":"Versie tien","description":"Een test.",
          "supplier":"0800 Leverancier","price_cents":null,"terms_text":"Voorwaarden.","terms_version":"2024.10",
          "recommended_prerequisite":null,"carries_eckid_import":false,
          "data_set":{"profile":"UWLR 2.2","fields":[{"name":"leerling_key","description":"Sleutel","data_subjects":["leerling"]}]},
          "purpose":"=1+1","processor_agreement":{"name":"Model","version":"4.0"},
          "legal_basis":"6.1.e","retention":"1 jaar","recipients":"-","transfers":"+EER","security":"12%"}]
        """#

    /// The cells of the export as koppelingctl wrote them, with each text
    /// constant (`="…"&"…"`) read as the text it holds.
    static func rows(ofExport path: String) throws -> [[String]] {
        var text = try String(contentsOfFile: path, encoding: .utf8)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return CSV.parse(text).map { $0.map(textConstant) }
    }

    /// `="a""b"&"c"` → `a"bc`; anything else as it is.
    static func textConstant(_ cell: String) -> String {
        guard cell.hasPrefix("=\"") else { return cell }
        var out = ""
        var chars = Array(cell.dropFirst())
        while !chars.isEmpty {
            guard chars.first == "\"" else { return cell }
            chars.removeFirst()
            while let c = chars.first {
                chars.removeFirst()
                if c == "\"" {
                    if chars.first == "\"" {
                        out.append("\"")
                        chars.removeFirst()
                    } else {
                        break
                    }
                } else {
                    out.append(c)
                }
            }
            if chars.first == "&" { chars.removeFirst() } else if !chars.isEmpty { return cell }
        }
        return out
    }

    static func differences(_ a: [String], _ b: [String]) -> [String] {
        (0..<max(a.count, b.count)).compactMap { i in
            let x = i < a.count ? a[i] : "(none)"
            let y = i < b.count ? b[i] : "(none)"
            return x == y ? nil : "  column \(i + 1): written \(x.debugDescription), read \(y.debugDescription)"
        }
    }
}

/// RFC 4180 with `;`: quoted fields, doubled quotes, CRLF or LF.
enum CSV {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" {
                        field.unicodeScalars.append("\"")
                        chars.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == ";" {
                row.append(field)
                field = ""
            } else if c == "\r" || c == "\n" {
                if c == "\r", chars.first == "\n" { chars.removeFirst() }
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}

/// LibreOffice's headless converter: the CSV opened as Calc opens it (`;`,
/// UTF-8, the language's number and date rules), saved as a spreadsheet,
/// and the spreadsheet's cells written out again as they are shown.
enum LibreOffice {
    static let path: String? = ["/usr/bin/soffice", "/usr/bin/libreoffice", "/usr/lib/libreoffice/program/soffice"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static func roundTrip(csv: String, language: Int, in dir: String) throws -> [[String]] {
        let profile = "file://" + dir + "/lo-profile"
        let ods = dir + "/ods"
        let back = dir + "/back"
        try convert(
            ["--infilter=CSV:59,34,76,1,,\(language)", "--convert-to", "ods", "--outdir", ods, csv],
            profile: profile
        )
        let name = URL(fileURLWithPath: csv).deletingPathExtension().lastPathComponent
        // Export options: `;`, `"`, UTF-8, from line 1, the language, quote
        // every text cell, detect nothing, cell contents as shown.
        try convert(
            [
                "--convert-to", "csv:Text - txt - csv (StarCalc):59,34,76,1,,\(language),true,false,true",
                "--outdir", back, ods + "/" + name + ".ods",
            ],
            profile: profile
        )
        var text = try String(contentsOfFile: back + "/" + name + ".csv", encoding: .utf8)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return CSV.parse(text)
    }

    static func convert(_ arguments: [String], profile: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path!)
        p.arguments = ["-env:UserInstallation=" + profile, "--headless", "--norestore"] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let log = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.reap()
        try #require(p.terminationStatus == 0, "soffice \(arguments.joined(separator: " ")):\n\(log)")
    }
}
