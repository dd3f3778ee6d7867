import Logging
import NIOCore
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The listening socket. It reports the daemon ready once the group runs
/// (its signal handlers are in place: a SIGTERM right after READY=1 is a
/// clean stop). Last in the group, so it stops first: no new connection or
/// request is taken, the requests in flight are answered (within the grace
/// period), then the connections are closed.
struct SocketService: Service {
    let listener: SocketServer.Listener
    let registry: ConnectionRegistry
    let config: DaemonConfig
    let notifier: Notifier
    let logger: Logger
    /// Runs once the daemon is ready (the file's full check), beside serving.
    var afterReady: @Sendable () async -> Void = {}
    /// Runs as the stop begins, before the requests in flight are waited
    /// for: what would hold the stop up without answering anyone (scans,
    /// the file's full check) is ended here.
    var onStop: @Sendable () async -> Void = {}

    func run() async throws {
        let socketDescription = listener.ownsPath ? config.socketPath : "systemd socket"
        logger.info(
            "koppelingd serves",
            metadata: [
                "socket": "\(socketDescription)", "database": "\(config.databasePath)",
                "time_zone": "\(config.schedule.zone)", "run_at": "\(config.schedule.runAt)",
            ]
        )
        notifier.send("READY=1\nSTATUS=Serving on \(socketDescription)\nMAINPID=\(getpid())")
        async let afterReady: Void = afterReady()
        try? await gracefulShutdown()
        logger.info("stopping: finishing requests in flight")
        notifier.send("STOPPING=1\nSTATUS=Stopping")
        try? await listener.channel.close()
        let open = registry.beginShutdown()
        await onStop()
        await registry.drained(timeout: .seconds(config.shutdownGraceSeconds))
        // Let the last replies reach their sockets before closing them.
        for channel in open { try? await channel.eventLoop.submit {}.get() }
        for channel in open { try? await channel.close() }
        if listener.ownsPath { unlink(config.socketPath) }
        await afterReady
    }
}
