import Foundation
import KoppelingProtocol
import Testing

/// JSON-RPC 2.0 §4.1, §5 and §6 over the real daemon's socket: a
/// notification is never answered (the first line after it is the reply
/// to the call sent after it), a batch is answered with one line, and the
/// notification and batch examples of docs/protocol.md hold.
@Suite("JSON-RPC 2.0 to the letter over the socket")
struct JSONRPCLetterEndToEndTests {
    static func value(_ line: Data) -> Any? { try? JSONSerialization.jsonObject(with: line) }

    static func code(_ object: Any?) -> Int? {
        ((object as? [String: Any])?["error"] as? [String: Any])?["code"] as? Int
    }

    @Test("notifications get no line: not for an unknown method, bad params, a refusal or a result")
    func notificationsAreNeverAnswered() throws {
        let daemon = try DaemonProcess()
        let socket = try RawSocket(path: daemon.socketPath)
        let notifications = [
            #"{"jsonrpc":"2.0","method":"bestaat.niet"}"#,
            #"{"jsonrpc":"2.0","method":"school.get","params":{"onbekend":1}}"#,
            #"{"jsonrpc":"2.0","method":"school.list","params":"x"}"#,
            #"{"jsonrpc":"2.0","method":"school.add","params":{"brin6":"2QW00","name":"Fout"}}"#,
            #"{"jsonrpc":"2.0","method":"hello"}"#,
        ]
        for notification in notifications {
            socket.send(notification + "\n" + #"{"jsonrpc":"2.0","id":"na","method":"hello"}"# + "\n")
            let reply = try socket.readReply()
            #expect(reply["id"] as? String == "na", "\(notification) was answered: \(reply)")
        }
        #expect(daemon.stop() == 0)
    }

    @Test("a batch is one line: the replies of its calls in order, a write seen by the read after it")
    func batch() throws {
        let daemon = try DaemonProcess()
        let socket = try RawSocket(path: daemon.socketPath)
        socket.send(
            #"[{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"De Regenboog"}},"#
                + #"{"jsonrpc":"2.0","method":"hello"},"#
                + #"{"jsonrpc":"2.0","id":2,"method":"school.get","params":{"brin6":"21QW00"}},"#
                + #"1,{"jsonrpc":"2.0","id":3,"method":"bestaat.niet"}]"# + "\n"
        )
        let line = try socket.readLine()
        let replies = try #require(Self.value(line) as? [[String: Any]], "\(String(decoding: line, as: UTF8.self))")
        #expect(replies.map { "\($0["id"] ?? "none")" } == ["1", "2", "<null>", "3"], "\(replies)")
        let school = (replies[1]["result"] as? [String: Any])?["school"] as? [String: Any]
        #expect(school?["name"] as? String == "De Regenboog", "\(replies[1])")
        #expect(Self.code(replies[2]) == RPCErrorCode.invalidRequest)
        #expect(Self.code(replies[3]) == RPCErrorCode.methodNotFound)

        // `[]` is one object; a batch of notifications gets no line at all.
        let empty = Self.value(
            try {
                socket.send("[]\n")
                return try socket.readLine()
            }()
        )
        #expect(
            empty is [String: Any] && Self.code(empty) == RPCErrorCode.invalidRequest,
            "\(String(describing: empty))"
        )
        socket.send(#"[{"jsonrpc":"2.0","method":"hello"},{"jsonrpc":"2.0","method":"bestaat.niet"}]"# + "\n")
        #expect(try socket.call(#"{"jsonrpc":"2.0","id":4,"method":"hello"}"#)["id"] as? Int == 4)
        #expect(daemon.stop() == 0)
    }

    /// A notification example of docs/protocol.md (a ```json notification
    /// block), or a batch example (```json batch request, then ```json
    /// batch reply); ProtocolDocTests replays only the single calls.
    struct DocExample {
        let line: Int
        let kind: String
        let body: String
    }

    static func docExamples() throws -> [DocExample] {
        let text = try String(contentsOf: ProtocolDocTests.documentURL, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        var examples: [DocExample] = []
        var i = 0
        while i < lines.count {
            let fence = lines[i].trimmingCharacters(in: .whitespaces)
            let kinds = [
                "```json notification": "notification", "```json batch request": "request",
                "```json batch reply": "reply",
            ]
            if let kind = kinds[fence] {
                let start = i + 1
                var body: [String] = []
                i += 1
                while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces) != "```" {
                    if !lines[i].trimmingCharacters(in: .whitespaces).isEmpty { body.append(lines[i]) }
                    i += 1
                }
                try #require(body.count == 1, "docs/protocol.md:\(start): one line per block")
                examples.append(DocExample(line: start, kind: kind, body: body[0]))
            }
            i += 1
        }
        return examples
    }

    @Test("the notification and batch examples of docs/protocol.md")
    func documentedExamples() throws {
        let examples = try Self.docExamples()
        #expect(examples.contains { $0.kind == "notification" }, "docs/protocol.md shows no notification")
        #expect(examples.contains { $0.kind == "request" }, "docs/protocol.md shows no batch")
        let daemon = try DaemonProcess()
        let socket = try RawSocket(path: daemon.socketPath)
        var index = 0
        while index < examples.count {
            let example = examples[index]
            index += 1
            switch example.kind {
            case "notification":
                socket.send(example.body + "\n")
                let reply = try socket.call(#"{"jsonrpc":"2.0","id":"na","method":"hello"}"#)
                #expect(reply["id"] as? String == "na", "docs/protocol.md:\(example.line) was answered: \(reply)")
            case "request":
                let documented = try #require(
                    examples.indices.contains(index) && examples[index].kind == "reply" ? examples[index] : nil,
                    "docs/protocol.md:\(example.line): a batch request without a batch reply after it"
                )
                index += 1
                socket.send(example.body + "\n")
                let actual = try socket.readLine()
                let actualValue = try #require(Self.value(actual), "\(String(decoding: actual, as: UTF8.self))")
                let documentedValue = try #require(
                    Self.value(Data(documented.body.utf8)),
                    "docs/protocol.md:\(documented.line) is not JSON"
                )
                let differences = ProtocolDocTests.shapeDifferences(
                    documented: documentedValue,
                    actual: actualValue,
                    path: ""
                )
                #expect(
                    differences.isEmpty && Self.ids(documentedValue) == Self.ids(actualValue),
                    "docs/protocol.md:\(example.line): \(differences) \(String(decoding: actual, as: UTF8.self))"
                )
            default:
                Issue.record("docs/protocol.md:\(example.line): a batch reply without a batch request before it")
            }
        }
        #expect(daemon.stop() == 0)
    }

    /// The ids of a reply or of each reply of a batch, in order.
    static func ids(_ value: Any) -> [String] {
        let replies = value as? [[String: Any]] ?? [value as? [String: Any] ?? [:]]
        return replies.map { "\($0["id"] ?? "none")" }
    }
}
