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

/// Who is on a connection, as the admission handler asks it: the daemon's
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

    let policy: CallerPolicy
    let threadPool: NIOThreadPool
    /// How the peer's credentials are read; tests stand in for a peer that
    /// is not the test's own user.
    let credentials: @Sendable (any Channel) -> EventLoopFuture<UCred>

    init(
        policy: CallerPolicy,
        threadPool: NIOThreadPool,
        credentials: @escaping @Sendable (any Channel) -> EventLoopFuture<UCred> = PeerCredentials.read
    ) {
        self.policy = policy
        self.threadPool = threadPool
        self.credentials = credentials
    }

    /// The caller on `channel`; completes on the channel's event loop. A
    /// caller who cannot be found out (no SO_PEERCRED, pool shut down) gets
    /// nothing.
    func caller(on channel: any Channel) -> EventLoopFuture<Caller> {
        let eventLoop = channel.eventLoop
        let policy = self.policy
        let threadPool = self.threadPool
        return credentials(channel)
            .flatMap { cred in threadPool.runIfActive(eventLoop: eventLoop) { policy.caller(for: cred) } }
            .recover { _ in Caller(user: "onbekend", uid: -1, role: .none) }
    }
}
