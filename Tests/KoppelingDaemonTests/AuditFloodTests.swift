import Foundation
import KoppelingCore
import Testing

@testable import KoppelingDaemon
@testable import KoppelingStorage

/// A reader who floods the socket with refused changes: at most 60 rows a
/// minute of their own, the rest counted in one summary row, while every
/// other caller's trail is written as always.
@Suite("The audit under a flood of refusals")
struct AuditFloodTests {
    static let flooder = Caller(user: "nobody", uid: 65534, mayChange: false)
    static let otherReader = Caller(user: "leerkracht", uid: 1001, mayChange: false)

    static func refusedAdd(_ t: TestRegister, _ i: Int, as caller: Caller) {
        _ = t.call(
            #"{"jsonrpc":"2.0","method":"school.add","params":{"brin6":"21QW\#(String(format: "%02d", i % 100))","name":"X"}}"#,
            as: caller
        )
    }

    static func rows(_ t: TestRegister) throws -> [AuditEntry] {
        try t.app.register.audit(school: nil, since: nil, limit: 100_000)
    }

    @Test func beyondSixtyAMinuteTheRefusalsAreCountedInOneRow() throws {
        let t = try TestRegister(start: utc("2026-12-01T10:00:05Z"))
        for i in 0..<1000 { Self.refusedAdd(t, i, as: Self.flooder) }
        let rows = try Self.rows(t)
        #expect(rows.count == AuditBudget.refusalsPerMinute + 1)
        let own = rows.filter { $0.method == "school.add" }
        #expect(own.count == 60 && own.allSatisfy { $0.reasons == ["permission_denied"] && $0.uid == 65534 })
        let summary = try #require(rows.first { $0.method == "audit.summary" })
        #expect(summary.reasons == ["audit_summary"] && summary.uid == 65534 && summary.user == "nobody")
        #expect(summary.detail.hasPrefix("940 weigering(en)"), "\(summary.detail)")
    }

    @Test func eachMinuteAndEachCallerHasItsOwnBudget() throws {
        let t = try TestRegister(start: utc("2026-12-01T10:00:05Z"))
        for i in 0..<100 { Self.refusedAdd(t, i, as: Self.flooder) }
        // Another reader in the same minute is audited one by one.
        for i in 0..<5 { Self.refusedAdd(t, i, as: Self.otherReader) }
        // An administrator's changes are never summarized.
        #expect(
            t.call(#"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"A"}}"#)["result"]
                != nil
        )
        t.clock.advance(seconds: 60)
        for i in 0..<70 { Self.refusedAdd(t, i, as: Self.flooder) }

        let rows = try Self.rows(t)
        #expect(rows.filter { $0.uid == 1001 }.count == 5)
        #expect(rows.filter { $0.uid == 0 && $0.outcome == .ok }.count == 1)
        let flooder = rows.filter { $0.uid == 65534 }
        #expect(flooder.filter { $0.method == "school.add" }.count == 120, "60 in each minute")
        let summaries = flooder.filter { $0.method == "audit.summary" }.map(\.detail)
        #expect(summaries.count == 2)
        #expect(summaries.contains { $0.hasPrefix("40 weigering(en)") })
        #expect(summaries.contains { $0.hasPrefix("10 weigering(en)") })
    }

    /// The summary row was written inside a transaction that SQLite later
    /// rolled back: the next refusal writes a new one instead of counting
    /// into a row that is not there.
    @Test func aSummaryRowThatIsGoneIsWrittenAgain() throws {
        let t = try TestRegister(start: utc("2026-12-01T10:00:05Z"))
        for i in 0..<61 { Self.refusedAdd(t, i, as: Self.flooder) }
        try t.app.register.write { _ = try t.app.register.db.run("DELETE FROM audit WHERE method = 'audit.summary'") }
        Self.refusedAdd(t, 61, as: Self.flooder)
        let summaries = try Self.rows(t).filter { $0.method == "audit.summary" }
        #expect(summaries.count == 1)
        #expect(summaries.first?.detail.hasPrefix("2 weigering(en)") == true)
    }
}

/// The summary rows keep the audit chain verifiable, and count truthfully.
@Suite("Summary rows in the audit chain")
struct AuditFloodChainTests {
    static func summaryCounts(_ t: TestRegister) throws -> [Int] {
        try AuditFloodTests.rows(t).filter { $0.method == "audit.summary" }.reversed().map { row in
            Int(row.detail.prefix { $0.isNumber }) ?? -1
        }
    }

    @Test func aFloodLeavesAChainThatVerifies() throws {
        let t = try TestRegister(start: utc("2026-12-01T10:00:05Z"))
        for i in 0..<500 { AuditFloodTests.refusedAdd(t, i, as: AuditFloodTests.flooder) }
        #expect(try Self.summaryCounts(t) == [440], "one row, rewritten while it is the last")
        let v = try t.app.register.verifyAuditChain()
        #expect(v.ok && v.rows == 61)
    }

    /// Another caller's rows between the flooder's refusals: the summary row
    /// before them stays as it is (only the chain's last row can change), a
    /// new one counts on, and together they count every refusal once.
    @Test func rowsInBetweenStartANewSummaryRow() throws {
        let t = try TestRegister(start: utc("2026-12-01T10:00:05Z"))
        for i in 0..<70 { AuditFloodTests.refusedAdd(t, i, as: AuditFloodTests.flooder) }
        AuditFloodTests.refusedAdd(t, 0, as: AuditFloodTests.otherReader)
        for i in 70..<75 { AuditFloodTests.refusedAdd(t, i, as: AuditFloodTests.flooder) }
        let made = t.call(#"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"A"}}"#)
        #expect(made["result"] != nil)
        for i in 75..<100 { AuditFloodTests.refusedAdd(t, i, as: AuditFloodTests.flooder) }
        #expect(try Self.summaryCounts(t) == [10, 5, 25])
        let v = try t.app.register.verifyAuditChain()
        #expect(v.ok && v.rows == 60 + 3 + 1 + 1)
    }
}
