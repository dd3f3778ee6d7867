// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "koppelingd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "koppelingd", targets: ["koppelingd"]),
        .executable(name: "koppelingctl", targets: ["koppelingctl"]),
        .executable(name: "koppeling-bench", targets: ["koppeling-bench"]),
        // For the fuzz and benchmark packages in Fuzz/ and Benchmarks/
        // (they depend on this one by path).
        .library(name: "KoppelingCore", targets: ["KoppelingCore"]),
        .library(name: "KoppelingTime", targets: ["KoppelingTime"]),
        .library(name: "KoppelingProtocol", targets: ["KoppelingProtocol"]),
        .library(name: "KoppelingStorage", targets: ["KoppelingStorage"]),
        .library(name: "KoppelingDaemon", targets: ["KoppelingDaemon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // The system SQLite library (Debian: libsqlite3-dev).
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The C library's extended attributes (<sys/xattr.h>), for the
        // socket's ACL entry that lets the reader group in.
        .systemLibrary(name: "CXattr"),
        // Domain rules, types and errors: no I/O.
        .target(name: "KoppelingCore"),
        // The daemon's time: the injected clock, the IANA zone (the
        // system's TZif files, read by the core's reader) and the daily
        // schedule.
        .target(name: "KoppelingTime", dependencies: ["KoppelingCore"]),
        // SQLite wrapper, migrations (embedded from migrations/), queries.
        .target(
            name: "KoppelingStorage",
            dependencies: [
                "CSQLite", "KoppelingCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.embedInCode("Migrations")]
        ),
        // Codable JSON-RPC messages shared by the daemon and the CLI.
        .target(name: "KoppelingProtocol", dependencies: ["KoppelingCore"]),
        // Transport, dispatch, authorisation, scheduler, lifecycle.
        .target(
            name: "KoppelingDaemon",
            dependencies: [
                "KoppelingCore", "KoppelingTime", "KoppelingStorage", "KoppelingProtocol", "CXattr",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // Its `ServerQuiescingHelper`: the one way a stop drains the connections.
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Blocking socket client used by koppelingctl and the tests.
        .target(name: "KoppelingClient", dependencies: ["KoppelingCore", "KoppelingProtocol", "CXattr"]),
        .executableTarget(
            name: "koppelingd",
            dependencies: [
                "KoppelingDaemon", "KoppelingCore", "KoppelingTime", "KoppelingProtocol", "KoppelingStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "koppelingctl",
            dependencies: [
                "KoppelingClient", "KoppelingCore", "KoppelingProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Load generator for docs/performance.md (scripts/bench.sh).
        .executableTarget(
            name: "koppeling-bench",
            dependencies: [
                "KoppelingClient", "KoppelingProtocol", "KoppelingCore", "KoppelingStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "KoppelingCoreTests", dependencies: ["KoppelingCore", "KoppelingTime"]),
        .testTarget(
            name: "KoppelingStorageTests",
            dependencies: ["KoppelingStorage", "CSQLite", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "KoppelingDaemonTests",
            dependencies: [
                "KoppelingDaemon", "KoppelingTime", "KoppelingClient", "KoppelingStorage", "CSQLite", "CXattr",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["KoppelingClient", "KoppelingProtocol", "CXattr", "koppelingd", "koppelingctl"]
        ),
    ]
)
