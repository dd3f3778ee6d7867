import KoppelingCore
import KoppelingProtocol
import KoppelingStorage
import KoppelingTime
import Logging
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

/// The daemon: one `ServiceGroup`, which handles SIGTERM and SIGINT from
/// before anything is opened. Its first service, `RegisterService`, opens
/// everything (`open`) and adds the services that keep the daemon running;
/// on shutdown the group stops them in reverse order, the socket first and
/// the register last.
public struct Daemon: Sendable {
    let config: DaemonConfig
    let clock: any KoppelingClock
    let logger: Logger

    public init(config: DaemonConfig, clock: any KoppelingClock = SystemClock(), logger: Logger) {
        self.config = config
        self.clock = clock
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT; throws when the daemon cannot start.
    public func run() async throws {
        let owner = GroupOwner()
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(
                        service: RegisterService(daemon: self, owner: owner, logger: logger),
                        successTerminationBehavior: .gracefullyShutdownGroup
                    )
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        owner.group = group
        try await group.run()
    }

    /// Everything the daemon opens, in order, each closing pushed onto
    /// `teardown` (which a failed start and a shutdown both unwind). The
    /// services, in start order: the socket's last (it stops first).
    func open(into teardown: Teardown) async throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let notifier = Notifier()
        // There is nothing to reload: a hang-up must not end the daemon.
        signal(SIGHUP, SIG_IGN)
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
        // Who is asking is an NSS lookup that may take seconds: on these
        // threads, not on the event loop.
        let lookups = NIOThreadPool(numberOfThreads: CallerResolver.threads)
        lookups.start()
        teardown.push { try? await lookups.shutdownGracefully() }
        let callers = CallerResolver(policy: policy, threadPool: lookups)
        let registry = ConnectionRegistry(maxConnections: config.maxConnections)
        // One loop: reads run on it, writes on the database thread; a second
        // loop grew memory (a malloc arena and page cache more) for little gain.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        teardown.push { try? await group.shutdownGracefully() }
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
            await StorageCheck.run(register: register, health: health, logger: logger)
            await AuditChainCheck.run(register: register, health: health, clock: clock, logger: logger)
        }
        var services: [any Service] = [
            HangUpService(logger: logger),
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
                    await StorageCheck.run(register: register, health: health, logger: logger)
                }
            )
        )
        // A service that ends by itself (an error) ends the daemon cleanly.
        return services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
    }
}
