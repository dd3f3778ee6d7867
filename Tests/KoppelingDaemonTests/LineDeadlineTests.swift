import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import KoppelingDaemon

/// `LineDeadlineHandler` on an `EmbeddedChannel` whose clock only moves when
/// the test moves it: a line begun and not finished within the timeout closes
/// the connection, however the bytes trickle in.
@Suite("LineDeadlineHandler: the partial-line deadline")
struct LineDeadlineTests {
    static let timeout = TimeAmount.seconds(10)

    static func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: LineDeadlineHandler(timeout: timeout, logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        #expect(channel.isActive)
        return channel
    }

    static func send(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
        // The bytes go on to the decoder unchanged.
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: text))
    }

    static func finish(_ channel: EmbeddedChannel) throws {
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test func partialLineJustUnderTheTimeoutStaysOpen() throws {
        let channel = try Self.makeChannel()
        try Self.send(channel, "{\"method\":")
        channel.embeddedEventLoop.advanceTime(by: Self.timeout - .nanoseconds(1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(1))
        #expect(!channel.isActive)
        try Self.finish(channel)
    }

    @Test func tricklingBytesDoNotExtendTheDeadline() throws {
        let channel = try Self.makeChannel()
        let step = TimeAmount.nanoseconds(Self.timeout.nanoseconds / 10)
        try Self.send(channel, "{")
        for _ in 1...9 {
            channel.embeddedEventLoop.advanceTime(by: step)
            #expect(channel.isActive)
            try Self.send(channel, "x")
        }
        // Ten steps after the first byte, though the last came one step ago.
        channel.embeddedEventLoop.advanceTime(by: step)
        #expect(!channel.isActive)
        try Self.finish(channel)
    }

    @Test func completedLineResetsTheDeadline() throws {
        let channel = try Self.makeChannel()
        try Self.send(channel, "{\"id\":1")
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        try Self.send(channel, "}\n")
        channel.embeddedEventLoop.advanceTime(by: .seconds(100))
        #expect(channel.isActive)
        // The next line starts its own clock from its first byte.
        try Self.send(channel, "{")
        channel.embeddedEventLoop.advanceTime(by: Self.timeout - .nanoseconds(1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(1))
        #expect(!channel.isActive)
        try Self.finish(channel)
    }

    @Test func partialLineAfterANewlineInTheSameReadStartsAFreshClock() throws {
        let channel = try Self.makeChannel()
        try Self.send(channel, "{\"id\":1")
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        try Self.send(channel, "}\n{\"id\":2")  // ends line 1, begins line 2 at t=9s
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))  // t=18s: line 1's deadline (10s) is gone
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: Self.timeout - .seconds(9) - .nanoseconds(1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(1))  // t=19s: line 2's deadline
        #expect(!channel.isActive)
        try Self.finish(channel)
    }

    @Test func blankAndCompleteLinesNeverTriggerIt() throws {
        let channel = try Self.makeChannel()
        for text in ["\n", "\r\n", "  \t\r\n", "{\"id\":1}\n", "a\nb\n", "\n\n\n"] {
            try Self.send(channel, text)
            channel.embeddedEventLoop.advanceTime(by: Self.timeout * 3)
            #expect(channel.isActive, "after \(text.debugDescription)")
        }
        try Self.finish(channel)
    }

    @Test func halfClosedInputStopsTheClock() throws {
        let channel = try Self.makeChannel()
        try Self.send(channel, "{\"id\":1}")  // last line, ended by EOF rather than \n
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        channel.embeddedEventLoop.advanceTime(by: Self.timeout * 3)
        #expect(channel.isActive)
        try Self.finish(channel)
    }
}
