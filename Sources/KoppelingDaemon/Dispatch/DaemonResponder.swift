import KoppelingCore
import KoppelingProtocol
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's responder: parses the line, then runs the request where its
/// `Method.execution` says — a read on the loop's own read-only connection,
/// a change on the database thread, a scan of a whole table on a thread of
/// its own — through the chain of concerns.
struct DaemonResponder: Responder {
    let executor: DatabaseExecutor
    let readers: ReadConnections?
    var scans: Scans? = nil

    func respond(to line: ByteBuffer, caller: EventLoopFuture<Caller>, order: ConnectionOrder) -> EventLoopFuture<Data?>
    {
        let loop = caller.eventLoop
        let parsed = Dispatcher.parse(Data(line.readableBytesView))
        if case .reply(let data) = parsed { return loop.makeSucceededFuture(data) }
        if parsed.execution == .read, let reader = readers?.reader(for: loop) {
            // Right here on the loop, once the replies before it are out: a
            // read sees every change this connection made before it.
            let reply = order.repliesWritten.flatMap { caller }.map { caller in
                Dispatcher.execute(parsed, app: reader, caller: caller)
            }
            // A change sent after this read waits until it has run, or the
            // read could see it.
            order.barrier = reply.map { _ in () }.recover { _ in () }
            return reply
        }
        if parsed.execution == .scan, let scans {
            // In the connection's order like any read, but off the loop.
            let end = order.end
            let reply = order.repliesWritten.flatMap { caller }.flatMap { caller in
                scans.run(parsed, caller: caller, end: end, on: loop)
            }
            order.barrier = reply.map { _ in () }.recover { _ in () }
            return reply
        }
        return order.barrier.flatMap { caller }.flatMap { [executor] caller in
            executor.submit(parsed, caller: caller, on: loop)
        }
    }
}
