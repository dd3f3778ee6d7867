import KoppelingCore
import KoppelingProtocol
import Logging
import NIOCore
import NIOExtras
import NIOPosix

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Why the socket could not be set up.
public enum SocketSetupError: Error, CustomStringConvertible {
    case anotherDaemonListening(path: String)
    case notASocket(path: String)
    case pathTooLong(path: String)
    case system(String)

    public var description: String {
        switch self {
        case .anotherDaemonListening(let p): "another koppelingd is already listening on \(p); refusing to start"
        case .notASocket(let p): "\(p) exists and is not a socket; refusing to replace it"
        case .pathTooLong(let p): "socket path \(p) is too long for a Unix socket (at most 107 bytes)"
        case .system(let m): m
        }
    }
}

/// The listening Unix socket: adopted from systemd, or bound by us (then
/// a stale file left by a crash is replaced, a live one is a refusal).
enum SocketServer {
    struct Listener {
        let channel: any Channel
        /// Whether we created the socket file (and so remove it at exit).
        let ownsPath: Bool
        /// Knows every connection the socket accepted.
        let connections: ServerQuiescingHelper

        /// Stops listening and tells every open connection to finish
        /// (`ChannelShouldQuiesceEvent`); completes once all have closed.
        func quiesce() -> EventLoopFuture<Void> {
            let closed = channel.eventLoop.makePromise(of: Void.self)
            connections.initiateShutdown(promise: closed)
            return closed.futureResult
        }

        /// Stops listening and removes the socket file if it is ours.
        func close(config: DaemonConfig) async {
            try? await channel.close()
            if ownsPath { unlink(config.socketPath) }
        }
    }

    static func start(
        group: EventLoopGroup,
        config: DaemonConfig,
        activation: SocketActivation?,
        logger: Logger,
        childInitializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) async throws -> Listener {
        let connections = ServerQuiescingHelper(group: group)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(connections.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer(childInitializer)
        if let fd = activation?.fileDescriptor {
            let channel = try await bootstrap.withBoundSocket(fd).get()
            logger.info("adopted socket from systemd", metadata: ["fd": "\(fd)"])
            if let path = channel.localAddress?.pathname {
                SocketAccess.letReadersIn(path: path, group: config.readerGroup, logger: logger)
            }
            return Listener(channel: channel, ownsPath: false, connections: connections)
        }
        let path = config.socketPath
        guard path.utf8.count < 108 else { throw SocketSetupError.pathTooLong(path: path) }
        try createDirectory(PathText.directory(of: path))
        try removeStaleSocket(at: path, logger: logger)
        let channel = try await bootstrap.bind(unixDomainSocketPath: path).get()
        chmod(path, 0o660)
        if getuid() == 0, let gid = SystemDirectory().groupID(named: config.adminGroup) {
            chown(path, 0, gid)
        }
        SocketAccess.letReadersIn(path: path, group: config.readerGroup, logger: logger)
        return Listener(channel: channel, ownsPath: true, connections: connections)
    }

    static func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SocketSetupError.system("cannot create \(path): \(error)")
        }
    }

    static func removeStaleSocket(at path: String, logger: Logger) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw SocketSetupError.notASocket(path: path) }
        if isAnswering(path) { throw SocketSetupError.anotherDaemonListening(path: path) }
        logger.warning("replacing stale socket left by an earlier run", metadata: ["path": "\(path)"])
        unlink(path)
    }

    /// Whether something accepts connections on the socket at `path`.
    static func isAnswering(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard let address = UnixSocketAddress(path: path) else { return false }
        return address.withSockaddr { connect(fd, $0, $1) } == 0
    }
}
