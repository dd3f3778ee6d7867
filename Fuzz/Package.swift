// swift-tools-version: 6.0
// The libFuzzer target over the line decoder, request parsing and the
// domain rules. A package of its own so the main build never sees
// `-sanitize=fuzzer`; scripts/fuzz.sh builds and runs it.
import PackageDescription

let package = Package(
    name: "koppeling-fuzz",
    dependencies: [
        .package(name: "koppelingd", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "KoppelingFuzz",
            dependencies: [
                .product(name: "KoppelingCore", package: "koppelingd"),
                .product(name: "KoppelingProtocol", package: "koppelingd"),
                .product(name: "KoppelingDaemon", package: "koppelingd"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        )
    ]
)
