import Foundation
import Testing

/// Bad lines on the socket: each gets an error reply with the right
/// JSON-RPC code, and the daemon keeps answering.
@Suite("Malformed and hostile input on the socket", .secretCanary)
struct RobustnessTests {
    struct BadLine: CustomStringConvertible, Sendable {
        let description: String
        let bytes: [UInt8]
        /// The JSON-RPC error codes accepted for it.
        let codes: Set<Int>
        var reason: String? = nil
        /// The id the reply must carry (NSNull for null).
        var id: Int? = nil
        var fields: [String]? = nil
    }

    static func line(_ text: String) -> [UInt8] { Array(text.utf8) }

    static let badLines: [BadLine] = [
        BadLine(description: "not JSON", bytes: line("dit is geen json"), codes: [-32700], reason: "parse_error"),
        BadLine(
            description: "truncated JSON",
            bytes: line(#"{"jsonrpc":"2.0","id":1,"method":"hello""#),
            codes: [-32700]
        ),
        BadLine(description: "{}", bytes: line("{}"), codes: [-32600], reason: "invalid_request"),
        BadLine(description: "[]", bytes: line("[]"), codes: [-32600], reason: "invalid_request"),
        BadLine(description: "a bare number", bytes: line("42"), codes: [-32600]),
        BadLine(description: "a bare string", bytes: line(#""hello""#), codes: [-32600]),
        BadLine(description: "null", bytes: line("null"), codes: [-32600]),
        BadLine(
            description: "jsonrpc 1.0",
            bytes: line(#"{"jsonrpc":"1.0","id":2,"method":"hello"}"#),
            codes: [-32600],
            id: 2
        ),
        BadLine(description: "jsonrpc missing", bytes: line(#"{"id":3,"method":"hello"}"#), codes: [-32600], id: 3),
        BadLine(description: "method missing", bytes: line(#"{"jsonrpc":"2.0","id":4}"#), codes: [-32600], id: 4),
        BadLine(
            description: "method not a string",
            bytes: line(#"{"jsonrpc":"2.0","id":5,"method":7}"#),
            codes: [-32600],
            id: 5
        ),
        BadLine(
            description: "id as an object",
            bytes: line(#"{"jsonrpc":"2.0","id":{"a":1},"method":"hello"}"#),
            codes: [-32600]
        ),
        BadLine(
            description: "id as an array",
            bytes: line(#"{"jsonrpc":"2.0","id":[1],"method":"hello"}"#),
            codes: [-32600]
        ),
        BadLine(
            description: "id as a fraction",
            bytes: line(#"{"jsonrpc":"2.0","id":1.5,"method":"hello"}"#),
            codes: [-32600]
        ),
        BadLine(
            description: "unknown method",
            bytes: line(#"{"jsonrpc":"2.0","id":6,"method":"school.destroy"}"#),
            codes: [-32601],
            reason: "method_not_found",
            id: 6
        ),
        BadLine(
            description: "method with a NUL escape",
            bytes: line(#"{"jsonrpc":"2.0","id":7,"method":"hel\u0000lo"}"#),
            codes: [-32601],
            id: 7
        ),
        BadLine(
            description: "brin6 as a number",
            bytes: line(#"{"jsonrpc":"2.0","id":8,"method":"school.add","params":{"brin6":5,"name":"OBS"}}"#),
            codes: [-32602],
            reason: "invalid_params",
            id: 8,
            fields: ["brin6"]
        ),
        BadLine(
            description: "agree as a string",
            bytes: line(
                #"{"jsonrpc":"2.0","id":9,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"topdossier","name":"Jan","agree":"yes","terms_version":"2024.1","verification_code":"21QW00abcdefghijklmnop"}}"#
            ),
            codes: [-32602],
            reason: "invalid_params",
            id: 9,
            fields: ["agree"]
        ),
        BadLine(
            description: "limit as a string",
            bytes: line(#"{"jsonrpc":"2.0","id":10,"method":"audit.list","params":{"limit":"10"}}"#),
            codes: [-32602],
            id: 10,
            fields: ["limit"]
        ),
        BadLine(
            description: "schools rows of the wrong shape",
            bytes: line(
                #"{"jsonrpc":"2.0","id":11,"method":"school.import","params":{"schools":[{"brin6":"21QW00"}]}}"#
            ),
            codes: [-32602],
            id: 11
        ),
        BadLine(
            description: "a required param missing",
            bytes: line(#"{"jsonrpc":"2.0","id":12,"method":"school.add","params":{"brin6":"21QW00"}}"#),
            codes: [-32602],
            id: 12,
            fields: ["name"]
        ),
        BadLine(
            description: "an unknown param name",
            bytes: line(#"{"jsonrpc":"2.0","id":13,"method":"school.get","params":{"brin6":"21QW00","brin":"x"}}"#),
            codes: [-32602],
            reason: "unknown_params",
            id: 13,
            fields: ["brin"]
        ),
        BadLine(
            description: "a param for a method without params",
            bytes: line(#"{"jsonrpc":"2.0","id":14,"method":"hello","params":{"verbose":true}}"#),
            codes: [-32602],
            reason: "unknown_params",
            id: 14,
            fields: ["verbose"]
        ),
        BadLine(
            description: "params as an array",
            bytes: line(#"{"jsonrpc":"2.0","id":15,"method":"school.get","params":["21QW00"]}"#),
            codes: [-32602],
            id: 15
        ),
        BadLine(
            description: "params as an array for a method without params",
            bytes: line(#"{"jsonrpc":"2.0","id":16,"method":"status","params":[]}"#),
            codes: [-32602],
            id: 16
        ),
        BadLine(
            description: "params as a string",
            bytes: line(#"{"jsonrpc":"2.0","id":17,"method":"school.list","params":"alles"}"#),
            codes: [-32602],
            id: 17
        ),
        BadLine(
            description: "invalid UTF-8 in a string",
            bytes: line(#"{"jsonrpc":"2.0","id":18,"method":"school.get","params":{"brin6":""#) + [0xFF, 0xFE, 0xC3]
                + line(#""}}"#),
            codes: [-32700]
        ),
        BadLine(description: "invalid UTF-8 outside strings", bytes: [0xC0, 0xAF, 0x80, 0xFF], codes: [-32700]),
        BadLine(
            description: "a NUL byte inside a JSON string",
            bytes: line(#"{"jsonrpc":"2.0","id":19,"method":"school.get","params":{"brin6":"21QW"#) + [0]
                + line(#"00"}}"#),
            codes: [-32700]
        ),
        BadLine(
            description: "a NUL byte between tokens",
            bytes: line(#"{"jsonrpc":"2.0","id":20,"#) + [0] + line(#""method":"hello"}"#),
            codes: [-32700]
        ),
        BadLine(description: "a lone NUL byte", bytes: [0], codes: [-32700]),
        BadLine(
            description: "100,000 nested [",
            bytes: [UInt8](repeating: UInt8(ascii: "["), count: 100_000),
            codes: [-32700]
        ),
        BadLine(
            // Closed, it is a batch (of one member too deep to read, which
            // gets its own -32700 in the reply's array): inside params here,
            // so the line is one request.
            description: "100,000 nested [ ] closed, in params",
            bytes: line(#"{"jsonrpc":"2.0","id":22,"method":"hello","params":"#)
                + [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
                + [UInt8](repeating: UInt8(ascii: "]"), count: 100_000) + line("}"),
            codes: [-32700, -32602]
        ),
        BadLine(
            description: "100,000 nested objects in params",
            bytes: line(#"{"jsonrpc":"2.0","id":21,"method":"hello","params":"#)
                + Array(String(repeating: #"{"a":"#, count: 100_000).utf8) + line("1")
                + [UInt8](repeating: UInt8(ascii: "}"), count: 100_001),
            codes: [-32700, -32602]
        ),
    ]

    /// Every bad line, one after another on one connection: each gets its
    /// error reply and `hello` still works on the same connection, on a new
    /// one, and the daemon is still running.
    @Test("each bad line gets the right error and the daemon still answers hello")
    func badLines() throws {
        let daemon = try DaemonProcess()
        let socket = try RawSocket(path: daemon.socketPath)
        var helloID = 1000
        for bad in Self.badLines {
            socket.send(bad.bytes + [UInt8(ascii: "\n")])
            let reply = try socket.readReply()
            #expect(reply["jsonrpc"] as? String == "2.0", "\(bad): \(reply)")
            #expect(reply["result"] == nil, "\(bad): \(reply)")
            let code = E2E.errorCode(reply)
            #expect(code.map { bad.codes.contains($0) } == true, "\(bad): got \(reply)")
            let error = reply["error"] as? [String: Any]
            #expect((error?["message"] as? String)?.isEmpty == false, "\(bad): no message")
            #expect(E2E.errorReason(reply) != nil, "\(bad): no data.reason in \(reply)")
            if let reason = bad.reason { #expect(E2E.errorReason(reply) == reason, "\(bad): \(reply)") }
            if let fields = bad.fields { #expect(E2E.errorFields(reply) == fields, "\(bad): \(reply)") }
            if let id = bad.id {
                #expect(reply["id"] as? Int == id, "\(bad): \(reply)")
            } else {
                #expect(reply["id"] is NSNull, "\(bad): the id should be null: \(reply)")
            }
            helloID += 1
            let hello = try socket.call(#"{"jsonrpc":"2.0","id":\#(helloID),"method":"hello"}"#)
            #expect(hello["id"] as? Int == helloID, "after \(bad): \(hello)")
            #expect((hello["result"] as? [String: Any])?["daemon"] as? String == "koppelingd", "after \(bad): \(hello)")
        }
        let fresh = try RawSocket(path: daemon.socketPath)
        let hello = try fresh.call(#"{"jsonrpc":"2.0","id":"laatste","method":"hello"}"#)
        #expect(hello["id"] as? String == "laatste")
        #expect(daemon.process.isRunning)
        #expect(daemon.stop() == 0)
    }

    /// Wrong types and a NUL escape must not have touched the register.
    @Test("refused lines change nothing; an escaped NUL is a rule failure, not a crash")
    func refusedLinesChangeNothing() throws {
        let daemon = try DaemonProcess()
        let socket = try RawSocket(path: daemon.socketPath)
        var reply = try socket.call(
            #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW\u000000","name":"OBS"}}"#
        )
        #expect(E2E.errorCode(reply) == -32001, "\(reply)")
        #expect(E2E.violationReasons(reply).contains("brin6_format"), "\(reply)")
        reply = try socket.call(
            #"{"jsonrpc":"2.0","id":2,"method":"school.add","params":{"brin6":"21QW00","name":"OBS\u0000"}}"#
        )
        #expect(E2E.errorCode(reply) == -32001, "\(reply)")
        reply = try socket.call(#"{"jsonrpc":"2.0","id":3,"method":"school.add","params":{"brin6":5,"name":"OBS"}}"#)
        #expect(E2E.errorCode(reply) == -32602, "\(reply)")
        reply = try socket.call(#"{"jsonrpc":"2.0","id":4,"method":"school.list"}"#)
        #expect(((reply["result"] as? [String: Any])?["schools"] as? [Any])?.isEmpty == true, "\(reply)")
        // The refused change of the wrong type is audited, as an invalid-params refusal.
        reply = try socket.call(#"{"jsonrpc":"2.0","id":5,"method":"audit.list"}"#)
        let entries = (reply["result"] as? [String: Any])?["entries"] as? [[String: Any]] ?? []
        #expect(
            entries.contains {
                $0["method"] as? String == "school.add" && ($0["reasons"] as? [String]) == ["invalid_params"]
            },
            "\(entries)"
        )
        #expect(daemon.stop() == 0)
    }

    @Test("a 2 MiB line gets line_too_long, then the connection is closed; others go on")
    func oversizedLine() throws {
        let daemon = try DaemonProcess()
        let bystander = try RawSocket(path: daemon.socketPath)
        let socket = try RawSocket(path: daemon.socketPath)
        let prefix = Self.line(#"{"jsonrpc":"2.0","id":1,"method":"hello","params":{"x":""#)
        let suffix = Self.line(#""}}"#) + [UInt8(ascii: "\n")]
        let big =
            prefix + [UInt8](repeating: UInt8(ascii: "a"), count: 2 * 1024 * 1024 - prefix.count - suffix.count + 1)
            + suffix
        #expect(big.count == 2 * 1024 * 1024 + 1)
        // The daemon may close while the tail is still being sent.
        socket.send(big)
        let reply = try socket.readReply()
        #expect(E2E.errorCode(reply) == -32600, "\(reply)")
        #expect(E2E.errorReason(reply) == "line_too_long", "\(reply)")
        #expect(reply["id"] is NSNull)
        do {
            let more = try socket.readLine()
            Issue.record("expected the connection to be closed, read \(more.count) more bytes")
        } catch {
            #expect(error == .closed, "the connection should be closed, not idle")
        }
        // A line of exactly 1 MiB (newline excluded) is still accepted.
        let exact = try RawSocket(path: daemon.socketPath)
        let exactLine =
            prefix + [UInt8](repeating: UInt8(ascii: "b"), count: (1 << 20) - prefix.count - 3) + Self.line(#""}}"#)
        #expect(exactLine.count == 1 << 20)
        exact.send(exactLine + [UInt8(ascii: "\n")])
        let exactReply = try exact.readReply()
        // Too long it is not; the unknown param is what is wrong with it.
        #expect(E2E.errorReason(exactReply) == "unknown_params", "\(exactReply)")

        let hello = try bystander.call(#"{"jsonrpc":"2.0","id":2,"method":"hello"}"#)
        #expect(hello["result"] != nil)
        let fresh = try RawSocket(path: daemon.socketPath)
        #expect(try fresh.call(#"{"jsonrpc":"2.0","id":3,"method":"hello"}"#)["result"] != nil)
        #expect(daemon.stop() == 0)
    }

    @Test("methods without params accept params omitted, {} and null")
    func paramlessMethods() throws {
        let daemon = try DaemonProcess()
        let socket = try RawSocket(path: daemon.socketPath)
        var id = 0
        for method in [
            "hello", "status", "school.list", "catalog.list", "timer.status", "timer.run", "eckid.status", "audit.list",
        ] {
            for params in ["", #","params":{}"#, #","params":null"#] {
                id += 1
                let reply = try socket.call(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)"\#(params)}"#)
                #expect(reply["id"] as? Int == id)
                #expect(reply["error"] == nil, "\(method) with params '\(params)': \(reply)")
                #expect(reply["result"] is [String: Any], "\(method) with params '\(params)': \(reply)")
            }
        }
        // A string id comes back as a string; a notification (no id) gets no reply.
        socket.send(#"{"jsonrpc":"2.0","method":"hello"}"# + "\n")
        let reply = try socket.call(#"{"jsonrpc":"2.0","id":"abc","method":"hello"}"#)
        #expect(reply["id"] as? String == "abc", "a notification must not be answered: \(reply)")
        #expect(daemon.stop() == 0)
    }
}
