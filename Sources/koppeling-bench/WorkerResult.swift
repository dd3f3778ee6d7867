/// What one connection saw; merged into the run's totals at the end.
struct WorkerResult {
    var latency = Histogram()
    /// Replies to requests sent after the warm-up.
    var measured: UInt64 = 0
    var measuredErrors: UInt64 = 0
    /// Replies to requests sent during the warm-up, not in the figures.
    var warmup: UInt64 = 0
    var warmupErrors: UInt64 = 0
    /// Successful replies per method, warm-up included: what the run
    /// left in the database.
    var succeeded = [UInt64](repeating: 0, count: BenchMethod.allCases.count)
    var errorsByKind: [String: UInt64] = [:]
    var firstErrors: [String] = []
    /// Replies whose id was not the one expected next (order broken).
    var outOfOrder: UInt64 = 0
    var malformed: UInt64 = 0
    /// Why the connection stopped early, if it did.
    var failure: String?
    var lastReplyAt: UInt64 = 0

    static let keptErrorMessages = 5

    mutating func merge(_ other: WorkerResult) {
        latency.merge(other.latency)
        measured += other.measured
        measuredErrors += other.measuredErrors
        warmup += other.warmup
        warmupErrors += other.warmupErrors
        for i in succeeded.indices { succeeded[i] += other.succeeded[i] }
        for (kind, n) in other.errorsByKind { errorsByKind[kind, default: 0] += n }
        for message in other.firstErrors where firstErrors.count < Self.keptErrorMessages {
            firstErrors.append(message)
        }
        outOfOrder += other.outOfOrder
        malformed += other.malformed
        if failure == nil { failure = other.failure }
        lastReplyAt = max(lastReplyAt, other.lastReplyAt)
    }
}
