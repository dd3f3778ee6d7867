import Foundation
import Testing

/// The verification code is a secret: after activations, an
/// ECKiD key, refusals and a backup, no code appears in the state files,
/// the daemon's log, any reply or the audit trail.
@Suite("The verification code stays secret", .secretCanary)
struct SecretTests {
    @Test("no code in any state file, log line, reply or audit row; state files are 0600")
    func codesAppearNowhere() throws {
        let directory = TemporaryDirectory()
        let daemon = try DaemonProcess(directory: directory, environment: ["KOPPELINGD_LOG_LEVEL": "trace"])
        let ctl = Ctl(socketPath: daemon.socketPath)
        var secrets: [String] = []
        var seen: [String] = []  // every reply and everything koppelingctl printed

        func run(_ arguments: [String], stdin: String? = nil, expect status: Int32 = 0) throws {
            let r = try ctl.run(arguments, stdin: stdin)
            #expect(r.status == status, "koppelingctl \(arguments.joined(separator: " ")):\n\(r.transcript)")
            seen.append(r.stdout)
            seen.append(r.stderr)
        }
        func raw(_ line: String) throws -> [String: Any] {
            let reply = try daemon.connect().exchange(Data(line.utf8))
            seen.append(String(decoding: reply, as: UTF8.self))
            return E2E.object(reply) ?? [:]
        }
        func activateLine(id: Int, school: String, koppeling: String, code: String, agree: Bool = true) -> String {
            #"{"jsonrpc":"2.0","id":\#(id),"method":"koppeling.activate","params":{"brin6":"\#(school)","koppeling":"\#(koppeling)","name":"Jan Jansen","agree":\#(agree),"terms_version":"\#(ShippedTerms.version(koppeling))","verification_code":\#(E2E.literal(code))}}"#
        }

        try run(["school", "add", "21QW00", "OBS De Regenboog"])
        try run(["school", "add", "21QW01", "OBS De Regenboog, dependance"])

        // Activations through koppelingctl: from standard input and from a file.
        let viaStdin = E2E.code(for: "21QW00", length: 40)
        secrets.append(viaStdin)
        try run(
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier-eckid", "--name", "Jan Jansen",
                "--agree", "--code-stdin",
            ],
            stdin: viaStdin + "\n"
        )
        let viaFile = E2E.code(for: "21qw01", length: 20)
        secrets.append(viaFile)
        let codeFile = directory.path + "/code.txt"
        try (viaFile + "\n").write(toFile: codeFile, atomically: true, encoding: .utf8)
        try run([
            "activate", "--school", "21QW01", "--koppeling", "topdossier-eckid", "--name", "Jan Jansen",
            "--agree", "--code-file", codeFile,
        ])
        try FileManager.default.removeItem(atPath: codeFile)

        // Activation through a raw call, and refused ones that carry codes.
        let viaSocket = E2E.code(for: "21QW00", length: 50)
        secrets.append(viaSocket)
        var reply = try raw(activateLine(id: 1, school: "21QW00", koppeling: "topdossier", code: viaSocket))
        #expect(reply["result"] != nil, "\(reply)")
        let refusedNoAgree = E2E.code(for: "21QW00", length: 33)
        secrets.append(refusedNoAgree)
        reply = try raw(
            activateLine(id: 2, school: "21QW00", koppeling: "topdossier", code: refusedNoAgree, agree: false)
        )
        #expect(E2E.errorCode(reply) == -32001, "\(reply)")
        let refusedUnknownKoppeling = E2E.code(for: "21QW01", length: 34)
        secrets.append(refusedUnknownKoppeling)
        reply = try raw(activateLine(id: 3, school: "21QW01", koppeling: "bestaat-niet", code: refusedUnknownKoppeling))
        #expect(E2E.errorCode(reply) != nil, "\(reply)")
        // Reused: the code is refused, and must not be echoed back.
        reply = try raw(activateLine(id: 4, school: "21QW01", koppeling: "topdossier", code: viaFile))
        #expect(
            E2E.violationReasons(reply).contains("verification_code_reused")
                || E2E.errorReason(reply) == "verification_code_reused",
            "\(reply)"
        )
        // A code breaking the shape rules (with a wrong prefix) is a secret too.
        let malformed = "21QW09" + "geheimMaarTeLangVoorDeRegelsVanDeLeverancierEnNogVeelLanger"
        secrets.append(malformed)
        reply = try raw(activateLine(id: 5, school: "21QW00", koppeling: "topdossier", code: malformed))
        #expect(E2E.violationReasons(reply).contains("verification_code_prefix"), "\(reply)")
        // Wrong parameter type next to a code: an invalid-params refusal.
        let wrongType = E2E.code(for: "21QW00", length: 36)
        secrets.append(wrongType)
        reply = try raw(
            #"{"jsonrpc":"2.0","id":6,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"topdossier","name":"Jan","agree":"yes","terms_version":"2024.1","verification_code":"\#(wrongType)"}}"#
        )
        #expect(E2E.errorCode(reply) == -32602, "\(reply)")

        // The ECKiD key: right through koppelingctl, wrong through a raw call.
        try run(["eckid", "set-key", "--school", "21QW00", "--key-stdin"], stdin: viaStdin + "\n")
        let wrongKey = E2E.code(for: "21QW01", length: 31)
        secrets.append(wrongKey)
        reply = try raw(
            #"{"jsonrpc":"2.0","id":7,"method":"eckid.set_key","params":{"brin6":"21QW01","key":"\#(wrongKey)"}}"#
        )
        #expect(
            E2E.violationReasons(reply).contains("eckid_key_mismatch")
                || E2E.errorReason(reply) == "eckid_key_mismatch",
            "\(reply)"
        )

        // Everything that lists activations, imports and the audit.
        try run(["backup"])
        for arguments in [
            ["school", "show", "21QW00"], ["school", "show", "21QW01", "--json"],
            ["koppelingen", "--school", "21QW00"],
            ["koppelingen", "--school", "21QW01", "--json"], ["eckid", "status", "--json"], ["status", "--json"],
            ["audit"], ["audit", "--json", "--limit", "1000"],
        ] {
            try run(arguments)
        }
        for method in ["catalog.list", "timer.status", "audit.list", "eckid.status", "school.list"] {
            _ = try raw(#"{"jsonrpc":"2.0","id":8,"method":"\#(method)"}"#)
        }
        let audit = try ctl.run(["audit", "--json", "--limit", "1000"])
        let entries = try #require(audit.json?["entries"] as? [[String: Any]], "\(audit.transcript)")
        #expect(
            entries.contains { $0["outcome"] as? String == "refused" && $0["method"] as? String == "eckid.set_key" }
        )
        #expect(entries.count >= 10)

        /// The secret part of each code is the part after its public prefix.
        let needles = secrets.flatMap { [$0, String($0.dropFirst(6))] }
        func assertNowhere(_ context: String) {
            let files = E2E.regularFiles(under: daemon.stateDirectory)
            #expect(files.contains { $0.hasSuffix("/koppelingd.db") }, "\(files)")
            #expect(files.contains { $0.contains("/backups/") }, "no backup among \(files)")
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else {
                    Issue.record("cannot read \(file)")
                    continue
                }
                for needle in needles where data.containsText(needle) {
                    Issue.record("\(context): a code is stored in plain text in \(file)")
                }
            }
            let output = daemon.output
            #expect(!output.isEmpty, "the daemon logged nothing at trace level")
            for needle in needles where output.contains(needle) {
                Issue.record("\(context): the daemon printed a code: …\(needle.suffix(8))")
            }
        }
        assertNowhere("while serving")
        for (n, text) in seen.enumerated() {
            for needle in needles where text.contains(needle) {
                Issue.record("reply or output \(n) contains a code: \(text.prefix(300))")
            }
        }
        #expect(!audit.stdout.isEmpty)
        for needle in needles { #expect(!audit.stdout.contains(needle)) }

        // State files: readable by the daemon's user only; the secret is 32 bytes.
        let secretPath = daemon.stateDirectory + "/koppelingd.secret"
        #expect(E2E.mode(secretPath) == 0o600)
        #expect(E2E.mode(daemon.databasePath) == 0o600)
        let size = (try? FileManager.default.attributesOfItem(atPath: secretPath)[.size] as? Int) ?? -1
        #expect(size == 32)
        for file in E2E.regularFiles(under: daemon.stateDirectory) {
            #expect(
                E2E.mode(file).map { $0 & 0o077 } == 0,
                "\(file) is readable by others: \(String(E2E.mode(file) ?? 0, radix: 8))"
            )
        }

        // After a clean stop (WAL checkpointed into the database) still nothing.
        #expect(daemon.stop() == 0)
        assertNowhere("after stop")
    }
}
