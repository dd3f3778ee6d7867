import Foundation
import KoppelingClient
import KoppelingCore
import NIOCore
import NIOPosix
import Testing

@testable import KoppelingDaemon

/// Who is asking, and who may do what: the
/// caller's user and groups come from an injected directory, looked up off
/// the event loop, through the daemon's own socket and connection handler.
@Suite("Who is asking")
struct CallerLookupTests {
    static let adminGroup = "koppelingbeheer"
    static let adminGID: UInt32 = 3000
    static let readerGroup = "koppelinginzage"
    static let readerGID: UInt32 = 5000
    /// Not root and not the test's own uid, whoever runs the tests.
    static let daemonUID: UInt32 = 4242

    /// Users and groups of a made-up system: `leerkracht` is in the reader
    /// group (5000), `beheerder` in both, `conciërge` in neither.
    static let directory = FakeDirectory(
        users: [1001: "leerkracht", 1002: "beheerder", 1003: "conciërge", daemonUID: "koppelingd"],
        groups: ["leerkracht": [1001, readerGID], "beheerder": [1002, readerGID, adminGID], "conciërge": [1003]],
        groupIDs: [adminGroup: adminGID, readerGroup: readerGID]
    )

    @Test("a slow lookup for one connection does not hold up another; the first still gets its replies, in order")
    func slowLookupHoldsUpOnlyItsConnection() async throws {
        let slow = SlowFirstLookup(delay: 3)
        let server = try await InProcessServer.start(directory: slow)
        let outcome = try await blocking { () throws -> SlowOutcome in
            let first = try KoppelingConnection(path: server.socketPath)
            let firstStart = ContinuousClock.now
            try first.send(Data(#"{"jsonrpc":"2.0","id":1,"method":"hello"}"#.utf8))
            try first.send(
                Data(
                    #"{"jsonrpc":"2.0","id":2,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Regenboog"}}"#
                        .utf8
                )
            )
            let stuck = slow.firstLookupStarted.wait(timeout: .now() + 5) == .success

            let second = try KoppelingConnection(path: server.socketPath)
            let secondStart = ContinuousClock.now
            let secondReply = try json(second.exchange(Data(#"{"jsonrpc":"2.0","id":7,"method":"hello"}"#.utf8)))
            let secondWait = ContinuousClock.now - secondStart

            let firstReplies = [try json(first.receiveLine()), try json(first.receiveLine())]
            let firstWait = ContinuousClock.now - firstStart
            return SlowOutcome(
                stuck: stuck,
                secondWait: secondWait,
                secondReply: secondReply,
                firstWait: firstWait,
                firstReplies: firstReplies
            )
        }
        await server.stop()

        #expect(outcome.stuck, "the first connection's lookup never started")
        #expect(outcome.secondWait < .seconds(1), "the second connection waited \(outcome.secondWait) for its hello")
        #expect(
            outcome.secondReply.id == 7 && outcome.secondReply.result?["daemon"] != nil,
            "\(outcome.secondReply.raw)"
        )
        // The first connection's requests waited for its own caller, and came back in order.
        #expect(
            outcome.firstWait >= .milliseconds(2900),
            "the first connection's replies came after \(outcome.firstWait)"
        )
        #expect(outcome.firstReplies.map(\.id) == [1, 2])
        #expect(outcome.firstReplies[0].result?["daemon"] != nil, "\(outcome.firstReplies[0].raw)")
        #expect(outcome.firstReplies[1].result != nil, "school.add by root: \(outcome.firstReplies[1].raw)")
    }

    @Test("not root, not the daemon's user, not in the admin group: a change is refused with -32004 and audited")
    func outsiderIsRefusedAndAudited() async throws {
        let server = try await InProcessServer.start(directory: Self.directory, daemonUID: Self.daemonUID)
        let (added, audit) = try await blocking {
            let outsider = try server.connect(as: UCred(uid: 1001, gid: 1001))
            let added = try json(
                outsider.exchange(
                    Data(
                        #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Regenboog"}}"#
                            .utf8
                    )
                )
            )
            // Reading stays allowed.
            let audit = try json(
                outsider.exchange(Data(#"{"jsonrpc":"2.0","id":2,"method":"audit.list","params":{}}"#.utf8))
            )
            return (added, audit)
        }
        await server.stop()

        #expect(added.errorCode == -32004, "\(added.raw)")
        #expect(added.errorReason == "permission_denied", "\(added.raw)")
        let entries = try #require(audit.result?["entries"] as? [[String: Any]], "\(audit.raw)")
        let refusals = entries.filter {
            $0["method"] as? String == "school.add" && $0["outcome"] as? String == "refused"
                && $0["user"] as? String == "leerkracht" && $0["uid"] as? Int == 1001
                && ($0["reasons"] as? [String] ?? []).contains("permission_denied")
        }
        #expect(refusals.count == 1, "\(entries)")
    }

    @Test("the admin group among a caller's supplementary groups, or as the primary group, lets them change")
    func adminGroupMembersMayChange() async throws {
        let server = try await InProcessServer.start(directory: Self.directory, daemonUID: Self.daemonUID)
        let (bySupplementary, byPrimary, audit) = try await blocking {
            let supplementary = try server.connect(as: UCred(uid: 1002, gid: 1002))
            let a = try json(
                supplementary.exchange(
                    Data(
                        #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Regenboog"}}"#
                            .utf8
                    )
                )
            )
            // SO_PEERCRED's gid is the admin group (e.g. `sg koppelingbeheer`).
            let primary = try server.connect(as: UCred(uid: 1003, gid: Self.adminGID))
            let b = try json(
                primary.exchange(
                    Data(
                        #"{"jsonrpc":"2.0","id":2,"method":"school.add","params":{"brin6":"21QW01","name":"OBS Het Anker"}}"#
                            .utf8
                    )
                )
            )
            let audit = try json(
                primary.exchange(Data(#"{"jsonrpc":"2.0","id":3,"method":"audit.list","params":{}}"#.utf8))
            )
            return (a, b, audit)
        }
        await server.stop()

        #expect(bySupplementary.result != nil, "\(bySupplementary.raw)")
        #expect(byPrimary.result != nil, "\(byPrimary.raw)")
        let entries = try #require(audit.result?["entries"] as? [[String: Any]], "\(audit.raw)")
        for (user, school) in [("beheerder", "21QW00"), ("conciërge", "21QW01")] {
            #expect(
                entries.contains {
                    $0["method"] as? String == "school.add" && $0["school"] as? String == school
                        && $0["outcome"] as? String == "ok" && $0["user"] as? String == user
                },
                "\(user) adding \(school): \(entries)"
            )
        }
    }

    @Test("without the admin group only root and the daemon's own user may change")
    func missingAdminGroup() async throws {
        // The same users, but the group database has no koppelingbeheer:
        // a member list naming its gid must not count.
        let withoutGroup = FakeDirectory(
            users: Self.directory.users,
            groups: Self.directory.groups,
            groupIDs: [Self.readerGroup: Self.readerGID]
        )
        let server = try await InProcessServer.start(directory: withoutGroup, daemonUID: Self.daemonUID)
        #expect(server.policy.adminGID == nil)
        let replies = try await blocking { () throws -> [(String, Reply)] in
            var replies: [(String, Reply)] = []
            let callers: [(String, UCred)] = [
                ("beheerder", UCred(uid: 1002, gid: 1002)),
                ("primary gid 3000", UCred(uid: 1003, gid: Self.adminGID)),
                ("root", UCred(uid: 0, gid: 0)),
                ("daemon's user", UCred(uid: Self.daemonUID, gid: Self.daemonUID)),
            ]
            for (index, (name, cred)) in callers.enumerated() {
                let connection = try server.connect(as: cred)
                let line =
                    #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW0\#(index)","name":"OBS \#(index)"}}"#
                replies.append((name, try json(connection.exchange(Data(line.utf8)))))
            }
            return replies
        }
        await server.stop()

        #expect(replies.count == 4)
        // beheerder is in the reader group too: it may read, not change; a
        // gid that would be the admin group's counts for nothing.
        #expect(replies[0].1.errorCode == -32004 && replies[0].1.errorReason == "permission_denied", "\(replies[0].1.raw)")
        #expect(replies[1].1.errorCode == -32004 && replies[1].1.errorReason == "not_a_member", "\(replies[1].1.raw)")
        for (name, reply) in replies.dropFirst(2) {
            #expect(reply.result != nil, "\(name): \(reply.raw)")
        }
    }

    @Test(
        "the policy itself: root, the daemon's uid, primary and supplementary admin and reader group; anyone else nothing"
    )
    func policyDecisions() {
        let policy = CallerPolicy(
            adminGroup: Self.adminGroup,
            readerGroup: Self.readerGroup,
            daemonUID: Self.daemonUID,
            directory: Self.directory
        )
        #expect(policy.adminGID == Self.adminGID)
        #expect(
            policy.caller(for: UCred(uid: 1001, gid: 1001)) == Caller(user: "leerkracht", uid: 1001, mayChange: false)
        )
        #expect(
            policy.caller(for: UCred(uid: 1002, gid: 1002)) == Caller(user: "beheerder", uid: 1002, mayChange: true)
        )
        #expect(policy.caller(for: UCred(uid: 1003, gid: Self.adminGID)).mayChange)
        #expect(policy.caller(for: UCred(uid: 0, gid: 0)).mayChange)
        #expect(
            policy.caller(for: UCred(uid: Self.daemonUID, gid: 1))
                == Caller(user: "koppelingd", uid: 4242, mayChange: true)
        )
        #expect(policy.caller(for: UCred(uid: 777, gid: 777)) == Caller(user: "uid 777", uid: 777, role: .none))
        // The reader group: supplementary, primary, and for a uid the user
        // database does not know, only as its primary group.
        #expect(policy.caller(for: UCred(uid: 1001, gid: 1001)).role == .reader)
        #expect(policy.caller(for: UCred(uid: 1003, gid: 1003)).role == .none)
        #expect(policy.caller(for: UCred(uid: 1003, gid: Self.readerGID)).role == .reader)
        #expect(policy.caller(for: UCred(uid: 778, gid: Self.readerGID)).role == .reader)
        #expect(policy.readerGID == Self.readerGID)
    }
}

// MARK: - Directories

/// A made-up user and group database.
struct FakeDirectory: CallerDirectory {
    let users: [UInt32: String]
    /// Each user's groups, the primary one included.
    let groups: [String: [UInt32]]
    let groupIDs: [String: UInt32]

    func userName(uid: UInt32) -> String? { users[uid] }
    func groupIDs(user: String, primaryGID: UInt32) -> [UInt32] { groups[user] ?? [primaryGID] }
    func groupID(named name: String) -> UInt32? { groupIDs[name] }
}

/// The first user lookup hangs for `delay` seconds, as an LDAP server that
/// does not answer would; later ones answer at once.
final class SlowFirstLookup: CallerDirectory, @unchecked Sendable {
    let delay: Double
    let firstLookupStarted = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var lookups = 0

    init(delay: Double) { self.delay = delay }

    func userName(uid: UInt32) -> String? {
        lock.lock()
        lookups += 1
        let first = lookups == 1
        lock.unlock()
        if first {
            firstLookupStarted.signal()
            Thread.sleep(forTimeInterval: delay)
        }
        return "user\(uid)"
    }

    func groupIDs(user: String, primaryGID: UInt32) -> [UInt32] { [primaryGID] }
    func groupID(named name: String) -> UInt32? { nil }
}

/// Credentials for the next connections, in the order they connect.
final class PeerQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var queue: [UCred] = []

    func push(_ cred: UCred) {
        lock.lock()
        queue.append(cred)
        lock.unlock()
    }

    func next() -> UCred? {
        lock.lock()
        defer { lock.unlock() }
        return queue.isEmpty ? nil : queue.removeFirst()
    }
}

// MARK: - Helpers

extension UCred {
    init(uid: UInt32, gid: UInt32) {
        self.init(pid: 1, uid: uid, gid: gid)
    }
}

struct SlowOutcome: @unchecked Sendable {
    let stuck: Bool
    let secondWait: Duration
    let secondReply: Reply
    let firstWait: Duration
    let firstReplies: [Reply]
}

/// One reply line, parsed.
struct Reply: @unchecked Sendable {
    let raw: String
    let object: [String: Any]

    var id: Int? { object["id"] as? Int }
    var result: [String: Any]? { object["result"] as? [String: Any] }
    var error: [String: Any]? { object["error"] as? [String: Any] }
    var errorCode: Int? { error?["code"] as? Int }
    var errorReason: String? { (error?["data"] as? [String: Any])?["reason"] as? String }
}

func json(_ line: Data) throws -> Reply {
    let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] ?? [:]
    return Reply(raw: String(decoding: line, as: UTF8.self), object: object)
}

/// Runs blocking socket I/O on a thread of its own, not on the test's
/// concurrency pool (two threads on a two-core machine).
func blocking<T>(_ body: @escaping () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let box = UncheckedBox(body: body, continuation: continuation)
        Thread { box.continuation.resume(with: Result { try box.body() }) }.start()
    }
}

private struct UncheckedBox<T>: @unchecked Sendable {
    let body: () throws -> T
    let continuation: CheckedContinuation<T, any Error>
}
