import KoppelingProtocol
import KoppelingStorage
import Logging
import NIOConcurrencyHelpers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Whether the files the daemon has open (the register, its `-wal` log and
/// the log's `-shm` index) are still the ones their paths name. A file
/// deleted or replaced under a running daemon would take every later change
/// to an unlinked inode, lost at exit while each was answered as saved;
/// once noticed (by the watcher within a second, or by the commit that
/// went there), changes are refused until a restart and reads go on.
final class StorageHealth: Sendable {
    let database: String
    let files: RegisterFiles
    private let lost = NIOLockedValueBox<RegisterFiles.File?>(nil)
    private let damaged = NIOLockedValueBox<String?>(nil)
    private let auditChain = NIOLockedValueBox<AuditChainStatus?>(nil)
    private let stopping = NIOLockedValueBox(false)

    /// Set when the daemon begins to stop: a full check of the file then
    /// ends at once instead of holding the stop up.
    var isStopping: Bool {
        get { stopping.withLockedValue { $0 } }
        set { stopping.withLockedValue { $0 = newValue } }
    }

    init(database: String) {
        self.database = database
        files = RegisterFiles(database: database)
    }

    var isGone: Bool { lostFile != nil }

    /// The first of the register's files found removed or replaced.
    var lostFile: RegisterFiles.File? { lost.withLockedValue { $0 } }

    /// What `status` says of the storage.
    var state: String {
        switch lostFile {
        case .register?: "gone"
        case .log?, .sharedMemory?: "log_gone"
        case .lock?: "lock_gone"
        case .secret?: "secret_gone"
        case nil: damage != nil ? "damaged" : "ok"
        }
    }

    /// What the last full check of the file found wrong; nil while none
    /// found anything. Once set it stays: damage does not heal.
    var damage: String? {
        get { damaged.withLockedValue { $0 } }
        set { damaged.withLockedValue { if $0 == nil { $0 = newValue } } }
    }

    /// The last check of the audit chain (`AuditChainCheck`), shown in
    /// `status`; nil before the first.
    var auditChainCheck: AuditChainStatus? {
        get { auditChain.withLockedValue { $0 } }
        set { auditChain.withLockedValue { $0 = newValue } }
    }

    /// Looks at the paths again; the file this look found lost first.
    /// `logAtLeast`: the writer's `Register.logLength` (on its thread).
    func check(logAtLeast: Int64) -> RegisterFiles.File? {
        guard let file = files.lost(logAtLeast: logAtLeast) else { return nil }
        return markLost(file) ? file : nil
    }

    /// Records `file` as lost; true the first time a loss is recorded.
    @discardableResult
    func markLost(_ file: RegisterFiles.File) -> Bool {
        lost.withLockedValue { recorded in
            guard recorded == nil else { return false }
            recorded = file
            return true
        }
    }

    /// The journal's line for a loss, naming the file.
    func logLoss(_ file: RegisterFiles.File, logger: Logger) {
        let what: String
        switch file {
        case .register:
            what = "the register file was deleted or replaced (or emptied) while koppelingd runs; every change is refused from now on (restore it and restart koppelingd)"
        case .log, .sharedMemory:
            what = "the register's \(file.rawValue) file was deleted, replaced or cut short while koppelingd runs; every change is refused until koppelingd is restarted (whether what the log held could be saved into the register file follows)"
        case .lock:
            what = "the register's lock file was deleted or replaced while koppelingd runs: a second daemon could start on this register; every change is refused until koppelingd is restarted"
        case .secret:
            what = "the install secret was deleted, emptied or replaced while koppelingd runs: the next start will refuse until it is restored (docs/install.md, Restoring); every change is refused until then"
        }
        logger.critical(
            "\(what)",
            metadata: ["database": "\(database)", "file": "\(files.path(of: file))"]
        )
    }
}
