import Foundation

/// The daemon's resident memory from /proc/PID/status, in KiB: `VmRSS`
/// now and `VmHWM`, the most it has held since it started.
struct DaemonMemory: Codable {
    var rssKiB: Int
    var peakKiB: Int

    static func read(pid: Int32) -> DaemonMemory? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var rss: Int?
        var peak: Int?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("VmRSS:") { rss = kib(line) } else if line.hasPrefix("VmHWM:") { peak = kib(line) }
        }
        guard let rss, let peak else { return nil }
        return DaemonMemory(rssKiB: rss, peakKiB: peak)
    }

    /// `VmRSS:\t   12345 kB` → 12345.
    private static func kib(_ line: Substring) -> Int? {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
    }
}
