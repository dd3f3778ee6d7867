import KoppelingCore
import KoppelingProtocol
import KoppelingStorage

/// Every change, made or refused, leaves one audit row. A change's row is
/// written in its own transaction (it commits with the change or not at
/// all); a refusal's row after the refused change rolled back, in a write
/// of its own, so a busy database loses only that row. Beyond
/// `AuditBudget.refusalsPerMinute` refusals of one caller in a minute, the
/// rest are counted into a summary row.
struct AuditTrail: Middleware {
    func handle(_ request: Request, context: RequestContext, next: (Request, RequestContext) -> Response) -> Response {
        guard request.method.changesState else { return next(request, context) }
        var inner = context
        let caller = context.caller
        inner.beforeCommit.append { app in
            try Self.append(request, caller, outcome: .ok, reasons: [], detail: "", app)
        }
        let response = next(request, inner)
        guard case .failure(let refusal) = response else { return response }
        let outcome: AuditEntry.Outcome = if case .unavailable = refusal { .error } else { .refused }
        let app = context.app
        let register = app.register
        var decision = AuditBudget.Decision.record
        if outcome == .refused {
            decision = app.auditBudget.refusal(uid: caller.uid, at: Int(app.clock.now().timeIntervalSince1970))
        }
        let write = {
            try? register.write {
                switch decision {
                case .record:
                    try Self.append(
                        request,
                        caller,
                        outcome: outcome,
                        reasons: refusal.violations.isEmpty ? [refusal.reason] : refusal.violations.map(\.reason),
                        detail: refusal.fields.joined(separator: ","),
                        app
                    )
                case .summarize(let summarized, let row):
                    try Self.summarize(summarized, row: row, caller, app)
                }
            }
        }
        // The lock was not to be had for a whole busy timeout: the audit
        // row gets one try, not a second timeout.
        if refusal.reason == .databaseBusy { register.withoutBusyWait(write) } else { write() }
        return response
    }

    /// The caller's summary row of this minute: written with the first
    /// refusal beyond the limit, its count rewritten with each further one
    /// while it is the audit chain's last row; after another row, a new one
    /// counts on from there (`AuditBudget`).
    private static func summarize(_ summarized: Int, row: Int64?, _ caller: Caller, _ app: Application) throws {
        var count = summarized
        if let row {
            switch try app.register.rewriteAuditSummary(id: row, uid: caller.uid, detail: summaryDetail(count)) {
            case .rewritten:
                app.auditBudget.summaryRow(row, summarized: count, uid: caller.uid)
                return
            case .notLast:
                count = app.auditBudget.closeSummaryRow(uid: caller.uid)
            case .gone:
                break
            }
        }
        let written = try app.register.appendAudit(
            at: app.nowStamp,
            caller: caller,
            method: "audit.summary",
            school: nil,
            koppeling: nil,
            outcome: .refused,
            reasons: [.auditSummary],
            detail: summaryDetail(count)
        )
        app.auditBudget.summaryRow(written, summarized: count, uid: caller.uid)
    }

    static func summaryDetail(_ count: Int) -> String {
        "\(count) weigering(en) van deze gebruiker niet afzonderlijk vastgelegd "
            + "(ten hoogste \(AuditBudget.refusalsPerMinute) per minuut)"
    }

    /// A change made about many schools leaves one row per school; a
    /// refusal of it one row (nothing was changed for any of them).
    private static func append(
        _ request: Request,
        _ caller: Caller,
        outcome: AuditEntry.Outcome,
        reasons: [Reason],
        detail: String,
        _ app: Application
    ) throws {
        let schools: [String?] =
            outcome == .ok && !request.subject.schools.isEmpty
            ? request.subject.schools.map(Optional.some) : [request.subject.school]
        for school in schools {
            try append(request, school: school, caller, outcome: outcome, reasons: reasons, detail: detail, app)
        }
    }

    private static func append(
        _ request: Request,
        school: String?,
        _ caller: Caller,
        outcome: AuditEntry.Outcome,
        reasons: [Reason],
        detail: String,
        _ app: Application
    ) throws {
        try app.register.appendAudit(
            at: app.nowStamp,
            caller: caller,
            method: request.method.name,
            school: school.map(normalisedSchool),
            // A change made names a koppeling the catalogue knows.
            koppeling: request.subject.koppeling.map { auditedKoppeling($0, known: outcome == .ok, app) },
            outcome: outcome,
            reasons: reasons,
            detail: detail
        )
    }

    /// The audit names a school as it is stored when the input was valid,
    /// and masked otherwise (its first six characters and its length).
    static func normalisedSchool(_ raw: String) -> String {
        (try? Brin6.parse(raw).get().value) ?? raw.masked
    }

    /// A koppeling id as the catalogue spells it when it knows it (folded
    /// as the methods fold it: `TOPDOSSIER` is `topdossier`), masked
    /// otherwise: a refused request may carry a code in that field.
    static func auditedKoppeling(_ raw: String, known: Bool, _ app: Application) -> String {
        let id = CatalogRules.normalisedId(raw)
        return known || ((try? app.register.catalogEntry(id)) ?? nil) != nil ? id : raw.masked
    }
}
