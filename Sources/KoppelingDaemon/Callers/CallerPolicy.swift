import KoppelingCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Who may do what (DESIGN §2, §3 *Who may do what*): root, the daemon's
/// own user and members of the admin group change the register; members of
/// the reader group (the privacy officer) read everything and change
/// nothing; anyone else who reaches the socket gets nothing.
///
/// `caller(for:)` asks the directory (NSS), which may block: call it on
/// the lookup thread pool (`CallerResolver`), never on the event loop.
struct CallerPolicy: Sendable {
    let daemonUID: UInt32
    let adminGID: UInt32?
    let adminGroup: String
    let readerGID: UInt32?
    let readerGroup: String
    let directory: any CallerDirectory

    /// Resolves both groups once, at start: a group created later counts
    /// only after a restart.
    init(
        adminGroup: String,
        readerGroup: String,
        daemonUID: UInt32 = getuid(),
        directory: any CallerDirectory = SystemDirectory()
    ) {
        self.adminGroup = adminGroup
        self.readerGroup = readerGroup
        self.daemonUID = daemonUID
        self.directory = directory
        adminGID = directory.groupID(named: adminGroup)
        readerGID = directory.groupID(named: readerGroup)
    }

    /// The caller as the register records it.
    func caller(for cred: UCred) -> Caller {
        let name = directory.userName(uid: cred.uid)
        return Caller(user: name ?? "uid \(cred.uid)", uid: Int(cred.uid), role: role(cred, userName: name))
    }

    private func role(_ cred: UCred, userName: String?) -> Caller.Role {
        if cred.uid == 0 || cred.uid == daemonUID { return .administrator }
        // Supplementary groups from the group database, as login would set
        // them (SO_PEERCRED carries only the primary one). A uid the user
        // database does not know is in no group but its primary one.
        let groups = userName.map { directory.groupIDs(user: $0, primaryGID: cred.gid) } ?? [cred.gid]
        if let adminGID, cred.gid == adminGID || groups.contains(adminGID) { return .administrator }
        if let readerGID, cred.gid == readerGID || groups.contains(readerGID) { return .reader }
        return .none
    }
}
