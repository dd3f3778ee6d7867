import Foundation
import KoppelingCore
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import KoppelingDaemon

/// The daemon's connection pipeline on an `EmbeddedChannel` whose clock only
/// moves when the test moves it: only request lines keep a connection past
/// the idle timeout; blank lines (keep-alives), or their bytes, do not.
@Suite("Blank lines do not keep a connection open")
struct IdleBlankLineTests {
    static let idle = TimeAmount.seconds(300)
    static let lineTimeout = TimeAmount.seconds(30)
    static let request = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"hello\"}\n"

    /// Answers every request at once (or, `held`, when the test says), so a
    /// reply shows that a request ran.
    final class TestResponder: Responder, @unchecked Sendable {
        let held: Bool
        private(set) var pending: [EventLoopPromise<ByteBuffer?>] = []
        private(set) var requests = 0

        init(held: Bool = false) { self.held = held }

        func respond(to line: ByteBuffer, from caller: Caller, connection: ConnectionEnd, on loop: any EventLoop) -> Answer {
            requests += 1
            guard held else { return .now(ByteBuffer(string: #"{"ok":true}"#)) }
            let promise = loop.makePromise(of: ByteBuffer?.self)
            pending.append(promise)
            return .later(promise.futureResult)
        }

        func release() {
            for promise in pending { promise.succeed(nil) }
            pending.removeAll()
        }
    }

    /// A caller known at once, on the channel's own loop.
    struct KnownCaller: CallerSource {
        func caller(on channel: any Channel) -> EventLoopFuture<Caller> {
            channel.eventLoop.makeSucceededFuture(Caller(user: "leerkracht", uid: 1001, mayChange: false))
        }
    }

    static func makeChannel(responder: TestResponder = .init(), maxWaiting: Int = 64) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let pipeline = ConnectionPipeline(
            responder: responder,
            callers: KnownCaller(),
            registry: ConnectionRegistry(maxConnections: 8),
            maxWaiting: maxWaiting,
            idleTimeout: idle,
            lineTimeout: lineTimeout,
            logger: Logger(label: "test")
        )
        try pipeline.addHandlers(to: channel)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        #expect(channel.isActive)
        return channel
    }

    static func send(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    static func advance(_ channel: EmbeddedChannel, _ amount: TimeAmount) {
        channel.embeddedEventLoop.advanceTime(by: amount)
    }

    static func reply(_ channel: EmbeddedChannel) throws -> String? {
        try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) }
    }

    @Test("a connection that only sends blank lines, whole or in pieces, is closed after the idle timeout")
    func onlyBlankLines() throws {
        let responder = TestResponder()
        let channel = try Self.makeChannel(responder: responder)
        // Every 10 s a keep-alive, some split over two reads, up to the last moment.
        let pieces = ["\n", "  \t\r\n", " ", "\r\n", "\t", "\n"]
        for step in 0..<30 {
            try Self.send(channel, pieces[step % pieces.count])
            Self.advance(channel, step < 29 ? .seconds(10) : .seconds(10) - .nanoseconds(1))
            #expect(channel.isActive, "closed \(step * 10 + 10) s after the start")
        }
        Self.advance(channel, .nanoseconds(1))
        #expect(!channel.isActive, "300 s of blank lines kept the connection open")
        #expect(try Self.reply(channel) == nil)
        #expect(responder.requests == 0)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test("a request line keeps the connection until the idle timeout after it; blank lines after it do not")
    func requestThenBlankLines() throws {
        let responder = TestResponder()
        let channel = try Self.makeChannel(responder: responder)
        Self.advance(channel, .seconds(200))
        try Self.send(channel, Self.request)
        #expect(try Self.reply(channel) == "{\"ok\":true}\n")
        #expect(responder.requests == 1)
        Self.advance(channel, .seconds(200))  // t = 400 s: 300 s after the start, 200 after the request
        #expect(channel.isActive, "closed within the idle timeout after a request")
        try Self.send(channel, "\n")
        Self.advance(channel, .seconds(50))
        try Self.send(channel, "   \r\n")
        Self.advance(channel, .seconds(50) - .nanoseconds(1))  // just under 300 s after the request
        #expect(channel.isActive)
        Self.advance(channel, .nanoseconds(1))
        #expect(!channel.isActive, "blank lines after the request kept the connection past its idle timeout")
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test("a partial line trickling in, a byte every 2 s, is closed at the line deadline, not kept to the idle one")
    func tricklingPartialLine() throws {
        for first in ["{", " "] {
            let channel = try Self.makeChannel()
            try Self.send(channel, first)
            for _ in 0..<14 {
                Self.advance(channel, .seconds(2))
                try Self.send(channel, first == "{" ? "x" : " ")
            }
            Self.advance(channel, .seconds(2) - .nanoseconds(1))
            #expect(channel.isActive, "\(first.debugDescription): closed before the line deadline")
            Self.advance(channel, .nanoseconds(1))
            #expect(!channel.isActive, "\(first.debugDescription): 30 s into a partial line")
            _ = try channel.finish(acceptAlreadyClosed: true)
        }
    }

    @Test("a client that stopped reading its replies is closed after the idle timeout; one waiting for a reply is not")
    func stoppedReading() throws {
        // One request at a time: the second waits, reading stops, as when
        // the client does not take its replies.
        let stuck = TestResponder(held: true)
        let paused = try Self.makeChannel(responder: stuck, maxWaiting: 1)
        try Self.send(paused, Self.request + Self.request)
        #expect(stuck.requests == 1)
        Self.advance(paused, Self.idle)
        #expect(!paused.isActive, "a connection whose replies wait for the whole idle timeout")
        stuck.release()
        _ = try paused.finish(acceptAlreadyClosed: true)

        // A request still being answered, reading not stopped: not idle.
        let slow = TestResponder(held: true)
        let waiting = try Self.makeChannel(responder: slow)
        try Self.send(waiting, Self.request)
        Self.advance(waiting, Self.idle * 2)
        #expect(waiting.isActive, "closed while its request was being answered")
        slow.release()
        Self.advance(waiting, Self.idle)
        #expect(!waiting.isActive, "idle after its reply")
        _ = try waiting.finish(acceptAlreadyClosed: true)
    }
}
