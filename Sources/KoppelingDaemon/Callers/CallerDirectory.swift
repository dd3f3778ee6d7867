#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Where the daemon looks up who a caller is: the user name for the audit
/// and the groups for the admin check.
///
/// On a real system these are NSS lookups (files, sssd, LDAP) that may
/// block for seconds, so they run on the lookup thread pool, never on the
/// event loop. Tests inject a directory of
/// their own: invented users and groups, or a lookup that is slow on
/// purpose.
protocol CallerDirectory: Sendable {
    /// The login name of `uid`, or nil when the user database has none.
    func userName(uid: UInt32) -> String?
    /// Every group `user` is in, its primary group included, as login
    /// would set them.
    func groupIDs(user: String, primaryGID: UInt32) -> [UInt32]
    /// The id of the group called `name`, or nil when there is none.
    func groupID(named name: String) -> UInt32?
}

/// The system's user and group databases, through the reentrant libc calls.
struct SystemDirectory: CallerDirectory {
    /// A first buffer that fits nearly every entry; a larger one is tried
    /// on ERANGE, up to `maxBuffer`, since an LDAP group with many members
    /// can need more.
    private static let firstBuffer = 16384
    private static let maxBuffer = 1 << 22

    func userName(uid: UInt32) -> String? {
        Self.lookup(passwd()) { entry, buffer, size, result in
            getpwuid_r(uid, entry, buffer, size, result)
        } read: {
            String(cString: $0.pw_name)
        }
    }

    func groupID(named name: String) -> UInt32? {
        Self.lookup(group()) { entry, buffer, size, result in
            getgrnam_r(name, entry, buffer, size, result)
        } read: {
            $0.gr_gid
        }
    }

    func groupIDs(user: String, primaryGID: UInt32) -> [UInt32] {
        var count: Int32 = 64
        // getgrouplist says how many it needs when the array is too small;
        // the database may grow between two calls, so ask again then.
        for _ in 0..<4 {
            var groups = [gid_t](repeating: 0, count: Int(max(count, 1)))
            var capacity = Int32(groups.count)
            if getgrouplist(user, primaryGID, &groups, &capacity) != -1 {
                return Array(groups.prefix(Int(max(0, capacity))))
            }
            count = max(capacity, count * 2)
        }
        return [primaryGID]
    }

    /// Runs a `get…_r` call with a buffer that grows while the call says
    /// ERANGE; `read` takes what it needs from the entry while the buffer
    /// its strings point into still lives.
    private static func lookup<Entry, T>(
        _ empty: Entry,
        _ call: (
            UnsafeMutablePointer<Entry>, UnsafeMutablePointer<CChar>, Int,
            UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>
        ) -> Int32,
        read: (Entry) -> T
    ) -> T? {
        var size = firstBuffer
        while size <= maxBuffer {
            var entry = empty
            var result: UnsafeMutablePointer<Entry>?
            var buffer = [CChar](repeating: 0, count: size)
            let answer: T?? = buffer.withUnsafeMutableBufferPointer { pointer in
                let rc = call(&entry, pointer.baseAddress!, pointer.count, &result)
                if rc == ERANGE { return .none }
                guard rc == 0, result != nil else { return .some(nil) }
                return .some(read(entry))
            }
            if let answer { return answer }
            size *= 2
        }
        return nil
    }
}
