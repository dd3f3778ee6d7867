#if canImport(Glibc)
import Glibc
#endif

/// Standard input and error through POSIX calls, so koppelingctl needs
/// only FoundationEssentials (no Foundation and ICU to load at each start).
enum StandardStreams {
    static func writeError(_ text: String) {
        var bytes = Array(VisibleText.escape(text).utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue } else { return } }
            bytes = bytes.dropFirst(n)
        }
    }

    static func readAllInput() -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return out }
            out.append(contentsOf: chunk[..<n])
        }
    }
}

extension StringProtocol {
    /// Without its leading and trailing spaces and tabs.
    var trimmedSpaces: Substring {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
