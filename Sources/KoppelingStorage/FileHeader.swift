#if canImport(Glibc)
import Glibc
#endif

/// The first bytes of a file, to tell an SQLite file from anything else
/// before SQLite may write to it.
enum FileHeader {
    static let sqlite = Array("SQLite format 3\0".utf8)

    /// Up to `count` bytes from the start of `path`; nil if it cannot be
    /// opened (it may not exist).
    static func read(_ path: String, count: Int = 16) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, count - filled, off_t(filled)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        return Array(bytes[..<filled])
    }
}
