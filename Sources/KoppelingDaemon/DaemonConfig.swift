import Foundation
import KoppelingCore

/// Where the daemon keeps its state and how it runs. Built from flags and
/// environment variables by the executable; defaults depend on who runs it.
public struct DaemonConfig: Sendable {
    public var databasePath: String
    public var socketPath: String
    public var schedule: DailySchedule
    public var adminGroup: String
    public var keepBackups: Int
    public var maxConnections: Int
    public var maxInFlightPerConnection: Int
    public var idleTimeoutSeconds: Int64
    public var shutdownGraceSeconds: Int64

    public init(databasePath: String, socketPath: String, schedule: DailySchedule, adminGroup: String = "koppelingbeheer",
                keepBackups: Int = 14, maxConnections: Int = 1024, maxInFlightPerConnection: Int = 64,
                idleTimeoutSeconds: Int64 = 300, shutdownGraceSeconds: Int64 = 10) {
        self.databasePath = databasePath
        self.socketPath = socketPath
        self.schedule = schedule
        self.adminGroup = adminGroup
        self.keepBackups = keepBackups
        self.maxConnections = maxConnections
        self.maxInFlightPerConnection = maxInFlightPerConnection
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.shutdownGraceSeconds = shutdownGraceSeconds
    }

    public var stateDirectory: String { (databasePath as NSString).deletingLastPathComponent }

    /// As root: `/var/lib/koppelingd/` and `/run/koppelingd/`. As anyone
    /// else: under `$XDG_STATE_HOME` (default `~/.local/state`) and
    /// `$XDG_RUNTIME_DIR` (default: the state directory), so a newcomer can
    /// start it with no set-up.
    public static func defaultPaths(environment: [String: String] = ProcessInfo.processInfo.environment,
                                    uid: uid_t = getuid()) -> (database: String, socket: String) {
        if uid == 0 {
            return ("/var/lib/koppelingd/koppelingd.db", "/run/koppelingd/koppelingd.sock")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let stateHome = environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.local/state"
        let state = stateHome + "/koppelingd"
        let runtime = environment["XDG_RUNTIME_DIR"].flatMap { $0.hasPrefix("/") ? $0 + "/koppelingd" : nil } ?? state
        return (state + "/koppelingd.db", runtime + "/koppelingd.sock")
    }
}
