import Foundation
import Testing

/// Human output shows instants in the daemon's zone (`2026-12-01 09:22`);
/// `--json` keeps RFC 3339 UTC.
@Suite("Times in the daemon's zone")
struct LocalTimeOutputTests {
    /// What Foundation makes of `utc` in `zone`, as koppelingctl writes it.
    static func local(_ utc: String, in zone: String) throws -> String {
        let parser = ISO8601DateFormatter()
        let date = try #require(parser.date(from: utc))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: zone))
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }

    @Test(arguments: ["Europe/Amsterdam", "America/Santiago", "Asia/Kathmandu"])
    func humanOutputIsLocal(zone: String) throws {
        let daemon = try DaemonProcess(arguments: ["--time-zone", zone])
        let ctl = Ctl(socketPath: daemon.socketPath)
        try FlowTests.ctl(ctl, ["school", "add", "21QW00", "OBS De Regenboog"])
        let json = try FlowTests.ctl(ctl, ["school", "list", "--json"])
        let created = try #require((json.json?["schools"] as? [[String: Any]])?.first?["created_at"] as? String)
        #expect(created.hasSuffix("Z"), "--json keeps UTC: \(created)")
        let human = try FlowTests.ctl(ctl, ["school", "list"])
        #expect(human.stdout.contains(try Self.local(created, in: zone)), "\(zone): \(human.stdout)")
        #expect(!human.stdout.contains(created))
        let audit = try FlowTests.ctl(ctl, ["audit"])
        #expect(!audit.stdout.contains("Z "), "\(audit.stdout)")
        let status = try FlowTests.ctl(ctl, ["status"])
        let started = try #require(FlowTests.ctl(ctl, ["status", "--json"]).json?["started_at"] as? String)
        #expect(status.stdout.contains("Actief sinds:         \(try Self.local(started, in: zone))"), "\(status.stdout)")
    }
}
