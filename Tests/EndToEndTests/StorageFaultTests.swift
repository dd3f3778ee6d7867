import Foundation
import KoppelingClient
import Testing

/// Storage faults: a database locked by another process,
/// a full file system and a file system that turns read-only under the
/// running daemon. In each case a write is refused with -32005 and a Dutch
/// message, reads keep working, and nothing is half there afterwards.
@Suite("Storage faults", .serialized, .secretCanary)
struct StorageFaultTests {
    // MARK: (a) another process holds the write lock

    @Test func lockHeldLongerThanTheBusyTimeoutRefusesWritesAndKeepsReads() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "sqlite3 is not installed")
        let daemon = try DaemonProcess()
        let c = try daemon.connect()
        #expect(try Fault.call(c, "school.add", ["brin6": "11AA00", "name": "Eerste school"])["result"] != nil)

        let holder = try ExternalSQLite(databasePath: daemon.databasePath)
        defer { holder.finish() }
        holder.send(".timeout 10000\nBEGIN EXCLUSIVE;\n.print LOCK-TAKEN")
        try #require(holder.waitFor("LOCK-TAKEN"), "sqlite3 did not take the lock: \(holder.output)")
        #expect(!holder.output.contains("Error"), "\(holder.output)")

        // A write waits the busy timeout (5 s), then is refused.
        let started = Date()
        let refused = try Fault.call(c, "school.add", ["brin6": "11AA01", "name": "Tweede school"])
        let waited = Date().timeIntervalSince(started)
        #expect(E2E.errorCode(refused) == -32005, "\(refused)")
        #expect(E2E.errorReason(refused) == "database_busy", "\(refused)")
        let message = (refused["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("bezet") && message.contains("opnieuw"), "not the Dutch message: \(message)")
        #expect(waited >= 4.5, "refused after \(waited) s, before the busy timeout")
        #expect(waited < 8, "the refusal took \(waited) s: more than the busy timeout")

        // Reads answer while the lock is still held (WAL lets readers in).
        var slowestRead = 0.0
        for method in ["hello", "status", "school.list"] {
            let t = Date()
            let reply = try Fault.call(c, method, [:])
            slowestRead = max(slowestRead, Date().timeIntervalSince(t))
            #expect(reply["result"] != nil, "\(method) during the lock: \(reply)")
            #expect(Date().timeIntervalSince(t) < 2, "\(method) took \(Date().timeIntervalSince(t)) s during the lock")
        }
        print(
            String(
                format:
                    "storage: lock held by sqlite3: write refused (database_busy) after %.2f s; reads during the lock answered in %.3f s at most",
                waited,
                slowestRead
            )
        )
        #expect(try Fault.schools(c) == ["11AA00"], "earlier data lost or the refused write applied")

        // Released: the same write succeeds, and nothing was lost.
        holder.send("COMMIT;\n.print LOCK-RELEASED")
        try #require(holder.waitFor("LOCK-RELEASED"), "\(holder.output)")
        let retried = try Fault.call(c, "school.add", ["brin6": "11AA01", "name": "Tweede school"])
        #expect(retried["result"] != nil, "the write after the release: \(retried)")
        #expect(try Fault.schools(c) == ["11AA00", "11AA01"])
        #expect(try Fault.sqlite(daemon.databasePath, "PRAGMA integrity_check") == "ok")
        #expect(daemon.stop() == 0)
    }

    /// Several writers queued behind an external lock: every request is
    /// answered within two busy timeouts of its arrival (the group it waits
    /// behind, then its own), not one timeout (twice: the change and its
    /// audit row) per queued write — 45 s for these five before the fix.
    @Test func queuedWritesBehindALockAreRefusedTogether() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "sqlite3 is not installed")
        let daemon = try DaemonProcess()
        let holder = try ExternalSQLite(databasePath: daemon.databasePath)
        defer { holder.finish() }
        holder.send(".timeout 10000\nBEGIN EXCLUSIVE;\n.print LOCK-TAKEN")
        try #require(holder.waitFor("LOCK-TAKEN"), "\(holder.output)")

        let replies = Replies()
        let group = DispatchGroup()
        let started = Date()
        for i in 0..<4 {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let c = try? daemon.connect() else { return }
                let reply = (try? Fault.call(c, "school.add", ["brin6": "12BB0\(i)", "name": "School \(i)"])) ?? [:]
                replies.add("write", reply, after: Date().timeIntervalSince(started))
            }.start()
        }
        usleep(300_000)
        group.enter()
        Thread {
            defer { group.leave() }
            guard let c = try? daemon.connect() else { return }
            let reply = (try? Fault.call(c, "school.list", [:])) ?? [:]
            replies.add("read", reply, after: Date().timeIntervalSince(started))
        }.start()
        #expect(group.wait(timeout: .now() + 60) == .success, "requests still waiting after 60 s")
        holder.send("COMMIT;\n.print LOCK-RELEASED")
        #expect(holder.waitFor("LOCK-RELEASED"))

        print(
            String(
                format: "storage: 4 writes and 1 read queued behind one lock: all answered within %.2f s",
                replies.all.map(\.2).max() ?? 0
            )
        )
        for (kind, reply, after) in replies.all {
            if kind == "write" {
                #expect(E2E.errorReason(reply) == "database_busy", "\(reply)")
            } else {
                #expect(reply["result"] != nil, "\(reply)")
            }
            #expect(after < 12, "\(kind) answered after \(after) s behind one lock")
        }
        #expect(try Fault.schools(try daemon.connect()).isEmpty)
        #expect(daemon.stop() == 0)
    }

    // MARK: (b) the file system is full

    @Test(.enabled(if: Fault.tmpfsAvailable, "needs root and `mount -t tmpfs` (not available here)"))
    func fullFileSystemRefusesWritesKeepsReadsAndLeavesNoPartialState() throws {
        let directory = TemporaryDirectory()
        let state = directory.path + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try #require(
            Fault.run(["/usr/bin/mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", state]).status == 0
        )
        // The directory outlives the mount (its deinit removes the tree).
        defer { withExtendedLifetime(directory) { Fault.unmount(state) } }

        var daemon = try DaemonProcess(directory: directory)
        let c = try daemon.connect()
        var acknowledged: [String] = []
        for i in 0..<5 {
            let b = "13CC0\(i)"
            if try Fault.call(c, "school.add", ["brin6": b, "name": "School \(b)"])["result"] != nil {
                acknowledged.append(b)
            }
        }
        #expect(acknowledged.count == 5)

        // Fill the file system to the last page.
        let filler = state + "/filler"
        let fill = try Fault.run(["/usr/bin/dd", "if=/dev/zero", "of=\(filler)", "bs=4096"])
        #expect(fill.output.contains("No space left"), "dd did not fill the file system: \(fill.output)")

        // Writes go on until SQLite needs a page it cannot have.
        var refusal: [String: Any]?
        var refusedSchool = ""
        for n in 0..<2000 where refusal == nil {
            let b = String(format: "%02dCD%02d", n % 100, n / 100)
            let reply = try Fault.call(
                c,
                "school.add",
                ["brin6": b, "name": "School \(b) met een wat langere naam om pagina's te vullen"]
            )
            if reply["result"] != nil {
                acknowledged.append(b)
            } else {
                refusal = reply
                refusedSchool = b
            }
        }
        let reply = try #require(refusal, "no write was refused on a full file system")
        print(
            "storage: full tmpfs (4 MiB): \(acknowledged.count - 5) writes still acknowledged after the fill, then storage_failure"
        )
        #expect(E2E.errorCode(reply) == -32005, "\(reply)")
        #expect(E2E.errorReason(reply) == "storage_failure", "\(reply)")
        let message = (reply["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(
            message.contains("schijf vol") && message.contains("niets gewijzigd"),
            "not the Dutch message: \(message)"
        )

        // A change of several rows (code, activation, audit) is refused
        // whole: the code is not burnt, it is accepted once there is room.
        let code = E2E.code(for: acknowledged[0])
        let activation: [String: Any] = [
            "brin6": acknowledged[0], "koppeling": "topdossier", "name": "Ed Beheer",
            "agree": true, "terms_version": "2024.1", "verification_code": code,
        ]
        #expect(E2E.errorReason(try Fault.call(c, "koppeling.activate", activation)) == "storage_failure")

        // Reads keep working on the full file system.
        for method in ["hello", "status"] {
            #expect(try Fault.call(c, method, [:])["result"] != nil, "\(method) while full")
        }
        #expect(try Fault.schools(c) == acknowledged.sorted())
        #expect(try Fault.activations(c, acknowledged[0]) == 0)

        // Space again: the daemon writes again without a restart, and the
        // refused change is absent, then and after a restart.
        try FileManager.default.removeItem(atPath: filler)
        let again = try Fault.call(c, "school.add", ["brin6": "13CC99", "name": "Na het opruimen"])
        #expect(again["result"] != nil, "write after freeing space: \(again)")
        acknowledged.append("13CC99")
        #expect(try Fault.schools(c) == acknowledged.sorted())
        #expect(daemon.stop() == 0, "\(daemon.output.suffix(2000))")

        daemon = try DaemonProcess(directory: directory)
        let schools = try Fault.schools(try daemon.connect())
        #expect(schools == acknowledged.sorted(), "refused \(refusedSchool) present or an acknowledged school missing")
        #expect(!schools.contains(refusedSchool))
        #expect(try Fault.sqlite(daemon.databasePath, "SELECT count(*) FROM activation") == "0")
        #expect(try Fault.sqlite(daemon.databasePath, "SELECT count(*) FROM used_code") == "0")
        #expect(
            try Fault.call(try daemon.connect(), "koppeling.activate", activation)["result"] != nil,
            "the refused code was burnt"
        )
        #expect(try Fault.sqlite(daemon.databasePath, "PRAGMA integrity_check") == "ok")
        #expect(daemon.stop() == 0)
    }

    // MARK: (c) the file system turns read-only under the daemon

    /// chmod and `chattr +i` do not touch files SQLite already has open,
    /// and `mount -o remount,ro` is refused (EBUSY) while they are open for
    /// writing; a disk that goes read-only under a running service does so
    /// through an error with `errors=remount-ro`. So: an ext4 image on a
    /// loop device, and ext4's own `trigger_fs_error`.
    @Test(.enabled(if: Fault.loopExt4Available, "needs root, a loop device and mkfs.ext4 (not available here)"))
    func readOnlyFileSystemRefusesWritesKeepsReadsAndLeavesNoPartialState() throws {
        let directory = TemporaryDirectory()
        let state = directory.path + "/state"
        let image = directory.path + "/state.img"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try #require(Fault.run(["/usr/bin/truncate", "-s", "16M", image]).status == 0)
        try #require(Fault.run(["/usr/sbin/mkfs.ext4", "-q", "-F", image]).status == 0)
        try #require(Fault.run(["/usr/bin/mount", "-o", "loop,errors=remount-ro", image, state]).status == 0)
        var mounted = true
        defer { withExtendedLifetime(directory) { if mounted { Fault.unmount(state) } } }

        var daemon = try DaemonProcess(directory: directory)
        let c = try daemon.connect()
        var acknowledged: [String] = []
        for i in 0..<5 {
            let b = "14DD0\(i)"
            if try Fault.call(c, "school.add", ["brin6": b, "name": "School \(b)"])["result"] != nil {
                acknowledged.append(b)
            }
        }
        #expect(acknowledged.count == 5)

        let device = try #require(
            Fault.run(["/usr/bin/findmnt", "-n", "-o", "SOURCE", state]).output
                .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "/").last.map(String.init)
        )
        try "1\n".write(toFile: "/sys/fs/ext4/\(device)/trigger_fs_error", atomically: false, encoding: .utf8)
        let options = Fault.run(["/usr/bin/findmnt", "-n", "-o", "OPTIONS", state]).output
        #expect(options.contains("ro"), "the file system did not turn read-only: \(options)")

        let reply = try Fault.call(c, "school.add", ["brin6": "14DD99", "name": "Wordt geweigerd"])
        #expect(E2E.errorCode(reply) == -32005, "\(reply)")
        #expect(E2E.errorReason(reply) == "storage_failure", "\(reply)")
        let message = (reply["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(
            message.contains("alleen-lezen") && message.contains("niets gewijzigd"),
            "not the Dutch message: \(message)"
        )
        // A change of several rows is refused whole, and the connection to
        // the database is still usable for the next one.
        let code = E2E.code(for: "14DD00")
        let activation: [String: Any] = [
            "brin6": "14DD00", "koppeling": "topdossier-eckid", "name": "Ed Beheer",
            "agree": true, "terms_version": "2024.2", "verification_code": code,
        ]
        #expect(E2E.errorReason(try Fault.call(c, "koppeling.activate", activation)) == "storage_failure")
        #expect(
            E2E.errorReason(try Fault.call(c, "school.add", ["brin6": "14DD98", "name": "Ook geweigerd"]))
                == "storage_failure"
        )

        for method in ["hello", "status"] {
            #expect(try Fault.call(c, method, [:])["result"] != nil, "\(method) while read-only")
        }
        #expect(try Fault.schools(c) == acknowledged)
        #expect(try Fault.activations(c, "14DD00") == 0)
        #expect(daemon.process.isRunning, "the daemon died on a read-only file system:\n\(daemon.output.suffix(2000))")
        print("storage: ext4 turned read-only (errors=remount-ro): writes refused with storage_failure, reads served")
        #expect(daemon.stop() == 0, "SIGTERM on the read-only file system:\n\(daemon.output.suffix(2000))")

        // Repaired (fsck, mounted read-write again): the refused changes
        // are absent, every acknowledged one is there, the daemon writes.
        Fault.unmount(state)
        mounted = false
        let fsck = Fault.run(["/usr/sbin/e2fsck", "-fy", image])
        #expect(fsck.status <= 1, "e2fsck: \(fsck.output)")
        try #require(Fault.run(["/usr/bin/mount", "-o", "loop,errors=remount-ro", image, state]).status == 0)
        mounted = true
        daemon = try DaemonProcess(directory: directory)
        let d = try daemon.connect()
        #expect(try Fault.schools(d) == acknowledged)
        #expect(try Fault.sqlite(daemon.databasePath, "SELECT count(*) FROM activation") == "0")
        #expect(try Fault.sqlite(daemon.databasePath, "SELECT count(*) FROM used_code") == "0")
        #expect(try Fault.call(d, "school.add", ["brin6": "14DD99", "name": "Nu wel"])["result"] != nil)
        #expect(try Fault.call(d, "koppeling.activate", activation)["result"] != nil, "the refused code was burnt")
        #expect(try Fault.sqlite(daemon.databasePath, "PRAGMA integrity_check") == "ok")
        #expect(daemon.stop() == 0)
    }
}

// MARK: - Helpers

enum Fault {
    static func call(_ c: KoppelingConnection, _ method: String, _ params: [String: Any]) throws -> [String: Any] {
        let line = try JSONSerialization.data(withJSONObject: [
            "jsonrpc": "2.0", "id": 1, "method": method, "params": params,
        ])
        return E2E.object(try c.exchange(line)) ?? [:]
    }

    /// The BRIN6s `school.list` returns, sorted.
    static func schools(_ c: KoppelingConnection) throws -> [String] {
        let reply = try call(c, "school.list", [:])
        let list = (reply["result"] as? [String: Any])?["schools"] as? [[String: Any]] ?? []
        return list.compactMap { $0["brin6"] as? String }.sorted()
    }

    /// How many activations `school.get` lists for `school` (-1: no reply).
    static func activations(_ c: KoppelingConnection, _ school: String) throws -> Int {
        let reply = try call(c, "school.get", ["brin6": school])
        return ((reply["result"] as? [String: Any])?["activations"] as? [Any])?.count ?? -1
    }

    static func sqlite(_ path: String, _ sql: String) throws -> String {
        try BackupTests.sqlite(path, sql).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct Output {
        let status: Int32
        let output: String
    }

    /// Runs a command; stdout and stderr together.
    @discardableResult
    static func run(_ arguments: [String]) -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: arguments[0])
        p.arguments = Array(arguments.dropFirst())
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        do { try p.run() } catch { return Output(status: -1, output: "\(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.reap()
        return Output(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static func unmount(_ path: String) {
        if run(["/usr/bin/umount", path]).status != 0 { run(["/usr/bin/umount", "-l", path]) }
    }

    /// Root, and a trial tmpfs mount works.
    static let tmpfsAvailable: Bool = {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/mount") else { return false }
        let dir = TemporaryDirectory()
        guard run(["/usr/bin/mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir.path]).status == 0 else {
            return false
        }
        unmount(dir.path)
        return true
    }()

    /// Root, mkfs.ext4, and a trial ext4 image mounts on a loop device with
    /// ext4's error trigger.
    static let loopExt4Available: Bool = {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/mkfs.ext4"),
            FileManager.default.isExecutableFile(atPath: "/usr/sbin/e2fsck"),
            FileManager.default.isExecutableFile(atPath: "/usr/bin/findmnt")
        else { return false }
        let dir = TemporaryDirectory()
        let image = dir.path + "/probe.img"
        let mountPoint = dir.path + "/m"
        try? FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard run(["/usr/bin/truncate", "-s", "4M", image]).status == 0,
            run(["/usr/sbin/mkfs.ext4", "-q", "-F", image]).status == 0,
            run(["/usr/bin/mount", "-o", "loop", image, mountPoint]).status == 0
        else { return false }
        defer { unmount(mountPoint) }
        let device =
            run(["/usr/bin/findmnt", "-n", "-o", "SOURCE", mountPoint]).output
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "/").last.map(String.init) ?? "?"
        return FileManager.default.fileExists(atPath: "/sys/fs/ext4/\(device)/trigger_fs_error")
    }()
}

/// `/usr/bin/sqlite3` on the daemon's database, fed through a pipe that
/// stays open, so it can hold a transaction as long as a test needs.
final class ExternalSQLite: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let outputPipe = Pipe()
    private let collected = OutputCollector()

    init(databasePath: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [databasePath]
        process.standardInput = input
        process.standardOutput = outputPipe
        process.standardError = outputPipe
        outputPipe.fileHandleForReading.readabilityHandler = { [collected] handle in
            collected.append(handle.availableData)
        }
        try process.run()
    }

    var output: String { collected.text }

    func send(_ text: String) {
        input.fileHandleForWriting.write(Data((text + "\n").utf8))
    }

    func waitFor(_ marker: String, timeout: TimeInterval = 15) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if output.contains(marker) { return true }
            usleep(10_000)
        }
        return false
    }

    /// Ends sqlite3 (an open transaction rolls back).
    func finish() {
        try? input.fileHandleForWriting.close()
        process.reap()
        outputPipe.fileHandleForReading.readabilityHandler = nil
    }
}

final class Replies: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(String, [String: Any], TimeInterval)] = []
    func add(_ kind: String, _ reply: [String: Any], after: TimeInterval) {
        lock.lock()
        items.append((kind, reply, after))
        lock.unlock()
    }
    var all: [(String, [String: Any], TimeInterval)] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
