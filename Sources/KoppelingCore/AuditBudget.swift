/// How many refusals of one caller the audit records one by one: at most
/// `refusalsPerMinute` a minute; the rest of that minute are counted into
/// one summary row. A reader sending refused changes as fast as the socket
/// takes them (110,500 rows in 8 seconds, about 4 GB an hour) cannot drown
/// the trail, and what it did is still there: when, who, and how often.
///
/// Changes that were made are never summarized. Pure state, no I/O: the
/// audit stage asks it and writes what it says.
public struct AuditBudget: Sendable {
    public static let refusalsPerMinute = 60

    public enum Decision: Equatable, Sendable {
        /// Write the refusal's own row.
        case record
        /// Count it into the caller's summary row of this minute: `summarized`
        /// refusals so far, the row already written (`nil`: write it).
        case summarize(summarized: Int, summaryRow: Int64?)
    }

    private struct Tally {
        var refusals = 0
        var summaryRow: Int64?
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
        return .summarize(summarized: tally.refusals - Self.refusalsPerMinute, summaryRow: tally.summaryRow)
    }

    /// The summary row of `uid` for this minute, once written (or `nil`
    /// when it turned out to be gone, rolled back with its transaction).
    public mutating func summaryRow(_ row: Int64?, uid: Int) {
        tallies[uid]?.summaryRow = row
    }
}
