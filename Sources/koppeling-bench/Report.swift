import Foundation

/// The figures of one load run, as a table for people or one JSON line
/// for scripts (scripts/bench.sh reads the latter).
struct Report: Encodable {
    var mix: String
    var connections: Int
    var depth: Int
    var requests: UInt64
    var errors: UInt64
    var warmupRequests: UInt64
    var seconds: Double
    var throughput: Double
    /// Replies with a result per second: what the comparisons use.
    var okPerSecond: Double
    var p50Ms: Double
    var p99Ms: Double
    var p999Ms: Double
    var maxMs: Double
    var meanMs: Double
    var connectionsFailed: Int
    var outOfOrder: UInt64
    var schoolsAdded: UInt64
    var activations: UInt64
    var daemonBefore: DaemonMemory?
    var daemonAfter: DaemonMemory?
    /// CPU used during the run, warm-up included, by the bench and the daemon.
    var benchCPUSeconds: Double?
    var daemonCPUSeconds: Double?
    var errorKinds: [String: UInt64]
    var firstErrors: [String]

    enum CodingKeys: String, CodingKey {
        case mix, connections, depth, requests, errors, seconds, throughput
        case okPerSecond = "ok_per_second"
        case warmupRequests = "warmup_requests"
        case p50Ms = "p50_ms"
        case p99Ms = "p99_ms"
        case p999Ms = "p99_9_ms"
        case maxMs = "max_ms"
        case meanMs = "mean_ms"
        case connectionsFailed = "connections_failed"
        case outOfOrder = "out_of_order"
        case schoolsAdded = "schools_added"
        case activations
        case daemonBefore = "daemon_before"
        case daemonAfter = "daemon_after"
        case benchCPUSeconds = "bench_cpu_s"
        case daemonCPUSeconds = "daemon_cpu_s"
        case errorKinds = "error_kinds"
        case firstErrors = "first_errors"
    }

    init(
        mix: String,
        connections: Int,
        depth: Int,
        outcome: LoadRun.Outcome,
        before: DaemonMemory?,
        after: DaemonMemory?
    ) {
        let t = outcome.total
        let ms = { (ns: UInt64) in Double(ns) / 1e6 }
        self.mix = mix
        self.connections = connections
        self.depth = depth
        requests = t.measured
        errors = t.measuredErrors
        warmupRequests = t.warmup
        seconds = outcome.seconds
        throughput = outcome.seconds > 0 ? Double(t.measured) / outcome.seconds : 0
        okPerSecond = outcome.seconds > 0 ? Double(t.measured - t.measuredErrors) / outcome.seconds : 0
        p50Ms = ms(t.latency.value(atPercentile: 50))
        p99Ms = ms(t.latency.value(atPercentile: 99))
        p999Ms = ms(t.latency.value(atPercentile: 99.9))
        maxMs = ms(t.latency.maximum)
        meanMs = t.latency.mean / 1e6
        connectionsFailed = outcome.connectionsFailed
        outOfOrder = t.outOfOrder
        schoolsAdded = t.succeeded[BenchMethod.schoolAdd.rawValue]
        activations = t.succeeded[BenchMethod.activate.rawValue]
        daemonBefore = before
        daemonAfter = after
        errorKinds = t.errorsByKind
        firstErrors = t.firstErrors
        failure = t.failure
    }

    /// Not in the JSON: the first connection failure, for the human report.
    var failure: String?

    func printHuman() {
        func f(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }
        print("mix \(mix), \(connections) connections, depth \(depth)")
        print("  requests     \(requests) in \(f(seconds, 2)) s (\(warmupRequests) more during warm-up)")
        print("  errors       \(errors)\(outOfOrder > 0 ? ", \(outOfOrder) out of order" : "")")
        print("  throughput   \(f(throughput, 0)) req/s")
        print("  latency ms   p50 \(f(p50Ms))  p99 \(f(p99Ms))  p99.9 \(f(p999Ms))  max \(f(maxMs))  mean \(f(meanMs))")
        if schoolsAdded + activations > 0 {
            print("  left behind  \(schoolsAdded) schools added, \(activations) activations (warm-up included)")
        }
        if let before = daemonBefore {
            print("  daemon RSS before  \(before.rssKiB) KiB (peak so far \(before.peakKiB) KiB)")
        }
        if let after = daemonAfter {
            print("  daemon RSS after   \(after.rssKiB) KiB (peak \(after.peakKiB) KiB)")
        }
        if let benchCPUSeconds {
            print(
                "  CPU seconds  bench \(f(benchCPUSeconds, 2))\(daemonCPUSeconds.map { ", daemon " + f($0, 2) } ?? "") (warm-up included)"
            )
        }
        if connectionsFailed > 0 { print("  connections that stopped early: \(connectionsFailed) (\(failure ?? "?"))") }
        for (kind, n) in errorKinds.sorted(by: { $0.value > $1.value }) { print("  error \(kind): \(n)") }
        for message in firstErrors { print("  first errors: \(message)") }
    }

    /// The JSON line on stdout; what went wrong on stderr, for people.
    func printJSON() throws {
        var stderr = StandardError()
        if let failure { print("connection stopped early: \(failure)", to: &stderr) }
        for (kind, n) in errorKinds.sorted(by: { $0.value > $1.value }) { print("error \(kind): \(n)", to: &stderr) }
        for message in firstErrors { print("first errors: \(message)", to: &stderr) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(self), as: UTF8.self))
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
