import Foundation
import KoppelingCore
import Logging
import NIOCore
import NIOEmbedded
import NIOExtras
import Testing

@testable import KoppelingDaemon

/// The stop drains through the listener's quiescing helper: each
/// connection writes the reply it waits for, refuses the lines after it and
/// closes; what is still open after the grace period is closed then.
@Suite("Shutdown: draining the connections")
struct ShutdownDrainTests {
    static let hello = #"{"jsonrpc":"2.0","id":1,"method":"hello"}"#
    static let root = UCred(uid: 0, gid: 0)

    static func replies(_ channel: EmbeddedChannel) throws -> [String] {
        var replies: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { replies.append(String(buffer: buffer)) }
        return replies
    }

    @Test("the reply waited for is written, the lines after it are refused, then the close")
    func answeredThenRefusedThenClosed() throws {
        let responder = IdleBlankLineTests.TestResponder(held: true)
        let channel = try IdleBlankLineTests.makeChannel(responder: responder)
        try channel.writeInbound(ByteBuffer(string: "one\ntwo\nthree\n"))
        #expect(responder.requests == 1)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(channel.isActive, "closed before the reply it waits for")
        responder.release()
        let replies = try Self.replies(channel)
        #expect(responder.requests == 1, "a line after the stop began was run")
        #expect(replies.count == 3, "\(replies)")  // the held reply (none: released as nil), two refusals, the close's empty write
        #expect(replies.prefix(2).allSatisfy { $0.contains("shutting_down") }, "\(replies)")
        #expect(!channel.isActive)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test("a connection with nothing to answer closes at once")
    func idleClosesAtOnce() throws {
        let channel = try IdleBlankLineTests.makeChannel()
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(!channel.isActive)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test("SIGTERM with a client that pipelined: every line read is answered in order (its result or shutting_down), then the close, long before the grace period")
    func pipelinedClientIsAnsweredThenClosed() async throws {
        // Reads that wait a minute: beside the whole suite this test's
        // tasks may wait seconds for a thread.
        let server = try await InProcessServer.start(daemonUID: CallerLookupTests.daemonUID, clientTimeoutSeconds: 60)
        let serving = server.serve(graceSeconds: 120)
        let client = try server.client(as: Self.root)
        _ = try await blocking { try client.call(Self.hello) }
        // Small replies: all of them fit in the socket's buffers, so the
        // client may send them all before it reads.
        for id in 2...500 { client.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"version"}"#) }
        // The daemon is at work on them: the stop comes in the middle.
        let first = try await blocking { try client.readLine() }
        let stopping = ContinuousClock.now
        await serving.group.triggerGracefulShutdown()
        let lines = try await blocking { () throws -> [String] in
            var lines: [String] = []
            while let line = try client.readLine() { lines.append(line) }
            return lines
        }
        try await serving.task.value
        let stopped = ContinuousClock.now - stopping
        await server.stop()
        let replies = try ([first].compactMap { $0 } + lines).map { try json(Data($0.utf8)) }
        #expect(replies.map(\.id) == Array(2..<(2 + replies.count)), "answered in order, each once")
        #expect(replies.allSatisfy { $0.result != nil || $0.errorReason == "shutting_down" }, "\(lines.prefix(3))")
        print("stop amid 499 pipelined lines: \(replies.count) answered (\(replies.filter { $0.result != nil }.count) results), closed after \(stopped)")
        // Far below the grace period: the stop did not wait it out (beside
        // the whole suite the stop itself may wait seconds for a thread).
        #expect(stopped < .seconds(60), "the stop took \(stopped) with nothing left to wait for, grace period 120 s")
    }

    @Test("a connection whose reply does not come within the grace period is closed at its end")
    func closedAtTheEndOfTheGracePeriod() async throws {
        let server = try await InProcessServer.start(daemonUID: CallerLookupTests.daemonUID, clientTimeoutSeconds: 60)
        let serving = server.serve(graceSeconds: 1)
        let client = try server.client(as: Self.root)
        _ = try await blocking { try client.call(Self.hello) }
        // The writer thread is held until the test lets go: a change sent
        // now has no reply until after the connection closed.
        let gate = DispatchSemaphore(value: 0)
        let writer = server.writer
        let busy = Task { try await writer.run { _ in _ = gate.wait(timeout: .now() + 120) } }
        try await Task.sleep(for: .milliseconds(100))
        client.send(#"{"jsonrpc":"2.0","id":2,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Test"}}"#)
        try await Task.sleep(for: .milliseconds(100))
        let stopping = ContinuousClock.now
        await serving.group.triggerGracefulShutdown()
        let closed = try await blocking { try client.readLine() }
        let waited = ContinuousClock.now - stopping
        gate.signal()
        try await serving.task.value
        try await busy.value
        await server.stop()
        #expect(closed == nil, "the connection got \(closed ?? "") instead of being closed")
        #expect(waited >= .milliseconds(900), "closed after \(waited), before the grace period of 1 s ended")
    }
}
