import KoppelingCore
import KoppelingProtocol
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

/// Runs the requests that read a whole table that grows without bound
/// (`Execution.scan`: `audit.verify`). Seconds on a large register: on the
/// event loop every connection would wait for it, and anyone who may
/// connect could call it again and again. So one thread runs them, one at a
/// time (the rest queue behind it), each on a read-only connection opened
/// for it and closed after it; reads and changes go on meanwhile.
final class Scans: Sendable {
    private let pool: NIOThreadPool
    private let writer: Application

    init(writer: Application) {
        self.writer = writer
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    func run(_ parsed: Parsed, caller: Caller, on loop: any EventLoop) -> EventLoopFuture<Data?> {
        pool.runIfActive(eventLoop: loop) { [writer] () throws -> Data? in
            let register = try writer.register.reader()
            defer { register.close() }
            let app = Application(
                register: register,
                config: writer.config,
                clock: writer.clock,
                logger: writer.logger,
                startedAt: writer.startedAt,
                health: writer.health
            )
            return Dispatcher.execute(parsed, app: app, caller: caller)
        }.flatMapErrorThrowing { error in
            // No connection to read with, or the daemon is stopping: said
            // as such, never as a missing reply.
            guard case .request(let request) = parsed, let id = request.id else { return nil }
            let refusal =
                (error as? NIOThreadPoolError.ThreadPoolInactive) != nil
                ? KoppelingError.unavailable(.shuttingDown, message: "koppelingd stopt; probeer het zo opnieuw.")
                : KoppelingError.unavailable(
                    .storageFailure,
                    message: "Het register kon niet worden gelezen; probeer het opnieuw."
                )
            return ReplyEncoding.failure(id: id, error: RPCError(refusal))
        }
    }

    func shutdown() async { try? await pool.shutdownGracefully() }
}
