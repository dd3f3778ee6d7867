import KoppelingCore
import KoppelingProtocol
import KoppelingTime

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Where the daemon keeps its state and how it runs. Built from flags and
/// environment variables by the executable; defaults depend on who runs it.
public struct DaemonConfig: Sendable {
    public var databasePath: String
    public var socketPath: String
    public var schedule: DailySchedule
    public var adminGroup: String
    /// The group whose members read everything and change nothing.
    public var readerGroup: String
    public var keepBackups: Int
    public var maxConnections: Int
    public var maxInFlightPerConnection: Int
    /// A connection that sent no request line for this long (blank lines do
    /// not count) and has nothing in flight is closed.
    public var idleTimeoutSeconds: Int64
    /// A partial line (bytes without `\n`) held longer than this closes the
    /// connection, however slowly its bytes keep trickling in (slowloris).
    public var lineTimeoutSeconds: Int64
    public var shutdownGraceSeconds: Int64

    /// Every default, defined once: the flags' help, the environment and
    /// the tests all take them from here.
    public enum Defaults {
        public static let timeZone = "Europe/Amsterdam"
        public static let runAt = "00:05"
        public static let adminGroup = "koppelingbeheer"
        public static let readerGroup = "koppelinginzage"
        public static let keepBackups = 14
        public static let maxConnections = 1024
        /// Connections one uid who may only read holds at most, so a single
        /// reader cannot take the slots of everyone else.
        public static let maxConnectionsPerReader = 32
        /// The last slots of `maxConnections` that only callers who may
        /// change get, so an administrator can still connect while readers
        /// fill the rest: 16, but never more than an eighth of the cap, so a
        /// small `--max-connections` keeps most of its slots for readers
        /// (below 8 there is no reserve).
        public static func reservedForAdministrators(maxConnections: Int) -> Int {
            min(16, maxConnections / 8)
        }
        public static let maxInFlightPerConnection = 64
        public static let idleTimeoutSeconds: Int64 = 300
        public static let lineTimeoutSeconds: Int64 = 30
        public static let shutdownGraceSeconds: Int64 = 10
    }

    public init(
        databasePath: String,
        socketPath: String,
        schedule: DailySchedule,
        adminGroup: String = Defaults.adminGroup,
        readerGroup: String = Defaults.readerGroup,
        keepBackups: Int = Defaults.keepBackups,
        maxConnections: Int = Defaults.maxConnections,
        maxInFlightPerConnection: Int = Defaults.maxInFlightPerConnection,
        idleTimeoutSeconds: Int64 = Defaults.idleTimeoutSeconds,
        lineTimeoutSeconds: Int64 = Defaults.lineTimeoutSeconds,
        shutdownGraceSeconds: Int64 = Defaults.shutdownGraceSeconds
    ) {
        self.databasePath = databasePath
        self.socketPath = socketPath
        self.schedule = schedule
        self.adminGroup = adminGroup
        self.readerGroup = readerGroup
        self.keepBackups = keepBackups
        self.maxConnections = maxConnections
        self.maxInFlightPerConnection = maxInFlightPerConnection
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.lineTimeoutSeconds = lineTimeoutSeconds
        self.shutdownGraceSeconds = shutdownGraceSeconds
    }

    public var stateDirectory: String { PathText.directory(of: databasePath) }
}
