import Foundation
import Testing

/// Consent tied to what was shown, through the built `koppelingctl` and the
/// raw socket: the data set, terms with their hash, terms that changed in
/// between, new terms and reaccepting, end dates, a board's many schools,
/// the processing register, and text that must not act on a terminal.
@Suite("Consent, terms and the processing register", .secretCanary)
struct ConsentFlowTests {
    static func sqlite(_ path: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [path, sql]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.reap()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func request(_ method: String, _ params: [String: Any]) throws -> String {
        String(
            decoding: try JSONSerialization.data(withJSONObject: [
                "jsonrpc": "2.0", "id": 1, "method": method, "params": params,
            ]),
            as: UTF8.self
        )
    }

    /// The shipped `topdossier` entry as `catalog.load` takes it, with other terms.
    static func entry(_ daemon: DaemonProcess, version: String, text: String) throws -> [String: Any] {
        let got = try daemon.rawCall(try Self.request("catalog.get", ["id": "topdossier"]))
        var entry = try #require((got["result"] as? [String: Any])?["entry"] as? [String: Any])
        for key in ["price", "terms_version"] { entry[key] = nil }
        entry["terms_version"] = version
        entry["terms_text"] = text
        return entry
    }

    @Test("terms shown, changed in between, new terms and reaccepting, end dates, weak codes")
    func consentFlow() throws {
        let daemon = try DaemonProcess()
        let ctl = Ctl(socketPath: daemon.socketPath)
        try FlowTests.ctl(ctl, ["school", "add", "21QW00", "OBS De Regenboog"])

        // What a school must know before it agrees.
        var r = try FlowTests.ctl(ctl, ["catalog", "show", "topdossier-eckid"])
        for needle in ["UWLR Leerlinggegevens – Smalle set", "eck_id", "leerlingnummer", "Privacyconvenant", "SHA-256"]
        {
            #expect(r.stdout.contains(needle), "\(needle):\n\(r.stdout)")
        }
        r = try FlowTests.ctl(ctl, ["koppelingen", "--school", "21QW00"])
        #expect(r.stdout.contains("eck_id"), "\(r.stdout)")

        // The terms downloaded are the text whose hash is recorded.
        let saved = daemon.directory.path + "/voorwaarden.txt"
        r = try FlowTests.ctl(ctl, ["catalog", "terms", "topdossier", "--output", saved])
        let got = try daemon.rawCall(try Self.request("catalog.get", ["id": "topdossier"]))
        let terms = try #require((got["result"] as? [String: Any])?["terms"] as? [String: Any])
        let sha = try #require(terms["sha256"] as? String)
        #expect(try String(contentsOfFile: saved, encoding: .utf8) == terms["text"] as? String)
        #expect(r.stdout.contains(sha))
        let sum = Process()
        sum.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sum.arguments = [saved]
        let out = Pipe()
        sum.standardOutput = out
        try sum.run()
        sum.reap()
        #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).hasPrefix(sha))

        // Someone loads new terms between reading and agreeing: refused.
        let v2 = try Self.entry(daemon, version: "2025.1", text: "Voorwaarden 2025.1\n\n1. Nieuw.")
        #expect(try daemon.rawCall(try Self.request("catalog.load", ["entries": [v2]]))["result"] != nil)
        let code = "21QW00Xk3mP9qR7sT2vW5yZ8"
        var reply = try daemon.rawCall(
            try Self.request(
                "koppeling.activate",
                [
                    "brin6": "21QW00", "koppeling": "topdossier", "name": "Jan", "agree": true,
                    "terms_version": "2024.1", "verification_code": code,
                ]
            )
        )
        #expect(E2E.errorCode(reply) == -32003 && E2E.errorReason(reply) == "terms_changed", "\(reply)")
        #expect(
            ((reply["error"] as? [String: Any])?["data"] as? [String: Any])?["current_version"] as? String == "2025.1"
        )
        #expect(!(try JSONSerialization.data(withJSONObject: reply)).containsText(code))

        // koppelingctl sends the version it showed; an end date before the start is refused.
        r = try FlowTests.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan", "--agree",
                "--start-date", E2E.tomorrow(), "--end-date", "2026-01-01", "--code-stdin",
            ],
            stdin: code + "\n",
            expect: 1
        )
        #expect(r.stderr.contains("[end_date_before_start]"), "\(r.transcript)")
        r = try FlowTests.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan", "--agree",
                "--end-date", "2099-07-31", "--code-stdin",
            ],
            stdin: code + "\n"
        )
        #expect(r.stdout.contains("versie 2025.1") && r.stdout.contains("2099-07-31"), "\(r.transcript)")
        #expect(!r.stderr.contains("zwak"), "a strong code gets no warning: \(r.transcript)")

        // A weak code is accepted with a warning.
        r = try FlowTests.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier-eckid", "--name", "Jan", "--agree",
                "--code-stdin",
            ],
            stdin: "21QW00aaaaaaaaaaaaaaaaaaaa\n"
        )
        #expect(r.stderr.contains("zwak"), "\(r.transcript)")

        // Another text under a known version: refused; the register is unchanged.
        let changed = try Self.entry(daemon, version: "2025.1", text: "Totally different terms")
        reply = try daemon.rawCall(try Self.request("catalog.load", ["entries": [changed]]))
        #expect(E2E.violationReasons(reply) == ["terms_text_changed"], "\(reply)")

        // New terms: the activation is outdated, stays active, and is accepted again.
        let v3 = try Self.entry(daemon, version: "2026.1", text: "Voorwaarden 2026.1\n\n1. Nieuwer.")
        reply = try daemon.rawCall(try Self.request("catalog.load", ["entries": [v3]]))
        #expect((reply["result"] as? [String: Any])?["terms_outdated"] as? Int == 1, "\(reply)")
        r = try FlowTests.ctl(ctl, ["status", "--json"])
        #expect((r.json?["counts"] as? [String: Any])?["terms_outdated"] as? Int == 1, "\(r.stdout)")
        #expect((r.json?["ending_soon"] as? [Any])?.isEmpty == true)
        r = try FlowTests.ctl(ctl, ["koppelingen", "--school", "21QW00"])
        #expect(r.stdout.contains("verouderd"), "\(r.stdout)")
        r = try FlowTests.ctl(
            ctl,
            ["reaccept", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Piet", "--agree"]
        )
        #expect(r.stdout.contains("versie 2026.1"), "\(r.transcript)")
        r = try FlowTests.ctl(
            ctl,
            ["reaccept", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Piet", "--agree"],
            expect: 1
        )
        #expect(r.stderr.contains("[terms_already_accepted]"), "\(r.transcript)")
        r = try FlowTests.ctl(
            ctl,
            ["reaccept", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Piet"],
            expect: 1
        )
        #expect(r.stderr.contains("[agreement_required]"), "\(r.transcript)")
        reply = try daemon.rawCall(try Self.request("status", [:]))
        #expect(((reply["result"] as? [String: Any])?["counts"] as? [String: Any])?["terms_outdated"] as? Int == 0)
    }

    @Test("no text from the daemon acts on the terminal")
    func controlCharacters() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "sqlite3 is not installed")
        let daemon = try DaemonProcess()
        let ctl = Ctl(socketPath: daemon.socketPath)
        try FlowTests.ctl(ctl, ["school", "add", "21QW00", "OBS De Regenboog"])
        let entry = try Self.entry(daemon, version: "2025.1", text: "\u{1B}[2J\u{1B}[1;1HGELUKT")
        let file = daemon.directory.path + "/catalogus.json"
        try JSONSerialization.data(withJSONObject: [entry]).write(to: URL(fileURLWithPath: file))
        var r = try FlowTests.ctl(ctl, ["catalog", "load", file], expect: 1)
        #expect(r.stderr.contains("[control_character]"), "\(r.transcript)")

        // A register written by another program may hold one: shown, not sent.
        _ = try Self.sqlite(
            daemon.databasePath,
            "UPDATE catalog_entry SET terms_text = 'Voorwaarden' || char(27) || '[2J' || char(13) || 'GELUKT' WHERE id = 'topdossier'; UPDATE school SET name = 'OBS ' || char(27) || '[31mRood' WHERE brin6 = '21QW00';"
        )
        for arguments in [
            ["catalog", "terms", "topdossier"], ["school", "list"], ["koppelingen", "--school", "21QW00"],
        ] {
            r = try FlowTests.ctl(ctl, arguments)
            #expect(
                !r.stdout.contains("\u{1B}") && !r.stdout.contains("\r"),
                "\(arguments): \(r.stdout.debugDescription)"
            )
        }
        r = try FlowTests.ctl(ctl, ["catalog", "terms", "topdossier"])
        #expect(r.stdout.contains("Voorwaarden<U+001B>[2J<U+000D>GELUKT"), "\(r.stdout.debugDescription)")
        r = try FlowTests.ctl(ctl, ["school", "list", "--json"])
        #expect(!r.stdout.contains("\u{1B}"), "JSON escapes it: \(r.stdout.debugDescription)")
    }

    @Test("a bestuur activates many schools from a spreadsheet, all or nothing; the processing register exports")
    func boardAndRegister() throws {
        let daemon = try DaemonProcess()
        let ctl = Ctl(socketPath: daemon.socketPath)
        for (school, name) in [
            ("21QW00", "OBS De Regenboog"), ("21QW01", "=HYPERLINK(\"x\")"), ("21QW02", "CBS Het Anker; Noord"),
        ] {
            try FlowTests.ctl(ctl, ["school", "add", school, name])
        }
        func count() throws -> Int {
            let r = try daemon.rawCall(try Self.request("register.export", ["include_ended": true]))
            return ((r["result"] as? [String: Any])?["rows"] as? [Any])?.count ?? -1
        }
        // A bad row: nothing is saved, and the generated codes are not kept.
        let bad = daemon.directory.path + "/fout.csv"
        try "brin6;code\r\n21QW00;\r\n21qw00;\r\n99ZZ99;\r\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let codes = daemon.directory.path + "/codes.csv"
        var r = try FlowTests.ctl(
            ctl,
            [
                "activate", "--koppeling", "topdossier", "--name", "Bestuurder", "--agree", "--schools-file", bad,
                "--generate-codes", codes,
            ],
            expect: 1
        )
        // Every bad row at once: a row's own rules and the register's.
        // Lines of the file, as the administrator sees it: the header is line 1.
        #expect(
            r.stderr.contains("Regel 3: 21QW00 staat al eerder in de lijst")
                && r.stderr.contains("[duplicate_in_batch]"),
            "\(r.transcript)"
        )
        #expect(
            r.stderr.contains("Regel 4: school 99ZZ99") && r.stderr.contains("[school_not_found]"),
            "\(r.transcript)"
        )
        #expect(!r.stderr.contains("Rij "), "\(r.transcript)")
        #expect(try count() == 0)
        #expect(!FileManager.default.fileExists(atPath: codes), "unused codes are removed")

        // BOM, CRLF, ';', a header; one code given, two generated.
        let given = "21QW01Ab3dEf5gH7jK9mN2pQ"
        let list = daemon.directory.path + "/scholen.csv"
        try "\u{FEFF}brin6;verificatiecode\r\n21QW00;\r\n21qw01;\(given)\r\n21QW02\r\n".write(
            toFile: list,
            atomically: true,
            encoding: .utf8
        )
        r = try FlowTests.ctl(
            ctl,
            [
                "activate", "--koppeling", "topdossier", "--name", "Bestuurder", "--agree", "--schools-file", list,
                "--generate-codes", codes, "--end-date", "2099-07-31",
            ]
        )
        #expect(r.stdout.contains("3 scholen geactiveerd"), "\(r.transcript)")
        #expect(E2E.mode(codes) == 0o600)
        let written = try String(contentsOfFile: codes, encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(written.map { $0.prefix(7) } == ["21QW00;", "21QW02;"])
        #expect(!r.stdout.contains(String(written.first?.dropFirst(7) ?? "?")), "codes are not printed")
        #expect(try count() == 3)
        // Once is once: the same list again is refused whole.
        r = try FlowTests.ctl(
            ctl,
            [
                "activate", "--koppeling", "topdossier", "--name", "Bestuurder", "--agree", "--schools-file", list,
                "--generate-codes", codes + ".2",
            ],
            expect: 1
        )
        #expect(r.stderr.contains("[already_active]"), "\(r.transcript)")

        // The register as Dutch spreadsheets open it.
        let csv = daemon.directory.path + "/register.csv"
        r = try FlowTests.ctl(ctl, ["register", "export", "--format", "csv", "--output", csv])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: csv))
        #expect(bytes.prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        let lines = String(decoding: bytes.dropFirst(3), as: UTF8.self).components(separatedBy: "\r\n").filter {
            !$0.isEmpty
        }
        #expect(lines.count == 4)
        #expect(lines.first?.hasPrefix("BRIN6;School;") == true)
        // A BRIN6 starts with digits and a name with `=`: both are text
        // constants, shown as written and never run (SpreadsheetCell).
        #expect(
            lines[2].hasPrefix(#""=""21QW01""";"=""=HYPERLINK(""""x"""")""";"#),
            "a formula is not a formula: \(lines[2])"
        )
        #expect(lines[3].hasPrefix(#""=""21QW02""";"CBS Het Anker; Noord";"#), "\(lines[3])")
        #expect(lines[1].contains("2099-07-31") && lines[1].contains("UWLR Leerlinggegevens – Smalle set"))
        r = try FlowTests.ctl(ctl, ["register", "export", "--format", "markdown", "--school", "21QW00"])
        #expect(
            r.stdout.contains("# Verwerkingsregister") && r.stdout.contains("## 21QW00 OBS De Regenboog"),
            "\(r.stdout)"
        )
        #expect(!r.stdout.contains("21QW01"))
        r = try FlowTests.ctl(ctl, ["register", "export", "--json"])
        #expect((r.json?["rows"] as? [Any])?.count == 3)

        // The bestuur's view: every school in one table.
        r = try FlowTests.ctl(ctl, ["koppelingen"])
        for needle in ["OBS De Regenboog", "CBS Het Anker; Noord", "TOP dossier", "3 scholen, 3 actieve koppelingen."] {
            #expect(r.stdout.contains(needle), "\(needle) in\n\(r.stdout)")
        }
        r = try FlowTests.ctl(ctl, ["koppelingen", "--json"])
        let board = try #require(r.json?["schools"] as? [[String: Any]], "\(r.stdout)")
        #expect(board.map { $0["brin6"] as? String } == ["21QW00", "21QW01", "21QW02"])
        #expect(board.allSatisfy { ($0["koppelingen"] as? [String]) == ["TOP dossier"] })

        // Each school's audit holds the board's activation.
        for school in ["21QW00", "21QW01", "21QW02"] {
            r = try FlowTests.ctl(ctl, ["audit", "--json", "--school", school])
            let rows = (r.json?["entries"] as? [[String: Any]] ?? []).filter {
                $0["method"] as? String == "koppeling.activate_many" && $0["outcome"] as? String == "ok"
            }
            #expect(rows.count == 1 && rows.first?["koppeling"] as? String == "topdossier", "\(school): \(r.stdout)")
        }
    }
}
