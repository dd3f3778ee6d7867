import Foundation
import Testing

/// The secret canary (Support/SecretCanary.swift) must fail loudly when a
/// code leaks: these tests leak one on purpose, in each place it searches,
/// and expect it found, and expect nothing found when nothing leaked.
@Suite("The secret canary finds a leaked code", .serialized)
struct SecretCanaryTests {
    /// A daemon with one activation made through koppelingctl; `leak` then
    /// does its damage before the daemon is stopped.
    static func scenario(
        leak: @escaping (DaemonProcess, String) throws -> Void
    ) async throws -> (leaks: [SecretCanary.Leak], code: String) {
        var code = ""
        let (_, leaks, error) = await SecretCanary.observe {
            let daemon = try DaemonProcess()
            let ctl = Ctl(socketPath: daemon.socketPath)
            #expect(try ctl.run(["school", "add", "21QW00", "OBS De Regenboog"]).status == 0)
            code = E2E.code(for: "21QW00")
            let r = try ctl.run(
                ["activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan", "--agree", "--code-stdin"],
                stdin: code + "\n"
            )
            #expect(r.status == 0, "\(r.transcript)")
            try leak(daemon, code)
            #expect(daemon.stop() == 0)
        }
        if let error { throw error }
        return (leaks, code)
    }

    static func lowerPrefix(_ code: String) -> String { code.prefix(6).lowercased() + code.dropFirst(6) }

    @Test("nothing leaked: nothing found (the daemon keeps its codes)")
    func cleanRunFindsNothing() async throws {
        let (leaks, _) = try await Self.scenario { _, _ in }
        #expect(leaks.isEmpty, "\(leaks)")
    }

    @Test("a code written into a file in the state directory, its prefix in lower case, is found there")
    func leakIntoAStateFile() async throws {
        let (leaks, code) = try await Self.scenario { daemon, code in
            try ("notitie: " + Self.lowerPrefix(code) + "\n").write(
                toFile: daemon.stateDirectory + "/notitie.txt",
                atomically: false,
                encoding: .utf8
            )
        }
        #expect(leaks.contains { $0.source.hasSuffix("the file notitie.txt") }, "\(leaks)")
        #expect(leaks.allSatisfy { !$0.description.contains(code.dropFirst(6)) }, "a report repeats the secret")
    }

    @Test("a code in a file name in the state directory is found")
    func leakIntoAFileName() async throws {
        let (leaks, _) = try await Self.scenario { daemon, code in
            #expect(FileManager.default.createFile(atPath: daemon.stateDirectory + "/" + code + ".bak", contents: Data()))
        }
        #expect(leaks.contains { $0.source.hasSuffix("the names in the state directory") }, "\(leaks)")
    }

    @Test("a code written into an audit row is found in audit.list and the register's tables")
    func leakIntoTheAudit() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "sqlite3 is not installed")
        let (leaks, _) = try await Self.scenario { daemon, code in
            let sqlite = Process()
            sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            sqlite.arguments = [
                daemon.databasePath,
                ".timeout 5000",
                "UPDATE audit SET detail = '\(code.prefix(6).uppercased() + code.dropFirst(6))' WHERE id = (SELECT max(id) FROM audit)",
            ]
            try sqlite.run()
            sqlite.reap()
            #expect(sqlite.terminationStatus == 0)
        }
        #expect(leaks.contains { $0.source.hasSuffix("audit.list") }, "\(leaks)")
        #expect(leaks.contains { $0.source.hasSuffix("(sqlite3 .dump)") }, "\(leaks)")
    }

    @Test("a code in a reply or an output is found in every case of its prefix; the masked form is not a leak")
    func leakIntoAReply() {
        let canary = SecretCanary()
        let code = "21qw00Hr4Tk8Nz2Wq6Lp9Xc"
        canary.recordSent(#"{"verification_code":"\#(code)"}"#)
        #expect(canary.usedCodes == [code])
        canary.recordReceived(#"{"masked":"21QW00…","length":23}"#, from: "masked")
        canary.recordReceived("code 21QW00Hr4Tk8Nz2Wq6Lp9Xc", from: "upper")
        canary.recordReceived("code 21qw00Hr4Tk8Nz2Wq6Lp9Xc", from: "lower")
        canary.recordReceived("code ……Hr4Tk8Nz2Wq6Lp9Xc", from: "secret part")
        #expect(canary.search().map(\.source).sorted() == ["lower", "secret part", "upper"])
    }

    @Test("what looks like a code: a BRIN6 and letters and digits, 20 to 50 in one run")
    func theShapeOfACode() {
        #expect(SecretCanary.codes(in: #"{"brin6":"21QW00","key":"21QW00Hr4Tk8Nz2Wq6Lp9Xc"}"#) == ["21QW00Hr4Tk8Nz2Wq6Lp9Xc"])
        #expect(SecretCanary.codes(in: "21qw01;21qw01Abcdefgh2345678\r\n") == ["21qw01Abcdefgh2345678"])
        #expect(SecretCanary.codes(in: "21QW00Abc12") == [], "too short")
        #expect(SecretCanary.codes(in: String(repeating: "21ab3400", count: 8)) == [], "a SHA-256 is too long")
        #expect(SecretCanary.codes(in: "OBS De Regenboog 2024.1 topdossier-eckid") == [])
    }

    @Test("the trait gives each test of a marked suite a canary", .secretCanary)
    func traitSetsTheCanary() {
        #expect(SecretCanary.current != nil)
        #expect(!E2E.code(for: "21QW00").isEmpty)
        #expect(SecretCanary.current?.usedCodes.count == 1)
    }
}
