import Logging
import NIOCore

/// The slowloris guard: a client that holds a partial line (bytes without
/// `\n`) for longer than `timeout` is disconnected, however slowly it keeps
/// trickling bytes in (the idle timeout counts whole request lines only, so
/// a line that never ends is this handler's to bound).
///
/// Sits first, in front of the line decoder, and looks at the raw bytes:
/// the clock starts with the first byte of a line and stops at its `\n`.
/// While the daemon itself has stopped reading (too many requests in
/// flight), the rest of the line waits in the kernel through no fault of
/// the client, so the clock starts again.
final class LineDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let logger: Logger
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount, logger: Logger) {
        self.timeout = timeout
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let view = unwrapInboundIn(data).readableBytesView
        if let newline = view.lastIndex(of: UInt8(ascii: "\n")) {
            // Every line so far is complete; what follows starts a new one.
            cancel()
            if view.index(after: newline) < view.endIndex { arm(context) }
        } else if !view.isEmpty, deadline == nil {
            arm(context)
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A client that half-closed has finished its last line.
        if let event = event as? ChannelEvent, event == .inputClosed { cancel() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancel()
    }

    private func arm(_ context: ChannelHandlerContext) {
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.expired(context)
        }
    }

    private func cancel() {
        deadline?.cancel()
        deadline = nil
    }

    private func expired(_ context: ChannelHandlerContext) {
        deadline = nil
        guard context.channel.isActive else { return }
        if let reading = try? context.channel.syncOptions?.getOption(ChannelOptions.autoRead), !reading {
            arm(context)
            return
        }
        logger.notice(
            "closing a connection that held a partial line too long",
            metadata: ["line_timeout_ms": "\(timeout.nanoseconds / 1_000_000)"]
        )
        context.close(promise: nil)
    }
}
