import Foundation
import KoppelingClient
import Testing

/// Transactions tell the truth on a disk that fills up under
/// concurrent writers: queued requests share one commit, and SQLite may
/// roll that transaction back by itself midway (SQLITE_FULL). Whatever a
/// client was told, success or refusal, is what the register holds after
/// a restart.
@Suite("Full disk", .serialized)
struct FullDiskTests {
    static let writers = 4
    /// Requests each writer sends before it reads their replies.
    static let inFlight = 4
    static let importers = 2
    /// An import of this size (a line of some 950 KB) passes the daemon's
    /// page cache (1 MiB): SQLite writes pages to the WAL before the
    /// commit, and a full disk fails it midway through its batch, not
    /// only at COMMIT.
    static let importRows = 4_500

    @Test(.enabled(if: Fault.tmpfsAvailable, "needs root and `mount -t tmpfs` (not available here)"))
    func concurrentWritersOnAFillingDiskGetTruthfulReplies() throws {
        let directory = TemporaryDirectory()
        let state = directory.path + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try #require(
            Fault.run(["/usr/bin/mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", state]).status == 0
        )
        // The directory outlives the mount (its deinit removes the tree).
        defer { withExtendedLifetime(directory) { Fault.unmount(state) } }

        var daemon = try DaemonProcess(directory: directory)
        let outcomes = Outcomes()
        let diskFull = Flag()
        let stop = Flag()
        let filler = state + "/filler"
        let started = Date()

        let group = DispatchGroup()
        // The disk fills while the clients write, 64 KiB at a time.
        group.enter()
        Thread {
            defer { group.leave() }
            let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            guard fd >= 0 else { return diskFull.set() }
            defer { close(fd) }
            let chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while !stop.isSet {
                let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if written < chunk.count { break }  // ENOSPC, or the last pages
                usleep(4_000)
            }
            // The last pages, so nothing is left.
            let page = [UInt8](repeating: 0, count: 4096)
            while !stop.isSet, page.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
            diskFull.set()
        }.start()

        // The clients write until the disk has been full for a while. Each
        // writer keeps a few requests in flight (pipelined), so the database
        // thread always has changes queued behind the one it runs.
        let deadline: @Sendable () -> Bool = { stop.isSet || Date().timeIntervalSince(started) > 8 }
        let running = daemon
        for w in 0..<Self.writers {
            group.enter()
            Thread {
                defer { group.leave() }
                var c = try? running.connect()
                var n = 0
                while !deadline(), n < 20_000 {
                    let schools = (n..<(n + Self.inFlight)).map { Self.brin(first: Array("ABCD")[w], $0) }
                    n += Self.inFlight
                    let replies = c.map { Self.pipelined($0, schools) } ?? []
                    for (i, school) in schools.enumerated() {
                        outcomes.record([school], i < replies.count ? replies[i] : [:])
                    }
                    if replies.count < schools.count { c = try? running.connect() }
                }
            }.start()
        }
        // Clients that import many schools at once: batches large enough
        // that SQLite writes pages to the WAL before the commit.
        for k in 0..<Self.importers {
            group.enter()
            Thread {
                defer { group.leave() }
                var c = try? running.connect()
                var r = 0
                let name = String(repeating: "Openbare basisschool De Lange Naam ", count: 5)
                while !deadline(), (r + 1) * Self.importRows < 260_000 {
                    let rows = (0..<Self.importRows).map {
                        Self.brin(first: Array("IJKL")[k], r * Self.importRows + $0)
                    }
                    r += 1
                    let params: [String: Any] = ["schools": rows.map { ["brin6": $0, "name": "\(name)\($0)"] }]
                    let reply = c.flatMap { try? Fault.call($0, "school.import", params) }
                    outcomes.record(rows, reply ?? [:])
                    if reply == nil { c = try? running.connect() }
                }
            }.start()
        }

        // Full, then another 1.5 s of writes against the full disk.
        while !diskFull.isSet, Date().timeIntervalSince(started) < 6 { usleep(20_000) }
        let fullAfter = Date().timeIntervalSince(started)
        usleep(1_500_000)
        stop.set()
        #expect(group.wait(timeout: .now() + 60) == .success, "clients still waiting 60 s after the stop")
        #expect(diskFull.isSet, "the file system did not fill up")
        #expect(daemon.process.isRunning, "the daemon died on the full disk:\n\(daemon.output.suffix(2000))")

        // Space again; stop and start on the same files.
        try FileManager.default.removeItem(atPath: filler)
        #expect(daemon.stop() == 0, "\(daemon.output.suffix(2000))")
        let failuresLogged = daemon.output.components(separatedBy: "request failed").count - 1
        daemon = try DaemonProcess(directory: directory)
        let stored = Set(try Fault.schools(try daemon.connect()))

        let all = outcomes.all
        let saved = all.filter { $0.saved == true }
        let refused = all.filter { $0.saved == false }
        let unanswered = all.filter { $0.saved == nil }
        let savedMissing = saved.filter { !$0.schools.allSatisfy(stored.contains) }
        let refusedPresent = refused.filter { !$0.schools.allSatisfy { !stored.contains($0) } }
        let imports = all.filter { $0.schools.count > 1 }
        print(
            String(
                format:
                    "full disk: tmpfs 16 MiB full after %.2f s; %d school.add and %d school.import answered as saved, %d and %d as refused (%@), %d unanswered; %d failed requests logged by the daemon; after the restart %d saved ones missing, %d refused ones present",
                fullAfter,
                saved.count - imports.filter { $0.saved == true }.count,
                imports.filter { $0.saved == true }.count,
                refused.count - imports.filter { $0.saved == false }.count,
                imports.filter { $0.saved == false }.count,
                Self.reasons(refused),
                unanswered.count,
                failuresLogged,
                savedMissing.count,
                refusedPresent.count
            )
        )
        #expect(!refused.isEmpty, "no write was refused: the disk never ran out for SQLite")
        #expect(!saved.isEmpty)
        // A full disk is told as such: -32005 storage_failure ("schijf
        // vol … niets gewijzigd"), also for a request whose batch SQLite
        // rolled back, never as an internal error.
        let otherRefusals = refused.filter { $0.reason != "storage_failure" }
        #expect(
            otherRefusals.count == 0,
            "refusals other than storage_failure: \(otherRefusals.prefix(3).map { "\($0.label): \($0.raw)" })"
        )
        #expect(unanswered.count == 0, "requests without a reply: \(unanswered.prefix(3).map(\.raw))")
        #expect(
            savedMissing.count == 0,
            "answered as saved, missing after the restart: \(savedMissing.prefix(5).map(\.label))"
        )
        #expect(
            refusedPresent.count == 0,
            "answered as refused, present after the restart: \(refusedPresent.prefix(5).map(\.label)) — \(refusedPresent.prefix(2).map(\.raw))"
        )
        // A refused import left none of its rows, a saved one all of them.
        let partial = all.filter { o in
            o.schools.count > 1 && o.schools.contains(where: stored.contains) && !o.schools.allSatisfy(stored.contains)
        }
        #expect(partial.count == 0, "imports half there: \(partial.prefix(3).map(\.label))")
        #expect(try Fault.sqlite(daemon.databasePath, "PRAGMA integrity_check") == "ok")
        #expect(
            try Fault.call(try daemon.connect(), "school.add", ["brin6": "99ZZ99", "name": "Na het opruimen"])["result"]
                != nil
        )
        #expect(daemon.stop() == 0)
    }

    /// `school.add` for each of `schools`, all sent before any reply is
    /// read; the replies in order, fewer if the connection was lost.
    static func pipelined(_ c: KoppelingConnection, _ schools: [String]) -> [[String: Any]] {
        do {
            for (i, school) in schools.enumerated() {
                try c.send(
                    Data(
                        #"{"jsonrpc":"2.0","id":\#(i),"method":"school.add","params":{"brin6":"\#(school)","name":"School \#(school) met een naam die pagina's vult"}}"#
                            .utf8
                    )
                )
            }
        } catch { return [] }
        var replies: [[String: Any]] = []
        for _ in schools {
            guard let line = try? c.receiveLine(), let reply = E2E.object(line) else { break }
            replies.append(reply)
        }
        return replies
    }

    /// A BRIN6 for client `first`'s `n`-th school (n < 260 000).
    static func brin(first: Character, _ n: Int) -> String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return two(n % 100) + String(first) + String(letters[(n / 100) % 26]) + two((n / 2600) % 100)
    }

    static func reasons(_ outcomes: [Outcomes.Outcome]) -> String {
        var counts: [String: Int] = [:]
        for o in outcomes { counts[o.reason ?? "?", default: 0] += 1 }
        return counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }
}

/// What each request was told, from several client threads.
final class Outcomes: @unchecked Sendable {
    struct Outcome {
        let schools: [String]
        /// true: a result; false: an error reply; nil: no reply at all.
        let saved: Bool?
        let reason: String?
        let raw: String

        var label: String { schools.count == 1 ? schools[0] : "import of \(schools.count) from \(schools[0])" }
    }

    private let lock = NSLock()
    private var items: [Outcome] = []

    func record(_ schools: [String], _ reply: [String: Any]) {
        let saved: Bool? = reply["result"] != nil ? true : reply["error"] != nil ? false : nil
        let error = reply["error"] as? [String: Any]
        let raw = error.map { "\($0)" } ?? (saved == true ? "result" : "\(reply)")
        let outcome = Outcome(
            schools: schools,
            saved: saved,
            reason: E2E.errorReason(reply),
            raw: String(raw.prefix(300))
        )
        lock.lock()
        items.append(outcome)
        lock.unlock()
    }

    var all: [Outcome] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
