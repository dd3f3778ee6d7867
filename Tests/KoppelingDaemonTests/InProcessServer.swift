import Foundation
import Glibc
import KoppelingClient
import KoppelingCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

@testable import KoppelingDaemon
@testable import KoppelingStorage

/// The daemon's request path as the daemon wires it (`RequestPath`: socket,
/// connection pipeline, database thread, read connections, scans and the
/// thread pool), with callers from a directory of the test's choosing. A
/// peer's credentials are the real SO_PEERCRED unless the test connects
/// `as:` someone: the tests run as root, who may always change.
final class InProcessServer: @unchecked Sendable {
    let register: TestRegister
    let policy: CallerPolicy
    let peers = PeerQueue()
    /// How long a client's read waits (a scan queued behind many may take
    /// a minute).
    let clientTimeoutSeconds: Int
    private let loops: MultiThreadedEventLoopGroup
    private let teardown = Teardown()
    private var path: RequestPath?
    private var listener: SocketServer.Listener?

    var socketPath: String { register.app.config.socketPath }
    /// The register's writer thread, as the daemon's services reach it.
    var writer: DatabaseExecutor { path!.register.writer }

    private init(register: TestRegister, policy: CallerPolicy, clientTimeoutSeconds: Int) {
        self.register = register
        self.policy = policy
        self.clientTimeoutSeconds = clientTimeoutSeconds
        loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    static func start(
        register: TestRegister? = nil,
        directory: any CallerDirectory = CallerLookupTests.directory,
        daemonUID: UInt32 = getuid(),
        maxConnections: Int = DaemonConfig.Defaults.maxConnections,
        clientTimeoutSeconds: Int = 5
    ) async throws -> InProcessServer {
        let register = try register ?? TestRegister(start: utc("2026-11-29T09:00:00Z"))
        let policy = CallerPolicy(
            adminGroup: CallerLookupTests.adminGroup,
            readerGroup: CallerLookupTests.readerGroup,
            daemonUID: daemonUID,
            directory: directory
        )
        let server = InProcessServer(register: register, policy: policy, clientTimeoutSeconds: clientTimeoutSeconds)
        var config = register.app.config
        config.maxConnections = maxConnections
        let peers = server.peers
        do {
            let path = try RequestPath.open(app: register.app, config: config, loops: server.loops, into: server.teardown) {
                pool in
                CallerResolver(policy: policy, threadPool: pool) { channel in
                    if let cred = peers.next() { return channel.eventLoop.makeSucceededFuture(cred) }
                    return PeerCredentials.read(channel)
                }
            }
            server.path = path
            server.listener = try await path.listen(
                config: config,
                activation: nil,
                loops: server.loops,
                logger: register.app.logger,
                into: server.teardown
            )
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    /// A connection whose peer the daemon takes to be `cred`.
    func connect(as cred: UCred) throws -> KoppelingConnection {
        peers.push(cred)
        return try KoppelingConnection(path: socketPath)
    }

    /// A connection whose peer the daemon takes to be `cred`, with reads
    /// that give up.
    func client(as cred: UCred) throws -> TimedClient {
        peers.push(cred)
        return try TimedClient(path: socketPath, timeoutSeconds: clientTimeoutSeconds)
    }

    /// The daemon's socket service, whose stop (the group's graceful
    /// shutdown, as on SIGTERM) answers what is in flight within the grace
    /// period and then closes the connections; `stop` is the teardown after it.
    func serve(graceSeconds: Int64) -> (group: ServiceGroup, task: Task<Void, any Error>) {
        var config = register.app.config
        config.shutdownGraceSeconds = graceSeconds
        var logger = register.app.logger
        logger.logLevel = .critical
        let app = Application(
            register: register.app.register,
            config: config,
            clock: register.app.clock,
            logger: logger,
            startedAt: register.app.startedAt,
            health: register.app.health
        )
        let service = SocketService(app: app, path: path!, listener: listener!, notifier: Notifier(environment: [:]))
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
        return (group, Task { try await group.run() })
    }

    /// The daemon's teardown, in its order, then the loop.
    func stop() async {
        await teardown.unwind()
        try? await loops.shutdownGracefully()
    }
}
