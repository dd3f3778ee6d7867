import Foundation
import KoppelingCore
import KoppelingProtocol
import Logging
import NIOCore

/// One client connection: reads lines, hands each to the responder with its
/// caller, and writes the replies in request order (clients may pipeline).
///
/// At most `maxInFlight` requests per connection are started and not yet
/// written to the socket; lines read beyond that wait here, unparsed, and
/// reading stops until the client takes its replies. So a client that
/// pipelines without reading holds the daemon to a bounded amount of
/// memory, and the backlog stays in its own socket buffer.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundLine
    typealias OutboundOut = ByteBuffer

    private let responder: any Responder
    private let callers: CallerResolver
    private let registry: ConnectionRegistry
    private let maxInFlight: Int
    private let logger: Logger

    private var caller: EventLoopFuture<Caller>?
    /// What the responder needs to keep this connection's order.
    private var order: ConnectionOrder?
    /// Completes when every reply so far has been written.
    private var tail: EventLoopFuture<Void>?
    /// Lines read but not yet started, in order.
    private var waiting = CircularBuffer<InboundLine>()
    /// Requests started whose reply is not yet written to the socket.
    private var inFlight = 0
    private var readingPaused = false
    private var closing = false
    private var inputClosed = false

    init(
        responder: any Responder,
        callers: CallerResolver,
        registry: ConnectionRegistry,
        maxInFlight: Int,
        logger: Logger
    ) {
        self.responder = responder
        self.callers = callers
        self.registry = registry
        self.maxInFlight = max(1, maxInFlight)
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        tail = context.eventLoop.makeSucceededVoidFuture()
        order = ConnectionOrder(eventLoop: context.eventLoop)
        switch registry.admit(context.channel) {
        case .admitted:
            break
        case .full(let first):
            if first {
                logger.warning(
                    "refusing connections: the connection cap is reached (--max-connections)",
                    metadata: ["max_connections": "\(registry.maxConnections)"]
                )
            }
            refuse(
                context,
                RPCError(
                    code: RPCErrorCode.unavailable,
                    reason: .tooManyConnections,
                    message:
                        "Er zijn al \(registry.maxConnections) verbindingen met koppelingd open, het maximum; de verbinding wordt gesloten. Probeer het zo opnieuw."
                )
            )
            return
        case .shuttingDown:
            refuse(
                context,
                RPCError(
                    code: RPCErrorCode.unavailable,
                    reason: .shuttingDown,
                    message: "De daemon stopt; de verbinding wordt gesloten. Probeer het zo opnieuw."
                )
            )
            return
        }
        // Looked up off the loop; this connection's requests wait for it.
        caller = callers.caller(on: context.channel)
        context.fireChannelActive()
    }

    /// One error line, then close: nothing this connection sends is read.
    private func refuse(_ context: ChannelHandlerContext, _ error: RPCError) {
        closing = true
        write(ReplyEncoding.failure(id: .null, error: error), context: context).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        registry.remove(context.channel)
        waiting.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing, caller != nil else { return }
        let line = unwrapInboundIn(data)
        switch line {
        case .tooLong:
            closing = true  // read nothing more; answer it after the lines before it
        case .line(let buffer):
            if buffer.readableBytesView.allSatisfy({
                $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r")
            }) {
                return  // blank lines are keep-alives, not requests
            }
        }
        waiting.append(line)
        startWaiting(context)
    }

    /// Starts waiting lines while fewer than `maxInFlight` are in flight;
    /// stops reading while any have to wait.
    private func startWaiting(_ context: ChannelHandlerContext) {
        while inFlight < maxInFlight, let next = waiting.popFirst() {
            start(next, context: context)
        }
        if !readingPaused, !waiting.isEmpty || inFlight >= maxInFlight {
            pauseReading(context)
        }
    }

    private func start(_ line: InboundLine, context: ChannelHandlerContext) {
        guard let caller, let tail, let order else { return }
        switch line {
        case .tooLong:
            let reply = ReplyEncoding.failure(
                id: .null,
                error: RPCError(
                    code: RPCErrorCode.invalidRequest,
                    reason: .lineTooLong,
                    message: "De regel is langer dan \(ProtocolInfo.maxLineBytes) bytes; de verbinding wordt gesloten."
                )
            )
            self.tail = tail.assumeIsolated().flatMap { self.write(reply, context: context) }.always { _ in
                context.close(promise: nil)
            }.nonisolated()
        case .line(let buffer):
            let reply: EventLoopFuture<Data?>
            if registry.beginRequest() {
                let registry = self.registry
                order.repliesWritten = tail
                reply = responder.respond(to: buffer, caller: caller, order: order).always { _ in
                    registry.endRequest()
                }
            } else {
                reply = context.eventLoop.makeSucceededFuture(
                    ReplyEncoding.failure(
                        id: .null,
                        error: RPCError(
                            code: RPCErrorCode.unavailable,
                            reason: .shuttingDown,
                            message: "De daemon stopt; probeer het zo opnieuw."
                        )
                    )
                )
            }
            inFlight += 1
            let logger = self.logger
            self.tail = tail.flatMap { reply }.assumeIsolated().recover { error -> Data? in
                logger.error("request failed", metadata: ["error": "\(error)"])
                return nil
            }.flatMap { data -> EventLoopFuture<Void> in
                guard let data else { return context.eventLoop.makeSucceededVoidFuture() }
                return self.write(data, context: context)
            }.recover { _ in
                // The client went away; the remaining replies have nowhere to go.
            }.always { _ in
                self.inFlight -= 1
                self.replyWritten(context)
            }.nonisolated()
        }
    }

    private func replyWritten(_ context: ChannelHandlerContext) {
        startWaiting(context)
        if readingPaused, waiting.isEmpty, inFlight <= maxInFlight / 2, !closing {
            resumeReading(context)
        }
        if inputClosed, waiting.isEmpty, inFlight == 0 {
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The client sent all it will: answer what is queued, then close.
            inputClosed = true
            if waiting.isEmpty, inFlight == 0 {
                tail?.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        } else if event is IdleStateHandler.IdleStateEvent {
            if inFlight == 0, waiting.isEmpty {
                logger.debug("closing idle connection")
                context.close(promise: nil)
            } else if readingPaused {
                // Replies wait for a client that has not read any for the whole idle timeout.
                logger.notice("closing a connection whose client stopped reading its replies")
                context.close(promise: nil)
            }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    /// Writes one reply line; the future completes once it reached the socket.
    private func write(_ data: Data, context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        var buffer = context.channel.allocator.buffer(capacity: data.count + 1)
        buffer.writeBytes(data)
        buffer.writeInteger(UInt8(ascii: "\n"))
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: promise)
        return promise.futureResult
    }

    private func pauseReading(_ context: ChannelHandlerContext) {
        readingPaused = true
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
    }

    private func resumeReading(_ context: ChannelHandlerContext) {
        readingPaused = false
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        context.read()
    }
}
