import KoppelingCore
import NIOCore
import NIOPosix

/// The one thread that owns the database connection. Every request's
/// database work runs here, one at a time, in submission order.
final class DatabaseExecutor: Sendable {
    private let pool: NIOThreadPool
    private let app: Application

    init(app: Application) {
        self.app = app
        self.pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    func submit<T: Sendable>(on eventLoop: any EventLoop, _ body: @escaping @Sendable (Application) throws -> T) -> EventLoopFuture<T> {
        pool.runIfActive(eventLoop: eventLoop) { [app] in try body(app) }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (Application) throws -> T) async throws -> T {
        try await pool.runIfActive { [app] in try body(app) }
    }

    /// Waits for queued work, then closes the database on its own thread.
    func shutdown() async {
        _ = try? await run { $0.register.close() }
        try? await pool.shutdownGracefully()
    }
}
