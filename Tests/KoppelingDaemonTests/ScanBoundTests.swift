import Foundation
import KoppelingCore
import NIOCore
import NIOPosix
import Testing

@testable import KoppelingDaemon
@testable import KoppelingStorage

/// The scans by themselves, with work that waits for the test to let
/// it go: who is refused, what never runs, and what a stop ends. No sleeps.
@Suite("Scans: one per uid, none for a closed connection, none past the stop")
struct ScanBoundTests {
    static let reader = Caller(user: "leerkracht", uid: 1001, mayChange: false)
    static let otherReader = Caller(user: "conciërge", uid: 1003, mayChange: false)
    /// As the daemon's (`RequestPath`); one for the suite, for the test process.
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: RequestPath.poolThreads)
        pool.start()
        return pool
    }()

    @Test("a second scan of a uid while its first runs is refused; another reader's waits; root's runs beside it")
    func oneScanPerUid() async throws {
        let register = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let scans = Scans(writer: register.app, pool: Self.pool)
        let started = Gate()
        let release = Gate()
        let first = scans.submit(caller: Self.reader, end: ConnectionEnd(), on: loop) { _ in
            started.open()
            release.wait()
            return "first"
        }
        started.wait()

        let line = #"{"jsonrpc":"2.0","id":7,"method":"audit.verify"}"#
        let refused = try await scans.run(
            Dispatcher.parse(ByteBuffer(string: line)),
            caller: Self.reader,
            end: ConnectionEnd(),
            on: loop
        ).get()
        let reply = try json(Data(try #require(refused).readableBytesView))
        let other = scans.submit(caller: Self.otherReader, end: ConnectionEnd(), on: loop) { _ in "other" }
        let root = try await scans.submit(caller: TestRegister.admin, end: ConnectionEnd(), on: loop) { _ in "root" }
            .get()
        release.open()

        #expect(reply.id == 7 && reply.errorCode == -32005 && reply.errorReason == "scan_busy", "\(reply.raw)")
        let message = reply.error?["message"] as? String ?? ""
        #expect(message.contains("leerkracht") && message.contains("opnieuw"), "\(message)")
        #expect(root == "root", "root's scan ran while a reader's held the readers' thread")
        #expect(try await first.get() == "first")
        #expect(try await other.get() == "other", "another reader's scan is queued, not refused")
        await scans.shutdown()
        try await group.shutdownGracefully()
    }

    /// A client that sends its next scan once it has the reply to the last
    /// one is never refused: the uid is free before the reply leaves (it
    /// was freed after, and `ProtocolDocTests` met `scan_busy` once).
    @Test("scans one after another, each sent once the last one's reply is in: none refused")
    func backToBack() async throws {
        let register = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let scans = Scans(writer: register.app, pool: Self.pool)
        var refused = 0
        for _ in 0..<2_000 {
            do {
                _ = try await scans.submit(caller: Self.reader, end: ConnectionEnd(), on: loop) { _ in 1 }.get()
            } catch Scans.Refusal.busy {
                refused += 1
            }
        }
        #expect(refused == 0, "\(refused) of 2,000 scans refused as busy right after the reply to the one before")
        await scans.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("a queued scan whose connection closes never runs, and its uid may ask again at once")
    func closedBeforeItStarts() async throws {
        let register = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let scans = Scans(writer: register.app, pool: Self.pool)
        let runs = Counter()
        let started = Gate()
        let release = Gate()
        // Holds the one thread for readers' scans.
        let holding = scans.submit(caller: Self.reader, end: ConnectionEnd(), on: loop) { _ in
            started.open()
            release.wait()
        }
        started.wait()
        let end = ConnectionEnd()
        let queued = scans.submit(caller: Self.otherReader, end: end, on: loop) { _ in runs.add() }
        end.close()
        await #expect(throws: Scans.Refusal.closed) { try await queued.get() }
        let again = scans.submit(caller: Self.otherReader, end: ConnectionEnd(), on: loop) { _ in runs.add() }
        let closedFirst = ConnectionEnd()
        closedFirst.close()
        let never = scans.submit(caller: TestRegister.admin, end: closedFirst, on: loop) { _ in runs.add() }
        release.open()
        try await holding.get()
        try await again.get()
        await #expect(throws: Scans.Refusal.closed) { try await never.get() }
        #expect(runs.value == 1, "only the scan of the open connection ran")
        await scans.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("the stop ends a scan that would run forever, refuses a queued one, and every later one")
    func shutdownStopsARunningScan() async throws {
        let register = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let scans = Scans(writer: register.app, pool: Self.pool)
        let started = Gate()
        let endless = scans.submit(caller: Self.reader, end: ConnectionEnd(), on: loop) { app in
            started.open()
            try app.register.read {
                try app.register.db.execute(
                    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"
                )
            }
        }
        started.wait()
        let queued = scans.submit(caller: Self.otherReader, end: ConnectionEnd(), on: loop) { _ in }
        await scans.shutdown()
        await #expect(throws: Scans.Refusal.stopping) { try await endless.get() }
        await #expect(throws: Scans.Refusal.stopping) { try await queued.get() }
        let later = scans.submit(caller: TestRegister.admin, end: ConnectionEnd(), on: loop) { _ in }
        await #expect(throws: Scans.Refusal.stopping) { try await later.get() }
        try await group.shutdownGracefully()
    }
}

/// Opens once; `wait` returns once it is open. Blocks a scan thread (or a
/// test thread) without sleeping.
final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }

    func wait() {
        condition.lock()
        while !isOpen { condition.wait() }
        condition.unlock()
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func add() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
