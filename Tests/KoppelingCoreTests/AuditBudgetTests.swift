import Testing

@testable import KoppelingCore

@Suite("AuditBudget: refusals per caller per minute")
struct AuditBudgetTests {
    @Test func sixtyRecordedThenSummarized() {
        var budget = AuditBudget()
        let start = 1_764_583_200  // a minute boundary
        for i in 0..<60 { #expect(budget.refusal(uid: 7, at: start + i % 60) == .record) }
        #expect(budget.refusal(uid: 7, at: start + 59) == .summarize(summarized: 1, summaryRow: nil))
        budget.summaryRow(42, uid: 7)
        #expect(budget.refusal(uid: 7, at: start + 59) == .summarize(summarized: 2, summaryRow: 42))
        #expect(budget.refusal(uid: 8, at: start + 59) == .record, "another caller has a budget of its own")
        #expect(budget.refusal(uid: 7, at: start + 60) == .record, "a new minute starts afresh")
    }

    /// A slow, obviously right twin: count refusals per (uid, minute) in a
    /// dictionary and compare every decision over a random stream.
    @Test func agreesWithCountingPerMinuteAndCaller() {
        var budget = AuditBudget()
        var counts: [String: Int] = [:]
        var rng = SystemRandomNumberGenerator()
        var t = 1_764_583_200
        for _ in 0..<20_000 {
            t += Int.random(in: 0...2, using: &rng)
            let uid = Int.random(in: 0..<3, using: &rng)
            let key = "\(uid)@\(t / 60)"
            counts[key, default: 0] += 1
            let expected = counts[key]! <= AuditBudget.refusalsPerMinute
            switch budget.refusal(uid: uid, at: t) {
            case .record: #expect(expected)
            case .summarize(let n, _): #expect(!expected && n == counts[key]! - AuditBudget.refusalsPerMinute)
            }
        }
    }
}
