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
    let afterReady: @Sendable () async -> Void
    /// Runs as the stop begins, before the requests in flight are waited
    /// for: what would hold the stop up without answering anyone (scans,
    /// the file's full check) is ended here.
    let onStop: @Sendable () async -> Void

    /// The daemon's: the file's full check once ready; at the stop, changes
    /// refused from then on and the scans ended.
    init(app: Application, path: RequestPath, listener: SocketServer.Listener, notifier: Notifier) {
        let (register, health, logger, pool, scans) = (app.register, app.health, app.logger, path.pool, path.register.scans)
        self.init(
            listener: listener,
            registry: path.registry,
            config: app.config,
            notifier: notifier,
            logger: logger,
            afterReady: { await StorageCheck.run(register: register, health: health, logger: logger, pool: pool) },
            onStop: {
                health.isStopping = true
                await scans.shutdown()
            }
        )
    }

    init(
        listener: SocketServer.Listener,
        registry: ConnectionRegistry,
        config: DaemonConfig,
        notifier: Notifier,
        logger: Logger,
        afterReady: @escaping @Sendable () async -> Void = {},
        onStop: @escaping @Sendable () async -> Void = {}
    ) {
        self.listener = listener
        self.registry = registry
        self.config = config
        self.notifier = notifier
        self.logger = logger
        self.afterReady = afterReady
        self.onStop = onStop
    }

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
        let open = registry.beginShutdown()
        // Each connection writes the reply it waits for, refuses the lines
        // after it and closes; those still open after the grace period
        // are closed then.
        let closed = listener.quiesce()
        await onStop()
        let deadline = listener.channel.eventLoop.scheduleTask(in: .seconds(config.shutdownGraceSeconds)) {
            for channel in open { channel.close(promise: nil) }
        }
        try? await closed.get()
        deadline.cancel()
        await listener.close(config: config)
        await afterReady
    }
}
