import Dispatch
import KoppelingCore
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

/// The daily ECKiD run (and the daily backup after it), until shutdown.
struct TimerService: Service {
    let timer: DailyTimer

    func run() async throws {
        await cancelWhenGracefulShutdown { await timer.run() }
    }
}

/// Looks once a second whether the register file is still the one the
/// daemon has open.
struct StorageWatchService: Service {
    let health: StorageHealth
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { [health, logger] in
            while !Task.isCancelled {
                if health.check() {
                    logger.critical(
                        "the register file was deleted or replaced while koppelingd runs; every change is refused from now on (restore it and restart koppelingd)",
                        metadata: ["database": "\(health.database)"]
                    )
                }
                try? await Task.sleep(for: .seconds(1))
            }
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

/// SIGHUP (a closed terminal, `systemctl kill -s HUP`) would end the daemon
/// at once, with requests in flight. There is no configuration to reload:
/// it is logged and the daemon goes on. (`Daemon.open` ignores the signal
/// before it reports ready; this service only says so in the log.)
struct HangUpService: Service {
    let logger: Logger

    func run() async throws {
        let source = DispatchSource.makeSignalSource(signal: SIGHUP)
        source.setEventHandler { [logger] in
            logger.notice("SIGHUP received: koppelingd has no configuration to reload and keeps running")
        }
        source.resume()
        try? await gracefulShutdown()
        source.cancel()
    }
}
