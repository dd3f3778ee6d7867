import Foundation
import KoppelingCore
import KoppelingProtocol
import NIOCore
import Testing

@testable import KoppelingDaemon

/// The daemon's decoder (`JSONTree` and `TreeDecoder`) against Foundation's
/// `JSONDecoder`, its slow twin: every line gets the same outcome from
/// both, the reply byte for byte or the request with the same id, method,
/// subject and params, or the same refusal of its params.
@Suite("The request decoder decodes what JSONDecoder decodes")
struct TreeDecoderTests {
    /// What a line became, in words that can be compared.
    static func outcome(_ line: String, _ decoding: Dispatcher.Decoding) throws -> String {
        switch Dispatcher.parse(ByteBuffer(string: line), decoding: decoding) {
        case .reply(let data):
            return "reply " + String(buffer: data)
        case .request(let r):
            let head =
                "request \(String(describing: r.id)) \(r.method.name) \(r.subject.school ?? "-")"
                + " \(r.subject.koppeling ?? "-") \(r.subject.schools)"
            switch r.call {
            case .success(let call):
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                return head + " params " + String(decoding: try encoder.encode(call.params), as: UTF8.self)
            case .failure(let error):
                return head + " refused \(error)"
            }
        }
    }

    static func expectSame(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try outcome(line, .tree)
        let foundation = try outcome(line, .foundation)
        #expect(ours == foundation, "\(line)", sourceLocation: sourceLocation)
    }

    /// Values that each part of a decoder can get wrong.
    static let values: [String] = [
        #""21QW00""#, #""topdossier""#, #""""#, #"" spaces ""#, #""J. de Vries""#, #""2026-12-01""#,
        #""\u0032\u0031QW00""#, #""a\"b\\c\/d\b\f\n\r\t""#, #""\ud83d\ude00 é""#, #""\u0000""#, #""é""#,
        "0", "-0", "1", "-1", "1.0", "1.5", "1e2", "1E2", "1e-2", "10e-1", "0.1e1", "-1.0e0",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "1e19", "1e400", "123456789012345678901234567890", "9223372036854775807.0", "2147483648",
        "1.00000000000000000001", "true", "false", "null", "[]", "{}", "[1]", #"["a"]"#, #"{"a":1}"#,
        #"[{"brin6":"21QW00","name":"A"}]"#, #"[{"brin6":"21QW00","verification_code":"21QW00Xk3mP9qR7sT2vW5yZ8"}]"#,
        #"[{"brin6":1}]"#, #"[{}]"#, "[null]", #"[{"brin6":"21QW00","name":"A","extra":true}]"#,
        #"[{"brin6":"21QW00"},{"brin6":"21QW01","name":null}]"#,
    ]

    static let ids = ["1", "-7", #""abc""#, "null", "1.0", "1e2", "1.5", "9223372036854775808", "true", "[]", "{}"]

    static func pick<T>(_ xs: [T], _ rng: inout SplitMix64) -> T { xs[rng.below(xs.count)] }

    /// A request for `route` with some of its params (and now and then one
    /// it does not have), each with a value from the pool.
    static func line(_ route: Route, _ rng: inout SplitMix64) -> String {
        var keys = route.allowedKeys.sorted()
        if rng.below(8) == 0 { keys.append("onbekend") }
        let members = keys.filter { _ in rng.below(5) != 0 }.map { #""\#($0)":\#(pick(values, &rng))"# }
        let params: String
        switch rng.below(12) {
        case 0: params = ""
        case 1: params = #","params":null"#
        case 2: params = #","params":\#(pick(values, &rng))"#
        default: params = #","params":{\#(members.joined(separator: ","))}"#
        }
        let id = rng.below(10) == 0 ? "" : #","id":\#(pick(ids, &rng))"#
        let version = rng.below(20) == 0 ? #""jsonrpc":"1.0""# : #""jsonrpc":"2.0""#
        return "{\(version),\"method\":\"\(route.method.name)\"\(id)\(params)}"
    }

    @Test func everyMethodWithRandomParams() throws {
        var rng = SplitMix64(seed: 0xDEC0_DE15)
        for route in Routes.all {
            for _ in 0..<400 { try Self.expectSame(Self.line(route, &rng)) }
        }
    }

    /// Every value of the pool in every param of every method.
    @Test func everyValueInEveryParam() throws {
        for route in Routes.all {
            for key in route.allowedKeys.sorted() {
                for value in Self.values {
                    try Self.expectSame(
                        #"{"jsonrpc":"2.0","id":1,"method":"\#(route.method.name)","params":{"\#(key)":\#(value)}}"#
                    )
                }
            }
        }
    }

    @Test func envelopesAndLinesThatAreNotRequests() throws {
        let lines = [
            "null", "1", #""x""#, "[]", "[{}]", "{}", "true", #"{"jsonrpc":"2.0"}"#, #"{"jsonrpc":2}"#,
            #"{"jsonrpc":"2.0","method":1,"id":1}"#, #"{"jsonrpc":"2.0","method":"nope","id":1}"#,
            #"{"jsonrpc":"2.0","method":"hello","id":{"a":1}}"#, #"{"jsonrpc":"2.0","method":"hello","id":null}"#,
            #"{"jsonrpc":"2.0","method":"hello","params":[]}"#, #"{"jsonrpc":"2.0","method":"hello","params":"x"}"#,
            #"{"jsonrpc":"2.0","method":"h\u0065llo","id":"\ud83d\ude00"}"#, #"  {"jsonrpc":"2.0","method":"hello"}  "#,
            #"{"jsonrpc":"2.0","method":"hello","extra":[1,2,{"x":null}]}"#,
        ]
        for line in lines { try Self.expectSame(line) }
        // Deeper than either decoder nests.
        let open = String(repeating: "[", count: 600)
        let close = String(repeating: "]", count: 600)
        try Self.expectSame(open + close)
        let deepParams: String = String(repeating: #"{"a":"#, count: 600) + "1" + String(repeating: "}", count: 600)
        try Self.expectSame(#"{"jsonrpc":"2.0","method":"hello","params":"# + deepParams + "}")
    }
}
