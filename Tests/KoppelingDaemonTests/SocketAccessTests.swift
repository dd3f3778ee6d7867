import CXattr
import Foundation
import Glibc
import KoppelingCore
import Testing

@testable import KoppelingDaemon

/// The reader group connects to a socket of mode 0660 through one ACL entry.
@Suite("The reader group's way in")
struct SocketAccessTests {
    @Test("the ACL value: owner and owning group from the mode, the reader group rw, mask rw, other from the mode")
    func aclValue() {
        let bytes = SocketACL.granting(readerGID: 5000, mode: 0o140660)
        let expected: [UInt8] =
            [2, 0, 0, 0]
            + [1, 0, 6, 0, 0xFF, 0xFF, 0xFF, 0xFF]
            + [4, 0, 6, 0, 0xFF, 0xFF, 0xFF, 0xFF]
            + [8, 0, 6, 0, 0x88, 0x13, 0, 0]
            + [0x10, 0, 6, 0, 0xFF, 0xFF, 0xFF, 0xFF]
            + [0x20, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(bytes == expected)
        #expect(SocketACL.groupIDs(in: bytes) == [5000], "read back as koppelingctl reads it")
        #expect(SocketACL.groupIDs(in: [1, 0, 0, 0] + bytes.dropFirst(4)) == [], "another version is not read")
    }

    /// Whether this machine's /dev/shm (tmpfs, as /run is) takes ACLs.
    static let shmTakesACLs: Bool = {
        let path = "/dev/shm/koppelingd-acl-probe-\(getpid())"
        guard let fd = Optional(open(path, O_CREAT | O_WRONLY, 0o600)), fd >= 0 else { return false }
        close(fd)
        defer { unlink(path) }
        let acl = SocketACL.granting(readerGID: 5000, mode: 0o100600)
        return acl.withUnsafeBytes { lsetxattr(path, "system.posix_acl_access", $0.baseAddress, $0.count, 0) } == 0
    }()

    @Test(
        "on a real socket file: the entry is there after, and the mode's group bits are the mask",
        .enabled(if: shmTakesACLs, "/dev/shm takes no POSIX ACLs on this machine")
    )
    func onASocket() throws {
        let path = "/dev/shm/koppelingd-acl-\(getpid()).sock"
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer {
            close(fd)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        chmod(path, 0o640)

        try SocketAccess.grant(gid: 5000, onSocketAt: path)

        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { lgetxattr(path, "system.posix_acl_access", $0.baseAddress, $0.count) }
        try #require(n > 0)
        let stored = Array(buffer.prefix(n))
        #expect(stored.count == 4 + 5 * 8)
        #expect(Array(stored[20..<28]) == [8, 0, 6, 0, 0x88, 0x13, 0, 0], "the reader group's entry, rw")
        var info = stat()
        lstat(path, &info)
        #expect(info.st_mode & 0o070 == 0o060, "the mask (rw) shows as the group bits")
        #expect(info.st_mode & 0o007 == 0, "other still gets nothing")
    }

    @Test("not on something else put in the socket's place")
    func notOnAFile() throws {
        let path = "/dev/shm/koppelingd-acl-file-\(getpid())"
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        close(fd)
        defer { unlink(path) }
        #expect(throws: SocketAccess.Failed.self) { try SocketAccess.grant(gid: 5000, onSocketAt: path) }
    }
}
