import Foundation
import Glibc
import KoppelingClient
import Testing

/// The daemon refuses a connection over its cap with one error line and a
/// close, before reading anything. A client whose request goes out only
/// after that close must still show the line, not "daemon not reachable".
@Suite("Client: a refusal sent before the request")
struct ClientRefusalTests {
    @Test("the request meets a closed connection: exchange returns the daemon's last line")
    func refusalBeforeRequest() throws {
        let path = NSTemporaryDirectory() + "krefuse-\(UUID().uuidString.prefix(8)).sock"
        defer { unlink(path) }
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0 && listen(listener, 1) == 0)

        let refusal =
            #"{"error":{"code":-32005,"data":{"fields":[],"reason":"too_many_connections"},"message":"Te veel verbindingen."},"id":null,"jsonrpc":"2.0"}"#
        let server = Thread {
            let peer = accept(listener, nil, nil)
            let line = Array((refusal + "\n").utf8)
            _ = line.withUnsafeBytes { write(peer, $0.baseAddress, $0.count) }
            close(peer)
        }
        server.start()

        let connection = try KoppelingConnection(path: path)
        usleep(200_000)  // the server has written its line and closed
        let reply = try connection.exchange(Data(#"{"jsonrpc":"2.0","id":1,"method":"status"}"#.utf8))
        #expect(String(decoding: reply, as: UTF8.self) == refusal)
    }
}
