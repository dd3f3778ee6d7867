import KoppelingCore
import KoppelingProtocol
import NIOConcurrencyHelpers
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// What the transport hands every request line to, with who sent it.
///
/// The connection handler frames lines, bounds them, writes the replies in
/// request order and applies backpressure; everything about what a line
/// means — the protocol, the database, the register — is the responder's.
protocol Responder: Sendable {
    /// The reply line for `line` (`nil`: none, as for a notification), once
    /// it may be written. `order` tells what the connection sent before
    /// it; the responder sets `order.requests` for a line that holds more
    /// than one request.
    func respond(to line: ByteBuffer, caller: EventLoopFuture<Caller>, order: ConnectionOrder) -> EventLoopFuture<Data?>

    /// The line answering `line` when none of it may run (the daemon
    /// stops), saying `error`; `nil` when nothing of it would be answered.
    func refusal(of line: ByteBuffer, _ error: RPCError) -> Data?
}

extension Responder {
    /// A responder that does not read its lines cannot tell a notification
    /// or the request's id: it answers with a null id.
    func refusal(of line: ByteBuffer, _ error: RPCError) -> Data? {
        ReplyEncoding.failure(id: .null, error: error)
    }
}

/// The requests one connection sent so far, as a responder must know them
/// to keep the connection's order: a request may depend on what was sent
/// before it, never on what was sent after. Lives on the connection's loop.
final class ConnectionOrder {
    /// Completes when every reply so far has been written (set by the
    /// connection handler).
    var repliesWritten: EventLoopFuture<Void>
    /// Completes when the work the responder started last, and that a
    /// later request must not overtake, is done (set by the responder).
    var barrier: EventLoopFuture<Void>
    /// Closed with the connection: work off the loop (a scan) that is not
    /// yet done for it is dropped or stopped.
    let end = ConnectionEnd()
    /// How many requests the line just handed to the responder holds (a
    /// batch: its members), as the connection's in-flight cap counts them.
    /// Set to 1 by the connection handler before each line, by the
    /// responder for a line that holds more.
    var requests = 1

    init(eventLoop: any EventLoop) {
        repliesWritten = eventLoop.makeSucceededVoidFuture()
        barrier = repliesWritten
    }
}

/// The end of a connection, as work that runs off its loop sees it (a
/// scan): whether it has closed, from any thread, and what to do once it
/// does. Closed by the connection handler when the channel goes inactive.
final class ConnectionEnd: Sendable {
    private struct State {
        var closed = false
        var handlers: [Int: @Sendable () -> Void] = [:]
    }
    private let state = NIOLockedValueBox(State())

    var hasClosed: Bool { state.withLockedValue { $0.closed } }

    /// Runs `handler` once the connection closes, unless `forget(key)`
    /// came first; false, and never run, when it has closed already.
    func onClose(_ key: Int, _ handler: @escaping @Sendable () -> Void) -> Bool {
        state.withLockedValue { s in
            guard !s.closed else { return false }
            s.handlers[key] = handler
            return true
        }
    }

    func forget(_ key: Int) {
        state.withLockedValue { _ = $0.handlers.removeValue(forKey: key) }
    }

    func close() {
        let handlers = state.withLockedValue { s -> [@Sendable () -> Void] in
            s.closed = true
            defer { s.handlers = [:] }
            return Array(s.handlers.values)
        }
        for handler in handlers { handler() }
    }
}
