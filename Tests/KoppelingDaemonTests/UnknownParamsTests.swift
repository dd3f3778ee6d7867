import Foundation
import KoppelingProtocol
import Testing

@testable import KoppelingDaemon

/// Every method refuses a parameter name it does not know — those that take
/// no parameters too — and names it in `data.fields`.
@Suite("Unknown params")
struct UnknownParamsTests {
    /// The methods without parameters, from the one route table.
    static let parameterless: [String] = Routes.all
        .filter { $0.allowedKeys.isEmpty }
        .map(\.method.name)

    @Test("the route table has parameterless methods to check")
    func someMethodsTakeNone() {
        #expect(
            Set(Self.parameterless).isSuperset(of: ["hello", "status", "timer.status", "timer.run", "school.list"])
        )
    }

    @Test("omitted, null and {} are accepted; an unknown name is -32602 naming it", arguments: parameterless)
    func refusesUnknownNames(method: String) throws {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        for params in ["", #","params":null"#, #","params":{}"#] {
            let reply = t.call(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)"\#(params)}"#)
            #expect(reply["result"] != nil, "\(method) \(params) → \(reply)")
        }
        let reply = t.call(#"{"jsonrpc":"2.0","id":2,"method":"\#(method)","params":{"none":1}}"#)
        let error = reply["error"] as? [String: Any]
        #expect(error?["code"] as? Int == -32602, "\(method) → \(reply)")
        let data = error?["data"] as? [String: Any]
        #expect(data?["reason"] as? String == "unknown_params", "\(reply)")
        #expect(data?["fields"] as? [String] == ["none"], "\(reply)")
    }

    @Test("a method with parameters names every unknown one")
    func withParameters() throws {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        let reply = t.call(#"{"jsonrpc":"2.0","id":1,"method":"school.get","params":{"brin6":"21QW00","zz":1,"aa":2}}"#)
        let data = (reply["error"] as? [String: Any])?["data"] as? [String: Any]
        #expect(data?["fields"] as? [String] == ["aa", "zz"], "\(reply)")
    }
}

@Suite("Numbers out of range")
struct NumberRangeTests {
    @Test("a 20-digit limit names its field")
    func hugeLimitNamesItsField() throws {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        for number in ["12345678901234567890", "-12345678901234567890", "1e400"] {
            let reply = t.call(#"{"jsonrpc":"2.0","id":1,"method":"audit.list","params":{"limit":\#(number)}}"#)
            let error = reply["error"] as? [String: Any]
            #expect(error?["code"] as? Int == -32602, "\(number) → \(reply)")
            let data = error?["data"] as? [String: Any]
            #expect(data?["fields"] as? [String] == ["limit"], "\(number) → \(reply)")
        }
    }
}
