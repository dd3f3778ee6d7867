#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A listening socket passed by systemd (`LISTEN_FDS`, `LISTEN_PID`).
struct SocketActivation: Sendable {
    static let firstFileDescriptor: Int32 = 3
    let fileDescriptor: Int32

    /// Reads and then clears the variables, so children do not inherit them.
    static func fromEnvironment() -> SocketActivation? {
        let env = ProcessInfo.processInfo.environment
        defer {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        guard let pid = env["LISTEN_PID"].flatMap({ Int32($0) }), pid == getpid(),
            let count = env["LISTEN_FDS"].flatMap({ Int($0) }), count >= 1
        else { return nil }
        let fd = firstFileDescriptor
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return SocketActivation(fileDescriptor: fd)
    }
}
