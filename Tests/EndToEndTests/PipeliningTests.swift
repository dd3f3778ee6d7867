import Foundation
import KoppelingClient
import Testing

/// Many clients at once, each pipelining: every reply arrives, on its own
/// connection, in request order.
@Suite("Concurrent pipelining clients")
struct PipeliningTests {
    static let connections = 64
    static let requestsPerConnection = 50

    /// Results gathered from the client threads.
    final class Outcomes: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var failures: [String] = []
        private(set) var replies = 0

        func fail(_ message: String) {
            lock.lock()
            failures.append(message)
            lock.unlock()
        }

        func replied(_ n: Int) {
            lock.lock()
            replies += n
            lock.unlock()
        }
    }

    /// The request `n` of connection `c`: a mix of methods, with ids unique
    /// across all connections (numbers and strings).
    static func request(connection c: Int, index n: Int) -> (id: String, line: String, method: String) {
        let useString = (c + n) % 3 == 0
        let raw = c * 1000 + n
        let id = useString ? "\"c\(c)-r\(n)\"" : "\(raw)"
        let (method, params): (String, String) =
            switch n % 5 {
            case 0: ("hello", "")
            case 1: ("status", "")
            case 2: ("school.list", #","params":{}"#)
            case 3: ("catalog.get", #","params":{"id":"topdossier-eckid"}"#)
            default: ("catalog.get", #","params":{"id":"topdossier"}"#)
            }
        return (id, #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)"\#(params)}"#, method)
    }

    @Test("64 connections × 50 pipelined requests: every reply, ids in order")
    func pipelining() throws {
        let daemon = try DaemonProcess()
        // A school so that school.list has something to say.
        _ = try daemon.rawCall(
            #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Regenboog"}}"#
        )

        let outcomes = Outcomes()
        let path = daemon.socketPath
        let ready = DispatchGroup()
        let done = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        // One thread per connection, so all 64 really are open and sending
        // at once (concurrentPerform would use only as many as there are cores).
        for c in 0..<Self.connections {
            ready.enter()
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                let connection: KoppelingConnection
                do { connection = try KoppelingConnection(path: path) } catch {
                    outcomes.fail("connection \(c): \(error)")
                    ready.leave()
                    return
                }
                ready.leave()
                start.wait()
                let requests = (0..<Self.requestsPerConnection).map { Self.request(connection: c, index: $0) }
                do {
                    for r in requests { try connection.send(Data(r.line.utf8)) }
                    var received = 0
                    for r in requests {
                        let line = try connection.receiveLine()
                        received += 1
                        guard let reply = E2E.object(line) else {
                            outcomes.fail(
                                "connection \(c): reply not JSON: \(String(decoding: line.prefix(200), as: UTF8.self))"
                            )
                            break
                        }
                        let got =
                            reply["id"].map { value -> String in
                                if let s = value as? String { return "\"\(s)\"" }
                                return "\(value)"
                            } ?? "missing"
                        if got != r.id {
                            outcomes.fail("connection \(c): expected id \(r.id), got \(got)")
                            break
                        }
                        guard let result = reply["result"] as? [String: Any] else {
                            outcomes.fail("connection \(c) id \(r.id) \(r.method): \(reply)")
                            break
                        }
                        let shapeOK =
                            switch r.method {
                            case "hello": result["daemon"] as? String == "koppelingd"
                            case "status": result["counts"] != nil
                            case "school.list": (result["schools"] as? [Any])?.count == 1
                            default: (result["terms"] as? [String: Any])?["text"] is String
                            }
                        if !shapeOK {
                            outcomes.fail(
                                "connection \(c) id \(r.id) \(r.method): wrong result \(result.keys.sorted())"
                            )
                        }
                    }
                    outcomes.replied(received)
                } catch {
                    outcomes.fail("connection \(c): \(error)")
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        #expect(ready.wait(timeout: .now() + 20) == .success, "the clients did not all connect")
        for _ in 0..<Self.connections { start.signal() }
        #expect(done.wait(timeout: .now() + 40) == .success, "the clients did not all finish")

        #expect(outcomes.failures.isEmpty, "\(outcomes.failures.prefix(10).joined(separator: "\n"))")
        #expect(outcomes.replies == Self.connections * Self.requestsPerConnection)
        // The daemon is still well after it.
        let hello = try daemon.rawCall(#"{"jsonrpc":"2.0","id":2,"method":"hello"}"#)
        #expect(hello["result"] != nil)
        #expect(daemon.stop() == 0)
    }
}
