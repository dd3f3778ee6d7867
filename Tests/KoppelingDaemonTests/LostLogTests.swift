import Foundation
import KoppelingCore
import Testing

@testable import KoppelingDaemon
@testable import KoppelingStorage

/// A commit that goes to a log (`-wal`) or index (`-shm`) removed under the
/// daemon is answered as saved only once what the log held is in the
/// register file, and every later change is refused. Driven through the
/// request path with no watcher running: the commit itself must notice.
@Suite("A lost log is never acknowledged")
struct LostLogTests {
    static func add(_ t: TestRegister, _ brin6: String) -> [String: Any] {
        t.call(#"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"\#(brin6)","name":"School \#(brin6)"}}"#)
    }

    /// The register file alone (no -wal beside it), as a crash would leave
    /// it once the lost log is gone with the process: the schools in it.
    static func schoolsInRegisterFileAlone(_ t: TestRegister) throws -> [String] {
        let copy = t.directory.appendingPathComponent("alone-\(UUID().uuidString).db").path
        try FileManager.default.copyItem(atPath: t.app.register.path, toPath: copy)
        defer { unlink(copy) }
        let db = try SQLiteConnection(path: copy, readOnly: true)
        defer { db.close() }
        return try db.query("SELECT brin6 FROM school ORDER BY brin6") { $0.text(0) }
    }

    @Test(arguments: ["-wal", "-shm"])
    func commitAfterTheLogWasRemoved(suffix: String) throws {
        let t = try TestRegister(start: utc("2026-03-10T09:00:00Z"))
        #expect(Self.add(t, "21QW00")["result"] != nil)
        #expect(unlink(t.app.register.path + suffix) == 0)

        // The next commit goes to the removed file: it is saved into the
        // register file before it is answered as saved.
        let saved = Self.add(t, "21QW01")
        #expect(saved["result"] != nil, "\(saved)")
        #expect(try Self.schoolsInRegisterFileAlone(t) == ["21QW00", "21QW01"])
        #expect(t.app.health.state == "log_gone")

        // Every later change is refused until a restart; reads go on.
        let refused = Self.add(t, "21QW02")
        #expect((refused["error"] as? [String: Any])?["code"] as? Int == -32005, "\(refused)")
        #expect(((refused["error"] as? [String: Any])?["data"] as? [String: Any])?["reason"] as? String == "storage_gone")
        let list = t.call(#"{"jsonrpc":"2.0","id":2,"method":"school.list"}"#)
        #expect("\(list)".contains("21QW01"))
    }

    /// The register file itself removed: the commit went to a file no start
    /// will find, so its reply says it was not saved.
    @Test func commitAfterTheRegisterWasRemoved() throws {
        let t = try TestRegister(start: utc("2026-03-10T09:00:00Z"))
        #expect(Self.add(t, "21QW00")["result"] != nil)
        #expect(unlink(t.app.register.path) == 0)
        let reply = Self.add(t, "21QW01")
        let error = reply["error"] as? [String: Any]
        #expect(error?["code"] as? Int == -32005, "\(reply)")
        #expect((error?["message"] as? String)?.contains("niet opgeslagen") == true, "\(reply)")
        #expect(t.app.health.state == "gone")
    }

    /// The same in a group commit: the batch's one commit is checked.
    @Test func groupCommitAfterTheLogWasRemoved() throws {
        let t = try TestRegister(start: utc("2026-03-10T09:00:00Z"))
        #expect(Self.add(t, "21QW00")["result"] != nil)
        #expect(unlink(t.app.register.path + "-wal") == 0)
        var outcomes: [Bool] = []
        try t.app.register.batch {
            for brin6 in ["21QW01", "21QW02"] {
                _ = try? t.app.register.write {
                    try t.app.register.addSchool(try Brin6.parse(brin6).get(), name: "School", now: "2026-03-10T09:00:00Z")
                }
                outcomes.append(true)
            }
            return true
        }
        #expect(outcomes == [true, true])
        #expect(try Self.schoolsInRegisterFileAlone(t) == ["21QW00", "21QW01", "21QW02"])
        #expect(t.app.health.lostFile == .log)
    }

    /// An outside reader let the log grow past its limit; once it has let
    /// go, `shrinkLog` brings the log back, and not while it holds on.
    @Test func logShrinksOnceTheReaderLetsGo() throws {
        let t = try TestRegister(start: utc("2026-03-10T09:00:00Z"))
        let reader = try SQLiteConnection(path: t.app.register.path, readOnly: true)
        try reader.execute("BEGIN")
        _ = try reader.query("SELECT count(*) FROM school") { $0.int(0) }
        // One commit a school: each writes a few pages to the log, which
        // no checkpoint may restart while the reader holds its snapshot.
        let wal = t.app.register.path + "-wal"
        var n = 0
        while fileSize(wal) <= DatabaseSetup.logSizeLimitBytes + 500_000, n < 9_999 {
            n += 1
            let brin6 = String(format: "%02dQW%02d", n % 100, n / 100)
            #expect(Self.add(t, brin6)["result"] != nil)
        }
        #expect(fileSize(wal) > DatabaseSetup.logSizeLimitBytes, "the log did not grow: \(fileSize(wal))")
        #expect(t.app.register.shrinkLog() == false, "emptied while a reader held a snapshot")
        try reader.execute("COMMIT")
        reader.close()
        #expect(t.app.register.shrinkLog() == true)
        #expect(fileSize(wal) <= DatabaseSetup.logSizeLimitBytes, "\(fileSize(wal))")
    }
}

func fileSize(_ path: String) -> Int {
    var info = stat()
    guard stat(path, &info) == 0 else { return -1 }
    return Int(info.st_size)
}
