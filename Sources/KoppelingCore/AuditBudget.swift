/// How many refusals of one caller the audit records one by one: at most
/// `refusalsPerMinute` a minute; the rest of that minute are counted into
/// one summary row. A reader sending refused changes as fast as the socket
/// takes them (110,500 rows in 8 seconds, about 4 GB an hour) cannot drown
/// the trail, and what it did is still there: when, who, and how often.
///
/// The summary row's count is rewritten with each further refusal while it
/// is the last row of the audit chain, the only row that can change without
/// breaking the chain. Once other rows follow it, it stays as it is and the
/// next refusals go into a new summary row: each says how many refusals it
/// counts, together they count each once, and there is at most one more
/// of them than rows written by others in that minute.
///
/// Changes that were made are never summarized. Pure state, no I/O: the
/// audit stage asks it and writes what it says.
public struct AuditBudget: Sendable {
    public static let refusalsPerMinute = 60

    public enum Decision: Equatable, Sendable {
        /// Write the refusal's own row.
        case record
        /// Count it into the caller's summary row of this minute: the row is
        /// to say `summarized` refusals (those of this minute beyond the
        /// limit that no earlier, closed summary row states), the row
        /// already written (`nil`: write it).
        case summarize(summarized: Int, summaryRow: Int64?)
    }

    private struct Tally {
        var refusals = 0
        var summaryRow: Int64?
        /// What `summaryRow` says, as last written.
        var inRow = 0
        /// What the closed summary rows of this minute say together.
        var inClosedRows = 0
    }

    private var minute = Int.min
    private var tallies: [Int: Tally] = [:]

    public init() {}

    /// One refusal of `uid` at `epochSeconds`.
    public mutating func refusal(uid: Int, at epochSeconds: Int) -> Decision {
        let now = epochSeconds >= 0 ? epochSeconds / 60 : (epochSeconds - 59) / 60
        if now != minute {
            // A new minute: every caller starts afresh, and the tallies of
            // callers gone quiet are dropped.
            minute = now
            tallies = [:]
        }
        var tally = tallies[uid, default: Tally()]
        tally.refusals += 1
        tallies[uid] = tally
        if tally.refusals <= Self.refusalsPerMinute { return .record }
        return .summarize(
            summarized: tally.refusals - Self.refusalsPerMinute - tally.inClosedRows,
            summaryRow: tally.summaryRow
        )
    }

    /// The summary row of `uid` for this minute, once written or rewritten
    /// to say `summarized` refusals (or `nil` when it turned out to be gone,
    /// rolled back with its transaction: the next row then counts its
    /// refusals too).
    public mutating func summaryRow(_ row: Int64?, summarized: Int, uid: Int) {
        tallies[uid]?.summaryRow = row
        tallies[uid]?.inRow = row == nil ? 0 : summarized
    }

    /// The summary row of `uid` can no longer change (the audit chain lets
    /// only its last row be rewritten, and other rows came after it): it
    /// stays as last written, and the refusals it does not state go into a
    /// new row. Returns how many that row is to say, this refusal included.
    public mutating func closeSummaryRow(uid: Int) -> Int {
        guard var tally = tallies[uid] else { return 0 }
        tally.inClosedRows += tally.inRow
        tally.inRow = 0
        tally.summaryRow = nil
        tallies[uid] = tally
        return max(0, tally.refusals - Self.refusalsPerMinute - tally.inClosedRows)
    }
}
