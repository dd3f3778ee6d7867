import Foundation
import Testing

/// `koppelingctl activate` on a real pseudo-terminal with fields missing:
/// the seed's screen in its order, agreement before the code, the code
/// typed without echo or generated, a summary and Gereed.
@Suite("The activation dialog on a terminal", .secretCanary)
struct ActivationDialogTests {
    @Test func theWholeScreenInTheSeedsOrder() throws {
        let daemon = try DaemonProcess()
        try FlowTests.ctl(Ctl(socketPath: daemon.socketPath), ["school", "add", "21QW00", "OBS De Regenboog"])
        let code = "21QW00Xk3mP9qR7sT2vW5yZ8"
        let t = try PseudoTerminal(["activate", "--school", "21QW00"], socketPath: daemon.socketPath)
        try t.expect("Koppeling (id): ")
        t.type("topdossier-eckid")
        let details = try t.expect("[t] tonen")
        for needle in [
            "Naam:", "TOP Dossier – ECKiD", "Omschrijving:", "Prijs:", "n.v.t.", "Gegevensset:", "eck_id", "Doel:",
            "Verwerkersovereenkomst:", "versie 2024.2",
        ] {
            #expect(details.contains(needle), "\(needle) in\n\(details)")
        }
        t.type("t")
        let terms = try t.expect("[t] tonen")
        #expect(terms.contains("Gebruikersvoorwaarden TOP Dossier – ECKiD"), "\(terms)")
        t.type("")
        let user = try t.expect("Uw naam: ")
        #expect(user.contains("Gebruiker:") && user.contains("Startdatum:") && user.contains("(vandaag)"), "\(user)")
        t.type("Jan Jansen")
        let tick = try t.expect("Voor akkoord met de gebruikersvoorwaarden (versie 2024.2)? (j/n): ")
        #expect(!tick.contains("Verificatiecode"), "agreement is asked before the code")
        t.type("j")
        try t.expect("[e] zelf invoeren, [g] laten maken: ")
        t.type("e")
        try t.expect("Verificatiecode: ")
        t.type(code)
        try t.expect("Herhaal de verificatiecode: ")
        t.type(code)
        let summary = try t.expect("Gereed? (j/n): ")
        for needle in ["Samenvatting", "Uw naam:", "Jan Jansen", "21QW00… (24 tekens)", "versie 2024.2, akkoord"] {
            #expect(summary.contains(needle), "\(needle) in\n\(summary)")
        }
        t.type("j")
        #expect(t.finish() == 0, "\(t.transcript)")
        #expect(t.transcript.contains("TOP Dossier – ECKiD is geactiveerd voor school 21QW00."), "\(t.transcript)")
        #expect(!t.transcript.contains(code), "the code is typed without echo:\n\(t.transcript)")
        #expect(!t.transcript.contains("\u{1B}"))
    }

    @Test func noAgreementEndsItBeforeTheCode() throws {
        let daemon = try DaemonProcess()
        try FlowTests.ctl(Ctl(socketPath: daemon.socketPath), ["school", "add", "21QW00", "OBS De Regenboog"])
        let t = try PseudoTerminal(
            ["activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan"],
            socketPath: daemon.socketPath
        )
        try t.expect("[t] tonen")
        t.type("")
        try t.expect("(j/n): ")
        t.type("n")
        #expect(t.finish() == 1)
        #expect(t.transcript.contains("Zonder akkoord wordt de koppeling niet geactiveerd."), "\(t.transcript)")
        #expect(!t.transcript.contains("Verificatiecode"), "\(t.transcript)")
        let overview = try FlowTests.ctl(
            Ctl(socketPath: daemon.socketPath),
            ["koppelingen", "--school", "21QW00", "--json"]
        )
        #expect(E2E.activatedMarks(overview.json ?? [:]).values.allSatisfy { !$0 })
    }

    @Test func aGeneratedCodeIsShownOnceAndUsed() throws {
        let daemon = try DaemonProcess()
        try FlowTests.ctl(Ctl(socketPath: daemon.socketPath), ["school", "add", "21QW00", "OBS De Regenboog"])
        let t = try PseudoTerminal(
            ["activate", "--school", "21QW00", "--koppeling", "topdossier-eckid", "--name", "Jan", "--agree"],
            socketPath: daemon.socketPath
        )
        try t.expect("[t] tonen")
        t.type("")
        try t.expect("[e] zelf invoeren, [g] laten maken: ")
        t.type("g")
        let shown = try t.expect("Opgeschreven? (j/n): ")
        let line = try #require(shown.split(whereSeparator: \.isNewline).first { $0.hasPrefix("Uw verificatiecode: ") })
        let code = String(line.dropFirst("Uw verificatiecode: ".count)).trimmingCharacters(in: .whitespaces)
        #expect(code.hasPrefix("21QW00") && code.count == 32, "\(code)")
        t.type("j")
        try t.expect("Gereed? (j/n): ")
        t.type("j")
        #expect(t.finish() == 0, "\(t.transcript)")
        // The code shown is the one saved: it is the ECKiD key.
        let key = try FlowTests.ctl(
            Ctl(socketPath: daemon.socketPath),
            ["eckid", "set-key", "--school", "21QW00", "--key-stdin"],
            stdin: code + "\n"
        )
        #expect(key.stdout.contains("21QW00"), "\(key.transcript)")
    }
}
