import Foundation

/// A bare Unix-socket client for the robustness tests: sends any bytes
/// (not only valid lines), reads with a timeout so a daemon that stops
/// answering fails the test instead of hanging it, and tells a closed
/// connection from a slow one.
final class RawSocket {
    enum ReadError: Error, Equatable {
        /// The daemon closed the connection (EOF or reset).
        case closed
        /// Nothing arrived within the timeout.
        case timedOut
    }

    struct ConnectError: Error { let errno: Int32 }

    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Records what is sent and read for the running test's secret canary.
    private let canary: SecretCanary?

    init(path: String, timeoutSeconds: Int = 10, forSecretCanary: Bool = false) throws {
        canary = forSecretCanary ? nil : SecretCanary.forClient(of: path)
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ConnectError(errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw ConnectError(errno: e)
        }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Writes all of `bytes`; returns false when the daemon stopped taking
    /// them (it closed the connection: EPIPE or reset).
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        canary?.recordSent(String(decoding: bytes, as: UTF8.self))
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// The next reply line, without its newline.
    func readLine() throws(ReadError) -> Data {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffer[..<newline])
                buffer.removeSubrange(...newline)
                canary?.recordReceived(String(decoding: line, as: UTF8.self), from: "a reply on a raw connection")
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw .timedOut }
                throw .closed
            }
            if n == 0 { throw .closed }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    /// The next reply line as a JSON object.
    func readReply() throws -> [String: Any] {
        let line = try readLine()
        guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            throw ReplyNotAnObject(line: String(decoding: line, as: UTF8.self))
        }
        return object
    }

    /// Sends one line (newline added) and reads one reply.
    func call(_ line: String) throws -> [String: Any] {
        send(line + "\n")
        return try readReply()
    }

    struct ReplyNotAnObject: Error { let line: String }
}
