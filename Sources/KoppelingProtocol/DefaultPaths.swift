#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Where the daemon keeps its database and socket when not told: the
/// system locations for root, per-user XDG locations for anyone else (so
/// `swift run koppelingd` on a laptop needs no set-up).
public enum DefaultPaths {
    public static let systemDatabase = "/var/lib/koppelingd/koppelingd.db"
    public static let systemSocket = "/run/koppelingd/koppelingd.sock"

    public static func forUser(
        uid: uid_t = getuid(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> (database: String, socket: String) {
        if uid == 0 { return (systemDatabase, systemSocket) }
        let home = environment["HOME"] ?? homeDirectory(uid: uid)
        let stateHome = environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.local/state"
        let state = stateHome + "/koppelingd"
        let runtime = environment["XDG_RUNTIME_DIR"].flatMap { $0.hasPrefix("/") ? $0 + "/koppelingd" : nil } ?? state
        return (state + "/koppelingd.db", runtime + "/koppelingd.sock")
    }

    /// The socket `koppelingctl` talks to: `$KOPPELING_SOCKET`, else the
    /// caller's own daemon if one runs, else the system daemon.
    public static func clientSocket(
        uid: uid_t = getuid(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        if let explicit = environment["KOPPELING_SOCKET"], !explicit.isEmpty { return explicit }
        let own = forUser(uid: uid, environment: environment).socket
        if uid != 0, FileManager.default.fileExists(atPath: own) { return own }
        return systemSocket
    }

    /// The home directory from the password database, when `$HOME` is unset.
    static func homeDirectory(uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let dir = entry.pointee.pw_dir else { return "/" }
        return String(cString: dir)
    }
}
