import Foundation
import KoppelingCore
import KoppelingProtocol
import KoppelingStorage
import KoppelingTime
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The daemon: `start` opens the register and the socket; the services it
/// returns keep it running in one `ServiceGroup` (the socket's tells
/// systemd it is ready), which stops them in reverse order on SIGTERM.
public struct Daemon: Sendable {
    let config: DaemonConfig
    let clock: any KoppelingClock
    let logger: Logger

    public init(config: DaemonConfig, clock: any KoppelingClock = SystemClock(), logger: Logger) {
        self.config = config
        self.clock = clock
        self.logger = logger
    }

    /// Everything the daemon opens, in order; on a failure halfway what was
    /// opened is closed again (the same teardown a shutdown runs). The
    /// services, in start order: the register first (it stops last), the
    /// socket last (it stops first).
    public func start() async throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let teardown = Teardown()
        do {
            return try await open(into: teardown)
        } catch {
            await teardown.unwind()
            throw error
        }
    }

    private func open(into teardown: Teardown) async throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
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
        let responder = DaemonResponder(executor: executor, readers: readers)
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
        var services: [any Service] = [
            RegisterService(teardown: teardown, logger: logger),
            HangUpService(logger: logger),
            StorageWatchService(health: app.health, logger: logger),
            TimerService(timer: timer),
        ]
        if let interval = Notifier.watchdogInterval() {
            services.append(WatchdogService(interval: interval, executor: executor, group: group, notifier: notifier))
        }
        services.append(
            SocketService(listener: listener, registry: registry, config: config, notifier: notifier, logger: logger)
        )
        // A service that ends by itself (an error) ends the daemon cleanly.
        return services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
    }
}
