import Foundation
import KoppelingClient

/// When every connection starts measuring and stops sending. Written by
/// the main thread before it releases the workers (the semaphore orders
/// the writes before the reads).
final class RunTiming: @unchecked Sendable {
    var measureStart: UInt64 = 0
    var deadline: UInt64?
}

/// One connection on its own OS thread, using the blocking client: it
/// keeps `depth` requests in flight — sends that many, then one more for
/// each reply — and times each request from just before its send to just
/// after its reply line arrives.
final class Worker<Source: RequestSource>: @unchecked Sendable {
    let socketPath: String
    let depth: Int
    /// Requests to measure (after the warm-up); `nil` means until the deadline
    /// or until the source runs dry.
    let quota: Int?
    private var source: Source
    private let timing: RunTiming
    private(set) var result = WorkerResult()
    private let done = DispatchSemaphore(value: 0)

    init(socketPath: String, depth: Int, quota: Int?, source: Source, timing: RunTiming) {
        self.socketPath = socketPath
        self.depth = depth
        self.quota = quota
        self.source = source
        self.timing = timing
    }

    /// Connects on a new thread, signals `ready`, waits for `go`, then runs.
    func start(ready: DispatchSemaphore, go: DispatchSemaphore) {
        let thread = Thread { [self] in
            defer { done.signal() }
            let connection: KoppelingConnection
            do {
                connection = try KoppelingConnection(path: socketPath)
            } catch {
                result.failure = "\(error)"
                ready.signal()
                go.wait()
                return
            }
            ready.signal()
            go.wait()
            do { try drive(connection) } catch { result.failure = "\(error)" }
        }
        thread.name = "koppeling-bench"
        thread.start()
    }

    func join() { done.wait() }

    private struct InFlight {
        var sentAt: UInt64
        var method: BenchMethod
        var id: Int64
    }

    private func drive(_ connection: KoppelingConnection) throws {
        let measureStart = timing.measureStart
        let deadline = timing.deadline
        var inFlight: [InFlight] = []
        inFlight.reserveCapacity(depth)
        var head = 0
        var sentMeasured = 0
        var exhausted = false

        func mayStart(_ now: UInt64) -> Bool {
            if exhausted { return false }
            if let deadline, now >= deadline { return false }
            if let quota, now >= measureStart, sentMeasured >= quota { return false }
            return true
        }

        func sendOne() throws {
            guard let request = source.next() else {
                exhausted = true
                return
            }
            let now = MonotonicClock.now()
            try connection.send(request.line)
            if now >= measureStart { sentMeasured += 1 }
            inFlight.append(InFlight(sentAt: now, method: request.method, id: request.id))
        }

        while inFlight.count < depth, mayStart(MonotonicClock.now()) { try sendOne() }
        while head < inFlight.count {
            let reply = try connection.receiveLine()
            let now = MonotonicClock.now()
            let request = inFlight[head]
            head += 1
            // Keep the ring small: drop what has been answered.
            if head == inFlight.count || head >= 1024 {
                inFlight.removeFirst(head)
                head = 0
            }
            account(reply, for: request, at: now, measureStart: measureStart)
            if mayStart(now) { try sendOne() }
        }
    }

    private func account(_ reply: Data, for request: InFlight, at now: UInt64, measureStart: UInt64) {
        let measured = request.sentAt >= measureStart
        var failed = false
        switch ReplyScanner.scan(reply) {
        case .result(let id):
            if id != request.id {
                result.outOfOrder += 1
                failed = true
            }
        case .error(let id):
            if id != request.id { result.outOfOrder += 1 }
            failed = true
            let description = ReplyScanner.describeError(reply)
            let kind = request.method.wireName + " " + (description.split(separator: ":").first.map(String.init) ?? "?")
            result.errorsByKind[kind, default: 0] += 1
            if result.firstErrors.count < WorkerResult.keptErrorMessages {
                result.firstErrors.append("\(request.method.wireName): \(description)")
            }
        case .malformed:
            result.malformed += 1
            failed = true
            if result.firstErrors.count < WorkerResult.keptErrorMessages {
                result.firstErrors.append(
                    "\(request.method.wireName): unreadable reply \(String(decoding: reply.prefix(200), as: UTF8.self))"
                )
            }
        }
        if !failed { result.succeeded[request.method.rawValue] += 1 }
        if measured {
            result.measured += 1
            if failed { result.measuredErrors += 1 }
            result.latency.record(now - request.sentAt)
            result.lastReplyAt = now
        } else {
            result.warmup += 1
            if failed { result.warmupErrors += 1 }
        }
    }
}
