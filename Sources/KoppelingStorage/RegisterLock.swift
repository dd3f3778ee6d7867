#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// One daemon per register: an exclusive `flock` on a file beside the
/// database, held for the daemon's whole life. SQLite before 3.51.3 can
/// corrupt a WAL database under two writers, and two daemons would also run
/// two daily timers and two sets of backups. The file names its holder (pid
/// and socket), so a refused second start can say which daemon runs.
public final class RegisterLock: @unchecked Sendable {
    private var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// `koppelingd.db` → `koppelingd.db.lock`.
    public static func path(forDatabase database: String) -> String { database + ".lock" }

    /// Takes the lock, or refuses when another process holds it. Touches
    /// nothing but the lock file.
    public static func acquire(database: String, holder: String) throws -> RegisterLock {
        let path = path(forDatabase: database)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StorageOpenError.cannotOpen(
                path: path,
                detail: "cannot open the lock file: \(String(cString: strerror(errno)))"
            )
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let running = reason == EWOULDBLOCK ? holderText(fd) : nil
            close(fd)
            if reason == EWOULDBLOCK {
                throw StorageOpenError.registerInUse(database: database, holder: running ?? "holder unknown")
            }
            throw StorageOpenError.cannotOpen(path: path, detail: "cannot lock: \(String(cString: strerror(reason)))")
        }
        let text = Array("\(holder)\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return RegisterLock(fd: fd)
    }

    /// The holder description for a running daemon (`pid 812, socket …`).
    public static func holder(pid: Int32 = getpid(), socket: String) -> String { "pid \(pid), socket \(socket)" }

    private static func holderText(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: buffer.prefix(n), as: UTF8.self).trimmingWhitespace()
        return text.isEmpty ? nil : String(text.prefix(1000))
    }

    /// Releases the lock (also released by the kernel when the process ends).
    public func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { release() }
}
