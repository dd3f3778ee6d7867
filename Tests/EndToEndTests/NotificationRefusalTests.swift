import Foundation
import Testing

/// JSON-RPC 2.0: a request without an `id` is a notification, and "the
/// Server MUST NOT reply to a Notification" — also when the change it asks
/// for is refused. An answer with `"id": null` would be read by a
/// pipelining client as the reply to its next request.
@Suite("A refused change sent as a notification gets no reply", .secretCanary)
struct NotificationRefusalTests {
    @Test("refused school.add, koppeling.activate and a conflict without id: the only lines back are the hellos' replies")
    func refusedNotificationsAreNotAnswered() throws {
        let daemon = try DaemonProcess()
        let socket = try RawSocket(path: daemon.socketPath)
        #expect(
            try socket.call(#"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"Bestaat"}}"#)[
                "result"
            ] != nil
        )

        // Each of these is a change the daemon refuses: a domain rule
        // (-32001), a code with a wrong prefix (-32001) and a conflict
        // (-32003). None carries an id.
        let notifications = [
            #"{"jsonrpc":"2.0","method":"school.add","params":{"brin6":"2QW00","name":"Foute BRIN"}}"#,
            #"{"jsonrpc":"2.0","method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"topdossier","name":"Jan","agree":true,"terms_version":"2024.1","verification_code":"99ZZ99Hr4Tk8Nz2Wq6Lp9Xc"}}"#,
            #"{"jsonrpc":"2.0","method":"school.add","params":{"brin6":"21QW00","name":"Dubbel"}}"#,
        ]
        // Sent in one write with the hello behind them: if any were
        // answered, its reply would come first (replies keep request order).
        socket.send(notifications.joined(separator: "\n") + "\n" + #"{"jsonrpc":"2.0","id":2,"method":"hello"}"# + "\n")
        let first = try socket.readReply()
        #expect(first["id"] as? Int == 2 && first["result"] != nil, "a refused notification was answered: \(first)")
        // One more behind a notification, so an answer to the last one
        // cannot hide after the first hello either.
        socket.send(notifications[0] + "\n" + #"{"jsonrpc":"2.0","id":3,"method":"hello"}"# + "\n")
        let second = try socket.readReply()
        #expect(second["id"] as? Int == 3 && second["result"] != nil, "a refused notification was answered: \(second)")

        // Refused, not ignored: nothing changed, and the refusals are audited.
        let schools = try socket.call(#"{"jsonrpc":"2.0","id":4,"method":"school.list"}"#)
        #expect(!"\(schools)".contains("2QW00") && !"\(schools)".contains("Dubbel"), "\(schools)")
        let audit = try socket.call(#"{"jsonrpc":"2.0","id":5,"method":"audit.list","params":{"limit":100}}"#)
        let refused = ((audit["result"] as? [String: Any])?["entries"] as? [[String: Any]] ?? []).filter {
            $0["outcome"] as? String == "refused"
        }
        #expect(refused.count >= 3, "the refused notifications are not audited: \(audit)")
        #expect(daemon.stop() == 0)
    }
}
