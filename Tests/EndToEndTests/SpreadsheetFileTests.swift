import Foundation
import Testing

/// Files from Windows and spreadsheets: `;` or `,`, a header row, a BOM,
/// CRLF; errors name the file's own lines; a code file with Windows line
/// ends is read without them, and one that others may read is warned about.
@Suite("Files from Windows and spreadsheets", .secretCanary)
struct SpreadsheetFileTests {
    @Test func schoolImportAsDutchExcelWritesIt() throws {
        let daemon = try DaemonProcess()
        let ctl = Ctl(socketPath: daemon.socketPath)
        let file = daemon.directory.path + "/scholen.csv"
        // Line 3 is bad; the header is line 1.
        try "\u{FEFF}brin6;naam\r\n21QW00;OBS De Regenboog, Noord\r\n21QW0;Fout\r\n".write(
            toFile: file,
            atomically: true,
            encoding: .utf8
        )
        var r = try FlowTests.ctl(ctl, ["school", "import", file], expect: 1)
        #expect(r.stderr.contains("Regel 3:") && !r.stderr.contains("Rij "), "\(r.transcript)")
        try "\u{FEFF}brin6;naam\r\n21QW00;OBS De Regenboog, Noord\r\n21QW01;\"CBS \"\"Het Anker\"\"\"\r\n".write(
            toFile: file,
            atomically: true,
            encoding: .utf8
        )
        r = try FlowTests.ctl(ctl, ["school", "import", file])
        r = try FlowTests.ctl(ctl, ["school", "list"])
        #expect(r.stdout.contains("OBS De Regenboog, Noord") && r.stdout.contains("CBS \"Het Anker\""), "\(r.stdout)")
        // A comma file still works; its errors name its lines too.
        try "brin6,naam\n21QW02,OBS De Linde\n\n21QW02,Dubbel\n".write(toFile: file, atomically: true, encoding: .utf8)
        r = try FlowTests.ctl(ctl, ["school", "import", file], expect: 1)
        #expect(r.stderr.contains("Regel 4:") && r.stderr.contains("[duplicate_in_batch]"), "\(r.transcript)")
    }

    @Test func aCodeFileSavedOnWindows() throws {
        let daemon = try DaemonProcess()
        let ctl = Ctl(socketPath: daemon.socketPath)
        try FlowTests.ctl(ctl, ["school", "add", "21QW00", "OBS De Regenboog"])
        let file = daemon.directory.path + "/code.txt"
        try "\u{FEFF}21QW00Xk3mP9qR7sT2vW5yZ8\r\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        let r = try FlowTests.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan", "--agree",
                "--code-file", file,
            ]
        )
        #expect(r.stdout.contains("21QW00… (24 tekens)"), "the \\r and the BOM are not part of it: \(r.transcript)")
        #expect(r.stderr.contains("ook voor anderen leesbaar") && r.stderr.contains("chmod 600"), "\(r.transcript)")
        chmod(file, 0o600)
        try FlowTests.ctl(ctl, ["deactivate", "--school", "21QW00", "--koppeling", "topdossier"])
        let again = try FlowTests.ctl(
            ctl,
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan", "--agree",
                "--code-file", file,
            ],
            expect: 1
        )
        #expect(again.stderr.contains("[verification_code_reused]"), "\(again.transcript)")
        #expect(!again.stderr.contains("leesbaar"), "a 0600 file gets no warning: \(again.transcript)")
    }
}

extension SpreadsheetFileTests {
    /// Dutch Excel's plain "CSV" is Windows-1252: refused, saying how to save it.
    @Test func aFileThatIsNotUTF8IsRefusedWithTheWayOut() throws {
        let daemon = try DaemonProcess()
        let file = daemon.directory.path + "/scholen.csv"
        // "Één" in Windows-1252.
        try Data("brin6;naam\r\n21QW00;OBS \u{0}".utf8.dropLast() + [0xC9, 0xE9, 0x6E, 0x0D, 0x0A]).write(
            to: URL(fileURLWithPath: file)
        )
        let r = try FlowTests.ctl(Ctl(socketPath: daemon.socketPath), ["school", "import", file], expect: 2)
        #expect(r.stderr.contains("geen UTF-8") && r.stderr.contains("CSV UTF-8"), "\(r.transcript)")
    }
}
