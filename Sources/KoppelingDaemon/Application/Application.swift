import KoppelingCore
import KoppelingProtocol
import KoppelingStorage
import KoppelingTime
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The register as the protocol sees it: one function per method, on top
/// of the storage and the domain rules. Runs only on the database thread.
public final class Application: @unchecked Sendable {
    public let register: Register
    public let config: DaemonConfig
    public let clock: any KoppelingClock
    public let startedAt: Date
    let logger: Logger
    /// Shared by the writer and every reader of the same register.
    let health: StorageHealth
    /// Refusals audited per caller this minute; used on the database
    /// thread only, where every audit row is written.
    var auditBudget = AuditBudget()

    public convenience init(
        register: Register,
        config: DaemonConfig,
        clock: any KoppelingClock,
        logger: Logger = Logger(label: "koppelingd"),
        startedAt: Date? = nil
    ) {
        self.init(
            register: register,
            config: config,
            clock: clock,
            logger: logger,
            startedAt: startedAt,
            health: StorageHealth(database: register.path)
        )
        // The writer confirms each commit went to the files it opened.
        register.commitWatch = (
            health.files,
            { [health, logger] file in if health.markLost(file) { health.logLoss(file, logger: logger) } }
        )
    }

    init(
        register: Register,
        config: DaemonConfig,
        clock: any KoppelingClock,
        logger: Logger,
        startedAt: Date?,
        health: StorageHealth
    ) {
        self.health = health
        self.register = register
        self.config = config
        self.clock = clock
        self.logger = logger
        self.startedAt = startedAt ?? clock.now()
    }

    var zone: Zone { config.schedule.zone }
    var today: LocalDate { zone.localDate(at: clock.now()) }
    var nowStamp: String { Instant.rfc3339(clock.now()) }

    func brin6(_ raw: String, field: String = "brin6") throws -> Brin6 {
        switch Brin6.parse(raw, field: field) {
        case .success(let b): return b
        case .failure(let v): throw KoppelingError.rules([v])
        }
    }

    func hello() -> HelloResult {
        HelloResult(
            daemon: "koppelingd",
            version: ProtocolInfo.daemonVersion,
            protocol: ProtocolInfo.version,
            methods: Methods.all.map(\.name)
        )
    }

    /// How far ahead `status` lists activations that end.
    static let endingSoonDays = 30

    func status() throws -> StatusResult {
        let c = try register.counts()
        let now = clock.now()
        return StatusResult(
            daemon: "koppelingd",
            version: ProtocolInfo.daemonVersion,
            startedAt: Instant.rfc3339(startedAt),
            uptimeSeconds: max(0, Int(now.timeIntervalSince(startedAt))),
            database: register.path,
            schemaVersion: register.schemaVersion,
            timeZone: zone.identifier,
            today: today.description,
            counts: .init(
                schools: c.schools,
                catalogEntries: c.catalogEntries,
                activeKoppelingen: c.activeActivations,
                pendingImports: c.pendingImports,
                activeImports: c.activeImports,
                termsOutdated: c.termsOutdated
            ),
            timer: try timerStatus(),
            endingSoon: try register.activationsEnding(from: today, through: today.adding(days: Self.endingSoonDays)),
            storage: health.state,
            auditChain: health.auditChainCheck
        )
    }

    /// The same daemon on another connection to the register (a reader):
    /// its configuration, clock, logger and health shared.
    func on(_ register: Register) -> Application {
        Application(register: register, config: config, clock: clock, logger: logger, startedAt: startedAt, health: health)
    }
}
