import KoppelingCore

public struct TimerStatusResult: Codable, Sendable {
    public var timeZone: String
    public var runAt: String
    @NullWhenAbsent public var lastRun: TimerRunRecord?
    @NullWhenAbsent public var lastScheduledRun: TimerRunRecord?
    /// RFC 3339 UTC instant of the next scheduled run.
    public var nextRun: String
    /// The same instant in the daemon's zone, for people.
    public var nextRunLocal: String

    public init(
        timeZone: String,
        runAt: String,
        lastRun: TimerRunRecord?,
        lastScheduledRun: TimerRunRecord?,
        nextRun: String,
        nextRunLocal: String
    ) {
        self.timeZone = timeZone
        self.runAt = runAt
        self.lastRun = lastRun
        self.lastScheduledRun = lastScheduledRun
        self.nextRun = nextRun
        self.nextRunLocal = nextRunLocal
    }

    enum CodingKeys: String, CodingKey {
        case timeZone = "time_zone"
        case runAt = "run_at"
        case lastRun = "last_run"
        case lastScheduledRun = "last_scheduled_run"
        case nextRun = "next_run"
        case nextRunLocal = "next_run_local"
    }

}

public struct StatusResult: Codable, Sendable {
    public struct Counts: Codable, Sendable {
        public var schools: Int
        public var catalogEntries: Int
        public var activeKoppelingen: Int
        public var pendingImports: Int
        public var activeImports: Int
        /// Active activations whose accepted terms are no longer current.
        public var termsOutdated: Int
        public init(
            schools: Int,
            catalogEntries: Int,
            activeKoppelingen: Int,
            pendingImports: Int,
            activeImports: Int,
            termsOutdated: Int
        ) {
            self.schools = schools
            self.catalogEntries = catalogEntries
            self.activeKoppelingen = activeKoppelingen
            self.pendingImports = pendingImports
            self.activeImports = activeImports
            self.termsOutdated = termsOutdated
        }
        enum CodingKeys: String, CodingKey {
            case schools
            case catalogEntries = "catalog_entries"
            case activeKoppelingen = "active_koppelingen"
            case pendingImports = "pending_imports"
            case activeImports = "active_imports"
            case termsOutdated = "terms_outdated"
        }
    }
    public var daemon: String
    public var version: String
    public var startedAt: String
    public var uptimeSeconds: Int
    public var database: String
    public var schemaVersion: Int
    public var timeZone: String
    public var today: String
    public var counts: Counts
    public var timer: TimerStatusResult
    /// Active activations whose end date is within the next 30 days
    /// (today included), soonest first.
    public var endingSoon: [ActivationRecord]
    /// `ok`; `gone` once the register file was deleted or replaced under
    /// the running daemon (changes are then refused with `storage_gone`);
    /// `log_gone` once its `-wal` or `-shm` file was (what the log held is
    /// saved into the register file; changes refused with `storage_gone`);
    /// `damaged` once its full check (after start-up, after each daily
    /// backup) found damage (changes refused with `storage_damaged`).
    public var storage: String
    /// The last check of the audit chain (after each daily run); null
    /// before the first.
    @NullWhenAbsent public var auditChain: AuditChainStatus?

    public init(
        daemon: String,
        version: String,
        startedAt: String,
        uptimeSeconds: Int,
        database: String,
        schemaVersion: Int,
        timeZone: String,
        today: String,
        counts: Counts,
        timer: TimerStatusResult,
        endingSoon: [ActivationRecord],
        storage: String = "ok",
        auditChain: AuditChainStatus? = nil
    ) {
        self.endingSoon = endingSoon
        self.daemon = daemon
        self.version = version
        self.startedAt = startedAt
        self.uptimeSeconds = uptimeSeconds
        self.database = database
        self.schemaVersion = schemaVersion
        self.timeZone = timeZone
        self.today = today
        self.counts = counts
        self.timer = timer
        self.storage = storage
        self.auditChain = auditChain
    }

    enum CodingKeys: String, CodingKey {
        case daemon, version, database, counts, timer, today, storage
        case auditChain = "audit_chain"
        case startedAt = "started_at"
        case uptimeSeconds = "uptime_seconds"
        case schemaVersion = "schema_version"
        case timeZone = "time_zone"
        case endingSoon = "ending_soon"
    }
}
