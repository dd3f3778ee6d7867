import Foundation
import Glibc
import KoppelingCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing

@testable import KoppelingDaemon
@testable import KoppelingStorage

/// A reader cannot stall everyone's scans: through the daemon's socket,
/// connection handler and scans, with callers from the made-up
/// directory of `CallerLookupTests`. Timed against a trail long enough
/// that one `audit.verify` takes a while, with margins of whole scans.
@Suite("Scans through the socket: one per uid, none for a closed connection, none past the stop", .serialized)
struct ScanFloodTests {
    static let verify = #"{"jsonrpc":"2.0","id":1,"method":"audit.verify"}"#
    static let hello = #"{"jsonrpc":"2.0","id":0,"method":"hello"}"#
    static let root = UCred(uid: 0, gid: 0)

    @Test("a second scan of a uid while its first runs is refused with scan_busy; another uid's is not")
    func secondScanOfAUidIsRefused() async throws {
        let register = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        try Self.appendChainedAuditRows(200_000, to: register)
        let server = try await InProcessServer.start(register: register, daemonUID: CallerLookupTests.daemonUID, clientTimeoutSeconds: 60)
        let outcome = try await blocking { () throws -> (Reply, Reply, Reply) in
            let first = try server.client(as: UCred(uid: 1001, gid: 1001))
            let second = try server.client(as: UCred(uid: 1001, gid: 1001))
            let other = try server.client(as: UCred(uid: 1003, gid: CallerLookupTests.readerGID))
            for client in [first, second, other] { _ = try client.call(Self.hello) }
            first.send(Self.verify)
            usleep(300_000)  // the first is running (a scan of this trail takes seconds)
            let refused = try second.call(Self.verify)
            let otherReply = try other.call(Self.verify)
            let firstReply = try json(Data(try #require(try first.readLine()).utf8))
            return (refused, otherReply, firstReply)
        }
        await server.stop()
        let (refused, other, first) = outcome
        #expect(refused.errorCode == -32005 && refused.errorReason == "scan_busy", "\(refused.raw)")
        let message = refused.error?["message"] as? String ?? ""
        #expect(message.contains("opnieuw"), "a retry hint in Dutch: \(message)")
        #expect(other.result?["rows"] as? Int == 200_000, "another uid's scan: \(other.raw)")
        #expect(first.result?["rows"] as? Int == 200_000, "the first scan: \(first.raw)")
    }

    @Test("scans queued by connections that then close are not run: the next reader's scan waits for one at most")
    func closedConnectionsScansAreDropped() async throws {
        let register = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        try Self.appendUnchainedAuditRows(1_000_000, to: register)
        let server = try await InProcessServer.start(register: register, daemonUID: CallerLookupTests.daemonUID, clientTimeoutSeconds: 60)
        let (alone, probe) = try await blocking { () throws -> (Duration, Duration) in
            let alone = try Self.timedVerify(on: server.client(as: UCred(uid: 2200, gid: CallerLookupTests.readerGID)))
            // Eight readers, one scan each, then all of them hang up.
            var gone = try (2001...2008).map { uid in try server.client(as: UCred(uid: UInt32(uid), gid: CallerLookupTests.readerGID)) }
            for client in gone { _ = try client.call(Self.hello) }
            for client in gone { client.send(Self.verify) }
            usleep(200_000)
            gone.removeAll()
            let probe = try Self.timedVerify(on: server.client(as: UCred(uid: 2100, gid: CallerLookupTests.readerGID)))
            return (alone, probe)
        }
        await server.stop()
        #expect(probe < alone * 3, "a scan alone took \(alone); the next one after eight closed took \(probe)")
    }

    @Test("SIGTERM during a long scan: the scan is stopped as the stop begins, not after the grace period")
    func shutdownInterruptsALongScan() async throws {
        let register = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        try Self.appendChainedAuditRows(200_000, to: register)
        let server = try await InProcessServer.start(register: register, daemonUID: CallerLookupTests.daemonUID, clientTimeoutSeconds: 60)
        let serving = server.serve(graceSeconds: 10)
        let alone = try await blocking { try Self.timedVerify(on: server.client(as: Self.root)) }
        let client = try server.client(as: Self.root)
        _ = try await blocking { try client.call(Self.hello) }
        client.send(Self.verify)
        try await Task.sleep(for: .milliseconds(300))
        let stopping = ContinuousClock.now
        await serving.group.triggerGracefulShutdown()
        try await serving.task.value
        await server.stop()
        let stopped = ContinuousClock.now - stopping
        #expect(alone > .seconds(2), "the scan must outlast the stop for this test to say anything: \(alone)")
        #expect(stopped < .milliseconds(1500), "stopped \(stopped) after the signal, with a 10 s grace period")
    }

    /// The figures for docs/reliability.md: root's `audit.verify` while a
    /// reader floods the scans (32 connections, 64 `audit.verify` each, on
    /// a trail of 12,000 rows), and right after the reader's connections
    /// closed.
    @Test("root's audit.verify during a reader's flood, and after it")
    func rootDuringAFlood() async throws {
        let register = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        try Self.appendChainedAuditRows(12_000, to: register)
        let server = try await InProcessServer.start(register: register, daemonUID: CallerLookupTests.daemonUID, clientTimeoutSeconds: 60)
        let (alone, during, after) = try await blocking { () throws -> (Duration, Duration, Duration) in
            let alone = try Self.timedVerify(on: server.client(as: Self.root))
            var flood = try (0..<32).map { _ in try server.client(as: UCred(uid: 1001, gid: 1001)) }
            for client in flood { _ = try client.call(Self.hello) }
            for client in flood { for _ in 0..<64 { client.send(Self.verify) } }
            usleep(300_000)
            let during = try Self.timedVerify(on: server.client(as: Self.root))
            flood.removeAll()
            let after = try Self.timedVerify(on: server.client(as: Self.root))
            return (alone, during, after)
        }
        await server.stop()
        print("scan flood: root's audit.verify of 12000 rows alone \(alone), during the flood \(during), after it \(after)")
        #expect(during < .seconds(2), "root waited \(during) during the flood (alone: \(alone))")
        #expect(after < .seconds(2), "root waited \(after) right after the flood (alone: \(alone))")
    }

    /// One `audit.verify` on a fresh connection: how long its reply took.
    static func timedVerify(on client: TimedClient) throws -> Duration {
        _ = try client.call(hello)
        let start = ContinuousClock.now
        let reply = try client.call(verify)
        try #require(reply.result != nil, "\(reply.raw)")
        return ContinuousClock.now - start
    }

    /// Rows as the daemon writes them, each chained onto the one before.
    static func appendChainedAuditRows(_ count: Int, to register: TestRegister) throws {
        let app = register.app
        try app.register.write {
            for _ in 0..<count {
                _ = try app.register.appendAudit(
                    at: app.nowStamp,
                    caller: TestRegister.admin,
                    method: "school.add",
                    school: "21QW00",
                    koppeling: nil,
                    outcome: .ok,
                    reasons: [],
                    detail: ""
                )
            }
        }
    }

    /// Many rows fast, without chains: `audit.verify` reports the first as
    /// broken and reads every row all the same.
    static func appendUnchainedAuditRows(_ count: Int, to register: TestRegister) throws {
        try register.app.register.db.execute(
            """
            WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT \(count))
            INSERT INTO audit (at, os_user, os_uid, method, outcome) SELECT '2026-11-29T09:00:00Z', 'root', 0, 'school.add', 'ok' FROM n
            """
        )
    }
}
