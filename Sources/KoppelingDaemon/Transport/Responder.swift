import KoppelingCore
import KoppelingProtocol
import NIOConcurrencyHelpers
import NIOCore

/// What the transport hands every request line to, with who sent it.
///
/// The transport frames lines, bounds them, admits connections, writes the
/// replies and owns each connection's order: it hands a connection's next
/// line over only once the reply to the one before it is there, so a
/// request sees everything its connection sent before it and nothing sent
/// after. Everything about what a line means — the protocol, the database,
/// the register — is the responder's.
protocol Responder: Sendable {
    /// The reply line to `line` (without its newline; `nil`: none, as for
    /// a notification), at once or later. `connection` tells work that
    /// runs off the loop (a scan) when the client has gone.
    func respond(to line: ByteBuffer, from caller: Caller, connection: ConnectionEnd, on loop: any EventLoop) -> Answer

    /// The line answering `line` when none of it may run (the daemon
    /// stops), saying `error`; `nil` when nothing of it would be answered.
    func refusal(of line: ByteBuffer, _ error: RPCError) -> ByteBuffer?
}

extension Responder {
    /// A responder that does not read its lines cannot tell a notification
    /// or the request's id: it answers with a null id.
    func refusal(of line: ByteBuffer, _ error: RPCError) -> ByteBuffer? {
        ReplyEncoding.failure(id: .null, error: error)
    }
}

/// A responder's answer: the reply ready now (a read on the loop, a refusal), or once
/// work off the loop is done (a change on the writer thread, a scan).
enum Answer {
    case now(ByteBuffer?)
    case later(EventLoopFuture<ByteBuffer?>)
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
