import Foundation
import KoppelingClient
import Testing

/// One daemon per register, and a secret that belongs to its register:
/// the real binary refuses to start, says why, and leaves the files alone.
@Suite("One daemon per register", .secretCanary)
struct OneDaemonTests {
    /// Runs the built koppelingd to its end (it is expected to refuse).
    static func runToEnd(_ arguments: [String], timeout: TimeInterval = 20) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = BuiltProducts.koppelingd
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "WATCHDOG_USEC"] { env[key] = nil }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.reap()
            Issue.record("koppelingd \(arguments) was still running after \(timeout) s")
        }
        process.reap()
        return (
            process.terminationStatus, String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        )
    }

    @Test("a second daemon on the same register refuses, naming the running one, whatever its socket")
    func secondDaemonRefuses() throws {
        let daemon = try DaemonProcess()
        #expect(
            try daemon.rawCall(
                #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Test"}}"#
            )["result"] != nil
        )
        let other = daemon.directory.path + "/other.sock"
        let started = Date()
        let second = try Self.runToEnd(["--database", daemon.databasePath, "--socket", other])
        #expect(second.status == 78, "a refusal to start is EX_CONFIG, which the unit does not restart")
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(
            second.output.contains(
                "another koppelingd (pid \(daemon.process.processIdentifier), socket \(daemon.socketPath))"
            ),
            "\(second.output)"
        )
        #expect(!FileManager.default.fileExists(atPath: other), "the second daemon bound its socket")
        // The first one goes on serving, its data intact.
        let list = try daemon.rawCall(#"{"jsonrpc":"2.0","id":2,"method":"school.list"}"#)
        #expect("\(list)".contains("21QW00"))
        #expect(daemon.stop() == 0)

        // Once it has stopped, the lock is free again.
        let next = try DaemonProcess(directory: daemon.directory)
        #expect(next.stop() == 0)
    }

    @Test("a missing secret beside a register with codes is a refusal to start; files untouched")
    func missingSecretRefuses() throws {
        let daemon = try DaemonProcess()
        let ctl = Ctl(socketPath: daemon.socketPath)
        #expect(try ctl.run(["school", "add", "21QW00", "OBS De Test"]).status == 0)
        let activated = try ctl.run(
            [
                "activate", "--school", "21QW00", "--koppeling", "topdossier-eckid", "--name", "J. de Vries",
                "--agree", "--code-stdin",
            ],
            stdin: "21QW00Zx9Vq3Lm7Tp2Kd8Rw\n"
        )
        #expect(activated.status == 0, "\(activated)")
        #expect(daemon.stop() == 0)
        let secret = daemon.stateDirectory + "/koppelingd.secret"
        let aside = daemon.directory.path + "/secret.aside"
        #expect(rename(secret, aside) == 0)
        let before = try FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory).sorted()
        let database = try Data(contentsOf: URL(fileURLWithPath: daemon.databasePath))

        let refused = try Self.runToEnd(["--database", daemon.databasePath, "--socket", daemon.socketPath])
        #expect(refused.status == 78)
        #expect(refused.output.contains("the secret file \(secret) is missing"), "\(refused.output)")
        #expect(refused.output.contains("docs/install.md"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: secret), "a new secret was made")
        #expect(try Data(contentsOf: URL(fileURLWithPath: daemon.databasePath)) == database)
        #expect(try FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory).sorted() == before)

        // The secret back: it serves, and the stored code still verifies.
        #expect(rename(aside, secret) == 0)
        let restarted = try DaemonProcess(directory: daemon.directory)
        let key = try Ctl(socketPath: restarted.socketPath).run(
            ["eckid", "set-key", "--school", "21QW00", "--key-stdin"],
            stdin: "21qw00Zx9Vq3Lm7Tp2Kd8Rw\n"
        )
        #expect(key.status == 0, "the key in another prefix case: \(key)")
        #expect(restarted.stop() == 0)
    }
}

@Suite("Signals")
struct SignalTests {
    @Test("SIGHUP is logged and the daemon goes on serving; SIGTERM still stops it cleanly")
    func hangUpDoesNotStop() throws {
        let daemon = try DaemonProcess()
        let added = try daemon.rawCall(#"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Test"}}"#)
        #expect(added["result"] != nil, "\(added)")
        #expect(kill(daemon.process.processIdentifier, SIGHUP) == 0)
        let deadline = Date().addingTimeInterval(5)
        while !daemon.output.contains("SIGHUP received"), Date() < deadline { usleep(20_000) }
        #expect(daemon.output.contains("SIGHUP received"), "\(daemon.output)")
        #expect(daemon.process.isRunning)
        let list = try daemon.rawCall(#"{"jsonrpc":"2.0","id":2,"method":"school.list"}"#)
        #expect("\(list)".contains("21QW00"))
        #expect(daemon.stop() == 0)
        #expect(daemon.output.contains("stopped cleanly"))
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "the socket was left behind")
    }
}
