import KoppelingCore
import KoppelingProtocol
import Logging
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// One client connection: reads lines, hands each to the responder with its
/// caller, and writes the replies in request order (clients may pipeline).
///
/// The connection cap is checked when the connection opens, the caps for
/// readers (per uid, and the slots kept for administrators) once its caller
/// is known: until then its lines wait here, unparsed, so a refused
/// connection runs nothing.
///
/// At most `maxInFlight` requests per connection are started and not yet
/// written to the socket (a line the responder says holds several, a
/// batch, counts as that many; the responder bounds a batch's size);
/// lines read beyond that wait here, unparsed, and reading stops until
/// the client takes its replies. So a client that
/// pipelines without reading holds the daemon to a bounded amount of
/// memory, and the backlog stays in its own socket buffer.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundLine
    typealias OutboundOut = ByteBuffer

    private let responder: any Responder
    private let callers: any CallerSource
    private let registry: ConnectionRegistry
    private let maxInFlight: Int
    private let logger: Logger

    private var phase = Phase.refused
    /// What the responder needs to keep this connection's order.
    private var order: ConnectionOrder?
    /// Completes when every reply so far has been written.
    private var tail: EventLoopFuture<Void>?
    /// Lines read but not yet started, in order.
    private var waiting = CircularBuffer<InboundLine>()
    /// Requests started whose reply is not yet written to the socket.
    private var inFlight = 0
    private var readingPaused = false
    /// `startWaiting` is running. A reply that is written at once (a read
    /// whose turn had come) calls back into it; the loop already running
    /// starts the next line instead, so each line chains onto the tail of
    /// the one before it and the stack stays flat.
    private var startingWaiting = false
    private var closing = false
    private var inputClosed = false

    private enum Phase {
        /// Not admitted: refused at the cap, or not yet active.
        case refused
        /// Admitted by the cap; its caller is being found out.
        case resolving
        /// Its caller is known and may stay.
        case admitted(EventLoopFuture<Caller>)
    }

    init(
        responder: any Responder,
        callers: any CallerSource,
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
        // Looked up off the loop; this connection's lines wait for it.
        phase = .resolving
        callers.caller(on: context.channel).assumeIsolated().whenSuccess { caller in
            self.callerKnown(caller, context: context)
        }
        context.fireChannelActive()
    }

    /// The caps for readers, decided now that the caller is known; an
    /// admitted connection starts the lines that waited for it.
    private func callerKnown(_ caller: Caller, context: ChannelHandlerContext) {
        guard case .resolving = phase else { return }
        switch registry.admit(context.channel, as: caller) {
        case .admitted:
            phase = .admitted(context.eventLoop.makeSucceededFuture(caller))
            // Reading resumes, and a half-closed connection closes, once
            // these replies are written (`replyWritten`).
            startWaiting(context)
        case .readerCap(let first):
            if first {
                logger.warning(
                    "refusing connections of a caller who may only read: the uid holds the most it may",
                    metadata: ["uid": "\(caller.uid)", "user": "\(caller.user)", "max": "\(registry.maxPerReader)"]
                )
            }
            refuseCaller(
                context,
                "Gebruiker \(caller.user) heeft al \(registry.maxPerReader) verbindingen met koppelingd open, het maximum voor wie alleen mag lezen; de verbinding wordt gesloten. Sluit eerst een andere verbinding."
            )
        case .reserved(let first):
            if first {
                logger.warning(
                    "refusing connections of callers who may only read: only the slots for administrators are free",
                    metadata: [
                        "uid": "\(caller.uid)", "user": "\(caller.user)",
                        "reserved": "\(registry.reservedForAdministrators)",
                        "max_connections": "\(registry.maxConnections)",
                    ]
                )
            }
            refuseCaller(
                context,
                "De laatste \(registry.reservedForAdministrators) van de \(registry.maxConnections) verbindingen met koppelingd zijn voor beheerders, en meer zijn er niet vrij; de verbinding wordt gesloten. Probeer het zo opnieuw."
            )
        case .gone:
            break
        }
    }

    /// A reader over its caps: the lines it sent are dropped unparsed.
    private func refuseCaller(_ context: ChannelHandlerContext, _ message: String) {
        phase = .refused
        waiting.removeAll()
        refuse(context, RPCError(code: RPCErrorCode.unavailable, reason: .tooManyConnections, message: message))
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
        order?.end.close()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Blank lines (keep-alives) were dropped in front of the idle timeout.
        guard !closing else { return }
        if case .refused = phase { return }
        let line = unwrapInboundIn(data)
        if case .tooLong = line {
            closing = true  // read nothing more; answer it after the lines before it
        }
        waiting.append(line)
        startWaiting(context)
    }

    /// Starts waiting lines while fewer than `maxInFlight` are in flight
    /// (none before the caller is admitted); stops reading while any have
    /// to wait.
    private func startWaiting(_ context: ChannelHandlerContext) {
        guard !startingWaiting else { return }
        startingWaiting = true
        defer { startingWaiting = false }
        if case .admitted = phase {
            while inFlight < maxInFlight, let next = waiting.popFirst() {
                start(next, context: context)
            }
        }
        if !readingPaused, !waiting.isEmpty || inFlight >= maxInFlight {
            pauseReading(context)
        }
    }

    private func start(_ line: InboundLine, context: ChannelHandlerContext) {
        guard case .admitted(let caller) = phase, let tail, let order else { return }
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
            order.requests = 1
            if registry.beginRequest() {
                let registry = self.registry
                order.repliesWritten = tail
                reply = responder.respond(to: buffer, caller: caller, order: order).always { _ in
                    registry.endRequest()
                }
            } else {
                reply = context.eventLoop.makeSucceededFuture(
                    responder.refusal(
                        of: buffer,
                        RPCError(
                            code: RPCErrorCode.unavailable,
                            reason: .shuttingDown,
                            message: "De daemon stopt; probeer het zo opnieuw."
                        )
                    )
                )
            }
            // A line of many requests (a batch) counts as that many, so
            // batches cannot multiply what a connection has in flight: it
            // starts while the count is under the cap, like any line, and
            // no line after it starts until the count is back under it.
            let requests = order.requests
            inFlight += requests
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
                self.inFlight -= requests
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
        } else if event is IdleTimeoutHandler.Idle {
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
