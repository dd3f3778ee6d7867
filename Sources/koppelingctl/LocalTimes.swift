import KoppelingCore
import KoppelingProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Instants as a person in the daemon's zone reads them: `2026-12-01 09:22`.
/// The protocol carries RFC 3339 UTC (`--json` keeps it); human output turns
/// each into the daemon's local wall time with the zone's rules from the
/// system's TZif file (`/usr/share/zoneinfo`, read by `TZif` in the core:
/// no ICU to load at every start). Without the file, the UTC text stays.
struct LocalTimes {
    let zone: String
    private let rules: TimeZoneRules?

    init(zone: String, directory: String = "/usr/share/zoneinfo") {
        self.zone = zone
        rules = Self.load(zone, directory: directory)
    }

    /// The daemon's zone, asked of the daemon.
    init(_ session: Session) throws {
        self.init(zone: try session.lookup(Methods.status, NoParams()).timeZone)
    }

    /// `2026-12-01 09:22`; the text as it came when it is not an instant
    /// or the zone's rules could not be read.
    func format(_ rfc3339: String) -> String {
        guard let rules, let date = Instant.parse(rfc3339) else { return rfc3339 }
        let local = rules.localDateTime(at: Int64(date.timeIntervalSince1970.rounded(.down)))
        func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        return "\(local.date) \(pad(local.hour)):\(pad(local.minute))"
    }

    func format(_ rfc3339: String?) -> String? { rfc3339.map { format($0) } }

    private static func load(_ zone: String, directory: String) -> TimeZoneRules? {
        // An IANA name, never a path out of the directory.
        guard !zone.isEmpty, !zone.hasPrefix("/"), !zone.split(separator: "/").contains(".."),
            let bytes = readFile(directory + "/" + zone)
        else { return nil }
        return try? TZif.parse(bytes)
    }

    private static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while out.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out.append(contentsOf: chunk[..<n])
        }
        return out
    }
}
