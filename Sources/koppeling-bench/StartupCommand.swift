import ArgumentParser
import Foundation
import KoppelingClient
import KoppelingProtocol

/// Starts the daemon on an existing database several times and times
/// each start to READY=1 and to the first `hello` reply.
struct StartupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "startup",
        abstract: "Time koppelingd from exec to READY=1 and to its first reply."
    )

    @Option(help: "The koppelingd executable.") var daemon: String
    @Option(help: "Its database (populated beforehand).") var database: String
    @Option(help: "The socket it should listen on.") var socket: String
    @Option(help: "Starts to time.") var runs = 5
    @Option(name: .customLong("daemon-log"), help: "File for the daemon's log (default: discarded).") var daemonLog:
        String?
    @Flag(help: "Print one JSON line.") var json = false

    func run() throws {
        var ready: [Double] = []
        var firstReply: [Double] = []
        var rss: [Int] = []
        let notify = try NotifyListener(path: socket + ".notify")
        let log =
            daemonLog.flatMap { path -> FileHandle? in
                FileManager.default.createFile(atPath: path, contents: nil)
                return FileHandle(forWritingAtPath: path)
            } ?? FileHandle.nullDevice
        for _ in 0..<runs {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: daemon)
            process.arguments = ["--database", database, "--socket", socket]
            var environment = ProcessInfo.processInfo.environment
            environment["NOTIFY_SOCKET"] = notify.path
            process.environment = environment
            process.standardOutput = log
            process.standardError = log
            let started = MonotonicClock.now()
            try process.run()
            defer {
                process.terminate()
                process.waitUntilExit()
            }
            guard let readyAt = notify.waitForReady(timeout: 60) else {
                throw BenchFailure("koppelingd did not report READY=1 within 60 s")
            }
            let connection = try KoppelingConnection(path: socket)
            _ = try connection.callRaw(Methods.hello, NoParams())
            let repliedAt = MonotonicClock.now()
            ready.append(Double(readyAt - started) / 1e6)
            firstReply.append(Double(repliedAt - started) / 1e6)
            if let memory = DaemonMemory.read(pid: process.processIdentifier) { rss.append(memory.rssKiB) }
        }
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        let f = { (x: Double) in String(format: "%.1f", x) }
        let rssMedian = rss.isEmpty ? 0 : rss.sorted()[rss.count / 2]
        if json {
            print(
                #"{"runs":\#(runs),"ready_ms_median":\#(f(median(ready))),"ready_ms_min":\#(f(ready.min()!)),"ready_ms_max":\#(f(ready.max()!)),"first_reply_ms_median":\#(f(median(firstReply))),"rss_kib_after_ready":\#(rssMedian)}"#
            )
        } else {
            print(
                "start-up over \(runs) runs: READY=1 after \(f(median(ready))) ms median (min \(f(ready.min()!)), max \(f(ready.max()!))); first hello reply after \(f(median(firstReply))) ms median; RSS \(rssMedian) KiB"
            )
        }
    }
}
