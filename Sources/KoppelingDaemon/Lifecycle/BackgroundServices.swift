import KoppelingCore
import KoppelingStorage
import Logging
import NIOCore
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The daily ECKiD run (and the daily backup after it), until shutdown.
struct TimerService: Service {
    let timer: DailyTimer

    func run() async throws {
        await cancelWhenGracefulShutdown { await timer.run() }
    }

    /// The daemon's: after each day's run, the backup (unless none are
    /// kept), then the full checks of the register file and of the chain.
    static func daily(app: Application, path: RequestPath) -> TimerService {
        let (executor, pool, config, logger) = (path.register.writer, path.pool, app.config, app.logger)
        let (register, health, clock) = (app.register, app.health, app.clock)
        let timer = DailyTimer(executor: executor, clock: clock, logger: logger) {
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
        return TimerService(timer: timer)
    }
}

/// Looks once a second whether the register's files are still the ones
/// the daemon has open, and whether the log has grown past its limit.
/// A lost log (or index) is saved into the register file at once through
/// the handle the writer still has; a log that an outside reader let grow
/// is emptied once that reader has let go.
struct StorageWatchService: Service {
    let health: StorageHealth
    let executor: DatabaseExecutor
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { [health, executor, logger] in
            while !Task.isCancelled {
                // On the database thread: the log's length is compared with
                // the one after the writer's last commit, which only this
                // daemon's own writes move.
                if let file = (try? await executor.run({ health.check(logAtLeast: $0.register.logLength) })) ?? nil {
                    health.logLoss(file, logger: logger)
                    if file == .log || file == .sharedMemory {
                        await Self.save(executor: executor, health: health, logger: logger)
                    }
                }
                if !health.isGone, health.files.size(of: .log) > Int64(DatabaseSetup.logSizeLimitBytes) {
                    _ = try? await executor.run { $0.register.shrinkLog() }
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private static func save(executor: DatabaseExecutor, health: StorageHealth, logger: Logger) async {
        do {
            if try await executor.run({ try $0.register.saveLostLog(logAtLeast: $0.register.logLength) }) {
                logger.notice("the lost log's contents are saved into the register file", metadata: ["database": "\(health.database)"])
            } else {
                logger.critical(
                    "the lost log could not be saved into the register file (it was cut short in place, so the commits it held are gone, or a reader holds an older snapshot); stop koppelingd, and restore a backup if the register misses changes",
                    metadata: ["database": "\(health.database)"]
                )
            }
        } catch {
            logger.critical("the lost log could not be saved into the register file", metadata: ["error": "\(error)"])
        }
    }
}

/// Pings systemd's watchdog only while the event loop and the database
/// both still answer.
struct WatchdogService: Service {
    let interval: Double
    let executor: DatabaseExecutor
    let group: any EventLoopGroup
    let notifier: Notifier

    func run() async throws {
        await cancelWhenGracefulShutdown { [interval, executor, group, notifier] in
            while !Task.isCancelled {
                do {
                    try await group.next().submit {}.get()
                    try await executor.run { try $0.register.ping() }
                    notifier.send("WATCHDOG=1")
                } catch {}
                try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
            }
        }
    }
}
