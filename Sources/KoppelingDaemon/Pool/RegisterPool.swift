import KoppelingCore
import NIOCore
import NIOPosix

/// The register as a pool, as GRDB's `DatabasePool` is: the writer thread
/// (every change, with group commit), a read-only connection per event
/// loop (reads, right on the loop, beside the writer: WAL lets them work at
/// once) and the scan readers on the daemon's thread pool (whole-table
/// reads). Every database connection of the daemon is here, and nothing
/// else reaches one.
struct RegisterPool: Sendable {
    /// The one thread that changes the register; the timer, the backup
    /// and the watchers run their work on it too (`run`).
    let writer: DatabaseExecutor
    private let readers: ReadConnections
    let scans: Scans

    /// Opens the writer thread and a reader per loop of `loops`; the scans
    /// run on `threads`. Each part's closing goes onto `teardown`.
    static func open(
        app: Application,
        loops: any EventLoopGroup,
        threads: NIOThreadPool,
        into teardown: Teardown
    ) throws -> RegisterPool {
        let writer = DatabaseExecutor(app: app)
        teardown.push { await writer.shutdown() }
        let readers = try ReadConnections(group: loops, writer: app)
        teardown.push { await readers.close(group: loops) }
        let scans = Scans(writer: app, pool: threads)
        teardown.push { await scans.shutdown() }
        return RegisterPool(writer: writer, readers: readers, scans: scans)
    }

    /// Runs a request that only reads on `loop`'s own connection, in one
    /// snapshot; call it on that loop.
    func read(_ parsed: Parsed, caller: Caller, on loop: any EventLoop) -> ByteBuffer? {
        guard let reader = readers.reader(for: loop) else {
            preconditionFailure("a read on a loop the pool has no reader for")
        }
        return Dispatcher.execute(parsed, app: reader, caller: caller)
    }

    /// Runs a request that changes the register on the writer thread; its
    /// reply once it is committed.
    func write(_ parsed: Parsed, caller: Caller, on loop: any EventLoop) -> EventLoopFuture<ByteBuffer?> {
        writer.submit(parsed, caller: caller, on: loop)
    }

    /// Runs a whole-table read for `caller`, whose connection is `end`.
    func scan(_ parsed: Parsed, caller: Caller, end: ConnectionEnd, on loop: any EventLoop) -> EventLoopFuture<ByteBuffer?> {
        scans.run(parsed, caller: caller, end: end, on: loop)
    }
}
