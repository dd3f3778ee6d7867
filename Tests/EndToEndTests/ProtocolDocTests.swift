import Foundation
import KoppelingClient
import KoppelingCore
import KoppelingProtocol
import Testing

/// docs/protocol.md pins the protocol with one request/reply example per
/// method. These tests replay every documented request, top to bottom, on
/// one connection to a fresh daemon and check that each real reply has the
/// documented shape, so the documentation cannot drift from the daemon.
@Suite("docs/protocol.md matches the daemon")
struct ProtocolDocTests {
    /// One ```json request block and the ```json reply block after it.
    struct Example {
        let line: Int
        let request: String
        let reply: String

        /// The method the request calls, when the request is JSON at all.
        var method: String? {
            (try? JSONSerialization.jsonObject(with: Data(request.utf8)) as? [String: Any])?["method"] as? String
        }

        var label: String { "docs/protocol.md:\(line) (\(method ?? "no method"))" }
    }

    static let documentURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // EndToEndTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("docs/protocol.md")

    static func examples() throws -> [Example] {
        let text = try String(contentsOf: documentURL, encoding: .utf8)
        return try parse(text)
    }

    enum DocError: Error, CustomStringConvertible {
        case malformed(line: Int, String)
        var description: String {
            switch self {
            case .malformed(let line, let why): "docs/protocol.md:\(line): \(why)"
            }
        }
    }

    /// Finds every ```json request block and pairs it with the ```json reply
    /// block that must follow it. Each block holds exactly one line: the
    /// protocol sends one JSON object per line.
    static func parse(_ text: String) throws -> [Example] {
        let lines = text.components(separatedBy: "\n")
        var blocks: [(kind: String, line: Int, body: String)] = []
        var i = 0
        while i < lines.count {
            let fence = lines[i].trimmingCharacters(in: .whitespaces)
            if fence == "```json request" || fence == "```json reply" {
                let start = i + 1
                var body: [String] = []
                i += 1
                while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces) != "```" {
                    body.append(lines[i])
                    i += 1
                }
                guard i < lines.count else { throw DocError.malformed(line: start, "code block is not closed") }
                let content = body.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                guard content.count == 1 else {
                    throw DocError.malformed(
                        line: start,
                        "a request or reply block must hold exactly one line, found \(content.count)"
                    )
                }
                blocks.append((fence == "```json request" ? "request" : "reply", start, content[0]))
            }
            i += 1
        }
        var examples: [Example] = []
        var j = 0
        while j < blocks.count {
            guard blocks[j].kind == "request" else {
                throw DocError.malformed(line: blocks[j].line, "a reply block without a request block before it")
            }
            guard j + 1 < blocks.count, blocks[j + 1].kind == "reply" else {
                throw DocError.malformed(line: blocks[j].line, "a request block without a reply block after it")
            }
            examples.append(Example(line: blocks[j].line, request: blocks[j].body, reply: blocks[j + 1].body))
            j += 2
        }
        return examples
    }

    @Test func everyMethodHasAnExample() throws {
        let examples = try Self.examples()
        let documented = Set(examples.compactMap(\.method))
        for method in Methods.all {
            #expect(documented.contains(method.name), "docs/protocol.md has no example for '\(method.name)'")
        }
        for name in documented.subtracting(Methods.all.map(\.name)) {
            // Examples of error replies may call a method that does not exist
            // on purpose; anything else is a stale example.
            let replies = examples.filter { $0.method == name }.map { Self.json($0.reply) }
            #expect(
                replies.allSatisfy {
                    (($0 as? [String: Any])?["error"] as? [String: Any])?["code"] as? Int == RPCErrorCode.methodNotFound
                },
                "docs/protocol.md documents '\(name)', which is not a method"
            )
        }
    }

    /// §7 lists every reason code the protocol has, and no other.
    @Test func everyReasonCodeIsListed() throws {
        let text = try String(contentsOf: Self.documentURL, encoding: .utf8)
        let section = try #require(text.range(of: "## 7. Reason codes").map { String(text[$0.upperBound...]) })
        let listed = Set(
            section.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("| `") else { return nil }
                return line.dropFirst(3).split(separator: "`", maxSplits: 1).first.map(String.init)
            }
        )
        let known = Set(Reason.allCases.map(\.rawValue))
        for reason in known.subtracting(listed).sorted() {
            Issue.record("docs/protocol.md §7 does not list the reason code '\(reason)'")
        }
        for reason in listed.subtracting(known).sorted() {
            Issue.record("docs/protocol.md §7 lists '\(reason)', which is not a reason code")
        }
    }

    @Test func documentedRepliesAreJSONWithMatchingIDs() throws {
        for example in try Self.examples() {
            let reply = try #require(
                Self.json(example.reply) as? [String: Any],
                "\(example.label): the reply is not a JSON object"
            )
            #expect(reply["jsonrpc"] as? String == "2.0", "\(example.label): reply without \"jsonrpc\":\"2.0\"")
            #expect(
                (reply["result"] == nil) != (reply["error"] == nil),
                "\(example.label): a reply has either result or error"
            )
            if let id = Self.expectedID(example) {
                #expect(Self.sameID(id, reply["id"]), "\(example.label): the reply's id differs from the request's")
            }
        }
    }

    @Test func helloExampleListsExactlyTheMethods() throws {
        let hello = try #require(try Self.examples().first { $0.method == Methods.hello.name })
        let reply = try #require(Self.json(hello.reply) as? [String: Any])
        let methods = (reply["result"] as? [String: Any])?["methods"] as? [String]
        #expect(methods == Methods.all.map(\.name))
    }

    @Test func replayedRequestsGetRepliesOfTheDocumentedShape() throws {
        let examples = try Self.examples()
        try #require(!examples.isEmpty, "docs/protocol.md holds no examples")
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let connection = try daemon.connect()
        Self.waitForStartUpRun(connection)

        for example in examples {
            let actualData = try connection.exchange(Data(example.request.utf8))
            let actualText = String(decoding: actualData, as: UTF8.self)
            guard let actual = Self.json(actualText) as? [String: Any] else {
                Issue.record("\(example.label): the daemon's reply is not a JSON object: \(actualText.prefix(300))")
                continue
            }
            let documented = Self.json(example.reply) as? [String: Any] ?? [:]
            let differences =
                Self.shapeDifferences(documented: documented, actual: actual, path: "")
                + Self.errorDifferences(documented: documented, actual: actual)
            if let id = Self.expectedID(example) {
                #expect(Self.sameID(id, actual["id"]), "\(example.label): reply id \(actual["id"] ?? "none")")
            }
            #expect(
                differences.isEmpty,
                """
                \(example.label): the reply differs from the documented one:
                  \(differences.joined(separator: "\n  "))
                request: \(example.request)
                actual:  \(actualText.prefix(2000))
                """
            )
        }
        #expect(daemon.stop() == 0)
    }

    // MARK: - Shape comparison

    /// The daemon makes the day's scheduled run at start-up when it has
    /// none yet (a fresh database included), and checks the audit chain
    /// after it; the documented `status` and `timer.status` replies show
    /// that run and that check, so wait for both before replaying.
    static func waitForStartUpRun(_ connection: KoppelingConnection) {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let data = try? connection.exchange(Data(#"{"jsonrpc":"2.0","id":0,"method":"status"}"#.utf8)),
                let reply = json(String(decoding: data, as: UTF8.self)) as? [String: Any],
                let result = reply["result"] as? [String: Any],
                (result["timer"] as? [String: Any])?["last_scheduled_run"] is [String: Any],
                result["audit_chain"] is [String: Any]
            {
                return
            }
            usleep(20_000)
        }
    }

    static func json(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    /// The id the reply to a request with an id must carry: the request's,
    /// but null when the line names a member twice (§2: such a line is not
    /// read at all).
    static func expectedID(_ example: Example) -> Any? {
        guard let request = json(example.request) as? [String: Any], let id = request["id"] else { return nil }
        let reply = json(example.reply) as? [String: Any]
        let reason = ((reply?["error"] as? [String: Any])?["data"] as? [String: Any])?["reason"] as? String
        return reason == Reason.duplicateMember.rawValue ? NSNull() : id
    }

    static func sameID(_ a: Any?, _ b: Any?) -> Bool {
        switch (a, b) {
        case (let x as String, let y as String): x == y
        case (let x as NSNumber, let y as NSNumber): x == y
        case (is NSNull, is NSNull): true
        default: false
        }
    }

    /// The kind of a JSON value. Booleans and numbers are one kind:
    /// JSONSerialization gives both as NSNumber.
    static func kind(_ value: Any) -> String {
        switch value {
        case is [String: Any]: "object"
        case is [Any]: "array"
        case is String: "string"
        case is NSNull: "null"
        case is NSNumber: "number or boolean"
        default: "\(type(of: value))"
        }
    }

    /// Where the actual value's shape differs from the documented one: the
    /// same keys in every object, recursively, and the same kind of value.
    /// Values themselves (times, uptime, paths, users) may differ. For
    /// arrays the first elements are compared when both are non-empty.
    static func shapeDifferences(documented: Any, actual: Any, path: String) -> [String] {
        let here = path.isEmpty ? "(top level)" : path
        switch (documented, actual) {
        case (let d as [String: Any], let a as [String: Any]):
            var out: [String] = []
            let dKeys = Set(d.keys)
            let aKeys = Set(a.keys)
            for key in dKeys.subtracting(aKeys).sorted() { out.append("\(here): documented key '\(key)' is missing") }
            for key in aKeys.subtracting(dKeys).sorted() { out.append("\(here): key '\(key)' is not documented") }
            for key in dKeys.intersection(aKeys).sorted() {
                out += shapeDifferences(
                    documented: d[key]!,
                    actual: a[key]!,
                    path: path.isEmpty ? key : "\(path).\(key)"
                )
            }
            return out
        case (let d as [Any], let a as [Any]):
            guard let first = d.first, let other = a.first else { return [] }
            return shapeDifferences(documented: first, actual: other, path: "\(path)[0]")
        default:
            let dk = kind(documented)
            let ak = kind(actual)
            return dk == ak ? [] : ["\(here): documented \(dk), got \(ak)"]
        }
    }

    /// For error replies: the same code and `data.reason`, and the same
    /// violated rules in the same order.
    static func errorDifferences(documented: [String: Any], actual: [String: Any]) -> [String] {
        guard let d = documented["error"] as? [String: Any], let a = actual["error"] as? [String: Any] else {
            return []
        }
        var out: [String] = []
        let dCode = d["code"] as? Int
        let aCode = a["code"] as? Int
        if dCode != aCode {
            out.append(
                "error.code: documented \(dCode.map(String.init) ?? "none"), got \(aCode.map(String.init) ?? "none")"
            )
        }
        let dData = d["data"] as? [String: Any]
        let aData = a["data"] as? [String: Any]
        let dReason = dData?["reason"] as? String
        let aReason = aData?["reason"] as? String
        if dReason != aReason {
            out.append("error.data.reason: documented \(dReason ?? "none"), got \(aReason ?? "none")")
        }
        func rules(_ data: [String: Any]?) -> [String] {
            ((data?["violations"] as? [[String: Any]]) ?? []).map {
                "\($0["field"] as? String ?? "?"):\($0["reason"] as? String ?? "?")"
            }
        }
        if rules(dData) != rules(aData) {
            out.append("error.data.violations: documented \(rules(dData)), got \(rules(aData))")
        }
        return out
    }

    // MARK: - The comparison itself

    @Test func shapeComparisonNoticesMissingAndNewKeys() {
        let documented: [String: Any] = ["result": ["a": 1, "b": ["x": "y"], "list": [["k": 1]]]]
        #expect(Self.shapeDifferences(documented: documented, actual: documented, path: "").isEmpty)
        let changedValues: [String: Any] = ["result": ["a": 2, "b": ["x": "z"], "list": [["k": 5], ["other": 1]]]]
        #expect(Self.shapeDifferences(documented: documented, actual: changedValues, path: "").isEmpty)
        let missing: [String: Any] = ["result": ["a": 1, "b": [String: Any](), "list": [["k": 1]]]]
        #expect(
            Self.shapeDifferences(documented: documented, actual: missing, path: "") == [
                "result.b: documented key 'x' is missing"
            ]
        )
        let extra: [String: Any] = ["result": ["a": 1, "b": ["x": "y"], "list": [["k": 1, "n": 2]]]]
        #expect(
            Self.shapeDifferences(documented: documented, actual: extra, path: "") == [
                "result.list[0]: key 'n' is not documented"
            ]
        )
        let error: [String: Any] = ["error": ["code": -32001, "message": "m", "data": ["reason": "r", "fields": []]]]
        #expect(Self.shapeDifferences(documented: documented, actual: error, path: "").count == 2)
    }
}
