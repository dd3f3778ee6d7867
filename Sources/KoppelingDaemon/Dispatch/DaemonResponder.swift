import KoppelingCore
import KoppelingProtocol
import NIOCore

/// The daemon's responder: reads the line (one request or a batch), then
/// runs each request where its method's `execution` says — a read on the
/// loop's own read-only connection, a change on the writer thread, a scan
/// of a whole table on the thread pool — through the chain of concerns.
struct DaemonResponder: Responder {
    let register: RegisterPool

    func respond(to line: ByteBuffer, from caller: Caller, connection: ConnectionEnd, on loop: any EventLoop) -> Answer {
        switch Dispatcher.read(line) {
        case .single(nil):
            return .now(nil)
        case .single(let parsed?):
            return run(parsed, caller: caller, connection: connection, on: loop)
        case .batch(let members):
            return .later(runBatch(members, caller: caller, connection: connection, on: loop))
        }
    }

    func refusal(of line: ByteBuffer, _ error: RPCError) -> ByteBuffer? {
        Dispatcher.refusal(of: line, error)
    }

    private func run(_ parsed: Parsed, caller: Caller, connection: ConnectionEnd, on loop: any EventLoop) -> Answer {
        switch parsed.execution {
        case .read:
            // Right here on the loop: the transport hands a line over once
            // the replies before it are there, so it sees their changes.
            .now(register.read(parsed, caller: caller, on: loop))
        case .scan:
            .later(register.scan(parsed, caller: caller, end: connection, on: loop))
        case .write, .exclusive:
            .later(register.write(parsed, caller: caller, on: loop))
        }
    }

    /// Each member as if it were a line of its own sent after the one
    /// before it: a read or a scan runs once every member before it is
    /// answered, so it sees their changes; a change waits for the reads
    /// before it (or they could see it) but not for the changes, which
    /// the database thread takes in order, so they share a commit.
    private func runBatch(
        _ members: [Parsed],
        caller: Caller,
        connection: ConnectionEnd,
        on loop: any EventLoop
    ) -> EventLoopFuture<ByteBuffer?> {
        var answered = loop.makeSucceededVoidFuture()  // every member so far
        var barrier = answered  // the last read or scan so far
        var replies: [EventLoopFuture<ByteBuffer?>] = []
        replies.reserveCapacity(members.count)
        for member in members {
            let reply: EventLoopFuture<ByteBuffer?>
            switch member.execution {
            case .write, .exclusive:
                reply = barrier.flatMap { [register] in register.write(member, caller: caller, on: loop) }
            case .read, .scan:
                reply = answered.flatMap {
                    switch run(member, caller: caller, connection: connection, on: loop) {
                    case .now(let line): loop.makeSucceededFuture(line)
                    case .later(let line): line
                    }
                }
                barrier = reply.map { _ in () }.recover { _ in () }
            }
            replies.append(reply)
            answered = answered.and(reply).map { _ in () }
        }
        return EventLoopFuture.whenAllSucceed(replies, on: loop).map(Dispatcher.batchReply)
    }
}
