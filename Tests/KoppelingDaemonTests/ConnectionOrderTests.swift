import KoppelingCore
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import KoppelingDaemon

/// The transport owns a connection's order: one line at a time, and none
/// while the socket takes no more replies.
@Suite("A connection's lines, one at a time")
struct ConnectionOrderTests {
    /// Replies to every line with the line itself, at once.
    final class Echo: Responder, @unchecked Sendable {
        var lines: [String] = []

        func respond(to line: ByteBuffer, from caller: Caller, connection: ConnectionEnd, on loop: any EventLoop) -> Answer {
            lines.append(String(buffer: line))
            return .now(line)
        }
    }

    static func makeChannel(_ responder: Echo, maxWaiting: Int) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try ConnectionPipeline(
            responder: responder,
            callers: IdleBlankLineTests.KnownCaller(),
            registry: ConnectionRegistry(maxConnections: 8),
            maxWaiting: maxWaiting,
            idleTimeout: .seconds(300),
            lineTimeout: .seconds(30),
            logger: Logger(label: "test")
        ).addHandlers(to: channel)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    static func replies(_ channel: EmbeddedChannel) throws -> [String] {
        var replies: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { replies.append(String(buffer: buffer)) }
        return replies
    }

    @Test("while the socket takes no more, lines wait unanswered; once it does, they are answered in order")
    func unwritableHoldsLines() throws {
        let responder = Echo()
        let channel = try Self.makeChannel(responder, maxWaiting: 4)
        try channel.writeInbound(ByteBuffer(string: "a\n"))
        #expect(try Self.replies(channel) == ["a\n"])

        channel.isWritable = false
        try channel.writeInbound(ByteBuffer(string: "b\nc\nd\ne\n"))
        #expect(responder.lines == ["a"], "a line was answered into a socket that takes no more")

        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(responder.lines == ["a", "b", "c", "d", "e"])
        #expect(try Self.replies(channel) == ["b\n", "c\n", "d\n", "e\n"])
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test("past the cap of waiting lines reading stops, and a client that then takes no reply for the idle timeout is closed")
    func pastTheCap() throws {
        let channel = try Self.makeChannel(Echo(), maxWaiting: 4)
        channel.isWritable = false
        try channel.writeInbound(ByteBuffer(string: "a\nb\nc\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(300))
        #expect(channel.isActive, "closed under the cap")
        try channel.writeInbound(ByteBuffer(string: "d\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(300))
        #expect(!channel.isActive, "reading did not stop at the cap")
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test("a client that half-closes gets every reply, then the close")
    func halfClose() throws {
        let responder = Echo()
        let channel = try Self.makeChannel(responder, maxWaiting: 64)
        try channel.writeInbound(ByteBuffer(string: "a\nb\n"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try Self.replies(channel) == ["a\n", "b\n", ""])
        #expect(!channel.isActive)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }
}
