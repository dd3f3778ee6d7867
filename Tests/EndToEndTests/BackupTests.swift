import Foundation
import KoppelingClient
import Testing

@Suite("Backups while serving")
struct BackupTests {
    /// A distinct valid BRIN6 per writer and sequence number.
    static func brin6(writer: Int, n: Int) -> String {
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let d = { (v: Int) in v < 10 ? "0\(v)" : "\(v)" }
        return d(n / 100 % 100) + String(letters[writer]) + String(letters[n / 10_000 % 26]) + d(n % 100)
    }

    static func sqlite(_ path: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = ["-readonly", path, sql]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.reap()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func backupDuringFourWritersHoldsEveryAcknowledgedChange() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "sqlite3 is not installed")
        let daemon = try DaemonProcess()
        let acknowledged = AcknowledgedSet()
        let stop = Flag()
        let writers = (0..<4).map { w in
            Thread {
                guard let c = try? daemon.connect() else { return }
                var n = 0
                while !stop.isSet, n < 5000 {
                    let b = BackupTests.brin6(writer: w, n: n)
                    let line =
                        #"{"jsonrpc":"2.0","id":\#(n),"method":"school.add","params":{"brin6":"\#(b)","name":"School \#(b)"}}"#
                    if let reply = try? c.exchange(Data(line.utf8)),
                        String(decoding: reply, as: UTF8.self).contains("\"result\"")
                    {
                        acknowledged.insert(b)
                    }
                    n += 1
                }
            }
        }
        writers.forEach { $0.start() }
        while acknowledged.count < 200 { usleep(5_000) }

        let before = acknowledged.snapshot()
        let reply = try daemon.rawCall(#"{"jsonrpc":"2.0","id":1,"method":"backup.create"}"#)
        let result = try #require(reply["result"] as? [String: Any], "\(reply)")
        let path = try #require(result["path"] as? String)
        stop.set()
        usleep(200_000)

        #expect(path.hasPrefix(daemon.stateDirectory + "/backups/"))
        #expect(try Self.sqlite(path, "PRAGMA integrity_check").trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
        let copied = Set(try Self.sqlite(path, "SELECT brin6 FROM school").split(separator: "\n").map(String.init))
        #expect(before.isSubset(of: copied), "missing \(before.subtracting(copied).count) acknowledged schools")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory + "/backups").filter {
            $0.hasPrefix(".")
        }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        #expect(daemon.stop() == 0)
    }

    @Test func cliBackupPrintsThePath() throws {
        let daemon = try DaemonProcess()
        let r = try Ctl(socketPath: daemon.socketPath).run(["backup"])
        #expect(r.status == 0)
        #expect(r.stdout.contains(daemon.stateDirectory + "/backups/koppelingd-"))
    }
}

final class AcknowledgedSet: @unchecked Sendable {
    private let lock = NSLock()
    private var items = Set<String>()
    func insert(_ s: String) {
        lock.lock()
        items.insert(s)
        lock.unlock()
    }
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return items.count
    }
    func snapshot() -> Set<String> {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }
    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}

@Suite("Backups left unfinished")
struct UnfinishedBackupTests {
    @Test func aHalfWrittenCopyIsRemovedAtStart() throws {
        let dir = TemporaryDirectory()
        let first = try DaemonProcess(directory: dir)
        first.stop()
        let backups = first.stateDirectory + "/backups"
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        let leftover = backups + "/.incoming-koppelingd-2026-11-29T000000Z.db"
        FileManager.default.createFile(atPath: leftover, contents: Data("half".utf8))
        let again = try DaemonProcess(directory: dir)
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(again.stop() == 0)
    }
}
