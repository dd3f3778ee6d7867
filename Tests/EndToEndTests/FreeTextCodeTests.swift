import Foundation
import Testing

/// A code typed into free text with the built `koppelingctl` against the
/// built `koppelingd`: refused with a Dutch message that shows it masked,
/// and (the canary's sweep) found in no reply, audit row, export, log or
/// state file. Identifiers fold with ASCII rules only; second 60 is refused.
@Suite("A code in free text, end to end", .secretCanary)
struct FreeTextCodeEndToEndTests {
    @Test("a code as Uw naam, as a school's name or in a deactivation reason is refused and shown nowhere")
    func refusedEverywhere() throws {
        let daemon = try DaemonProcess()
        let ctl = Ctl(socketPath: daemon.socketPath)
        func run(_ arguments: [String], stdin: String? = nil, refused: Bool = false) throws -> Ctl.Result {
            let r = try ctl.run(arguments, stdin: stdin)
            #expect((r.status != 0) == refused, "koppelingctl \(arguments.joined(separator: " ")):\n\(r.transcript)")
            return r
        }

        _ = try run(["school", "add", "21QW00", "OBS De Regenboog"])
        let asSchoolName = E2E.code(for: "21QW01", length: 30)
        var r = try run(["school", "add", "21QW01", asSchoolName], refused: true)
        #expect(r.stderr.contains("lijkt een verificatiecode te bevatten (21QW01… (30 tekens))"), "\(r.transcript)")

        // Uw naam is the code itself, its prefix typed in lower case.
        let code = E2E.code(for: "21QW00", length: 32)
        r = try run(
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier", "--name",
                "21qw00" + code.dropFirst(6), "--agree", "--code-stdin",
            ],
            stdin: code + "\n",
            refused: true
        )
        #expect(r.stderr.contains("Uw naam lijkt een verificatiecode te bevatten"), "\(r.transcript)")

        _ = try run(
            ["activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "J. van 't Hof", "--agree",
             "--code-stdin"],
            stdin: code + "\n"
        )
        let inReason = E2E.code(for: "21QW00", length: 24)
        r = try run(
            ["deactivate", "--school", "21QW00", "--koppeling", "topdossier", "--reason", "code was \(inReason)"],
            refused: true
        )
        #expect(r.stderr.contains("De reden lijkt een verificatiecode te bevatten"), "\(r.transcript)")

        // The audit names the refusal in Dutch; the canary searches it for the codes.
        let audit = try run(["audit", "list", "--limit", "1000"])
        #expect(audit.stdout.contains("verificatiecode in naam of reden"), "\(audit.transcript)")
        let shown = try run(["school", "show", "21QW00", "--json"])
        #expect(shown.stdout.contains("J. van 't Hof"), "\(shown.transcript)")
        let activations = shown.json?["activations"] as? [[String: Any]] ?? []
        #expect(activations.map { $0["active"] as? Bool } == [true], "\(shown.transcript)")
    }

    @Test("a Kelvin sign is no k, and an instant with second 60 is refused")
    func asciiIdentifiersAndSecondSixty() throws {
        let daemon = try DaemonProcess()
        _ = try daemon.rawCall(
            #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Regenboog"}}"#
        )
        let code = E2E.code(for: "21QW00", length: 26)
        let kelvin = try daemon.rawCall(
            #"{"jsonrpc":"2.0","id":2,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"topdossier-ec\u212Aid","name":"Jan de Vries","agree":true,"terms_version":"2024.2","verification_code":"\#(code)"}}"#
        )
        #expect(E2E.errorReason(kelvin) == "koppeling_not_found", "\(kelvin)")
        let upper = try daemon.rawCall(
            #"{"jsonrpc":"2.0","id":3,"method":"koppeling.activate","params":{"brin6":"21qw00","koppeling":"TOPDOSSIER-ECKID","name":"Jan de Vries","agree":true,"terms_version":"2024.2","verification_code":"\#(code)"}}"#
        )
        #expect(upper["result"] != nil, "\(upper)")
        let leap = try Ctl(socketPath: daemon.socketPath).run(["audit", "list", "--since", "2026-12-01T07:00:60Z"])
        #expect(leap.status != 0, "\(leap.transcript)")
        #expect(leap.stderr.contains("'since'"), "\(leap.transcript)")
    }
}
