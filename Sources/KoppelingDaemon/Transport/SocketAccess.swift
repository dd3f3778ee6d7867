import CXattr
import KoppelingCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Lets the reader group (the privacy officer) connect to the socket, which
/// is mode 0660 with the admin group as its group: one POSIX ACL entry for
/// the reader group, read and write (connecting to a Unix socket needs
/// write). Everyone in neither group still cannot open it at all; the
/// daemon's role check (`PermissionCheck`) stays behind it for a socket
/// without the entry.
///
/// Set by the daemon at every start, as the socket file's owner (under
/// systemd the socket unit creates it as `koppelingd`), on the socket
/// systemd passed or the one it bound itself.
enum SocketAccess {
    static func letReadersIn(path: String, group: String, logger: Logger) {
        guard let gid = SystemDirectory().groupID(named: group) else { return }
        do {
            try grant(gid: gid, onSocketAt: path)
            logger.debug("reader group may connect", metadata: ["group": "\(group)", "path": "\(path)"])
        } catch {
            logger.warning(
                "cannot let the reader group connect to the socket; its members cannot read the register",
                metadata: ["group": "\(group)", "path": "\(path)", "error": "\(error)"]
            )
        }
    }

    struct Failed: Error, CustomStringConvertible {
        let errno: Int32
        var description: String { String(cString: strerror(errno)) }
    }

    /// Gives group `gid` read and write on the socket at `path`, beside the
    /// owner's, the owning group's and other's bits of its mode.
    /// Not through a link: the entry is for this file only.
    static func grant(gid: UInt32, onSocketAt path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw Failed(errno: errno) }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw Failed(errno: ENOTSOCK) }
        let acl = SocketACL.granting(readerGID: gid, mode: UInt32(info.st_mode))
        let rc = acl.withUnsafeBytes { lsetxattr(path, SocketACL.attribute, $0.baseAddress, $0.count, 0) }
        guard rc == 0 else { throw Failed(errno: errno) }
    }
}
