#if canImport(Glibc)
import Glibc
#endif

/// A `sockaddr_un` for a path, built in one place for the client, the
/// daemon (its stale-socket check and sd_notify) and the load generator.
public struct UnixSocketAddress {
    private var storage = sockaddr_un()
    /// The address length: the family, the path and, for a path in the
    /// file system, its terminating NUL.
    public let length: socklen_t

    /// Nil for an empty path or one too long for `sun_path`. With
    /// `abstract`, a leading `@` names Linux's abstract namespace (as
    /// systemd's NOTIFY_SOCKET may).
    public init?(path: String, abstract: Bool = false) {
        var bytes = Array(path.utf8)
        let isAbstract = abstract && bytes.first == UInt8(ascii: "@")
        if isAbstract { bytes[0] = 0 }
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: storage.sun_path) else { return nil }
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (isAbstract ? 0 : 1))
    }

    /// Calls `body` with the address as a `sockaddr` and its length (for
    /// `connect`, `bind`, `sendto`).
    public func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> T) rethrows -> T {
        var copy = storage
        return try withUnsafePointer(to: &copy) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }
}
