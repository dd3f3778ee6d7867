import ArgumentParser
import KoppelingCore
import KoppelingDaemon
import KoppelingProtocol
import KoppelingStorage
import KoppelingTime
import Logging
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

@main
struct Koppelingd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "koppelingd",
        abstract: "Keeps the register of koppelingen (ESIS ↔ TOP dossier ECKiD) and enables ECKiD imports daily.",
        version: ProtocolInfo.daemonVersion,
        subcommands: [Serve.self, Restore.self],
        defaultSubcommand: Serve.self
    )
}

/// Runs the daemon (what `koppelingd` does without a subcommand). Each flag
/// can also come from the environment (systemd units set them there); a
/// flag on the command line wins. Synchronous, as is the process's `main`:
/// `Daemon.run` starts the threads and chooses where tasks run, so nothing
/// may start a task or a thread before it.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the register on its socket (the default).",
        discussion: """
            Environment: KOPPELINGD_DATABASE, KOPPELINGD_SOCKET, KOPPELINGD_TIME_ZONE, KOPPELINGD_RUN_AT,
            KOPPELINGD_ADMIN_GROUP, KOPPELINGD_READER_GROUP, KOPPELINGD_KEEP_BACKUPS, KOPPELINGD_MAX_CONNECTIONS, KOPPELINGD_MAX_IN_FLIGHT,
            KOPPELINGD_IDLE_TIMEOUT, KOPPELINGD_LINE_TIMEOUT, KOPPELINGD_LOG_LEVEL.
            Defaults: as root /var/lib/koppelingd/koppelingd.db and /run/koppelingd/koppelingd.sock;
            otherwise under $XDG_STATE_HOME/koppelingd and $XDG_RUNTIME_DIR/koppelingd.
            """
    )

    @Option(help: "SQLite database file (the secret file is kept beside it).")
    var database: String?
    @Option(help: "Unix socket path (ignored when systemd passes a socket).")
    var socket: String?
    @Option(
        name: .customLong("time-zone"),
        help: ArgumentHelp("IANA time zone of the school (default \(D.timeZone)).", valueName: "zone")
    )
    var timeZone: Zone?
    @Option(
        name: .customLong("run-at"),
        help: ArgumentHelp("Local time HH:MM of the daily ECKiD run (default \(D.runAt)).", valueName: "hh:mm")
    )
    var runAt: LocalTime?
    @Option(
        name: .customLong("admin-group"),
        help: ArgumentHelp("Group whose members may change the register (default \(D.adminGroup)).")
    )
    var adminGroup: String?
    @Option(
        name: .customLong("reader-group"),
        help: ArgumentHelp(
            "Group whose members may read everything and change nothing, e.g. the privacy officer (default \(D.readerGroup))."
        )
    )
    var readerGroup: String?
    @Option(
        name: .customLong("keep-backups"),
        help: ArgumentHelp("Daily backups to keep after the timer run; 0 turns them off (default \(D.keepBackups)).")
    )
    var keepBackups: Int?
    @Option(
        name: .customLong("max-connections"),
        help: ArgumentHelp(
            "Most client connections at once (default \(D.maxConnections)); the last \(D.reservedForAdministrators(maxConnections: D.maxConnections)) (an eighth of a smaller cap) are for root and administrators, and a user who may only read holds at most \(D.maxConnectionsPerReader)."
        )
    )
    var maxConnections: Int?
    @Option(
        name: .customLong("max-in-flight"),
        help: ArgumentHelp(
            "Most requests of one connection read and not yet answered; past that the daemon stops reading it until it has caught up (default \(D.maxInFlightPerConnection))."
        )
    )
    var maxInFlight: Int?
    @Option(
        name: .customLong("idle-timeout"),
        help: ArgumentHelp(
            "Seconds a connection may send no request (blank lines do not count) before it is closed (default \(D.idleTimeoutSeconds))."
        )
    )
    var idleTimeout: Int64?
    @Option(
        name: .customLong("line-timeout"),
        help: ArgumentHelp(
            "Seconds a client may take to finish a line it started; slower ones are disconnected (default \(D.lineTimeoutSeconds))."
        )
    )
    var lineTimeout: Int64?

    typealias D = DaemonConfig.Defaults

    /// A setting from its flag, else its environment variable (parsed as the
    /// flag would be), else the default.
    static func setting<T: ExpressibleByArgument>(
        _ flag: T?,
        _ variable: String,
        _ fallback: T,
        environment: [String: String]
    ) throws -> T {
        if let flag { return flag }
        guard let text = environment[variable] else { return fallback }
        guard let value = T(argument: text) else { throw ValidationError("\(variable)='\(text)' is not valid") }
        return value
    }

    func run() throws {
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
        let zone = try Self.setting(timeZone, "KOPPELINGD_TIME_ZONE", Zone(identifier: D.timeZone)!, environment: env)
        let time = try Self.setting(runAt, "KOPPELINGD_RUN_AT", LocalTime(D.runAt)!, environment: env)
        let keep = try Self.setting(keepBackups, "KOPPELINGD_KEEP_BACKUPS", D.keepBackups, environment: env)
        let maxConn = try Self.setting(maxConnections, "KOPPELINGD_MAX_CONNECTIONS", D.maxConnections, environment: env)
        guard keep >= 0, maxConn >= 1 else {
            throw ValidationError("--keep-backups must be ≥ 0 and --max-connections ≥ 1")
        }
        let inFlight = try Self.setting(
            maxInFlight,
            "KOPPELINGD_MAX_IN_FLIGHT",
            D.maxInFlightPerConnection,
            environment: env
        )
        let idle = try Self.setting(idleTimeout, "KOPPELINGD_IDLE_TIMEOUT", D.idleTimeoutSeconds, environment: env)
        let line = try Self.setting(lineTimeout, "KOPPELINGD_LINE_TIMEOUT", D.lineTimeoutSeconds, environment: env)
        guard inFlight >= 1, idle >= 1, line >= 1 else {
            throw ValidationError("--max-in-flight, --idle-timeout and --line-timeout must be ≥ 1")
        }
        Self.raiseFileLimit(connections: maxConn, logger: logger)
        let config = DaemonConfig(
            databasePath: Self.absolute(database ?? env["KOPPELINGD_DATABASE"] ?? defaults.database),
            socketPath: Self.absolute(socket ?? env["KOPPELINGD_SOCKET"] ?? defaults.socket),
            schedule: DailySchedule(zone: zone, runAt: time),
            adminGroup: adminGroup ?? env["KOPPELINGD_ADMIN_GROUP"] ?? D.adminGroup,
            readerGroup: readerGroup ?? env["KOPPELINGD_READER_GROUP"] ?? D.readerGroup,
            keepBackups: keep,
            maxConnections: maxConn,
            maxInFlightPerConnection: inFlight,
            idleTimeoutSeconds: idle,
            lineTimeoutSeconds: line
        )
        do {
            try Daemon(config: config, logger: logger).run()
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
            logger.warning(
                "the open-file limit is too low for --max-connections; raise LimitNOFILE",
                metadata: [
                    "max_connections": "\(connections)", "hard_limit": "\(limit.rlim_max)", "needed": "\(wanted)",
                ]
            )
        }
        #endif
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

/// A time zone given on the command line: an IANA name from the system's
/// zone files.
extension Zone: ExpressibleByArgument {
    public init?(argument: String) { self.init(identifier: argument) }
}

/// The daily run's local time, `HH:MM`.
extension LocalTime: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
