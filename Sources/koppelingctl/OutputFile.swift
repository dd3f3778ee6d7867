import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// Files koppelingctl writes: downloaded terms, an exported register and
/// generated codes.
enum OutputFile {
    /// Writes `text` to `path`. `exclusive` refuses a file that exists (a
    /// file of secrets is made new, never written into one that others may
    /// already hold open); `mode` applies to a new file.
    static func write(_ text: String, to path: String, mode: mode_t, exclusive: Bool) throws {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (exclusive ? O_EXCL : O_TRUNC)
        let fd = open(path, flags, mode)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "het bestand bestaat al" : String(cString: strerror(errno))
            throw ValidationError("Kan '\(path)' niet schrijven: \(reason).")
        }
        defer { close(fd) }
        var rest = Array(text.utf8)[...]
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ValidationError("Kan '\(path)' niet schrijven: \(String(cString: strerror(errno))).")
            }
            rest = rest.dropFirst(n)
        }
        guard fsync(fd) == 0 else {
            throw ValidationError("Kan '\(path)' niet wegschrijven: \(String(cString: strerror(errno))).")
        }
    }
}
