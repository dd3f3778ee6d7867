import KoppelingCore
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
    /// The reply line for `line` (`nil`: none, a notification), once it
    /// may be written. `order` tells what the connection sent before it.
    func respond(to line: ByteBuffer, caller: EventLoopFuture<Caller>, order: ConnectionOrder) -> EventLoopFuture<Data?>
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

    init(eventLoop: any EventLoop) {
        repliesWritten = eventLoop.makeSucceededVoidFuture()
        barrier = repliesWritten
    }
}
