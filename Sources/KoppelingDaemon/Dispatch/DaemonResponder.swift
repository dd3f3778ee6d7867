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

/// The daemon's responder: reads the line (one request or a batch), then
/// runs each request where its method's `execution` says — a read on the
/// loop's own read-only connection, a change on the database thread, a
/// scan of a whole table on a thread of its own — through the chain of
/// concerns.
struct DaemonResponder: Responder {
    let executor: DatabaseExecutor
    let readers: ReadConnections?
    var scans: Scans? = nil

    func respond(to line: ByteBuffer, caller: EventLoopFuture<Caller>, order: ConnectionOrder) -> EventLoopFuture<Data?>
    {
        let incoming = Dispatcher.read(Data(line.readableBytesView))
        order.requests = incoming.requests
        switch incoming {
        case .single(nil):
            return caller.eventLoop.makeSucceededFuture(nil)
        case .single(let parsed?):
            return run(parsed, caller: caller, order: order)
        case .batch(let members):
            return runBatch(members, caller: caller, order: order)
        }
    }

    func refusal(of line: ByteBuffer, _ error: RPCError) -> Data? {
        Dispatcher.refusal(of: Data(line.readableBytesView), error)
    }

    /// Each member as if it were a line of its own sent after the one
    /// before it: what the connection handler's `repliesWritten` is to a
    /// line, the replies of the members before it (and the lines before the
    /// batch) are to a member, so a read sees a change made before it in
    /// the batch. The batch's one line waits for them all.
    private func runBatch(
        _ members: [Parsed],
        caller: EventLoopFuture<Caller>,
        order: ConnectionOrder
    ) -> EventLoopFuture<Data?> {
        let loop = caller.eventLoop
        let written = order.repliesWritten
        var before = written
        var replies: [EventLoopFuture<Data?>] = []
        replies.reserveCapacity(members.count)
        for member in members {
            order.repliesWritten = before
            let reply = run(member, caller: caller, order: order)
            replies.append(reply)
            before = before.and(reply).map { _ in () }
        }
        order.repliesWritten = written
        return EventLoopFuture.whenAllSucceed(replies, on: loop).map(Dispatcher.batchReply)
    }

    private func run(
        _ parsed: Parsed,
        caller: EventLoopFuture<Caller>,
        order: ConnectionOrder
    ) -> EventLoopFuture<Data?> {
        let loop = caller.eventLoop
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
