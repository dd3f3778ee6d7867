// swift-tools-version: 6.1
// Micro-benchmarks of the daemon's hot paths (line splitting, request
// parsing, reply encoding, the domain rules, the verification-code HMAC),
// with ordo-one/benchmark. A package of its own so the main build never
// resolves or builds the benchmark tooling; docs/microbenchmarks.md has the
// command and the figures. Run from the repository root:
//
//   swift package --package-path Benchmarks -Xswiftc -enable-testing benchmark
//
// -enable-testing: the target reaches the daemon's internal LineDecoder,
// Dispatcher and ReplyEncoding through @testable import, as Fuzz/ does
// (scripts/fuzz.sh passes the same flag to its release build).
import PackageDescription

let package = Package(
    name: "koppeling-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "koppelingd", path: ".."),
        // MallocInterposer: allocation counts without jemalloc.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .executableTarget(
            name: "KoppelingBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KoppelingCore", package: "koppelingd"),
                .product(name: "KoppelingProtocol", package: "koppelingd"),
                .product(name: "KoppelingDaemon", package: "koppelingd"),
                .product(name: "KoppelingStorage", package: "koppelingd"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/KoppelingBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        )
    ]
)
