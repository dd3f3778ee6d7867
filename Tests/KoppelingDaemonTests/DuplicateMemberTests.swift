import Foundation
import KoppelingCore
import KoppelingProtocol
import NIOCore
import Testing

@testable import KoppelingDaemon

/// A request line with an object that names a member twice says two
/// things: it is refused with -32600 `duplicate_member` and nothing runs.
@Suite("Duplicate member names")
struct DuplicateMemberTests {
    static func verdict(_ text: String) -> JSONSyntax.Verdict {
        Data(text.utf8).withUnsafeBytes(JSONSyntax.verdict)
    }

    /// The repeated name, as code points (`Verdict`'s `==` compares Strings,
    /// which treats `é` and `e\u{301}` as equal).
    static func duplicateName(_ text: String) -> [Unicode.Scalar]? {
        guard case .duplicateMember(let name) = verdict(text) else { return nil }
        return Array(name.unicodeScalars)
    }

    /// The reply `Dispatcher.parse` gives, if it gives one.
    static func reply(_ line: String) -> [String: Any]? {
        guard case .reply(let data) = Dispatcher.parse(ByteBuffer(string: line)) else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any]
    }

    /// Checks the refusal and returns its message.
    @discardableResult
    static func expectRefused(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let reply = reply(line)
        let error = reply?["error"] as? [String: Any]
        let data = error?["data"] as? [String: Any]
        #expect(
            error?["code"] as? Int == RPCErrorCode.invalidRequest,
            "\(line) → \(String(describing: reply))",
            sourceLocation: sourceLocation
        )
        #expect(data?["reason"] as? String == "duplicate_member", "\(line)", sourceLocation: sourceLocation)
        #expect(data?["fields"] as? [String] == [], "\(line)", sourceLocation: sourceLocation)
        #expect(
            reply?["id"] is NSNull,
            "\(line): the id of a line that says two things is null",
            sourceLocation: sourceLocation
        )
        return error?["message"] as? String
    }

    static func isCall(_ line: String) -> Bool {
        if case .request(let r) = Dispatcher.parse(ByteBuffer(string: line)), case .success = r.call { return true }
        return false
    }

    @Test("the reason's raw value is part of the protocol")
    func reasonRawValue() {
        #expect(Reason.duplicateMember.rawValue == "duplicate_member")
        #expect(Reason(rawValue: "duplicate_member") == .duplicateMember)
    }

    @Test("method twice in the envelope: -32600, nothing runs")
    func envelope() {
        let line = #"{"jsonrpc":"2.0","id":1,"method":"hello","method":"school.add"}"#
        #expect(Self.verdict(line) == .duplicateMember("method"))
        let message = Self.expectRefused(line)
        #expect(message?.contains("'method'") == true, "\(String(describing: message))")
        // Without the second `method` it is a call.
        #expect(Self.isCall(#"{"jsonrpc":"2.0","id":1,"method":"hello"}"#))
        // `id` itself, and a notification (no id): refused all the same.
        Self.expectRefused(#"{"jsonrpc":"2.0","id":1,"id":2,"method":"hello"}"#)
        Self.expectRefused(#"{"jsonrpc":"2.0","method":"hello","jsonrpc":"2.0"}"#)
        Self.expectRefused(#"{"jsonrpc":"2.0","id":1,"method":"hello","params":{},"params":null}"#)
    }

    @Test("a name twice inside params")
    func insideParams() {
        let line =
            #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"A","brin6":"21QW01"}}"#
        #expect(Self.verdict(line) == .duplicateMember("brin6"))
        Self.expectRefused(line)
        // Unknown names too: the duplicate is found before the unknown name.
        Self.expectRefused(#"{"jsonrpc":"2.0","id":1,"method":"hello","params":{"zz":1,"zz":2}}"#)
    }

    @Test("a name twice in an object nested in an array")
    func nestedInArray() {
        let line =
            #"{"jsonrpc":"2.0","id":1,"method":"school.import","params":{"schools":[{"brin6":"21QW00","name":"A"},"#
            + #"{"brin6":"21QW01","name":"B","name":"C"}]}}"#
        #expect(Self.verdict(line) == .duplicateMember("name"))
        Self.expectRefused(line)
        // In an unread envelope member, deep down.
        Self.expectRefused(#"{"jsonrpc":"2.0","id":1,"method":"hello","x":[1,[{"k":{"a":[],"b":{},"a":null}}]]}"#)
    }

    @Test("names are compared after unescaping")
    func escapedEqualNames() {
        #expect(Self.verdict(#"{"a":1,"\u0061":2}"#) == .duplicateMember("a"))
        #expect(Self.verdict(#"{"\u0061":1,"a":2}"#) == .duplicateMember("a"))
        #expect(Self.verdict(#"{"a/b":1,"a\/b":2}"#) == .duplicateMember("a/b"))
        #expect(Self.verdict(#"{"\n":1,"\u000A":2}"#) == .duplicateMember("\n"))
        #expect(Self.verdict(#"{"\"":1,"\u0022":2}"#) == .duplicateMember("\""))
        #expect(Self.verdict(#"{"\\":1,"\u005c":2}"#) == .duplicateMember("\\"))
        #expect(Self.verdict(#"{"é":1,"\u00E9":2}"#) == .duplicateMember("é"))
        #expect(Self.verdict(#"{"😀":1,"\ud83d\ude00":2}"#) == .duplicateMember("😀"))
        #expect(Self.verdict(#"{"\uD83D\uDE00x":1,"\ud83d\ude00\u0078":2}"#) == .duplicateMember("😀x"))
        #expect(Self.verdict(#"{"\u0000":1,"\u0000":2}"#) == .duplicateMember("\u{0}"))
        Self.expectRefused(#"{"jsonrpc":"2.0","id":1,"method":"hello","\u006dethod":"school.add"}"#)
        // Code point by code point: no Unicode normalisation, no case folding.
        #expect(Self.verdict(#"{"é":1,"e\u0301":2}"#) == .valid)
        #expect(Self.verdict(#"{"\u00e9":1,"e\u0301":2}"#) == .valid)
        #expect(Self.verdict(#"{"a":1,"A":2,"\u0041\u0301":3}"#) == .valid)
        #expect(Self.verdict(#"{"ab":1,"a":2,"b":3,"\u0061\u0062\u0063":4,"":5}"#) == .valid)
        #expect(Self.duplicateName(#"{"e\u0301":1,"e\u0301":2}"#) == ["e", "\u{301}"])
    }

    @Test("the same name in sibling or nested objects is fine")
    func distinctObjects() {
        #expect(Self.verdict(#"[{"a":1},{"a":2}]"#) == .valid)
        #expect(Self.verdict(#"{"a":{"a":1}}"#) == .valid)
        #expect(Self.verdict(#"{"a":{"b":1},"b":{"a":{"a":{"b":[{"a":1,"b":2},{"b":3,"a":4}]}}}}"#) == .valid)
        #expect(Self.verdict(#"{"a":[],"b":{},"c":[{}],"d":""}"#) == .valid)
        #expect(
            Self.isCall(#"{"jsonrpc":"2.0","id":1,"method":"hello","x":[{"a":1},{"a":2}],"y":{"a":{"a":1}}}"#)
        )
        let rows =
            #"{"jsonrpc":"2.0","id":1,"method":"school.import","params":{"schools":[{"brin6":"21QW00","name":"A"},"#
            + #"{"brin6":"21QW01","name":"B"}]}}"#
        #expect(Self.isCall(rows))
    }

    @Test("after an object closes, its names are forgotten, and its parent's kept")
    func namesAfterNestedObjects() {
        #expect(Self.verdict(#"{"a":{"b":1,"c":2},"b":{"c":3},"c":4}"#) == .valid)
        #expect(Self.verdict(#"{"a":{"b":1},"b":2,"a":3}"#) == .duplicateMember("a"))
        #expect(Self.verdict(#"{"a":[{"b":1}],"a":3}"#) == .duplicateMember("a"))
    }

    @Test("a line that is not JSON is a parse error, whatever it repeats")
    func syntaxFirst() {
        for text in [
            #"{"a":1,"a":2,}"#, #"{"a":1,"a":2"#, #"{"a":1,"a":2}x"#, #"{"a":1,"a":"\q"}"#, #"{"a":1,"a":01}"#,
        ] {
            #expect(Self.verdict(text) == .invalid, "\(text)")
        }
        let reply = Self.reply(#"{"jsonrpc":"2.0","id":1,"method":"hello","method":"x","y":-}"#)
        #expect((reply?["error"] as? [String: Any])?["code"] as? Int == RPCErrorCode.parseError)
    }

    @Test("the first repetition in the line is the one named")
    func firstRepetition() {
        #expect(Self.verdict(#"{"a":{"x":1,"x":2},"a":1}"#) == .duplicateMember("x"))
        #expect(Self.verdict(#"{"a":1,"a":{"x":1,"x":2}}"#) == .duplicateMember("a"))
        #expect(Self.verdict(#"{"a":1,"b":2,"b":3,"a":4}"#) == .duplicateMember("b"))
    }

    @Test("objects past the linear limit use a hash table, with the same answers")
    func largeObjects() {
        func object(_ names: [String]) -> String {
            "{" + names.enumerated().map { #""\#($1)":\#($0)"# }.joined(separator: ",") + "}"
        }
        let many = (0..<200).map { "n\($0)" }
        #expect(Self.verdict(object(many)) == .valid)
        for (first, second) in [(0, 199), (0, 16), (0, 17), (15, 16), (16, 17), (17, 18), (40, 120)] {
            var names = many
            names[second] = names[first]
            #expect(Self.verdict(object(names)) == .duplicateMember("n\(first)"), "\(first), \(second)")
        }
        // An escaped spelling hashes as the plain one.
        var escaped = many
        escaped[150] = #"\u006e\u0031\u0030"#  // n10
        #expect(Self.verdict(object(escaped)) == .duplicateMember("n10"))
        // A large object inside a large object, and siblings after it.
        let inner = object(many)
        let outer = "{" + many.prefix(30).map { #""\#($0)":\#(inner)"# }.joined(separator: ",") + "}"
        #expect(Self.verdict(outer) == .valid)
        #expect(Self.verdict(String(outer.dropLast()) + #","n29":1}"#) == .duplicateMember("n29"))
        #expect(Self.verdict("[" + inner + "," + inner + "]") == .valid)
        // A large object's table is dropped when it closes: the parent is linear again.
        #expect(Self.verdict(#"{"a":"# + inner + #","n0":1,"a":2}"#) == .duplicateMember("a"))
        #expect(Self.verdict(#"{"a":"# + inner + #","n0":1,"n1":2}"#) == .valid)
    }

    @Test("the message names a short printable member; any other only masked")
    func messageMasking() {
        let long = String(repeating: "x", count: 41) + "SECRET"
        let longMessage = Self.expectRefused(#"{"jsonrpc":"2.0","id":1,"method":"hello","\#(long)":1,"\#(long)":2}"#)
        #expect(longMessage?.contains("SECRET") == false, "\(String(describing: longMessage))")
        #expect(longMessage?.contains(long.masked) == true, "\(String(describing: longMessage))")
        let forty = String(repeating: "y", count: 40)
        let fortyMessage = Self.expectRefused(#"{"jsonrpc":"2.0","id":1,"method":"hello","\#(forty)":1,"\#(forty)":2}"#)
        #expect(fortyMessage?.contains("'\(forty)'") == true, "\(String(describing: fortyMessage))")
        for (name, shown) in [(#"a\nb"#, "a?b"), (#"a\u0007"#, "a?"), (#"a\u202Eb"#, "a?b"), (#"\u2028"#, "?")] {
            let message = Self.expectRefused(#"{"jsonrpc":"2.0","id":1,"method":"hello","\#(name)":1,"\#(name)":2}"#)
            #expect(message?.contains("'\(shown)'") == true, "\(String(describing: message))")
            #expect(
                message?.unicodeScalars.contains { [0x0A, 0x07, 0x202E, 0x2028].contains($0.value) } == false,
                "\(String(describing: message))"
            )
        }
        // Long and not printable: masked, and still nothing raw.
        let bidi = String(repeating: #"\u202E"#, count: 50)
        let bidiMessage = Self.expectRefused(#"{"jsonrpc":"2.0","id":1,"method":"hello","\#(bidi)":1,"\#(bidi)":2}"#)
        #expect(bidiMessage?.contains("'??????… (50 tekens)'") == true, "\(String(describing: bidiMessage))")
    }

    // MARK: - A slow, obviously right twin

    /// A JSON value built here, so whether an object repeats a name is known
    /// without reading the text back.
    indirect enum Node {
        case object([(name: [Unicode.Scalar], value: Node)])
        case array([Node])
        case scalar(String)

        var hasLargeObject: Bool {
            switch self {
            case .scalar: false
            case .array(let items): items.contains { $0.hasLargeObject }
            case .object(let members):
                members.count > JSONSyntax.linearLimit || members.contains { $0.value.hasLargeObject }
            }
        }

        /// The first name an object repeats, in the order of the text: a
        /// member's name comes before its value, its value before the next.
        var firstDuplicate: [Unicode.Scalar]? {
            switch self {
            case .scalar: return nil
            case .array(let items):
                for item in items { if let d = item.firstDuplicate { return d } }
                return nil
            case .object(let members):
                var seen: [[Unicode.Scalar]] = []
                for member in members {
                    if seen.contains(member.name) { return member.name }
                    seen.append(member.name)
                    if let d = member.value.firstDuplicate { return d }
                }
                return nil
            }
        }
    }

    /// Names that look alike, spell alike once unescaped, or do not.
    static let namePool: [[Unicode.Scalar]] = [
        "a", "b", "A", "ab", "id", "method", "params", "", "é", "e\u{301}", "😀", "a/b", "\n", "\"", "\\",
        "\u{0}", "\u{7F}", "\u{FFFF}", "\u{10FFFF}", "ü", "u\u{308}",
    ].map { Array($0.unicodeScalars) }

    /// One of the many ways to write a name in JSON.
    static func spell(_ name: [Unicode.Scalar], _ rng: inout SplitMix64) -> String {
        var out = "\""
        for scalar in name {
            let v = scalar.value
            let short: String? =
                switch v {
                case 0x22: #"\""#
                case 0x5C: #"\\"#
                case 0x2F: #"\/"#
                case 0x08: #"\b"#
                case 0x0C: #"\f"#
                case 0x0A: #"\n"#
                case 0x0D: #"\r"#
                case 0x09: #"\t"#
                default: nil
                }
            let rawAllowed = v >= 0x20 && v != 0x22 && v != 0x5C
            switch rng.below(3) {
            case 0 where rawAllowed: out.unicodeScalars.append(scalar)
            case 1 where short != nil: out += short!
            default:
                func unit(_ u: UInt32) -> String {
                    let hex = String(u, radix: 16)
                    let padded = String(repeating: "0", count: 4 - hex.count) + hex
                    return #"\u"# + (rng.below(2) == 0 ? padded : padded.uppercased())
                }
                if v > 0xFFFF {
                    let w = v - 0x10000
                    out += unit(0xD800 + (w >> 10)) + unit(0xDC00 + (w & 0x3FF))
                } else {
                    out += unit(v)
                }
            }
        }
        return out + "\""
    }

    static func randomNode(_ rng: inout SplitMix64, depth: Int) -> Node {
        switch depth >= 4 ? 2 : rng.below(5) {
        case 0, 1:
            // Now and then an object past the linear limit.
            let count = rng.below(8) == 0 ? 17 + rng.below(24) : rng.below(6)
            let members = (0..<count).map { _ in
                let name =
                    count > 16 && rng.below(3) != 0
                    ? Array("n\(rng.below(200))".unicodeScalars) : namePool[rng.below(namePool.count)]
                return (name: name, value: randomNode(&rng, depth: depth + 1))
            }
            return .object(members)
        case 2:
            return .scalar(["1", "-0.5e3", "true", "false", "null", #""s""#, #""\u0061""#][rng.below(7)])
        default:
            return .array((0..<rng.below(4)).map { _ in randomNode(&rng, depth: depth + 1) })
        }
    }

    static func text(_ node: Node, _ rng: inout SplitMix64) -> String {
        let space = { (rng: inout SplitMix64) in [" ", "", "", "\t", "\n", "\r\n "][rng.below(6)] }
        switch node {
        case .scalar(let s): return s
        case .array(let items):
            return "[" + space(&rng) + items.map { text($0, &rng) }.joined(separator: "," + space(&rng)) + "]"
        case .object(let members):
            return "{" + space(&rng)
                + members.map { spell($0.name, &rng) + space(&rng) + ":" + space(&rng) + text($0.value, &rng) }
                .joined(separator: space(&rng) + ",") + space(&rng) + "}"
        }
    }

    @Test("random documents: the checker agrees with the tree they were written from")
    func twin() {
        var rng = SplitMix64(seed: 0x6B6F_7070)
        var duplicates = 0
        var large = 0
        for _ in 0..<3000 {
            let node = Self.randomNode(&rng, depth: 0)
            let text = Self.text(node, &rng)
            if node.hasLargeObject { large += 1 }
            let expected = node.firstDuplicate
            if expected != nil { duplicates += 1 }
            switch Self.verdict(text) {
            case .invalid:
                Issue.record("valid JSON called invalid: \(text)")
            case .valid:
                #expect(expected == nil, "missed \(String(describing: expected)) in \(text)")
            case .duplicateMember(let name):
                #expect(Array(name.unicodeScalars) == expected, "\(text)")
            }
        }
        // Both answers occur often enough to mean something.
        #expect(duplicates > 300 && duplicates < 2700, "\(duplicates)")
        #expect(large > 100, "\(large)")
    }
}
