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
    /// `teardown` (which a failed start and a shutdown both unwind): the
    /// register, the request path, the socket. The services, in start
    /// order: the socket's last (it stops first).
    func open(
        into teardown: Teardown,
        loops: MultiThreadedEventLoopGroup
    ) async throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let activation = SocketActivation.fromEnvironment()
        let app = try openRegister(into: teardown)
        let policy = CallerPolicy(adminGroup: config.adminGroup, readerGroup: config.readerGroup)
        if policy.adminGID == nil {
            logger.warning(
                "admin group does not exist; only root and the daemon's own user may change things",
                metadata: ["group": "\(config.adminGroup)"]
            )
        }
        if policy.readerGID == nil {
            logger.warning(
                "reader group does not exist; nobody outside the admin group may read the register",
                metadata: ["group": "\(config.readerGroup)"]
            )
        }
        let path = try RequestPath.open(app: app, config: config, loops: loops, into: teardown) { pool in
            CallerResolver(policy: policy, threadPool: pool)
        }
        let listener = try await path.listen(
            config: config,
            activation: activation,
            loops: loops,
            logger: logger,
            into: teardown
        )
        return services(app: app, path: path, listener: listener, loops: loops)
    }

    /// The register, under its lock: a second daemon on it stops at the
    /// lock, naming the one that runs, before the database is touched.
    private func openRegister(into teardown: Teardown) throws -> Application {
        try SocketServer.createDirectory(config.stateDirectory)
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
        return app
    }

    /// What keeps the daemon running, in start order: a service that ends
    /// by itself (an error) ends the daemon cleanly.
    private func services(
        app: Application,
        path: RequestPath,
        listener: SocketServer.Listener,
        loops: MultiThreadedEventLoopGroup
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let notifier = Notifier()
        var services: [any Service] = [
            StorageWatchService(health: app.health, executor: path.register.writer, logger: logger),
            TimerService.daily(app: app, path: path),
        ]
        if let interval = Notifier.watchdogInterval() {
            services.append(
                WatchdogService(interval: interval, executor: path.register.writer, group: loops, notifier: notifier)
            )
        }
        services.append(SocketService(app: app, path: path, listener: listener, notifier: notifier))
        return services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
    }
}
