import Testing

@testable import KoppelingCore

@Suite("AuditBudget: refusals per caller per minute")
struct AuditBudgetTests {
    @Test func sixtyRecordedThenSummarized() {
        var budget = AuditBudget()
        let start = 1_764_583_200  // a minute boundary
        for i in 0..<60 { #expect(budget.refusal(uid: 7, at: start + i % 60) == .record) }
        #expect(budget.refusal(uid: 7, at: start + 59) == .summarize(summarized: 1, summaryRow: nil))
        budget.summaryRow(42, summarized: 1, uid: 7)
        #expect(budget.refusal(uid: 7, at: start + 59) == .summarize(summarized: 2, summaryRow: 42))
        #expect(budget.refusal(uid: 8, at: start + 59) == .record, "another caller has a budget of its own")
        #expect(budget.refusal(uid: 7, at: start + 60) == .record, "a new minute starts afresh")
    }

    /// The summary row can only be rewritten while it is the audit chain's
    /// last row; once closed it keeps its count and a new row counts the
    /// refusals after it, so the rows together count each refusal once.
    @Test func aClosedSummaryRowKeepsItsCountAndTheNextCountsOn() {
        var budget = AuditBudget()
        let start = 1_764_583_200
        for i in 0..<60 { #expect(budget.refusal(uid: 7, at: start + i) == .record) }
        #expect(budget.refusal(uid: 7, at: start + 59) == .summarize(summarized: 1, summaryRow: nil))
        budget.summaryRow(42, summarized: 1, uid: 7)
        #expect(budget.refusal(uid: 7, at: start + 59) == .summarize(summarized: 2, summaryRow: 42))
        budget.summaryRow(42, summarized: 2, uid: 7)
        // Another row came after 42: the third refusal beyond the limit
        // goes into a new row, which says 1.
        #expect(budget.refusal(uid: 7, at: start + 59) == .summarize(summarized: 3, summaryRow: 42))
        #expect(budget.closeSummaryRow(uid: 7) == 1)
        budget.summaryRow(50, summarized: 1, uid: 7)
        #expect(budget.refusal(uid: 7, at: start + 59) == .summarize(summarized: 2, summaryRow: 50))
        // A row that is gone (rolled back) is not closed: its refusals are
        // counted again by the row written in its place.
        budget.summaryRow(nil, summarized: 0, uid: 7)
        #expect(budget.refusal(uid: 7, at: start + 59) == .summarize(summarized: 3, summaryRow: nil))
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

    /// The audit stage's use of the budget over a random stream, with other
    /// rows coming between at random: whatever happens, the summary rows of
    /// a caller's minute say, added up, how many refusals were not recorded
    /// one by one, and never a row for nothing.
    @Test func summaryRowsTogetherCountEachRefusalOnce() {
        var budget = AuditBudget()
        var counts: [String: Int] = [:]
        var rows: [String: [Int64: Int]] = [:]
        var nextRow: Int64 = 1
        var rng = SplitMix64(seed: 0x5EED_A0D1)
        var t = 1_764_583_200
        for _ in 0..<20_000 {
            t += Int(rng.next() % 2)
            let uid = Int(rng.next() % 3)
            let key = "\(uid)@\(t / 60)"
            counts[key, default: 0] += 1
            guard case .summarize(var n, let row) = budget.refusal(uid: uid, at: t) else { continue }
            if let row {
                if rng.next() % 4 != 0 {
                    rows[key]![row] = n
                    budget.summaryRow(row, summarized: n, uid: uid)
                    continue
                }
                n = budget.closeSummaryRow(uid: uid)
            }
            #expect(n >= 1)
            rows[key, default: [:]][nextRow] = n
            budget.summaryRow(nextRow, summarized: n, uid: uid)
            nextRow += 1
        }
        for (key, count) in counts where count > AuditBudget.refusalsPerMinute {
            #expect(rows[key]?.values.reduce(0, +) == count - AuditBudget.refusalsPerMinute, "\(key)")
        }
        #expect(!rows.isEmpty)
    }
}
