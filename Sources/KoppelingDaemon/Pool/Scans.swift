import KoppelingCore
import KoppelingProtocol
import KoppelingStorage
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Runs the requests that read a whole table that grows without bound
/// (`Execution.scan`: `audit.verify`, `register.export`). Seconds on a large
/// register: on the event loop every connection would wait for it. So they
/// run on the daemon's thread pool, at most `threads` at once, each on a
/// read-only connection opened for it and closed after it; reads and
/// changes go on meanwhile.
///
/// Anyone who may connect could ask for scans again and again, so:
/// - A uid has at most one scan queued or running; another is refused at
///   once (-32005 `scan_busy`, with a hint to try again). Queued scans start
///   in the order they came, so a scan waits behind at most one of each
///   other uid's: round-robin between callers, without a queue per caller.
/// - A reader never makes an administrator wait: of the two scans that
///   run at once, callers who may only read have one, so an administrator's scan starts
///   at once unless other administrators' take both.
/// - A scan whose connection closed is dropped while queued (its uid may
///   ask again at once) and stopped while it runs: its reply has nowhere to
///   go. `shutdown` refuses what is queued and stops what runs.
final class Scans: Sendable {
    static let threads = 2

    /// Why a scan was not run, or not to its end.
    enum Refusal: Error, Equatable {
        /// The caller's uid has a scan queued or running.
        case busy
        /// The daemon stops.
        case stopping
        /// Its connection closed.
        case closed
    }

    private let pool: NIOThreadPool
    private let writer: Application
    private let state = NIOLockedValueBox(State())

    private struct State {
        var stopping = false
        /// The uids with a scan queued or running, and that scan's id.
        var busy: [Int: Int] = [:]

        /// Frees `uid` if its scan is `id` (a later scan of the uid may
        /// hold it already).
        mutating func free(uid: Int, id: Int) {
            if busy[uid] == id { busy[uid] = nil }
        }
        /// In the order they came; at most one a uid.
        var queue: [Job] = []
        var running: [Int: Job] = [:]
        var nextID = 0
        /// `shutdown`s waiting for the running scans to end.
        var stopWaiters: [CheckedContinuation<Void, Never>] = []

        /// The first queued scan that may start now, removed from the queue.
        mutating func next() -> Job? {
            guard running.count < Scans.threads else { return nil }
            let readerRuns = running.values.contains { !$0.caller.mayChange }
            guard let index = queue.firstIndex(where: { $0.caller.mayChange || !readerRuns }) else { return nil }
            return queue.remove(at: index)
        }
    }

    private struct Job: Sendable {
        let id: Int
        let caller: Caller
        let end: ConnectionEnd
        /// Set by `shutdown` while the scan runs.
        let stopped: NIOLockedValueBox<Bool>
        /// Runs the scan on `app` and completes its future, asking `stop`
        /// along the way whether to give up.
        let run: @Sendable (_ app: Application, _ stop: @escaping @Sendable () -> Refusal?) -> Void
        let refuse: @Sendable (any Error) -> Void

        /// Why the scan should end now, if it should.
        var stop: Refusal? {
            if stopped.withLockedValue({ $0 }) { return .stopping }
            return end.hasClosed ? .closed : nil
        }
    }

    /// `pool` is shared (`RequestPath`): it must have more than `threads`
    /// threads, and it outlives this.
    init(writer: Application, pool: NIOThreadPool) {
        self.writer = writer
        self.pool = pool
    }

    /// Runs `parsed` as a scan for `caller`, whose connection is `end`; its
    /// reply, or its refusal (none for a closed connection or a notification).
    func run(_ parsed: Parsed, caller: Caller, end: ConnectionEnd, on loop: any EventLoop) -> EventLoopFuture<ByteBuffer?> {
        submit(caller: caller, end: end, on: loop) { app in
            Dispatcher.execute(parsed, app: app, caller: caller)
        }.flatMapErrorThrowing { error in
            guard case .request(let request) = parsed, let id = request.id else { return nil }
            let refusal: KoppelingError
            switch error as? Refusal {
            case .closed:
                return nil
            case .busy:
                refusal = .unavailable(
                    .scanBusy,
                    message:
                        "Voor gebruiker \(caller.user) loopt al een verzoek dat het hele register leest (audit.verify of register.export); één tegelijk per gebruiker. Probeer het opnieuw zodra dat klaar is (meestal binnen enkele seconden)."
                )
            case .stopping:
                refusal = .unavailable(.shuttingDown, message: "koppelingd stopt; probeer het zo opnieuw.")
            case nil:
                // No connection to read with: said as such, never as a missing reply.
                refusal = .unavailable(
                    .storageFailure,
                    message: "Het register kon niet worden gelezen; probeer het opnieuw."
                )
            }
            return ReplyEncoding.failure(id: id, error: RPCError(refusal))
        }
    }

    /// Queues `work` for `caller`, whose connection is `end`, unless the
    /// caller's uid has a scan queued or running already; it runs on a
    /// read-only connection of its own, and fails with a `Refusal` when it
    /// is refused, dropped or stopped.
    func submit<T: Sendable>(
        caller: Caller,
        end: ConnectionEnd,
        on loop: any EventLoop,
        _ work: @escaping @Sendable (Application) throws -> T
    ) -> EventLoopFuture<T> {
        let admitted = state.withLockedValue { s -> Result<Int, Refusal> in
            if s.stopping { return .failure(.stopping) }
            guard s.busy[caller.uid] == nil else { return .failure(.busy) }
            s.nextID += 1
            s.busy[caller.uid] = s.nextID
            return .success(s.nextID)
        }
        let id: Int
        switch admitted {
        case .failure(let refusal): return loop.makeFailedFuture(refusal)
        case .success(let admittedID): id = admittedID
        }
        let promise = loop.makePromise(of: T.self)
        let job = Job(
            id: id,
            caller: caller,
            end: end,
            stopped: NIOLockedValueBox(false),
            run: { [state] app, stop in
                let outcome = Result { try app.register.interruptible(by: { stop() != nil }) { try work(app) } }
                // The uid is free before the reply leaves: a client that
                // sends its next scan once it has the reply is not refused.
                state.withLockedValue { $0.free(uid: caller.uid, id: id) }
                switch (outcome, stop()) {
                case (_, let refusal?): promise.fail(refusal)
                case (.success(let value), nil): promise.succeed(value)
                case (.failure(let error), nil): promise.fail(error)
                }
            },
            refuse: { promise.fail($0) }
        )
        // Registered before it is queued, so a close from now on finds it.
        guard end.onClose(id, { self.drop(id) }) else {
            state.withLockedValue { $0.free(uid: caller.uid, id: id) }
            promise.fail(Refusal.closed)
            return promise.futureResult
        }
        let refused = state.withLockedValue { s -> Bool in
            guard !s.stopping else {
                s.free(uid: caller.uid, id: id)
                return true
            }
            s.queue.append(job)
            return false
        }
        if refused {
            end.forget(id)
            promise.fail(Refusal.stopping)
        } else {
            startQueued()
        }
        return promise.futureResult
    }

    /// Starts queued scans while a thread they may use is free.
    private func startQueued() {
        while let job = state.withLockedValue({ s -> Job? in
            guard let job = s.next() else { return nil }
            s.running[job.id] = job
            return job
        }) {
            pool.submit { [writer] poolState in
                defer { self.finished(job) }
                guard case .active = poolState else { return job.refuse(Refusal.stopping) }
                // Closed while queued, after `drop` looked: not run.
                if let refusal = job.stop { return job.refuse(refusal) }
                let register: Register
                do {
                    register = try writer.register.reader()
                } catch {
                    return job.refuse(error)
                }
                defer { register.close() }
                let app = writer.on(register)
                job.run(app) { job.stop }
            }
        }
    }

    private func finished(_ job: Job) {
        job.end.forget(job.id)
        let stopped = state.withLockedValue { s -> [CheckedContinuation<Void, Never>] in
            s.running[job.id] = nil
            s.free(uid: job.caller.uid, id: job.id)
            guard s.running.isEmpty else { return [] }
            defer { s.stopWaiters = [] }
            return s.stopWaiters
        }
        for waiter in stopped { waiter.resume() }
        startQueued()
    }

    /// A queued scan whose connection closed: dropped, and its uid free at
    /// once. One that runs stops by itself (`Job.stop`).
    private func drop(_ id: Int) {
        let dropped = state.withLockedValue { s -> Job? in
            guard let index = s.queue.firstIndex(where: { $0.id == id }) else { return nil }
            let job = s.queue.remove(at: index)
            s.free(uid: job.caller.uid, id: job.id)
            return job
        }
        dropped?.refuse(Refusal.closed)
    }

    /// Refuses the queued scans, stops the running ones (within a few
    /// thousand steps of SQLite), and returns once their threads are done.
    func shutdown() async {
        let queued = state.withLockedValue { s -> [Job] in
            s.stopping = true
            for job in s.running.values { job.stopped.withLockedValue { $0 = true } }
            let queued = s.queue
            s.queue = []
            for job in queued { s.free(uid: job.caller.uid, id: job.id) }
            return queued
        }
        for job in queued {
            job.end.forget(job.id)
            job.refuse(Refusal.stopping)
        }
        await withCheckedContinuation { waiter in
            let idle = state.withLockedValue { s -> Bool in
                if s.running.isEmpty { return true }
                s.stopWaiters.append(waiter)
                return false
            }
            if idle { waiter.resume() }
        }
    }
}
