import KoppelingCore
import KoppelingProtocol
import Logging
import NIOCore

/// Who may stay connected: the connection cap when a connection opens, the
/// caps for callers who may only read (per uid, and the slots kept for
/// administrators) once its caller is known.
///
/// Until the caller is admitted its lines wait here, unparsed, and reading
/// stops: a refused connection runs nothing. An admitted connection's
/// lines that waited go up the pipeline, then its caller as `Admitted`
/// (which starts them), then every line as it comes.
final class AdmissionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundLine
    typealias InboundOut = InboundLine
    typealias OutboundOut = ByteBuffer

    /// Sent up the pipeline once, before the connection's first line.
    struct Admitted: Sendable {
        let caller: Caller
    }

    private enum Phase {
        /// Refused at a cap, or not yet active: nothing is read.
        case refused
        /// Admitted by the connection cap; its caller is being found out.
        case resolving
        case admitted
    }

    private let callers: any CallerSource
    private let registry: ConnectionRegistry
    private let logger: Logger
    private var phase = Phase.refused
    /// Lines read while the caller was being found out.
    private var held = CircularBuffer<InboundLine>()
    private var readingPaused = false

    init(callers: any CallerSource, registry: ConnectionRegistry, logger: Logger) {
        self.callers = callers
        self.registry = registry
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        switch registry.admit(context.channel) {
        case .admitted:
            phase = .resolving
            // Looked up off the loop; this connection's lines wait for it.
            callers.caller(on: context.channel).assumeIsolated().whenSuccess { caller in
                self.callerKnown(caller, context: context)
            }
        case .full(let first):
            if first {
                logger.warning(
                    "refusing connections: the connection cap is reached (--max-connections)",
                    metadata: ["max_connections": "\(registry.maxConnections)"]
                )
            }
            refuse(
                context,
                "Er zijn al \(registry.maxConnections) verbindingen met koppelingd open, het maximum; de verbinding wordt gesloten. Probeer het zo opnieuw."
            )
        case .shuttingDown:
            refuse(
                context,
                "De daemon stopt; de verbinding wordt gesloten. Probeer het zo opnieuw.",
                reason: .shuttingDown
            )
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .refused:
            return
        case .resolving:
            held.append(unwrapInboundIn(data))
            if !readingPaused {
                readingPaused = true
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            }
        case .admitted:
            context.fireChannelRead(data)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        registry.remove(context.channel)
        held.removeAll()
        context.fireChannelInactive()
    }

    /// The caps for readers, decided now that the caller is known.
    private func callerKnown(_ caller: Caller, context: ChannelHandlerContext) {
        guard case .resolving = phase else { return }
        switch registry.admit(context.channel, as: caller) {
        case .admitted:
            phase = .admitted
            if readingPaused {
                // Before the lines that waited: the handlers after this one
                // pause reading again if those are too many.
                readingPaused = false
                context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
                context.read()
            }
            // All of them before the caller, so that a connection whose
            // daemon stops meanwhile sees every line it must answer.
            while let line = held.popFirst() {
                context.fireChannelRead(wrapInboundOut(line))
            }
            context.fireUserInboundEventTriggered(Admitted(caller: caller))
        case .readerCap(let first):
            if first {
                logger.warning(
                    "refusing connections of a caller who may only read: the uid holds the most it may",
                    metadata: ["uid": "\(caller.uid)", "user": "\(caller.user)", "max": "\(registry.maxPerReader)"]
                )
            }
            refuse(
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
            refuse(
                context,
                "De laatste \(registry.reservedForAdministrators) van de \(registry.maxConnections) verbindingen met koppelingd zijn voor beheerders, en meer zijn er niet vrij; de verbinding wordt gesloten. Probeer het zo opnieuw."
            )
        case .gone:
            break
        }
    }

    /// One error line, then close: nothing this connection sent or sends runs.
    private func refuse(
        _ context: ChannelHandlerContext,
        _ message: String,
        reason: Reason = .tooManyConnections
    ) {
        phase = .refused
        held.removeAll()
        var line = ReplyEncoding.failure(
            id: .null,
            error: RPCError(code: RPCErrorCode.unavailable, reason: reason, message: message)
        )
        line.writeInteger(UInt8(ascii: "\n"))
        context.writeAndFlush(wrapOutboundOut(line)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
