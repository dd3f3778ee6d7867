import Foundation

/// Starts one worker per connection, releases them together, waits for
/// all, and merges what they saw.
enum LoadRun {
    struct Outcome {
        var total: WorkerResult
        /// From the end of the warm-up to the last measured reply.
        var seconds: Double
        var connectionsFailed: Int
    }

    static func run<Source: RequestSource>(
        socket: String,
        depth: Int,
        quotas: [Int?],
        sources: [Source],
        warmup: Double,
        duration: Double?
    ) -> Outcome {
        let timing = RunTiming()
        let ready = DispatchSemaphore(value: 0)
        let go = DispatchSemaphore(value: 0)
        let workers = zip(sources, quotas).map { source, quota in
            Worker(socketPath: socket, depth: depth, quota: quota, source: source, timing: timing)
        }
        for worker in workers { worker.start(ready: ready, go: go) }
        for _ in workers { ready.wait() }
        let start = MonotonicClock.now()
        timing.measureStart = start + UInt64(warmup * 1e9)
        timing.deadline = duration.map { timing.measureStart + UInt64($0 * 1e9) }
        for _ in workers { go.signal() }
        for worker in workers { worker.join() }

        var total = WorkerResult()
        var failed = 0
        for worker in workers {
            if worker.result.failure != nil { failed += 1 }
            total.merge(worker.result)
        }
        let end = max(total.lastReplyAt, timing.measureStart)
        return Outcome(total: total, seconds: Double(end - timing.measureStart) / 1e9, connectionsFailed: failed)
    }
}
