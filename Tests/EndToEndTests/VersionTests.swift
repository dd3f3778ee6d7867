import Foundation
import KoppelingProtocol
import Testing

@Suite("koppelingctl version")
struct VersionTests {
    @Test("the daemon's version and protocol, in Dutch and with --json as the daemon's result")
    func version() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let ctl = Ctl(socketPath: daemon.socketPath)

        let human = try ctl.run(["version"])
        #expect(human.status == 0, "\(human.transcript)")
        #expect(
            human.stdout.contains("koppelingd \(ProtocolInfo.daemonVersion), protocolversie \(ProtocolInfo.version)"),
            "\(human.transcript)"
        )

        let json = try ctl.run(["version", "--json"])
        #expect(json.status == 0, "\(json.transcript)")
        let result = try #require(json.json, "\(json.transcript)")
        #expect(result["daemon"] as? String == "koppelingd")
        #expect(result["version"] as? String == ProtocolInfo.daemonVersion)
        #expect(result["protocol"] as? Int == ProtocolInfo.version)
        #expect(result.count == 3, "no other member: \(result)")
    }
}
