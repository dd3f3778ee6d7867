import Foundation
import KoppelingClient
import Testing

/// No libdispatch in the daemon (DESIGN §7): its workers and manager thread
/// are what log "Failed to set thread priority" at every start in a
/// container. The daemon's threads are the loop, the database thread and
/// one kind of pool; signals are taken without a dispatch source.
@Suite("Threads and signals")
struct ThreadTests {
    /// libdispatch names each worker after its root queue
    /// (`com.apple.root.default-qos.overcommit`, …); the kernel keeps the
    /// last 15 bytes (`-qos.overcommit`, `oot.default-qos`).
    static func isLibdispatch(_ name: String) -> Bool {
        ["qos", "com.apple", "dispatch", "overcommit"].contains { name.contains($0) }
    }

    /// The name of each thread of `pid`, from /proc/PID/task/*/comm.
    static func threadNames(of pid: Int32) throws -> [String] {
        let tasks = "/proc/\(pid)/task"
        return try FileManager.default.contentsOfDirectory(atPath: tasks).sorted().map {
            try String(contentsOfFile: "\(tasks)/\($0)/comm", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// libdispatch logs through syslog unless told otherwise; with this it
    /// writes its complaints to the stderr the tests read (under systemd
    /// syslog is the journal).
    static let dispatchToStderr = ["LIBDISPATCH_LOG": "stderr"]

    static func waitFor(_ text: String, in daemon: DaemonProcess, seconds: TimeInterval = 10) {
        let deadline = Date().addingTimeInterval(seconds)
        while !daemon.output.contains(text), Date() < deadline { usleep(20_000) }
    }

    @Test("no libdispatch thread once started and idle a while, one thread pool, no thread-priority line; SIGTERM stops it")
    func noLibdispatchThread() throws {
        let daemon = try DaemonProcess(environment: Self.dispatchToStderr)
        // The full check after start ran off the loop, and the watchers
        // have slept a few times: what ran on libdispatch before has run.
        Self.waitFor("register file checked", in: daemon)
        #expect(daemon.output.contains("register file checked"), "\(daemon.output)")
        let verified = try daemon.rawCall(#"{"jsonrpc":"2.0","id":1,"method":"audit.verify"}"#)
        #expect(verified["result"] != nil, "\(verified)")
        usleep(2_500_000)
        let names = try Self.threadNames(of: daemon.process.processIdentifier)
        #expect(!names.contains(where: Self.isLibdispatch), "threads: \(names)")
        // Every thread the daemon has: the main thread (signals), the one
        // loop, the database thread and one thread pool of 7
        // (`RequestPath.poolThreads`), each pool thread named once.
        let pool = names.filter { $0.hasPrefix("TP-#") }.sorted()
        #expect(pool == (0..<7).map { "TP-#\($0)" }, "threads: \(names)")
        #expect(names.filter { $0.hasPrefix("NIO-ELT-") }.count == 1, "threads: \(names)")
        #expect(names.count == pool.count + 3, "threads: \(names)")
        #expect(Set(names).isSuperset(of: ["koppelingd", "koppelingd-db"]), "threads: \(names)")
        #expect(!daemon.output.lowercased().contains("thread priority"), "\(daemon.output)")
        #expect(daemon.stop() == 0)
        #expect(daemon.output.contains("stopped cleanly"), "\(daemon.output)")
    }

    @Test("SIGINT stops the daemon cleanly, as SIGTERM does")
    func interruptStops() throws {
        let daemon = try DaemonProcess()
        #expect(kill(daemon.process.processIdentifier, SIGINT) == 0)
        daemon.process.reap()
        #expect(daemon.process.terminationReason == .exit)
        #expect(daemon.process.terminationStatus == 0, "\(daemon.output)")
        #expect(daemon.output.contains("stopped cleanly"), "\(daemon.output)")
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "the socket was left behind")
    }

    /// In a container, or under a unit without `LimitNICE`, a thread may
    /// not lower its nice value; libdispatch's manager thread asks for -4
    /// and logged the refusal. Run here without CAP_SYS_NICE (as root;
    /// a user without it is in that position already, and the test above
    /// covers it).
    @Test("without CAP_SYS_NICE the start logs no thread-priority line")
    func noPriorityLineWithoutNiceCapability() throws {
        let setpriv = "/usr/bin/setpriv"
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: setpriv) else { return }
        let directory = TemporaryDirectory()
        let socket = directory.path + "/k.sock"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: setpriv)
        process.arguments = [
            "--bounding-set=-sys_nice", "--inh-caps=-sys_nice", BuiltProducts.koppelingd.path,
            "--database", directory.path + "/state/koppelingd.db", "--socket", socket,
        ]
        var env = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "WATCHDOG_USEC"] { env[key] = nil }
        env.merge(Self.dispatchToStderr) { $1 }
        process.environment = env
        let collected = OutputCollector()
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { collected.append($0.availableData) }
        try process.run()
        defer {
            if process.isRunning {
                process.terminate()
                process.reap()
            }
        }
        let deadline = Date().addingTimeInterval(20)
        while !collected.text.contains("register file checked"), process.isRunning, Date() < deadline { usleep(20_000) }
        #expect(collected.text.contains("register file checked"), "\(collected.text)")
        usleep(1_500_000)
        #expect(!collected.text.lowercased().contains("thread priority"), "\(collected.text)")
        process.terminate()
        process.reap()
        #expect(process.terminationStatus == 0, "\(collected.text)")
    }
}
