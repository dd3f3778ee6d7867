import Foundation
import KoppelingClient
import Testing

/// The daemon as systemd runs it: readiness, watchdog, stopping, socket
/// activation, and a clean SIGTERM.
@Suite("systemd integration", .serialized)
struct SystemdTests {
    @Test func readyOnlyWhenServingThenWatchdogThenStopping() throws {
        let dir = TemporaryDirectory()
        let listener = try NotifyListener(path: dir.path + "/notify")
        let process = Process()
        process.executableURL = BuiltProducts.koppelingd
        process.arguments = ["--database", dir.path + "/state/k.db", "--socket", dir.path + "/k.sock"]
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = listener.path
        env["WATCHDOG_USEC"] = "200000"
        process.environment = env
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.stop() }

        let ready = listener.waitFor("READY=1", timeout: 20)
        #expect(ready.found, "saw \(ready.seen)")
        // READY=1 means the socket accepts and answers right now.
        let hello = try KoppelingConnection(path: dir.path + "/k.sock").exchange(
            Data(#"{"jsonrpc":"2.0","id":1,"method":"hello"}"#.utf8)
        )
        #expect(String(decoding: hello, as: UTF8.self).contains("\"protocol\":2"))
        #expect(ready.seen.joined().contains("STATUS="))

        let watchdog = listener.waitFor("WATCHDOG=1", timeout: 5)
        #expect(watchdog.found, "saw \(watchdog.seen)")

        process.terminate()
        let stopping = listener.waitFor("STOPPING=1", timeout: 10)
        #expect(stopping.found, "saw \(stopping.seen)")
        process.reap()
        #expect(process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/k.sock"), "own socket file is removed at exit")
    }

    @Test func socketActivationAnswersEarlyClientAndKeepsSocketFile() throws {
        let activate = "/usr/bin/systemd-socket-activate"
        try #require(FileManager.default.isExecutableFile(atPath: activate), "systemd-socket-activate is not installed")
        let dir = TemporaryDirectory()
        let socketPath = dir.path + "/activated.sock"
        let listener = try NotifyListener(path: dir.path + "/notify")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: activate)
        process.arguments = [
            "-l", socketPath, "-E", "NOTIFY_SOCKET=\(listener.path)",
            BuiltProducts.koppelingd.path, "--database", dir.path + "/state/k.db",
            "--socket", dir.path + "/unused.sock",
        ]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { process.stop() }

        // The socket exists before koppelingd runs; connect and ask at once.
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socketPath), Date() < deadline { usleep(10_000) }
        let connection = try KoppelingConnection(path: socketPath)
        let reply = try connection.exchange(Data(#"{"jsonrpc":"2.0","id":7,"method":"hello"}"#.utf8))
        #expect(String(decoding: reply, as: UTF8.self).contains("\"id\":7"))
        #expect(listener.waitFor("READY=1", timeout: 10).found)
        #expect(
            !FileManager.default.fileExists(atPath: dir.path + "/unused.sock"),
            "a passed socket is used, no own one is bound"
        )

        process.terminate()
        process.reap()
        #expect(FileManager.default.fileExists(atPath: socketPath), "a socket passed by systemd is never unlinked")
    }

    @Test func sigtermDuringASlowRequestStillReplies() throws {
        let sqlite = "/usr/bin/sqlite3"
        try #require(FileManager.default.isExecutableFile(atPath: sqlite), "sqlite3 is not installed")
        let daemon = try DaemonProcess()
        // Hold the write lock from another process so the next write waits.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: sqlite)
        holder.arguments = [daemon.databasePath]
        let input = Pipe()
        holder.standardInput = input
        holder.standardOutput = FileHandle.nullDevice
        try holder.run()
        input.fileHandleForWriting.write(Data("BEGIN EXCLUSIVE;\nSELECT 1;\n".utf8))
        usleep(300_000)

        let connection = try daemon.connect()
        try connection.send(
            Data(#"{"jsonrpc":"2.0","id":42,"method":"school.add","params":{"brin6":"21QW00","name":"Traag"}}"#.utf8)
        )
        usleep(200_000)
        kill(daemon.process.processIdentifier, SIGTERM)
        usleep(500_000)
        input.fileHandleForWriting.write(Data("COMMIT;\n".utf8))
        try input.fileHandleForWriting.close()

        let reply = String(decoding: try connection.receiveLine(), as: UTF8.self)
        #expect(reply.contains("\"id\":42"))
        #expect(reply.contains("\"result\""), "the write finished after the lock was released: \(reply)")
        #expect(daemon.stop() == 0)
        holder.reap()
    }

    @Test func staleSocketIsReplacedAndLiveOneRefused() throws {
        let first = try DaemonProcess()
        // A second daemon on the same socket refuses to start.
        let dir2 = TemporaryDirectory()
        let second = Process()
        second.executableURL = BuiltProducts.koppelingd
        second.arguments = ["--database", dir2.path + "/k.db", "--socket", first.socketPath]
        let err = Pipe()
        second.standardError = err
        try second.run()
        second.reap()
        #expect(second.terminationStatus != 0)
        #expect(
            String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains(
                "already listening"
            )
        )
        // After a crash the socket file stays behind; a new start replaces it.
        first.kill()
        #expect(FileManager.default.fileExists(atPath: first.socketPath))
        let again = try DaemonProcess(directory: first.directory)
        #expect(try again.rawCall(#"{"jsonrpc":"2.0","id":1,"method":"hello"}"#)["result"] != nil)
    }
}
