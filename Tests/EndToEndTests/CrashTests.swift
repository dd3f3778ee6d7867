import Foundation
import KoppelingClient
import Testing

/// The crash harness, modelled on SQLite's crash tests.
///
/// Each iteration starts the built daemon on the same files, lets 4–8
/// writer threads change the register (school.add, school.import,
/// koppeling.activate/deactivate, eckid.set_key), SIGKILLs the daemon at a
/// random moment, restarts it and checks the files against a model of every
/// acknowledged change:
/// - every change whose success reply arrived is there;
/// - a change sent but unanswered is there entirely or not at all (its
///   data and its audit row agree; an import has all its rows or none);
/// - nothing else is there: no activation without its `ok` audit row, no
///   ECKiD import without its activation, no stray school or code;
/// - `PRAGMA integrity_check` is `ok` and the restarted daemon serves.
///
/// `KOPPELING_CRASH_ITERATIONS` (default 30) sets the number of iterations
/// and `KOPPELING_CRASH_SEED` replays a run; the seed is printed.
/// `scripts/crash-long.sh` runs 1,000.
@Suite("Crash harness: SIGKILL during concurrent writes", .serialized, .secretCanary)
struct CrashTests {
    static var iterations: Int {
        ProcessInfo.processInfo.environment["KOPPELING_CRASH_ITERATIONS"].flatMap { Int($0) } ?? 30
    }

    /// How often a check compares the whole register row by row once it
    /// holds 5,000 schools (`KOPPELING_CRASH_FULL_CHECK_EVERY`, default
    /// 20); the other checks compare the totals and, row by row, the schools
    /// changed since the last check. The check after the last kill is full.
    static var fullCheckEvery: Int {
        max(1, ProcessInfo.processInfo.environment["KOPPELING_CRASH_FULL_CHECK_EVERY"].flatMap { Int($0) } ?? 20)
    }

    /// `KOPPELING_CRASH_VERBOSE=1`: a line per iteration (else every 100th).
    static var verbose: Bool { ProcessInfo.processInfo.environment["KOPPELING_CRASH_VERBOSE"] == "1" }

    static var seed: UInt64 {
        if let text = ProcessInfo.processInfo.environment["KOPPELING_CRASH_SEED"], let s = UInt64(text) { return s }
        return UInt64.random(in: 1...UInt64(Int64.max))
    }

    @Test func everyAcknowledgedChangeSurvivesSIGKILL() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "sqlite3 is not installed")
        let seed = Self.seed
        let iterations = Self.iterations
        Self.say("crash: seed \(seed), \(iterations) iterations (replay: KOPPELING_CRASH_SEED=\(seed))")
        var rng = SplitMix64(seed: seed)
        let directory = TemporaryDirectory()
        let writers = (0..<CrashWriter.maxWriters).map { CrashWriter(index: $0, seed: seed) }
        var stats = CrashStats()
        let started = Date()

        for iteration in 1...iterations {
            let context = "seed \(seed), iteration \(iteration)"
            let daemon: DaemonProcess
            do {
                daemon = try DaemonProcess(directory: directory)
            } catch {
                Issue.record("the daemon did not start on the crashed files (\(context)): \(error)")
                return
            }
            // First the files as the last kill left them, now that the
            // daemon has recovered them.
            let full = iteration % Self.fullCheckEvery == 0 || writers.reduce(0, { $0 + $1.schools.count }) < 5_000
            var check = try CrashCheck(daemon: daemon, writers: writers, seed: rng.next(), full: full)
            let problems = try check.run()
            if full { stats.fullChecks += 1 }
            stats.unansweredApplied += check.applied
            stats.unansweredAbsent += check.absent
            if !problems.isEmpty {
                Issue.record(
                    """
                    \(context): \(problems.count) problem(s):
                    \(problems.prefix(20).joined(separator: "\n"))
                    --- daemon output
                    \(daemon.output.suffix(4000))
                    """
                )
                daemon.kill()
                return
            }
            // Then a new round of writers and a kill at a random moment.
            let count = Int.random(in: 4...CrashWriter.maxWriters, using: &rng)
            let delay = Self.killDelay(using: &rng)
            let group = DispatchGroup()
            for writer in writers.prefix(count) {
                group.enter()
                let thread = Thread {
                    writer.run(socketPath: daemon.socketPath, iteration: iteration)
                    group.leave()
                }
                thread.start()
            }
            usleep(delay)
            let runningAtTheKill = daemon.process.isRunning
            daemon.kill()
            daemon.stderrPipe.fileHandleForReading.readabilityHandler = nil
            // It was our SIGKILL that ended it, not a crash of its own.
            if !runningAtTheKill || daemon.process.terminationReason != .uncaughtSignal
                || daemon.process.terminationStatus != SIGKILL
            {
                Issue.record(
                    """
                    \(context): the daemon ended before the kill (status \(daemon.process.terminationStatus)):
                    \(daemon.output.suffix(4000))
                    """
                )
                return
            }
            if group.wait(timeout: .now() + 60) == .timedOut {
                Issue.record("\(context): a writer did not notice the killed daemon within 60 s")
                return
            }
            stats.kills += 1
            stats.writerRounds += count
            stats.killDelays.append(Double(delay) / 1000)
            if iteration % 100 == 0 || Self.verbose {
                Self.say(
                    "crash: iteration \(iteration): \(count) writers, kill after \(delay / 1000) ms, "
                        + "\(writers.reduce(0) { $0 + $1.acknowledged }) acknowledged so far, "
                        + "\(String(format: "%.0f", Date().timeIntervalSince(started))) s"
                )
            }
            for writer in writers.prefix(count) {
                if !writer.failures.isEmpty {
                    Issue.record(
                        "\(context): writer \(writer.index) got unexpected replies:\n\(writer.failures.prefix(5).joined(separator: "\n"))"
                    )
                    return
                }
            }
        }

        // The last kill: restart, check, and stop cleanly.
        let daemon = try DaemonProcess(directory: directory)
        var check = try CrashCheck(daemon: daemon, writers: writers, seed: rng.next(), full: true)
        let problems = try check.run()
        stats.fullChecks += 1
        stats.unansweredApplied += check.applied
        stats.unansweredAbsent += check.absent
        #expect(problems.isEmpty, "seed \(seed), after the last kill:\n\(problems.prefix(20).joined(separator: "\n"))")
        #expect(daemon.stop() == 0, "the restarted daemon did not stop cleanly:\n\(daemon.output.suffix(2000))")
        stats.elapsed = Date().timeIntervalSince(started)
        Self.say(stats.summary(seed: seed, writers: writers))
    }

    /// A line straight to stdout (unbuffered: a long run shows progress).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Microseconds before the kill: mostly spread over 0–1.2 s, sometimes
    /// very early (writers still connecting or on their first request).
    static func killDelay(using rng: inout SplitMix64) -> UInt32 {
        if Int.random(in: 0..<10, using: &rng) == 0 { return UInt32.random(in: 0...30_000, using: &rng) }
        return UInt32.random(in: 30_000...1_200_000, using: &rng)
    }
}

// MARK: - Writers and their model

/// One change a writer sends.
enum CrashOp: CustomStringConvertible {
    case add(school: String)
    case importRows(schools: [String])
    case activate(school: String, koppeling: String, code: String)
    case deactivate(school: String, koppeling: String)
    case setKey(school: String, key: String)

    var method: String {
        switch self {
        case .add: "school.add"
        case .importRows: "school.import"
        case .activate: "koppeling.activate"
        case .deactivate: "koppeling.deactivate"
        case .setKey: "eckid.set_key"
        }
    }

    var params: [String: Any] {
        switch self {
        case .add(let s): ["brin6": s, "name": "School \(s)"]
        case .importRows(let rows): ["schools": rows.map { ["brin6": $0, "name": "Geïmporteerde school \($0)"] }]
        case .activate(let s, let k, let code):
            [
                "brin6": s, "koppeling": k, "name": "Crash Test", "agree": true,
                "terms_version": ShippedTerms.version(k),
                "verification_code": code,
            ]
        case .deactivate(let s, let k): ["brin6": s, "koppeling": k, "reason": "crash harness"]
        case .setKey(let s, let key): ["brin6": s, "key": key]
        }
    }

    var schools: [String] {
        switch self {
        case .add(let s), .activate(let s, _, _), .deactivate(let s, _), .setKey(let s, _): [s]
        case .importRows(let rows): rows
        }
    }

    /// Never the code or key: descriptions end up in failure messages.
    var description: String {
        switch self {
        case .add(let s): "school.add \(s)"
        case .importRows(let rows): "school.import \(rows.joined(separator: ","))"
        case .activate(let s, let k, _): "koppeling.activate \(s) \(k)"
        case .deactivate(let s, let k): "koppeling.deactivate \(s) \(k)"
        case .setKey(let s, _): "eckid.set_key \(s)"
        }
    }
}

struct ActivationModel: Equatable {
    let code: String
    var deactivated = false
}

/// The ECKiD import of a school as the model knows it: which activation
/// (by its position among the school's ECKiD activations) and whether it
/// stopped with that activation.
struct EckidModel: Equatable {
    var activationOrdinal: Int
    var stopped: Bool
}

/// (method, school, koppeling) of an `ok` audit row.
struct AuditKey: Hashable, CustomStringConvertible {
    let method: String
    let school: String
    let koppeling: String
    var description: String { "\(method) \(school) \(koppeling)" }
}

/// A writer thread's connection, its share of the register (schools no
/// other writer touches) and the model of its acknowledged changes.
final class CrashWriter: @unchecked Sendable {
    static let maxWriters = 8
    static let koppelingen = ["topdossier", "topdossier-eckid"]
    static let eckid = "topdossier-eckid"

    let index: Int
    private let seed: UInt64
    private var nextSchool = 0
    private var nextCode = 0
    private(set) var schools: [String] = []
    /// "school/koppeling" → activations, oldest first.
    private(set) var activations: [String: [ActivationModel]] = [:]
    private(set) var eckid: [String: EckidModel] = [:]
    private(set) var audits: [AuditKey: Int] = [:]
    /// Audit rows of applied imports: one per school.
    private(set) var imports = 0
    /// Changes whose success reply arrived.
    private(set) var acknowledged = 0
    /// The change in flight when the daemon died, until the check settles it.
    var inFlight: CrashOp?
    /// Schools this writer changed (or tried to) since the last check.
    var touched = Set<String>()
    private(set) var failures: [String] = []

    /// The test's secret canary: the writer runs on threads of its own,
    /// which do not see the test's task-local one.
    private let canary = SecretCanary.current

    init(index: Int, seed: UInt64) {
        self.index = index
        self.seed = seed
    }

    /// Sends changes until the connection dies.
    func run(socketPath: String, iteration: Int) {
        failures = []
        var rng = SplitMix64(seed: seed ^ (UInt64(iteration) &* 0x1000_0001) ^ UInt64(index + 1) &* 0x9E37_79B9)
        guard let connection = try? KoppelingConnection(path: socketPath) else { return }
        var id = 0
        while true {
            let op = choose(using: &rng)
            id += 1
            let request: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": op.method, "params": op.params]
            let line = try! JSONSerialization.data(withJSONObject: request)
            inFlight = op
            touched.formUnion(op.schools)
            guard let reply = try? connection.exchange(line) else { return }
            inFlight = nil
            guard let object = E2E.object(reply), object["result"] != nil else {
                // Every change the writers send is valid: a refusal is a bug
                // (or a model that went wrong). Its change must be absent.
                failures.append("\(op): \(String(decoding: reply.prefix(600), as: UTF8.self))")
                return
            }
            apply(op)
            acknowledged += 1
        }
    }

    private func choose(using rng: inout SplitMix64) -> CrashOp {
        let r = Int.random(in: 0..<100, using: &rng)
        if schools.isEmpty || r < 10 { return .add(school: newSchool()) }
        if r < 18 { return .importRows(schools: (0..<Int.random(in: 2...5, using: &rng)).map { _ in newSchool() }) }
        // Mostly the newer schools, so koppelingen come and go on them.
        let window = schools.suffix(40)
        let school = window[window.startIndex + Int.random(in: 0..<window.count, using: &rng)]
        let koppeling = Self.koppelingen[Int.random(in: 0..<2, using: &rng)]
        guard let current = activations["\(school)/\(koppeling)"]?.last, !current.deactivated else {
            return .activate(school: school, koppeling: koppeling, code: newCode(for: school, using: &rng))
        }
        if koppeling == Self.eckid {
            let ordinal = activations["\(school)/\(koppeling)"]!.count - 1
            let keySet = eckid[school].map { $0.activationOrdinal == ordinal && !$0.stopped } ?? false
            // The key once, now and then the same key again (changes nothing).
            if (!keySet && r < 75) || (keySet && r < 30) { return .setKey(school: school, key: current.code) }
        }
        return .deactivate(school: school, koppeling: koppeling)
    }

    /// A BRIN6 only this writer uses: its letter in the third place.
    private func newSchool() -> String {
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let n = nextSchool
        nextSchool += 1
        let d = { (v: Int) in v < 10 ? "0\(v)" : "\(v)" }
        return d(n % 100) + String(letters[index]) + String(letters[n / 100 % 26]) + d(n / 2600 % 100)
    }

    /// A valid code never used before: the BRIN6 (now and then in lower
    /// case), this writer's number and a counter, then random letters and
    /// digits up to a random length of 20–50.
    private func newCode(for school: String, using rng: inout SplitMix64) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        nextCode += 1
        let prefix = (Int.random(in: 0..<5, using: &rng) == 0 ? school.lowercased() : school) + "W\(index)N\(nextCode)X"
        let length = Int.random(in: max(20, prefix.count)...50, using: &rng)
        let code =
            prefix
            + String(
                (0..<(length - prefix.count)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }
            )
        canary?.recordCode(code)
        return code
    }

    /// The model after `op` took effect.
    func apply(_ op: CrashOp) {
        switch op {
        case .add(let s):
            schools.append(s)
            audits[AuditKey(method: op.method, school: s, koppeling: ""), default: 0] += 1
        case .importRows(let rows):
            schools.append(contentsOf: rows)
            // One audit row per school imported.
            for s in rows { audits[AuditKey(method: op.method, school: s, koppeling: ""), default: 0] += 1 }
            imports += rows.count
        case .activate(let s, let k, let code):
            activations["\(s)/\(k)", default: []].append(ActivationModel(code: code))
            audits[AuditKey(method: op.method, school: s, koppeling: k), default: 0] += 1
        case .deactivate(let s, let k):
            let key = "\(s)/\(k)"
            let last = activations[key]!.count - 1
            activations[key]![last].deactivated = true
            if k == Self.eckid, var e = eckid[s], e.activationOrdinal == last {
                e.stopped = true
                eckid[s] = e
            }
            audits[AuditKey(method: op.method, school: s, koppeling: k), default: 0] += 1
        case .setKey(let s, _):
            eckid[s] = EckidModel(activationOrdinal: activations["\(s)/\(Self.eckid)"]!.count - 1, stopped: false)
            audits[AuditKey(method: op.method, school: s, koppeling: Self.eckid), default: 0] += 1
        }
    }

    func expectedAudits(_ key: AuditKey) -> Int { audits[key] ?? 0 }
}

// MARK: - The check after a restart

/// Whole-register counts: cheap, and they catch a change lost or added
/// anywhere, also in schools a check does not look at row by row.
struct RegisterTotals: Equatable, CustomStringConvertible {
    var schools = 0
    var activations = 0
    var deactivated = 0
    var liveImports = 0
    var stoppedImports = 0
    var usedCodes = 0
    var okAudits = 0
    var okImports = 0
    var otherAudits = 0

    var description: String {
        "schools \(schools), activations \(activations) (\(deactivated) ended), imports \(liveImports) live/\(stoppedImports) stopped, "
            + "used codes \(usedCodes), ok audit rows \(okAudits) (\(okImports) imports), other audit rows \(otherAudits)"
    }
}

/// The register as the files hold it, read with `sqlite3 -readonly`: the
/// totals, and row by row either everything or only `schools`.
struct RegisterSnapshot {
    var schools = Set<String>()
    /// "school/koppeling" → (id, deactivated, code prefix, code length), by id.
    var activations: [String: [(id: Int, deactivated: Bool, prefix: String, length: Int)]] = [:]
    var imports: [String: (activationID: Int, state: String, reason: String)] = [:]
    var okAudits: [AuditKey: Int] = [:]
    var totals = RegisterTotals()
    var integrity = ""

    static let methods = ["school.add", "school.import", "koppeling.activate", "koppeling.deactivate", "eckid.set_key"]

    init(databasePath path: String, only subset: Set<String>?) throws {
        func rows(_ sql: String) throws -> [[String]] {
            try BackupTests.sqlite(path, sql).split(separator: "\n").map {
                $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            }
        }
        // BRIN6s are letters and digits only: safe in a literal list.
        let filter = { (column: String) in
            subset.map { " WHERE \(column) IN (" + $0.map { "'\($0)'" }.joined(separator: ",") + ")" } ?? ""
        }
        let methods = Self.methods.map { "'\($0)'" }.joined(separator: ",")
        integrity = try BackupTests.sqlite(path, "PRAGMA integrity_check").trimmingCharacters(
            in: .whitespacesAndNewlines
        )
        let t =
            try rows(
                """
                SELECT (SELECT count(*) FROM school), (SELECT count(*) FROM activation),
                       (SELECT count(*) FROM activation WHERE deactivated_at IS NOT NULL),
                       (SELECT count(*) FROM eckid_import WHERE state IN ('pending', 'active')),
                       (SELECT count(*) FROM eckid_import WHERE state = 'disabled'),
                       (SELECT count(*) FROM used_code),
                       (SELECT count(*) FROM audit WHERE outcome = 'ok' AND method IN (\(methods))),
                       (SELECT count(*) FROM audit WHERE outcome = 'ok' AND method = 'school.import'),
                       (SELECT count(*) FROM audit WHERE outcome <> 'ok' AND method IN (\(methods)))
                """
            ).first?.compactMap { Int($0) } ?? []
        guard t.count == 9 else { throw SnapshotError.unreadable(path) }
        totals = RegisterTotals(
            schools: t[0],
            activations: t[1],
            deactivated: t[2],
            liveImports: t[3],
            stoppedImports: t[4],
            usedCodes: t[5],
            okAudits: t[6],
            okImports: t[7],
            otherAudits: t[8]
        )
        if let subset, subset.isEmpty { return }
        schools = Set(try rows("SELECT brin6 FROM school" + filter("brin6")).map { $0[0] })
        for r in try rows(
            """
            SELECT id, school_brin6, koppeling_id, deactivated_at IS NOT NULL, code_prefix, code_length FROM activation
            \(filter("school_brin6")) ORDER BY id
            """
        ) {
            activations["\(r[1])/\(r[2])", default: []].append((Int(r[0])!, r[3] == "1", r[4], Int(r[5])!))
        }
        for r in try rows(
            "SELECT school_brin6, activation_id, state, coalesce(disabled_reason, '') FROM eckid_import"
                + filter("school_brin6")
        ) {
            imports[r[0]] = (Int(r[1])!, r[2], r[3])
        }
        let auditFilter = subset == nil ? " WHERE outcome = 'ok'" : filter("school") + " AND outcome = 'ok'"
        for r in try rows(
            """
            SELECT method, coalesce(school, ''), coalesce(koppeling, ''), count(*) FROM audit\(auditFilter)
            AND method IN (\(methods)) GROUP BY 1, 2, 3
            """
        ) {
            okAudits[AuditKey(method: r[0], school: r[1], koppeling: r[2])] = Int(r[3])!
        }
    }

    enum SnapshotError: Error { case unreadable(String) }
}

struct CrashStats {
    var kills = 0
    var fullChecks = 0
    var writerRounds = 0
    var unansweredApplied = 0
    var unansweredAbsent = 0
    var killDelays: [Double] = []
    var elapsed: TimeInterval = 0

    func summary(seed: UInt64, writers: [CrashWriter]) -> String {
        let acknowledged = writers.reduce(0) { $0 + $1.acknowledged }
        let schools = writers.reduce(0) { $0 + $1.schools.count }
        let activations = writers.reduce(0) { $0 + $1.activations.values.reduce(0) { $0 + $1.count } }
        let meanDelay = killDelays.isEmpty ? 0 : killDelays.reduce(0, +) / Double(killDelays.count)
        return """
            crash: seed \(seed): \(kills) SIGKILLs and restarts in \(String(format: "%.1f", elapsed)) s \
            (\(writerRounds) writer rounds, mean kill delay \(String(format: "%.0f", meanDelay)) ms); \
            \(acknowledged) acknowledged changes, all present; unanswered at the kill: \(unansweredApplied) applied whole, \
            \(unansweredAbsent) absent, 0 half-applied; register: \(schools) schools, \(activations) activations; \
            integrity_check ok after every restart (\(fullChecks) of \(kills + 1) checks row by row over the whole register)
            """
    }
}

/// Settles each writer's unanswered change, then compares the model with
/// the files: the totals always, row by row either the whole register or
/// the schools changed since the last check (`full`), and asks the
/// restarted daemon over its socket.
struct CrashCheck {
    let daemon: DaemonProcess
    let writers: [CrashWriter]
    /// nil: the whole register, row by row.
    private let subset: Set<String>?
    private let snapshot: RegisterSnapshot
    private var rng: SplitMix64
    private var problems: [String] = []
    /// Unanswered changes found whole / absent.
    private(set) var applied = 0
    private(set) var absent = 0

    init(daemon: DaemonProcess, writers: [CrashWriter], seed: UInt64, full: Bool) throws {
        self.daemon = daemon
        self.writers = writers
        self.subset = full ? nil : writers.reduce(into: Set<String>()) { $0.formUnion($1.touched) }
        self.snapshot = try RegisterSnapshot(databasePath: daemon.databasePath, only: subset)
        self.rng = SplitMix64(seed: seed)
    }

    private func inScope(_ school: String) -> Bool { subset?.contains(school) ?? true }

    mutating func run() throws -> [String] {
        if snapshot.integrity != "ok" { problems.append("integrity_check: \(snapshot.integrity)") }
        for writer in writers { settle(writer) }
        compareTotals()
        compareRows()
        try askDaemon()
        for writer in writers { writer.touched.removeAll() }
        return problems
    }

    /// An unanswered change is either whole (its data and its `ok` audit
    /// row) or absent; the model takes it in when it is whole.
    private mutating func settle(_ writer: CrashWriter) {
        guard let op = writer.inFlight else { return }
        writer.inFlight = nil
        let s = snapshot
        func auditApplied(_ key: AuditKey) -> Bool? {
            switch (s.okAudits[key] ?? 0) - writer.expectedAudits(key) {
            case 0: return false
            case 1: return true
            default: return nil
            }
        }
        var applied: Bool
        switch op {
        case .add(let school):
            let data = s.schools.contains(school)
            let audit = auditApplied(AuditKey(method: op.method, school: school, koppeling: ""))
            if audit != data {
                problems.append("half-applied \(op): school row \(data), audit row \(String(describing: audit))")
            }
            applied = data
        case .importRows(let rows):
            let present = rows.filter { s.schools.contains($0) }.count
            if present != 0, present != rows.count {
                problems.append("half-applied \(op): \(present) of \(rows.count) rows present")
            }
            applied = present == rows.count
            for school in rows {
                let audit = auditApplied(AuditKey(method: op.method, school: school, koppeling: ""))
                if audit != applied {
                    problems.append(
                        "half-applied \(op): rows \(applied), audit row of \(school) \(String(describing: audit))"
                    )
                }
            }
        case .activate(let school, let koppeling, _):
            let key = "\(school)/\(koppeling)"
            let before = writer.activations[key]?.count ?? 0
            let now = s.activations[key]?.count ?? 0
            if now != before, now != before + 1 {
                problems.append("\(op): \(now) activations, model \(before) before it")
            }
            let data = now == before + 1
            let audit = auditApplied(AuditKey(method: op.method, school: school, koppeling: koppeling))
            if audit != data {
                problems.append("half-applied \(op): activation row \(data), audit row \(String(describing: audit))")
            }
            applied = data
        case .deactivate(let school, let koppeling):
            let data = s.activations["\(school)/\(koppeling)"]?.last?.deactivated ?? false
            let audit = auditApplied(AuditKey(method: op.method, school: school, koppeling: koppeling))
            if audit != data {
                problems.append("half-applied \(op): deactivated \(data), audit row \(String(describing: audit))")
            }
            applied = data
        case .setKey(let school, _):
            let audit = auditApplied(AuditKey(method: op.method, school: school, koppeling: CrashWriter.eckid))
            let current = s.activations["\(school)/\(CrashWriter.eckid)"]?.last
            let row = s.imports[school]
            let data = row != nil && row!.activationID == current?.id && ["pending", "active"].contains(row!.state)
            let alreadySet =
                writer.eckid[school].map {
                    $0.activationOrdinal == (writer.activations["\(school)/\(CrashWriter.eckid)"]?.count ?? 0) - 1
                        && !$0.stopped
                } ?? false
            // Entering the same key again changes no data: its audit row
            // alone tells whether it went through.
            if audit == nil || (!alreadySet && audit != data) {
                problems.append("half-applied \(op): import row \(data), audit row \(String(describing: audit))")
            }
            applied = audit ?? false
        }
        if applied {
            writer.apply(op)
            self.applied += 1
        } else {
            self.absent += 1
        }
    }

    /// The counts of the whole register equal the model's.
    private mutating func compareTotals() {
        var model = RegisterTotals()
        for w in writers {
            model.schools += w.schools.count
            for list in w.activations.values {
                model.activations += list.count
                model.deactivated += list.filter(\.deactivated).count
            }
            model.liveImports += w.eckid.values.filter { !$0.stopped }.count
            model.stoppedImports += w.eckid.values.filter(\.stopped).count
            model.okAudits += w.audits.values.reduce(0, +)
            model.okImports += w.imports
        }
        model.usedCodes = model.activations
        if model != snapshot.totals {
            problems.append("totals differ\n  files: \(snapshot.totals)\n  model: \(model)")
        }
    }

    /// Row by row: nothing acknowledged is missing, nothing unacknowledged
    /// is there, nothing is half there.
    private mutating func compareRows() {
        let s = snapshot
        let expectedSchools = Set(writers.flatMap(\.schools).filter(inScope))
        let missing = expectedSchools.subtracting(s.schools)
        let extra = s.schools.subtracting(expectedSchools)
        if !missing.isEmpty { problems.append("acknowledged schools missing: \(missing.sorted().prefix(10))") }
        if !extra.isEmpty { problems.append("schools no one was told about: \(extra.sorted().prefix(10))") }

        var expectedActivations: [String: [ActivationModel]] = [:]
        for w in writers {
            for (key, list) in w.activations where inScope(String(key.prefix(6))) { expectedActivations[key] = list }
        }
        for key in Set(expectedActivations.keys).union(s.activations.keys) {
            let model = expectedActivations[key] ?? []
            let files = s.activations[key] ?? []
            if model.count != files.count {
                problems.append("\(key): \(files.count) activations in the files, \(model.count) acknowledged")
                continue
            }
            for (m, f) in zip(model, files) {
                if m.deactivated != f.deactivated {
                    problems.append(
                        "\(key) activation \(f.id): deactivated \(f.deactivated), acknowledged \(m.deactivated)"
                    )
                }
                if m.code.count != f.length || m.code.prefix(6).uppercased() != f.prefix {
                    problems.append(
                        "\(key) activation \(f.id): masked code \(f.prefix)/\(f.length) is not the one sent"
                    )
                }
            }
        }

        // Every import belongs to its school's ECKiD activation, and is
        // pending/active while that activation is, stopped once it ended.
        var expectedImports: [String: EckidModel] = [:]
        for w in writers {
            for (school, model) in w.eckid where inScope(school) { expectedImports[school] = model }
        }
        for school in Set(expectedImports.keys).union(s.imports.keys) {
            guard let model = expectedImports[school] else {
                problems.append("ECKiD import of \(school) that no one set")
                continue
            }
            guard let row = s.imports[school] else {
                problems.append("acknowledged ECKiD import of \(school) is missing")
                continue
            }
            let owners = s.activations["\(school)/\(CrashWriter.eckid)"] ?? []
            guard let ordinal = owners.firstIndex(where: { $0.id == row.activationID }) else {
                problems.append("ECKiD import of \(school) without its activation (\(row.activationID))")
                continue
            }
            let owner = owners[ordinal]
            if ordinal != model.activationOrdinal {
                problems.append("ECKiD import of \(school) belongs to the wrong activation")
            }
            if model.stopped {
                if row.state != "disabled" || row.reason != "activation_ended" || !owner.deactivated {
                    problems.append(
                        "ECKiD import of \(school): \(row.state)/\(row.reason), expected disabled/activation_ended"
                    )
                }
            } else if !["pending", "active"].contains(row.state) || owner.deactivated {
                problems.append(
                    "ECKiD import of \(school): \(row.state) on a \(owner.deactivated ? "deactivated" : "active") activation"
                )
            }
        }

        // Audit rows: exactly one `ok` row per applied change, and per school
        // of an import. (Refusals and errors: the totals require none.)
        var expectedAudits: [AuditKey: Int] = [:]
        for w in writers {
            for (key, n) in w.audits where inScope(key.school) { expectedAudits[key] = n }
        }
        for key in Set(expectedAudits.keys).union(s.okAudits.keys) {
            let want = expectedAudits[key] ?? 0
            let have = s.okAudits[key] ?? 0
            if want != have { problems.append("audit \(key): \(have) ok rows, \(want) applied changes") }
        }
    }

    /// The restarted daemon answers, logged no error, and agrees with the
    /// files about schools the check read.
    private mutating func askDaemon() throws {
        let connection = try daemon.connect()
        func call(_ method: String, _ params: [String: Any]) throws -> [String: Any] {
            let line = try JSONSerialization.data(withJSONObject: [
                "jsonrpc": "2.0", "id": 1, "method": method, "params": params,
            ])
            return E2E.object(try connection.exchange(line)) ?? [:]
        }
        let hello = try call("hello", [:])
        if (hello["result"] as? [String: Any])?["protocol"] as? Int != 2 {
            problems.append("hello after restart: \(hello)")
        }
        // A clean start: warnings (the stale socket) are fine, errors not.
        for line in daemon.output.split(separator: "\n")
        where line.contains(" error koppelingd") || line.contains(" critical koppelingd") {
            problems.append("the restarted daemon logged: \(line)")
        }
        let schools = writers.flatMap(\.schools).filter(inScope)
        guard !schools.isEmpty else { return }
        for _ in 0..<3 {
            let school = schools[Int.random(in: 0..<schools.count, using: &rng)]
            let reply = try call("school.get", ["brin6": school])
            guard let result = reply["result"] as? [String: Any], let list = result["activations"] as? [[String: Any]]
            else {
                problems.append("school.get \(school) after restart: \(reply)")
                continue
            }
            let files = CrashWriter.koppelingen.reduce(0) { $0 + (snapshot.activations["\(school)/\($1)"]?.count ?? 0) }
            let active = CrashWriter.koppelingen.reduce(0) {
                $0 + (snapshot.activations["\(school)/\($1)"]?.filter { !$0.deactivated }.count ?? 0)
            }
            if list.count != files || list.filter({ $0["active"] as? Bool == true }).count != active {
                problems.append(
                    "school.get \(school): \(list.count) activations over the socket, \(files) in the files"
                )
            }
            let state = (result["eckid_import"] as? [String: Any])?["state"] as? String
            if state != snapshot.imports[school]?.state {
                problems.append(
                    "school.get \(school): ECKiD import \(state ?? "none"), files \(snapshot.imports[school]?.state ?? "none")"
                )
            }
        }
    }
}
