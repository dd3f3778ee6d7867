import Foundation
import KoppelingCore
import NIOCore

/// Glibc does not export `struct ucred`; this matches its layout.
struct UCred: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

enum PeerCredentials {
    /// The peer's credentials, from SO_PEERCRED.
    static func read(_ channel: any Channel) -> EventLoopFuture<UCred> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        return provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
    }
}

/// Who may change the register: root, the daemon's own user and members
/// of the admin group. Everyone else who can connect may read.
struct AdminPolicy: Sendable {
    let daemonUID: UInt32
    let adminGID: UInt32?
    let adminGroup: String

    init(adminGroup: String, daemonUID: UInt32 = getuid()) {
        self.adminGroup = adminGroup
        self.daemonUID = daemonUID
        self.adminGID = AdminPolicy.groupID(named: adminGroup)
    }

    static func groupID(named name: String) -> UInt32? {
        var group = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getgrnam_r(name, &group, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return group.gr_gid
    }

    static func userName(uid: UInt32) -> String? {
        var pw = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &pw, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return String(cString: pw.pw_name)
    }

    /// The caller as the register records it.
    func caller(for cred: UCred) -> Caller {
        let name = AdminPolicy.userName(uid: cred.uid) ?? "uid \(cred.uid)"
        return Caller(user: name, uid: Int(cred.uid), mayChange: mayChange(cred, userName: name))
    }

    private func mayChange(_ cred: UCred, userName: String) -> Bool {
        if cred.uid == 0 || cred.uid == daemonUID { return true }
        guard let adminGID else { return false }
        if cred.gid == adminGID { return true }
        // Supplementary groups from the group database, as login would set them.
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(userName, cred.gid, &groups, &count) == -1 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(userName, cred.gid, &groups, &count)
        }
        return groups.prefix(Int(max(0, count))).contains(adminGID)
    }
}
