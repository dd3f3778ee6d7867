import KoppelingCore
import KoppelingProtocol
import KoppelingStorage
import KoppelingTime
import Logging
import NIOPosix

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

extension Application {
    /// `audit.verify`: every row of the trail and its head, in one snapshot
    /// (a scan: on a thread and a read connection of its own, `Scans`).
    func verifyAudit() throws -> AuditVerifyResult {
        let verdict = try register.verifyAuditChain()
        return AuditVerifyResult(ok: verdict.ok, rows: verdict.rows, firstBrokenId: verdict.firstBrokenID)
    }
}

/// The daemon's own check of the audit chain, after each daily run (after
/// its backup, so the copy just written holds the trail found intact or
/// not). On a read connection of its own, on the daemon's thread pool (off
/// the database thread and the event loop): changes and reads go on while a
/// long trail is checked.
enum AuditChainCheck {
    /// Checks, records the outcome for `status` and logs it: a break as
    /// critical, with the first row that does not verify. An intact chain
    /// is logged with where it ends, so the journal keeps a record of the
    /// head outside the database (rows cut off the end together with the
    /// head would verify; a later check's head that is not an extension
    /// of this one shows them). The daemon passes its own pool.
    @discardableResult
    static func run(
        register: Register,
        health: StorageHealth,
        clock: any KoppelingClock,
        logger: Logger,
        pool: NIOThreadPool = .singleton
    ) async -> AuditChainStatus? {
        let outcome: Result<Register.AuditChainVerdict, any Error>
        do {
            outcome = .success(
                try await pool.runIfActive {
                    let reader = try register.reader()
                    defer { reader.close() }
                    return try reader.verifyAuditChain()
                }
            )
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .failure(let error):
            logger.error("the audit chain could not be checked", metadata: ["error": "\(error)"])
            return nil
        case .success(let verdict):
            let status = AuditChainStatus(
                ok: verdict.ok,
                rows: verdict.rows,
                firstBrokenId: verdict.firstBrokenID,
                checkedAt: Instant.rfc3339(clock.now())
            )
            health.auditChainCheck = status
            if let broken = verdict.firstBrokenID {
                logger.critical(
                    "the audit trail was changed outside koppelingd: from row \(broken) on it does not verify (a row edited, removed or inserted); keep the database and its backups as they are and compare with a backup",
                    metadata: ["first_broken_id": "\(broken)", "rows": "\(verdict.rows)"]
                )
            } else {
                logger.info(
                    "audit chain verified",
                    metadata: [
                        "rows": "\(verdict.rows)", "last_id": "\(verdict.lastID)",
                        "last_chain": "\(TermsDigest.hex(verdict.lastChain))",
                    ]
                )
            }
            return status
        }
    }
}
