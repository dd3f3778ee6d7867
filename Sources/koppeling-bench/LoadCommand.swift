import ArgumentParser
import Foundation
import KoppelingProtocol

/// The load run: N connections, each with D requests in flight, for a
/// count or a duration, then throughput, latency percentiles and the
/// daemon's memory.
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Drive the daemon with a read, write or mixed load (the default)."
    )

    @Option(help: "The daemon's socket (default: as koppelingctl finds it).") var socket: String?
    @Option(help: "Connections, one OS thread each.") var connections = 16
    @Option(help: "Requests each connection keeps in flight (pipelining), 1…64.") var depth = 1
    @Option(help: "read, write, mixed, get (school.get alone) or add (school.add alone).") var mix: Mix = .read
    @Option(help: "Requests to measure, shared over the connections.") var requests: Int?
    @Option(help: "Seconds to measure (default 10 when --requests is not given).") var duration: Double?
    @Option(help: "Seconds of load before measuring starts.") var warmup: Double = 0
    @Option(name: .customLong("daemon-pid"), help: "The daemon's pid, to read its RSS from /proc.") var daemonPID:
        Int32?
    @Option(name: .customLong("read-schools"), help: "Schools the read mix registers (from 10AA00) and reads.")
    var readSchools = 100
    @Option(
        name: .customLong("school-block"),
        help:
            "Leading two digits of the schools the write mix adds, 11…99 (default: random), so runs on one database do not collide."
    )
    var schoolBlock: Int?
    @Flag(help: "Print one JSON line instead of the table.") var json = false

    func validate() throws {
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        // The daemon stops reading a connection with 64 requests in flight.
        guard (1...64).contains(depth) else { throw ValidationError("--depth must be 1…64") }
        if let requests, requests < connections { throw ValidationError("--requests must be at least --connections") }
        if requests != nil, duration != nil { throw ValidationError("give --requests or --duration, not both") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
        guard (1...10_000).contains(readSchools) else { throw ValidationError("--read-schools must be 1…10000") }
        if let schoolBlock, !(11...99).contains(schoolBlock) { throw ValidationError("--school-block must be 11…99") }
    }

    func run() throws {
        let path = socket ?? DefaultPaths.clientSocket()
        let schools = ReadSchools.brin6s(count: readSchools)
        if mix != .write, mix != .add { try ReadSchools.ensure(schools, socket: path) }

        let block = schoolBlock ?? Int.random(in: 11...99)
        let runTag = CodeFactory.randomTag()
        let scripts = (0..<connections).map {
            RequestScript(
                mix: mix,
                readSchools: schools,
                connection: $0,
                connections: connections,
                firstWriteSchool: Brin6Space.firstIndex(ofBlock: block),
                runTag: runTag
            )
        }
        let quotas: [Int?] = (0..<connections).map { c in
            requests.map { $0 / connections + (c < $0 % connections ? 1 : 0) }
        }
        let before = daemonPID.flatMap(DaemonMemory.read)
        let cpuBefore = (ProcessCPU.ownSeconds(), daemonPID.flatMap(ProcessCPU.seconds))
        let outcome = LoadRun.run(
            socket: path,
            depth: depth,
            quotas: quotas,
            sources: scripts,
            warmup: warmup,
            duration: requests == nil ? (duration ?? 10) : nil
        )
        let after = daemonPID.flatMap(DaemonMemory.read)
        var report = Report(
            mix: mix.rawValue,
            connections: connections,
            depth: depth,
            outcome: outcome,
            before: before,
            after: after
        )
        // Warm-up included: the CPU figures cover the whole load phase.
        report.benchCPUSeconds = ProcessCPU.ownSeconds() - cpuBefore.0
        if let start = cpuBefore.1, let end = daemonPID.flatMap(ProcessCPU.seconds) {
            report.daemonCPUSeconds = end - start
        }
        if json { try report.printJSON() } else { report.printHuman() }
        if outcome.connectionsFailed == connections { throw ExitCode(3) }
    }
}
