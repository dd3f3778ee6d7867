import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The built `koppelingctl` on a pseudo-terminal, as a person at a terminal
/// runs it: what it writes is read from the terminal's other side, and the
/// answers are typed into it, line by line, echo and all.
final class PseudoTerminal {
    let process = Process()
    private let master: Int32
    /// Everything the terminal showed so far.
    private(set) var transcript = ""
    /// How much of `transcript` an `expect` has consumed.
    private var consumed = 0
    /// The running test's secret canary and the lines typed for it.
    private let canary: SecretCanary?
    private var typed: [String] = []

    struct Timeout: Error, CustomStringConvertible {
        let waitingFor: String
        let transcript: String
        var description: String { "waited for \(waitingFor.debugDescription); the terminal showed:\n\(transcript)" }
    }

    init(_ arguments: [String], socketPath: String) throws {
        var master: Int32 = 0
        var slave: Int32 = 0
        guard openpty(&master, &slave, nil, nil, nil) == 0 else { throw POSIXError(.ENOTTY) }
        self.master = master
        canary = SecretCanary.forClient(of: socketPath)
        let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.executableURL = BuiltProducts.koppelingctl
        process.arguments = ["--socket", socketPath] + arguments
        var env = ProcessInfo.processInfo.environment
        env["KOPPELING_SOCKET"] = nil
        process.environment = env
        process.standardInput = terminal
        process.standardOutput = terminal
        process.standardError = terminal
        try process.run()
        // The child holds the terminal now; this side only reads and types.
        close(slave)
    }

    deinit {
        if process.isRunning { process.terminate() }
        close(master)
        canary?.recordTerminal(transcript, typed: typed)
    }

    /// Reads until `text` shows after what earlier calls consumed; returns
    /// what showed up to and including it.
    @discardableResult
    func expect(_ text: String, timeout: TimeInterval = 30) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let pending = transcript.dropFirst(consumed)
            if let range = pending.range(of: text) {
                let shown = String(pending[..<range.upperBound])
                consumed = transcript.count - pending[range.upperBound...].count
                return shown
            }
            guard Date() < deadline, readSome(milliseconds: 100) else {
                throw Timeout(waitingFor: text, transcript: transcript)
            }
        }
    }

    /// Types `line` and Enter.
    func type(_ line: String) {
        typed.append(line)
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Reads to the end and waits for the exit status.
    func finish(timeout: TimeInterval = 30) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, readSome(milliseconds: 100) || process.isRunning {}
        process.reap()
        return process.terminationStatus
    }

    /// False once the other side is closed (the program ended).
    private func readSome(milliseconds: Int32) -> Bool {
        var fd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&fd, 1, milliseconds) > 0 else { return process.isRunning }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        transcript += String(decoding: buffer[..<n], as: UTF8.self)
        return true
    }
}
