import Foundation
import KoppelingCore
import KoppelingProtocol
import NIOCore
import Testing

@testable import KoppelingDaemon

/// How a line is read as one request or a batch (`Dispatcher.read`), what a
/// line gets when the daemon stops (`Dispatcher.refusal`).
@Suite("Reading batches")
struct BatchReadingTests {
    static func hello(_ id: Int) -> String { #"{"jsonrpc":"2.0","id":\#(id),"method":"hello"}"# }

    static func read(_ line: String) -> IncomingLine { Dispatcher.read(ByteBuffer(string: line)) }

    static func members(_ line: String) -> [Parsed]? {
        guard case .batch(let members) = read(line) else { return nil }
        return members
    }

    /// The error code of a ready reply.
    static func code(_ parsed: Parsed?) -> Int? {
        guard case .reply(let data)? = parsed,
            let object = try? JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any]
        else { return nil }
        return (object["error"] as? [String: Any])?["code"] as? Int
    }

    static func id(_ parsed: Parsed) -> RPCID? {
        if case .request(let request) = parsed { return request.id }
        return nil
    }

    @Test("members are split at the top level only: brackets, commas and quotes inside strings do not count")
    func splitting() throws {
        let tricky = #"{"jsonrpc":"2.0","id":"],[{\"\\","method":"school.get","params":{"brin6":"a,b]}","x":"]"}}"#
        let members = try #require(Self.members(" [ \(Self.hello(1)) ,\n\t\(tricky) , [1,[2]] , {} ]\r\n"))
        try #require(members.count == 4, "\(members)")
        #expect(Self.id(members[0]) == .number(1))
        // An unknown param of a read: a ready reply with the member's own id.
        guard case .reply(let data) = members[1] else {
            Issue.record("\(members[1])")
            return
        }
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any])
        #expect(reply["id"] as? String == #"],[{"\"#, "\(reply)")
        #expect(Self.code(members[2]) == RPCErrorCode.invalidRequest)
        #expect(Self.code(members[3]) == RPCErrorCode.invalidRequest)
    }

    @Test("a single object is read as it was before; a notification that runs nothing is dropped, one that runs stays")
    func singleLines() {
        guard case .single(let call?) = Self.read(Self.hello(1)) else {
            Issue.record("not a call")
            return
        }
        #expect(Self.id(call) == .number(1))
        guard case .single(nil) = Self.read(#"{"jsonrpc":"2.0","method":"bestaat.niet"}"#) else {
            Issue.record("an unknown method's notification runs")
            return
        }
        guard case .single(let change?) = Self.read(#"{"jsonrpc":"2.0","method":"school.add","params":{"brin6":1}}"#),
            case .request(let request) = change, request.id == nil
        else {
            Issue.record("a change sent as a notification with bad params must reach the chain (audited)")
            return
        }
        // `"id":null` is an id: answered.
        guard case .single(let answered?) = Self.read(#"{"jsonrpc":"2.0","id":null,"method":"bestaat.niet"}"#) else {
            Issue.record("a request with id null was taken for a notification")
            return
        }
        #expect(Self.code(answered) == RPCErrorCode.methodNotFound)
    }

    @Test("a member that names something twice is refused alone; the rest of the batch runs")
    func duplicateInOneMember() throws {
        let members = try #require(
            Self.members(#"[{"jsonrpc":"2.0","id":1,"method":"hello","id":2},\#(Self.hello(3)),{"a":{"b":1,"b":2}}]"#)
        )
        try #require(members.count == 3)
        #expect(Self.code(members[0]) == RPCErrorCode.invalidRequest)
        #expect(Self.id(members[1]) == .number(3))
        #expect(Self.code(members[2]) == RPCErrorCode.invalidRequest)
        // The same names in different members are no repetition.
        #expect(Self.members("[\(Self.hello(1)),\(Self.hello(2))]")?.count == 2)
    }

    @Test("up to maxBatchMembers members run; one more is one -32600 object")
    func bound() {
        let most = Dispatcher.maxBatchMembers
        let line = { (n: Int) in "[" + (0..<n).map(Self.hello).joined(separator: ",") + "]" }
        #expect(Self.members(line(most))?.count == most)
        guard case .single(let refusal) = Self.read(line(most + 1)) else {
            Issue.record("a batch over the bound was run")
            return
        }
        #expect(Self.code(refusal) == RPCErrorCode.invalidRequest)
    }

    @Test("when the daemon stops: a call is refused with its id, a notification gets nothing, a batch one array")
    func refusalWhileStopping() throws {
        let error = RPCError(code: RPCErrorCode.unavailable, reason: .shuttingDown, message: "stopt")
        let refuse = { (line: String) in
            Dispatcher.refusal(of: ByteBuffer(string: line), error).map { String(buffer: $0) }
        }
        #expect(refuse(#"{"jsonrpc":"2.0","method":"hello"}"#) == nil)
        #expect(refuse(#"[{"jsonrpc":"2.0","method":"hello"},{"jsonrpc":"2.0","method":"x"}]"#) == nil)
        let call = try #require(refuse(Self.hello(7)))
        #expect(call.contains(#""id":7"#) && call.contains("shutting_down"), "\(call)")
        let batch = try #require(
            refuse("[\(Self.hello(1)),{\"jsonrpc\":\"2.0\",\"method\":\"hello\"},\(Self.hello(2))]")
        )
        let replies = try #require(try JSONSerialization.jsonObject(with: Data(batch.utf8)) as? [[String: Any]])
        #expect(replies.map { $0["id"] as? Int } == [1, 2], "\(batch)")
    }
}
