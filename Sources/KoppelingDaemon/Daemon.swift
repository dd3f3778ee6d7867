import Foundation
import KoppelingCore
import KoppelingProtocol
import KoppelingStorage
import KoppelingTime
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The daemon as a service: open the register, listen, tell systemd it is
/// ready, run the daily timer and the watchdog, and on SIGTERM finish the
/// requests in flight and close the database.
public final class Daemon: Service, Sendable {
    let config: DaemonConfig
    let clock: any KoppelingClock
    let logger: Logger
    /// Called with the socket path once the daemon serves (tests use it).
    let onReady: @Sendable (String) -> Void

    public init(
        config: DaemonConfig,
        clock: any KoppelingClock = SystemClock(),
        logger: Logger,
        onReady: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.config = config
        self.clock = clock
        self.logger = logger
        self.onReady = onReady
    }

    public func run() async throws {
        let notifier = Notifier()
        let hangUp = Daemon.ignoreHangUp(logger: logger)
        defer { hangUp.cancel() }
        let activation = SocketActivation.fromEnvironment()
        try SocketServer.createDirectory(config.stateDirectory)
        // Before the database is touched: a second daemon on this register
        // stops here, naming the one that runs.
        let lock = try RegisterLock.acquire(
            database: config.databasePath,
            holder: RegisterLock.holder(socket: config.socketPath)
        )
        defer { lock.release() }
        let register = try Register.open(path: config.databasePath)
        let app = Application(register: register, config: config, clock: clock, logger: logger)
        app.removeUnfinishedBackups()
        let executor = DatabaseExecutor(app: app)
        let policy = AdminPolicy(adminGroup: config.adminGroup)
        if policy.adminGID == nil {
            logger.warning(
                "admin group does not exist; only root and the daemon's own user may change things",
                metadata: ["group": "\(config.adminGroup)"]
            )
        }
        // Who is asking is an NSS lookup that may take seconds: on these
        // threads, not on the event loop.
        let lookups = NIOThreadPool(numberOfThreads: CallerResolver.threads)
        lookups.start()
        let callers = CallerResolver(policy: policy, threadPool: lookups)
        let registry = ConnectionRegistry(maxConnections: config.maxConnections)
        // One loop: reads run on it, writes on the database thread; a second
        // loop grew memory (a malloc arena and page cache more) for little gain.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let readers: ReadConnections
        do { readers = try ReadConnections(group: group, writer: app) } catch {
            await executor.shutdown()
            try? await lookups.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
        let listener: SocketServer.Listener
        do {
            listener = try await SocketServer.start(
                group: group,
                config: config,
                activation: activation,
                logger: logger
            ) {
                [config, logger] channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(readTimeout: .seconds(config.idleTimeoutSeconds)))
                    try sync.addHandler(
                        LineDeadlineHandler(timeout: .seconds(config.lineTimeoutSeconds), logger: logger)
                    )
                    try sync.addHandler(
                        ByteToMessageHandler(
                            LineDecoder(maxLength: ProtocolInfo.maxLineBytes),
                            maximumBufferSize: ProtocolInfo.maxLineBytes + 2
                        )
                    )
                    try sync.addHandler(
                        ConnectionHandler(
                            executor: executor,
                            readers: readers,
                            callers: callers,
                            registry: registry,
                            maxInFlight: config.maxInFlightPerConnection,
                            logger: logger
                        )
                    )
                }
            }
        } catch {
            await readers.close(group: group)
            await executor.shutdown()
            try? await lookups.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
        let socketDescription = listener.ownsPath ? config.socketPath : "systemd socket"
        logger.info(
            "koppelingd serves",
            metadata: [
                "socket": "\(socketDescription)", "database": "\(config.databasePath)",
                "time_zone": "\(config.schedule.zone)", "run_at": "\(config.schedule.runAt)",
            ]
        )
        notifier.send("READY=1\nSTATUS=Serving on \(socketDescription)\nMAINPID=\(getpid())")
        onReady(config.socketPath)

        let timer = DailyTimer(executor: executor, clock: clock, logger: logger) { [config, logger] in
            guard config.keepBackups > 0 else { return }
            do {
                let pruned = try await executor.run { app -> [String] in
                    _ = try app.createBackup()
                    return try app.pruneBackups(keep: config.keepBackups)
                }
                logger.info("daily backup written", metadata: ["pruned": "\(pruned.count)"])
            } catch {
                logger.error("daily backup failed", metadata: ["error": "\(error)"])
            }
        }
        let background = Task {
            await withTaskGroup(of: Void.self) { tasks in
                tasks.addTask { await timer.run() }
                tasks.addTask { [logger] in await Daemon.watchStorage(app.health, logger: logger) }
                if let interval = Notifier.watchdogInterval() {
                    tasks.addTask {
                        await Daemon.watchdog(interval: interval, executor: executor, group: group, notifier: notifier)
                    }
                }
            }
        }

        try? await gracefulShutdown()

        logger.info("stopping: finishing requests in flight")
        notifier.send("STOPPING=1\nSTATUS=Stopping")
        background.cancel()
        try? await listener.channel.close()
        let open = registry.beginShutdown()
        let deadline = ContinuousClock.now + .seconds(config.shutdownGraceSeconds)
        while registry.inFlight > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        // Let the last replies reach their sockets before closing them.
        for channel in open { try? await channel.eventLoop.submit {}.get() }
        for channel in open { try? await channel.close() }
        _ = await background.value
        await readers.close(group: group)
        await executor.shutdown()
        if listener.ownsPath { unlink(config.socketPath) }
        try? await lookups.shutdownGracefully()
        try? await group.shutdownGracefully()
        logger.info("stopped cleanly")
    }

    /// Looks once a second whether the register file is still the one the
    /// daemon has open.
    static func watchStorage(_ health: StorageHealth, logger: Logger) async {
        while !Task.isCancelled {
            if health.check() {
                logger.critical(
                    "the register file was deleted or replaced while koppelingd runs; every change is refused from now on (restore it and restart koppelingd)",
                    metadata: ["database": "\(health.database)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// SIGHUP (a closed terminal, `systemctl kill -s HUP`) would end the
    /// daemon at once, with requests in flight. There is no configuration
    /// to reload: it is logged and the daemon goes on.
    static func ignoreHangUp(logger: Logger) -> any DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP)
        source.setEventHandler {
            logger.notice("SIGHUP received: koppelingd has no configuration to reload and keeps running")
        }
        source.resume()
        return source
    }

    /// Pings systemd's watchdog only while the event loop and the database
    /// both still answer.
    static func watchdog(interval: Double, executor: DatabaseExecutor, group: EventLoopGroup, notifier: Notifier) async
    {
        while !Task.isCancelled {
            do {
                try await group.next().submit {}.get()
                _ = try await executor.run { try $0.register.db.queryOne("SELECT 1") { $0.int(0) } }
                notifier.send("WATCHDOG=1")
            } catch {}
            try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
        }
    }
}
