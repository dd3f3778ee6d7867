import KoppelingCore

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
    /// nothing but the lock file, reached through the register's directory
    /// without following a link (`StateDirectory`): the lock is written and,
    /// by a restore, handed to the directory's owner, so a link planted in
    /// its place must never lead root to another file.
    public static func acquire(database: String, holder: String) throws -> RegisterLock {
        let path = path(forDatabase: database)
        let fd: Int32
        do {
            let directory = try StateDirectory.open(containing: database)
            fd = try directory.openFile(PathText.lastComponent(of: path), flags: O_RDWR | O_CREAT)
        } catch let refusal as StateDirectory.Refusal {
            throw StorageOpenError.unsafeFile(refusal)
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

    /// Gives the lock file to the owner of the register's directory (a
    /// restore run as root made it), through the descriptor it holds.
    public func hand(to directory: StateDirectory, name: String) throws {
        try directory.hand(fd: fd, name: name)
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
