import Foundation
import Glibc
import KoppelingCore
import KoppelingProtocol
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import KoppelingDaemon

/// A reader cannot take every connection: a uid that may only read holds at
/// most 32, and the last slots of the cap are for callers who may change.
/// Through the daemon's socket and connection handler, with callers from
/// the made-up directory of `CallerLookupTests`.
@Suite("Readers cannot take every connection")
struct ReaderConnectionCapTests {
    /// May only read.
    static let reader = UCred(uid: 1001, gid: 1001)
    /// In the admin group.
    static let admin = UCred(uid: 1002, gid: 1002)
    static let perReader = DaemonConfig.Defaults.maxConnectionsPerReader

    static let hello = #"{"jsonrpc":"2.0","id":1,"method":"hello"}"#
    static let schoolAdd =
        #"{"jsonrpc":"2.0","id":2,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Regenboog"}}"#

    static func start(maxConnections: Int = 64) async throws -> InProcessServer {
        try await InProcessServer.start(
            directory: CallerLookupTests.directory,
            daemonUID: CallerLookupTests.daemonUID,
            maxConnections: maxConnections
        )
    }

    /// `count` connections of `cred`, each answered a hello (so each is admitted).
    static func hold(_ count: Int, as cred: UCred, on server: InProcessServer) throws -> [TimedClient] {
        try (0..<count).map { n in
            let client = try server.client(as: cred)
            let reply = try client.call(hello)
            try #require(reply.result != nil, "connection \(n) of uid \(cred.uid): \(reply.raw)")
            return client
        }
    }

    @Test("the 33rd connection of a reader gets one too_many_connections line and runs nothing; others get in")
    func readerCap() async throws {
        let server = try await Self.start()
        let outcome = try await blocking { () throws -> CapOutcome in
            let held = try Self.hold(Self.perReader, as: Self.reader, on: server)
            let extra = try server.client(as: Self.reader)
            // A change a reader may not make would leave a refusal in the audit if it ran.
            extra.send(Self.schoolAdd)
            let refusal = try extra.readLine()
            // A read that times out is not the end of file.
            let afterRefusal: String
            do { afterRefusal = try extra.readLine().map { "a second line: \($0)" } ?? "end of file" } catch {
                afterRefusal = "\(error)"
            }
            let admin = try server.client(as: Self.admin)
            let adminHello = try admin.call(Self.hello)
            let otherReader = try server.client(as: UCred(uid: 1003, gid: CallerLookupTests.readerGID)).call(Self.hello)
            let stillServed = try held[0].call(Self.hello)
            let audit = try admin.call(#"{"jsonrpc":"2.0","id":3,"method":"audit.list","params":{}}"#)
            return CapOutcome(
                held: held.count,
                refusal: try refusal.map { try json(Data($0.utf8)) },
                afterRefusal: afterRefusal,
                admin: adminHello,
                otherReader: otherReader,
                stillServed: stillServed,
                audit: audit
            )
        }
        await server.stop()

        #expect(outcome.held == 32)
        let refusal = try #require(outcome.refusal, "no line before the close")
        #expect(refusal.errorCode == -32005 && refusal.errorReason == "too_many_connections", "\(refusal.raw)")
        #expect(refusal.object["id"] is NSNull, "\(refusal.raw)")
        let message = refusal.error?["message"] as? String ?? ""
        #expect(message.contains("leerkracht") && message.contains("32") && message.contains("lezen"), "\(message)")
        #expect(outcome.afterRefusal == "end of file", "the refused connection is closed after its one line")
        #expect(outcome.admin.result != nil, "an administrator while the reader holds 32: \(outcome.admin.raw)")
        #expect(outcome.otherReader.result != nil, "another reader: \(outcome.otherReader.raw)")
        #expect(outcome.stillServed.result != nil, "the reader's own connections: \(outcome.stillServed.raw)")
        let entries = try #require(outcome.audit.result?["entries"] as? [[String: Any]], "\(outcome.audit.raw)")
        #expect(!entries.contains { $0["method"] as? String == "school.add" }, "the refused line ran: \(entries)")
    }

    @Test("when one of its 32 closes, the reader gets exactly one connection again")
    func closingOneMakesRoom() async throws {
        let server = try await Self.start()
        let (refusedBefore, admitted, refusedAfter) = try await blocking { () throws -> (Reply?, Bool, Reply?) in
            var held = try Self.hold(Self.perReader, as: Self.reader, on: server)
            let before = try server.client(as: Self.reader).readLine().map { try json(Data($0.utf8)) }
            held.removeFirst()  // closes it
            // The daemon notices the close a moment later.
            let deadline = Date().addingTimeInterval(5)
            var admitted: TimedClient?
            while admitted == nil, Date() < deadline {
                let client = try server.client(as: Self.reader)
                let reply = try client.call(Self.hello)
                if reply.result != nil {
                    admitted = client
                } else {
                    try #require(reply.errorReason == "too_many_connections", "\(reply.raw)")
                    usleep(20_000)
                }
            }
            if let admitted { held.append(admitted) }
            let after = try server.client(as: Self.reader).readLine().map { try json(Data($0.utf8)) }
            return (before, admitted != nil, after)
        }
        await server.stop()

        #expect(refusedBefore?.errorReason == "too_many_connections", "\(refusedBefore?.raw ?? "no line")")
        #expect(admitted, "no connection of the reader admitted within 5 s after one of its 32 closed")
        #expect(refusedAfter?.errorReason == "too_many_connections", "\(refusedAfter?.raw ?? "no line")")
    }

    @Test(
        "--max-connections 40: readers of three uids fill the 35 unreserved slots; the next reader is refused, administrators get in"
    )
    func reservedSlots() async throws {
        let server = try await Self.start(maxConnections: 40)
        #expect(DaemonConfig.Defaults.reservedForAdministrators(maxConnections: 40) == 5)
        let outcome = try await blocking { () throws -> ReservedOutcome in
            var held: [TimedClient] = []
            for (uid, count) in [(1001, 12), (1003, 12), (1004, 11)] as [(UInt32, Int)] {
                held += try Self.hold(count, as: UCred(uid: uid, gid: CallerLookupTests.readerGID), on: server)
            }
            var refusals: [Reply] = []
            // A new uid, and one that holds only 12.
            for uid in [1005, 1001] as [UInt32] {
                let client = try server.client(as: UCred(uid: uid, gid: CallerLookupTests.readerGID))
                client.send(Self.hello)
                if let line = try client.readLine() { refusals.append(try json(Data(line.utf8))) }
            }
            var admins: [Reply] = []
            for cred in [Self.admin, UCred(uid: 0, gid: 0), Self.admin] {
                let client = try server.client(as: cred)
                admins.append(try client.call(Self.hello))
                held.append(client)
            }
            return ReservedOutcome(readers: held.count - admins.count, refusals: refusals, admins: admins)
        }
        await server.stop()

        #expect(outcome.readers == 35)
        #expect(outcome.refusals.count == 2)
        for refusal in outcome.refusals {
            #expect(refusal.errorCode == -32005 && refusal.errorReason == "too_many_connections", "\(refusal.raw)")
            let message = refusal.error?["message"] as? String ?? ""
            #expect(message.contains("beheerders") && message.contains("5"), "\(message)")
        }
        for (n, reply) in outcome.admins.enumerated() {
            #expect(reply.result != nil, "administrator \(n) with 35 readers connected: \(reply.raw)")
        }
    }

    // MARK: - The registry's counts

    @Test("per uid: 32 readers, then refusals (the first one flagged for the log); a close makes room")
    func registryCountsPerUID() {
        let registry = ConnectionRegistry(maxConnections: 1024)
        let reader = Caller(user: "leerkracht", uid: 1001, mayChange: false)
        var channels: [EmbeddedChannel] = []
        func open(_ caller: Caller) -> ConnectionRegistry.CallerAdmission? {
            let channel = EmbeddedChannel()
            guard registry.admit(channel) == .admitted else { return nil }
            let admission = registry.admit(channel, as: caller)
            if admission == .admitted { channels.append(channel) }
            return admission
        }
        for _ in 0..<32 { #expect(open(reader) == .admitted) }
        #expect(open(reader) == .readerCap(first: true))
        #expect(open(reader) == .readerCap(first: false))
        #expect(open(Caller(user: "conciërge", uid: 1003, mayChange: false)) == .admitted)
        #expect(open(Caller(user: "root", uid: 0, mayChange: true)) == .admitted)
        // The refused ones hold no slot.
        #expect(registry.connectionCount == 34)

        registry.remove(channels.removeFirst())
        #expect(open(reader) == .admitted)
        // Still at its cap since it last had none: no second log line.
        #expect(open(reader) == .readerCap(first: false))

        for channel in channels { registry.remove(channel) }
        channels.removeAll()
        #expect(registry.connectionCount == 0)
        for _ in 0..<32 { #expect(open(reader) == .admitted) }
        #expect(open(reader) == .readerCap(first: true))
    }

    @Test("a connection that closes before its caller is known counts for no uid")
    func closedBeforeTheCallerIsKnown() {
        let registry = ConnectionRegistry(maxConnections: 1024)
        let reader = Caller(user: "leerkracht", uid: 1001, mayChange: false)
        let early = EmbeddedChannel()
        #expect(registry.admit(early) == .admitted)
        registry.remove(early)
        #expect(registry.admit(early, as: reader) == .gone)
        #expect(registry.connectionCount == 0)
        // All 32 of the uid's connections are still free.
        for _ in 0..<32 {
            let channel = EmbeddedChannel()
            #expect(registry.admit(channel) == .admitted)
            #expect(registry.admit(channel, as: reader) == .admitted)
        }
    }

    @Test("the reserve: the last slots are for callers who may change; 16 at most, an eighth of a small cap")
    func registryReserve() {
        #expect(DaemonConfig.Defaults.reservedForAdministrators(maxConnections: 1024) == 16)
        #expect(DaemonConfig.Defaults.reservedForAdministrators(maxConnections: 8) == 1)
        #expect(DaemonConfig.Defaults.reservedForAdministrators(maxConnections: 7) == 0)
        let registry = ConnectionRegistry(maxConnections: 16)  // 2 reserved
        var uid = 2000
        func open(mayChange: Bool) -> ConnectionRegistry.CallerAdmission? {
            let channel = EmbeddedChannel()
            guard registry.admit(channel) == .admitted else { return nil }
            uid += 1
            return registry.admit(channel, as: Caller(user: "u\(uid)", uid: uid, mayChange: mayChange))
        }
        for _ in 0..<14 { #expect(open(mayChange: false) == .admitted) }
        #expect(open(mayChange: false) == .reserved(first: true))
        #expect(open(mayChange: false) == .reserved(first: false))
        #expect(open(mayChange: true) == .admitted)
        #expect(open(mayChange: true) == .admitted)
        // Full: the cap itself refuses before the caller is known.
        #expect(open(mayChange: true) == nil)
    }
}

/// A connection's lines wait, unparsed, until its caller is admitted; then
/// they are answered in order, however their replies come.
@Suite("Lines that wait for their caller")
struct WaitingForTheCallerTests {
    /// A caller the test gives when it wants.
    final class LaterCaller: CallerSource, @unchecked Sendable {
        var promise: EventLoopPromise<Caller>?

        func caller(on channel: any Channel) -> EventLoopFuture<Caller> {
            let promise = channel.eventLoop.makePromise(of: Caller.self)
            self.promise = promise
            return promise.futureResult
        }
    }

    /// Replies with the line itself, at once; the line `"held"` when the test
    /// releases it (as a change on the database thread would come later).
    final class EchoResponder: Responder, @unchecked Sendable {
        var held: EventLoopPromise<ByteBuffer?>?
        var lines: [String] = []

        func respond(to line: ByteBuffer, from caller: Caller, connection: ConnectionEnd, on loop: any EventLoop) -> Answer {
            let text = String(buffer: line)
            lines.append(text)
            guard text == "held" else { return .now(line) }
            let promise = loop.makePromise(of: ByteBuffer?.self)
            held = promise
            return .later(promise.futureResult)
        }
    }

    static func makeChannel(
        _ responder: EchoResponder,
        _ callers: LaterCaller,
        registry: ConnectionRegistry = ConnectionRegistry(maxConnections: 8)
    ) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let pipeline = ConnectionPipeline(
            responder: responder,
            callers: callers,
            registry: registry,
            maxWaiting: 64,
            idleTimeout: .seconds(300),
            lineTimeout: .seconds(30),
            logger: Logger(label: "test")
        )
        try pipeline.addHandlers(to: channel)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    static func replies(_ channel: EmbeddedChannel) throws -> [String] {
        var replies: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { replies.append(String(buffer: buffer)) }
        return replies
    }

    @Test("an admitted caller's waiting lines start in order, and the line after a reply that waits starts only once it is there")
    func admittedInOrder() throws {
        let responder = EchoResponder()
        let callers = LaterCaller()
        let channel = try Self.makeChannel(responder, callers)
        try channel.writeInbound(ByteBuffer(string: "one\nheld\nthree\nfour\n"))
        #expect(responder.lines.isEmpty, "parsed before the caller was known")
        callers.promise?.succeed(Caller(user: "leerkracht", uid: 1001, mayChange: false))
        #expect(responder.lines == ["one", "held"], "a line was handed over before the reply before it was there")
        // A line read later queues behind the reply that waits, too.
        try channel.writeInbound(ByteBuffer(string: "five\n"))
        #expect(responder.lines == ["one", "held"])
        #expect(try Self.replies(channel) == ["one\n"])
        responder.held?.succeed(ByteBuffer(string: "held"))
        #expect(responder.lines == ["one", "held", "three", "four", "five"])
        #expect(try Self.replies(channel) == ["held\n", "three\n", "four\n", "five\n"])
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test("a refused reader's waiting lines are never handed on: one error line, then the close")
    func refusedRunsNothing() throws {
        let registry = ConnectionRegistry(maxConnections: 8, maxPerReader: 1)
        let reader = Caller(user: "leerkracht", uid: 1001, mayChange: false)
        let firstCallers = LaterCaller()
        let first = try Self.makeChannel(EchoResponder(), firstCallers, registry: registry)
        firstCallers.promise?.succeed(reader)
        #expect(registry.connectionCount == 1)
        let responder = EchoResponder()
        let callers = LaterCaller()
        let second = try Self.makeChannel(responder, callers, registry: registry)
        try second.writeInbound(ByteBuffer(string: "one\ntwo\n"))
        callers.promise?.succeed(reader)
        #expect(responder.lines.isEmpty)
        let replies = try Self.replies(second)
        #expect(replies.count == 1 && replies[0].contains("too_many_connections"), "\(replies)")
        #expect(!second.isActive)
        #expect(registry.connectionCount == 1, "the refused one still holds a slot")
        _ = try second.finish(acceptAlreadyClosed: true)
        _ = try first.finish(acceptAlreadyClosed: true)
    }
}

struct CapOutcome: @unchecked Sendable {
    let held: Int
    let refusal: Reply?
    let afterRefusal: String
    let admin: Reply
    let otherReader: Reply
    let stillServed: Reply
    let audit: Reply
}

struct ReservedOutcome: @unchecked Sendable {
    let readers: Int
    let refusals: [Reply]
    let admins: [Reply]
}

/// A client socket whose reads give up after a few seconds, so a refusal
/// that never comes fails the test rather than hanging it.
final class TimedClient {
    enum Failure: Error {
        case connect(Int32)
        case read(Int32)
        case timedOut
    }

    private let fd: Int32
    private var buffer: [UInt8] = []

    init(path: String, timeoutSeconds: Int = 5) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0, let address = UnixSocketAddress(path: path) else { throw Failure.connect(errno) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard address.withSockaddr({ connect(fd, $0, $1) }) == 0 else {
            let code = errno
            close(fd)
            throw Failure.connect(code)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends `line` and a `\n`; a closed connection is not an error here.
    func send(_ line: String) {
        let bytes = Array(line.utf8) + [UInt8(ascii: "\n")]
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The next line, or nil once the connection is closed.
    func readLine() throws -> String? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            // A peer that closes with lines of ours unread resets the
            // connection (after the lines it wrote): closed all the same.
            if n == 0 || (n < 0 && errno == ECONNRESET) { return nil }
            if n < 0 { throw errno == EAGAIN || errno == EWOULDBLOCK ? Failure.timedOut : Failure.read(errno) }
            buffer += chunk[..<n]
        }
    }

    /// Sends `line` and reads its reply; the end of file is a failure.
    func call(_ line: String) throws -> Reply {
        send(line)
        guard let reply = try readLine() else { throw Failure.timedOut }
        return try json(Data(reply.utf8))
    }
}
