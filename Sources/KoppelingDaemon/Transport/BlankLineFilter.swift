import NIOCore

/// Drops blank lines (spaces, tabs, a `\r`): they are keep-alives, not
/// requests. It sits in front of the idle timeout, so a client that only
/// sends keep-alives is idle and is closed like one that sends nothing.
final class BlankLineFilter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = InboundLine
    typealias InboundOut = InboundLine

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .line(let buffer) = unwrapInboundIn(data), Self.isBlank(buffer) { return }
        context.fireChannelRead(data)
    }

    static func isBlank(_ line: ByteBuffer) -> Bool {
        line.readableBytesView.allSatisfy {
            $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r")
        }
    }
}
