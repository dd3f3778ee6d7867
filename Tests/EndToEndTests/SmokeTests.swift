import Foundation
import Testing

@Suite("koppelingd starts and answers")
struct SmokeTests {
    @Test func helloListsEveryMethod() throws {
        let daemon = try DaemonProcess()
        let reply = try daemon.rawCall(#"{"jsonrpc":"2.0","id":1,"method":"hello"}"#)
        let result = try #require(reply["result"] as? [String: Any])
        #expect(result["protocol"] as? Int == 2)
        #expect((result["methods"] as? [String])?.contains("koppeling.activate") == true)
        #expect(daemon.stop() == 0)
    }
}
