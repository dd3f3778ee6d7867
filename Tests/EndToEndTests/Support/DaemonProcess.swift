import Foundation
import KoppelingClient

/// The built `koppelingd`, started on a temporary socket and database.
final class DaemonProcess: @unchecked Sendable {
    let directory: TemporaryDirectory
    let process = Process()
    let stderrPipe = Pipe()
    private let collected = OutputCollector()
    var socketPath: String { directory.path + "/k.sock" }
    var databasePath: String { directory.path + "/state/koppelingd.db" }
    var stateDirectory: String { directory.path + "/state" }
    /// The running test's secret canary, if its suite has one: this
    /// daemon's audit, export, stderr and state directory are searched for
    /// the test's codes when it is stopped, killed or dropped.
    let secretCanary: SecretCanary? = SecretCanary.current
    var canarySwept = false

    init(
        directory: TemporaryDirectory = TemporaryDirectory(),
        arguments: [String] = [],
        environment: [String: String] = [:]
    ) throws {
        self.directory = directory
        process.executableURL = BuiltProducts.koppelingd
        process.arguments = ["--database", databasePath, "--socket", socketPath] + arguments
        var env = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "WATCHDOG_USEC", "KOPPELING_SOCKET"] { env[key] = nil }
        env.merge(environment) { $1 }
        process.environment = env
        process.standardError = stderrPipe
        process.standardOutput = stderrPipe
        stderrPipe.fileHandleForReading.readabilityHandler = { [collected] handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
                collected.end()
            } else {
                collected.append(chunk)
            }
        }
        try process.run()
        secretCanary?.attach(self)
        try waitUntilServing()
    }

    deinit {
        sweepForSecretCanary(captureRegister: true)
        if process.isRunning {
            process.terminate()
            process.reap()
        }
    }

    /// Everything the daemon printed so far.
    var output: String { collected.text }

    func waitUntilServing(timeout: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !process.isRunning { throw DaemonError.exited(status: process.terminationStatus, output: output) }
            if let c = try? KoppelingConnection(path: socketPath),
                (try? c.exchange(Data(#"{"jsonrpc":"2.0","id":0,"method":"hello"}"#.utf8))) != nil
            {
                return
            }
            usleep(20_000)
        }
        throw DaemonError.notServing(output: output)
    }

    /// SIGTERM, then the exit status.
    @discardableResult
    func stop() -> Int32 {
        sweepForSecretCanary(captureRegister: true)
        if process.isRunning { process.terminate() }
        process.reap()
        // The handler reads the pipe on its own thread: the daemon's last
        // lines ("stopped cleanly") may still be in it after the exit.
        collected.waitForEnd()
        return process.terminationStatus
    }

    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.reap()
        collected.waitForEnd()
        sweepForSecretCanary(captureRegister: false)
    }

    func connect() throws -> KoppelingConnection { try KoppelingConnection(path: socketPath) }

    /// One raw line in, one raw reply line out, as JSON.
    func rawCall(_ line: String) throws -> [String: Any] {
        secretCanary?.recordSent(line)
        let reply = try connect().exchange(Data(line.utf8))
        secretCanary?.recordReceived(String(decoding: reply, as: UTF8.self), from: "the reply to \(Self.method(of: line))")
        return try JSONSerialization.jsonObject(with: reply) as? [String: Any] ?? [:]
    }

    /// The method of a request line, to name a reply (never the line: it
    /// may hold a code).
    static func method(of line: String) -> String {
        (E2E.object(line)?["method"] as? String) ?? "a request"
    }

    enum DaemonError: Error {
        case exited(status: Int32, output: String)
        case notServing(output: String)
    }
}

/// Runs the built `koppelingctl` and collects what it printed.
struct Ctl {
    let socketPath: String

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = BuiltProducts.koppelingctl
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["KOPPELING_SOCKET"] = socketPath
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.reap()
        let result = Result(
            status: process.terminationStatus,
            stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self)
        )
        SecretCanary.forClient(of: socketPath)?.recordCtl(arguments, stdin: stdin, result: result)
        return result
    }
}

/// Collects a child's output from the pipe's reader thread.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let ended = DispatchSemaphore(value: 0)

    /// The writing end closed: everything the process wrote is here.
    func end() { ended.signal() }

    /// Until the writing end closed, or `timeout` seconds (a child that
    /// inherited the pipe may hold it open).
    func waitForEnd(timeout: Double = 10) {
        if ended.wait(timeout: .now() + timeout) == .success { ended.signal() }
    }

    func append(_ chunk: Data) {
        lock.lock()
        data.append(chunk)
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
