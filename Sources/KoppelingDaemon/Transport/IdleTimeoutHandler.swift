import NIOCore

/// The idle timeout: fires `Idle` up the pipeline when no message has come
/// through for `timeout`, and again after each further `timeout` without
/// one (the connection handler decides whether that closes the connection:
/// not while a request is still being answered for a client that reads).
///
/// It counts messages, not bytes: placed after the line decoder and the
/// blank-line filter, only request lines keep a connection open. A line
/// still arriving does not count until it ends; the line deadline bounds
/// that. The clock is the event loop's, so a test can move it.
final class IdleTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny

    /// The event sent when the connection has been idle for the timeout.
    struct Idle: Sendable {}

    private let timeout: TimeAmount
    private var lastRead = NIODeadline.uptimeNanoseconds(0)
    private var check: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Only the time is noted; the check set at the start moves itself on.
        lastRead = context.eventLoop.now
        context.fireChannelRead(data)
    }

    private func start(_ context: ChannelHandlerContext) {
        guard check == nil else { return }
        lastRead = context.eventLoop.now
        schedule(context, at: lastRead + timeout)
    }

    private func stop() {
        check?.cancel()
        check = nil
    }

    private func schedule(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        check = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.due(context)
        }
    }

    private func due(_ context: ChannelHandlerContext) {
        guard context.channel.isActive else {
            check = nil
            return
        }
        let idleUntil = lastRead + timeout
        if context.eventLoop.now < idleUntil {
            schedule(context, at: idleUntil)
            return
        }
        schedule(context, at: context.eventLoop.now + timeout)
        context.fireUserInboundEventTriggered(Idle())
    }
}
