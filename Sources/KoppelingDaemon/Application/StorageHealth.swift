import KoppelingProtocol
import NIOConcurrencyHelpers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Whether the register file the daemon has open is still the one its path
/// names. A file deleted or replaced under a running daemon would take every
/// later change to an unlinked inode, lost at exit while each was answered
/// as saved; once noticed, changes are refused and reads go on.
final class StorageHealth: Sendable {
    let database: String
    private let identity: (device: UInt64, inode: UInt64)?
    private let gone = NIOLockedValueBox(false)
    private let damaged = NIOLockedValueBox<String?>(nil)
    private let auditChain = NIOLockedValueBox<AuditChainStatus?>(nil)

    init(database: String) {
        self.database = database
        identity = Self.identity(of: database)
    }

    var isGone: Bool { gone.withLockedValue { $0 } }

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

    /// Looks at the path again; true when this look found it gone.
    func check() -> Bool {
        guard let identity, Self.identity(of: database).map({ $0 != identity }) ?? true else { return false }
        return gone.withLockedValue { wasGone in
            defer { wasGone = true }
            return !wasGone
        }
    }

    private static func identity(of path: String) -> (device: UInt64, inode: UInt64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }
}
