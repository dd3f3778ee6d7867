import Glibc
import KoppelingProtocol

/// The receiving end of sd_notify: a datagram socket whose path is put in
/// `NOTIFY_SOCKET`, so start-up is timed to the daemon's own READY=1
/// rather than to the first successful poll.
final class NotifyListener {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchFailure("notify socket: \(String(cString: strerror(errno)))") }
        guard let address = UnixSocketAddress(path: path) else {
            close(fd)
            throw BenchFailure("notify socket path too long: \(path)")
        }
        let rc = address.withSockaddr { bind(fd, $0, $1) }
        guard rc == 0 else {
            close(fd)
            throw BenchFailure("notify socket bind: \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        self.path = path
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Waits for a datagram holding `READY=1`; the monotonic time it came,
    /// or `nil` after `timeout` seconds.
    func waitForReady(timeout: Double) -> UInt64? {
        let deadline = MonotonicClock.now() + UInt64(timeout * 1e9)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let now = MonotonicClock.now()
            guard now < deadline else { return nil }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let waitMs = Int32(min(1_000, (deadline - now) / 1_000_000 + 1))
            guard poll(&pfd, 1, waitMs) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            let arrived = MonotonicClock.now()
            guard n > 0 else { continue }
            let message = String(decoding: buffer[..<n], as: UTF8.self)
            if message.split(separator: "\n").contains("READY=1") { return arrived }
        }
    }
}
