import KoppelingProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Which socket koppelingctl talks to, said to the person using it: in the
/// help, the default that applies to them; when the daemon is not there, a
/// hint that fits who runs it (systemd for the system socket, the person
/// themselves for any other).
enum SocketChoice {
    static var fromEnvironment: String? {
        guard let path = ProcessInfo.processInfo.environment["KOPPELING_SOCKET"], !path.isEmpty else { return nil }
        return path
    }

    /// The help's line about the socket. The man page is made from the
    /// same help (`--experimental-dump-help`) and is the same for everyone:
    /// it gets the rule, not the path of whoever made it.
    static var helpLine: String {
        let system = DefaultPaths.systemSocket
        if CommandLine.arguments.contains("--experimental-dump-help") {
            return "Socket: --socket PAD of KOPPELING_SOCKET; standaard voor root \(system), voor anderen hun eigen "
                + "koppelingd ($XDG_RUNTIME_DIR/koppelingd/koppelingd.sock) als die draait, anders \(system)."
        }
        if let path = fromEnvironment { return "Socket: --socket PAD, of KOPPELING_SOCKET (nu \(path))." }
        if getuid() == 0 { return "Socket: --socket PAD of KOPPELING_SOCKET; standaard \(system)." }
        return "Socket: --socket PAD of KOPPELING_SOCKET; standaard uw eigen koppelingd "
            + "(\(DefaultPaths.forUser().socket)) als die draait, anders \(system)."
    }

    /// What to do when nothing answers on `path`.
    static func unreachableHint(path: String, explicit: Bool) -> String {
        let own = DefaultPaths.forUser().socket
        guard path == DefaultPaths.systemSocket else {
            let start = path == own ? "koppelingd" : "koppelingd --socket \(path)"
            return "Heeft u koppelingd zelf gestart, wacht dan tot zijn uitvoer 'koppelingd serves' meldt, "
                + "of kijk daar waarom hij stopte; anders start u hem met '\(start)'. "
                + "Een andere socket geeft u op met --socket of KOPPELING_SOCKET."
        }
        var hint =
            "Draait koppelingd als systeemdienst? Controleer 'systemctl status koppelingd' "
            + "(of 'systemctl status koppelingd.socket')."
        // A user's own daemon that is still starting has no socket yet, so
        // the default fell through to the system one.
        if !explicit && getuid() != 0 {
            hint +=
                " Heeft u koppelingd zelf gestart, dan is zijn socket (\(own)) er nog niet: "
                + "wacht tot zijn uitvoer 'koppelingd serves' meldt, of start hem met 'koppelingd'."
        }
        return hint + " Een andere socket geeft u op met --socket of KOPPELING_SOCKET."
    }
}
