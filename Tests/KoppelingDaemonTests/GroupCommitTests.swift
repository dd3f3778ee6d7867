import Foundation
import KoppelingCore
import KoppelingProtocol
import NIOCore
import NIOPosix
import Testing

@testable import KoppelingDaemon
@testable import KoppelingStorage

/// Concurrent writes share one durable commit, each in its own savepoint.
@Suite("Group commit")
struct GroupCommitTests {
    @Test func queuedWritesShareACommitAndAFailureStaysItsOwn() async throws {
        let t = try TestRegister(start: utc("2026-11-29T10:00:00Z"))
        let executor = DatabaseExecutor(app: t.app)
        let loop = MultiThreadedEventLoopGroup.singleton.next()

        // Hold the database thread so the requests below queue up together.
        let gate = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        let held = Task {
            try await executor.run { _ in
                holding.signal()
                gate.wait()
            }
        }
        holding.wait()

        let brins0 = (0..<40).map { i in "21Q\(["A", "B", "C", "D"][i / 10])0\(i % 10)" }
        var brins = brins0
        brins.insert("21QA00", at: 20)  // a duplicate: refused, alone
        let brinsForObserver = brins
        let replies = brins.enumerated().map { i, b in
            let line =
                #"{"jsonrpc":"2.0","id":\#(i),"method":"school.add","params":{"brin6":"\#(b)","name":"School \#(i)"}}"#
            return executor.submit(Dispatcher.parse(ByteBuffer(string: line)), caller: TestRegister.admin, on: loop)
        }
        // A second connection sees only what was committed.
        let observer = try SQLiteConnection(path: t.app.register.path, readOnly: true)
        defer { observer.close() }
        let committedAtReply = NIOLockedBox()
        for (i, future) in replies.enumerated() where i != 20 {
            future.whenSuccess { _ in
                let seen =
                    (try? observer.queryOne("SELECT count(*) FROM school WHERE brin6 = ?", [.text(brinsForObserver[i])])
                    { $0.int(0) }) ?? -1
                committedAtReply.record(i, seen)
            }
        }
        gate.signal()
        _ = try await held.value
        var results: [[String: Any]] = []
        for future in replies {
            let data = try #require(try await future.get())
            results.append(try #require(try JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any]))
        }

        let failures = results.enumerated().filter { $0.element["error"] != nil }.map(\.offset)
        #expect(failures == [20], "only the duplicate is refused")
        #expect(
            ((results[20]["error"] as? [String: Any])?["data"] as? [String: Any])?["reason"] as? String
                == "school_exists"
        )
        #expect(try t.app.register.schools().count == 40)
        #expect(executor.groupCommits == 1, "the 41 queued requests formed one batch")
        // Every reply came after its commit: another connection already saw it.
        #expect(committedAtReply.values.count == 40)
        #expect(committedAtReply.values.allSatisfy { $0 == 1 }, "\(committedAtReply.values)")
        // The refusal is audited, the successes too, all in the same commit.
        let audit = try t.app.register.audit(school: nil, since: nil, limit: 100)
        #expect(audit.filter { $0.outcome == .ok }.count == 40)
        #expect(audit.filter { $0.outcome == .refused }.count == 1)
        await executor.shutdown()
    }
}

final class NIOLockedBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Int: Int] = [:]
    func record(_ key: Int, _ value: Int) {
        lock.lock()
        items[key] = value
        lock.unlock()
    }
    var values: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return Array(items.values)
    }
}
