import Foundation
import KoppelingClient
import Testing

/// Rules that only one test guarded, seen a second time by another route:
/// the real daemon and koppelingctl, where the first witness is a unit test.
/// - a reused code among other violations (first: LocalDayTests, through the
///   dispatcher in-process);
/// - a foreign secret beside a register (first: SecretCheckTests, opening
///   the storage in-process);
/// - the group commit whose transaction SQLite ended midway (first:
///   BatchTruthTests, a TEMP trigger on the executor's own connection).
@Suite("Second witnesses end to end", .serialized, .secretCanary)
struct SecondWitnessTests {
    static func ctl(
        _ ctl: Ctl,
        _ arguments: [String],
        stdin: String? = nil,
        expect status: Int32 = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Ctl.Result {
        let r = try ctl.run(arguments, stdin: stdin)
        #expect(r.status == status, "koppelingctl \(arguments.joined(separator: " ")):\n\(r.transcript)", sourceLocation: sourceLocation)
        return r
    }

    // MARK: (a) every failing rule is reported, the reused code among them

    @Test("koppelingctl activate with a reused code and a start date in the past: both rules reported")
    func reusedCodeReportedWithAnotherViolation() throws {
        let daemon = try DaemonProcess()
        let ctl = Ctl(socketPath: daemon.socketPath)
        try Self.ctl(ctl, ["school", "add", "21QW00", "OBS De Regenboog"])
        let code = E2E.code(for: "21QW00")
        let activate = ["activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan Jansen", "--agree"]
        try Self.ctl(ctl, activate + ["--code-stdin"], stdin: code + "\n")
        try Self.ctl(ctl, ["deactivate", "--school", "21QW00", "--koppeling", "topdossier"])

        // The same code (its prefix in lower case: one code) with a second
        // broken rule: the reuse must not hide the date, nor the date the reuse.
        let reused = "21qw00" + code.dropFirst(6)
        let r = try Self.ctl(
            ctl,
            activate + ["--start-date", "2020-01-01", "--code-stdin"],
            stdin: reused + "\n",
            expect: 1
        )
        #expect(r.stderr.contains("[verification_code_reused]"), "\(r.transcript)")
        #expect(r.stderr.contains("[start_date_in_past]"), "\(r.transcript)")
        #expect(r.stderr.contains("2 regels zijn niet nageleefd"), "\(r.transcript)")

        // Nothing was activated by the refusal.
        let overview = try Self.ctl(ctl, ["koppelingen", "--school", "21QW00", "--json"])
        #expect(E2E.activatedMarks(try #require(overview.json, "\(overview.transcript)"))["topdossier"] == false)
        #expect(daemon.stop() == 0)
    }

    // MARK: (b) a secret from another install

    @Test("koppelingd refuses a register beside another install's secret and names the file; its own secret starts it again")
    func foreignSecretIsARefusalNamingTheFile() throws {
        let home = TemporaryDirectory()
        var daemon: DaemonProcess? = try DaemonProcess(directory: home)
        let ctl = Ctl(socketPath: daemon!.socketPath)
        try Self.ctl(ctl, ["school", "add", "21QW00", "OBS De Regenboog"])
        let code = E2E.code(for: "21QW00")
        try Self.ctl(
            ctl,
            ["activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan Jansen", "--agree", "--code-stdin"],
            stdin: code + "\n"
        )
        let secretPath = daemon!.stateDirectory + "/koppelingd.secret"
        let databasePath = daemon!.databasePath
        #expect(daemon!.stop() == 0)
        daemon = nil
        let own = try Data(contentsOf: URL(fileURLWithPath: secretPath))

        // Another install's secret, copied over this one (a restore of the
        // wrong backup, a second server's file).
        let other = try DaemonProcess()
        #expect(other.stop() == 0)
        let foreign = try Data(contentsOf: URL(fileURLWithPath: other.stateDirectory + "/koppelingd.secret"))
        #expect(foreign != own)
        try foreign.write(to: URL(fileURLWithPath: secretPath))
        #expect(chmod(secretPath, 0o600) == 0)
        let registerBefore = try Data(contentsOf: URL(fileURLWithPath: databasePath))

        do {
            _ = try DaemonProcess(directory: home)
            Issue.record("koppelingd started on a register beside a foreign secret")
        } catch DaemonProcess.DaemonError.exited(let status, let output) {
            #expect(status != 0, "\(output)")
            #expect(output.contains(secretPath), "the refusal does not name the secret file:\n\(output)")
        }
        // Refused, not repaired: neither file was rewritten.
        #expect(try Data(contentsOf: URL(fileURLWithPath: secretPath)) == foreign, "the foreign secret was replaced")
        #expect(try Data(contentsOf: URL(fileURLWithPath: databasePath)) == registerBefore, "the register was changed")

        // Its own secret back: it starts, and the stored code still counts.
        try own.write(to: URL(fileURLWithPath: secretPath))
        let again = try DaemonProcess(directory: home)
        let againCtl = Ctl(socketPath: again.socketPath)
        try Self.ctl(againCtl, ["deactivate", "--school", "21QW00", "--koppeling", "topdossier"])
        let r = try Self.ctl(
            againCtl,
            ["activate", "--school", "21QW00", "--koppeling", "topdossier", "--name", "Jan Jansen", "--agree", "--code-stdin"],
            stdin: code + "\n",
            expect: 1
        )
        #expect(r.stderr.contains("verification_code_reused"), "\(r.transcript)")
        #expect(again.stop() == 0)
    }

    // MARK: (c) SQLite ends the group commit's transaction midway

    static let schools = (0..<10).map { "21QC0\($0)" }
    static let failing = "21QC05"

    @Test("the real daemon: a batch whose transaction SQLite ended midway answers every request truthfully")
    func batchEndedBySQLiteTellsTheTruth() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "sqlite3 is not installed")
        let daemon = try DaemonProcess()

        // A trigger that ends the whole transaction, as SQLite does by itself
        // on some I/O errors; then the write lock, so the requests below queue
        // up behind it and are taken as one batch when it is let go.
        let holder = try ExternalSQLite(databasePath: daemon.databasePath)
        defer { holder.finish() }
        holder.send(
            """
            .timeout 10000
            CREATE TRIGGER end_transaction BEFORE INSERT ON school WHEN NEW.brin6 = '\(Self.failing)'
            BEGIN SELECT RAISE(ROLLBACK, 'simulated end of the transaction'); END;
            BEGIN EXCLUSIVE;
            .print LOCK-TAKEN
            """
        )
        try #require(holder.waitFor("LOCK-TAKEN"), "sqlite3 did not take the lock: \(holder.output)")
        #expect(!holder.output.contains("Error"), "\(holder.output)")

        // One connection each, sent in order: the first waits for the lock
        // alone, the other nine queue behind it and form the batch.
        var sockets: [RawSocket] = []
        for school in Self.schools {
            let socket = try RawSocket(path: daemon.socketPath, timeoutSeconds: 30)
            socket.send(
                #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"\#(school)","name":"School \#(school)"}}"#
                    + "\n"
            )
            sockets.append(socket)
            usleep(50_000)
        }
        usleep(300_000)
        holder.send("COMMIT;\n.print LOCK-RELEASED")
        try #require(holder.waitFor("LOCK-RELEASED"), "\(holder.output)")
        let replies = try sockets.map { try $0.readReply() }

        let stored = Set(try Self.sqlite(daemon.databasePath, "SELECT brin6 FROM school").split(separator: "\n").map(String.init))
        let okAudit = Set(
            try Self.sqlite(
                daemon.databasePath,
                "SELECT school FROM audit WHERE method = 'school.add' AND outcome = 'ok'"
            ).split(separator: "\n").map(String.init)
        )
        var lies: [String] = []
        for (school, reply) in zip(Self.schools, replies) {
            let saved = reply["result"] != nil
            if saved != stored.contains(school) {
                lies.append("\(school): answered \(saved ? "saved" : "refused: \(reply)"), but \(stored.contains(school) ? "stored" : "absent")")
            }
            if saved != okAudit.contains(school) {
                lies.append("\(school): answered \(saved ? "saved" : "refused"), ok audit row: \(okAudit.contains(school))")
            }
        }
        #expect(lies.isEmpty, "replies that do not tell the truth:\n\(lies.joined(separator: "\n"))")
        #expect(!stored.contains(Self.failing))
        let failed = replies[Self.schools.firstIndex(of: Self.failing)!]
        #expect(E2E.errorCode(failed) != nil, "\(failed)")
        // The abort happened inside a batch: a request before the failing
        // one ran, but its transaction was ended with the batch, so it is
        // answered as not saved. Without this the test proves nothing.
        let lostWithTheBatch = zip(Self.schools, replies).filter { $0.0 != Self.failing && E2E.errorCode($0.1) == -32005 }
        #expect(!lostWithTheBatch.isEmpty, "no request shared the failing one's batch: \(replies)")
        // And requests after it were not lost.
        #expect(stored.contains(Self.schools.last!), "\(stored)")
        #expect(try Self.sqlite(daemon.databasePath, "PRAGMA integrity_check") == "ok")

        // The daemon's connection is left with no transaction open: the next
        // change is saved and answered so.
        let next = try daemon.rawCall(#"{"jsonrpc":"2.0","id":2,"method":"school.add","params":{"brin6":"21QC99","name":"Daarna"}}"#)
        #expect(next["result"] != nil, "\(next)")
        #expect(try Self.sqlite(daemon.databasePath, "SELECT count(*) FROM school WHERE brin6 = '21QC99'") == "1")
        print("second witness: batch ended by SQLite at \(Self.failing); answered not saved: \(lostWithTheBatch.map(\.0))")
        #expect(daemon.stop() == 0)
    }

    /// One query with `sqlite3 -readonly`, its output trimmed.
    static func sqlite(_ path: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = ["-readonly", path, sql]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.reap()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
