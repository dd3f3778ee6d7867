import KoppelingCore
import KoppelingProtocol
import KoppelingStorage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The processing register (AVG article 30(1)): its export, its controller
/// block and its changes over a period.
extension Application {
    func registerExport(_ p: RegisterExportParams) throws -> RegisterExportResult {
        let school = try p.brin6.map { try brin6($0) }
        let now = clock.now()
        let head = try register.auditChainHead()
        return RegisterExportResult(
            exportedAt: Instant.rfc3339(now, offset: zone.offset(at: Int(now.timeIntervalSince1970.rounded(.down)))),
            timeZone: zone.identifier,
            controller: try register.controller(),
            auditHead: head.map { AuditHead(id: $0.id, value: $0.value) },
            rows: try register.processingRegister(school: school, includeEnded: p.includeEnded ?? false)
        )
    }

    func setController(_ p: SetControllerParams, caller: Caller) throws -> ControllerResult {
        let controller = try Controller.validated(p.controller)
        return ControllerResult(controller: try register.setController(controller, by: caller, now: nowStamp))
    }

    func getController() throws -> ControllerResult {
        ControllerResult(controller: try register.controller())
    }

    /// From the first instant of `from` to the first instant of the day
    /// after `to`, in the daemon's zone: the days as the school lives them.
    func registerChanges(_ p: RegisterChangesParams) throws -> RegisterChangesResult {
        var violations: [Violation] = []
        func day(_ raw: String, _ field: String) -> LocalDate? {
            if let d = LocalDate(iso: raw.trimmingWhitespace()) { return d }
            violations.append(
                Violation(field: field, reason: .dateFormat, message: "Geef de datum als JJJJ-MM-DD, bijvoorbeeld 2026-08-01.")
            )
            return nil
        }
        let from = day(p.from, "from")
        var to = day(p.to, "to")
        // Instants compare as text: a year past 9998 would end the period
        // at "10000-…", before every stored instant.
        if let last = to, last > LocalDate(iso: "9998-12-31")! {
            violations.append(
                Violation(field: "to", reason: .dateFormat, message: "Geef een einddatum tot en met 9998-12-31.")
            )
            to = nil
        }
        if let from, let to, to < from {
            violations.append(
                Violation(field: "to", reason: .endDateBeforeStart, message: "De einddatum ligt vóór de begindatum.")
            )
        }
        guard violations.isEmpty, let from, let to else { throw KoppelingError.rules(violations) }
        let midnight = LocalTime(hour: 0, minute: 0)!
        return RegisterChangesResult(
            from: from.description,
            to: to.description,
            timeZone: zone.identifier,
            changes: try register.changes(
                from: Instant.rfc3339(zone.firstInstant(of: from, at: midnight)),
                until: Instant.rfc3339(zone.firstInstant(of: to.adding(days: 1), at: midnight))
            )
        )
    }
}
