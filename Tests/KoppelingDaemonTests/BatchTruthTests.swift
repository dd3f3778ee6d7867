import Foundation
import KoppelingCore
import KoppelingProtocol
import NIOCore
import NIOPosix
import Testing

@testable import KoppelingDaemon
@testable import KoppelingStorage

/// Transactions tell the truth: a group commit never lets a
/// request run outside the batch's transaction, and every reply says
/// whether its change is saved, also when SQLite rolls the transaction
/// back by itself (as it may on SQLITE_FULL or SQLITE_IOERR).
@Suite("Batch truth", .serialized)
struct BatchTruthTests {
    /// Ten schools queued into one batch; the sixth is the one that fails.
    static let schools = (0..<10).map { "21QC0\($0)" }
    static let failing = "21QC05"

    @Test("SQLite rolls the batch's transaction back midway: a success is saved, an error is not")
    func transactionEndedBySQLiteMidBatch() async throws {
        let t = try TestRegister(start: utc("2026-11-29T10:00:00Z"))
        // RAISE(ROLLBACK) ends the whole transaction, not just the
        // statement: what SQLite does by itself on some I/O errors.
        try t.app.register.db.execute(
            """
            CREATE TEMP TRIGGER end_transaction BEFORE INSERT ON school WHEN NEW.brin6 = '\(Self.failing)'
            BEGIN SELECT RAISE(ROLLBACK, 'simulated end of the transaction'); END
            """
        )
        let executor = DatabaseExecutor(app: t.app)
        let replies = try await Self.queuedAdds(Self.schools, on: executor)
        _ = try await executor.run { _ in }  // idle: nothing of the batch is still running

        let observer = try SQLiteConnection(path: t.app.register.path, readOnly: true)
        defer { observer.close() }
        var lies: [String] = []
        var saved: [String] = []
        for (school, reply) in zip(Self.schools, replies) {
            let present = try Self.isStored(school, observer)
            let okAudit = try Self.okAuditRows(school, observer)
            if reply["result"] != nil {
                saved.append(school)
                if !present { lies.append("\(school): answered as saved, but absent") }
                if okAudit != 1 { lies.append("\(school): answered as saved, \(okAudit) ok audit rows") }
            } else {
                if present { lies.append("\(school): answered \(Self.message(reply)), but saved") }
                if okAudit != 0 { lies.append("\(school): answered as refused, \(okAudit) ok audit rows") }
            }
        }
        #expect(lies.count == 0, "replies that do not tell the truth:\n\(lies.joined(separator: "\n"))")
        let failed = replies[Self.schools.firstIndex(of: Self.failing)!]
        #expect(failed["error"] != nil, "the request whose transaction SQLite ended: \(failed)")
        #expect(try !Self.isStored(Self.failing, observer))
        #expect(try observer.queryOne("PRAGMA integrity_check") { $0.text(0) } == "ok")

        // The database thread is left with no transaction open: the next
        // request is a transaction of its own, saved and answered as such.
        let after = try await Self.queuedAdds(["21QC99"], on: executor)
        #expect(after[0]["result"] != nil, "\(after[0])")
        #expect(try Self.isStored("21QC99", observer))
        print("batch truth: SQLite ended the batch's transaction at \(Self.failing); saved and answered so: \(saved)")
        await executor.shutdown()
    }

    @Test("a request that wrote and then failed is undone alone; the rest of the batch is committed and answered so")
    func statementFailureRollsBackOnlyItsSavepoint() async throws {
        let t = try TestRegister(start: utc("2026-11-29T10:00:00Z"))
        // The school row is written, then its audit row fails: only the
        // failing statement is undone by SQLite, the request's savepoint
        // must undo the school row.
        try t.app.register.db.execute(
            """
            CREATE TEMP TRIGGER fail_audit BEFORE INSERT ON audit WHEN NEW.school = '\(Self.failing)'
            BEGIN SELECT RAISE(ABORT, 'simulated failure after the school row'); END
            """
        )
        let executor = DatabaseExecutor(app: t.app)
        let commitsBefore = executor.groupCommits
        let replies = try await Self.queuedAdds(Self.schools, on: executor)
        _ = try await executor.run { _ in }

        let observer = try SQLiteConnection(path: t.app.register.path, readOnly: true)
        defer { observer.close() }
        for (school, reply) in zip(Self.schools, replies) {
            if school == Self.failing {
                #expect(reply["error"] != nil, "\(school): \(reply)")
                #expect(try !Self.isStored(school, observer), "\(school) failed but its school row is saved")
                #expect(try Self.okAuditRows(school, observer) == 0)
            } else {
                #expect(reply["result"] != nil, "\(school): \(reply)")
                #expect(try Self.isStored(school, observer), "\(school) answered as saved, but absent")
                #expect(try Self.okAuditRows(school, observer) == 1, "\(school): its audit row")
            }
        }
        #expect(executor.groupCommits > commitsBefore, "the queued requests were not committed together")
        await executor.shutdown()
    }

    // MARK: - Helpers

    /// `school.add` for each of `schools`, all queued while the database
    /// thread is held, so they are taken as one batch; the replies in order.
    static func queuedAdds(_ schools: [String], on executor: DatabaseExecutor) async throws -> [[String: Any]] {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let gate = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        let held = Task {
            try await executor.run { _ in
                holding.signal()
                gate.wait()
            }
        }
        // Waited for off the test's concurrency pool, which has as few
        // threads as the machine has cores: the Task above needs one.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread {
                holding.wait()
                done.resume()
            }.start()
        }
        let futures = schools.enumerated().map { i, school in
            let line =
                #"{"jsonrpc":"2.0","id":\#(i),"method":"school.add","params":{"brin6":"\#(school)","name":"School \#(school)"}}"#
            return executor.submit(Dispatcher.parse(ByteBuffer(string: line)), caller: TestRegister.admin, on: loop)
        }
        gate.signal()
        _ = try await held.value
        var replies: [[String: Any]] = []
        for future in futures {
            let data = try #require(try await future.get())
            replies.append(try #require(try JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any]))
        }
        return replies
    }

    static func isStored(_ school: String, _ db: SQLiteConnection) throws -> Bool {
        try db.queryOne("SELECT count(*) FROM school WHERE brin6 = ?", [.text(school)]) { $0.int(0) } == 1
    }

    static func okAuditRows(_ school: String, _ db: SQLiteConnection) throws -> Int {
        try db.queryOne(
            "SELECT count(*) FROM audit WHERE school = ? AND method = 'school.add' AND outcome = 'ok'",
            [.text(school)]
        ) { $0.int(0) } ?? -1
    }

    static func message(_ reply: [String: Any]) -> String {
        "\"\((reply["error"] as? [String: Any])?["message"] as? String ?? "\(reply)")\""
    }
}
