import KoppelingCore
import NIOCore
import NIOPosix

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

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

/// Who is on a connection, as the connection handler asks it: the daemon's
/// `CallerResolver`; a test on an `EmbeddedChannel` names a caller itself.
protocol CallerSource: Sendable {
    /// The caller on `channel`; completes on the channel's event loop and
    /// does not fail.
    func caller(on channel: any Channel) -> EventLoopFuture<Caller>
}

/// Finds out who is asking on a new connection: SO_PEERCRED on the event
/// loop (a getsockopt, quick), then the policy's directory lookups on the
/// thread pool, so a slow NSS answer for one connection holds up only that
/// connection's requests, which wait for their caller anyway.
struct CallerResolver: CallerSource {
    /// Enough threads that a few stuck lookups (an LDAP server timing
    /// out) leave room for the next connection; each idle one costs little.
    static let threads = 4

    let policy: AdminPolicy
    let threadPool: NIOThreadPool
    /// How the peer's credentials are read; tests stand in for a peer that
    /// is not the test's own user.
    let credentials: @Sendable (any Channel) -> EventLoopFuture<UCred>

    init(
        policy: AdminPolicy,
        threadPool: NIOThreadPool,
        credentials: @escaping @Sendable (any Channel) -> EventLoopFuture<UCred> = PeerCredentials.read
    ) {
        self.policy = policy
        self.threadPool = threadPool
        self.credentials = credentials
    }

    /// The caller on `channel`; completes on the channel's event loop. A
    /// caller who cannot be found out (no SO_PEERCRED, pool shut down) may
    /// only read.
    func caller(on channel: any Channel) -> EventLoopFuture<Caller> {
        let eventLoop = channel.eventLoop
        let policy = self.policy
        let threadPool = self.threadPool
        return credentials(channel)
            .flatMap { cred in threadPool.runIfActive(eventLoop: eventLoop) { policy.caller(for: cred) } }
            .recover { _ in Caller(user: "onbekend", uid: -1, mayChange: false) }
    }
}
