import KoppelingCore
import KoppelingProtocol
import KoppelingStorage
import KoppelingTime
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The daemon: one `ServiceGroup`, on one event loop that is also Swift
/// concurrency's executor (`LoopExecutor`), while the main thread takes
/// SIGTERM, SIGINT and SIGHUP (`ProcessSignals`). Its first service,
/// `RegisterService`, opens everything (`open`) and adds the services that
/// keep the daemon running; on shutdown the group stops them in reverse
/// order, the socket first and the register last. No libdispatch thread is
/// started (DESIGN §7): beside the main thread there are the loop, the
/// database thread and the thread pools.
public struct Daemon: Sendable {
    let config: DaemonConfig
    let clock: any KoppelingClock
    let logger: Logger

    public init(config: DaemonConfig, clock: any KoppelingClock = SystemClock(), logger: Logger) {
        self.config = config
        self.clock = clock
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT, with the calling thread waiting for
    /// signals; throws when the daemon cannot start. Call it from the main
    /// thread before any other thread or task exists; once per process.
    public func run() throws {
        let signals = ProcessSignals()
        // One loop: reads run on it, writes on the database thread; a second
        // loop grew memory (a malloc arena and page cache more) for little
        // gain. It outlives the group: the group's own tasks run on it.
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        LoopExecutor.install(on: loops.next())
        let owner = GroupOwner()
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(
                        service: RegisterService(daemon: self, loops: loops, owner: owner, logger: logger),
                        successTerminationBehavior: .gracefullyShutdownGroup
                    )
                ],
                logger: logger
            )
        )
        owner.group = group
        let outcome = NIOLockedValueBox<Result<Void, any Error>?>(nil)
        Task {
            do {
                try await group.run()
                outcome.withLockedValue { $0 = .success(()) }
            } catch {
                outcome.withLockedValue { $0 = .failure(error) }
            }
            signals.wake()
        }
        while true {
            let signal = signals.next()
            if let ended = outcome.withLockedValue({ $0 }) { return try ended.get() }
            if signal == SIGHUP {
                // A closed terminal, `systemctl kill -s HUP`: there is no
                // configuration to reload, and ending would cut off requests
                // in flight.
                logger.notice("SIGHUP received: koppelingd has no configuration to reload and keeps running")
            } else {
                // Remembered by the group when it comes before the group runs.
                Task { await group.triggerGracefulShutdown() }
            }
        }
    }

    /// Everything the daemon opens, in order, each closing pushed onto
    /// `teardown` (which a failed start and a shutdown both unwind). The
    /// services, in start order: the socket's last (it stops first).
    func open(
        into teardown: Teardown,
        loops group: MultiThreadedEventLoopGroup
    ) async throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let notifier = Notifier()
        let activation = SocketActivation.fromEnvironment()
        try SocketServer.createDirectory(config.stateDirectory)
        // Before the database is touched: a second daemon on this register
        // stops here, naming the one that runs.
        let lock = try RegisterLock.acquire(
            database: config.databasePath,
            holder: RegisterLock.holder(socket: config.socketPath)
        )
        teardown.push { lock.release() }
        let register = try Register.open(path: config.databasePath)
        if register.auditRowsChainedAtOpen > 0 {
            // Once, at the upgrade to the chained trail: these rows are taken
            // as they were. Said in the journal, so that it cannot happen
            // unseen later (a register made to look like an old one).
            logger.notice(
                "audit rows written before the audit chain existed are chained from now on",
                metadata: ["rows": "\(register.auditRowsChainedAtOpen)"]
            )
        }
        let app = Application(register: register, config: config, clock: clock, logger: logger)
        app.removeUnfinishedBackups()
        let executor = DatabaseExecutor(app: app)
        teardown.push { await executor.shutdown() }
        let policy = AdminPolicy(adminGroup: config.adminGroup)
        if policy.adminGID == nil {
            logger.warning(
                "admin group does not exist; only root and the daemon's own user may change things",
                metadata: ["group": "\(config.adminGroup)"]
            )
        }
        // Work that may take seconds, never on the event loop: who is asking
        // (an NSS lookup), and the full checks of the register file and of
        // the audit chain.
        let pool = NIOThreadPool(numberOfThreads: CallerResolver.threads)
        pool.start()
        teardown.push { try? await pool.shutdownGracefully() }
        let callers = CallerResolver(policy: policy, threadPool: pool)
        let registry = ConnectionRegistry(maxConnections: config.maxConnections)
        let readers = try ReadConnections(group: group, writer: app)
        teardown.push { await readers.close(group: group) }
        let scans = Scans(writer: app)
        teardown.push { await scans.shutdown() }
        let responder = DaemonResponder(executor: executor, readers: readers, scans: scans)
        let pipeline = ConnectionPipeline(
            responder: responder,
            callers: callers,
            registry: registry,
            maxInFlight: config.maxInFlightPerConnection,
            idleTimeout: .seconds(config.idleTimeoutSeconds),
            lineTimeout: .seconds(config.lineTimeoutSeconds),
            logger: logger
        )
        let listener = try await SocketServer.start(
            group: group,
            config: config,
            activation: activation,
            logger: logger
        ) { channel in
            channel.eventLoop.makeCompletedFuture { try pipeline.addHandlers(to: channel) }
        }
        // The socket service closes it on shutdown; this is for a shutdown
        // that came before that service could start (a SIGTERM during
        // start-up). Closing twice is harmless.
        teardown.push { [config] in
            try? await listener.channel.close()
            if listener.ownsPath { unlink(config.socketPath) }
        }
        let timer = DailyTimer(executor: executor, clock: clock, logger: logger) {
            [config, logger, register, clock, health = app.health] in
            if config.keepBackups > 0 {
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
            await StorageCheck.run(register: register, health: health, logger: logger, pool: pool)
            await AuditChainCheck.run(register: register, health: health, clock: clock, logger: logger, pool: pool)
        }
        var services: [any Service] = [
            StorageWatchService(health: app.health, executor: executor, logger: logger),
            TimerService(timer: timer),
        ]
        if let interval = Notifier.watchdogInterval() {
            services.append(WatchdogService(interval: interval, executor: executor, group: group, notifier: notifier))
        }
        services.append(
            SocketService(
                listener: listener,
                registry: registry,
                config: config,
                notifier: notifier,
                logger: logger,
                afterReady: { [register, health = app.health, logger] in
                    await StorageCheck.run(register: register, health: health, logger: logger, pool: pool)
                },
                onStop: { [health = app.health, scans] in
                    health.isStopping = true
                    await scans.shutdown()
                }
            )
        )
        // A service that ends by itself (an error) ends the daemon cleanly.
        return services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
    }
}
