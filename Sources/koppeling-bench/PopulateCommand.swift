import ArgumentParser
import Foundation
import KoppelingClient
import KoppelingProtocol

/// Fills a register to a given size through the daemon itself, so the
/// start-up figures are taken on a database the daemon wrote.
struct PopulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "populate",
        abstract: "Register schools and activations (with ended ones between) up to a size."
    )

    @Option(help: "The daemon's socket.") var socket: String?
    @Option(help: "Schools to import.") var schools = 10_000
    @Option(help: "Activations to make, current and ended together (at least one per school and koppeling).")
    var activations = 100_000
    @Option(help: "Connections.") var connections = 16
    @Option(help: "Requests in flight per connection.") var depth = 8
    @Option(name: .customLong("school-block"), help: "Leading two digits of the schools, 11…99.") var schoolBlock = 20
    @Flag(help: "Print one JSON line.") var json = false

    func validate() throws {
        guard schools >= 1, schools <= Brin6Space.perBlock * (100 - schoolBlock) else {
            throw ValidationError("--schools out of range")
        }
        guard activations >= schools * 2 else { throw ValidationError("--activations must be at least 2 × --schools") }
        guard connections >= 1, (1...64).contains(depth) else {
            throw ValidationError("--connections ≥ 1, --depth 1…64")
        }
        guard (11...99).contains(schoolBlock) else { throw ValidationError("--school-block must be 11…99") }
    }

    func run() throws {
        let path = socket ?? DefaultPaths.clientSocket()
        let first = Brin6Space.firstIndex(ofBlock: schoolBlock)
        let brin6s = (0..<schools).map { Brin6Space.brin6(first + $0) }
        let started = MonotonicClock.now()
        let connection = try KoppelingConnection(path: path)
        // Chunks keep each line far below the 1 MiB limit.
        for chunk in stride(from: 0, to: brin6s.count, by: 2_000) {
            let rows = brin6s[chunk..<min(chunk + 2_000, brin6s.count)].map {
                SchoolImportParams.Row(brin6: $0, name: "Vestiging \($0)")
            }
            _ = try connection.call(
                Methods.schoolImport,
                SchoolImportParams(schools: rows)
            )
        }
        let pairs = schools * RequestScript.koppelingen.count
        let rounds = (activations + pairs - 1) / pairs
        let runTag = CodeFactory.randomTag()
        let scripts = (0..<connections).map {
            PopulateScript(schools: brin6s, connection: $0, connections: connections, rounds: rounds, runTag: runTag)
        }
        let outcome = LoadRun.run(
            socket: path,
            depth: depth,
            quotas: Array(repeating: nil, count: connections),
            sources: scripts,
            warmup: 0,
            duration: nil
        )
        let seconds = Double(MonotonicClock.now() - started) / 1e9
        let t = outcome.total
        let made = t.succeeded[BenchMethod.activate.rawValue]
        let writes = t.measured
        if json {
            print(
                #"{"schools":\#(schools),"activations":\#(made),"writes":\#(writes),"errors":\#(t.measuredErrors),"seconds":\#(String(format: "%.2f", seconds)),"writes_per_second":\#(String(format: "%.0f", Double(writes) / outcome.seconds))}"#
            )
        } else {
            print(
                "populated: \(schools) schools, \(made) activations (\(pairs) active), \(writes) writes in \(String(format: "%.1f", seconds)) s, \(t.measuredErrors) errors"
            )
            for message in t.firstErrors { print("  first errors: \(message)") }
        }
        if json {
            var stderr = StandardError()
            for message in t.firstErrors { print("first errors: \(message)", to: &stderr) }
        }
        // Error replies are reported, not fatal: the register is still big
        // enough to time a start-up on. A dead daemon is fatal.
        if outcome.connectionsFailed == connections { throw ExitCode(3) }
    }
}
