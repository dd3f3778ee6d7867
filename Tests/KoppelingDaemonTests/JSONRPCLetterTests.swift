import Foundation
import Glibc
import KoppelingCore
import KoppelingProtocol
import Testing

@testable import KoppelingDaemon

/// JSON-RPC 2.0 §4.1, §5 and §6 through the daemon's socket, connection
/// handler, database thread and read connections (in process): a
/// notification is never answered, a batch is answered with one line.
/// Each notification is followed by a call on the same connection: the
/// first line back must be that call's reply.
@Suite("JSON-RPC 2.0 to the letter: notifications and batches", .serialized)
struct JSONRPCLetterTests {
    static let root = UCred(uid: 0, gid: 0)
    static let reader = UCred(uid: 1001, gid: 1001)

    static func hello(_ id: Int) -> String { #"{"jsonrpc":"2.0","id":\#(id),"method":"hello"}"# }

    /// The line's JSON value: an object, an array of objects, or nil.
    static func value(_ line: String?) -> Any? {
        line.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
    }

    static func id(_ object: Any?) -> Any? { (object as? [String: Any])?["id"] }

    static func code(_ object: Any?) -> Int? {
        ((object as? [String: Any])?["error"] as? [String: Any])?["code"] as? Int
    }

    static func reason(_ object: Any?) -> String? {
        (((object as? [String: Any])?["error"] as? [String: Any])?["data"] as? [String: Any])?["reason"] as? String
    }

    /// Runs `body` with a client of `cred` on a fresh in-process daemon.
    static func withClient<T: Sendable>(
        as cred: UCred = root,
        _ body: @escaping @Sendable (TimedClient) throws -> T
    ) async throws -> T {
        let register = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        let server = try await InProcessServer.start(register: register, daemonUID: CallerLookupTests.daemonUID, clientTimeoutSeconds: 60)
        do {
            let outcome = try await blocking { try body(try server.client(as: cred)) }
            await server.stop()
            return outcome
        } catch {
            await server.stop()
            throw error
        }
    }

    @Test("a notification to an unknown method, or with bad params to a read, gets no line")
    func notificationsWithoutMethodOrParams() async throws {
        let lines = try await Self.withClient { client in
            client.send(#"{"jsonrpc":"2.0","method":"bestaat.niet"}"#)
            client.send(#"{"jsonrpc":"2.0","method":"school.get","params":{"onbekend":1}}"#)
            client.send(#"{"jsonrpc":"2.0","method":"school.get","params":{"brin6":7}}"#)
            client.send(#"{"jsonrpc":"2.0","method":"school.list","params":[1]}"#)
            client.send(#"{"jsonrpc":"2.0","method":"hello"}"#)
            client.send(Self.hello(1))
            return [try client.readLine()]
        }
        #expect(Self.id(Self.value(lines[0])) as? Int == 1, "a notification was answered: \(lines)")
    }

    @Test("a refused change sent as a notification by a reader gets no line")
    func permissionRefusalOfANotification() async throws {
        let line = try await Self.withClient(as: Self.reader) { client in
            client.send(#"{"jsonrpc":"2.0","method":"school.add","params":{"brin6":"21QW00","name":"A"}}"#)
            client.send(#"{"jsonrpc":"2.0","method":"school.add","params":{"brin6":7}}"#)
            client.send(Self.hello(2))
            return try client.readLine()
        }
        #expect(Self.id(Self.value(line)) as? Int == 2, "a refused notification was answered: \(line ?? "none")")
    }

    @Test("invalid requests and parse errors are answered, with id null where none can be read")
    func invalidRequestsAreAnswered() async throws {
        let lines = try await Self.withClient { client in
            var lines: [String?] = []
            for line in [
                #"{"jsonrpc":"2.0","method":1}"#, #"{"method":"hello"}"#, #"{"jsonrpc":"2.0","method":"hello""#,
                #"{"jsonrpc":"2.0","method":"hello","method":"hello"}"#,
                #"{"jsonrpc":"2.0","id":[1],"method":"hello"}"#,
            ] {
                client.send(line)
                lines.append(try client.readLine())
            }
            return lines
        }
        let codes = lines.map { Self.code(Self.value($0)) }
        #expect(codes == [-32600, -32600, -32700, -32600, -32600], "\(lines)")
        for line in lines { #expect(Self.id(Self.value(line)) is NSNull, "\(line ?? "none")") }
    }

    @Test("a batch: one line, an array of the calls' replies in order; a write then a read sees the write")
    func batchInOrder() async throws {
        let line = try await Self.withClient { client in
            client.send(
                "["
                    + [
                        Self.hello(1),
                        #"{"jsonrpc":"2.0","method":"hello"}"#,
                        #"{"jsonrpc":"2.0","id":"add","method":"school.add","params":{"brin6":"21QW00","name":"De Regenboog"}}"#,
                        #"{"jsonrpc":"2.0","id":3,"method":"school.get","params":{"brin6":"21QW00"}}"#,
                        #"{"jsonrpc":"2.0","id":4,"method":"bestaat.niet"}"#,
                        #"{"jsonrpc":"2.0","method":"bestaat.niet"}"#,
                        #"{"jsonrpc":"2.0","id":5,"method":"school.get","params":{"onbekend":1}}"#,
                    ].joined(separator: ",") + "]"
            )
            client.send(Self.hello(9))
            return (try client.readLine(), try client.readLine())
        }
        let replies = try #require(Self.value(line.0) as? [[String: Any]], "not an array: \(line.0 ?? "none")")
        #expect(replies.map { "\($0["id"] ?? "none")" } == ["1", "add", "3", "4", "5"], "\(replies)")
        #expect(replies[1]["result"] != nil, "\(replies[1])")
        let school = (replies[2]["result"] as? [String: Any])?["school"] as? [String: Any]
        #expect(school?["name"] as? String == "De Regenboog", "the read did not see the write: \(replies[2])")
        #expect(Self.code(replies[3]) == RPCErrorCode.methodNotFound)
        #expect(Self.code(replies[4]) == RPCErrorCode.invalidParams)
        #expect(Self.id(Self.value(line.1)) as? Int == 9, "\(line.1 ?? "none")")
    }

    @Test("[] is one -32600 object with id null")
    func emptyBatch() async throws {
        let line = try await Self.withClient { client in
            client.send("[]")
            return try client.readLine()
        }
        let reply = Self.value(line)
        #expect(reply is [String: Any], "not one object: \(line ?? "none")")
        #expect(Self.code(reply) == RPCErrorCode.invalidRequest && Self.id(reply) is NSNull, "\(line ?? "none")")
    }

    @Test("a batch of only notifications gets no line, whatever they ask")
    func batchOfNotifications() async throws {
        let line = try await Self.withClient { client in
            client.send(
                #"[{"jsonrpc":"2.0","method":"hello"},{"jsonrpc":"2.0","method":"bestaat.niet"},"#
                    + #"{"jsonrpc":"2.0","method":"school.get","params":{"x":1}},"#
                    + #"{"jsonrpc":"2.0","method":"school.add","params":{"brin6":"2QW00","name":"Fout"}}]"#
            )
            client.send(Self.hello(7))
            return try client.readLine()
        }
        #expect(Self.id(Self.value(line)) as? Int == 7, "a batch of notifications was answered: \(line ?? "none")")
    }

    @Test("invalid members get their own -32600 with id null inside the array; the others run")
    func invalidMembers() async throws {
        let line = try await Self.withClient { client in
            client.send(
                #"[1,"x",[],[\#(Self.hello(3))],{"jsonrpc":"2.0","id":4,"method":"hello","method":"hello"},"#
                    + #"{"foo":"boo"},\#(Self.hello(5))]"#
            )
            return try client.readLine()
        }
        let replies = try #require(Self.value(line) as? [[String: Any]], "not an array: \(line ?? "none")")
        try #require(replies.count == 7, "\(replies)")
        for reply in replies.prefix(6) {
            #expect(Self.code(reply) == RPCErrorCode.invalidRequest && reply["id"] is NSNull, "\(reply)")
        }
        #expect(Self.reason(replies[4]) == "duplicate_member", "\(replies[4])")
        #expect(replies[6]["id"] as? Int == 5 && replies[6]["result"] != nil, "\(replies[6])")
    }

    @Test("a batch that is not JSON is one parse error")
    func batchNotJSON() async throws {
        let line = try await Self.withClient { client in
            client.send(#"[{"jsonrpc":"2.0","id":1,"method":"hello"},{"jsonrpc":"2.0","method""#)
            return try client.readLine()
        }
        let reply = Self.value(line)
        #expect(reply is [String: Any] && Self.code(reply) == RPCErrorCode.parseError, "\(line ?? "none")")
    }

    @Test("a batch over the bound is one -32600 object and runs nothing")
    func batchOverTheBound() async throws {
        let line = try await Self.withClient { client in
            let add = #"{"jsonrpc":"2.0","id":0,"method":"school.add","params":{"brin6":"21QW00","name":"Te veel"}}"#
            client.send("[" + ([add] + Array(repeating: Self.hello(1), count: 1_000)).joined(separator: ",") + "]")
            let refusal = try client.readLine()
            return (refusal, try client.call(#"{"jsonrpc":"2.0","id":2,"method":"school.list"}"#).raw)
        }
        let reply = Self.value(line.0)
        #expect(reply is [String: Any] && Self.code(reply) == RPCErrorCode.invalidRequest, "\(line.0 ?? "none")")
        #expect(!line.1.contains("21QW00"), "a member of a refused batch ran: \(line.1)")
    }

    @Test("a change refused inside a batch, as a notification, is still audited")
    func refusedNotificationInABatchIsAudited() async throws {
        let audit = try await Self.withClient(as: Self.reader) { client in
            client.send(
                #"[{"jsonrpc":"2.0","method":"school.add","params":{"brin6":"21QW00","name":"A"}},\#(Self.hello(1))]"#
            )
            _ = try client.readLine()
            return try client.call(#"{"jsonrpc":"2.0","id":2,"method":"audit.list","params":{"limit":10}}"#)
        }
        let entries = ((audit.object["result"] as? [String: Any])?["entries"] as? [[String: Any]]) ?? []
        #expect(entries.contains { $0["outcome"] as? String == "refused" }, "\(audit.raw)")
    }
}
