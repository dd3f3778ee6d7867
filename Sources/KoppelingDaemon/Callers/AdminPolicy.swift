import KoppelingCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Who may change the register: root, the daemon's own user and members
/// of the admin group. Everyone else who can connect may read.
///
/// `caller(for:)` asks the directory (NSS), which may block: call it on
/// the lookup thread pool (`CallerResolver`), never on the event loop.
struct AdminPolicy: Sendable {
    let daemonUID: UInt32
    let adminGID: UInt32?
    let adminGroup: String
    let directory: any CallerDirectory

    /// Resolves the admin group once, at start: a group created later
    /// counts only after a restart, as the socket's group does.
    init(adminGroup: String, daemonUID: UInt32 = getuid(), directory: any CallerDirectory = SystemDirectory()) {
        self.adminGroup = adminGroup
        self.daemonUID = daemonUID
        self.directory = directory
        self.adminGID = directory.groupID(named: adminGroup)
    }

    /// The system's id of the group `name` (the socket's owner group).
    static func groupID(named name: String) -> UInt32? {
        SystemDirectory().groupID(named: name)
    }

    /// The caller as the register records it.
    func caller(for cred: UCred) -> Caller {
        let name = directory.userName(uid: cred.uid)
        return Caller(user: name ?? "uid \(cred.uid)", uid: Int(cred.uid), mayChange: mayChange(cred, userName: name))
    }

    private func mayChange(_ cred: UCred, userName: String?) -> Bool {
        if cred.uid == 0 || cred.uid == daemonUID { return true }
        guard let adminGID else { return false }
        if cred.gid == adminGID { return true }
        // A uid the user database does not know is in no group but its own.
        guard let userName else { return false }
        // Supplementary groups from the group database, as login would set
        // them (SO_PEERCRED carries only the primary one).
        return directory.groupIDs(user: userName, primaryGID: cred.gid).contains(adminGID)
    }
}
