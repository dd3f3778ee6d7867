import KoppelingCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Why a system zone could not be loaded.
public enum SystemZoneError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a zone name: empty, absolute, with `.` or `..` components, empty
    /// components or characters no IANA name uses.
    case invalidIdentifier(String)
    /// No such file, or it cannot be read.
    case unreadable(path: String)
    /// Larger than any TZif file (`SystemZones.maximumFileSize`).
    case tooLarge(path: String)
    /// The file is there but is not a TZif file this reader accepts.
    case invalid(path: String, TZifError)

    public var description: String {
        switch self {
        case .invalidIdentifier(let id): return "not a time zone name: \"\(id)\""
        case .unreadable(let path): return "cannot read \(path)"
        case .tooLarge(let path): return "\(path) is too large for a TZif file"
        case .invalid(let path, let e): return "\(path): \(e)"
        }
    }
}

/// The TZif files of the system (Debian's tzdata), read for `TZif`.
public enum SystemZones {
    public static let zoneinfoDirectory = "/usr/share/zoneinfo"
    public static let localtimePath = "/etc/localtime"
    /// The largest zone file of tzdata is a few kilobytes.
    public static let maximumFileSize = 1 << 20

    /// Whether `identifier` may name a file under the zoneinfo directory:
    /// relative, no `.` or `..` components, no empty ones, and only the
    /// characters IANA names use (letters, digits, `_`, `-`, `+`, `.`).
    public static func isValidIdentifier(_ identifier: String) -> Bool {
        let u = Array(identifier.utf8)
        guard !u.isEmpty, u.count <= 255, u.first != UInt8(ascii: "/") else { return false }
        let allowed = u.allSatisfy { c in
            (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c)
                || "_-+./".utf8.contains(c)
        }
        guard allowed else { return false }
        return identifier.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".."
        }
    }

    /// The bytes of a file, at most `maximumFileSize` of them.
    static func read(_ path: String) throws(SystemZoneError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while bytes.count <= maximumFileSize {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .unreadable(path: path) }
            if n == 0 { return bytes }
            bytes += chunk[..<n]
        }
        throw .tooLarge(path: path)
    }

    static func load(_ path: String) throws(SystemZoneError) -> TimeZoneRules {
        let bytes = try read(path)
        do { return try TZif.parse(bytes) } catch { throw .invalid(path: path, error) }
    }

    /// The IANA name `/etc/localtime` points at (Debian links it to
    /// `/usr/share/zoneinfo/<name>`), if it is such a link.
    public static func localIdentifier(path: String = localtimePath) -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path),
            let range = target.ranges(of: "zoneinfo/").last
        else { return nil }
        let name = String(target[range.upperBound...])
        return isValidIdentifier(name) ? name : nil
    }
}

extension TimeZoneRules {
    /// The rules of an IANA zone from `/usr/share/zoneinfo/<identifier>`.
    public static func system(
        identifier: String,
        directory: String = SystemZones.zoneinfoDirectory
    ) throws(SystemZoneError) -> TimeZoneRules {
        guard SystemZones.isValidIdentifier(identifier) else { throw .invalidIdentifier(identifier) }
        return try SystemZones.load(directory + "/" + identifier)
    }

    /// The rules of the machine's own zone, `/etc/localtime`.
    public static func localtime(path: String = SystemZones.localtimePath) throws(SystemZoneError) -> TimeZoneRules {
        try SystemZones.load(path)
    }
}
