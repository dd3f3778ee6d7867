import Benchmark
import KoppelingProtocol
import NIOCore
import NIOEmbedded

@testable import KoppelingDaemon

/// The daemon's `LineDecoder` splitting what a client sent in one read.
enum LineDecodingBenchmarks {
    static let linesPerBuffer = 64

    static func register() {
        // One operation: one buffer of 64 request lines, written into a
        // long-lived channel as the pipeline would see one read, and the 64
        // lines taken out again.
        Benchmark("LineDecoder: 64 request lines in one buffer") { benchmark in
            let channel = EmbeddedChannel(
                handler: ByteToMessageHandler(LineDecoder(maxLength: ProtocolInfo.maxLineBytes))
            )
            var input = channel.allocator.buffer(capacity: 8192)
            for i in 0..<linesPerBuffer { input.writeString(Requests.mix[i % Requests.mix.count] + "\n") }

            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                try channel.writeInbound(input)
                var lines = 0
                while let line = try channel.readInbound(as: InboundLine.self) {
                    blackHole(line)
                    lines += 1
                }
                precondition(lines == linesPerBuffer)
            }
            benchmark.stopMeasurement()
            _ = try channel.finish()
        }
    }
}
