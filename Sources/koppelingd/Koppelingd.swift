import ArgumentParser
import Foundation
import KoppelingCore
import KoppelingTime
import KoppelingDaemon
import KoppelingProtocol
import KoppelingStorage
import Logging
import ServiceLifecycle

@main
struct Koppelingd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "koppelingd",
        abstract: "Keeps the register of koppelingen (ESIS ↔ TOP dossier ECKiD) and enables ECKiD imports daily.",
        version: ProtocolInfo.daemonVersion,
        subcommands: [Serve.self, Restore.self],
        defaultSubcommand: Serve.self)
}

/// Runs the daemon (what `koppelingd` does without a subcommand). Each flag
/// can also come from the environment (systemd units set them there); a
/// flag on the command line wins.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the register on its socket (the default).",
        discussion: """
            Environment: KOPPELINGD_DATABASE, KOPPELINGD_SOCKET, KOPPELINGD_TIME_ZONE, KOPPELINGD_RUN_AT,
            KOPPELINGD_ADMIN_GROUP, KOPPELINGD_KEEP_BACKUPS, KOPPELINGD_MAX_CONNECTIONS, KOPPELINGD_MAX_IN_FLIGHT,
            KOPPELINGD_IDLE_TIMEOUT, KOPPELINGD_LINE_TIMEOUT, KOPPELINGD_LOG_LEVEL.
            Defaults: as root /var/lib/koppelingd/koppelingd.db and /run/koppelingd/koppelingd.sock;
            otherwise under $XDG_STATE_HOME/koppelingd and $XDG_RUNTIME_DIR/koppelingd.
            """)

    @Option(help: "SQLite database file (the secret file is kept beside it).")
    var database: String?
    @Option(help: "Unix socket path (ignored when systemd passes a socket).")
    var socket: String?
    @Option(name: .customLong("time-zone"), help: "IANA time zone of the school (default Europe/Amsterdam).")
    var timeZone: String?
    @Option(name: .customLong("run-at"), help: "Local time HH:MM of the daily ECKiD run (default 00:05).")
    var runAt: String?
    @Option(name: .customLong("admin-group"), help: "Group whose members may change the register (default koppelingbeheer).")
    var adminGroup: String?
    @Option(name: .customLong("keep-backups"), help: "Daily backups to keep after the timer run; 0 turns them off (default 14).")
    var keepBackups: Int?
    @Option(name: .customLong("max-connections"), help: "Most client connections at once (default 1024).")
    var maxConnections: Int?
    @Option(name: .customLong("max-in-flight"), help: "Most requests per connection being answered at once; a client that pipelines more waits (default 64).")
    var maxInFlight: Int?
    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may send nothing before it is closed (default 300).")
    var idleTimeout: Int?
    @Option(name: .customLong("line-timeout"), help: "Seconds a client may take to finish a line it started; slower ones are disconnected (default 30).")
    var lineTimeout: Int?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = env["KOPPELINGD_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }
        let logger = Logger(label: "koppelingd")
        // Database, WAL and secret are readable by the daemon's user only.
        umask(0o077)
        let defaults = DefaultPaths.forUser()
        let zoneName = timeZone ?? env["KOPPELINGD_TIME_ZONE"] ?? "Europe/Amsterdam"
        guard let zone = Zone(identifier: zoneName) else {
            throw ValidationError("unknown time zone '\(zoneName)' (use an IANA name such as Europe/Amsterdam)")
        }
        let runAtText = runAt ?? env["KOPPELINGD_RUN_AT"] ?? "00:05"
        guard let time = LocalTime(runAtText) else { throw ValidationError("--run-at must be HH:MM, got '\(runAtText)'") }
        let keep = try keepBackups ?? env["KOPPELINGD_KEEP_BACKUPS"].map(Self.integer) ?? 14
        let maxConn = try maxConnections ?? env["KOPPELINGD_MAX_CONNECTIONS"].map(Self.integer) ?? 1024
        guard keep >= 0, maxConn >= 1 else { throw ValidationError("--keep-backups must be ≥ 0 and --max-connections ≥ 1") }
        let inFlight = try maxInFlight ?? env["KOPPELINGD_MAX_IN_FLIGHT"].map(Self.integer) ?? 64
        let idle = try idleTimeout ?? env["KOPPELINGD_IDLE_TIMEOUT"].map(Self.integer) ?? 300
        let line = try lineTimeout ?? env["KOPPELINGD_LINE_TIMEOUT"].map(Self.integer) ?? 30
        guard inFlight >= 1, idle >= 1, line >= 1 else {
            throw ValidationError("--max-in-flight, --idle-timeout and --line-timeout must be ≥ 1")
        }
        Self.raiseFileLimit(connections: maxConn, logger: logger)
        let config = DaemonConfig(
            databasePath: Self.absolute(database ?? env["KOPPELINGD_DATABASE"] ?? defaults.database),
            socketPath: Self.absolute(socket ?? env["KOPPELINGD_SOCKET"] ?? defaults.socket),
            schedule: DailySchedule(zone: zone, runAt: time),
            adminGroup: adminGroup ?? env["KOPPELINGD_ADMIN_GROUP"] ?? "koppelingbeheer",
            keepBackups: keep, maxConnections: maxConn, maxInFlightPerConnection: inFlight,
            idleTimeoutSeconds: Int64(idle), lineTimeoutSeconds: Int64(line))
        let daemon = Daemon(config: config, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: daemon, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("koppelingd cannot run: \(Self.reason(error))")
            throw ExitCode(error is StorageOpenError ? Self.refusedToStart : 1)
        }
    }

    /// The exit status of a refusal to start that a restart cannot cure (a
    /// missing or foreign secret, a register in use, a database that is not
    /// ours): EX_CONFIG. The unit's RestartPreventExitStatus= names it, so
    /// systemd reports the refusal at once instead of retrying it.
    static let refusedToStart: Int32 = 78

    /// Each connection is a file descriptor, and systemd's default soft limit
    /// (1024) is below the default cap: raise the soft limit as far as the
    /// cap needs (plus room for the database, backups and the listener),
    /// up to the hard limit.
    static func raiseFileLimit(connections: Int, logger: Logger) {
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return }
        let wanted = rlim_t(connections) + 128
        guard limit.rlim_cur < wanted else { return }
        let raised = min(wanted, limit.rlim_max)
        var newLimit = limit
        newLimit.rlim_cur = raised
        if raised > limit.rlim_cur, setrlimit(resource, &newLimit) == 0 {
            logger.info("raised the open-file limit", metadata: ["from": "\(limit.rlim_cur)", "to": "\(raised)"])
        }
        if raised < wanted {
            logger.warning("the open-file limit is too low for --max-connections; raise LimitNOFILE",
                           metadata: ["max_connections": "\(connections)", "hard_limit": "\(limit.rlim_max)", "needed": "\(wanted)"])
        }
        #endif
    }

    static func integer(_ s: String) throws -> Int {
        guard let n = Int(s) else { throw ValidationError("'\(s)' is not a whole number") }
        return n
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The underlying refusal, without ServiceLifecycle's wrapping.
    static func reason(_ error: any Error) -> String {
        if let e = error as? ServiceGroupError { return "\(e)" }
        return "\(error)"
    }
}

