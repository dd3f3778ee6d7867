import KoppelingProtocol
import Logging
import NIOCore
import NIOPosix

/// Everything between the socket and the register, wired in one place for
/// the daemon and for the in-process test servers alike: the register's
/// pool (writer thread, a reader per loop, the scans), the one thread pool
/// beside it, the connection registry and the handlers of each
/// connection. Each part's closing goes onto the teardown
/// as it opens, so a start that fails halfway closes what it opened.
struct RequestPath: Sendable {
    /// Who asks on a new connection, found on the path's thread pool.
    typealias Callers = @Sendable (NIOThreadPool) -> any CallerSource

    let register: RegisterPool
    /// The one pool for work that may take seconds and never runs on the
    /// loop or the database thread: who is asking (an NSS lookup), the
    /// scans, the full checks of the register file and of the audit chain.
    let pool: NIOThreadPool
    let registry: ConnectionRegistry
    let pipeline: ConnectionPipeline

    /// Lookups that may all hang (an LDAP server timing out) and the scans
    /// running at once still leave a thread for the full checks.
    static let poolThreads = CallerResolver.threads + Scans.threads + 1

    static func open(
        app: Application,
        config: DaemonConfig,
        loops: MultiThreadedEventLoopGroup,
        into teardown: Teardown,
        callers: Callers
    ) throws -> RequestPath {
        let pool = NIOThreadPool(numberOfThreads: poolThreads)
        pool.start()
        teardown.push { try? await pool.shutdownGracefully() }
        let register = try RegisterPool.open(app: app, loops: loops, threads: pool, into: teardown)
        let registry = ConnectionRegistry(maxConnections: config.maxConnections)
        let pipeline = ConnectionPipeline(
            responder: DaemonResponder(register: register),
            callers: callers(pool),
            registry: registry,
            maxWaiting: config.maxInFlightPerConnection,
            idleTimeout: .seconds(config.idleTimeoutSeconds),
            lineTimeout: .seconds(config.lineTimeoutSeconds),
            logger: app.logger
        )
        return RequestPath(
            register: register,
            pool: pool,
            registry: registry,
            pipeline: pipeline
        )
    }

    /// Starts listening (on systemd's socket when `activation` names one),
    /// every connection through the pipeline. The socket service closes the
    /// listener on shutdown; the teardown does it for a shutdown that came
    /// before that service could start (closing twice is harmless).
    func listen(
        config: DaemonConfig,
        activation: SocketActivation?,
        loops: MultiThreadedEventLoopGroup,
        logger: Logger,
        into teardown: Teardown
    ) async throws -> SocketServer.Listener {
        let pipeline = self.pipeline
        let listener = try await SocketServer.start(
            group: loops,
            config: config,
            activation: activation,
            logger: logger
        ) { channel in
            channel.eventLoop.makeCompletedFuture { try pipeline.addHandlers(to: channel) }
        }
        teardown.push { await listener.close(config: config) }
        return listener
    }
}
