import Benchmark

/// The metrics every benchmark records. Times and counts are per operation:
/// a body runs its operation `scaledIterations` times and the tool divides
/// by the scaling factor. `instructions` needs a hardware performance
/// counter (perf events); on a machine without one (a VM without a PMU) the
/// tool silently leaves that row out.
let koppelingMetrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal, .instructions]

/// The suite: one `register` per area, each in its own file.
let benchmarks: @Sendable () -> Void = {
    // Every body runs its operation 1000 times a sample: the tool's own
    // cost per sample (16 mallocs and about 85 ns here, measured with an
    // empty body at scaling factor one) then adds 0.016 mallocs and under
    // 0.1 ns to an operation's figures.
    Benchmark.defaultConfiguration = .init(
        metrics: koppelingMetrics,
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 10_000
    )
    LineDecodingBenchmarks.register()
    RequestParsingBenchmarks.register()
    ReplyEncodingBenchmarks.register()
    ValidationBenchmarks.register()
    CodeHashBenchmarks.register()
}
