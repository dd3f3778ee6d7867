import Foundation
import KoppelingProtocol
import NIOCore
import Testing

@testable import KoppelingDaemon

/// Inputs found by the fuzzers (scripts/fuzz.sh, SocketFuzzTests), kept so
/// the bug they showed stays fixed.
@Suite("Fuzz findings: request parsing")
struct FuzzRegressionTests {
    static func errorCode(_ parsed: Parsed) -> Int? {
        guard case .reply(let data) = parsed,
            let object = try? JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any]
        else { return nil }
        return (object["error"] as? [String: Any])?["code"] as? Int
    }

    static func isCall(_ parsed: Parsed) -> Bool {
        if case .request(let r) = parsed, case .success = r.call { return true }
        return false
    }

    /// The decoder checks a string's escapes and a number's digits only
    /// when it reads the value, so a defect in a member nobody reads was
    /// run as a request instead of getting -32700. Found by libFuzzer.
    static let notJSON: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"audit.list","x":"\q"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"audit.list","x":"\uZZZZ"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"hello","x":"\ud800"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"hello","x":"\udc00\ud800"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"hello","x":"\ud83dx"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"audit.list","x":01}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"hello","x":-}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"hello","x":1.}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"hello","x":.5}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"hello","x":1e}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"hello","x":+1}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"hello","params":null,"x":[1,2,"\x"]}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"school.import","params":{"schools":[{"brin6":"21QW00","name":"x","zz":"\q"}]}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"school.import","params":{"schools":[{"brin6":"21QW00","name":"x","zz":007}]}}"#,
    ]

    @Test("a line that is not JSON gets -32700 wherever the defect is", arguments: notJSON)
    func notJSONIsAParseError(line: String) {
        #expect(Self.errorCode(Dispatcher.parse(ByteBuffer(string: line))) == RPCErrorCode.parseError)
    }

    /// The same lines made valid still parse: the check is the grammar,
    /// not a ban on escapes, surrogate pairs or exponents.
    static let validJSON: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"hello","x":"\"\\\/\b\f\n\r\t \u00e9 \ud83d\ude00 \uD83D\uDE00"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"hello","x":[0,-0,1.5,-2e10,3E+2,4e-2,1e400,99999999999999999999,{},[],true,false,null]}"#,
        " \t{ \"jsonrpc\" : \"2.0\" , \"id\" : 1 , \"method\" : \"hello\" , \"params\" : { } } \r",
    ]

    @Test("valid JSON with every kind of token still parses", arguments: validJSON)
    func validJSONStillParses(line: String) {
        #expect(Self.isCall(Dispatcher.parse(ByteBuffer(string: line))), "\(line)")
    }

    @Test("top-level values that are not objects stay invalid requests")
    func nonObjects() {
        for line in ["42", "[]", #""hello""#, "null", "true", "[1,2]"] {
            #expect(Self.errorCode(Dispatcher.parse(ByteBuffer(string: line))) == RPCErrorCode.invalidRequest, "\(line)")
        }
        for line in ["", " ", "{", "}", "[", "{}{}", "{} x", "{\"a\"}", "{\"a\":}", "{,}", "[1,]", "tru", "nul"] {
            #expect(Self.errorCode(Dispatcher.parse(ByteBuffer(string: line))) == RPCErrorCode.parseError, "\(line)")
        }
    }

    @Test("deep nesting is refused without exhausting the stack")
    func deepNesting() {
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        #expect(Self.errorCode(Dispatcher.parse(ByteBuffer(string: deep))) != nil)
        let inParams =
            #"{"jsonrpc":"2.0","id":1,"method":"hello","x":"# + String(repeating: #"{"a":"#, count: 100_000)
            + "1" + String(repeating: "}", count: 100_000) + "}"
        #expect(Self.errorCode(Dispatcher.parse(ByteBuffer(string: inParams))) != nil)
    }
}
