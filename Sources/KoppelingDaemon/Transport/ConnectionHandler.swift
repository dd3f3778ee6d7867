import KoppelingCore
import KoppelingProtocol
import Logging
import NIOCore
import NIOExtras

/// One admitted connection: hands its lines to the responder one at a
/// time, in the order they came, and writes each reply.
///
/// The next line is handed over once the reply to the one before it is
/// there (clients may pipeline; each request still sees everything its
/// connection sent before it), and only while the socket takes what is
/// written: a client that pipelines without reading its replies fills its
/// own socket buffers, not the daemon's memory. Lines read meanwhile wait
/// here unparsed, at most `maxWaiting`; past that, reading stops until
/// they have been answered.
///
/// When the daemon stops (`ChannelShouldQuiesceEvent`, from the listener's
/// quiescing helper) reading stops, the reply being waited for is written,
/// every line after it is refused (`shutting_down`), and the connection
/// closes.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundLine
    typealias OutboundOut = ByteBuffer

    private let responder: any Responder
    private let maxWaiting: Int
    private let logger: Logger

    /// Known once `AdmissionHandler` admitted the connection.
    private var caller: Caller?
    /// Lines read but not yet handed to the responder, in order.
    private var waiting = CircularBuffer<InboundLine>()
    /// A line was handed over and its reply is not there yet.
    private var answering = false
    private var readingPaused = false
    /// `startNext` is running: a reply ready at once comes back to its loop
    /// rather than into a new frame, so the stack stays flat.
    private var starting = false
    /// Nothing more is read (a line too long): the rest is answered, then closed.
    private var closing = false
    private var inputClosed = false
    /// The daemon stops: nothing more runs; close once the replies are out.
    private var quiescing = false
    private let end = ConnectionEnd()

    init(responder: any Responder, maxWaiting: Int, logger: Logger) {
        self.responder = responder
        self.maxWaiting = max(1, maxWaiting)
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let admitted = event as? AdmissionHandler.Admitted {
            caller = admitted.caller
            startNext(context)
        } else if let event = event as? ChannelEvent, event == .inputClosed {
            // The client sent all it will: answer what is queued, then close.
            inputClosed = true
            closeIfDone(context)
        } else if event is ChannelShouldQuiesceEvent {
            quiescing = true
            if !readingPaused {
                readingPaused = true
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            }
            startNext(context)
        } else if event is IdleTimeoutHandler.Idle {
            if !answering, waiting.isEmpty {
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

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Blank lines (keep-alives) were dropped in front of the idle timeout.
        guard !closing else { return }
        let line = unwrapInboundIn(data)
        if case .tooLong = line { closing = true }  // read nothing more; answer it after the lines before it
        waiting.append(line)
        startNext(context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        startNext(context)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        waiting.removeAll()
        end.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    /// Hands waiting lines over, one at a time, while their replies come at
    /// once and the socket takes them; then decides whether to read on.
    private func startNext(_ context: ChannelHandlerContext) {
        guard !starting else { return }
        starting = true
        defer { starting = false }
        while caller != nil, !answering, context.channel.isActive, context.channel.isWritable,
            let line = waiting.popFirst()
        {
            start(line, context: context)
        }
        if !readingPaused, waiting.count >= maxWaiting {
            readingPaused = true
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        } else if readingPaused, waiting.count <= maxWaiting / 2, !closing, !quiescing {
            readingPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            context.read()
        }
        closeIfDone(context)
    }

    private func start(_ line: InboundLine, context: ChannelHandlerContext) {
        guard let caller else { return }
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
            waiting.removeAll()
            write(reply, context: context, then: { context.close(promise: nil) })
        case .line(let buffer):
            guard !quiescing else {
                let refusal = responder.refusal(
                    of: buffer,
                    RPCError(code: RPCErrorCode.unavailable, reason: .shuttingDown, message: "De daemon stopt; probeer het zo opnieuw.")
                )
                write(refusal, context: context)
                return
            }
            switch responder.respond(to: buffer, from: caller, connection: end, on: context.eventLoop) {
            case .now(let reply):
                write(reply, context: context)
            case .later(let reply):
                answering = true
                reply.assumeIsolated().whenComplete { result in
                    self.answering = false
                    switch result {
                    case .success(let reply):
                        self.write(reply, context: context)
                    case .failure(let error):
                        self.logger.error("request failed", metadata: ["error": "\(error)"])
                    }
                    self.startNext(context)
                }
            }
        }
    }

    /// Closes a connection whose client half-closed, or whose daemon stops,
    /// once everything it sent is answered and written.
    private func closeIfDone(_ context: ChannelHandlerContext) {
        guard inputClosed || quiescing, caller != nil, !answering, waiting.isEmpty, context.channel.isActive else {
            return
        }
        inputClosed = false
        quiescing = false
        write(context.channel.allocator.buffer(capacity: 0), newline: false, context: context) {
            context.close(promise: nil)
        }
    }

    /// Writes one reply line (nothing for `nil`); `then` runs once it and
    /// everything before it reached the socket, or could not.
    private func write(
        _ reply: ByteBuffer?,
        newline: Bool = true,
        context: ChannelHandlerContext,
        then: (() -> Void)? = nil
    ) {
        guard var reply else {
            then?()
            return
        }
        if newline { reply.writeInteger(UInt8(ascii: "\n")) }
        guard let then else {
            context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
            return
        }
        context.writeAndFlush(wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in then() }
    }
}
