import Foundation
import KoppelingCore
import KoppelingProtocol
import Logging
import NIOCore

/// One client connection: reads lines, runs each request on the database
/// thread, and writes replies in request order (clients may pipeline).
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundLine
    typealias OutboundOut = ByteBuffer

    private let executor: DatabaseExecutor
    private let policy: AdminPolicy
    private let registry: ConnectionRegistry
    private let maxInFlight: Int
    private let logger: Logger

    private var caller: EventLoopFuture<Caller>?
    /// Completes when every reply so far has been written.
    private var tail: EventLoopFuture<Void>?
    private var inFlight = 0
    private var readingPaused = false
    private var closing = false

    init(executor: DatabaseExecutor, policy: AdminPolicy, registry: ConnectionRegistry, maxInFlight: Int, logger: Logger) {
        self.executor = executor
        self.policy = policy
        self.registry = registry
        self.maxInFlight = maxInFlight
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        tail = context.eventLoop.makeSucceededVoidFuture()
        guard registry.admit(context.channel) else {
            closing = true
            let reply = ReplyEncoding.failure(id: .null, error: RPCError(code: RPCErrorCode.unavailable, reason: .shuttingDown,
                message: "Te veel verbindingen of de daemon stopt; probeer het zo opnieuw."))
            write(reply, context: context)
            context.close(promise: nil)
            return
        }
        let policy = self.policy
        caller = PeerCredentials.read(context.channel)
            .map { policy.caller(for: $0) }
            .recover { _ in Caller(user: "onbekend", uid: -1, mayChange: false) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        registry.remove(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing, let caller, let tail else { return }
        switch unwrapInboundIn(data) {
        case .tooLong:
            closing = true
            let reply = ReplyEncoding.failure(id: .null, error: RPCError(code: RPCErrorCode.invalidRequest, reason: .lineTooLong,
                message: "De regel is langer dan \(ProtocolInfo.maxLineBytes) bytes; de verbinding wordt gesloten."))
            self.tail = tail.assumeIsolated().map { self.write(reply, context: context) }.always { _ in
                context.close(promise: nil)
            }.nonisolated()
        case .line(let buffer):
            if buffer.readableBytesView.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) {
                return  // blank lines are keep-alives, not requests
            }
            let parsed = Dispatcher.parse(Data(buffer.readableBytesView))
            let reply: EventLoopFuture<Data?>
            if case .reply(let data) = parsed {
                reply = context.eventLoop.makeSucceededFuture(data)
            } else if registry.beginRequest() {
                let registry = self.registry
                reply = caller.flatMap { [executor] caller in
                    executor.submit(parsed, caller: caller, on: context.eventLoop)
                }.always { _ in registry.endRequest() }
            } else {
                reply = context.eventLoop.makeSucceededFuture(ReplyEncoding.failure(id: parsed.id ?? .null, error: RPCError(
                    code: RPCErrorCode.unavailable, reason: .shuttingDown, message: "De daemon stopt; probeer het zo opnieuw.")))
            }
            inFlight += 1
            if inFlight >= maxInFlight { pauseReading(context) }
            let logger = self.logger
            self.tail = tail.flatMap { reply }.assumeIsolated().map { data in
                if let data { self.write(data, context: context) }
            }.recover { error in
                logger.error("request failed", metadata: ["error": "\(error)"])
            }.always { _ in
                self.inFlight -= 1
                if self.readingPaused, self.inFlight < self.maxInFlight / 2 { self.resumeReading(context) }
            }.nonisolated()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The client sent all it will: answer what is queued, then close.
            closing = true
            tail?.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else if event is IdleStateHandler.IdleStateEvent, inFlight == 0 {
            logger.debug("closing idle connection")
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func write(_ data: Data, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: data.count + 1)
        buffer.writeBytes(data)
        buffer.writeInteger(UInt8(ascii: "\n"))
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
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

extension Parsed {
    var id: RPCID? {
        switch self {
        case .reply: nil
        case .call(let id, _, _), .refusedChange(let id, _, _): id
        }
    }
}
