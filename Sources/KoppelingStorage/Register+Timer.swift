import KoppelingCore

#if canImport(Glibc)
import Glibc
#endif

extension Register {
    /// Who the audit names for what the daemon does by itself.
    static let daemonCaller = Caller(user: "koppelingd", uid: Int(getuid()), mayChange: true)

    static func timerRun(_ r: Row) -> TimerRunRecord {
        TimerRunRecord(
            kind: TimerRunRecord.Kind(rawValue: r.text(0)) ?? .manual,
            localDay: r.text(1),
            startedAt: r.text(2),
            finishedAt: r.text(3),
            enabled: r.int(4),
            stopped: r.int(5),
            stoppedDetail: r.text(6),
            ended: r.int(7)
        )
    }

    static let timerRunColumns =
        "kind, local_day, started_at, finished_at, enabled_count, stopped_count, stopped_detail, ended_count"

    public func lastScheduledRunDay() throws -> LocalDate? {
        try db.queryOne("SELECT max(local_day) FROM timer_run WHERE kind = 'scheduled'") { $0.optionalText(0) }
            .flatMap { $0 }.flatMap(LocalDate.init(iso:))
    }

    public func lastTimerRun(kind: TimerRunRecord.Kind? = nil) throws -> TimerRunRecord? {
        if let kind {
            return try db.queryOne(
                "SELECT \(Register.timerRunColumns) FROM timer_run WHERE kind = ? ORDER BY id DESC LIMIT 1",
                [.text(kind.rawValue)],
                Register.timerRun
            )
        }
        return try db.queryOne(
            "SELECT \(Register.timerRunColumns) FROM timer_run ORDER BY id DESC LIMIT 1",
            [],
            Register.timerRun
        )
    }

    /// The daily pass, in one transaction: activations past their end date
    /// end (by `timer`, reason `end_date_reached`); every pending import
    /// whose day has come and whose activation is still active becomes
    /// active; any import whose activation ended stops. A scheduled run happens at most
    /// once per local day (checked in the same transaction); `nil` means
    /// that day already ran.
    public func runEnablingPass(
        kind: TimerRunRecord.Kind,
        today: LocalDate,
        startedAt: String,
        now: () -> String
    ) throws -> TimerRunRecord? {
        try inWriteScope {
            if kind == .scheduled,
                try db.queryOne(
                    "SELECT 1 FROM timer_run WHERE kind = 'scheduled' AND local_day >= ?",
                    [.text(today.description)],
                    { _ in true }
                ) != nil
            {
                return nil
            }
            let stamp = now()
            // The end date is the last day active: ended on the day after,
            // each with an audit row of its own in this transaction (a
            // change to a school's koppelingen, made by the daemon).
            let endedRows = try db.query(
                """
                UPDATE activation SET deactivated_at = ?, deactivated_by = 'timer', deactivation_reason = 'end_date_reached'
                WHERE deactivated_at IS NULL AND end_date IS NOT NULL AND end_date < ?
                RETURNING school_brin6, koppeling_id, end_date
                """,
                [.text(stamp), .text(today.description)]
            ) { ($0.text(0), $0.text(1), $0.text(2)) }
            for (school, koppeling, endDate) in endedRows.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
                try appendAudit(
                    at: stamp,
                    caller: Register.daemonCaller,
                    method: "timer.run",
                    school: school,
                    koppeling: koppeling,
                    outcome: .ok,
                    reasons: [.endDateReached],
                    detail: "einddatum \(endDate) voorbij"
                )
            }
            let ended = endedRows.count
            let enabled = try db.run(
                """
                UPDATE eckid_import SET state = 'active', activated_at = ?
                WHERE state = 'pending' AND active_from <= ?
                  AND activation_id IN (SELECT id FROM activation WHERE deactivated_at IS NULL)
                """,
                [.text(stamp), .text(today.description)]
            )
            let stoppedSchools = try db.query(
                """
                UPDATE eckid_import SET state = 'disabled', disabled_at = ?1, disabled_by = 'koppelingd', disabled_reason = 'activation_ended'
                WHERE state IN ('pending', 'active')
                  AND activation_id IN (SELECT id FROM activation WHERE deactivated_at IS NOT NULL)
                RETURNING school_brin6
                """,
                [.text(stamp)]
            ) { $0.text(0) }
            let detail =
                stoppedSchools.isEmpty ? "" : "activation_ended: " + stoppedSchools.sorted().joined(separator: ",")
            let record = TimerRunRecord(
                kind: kind,
                localDay: today.description,
                startedAt: startedAt,
                finishedAt: now(),
                enabled: enabled,
                stopped: stoppedSchools.count,
                stoppedDetail: detail,
                ended: ended
            )
            try db.run(
                "INSERT INTO timer_run (\(Register.timerRunColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(record.kind.rawValue), .text(record.localDay), .text(record.startedAt),
                    .text(record.finishedAt),
                    .integer(Int64(record.enabled)), .integer(Int64(record.stopped)), .text(record.stoppedDetail),
                    .integer(Int64(record.ended)),
                ]
            )
            return record
        }
    }
}
