import KoppelingStorage
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

/// The full check of the register file (`PRAGMA quick_check`), right after
/// the daemon is ready and after each daily backup (DESIGN §4): it reads
/// every page, which a large register need not wait for before it serves.
/// On a read-only connection of its own, on the daemon's thread pool: off
/// the database thread and the event loop. Damage found turns changes off
/// (`storage_damaged`), keeps reads going, is logged as critical and shown
/// in `status`.
enum StorageCheck {
    static func run(register: Register, health: StorageHealth, logger: Logger, pool: NIOThreadPool) async {
        let outcome: Result<[String], any Error>
        do {
            outcome = try await pool.runIfActive { Result { try register.quickCheck(stop: { health.isStopping }) } }
        } catch {
            // The pool stops with the daemon: no check, so no verdict.
            return
        }
        let problems: [String]
        switch outcome {
        case .success(let found): problems = found
        // Stopped with the daemon: no verdict.
        case .failure(let error as SQLiteError) where error.isInterrupted: return
        // A file that cannot even be read through is damaged too.
        case .failure(let error): problems = ["\(error)"]
        }
        guard !problems.isEmpty else {
            logger.info("register file checked: no damage found", metadata: ["database": "\(health.database)"])
            return
        }
        health.damage = problems.prefix(3).joined(separator: "; ")
        logger.critical(
            "the register file is damaged: changes are refused from now on, reads go on; restore a backup with 'koppelingd restore' (docs/install.md, Restoring)",
            metadata: ["database": "\(health.database)", "problems": "\(problems.prefix(3).joined(separator: "; "))"]
        )
    }
}
