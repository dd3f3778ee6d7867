import Benchmark
import NIOCore

@testable import KoppelingDaemon

/// `Dispatcher.parse`: one request line to a routed, decoded call.
enum RequestParsingBenchmarks {
    static func register() {
        for (method, line) in [
            ("hello", Requests.hello), ("school.get", Requests.schoolGet),
            ("koppeling.activate", Requests.activate),
        ] {
            let data = ByteBuffer(string: line)
            Benchmark("Dispatcher.parse: \(method)") { benchmark in
                for _ in benchmark.scaledIterations {
                    blackHole(Dispatcher.parse(data))
                }
            }
        }
    }
}
