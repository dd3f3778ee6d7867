#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own for a loop that lives as long as the daemon (the
/// database thread): Foundation's `Thread` is not in FoundationEssentials,
/// and a pool would hide which thread owns the connection.
enum DetachedThread {
    private final class Body: Sendable {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// Runs `body` on a new detached thread named `name` (at most 15 bytes,
    /// the kernel's limit, so `top -H` and `/proc` show it).
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        precondition(name.utf8.count <= 15, "thread names are at most 15 bytes")
        let context = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, entry, context)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(thread)
    }

    private static let entry: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? = { context in
        let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
        nameThisThread(body.name)
        body.run()
        return nil
    }

    /// Glibc's `pthread_setname_np` is not visible to Swift: the kernel's
    /// own file for the calling thread's name does the same.
    private static func nameThisThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = name.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
    }
}
