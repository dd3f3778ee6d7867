import KoppelingCore
import KoppelingProtocol
import KoppelingStorage
import NIOConcurrencyHelpers
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The one thread that owns the database connection.
///
/// Requests queue here in arrival order. The thread takes every request
/// waiting (up to `maxBatch`) and, when any of them changes the register,
/// runs them in one transaction with a savepoint per request: one request's
/// failure never affects another's, and one durable commit serves them
/// all (group commit). No reply leaves before that commit.
final class DatabaseExecutor: @unchecked Sendable {
    static let maxBatch = 256

    private enum Job {
        case request(Parsed, Caller, EventLoopPromise<ByteBuffer?>)
        case task(() -> Void)
    }

    private let app: Application
    /// Guards `queue` and `stopping`; its value is whether the thread has
    /// something to do (a job, or the order to stop).
    private let condition = ConditionLock(value: false)
    /// A ring buffer: under a load that never lets it drain, the storage
    /// of jobs already taken is reused, not kept.
    private var queue = CircularBuffer<Job>()
    private var stopping = false
    /// Commits that served more than one request (for tests and status).
    private(set) var groupCommits = 0

    init(app: Application) {
        self.app = app
        DetachedThread.start(name: "koppelingd-db") { [unowned self] in self.loop() }
    }

    /// Runs one protocol request; the future holds its reply line.
    func submit(_ parsed: Parsed, caller: Caller, on eventLoop: any EventLoop) -> EventLoopFuture<ByteBuffer?> {
        let promise = eventLoop.makePromise(of: ByteBuffer?.self)
        enqueue(.request(parsed, caller, promise)) {
            promise.fail(ChannelError.ioOnClosedChannel)
        }
        return promise.futureResult
    }

    /// Runs `body` alone on the database thread (timer, backup, watchdog).
    func run<T: Sendable>(_ body: @escaping @Sendable (Application) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let app = self.app
            enqueue(.task { continuation.resume(with: Result { try body(app) }) }) {
                continuation.resume(throwing: CancellationError())
            }
        }
    }

    private func enqueue(_ job: Job, orElse refuse: () -> Void) {
        condition.lock()
        if stopping {
            condition.unlock()
            refuse()
            return
        }
        queue.append(job)
        condition.unlock(withValue: true)
    }

    /// Lets queued work finish, then closes the database on its own thread.
    func shutdown() async {
        _ = try? await run { $0.register.close() }
        stopAccepting()
    }

    /// Later work is refused; the thread ends once the queue is empty.
    private func stopAccepting() {
        condition.lock()
        stopping = true
        condition.unlock(withValue: true)
    }

    private func loop() {
        while true {
            condition.lock(whenValue: true)
            if queue.isEmpty {
                condition.unlock(withValue: true)
                return
            }
            var batch: [(Parsed, Caller, EventLoopPromise<ByteBuffer?>)] = []
            var task: (() -> Void)?
            if case .task(let body)? = queue.first {
                task = body
                queue.removeFirst()
            } else {
                while batch.count < DatabaseExecutor.maxBatch, case .request(let p, let c, let promise)? = queue.first {
                    // A backup (VACUUM INTO) cannot run inside a transaction.
                    if p.execution == .exclusive, !batch.isEmpty { break }
                    batch.append((p, c, promise))
                    queue.removeFirst()
                    if p.execution == .exclusive { break }
                }
            }
            condition.unlock(withValue: stopping || !queue.isEmpty)
            if let task { task() } else { run(batch) }
        }
    }

    private func run(_ batch: [(Parsed, Caller, EventLoopPromise<ByteBuffer?>)]) {
        let register = app.register
        let writes = batch.contains { $0.0.execution == .write }
        let app = self.app
        let runAlone = {
            for (parsed, caller, promise) in batch {
                promise.succeed(Dispatcher.execute(parsed, app: app, caller: caller))
            }
        }
        // A lone request needs no outer transaction: its own is the commit.
        guard writes, batch.count > 1 else { return runAlone() }
        var replies: [Dispatcher.Outcome] = []
        do {
            try register.batch {
                for (index, (parsed, caller, _)) in batch.enumerated() {
                    replies.append(Dispatcher.respond(parsed, app: app, caller: caller))
                    guard register.isInTransaction else {
                        // SQLite ended the batch's transaction by itself (a
                        // full disk, an I/O error): nothing of it is saved.
                        // Each reply so far says so, and the rest run each in
                        // a transaction of their own, never in autocommit
                        // behind a failed savepoint.
                        let lost = RPCError(KoppelingError.changeNotSaved)
                        for ((parsed, _, promise), outcome) in zip(batch[...index], replies) {
                            promise.succeed(
                                outcome.succeeded
                                    ? parsed.id.map { ReplyEncoding.failure(id: $0, error: lost) } : outcome.reply
                            )
                        }
                        for (parsed, caller, promise) in batch[(index + 1)...] {
                            promise.succeed(Dispatcher.execute(parsed, app: app, caller: caller))
                        }
                        replies = []
                        return false
                    }
                }
                return true
            }
        } catch let error as SQLiteError where error.isBusy && replies.isEmpty {
            // The batch could not begin: another process held the lock for a
            // whole busy timeout. Each request gets one more try without
            // waiting: a change is refused at once (-32005) instead of after
            // a timeout of its own, and the reads queued behind are not held
            // up a timeout per write.
            return register.withoutBusyWait(runAlone)
        } catch {
            guard !replies.isEmpty else { return runAlone() }
            // The commit failed and was rolled back: nothing is saved.
            let refusal = KoppelingError(storageError: error)
            for (parsed, _, promise) in batch {
                promise.succeed(parsed.id.map { ReplyEncoding.failure(id: $0, error: RPCError(refusal)) })
            }
            return
        }
        guard !replies.isEmpty else { return }
        groupCommits += 1
        for ((_, _, promise), outcome) in zip(batch, replies) { promise.succeed(outcome.reply) }
    }
}
