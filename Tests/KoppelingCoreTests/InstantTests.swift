import Foundation
import KoppelingTime
import Testing

@testable import KoppelingCore

@Suite("RFC 3339 instants")
struct InstantTests {
    @Test func formatsUTC() {
        #expect(Instant.rfc3339(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(Instant.rfc3339(Date(timeIntervalSince1970: 1_774_746_000)) == "2026-03-29T01:00:00Z")
        #expect(Instant.rfc3339(Date(timeIntervalSince1970: 1_768_431_900)) == "2026-01-14T23:05:00Z")
        #expect(Instant.rfc3339(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
    }

    @Test func dropsFractionsTowardsThePast() {
        #expect(Instant.rfc3339(Date(timeIntervalSince1970: 59.999)) == "1970-01-01T00:00:59Z")
        #expect(Instant.rfc3339(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
    }

    @Test func agreesWithFoundation() {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        for t in stride(from: -2_208_988_800, through: 4_102_444_800, by: 7_919_999) {
            let date = Date(timeIntervalSince1970: Double(t))
            #expect(Instant.rfc3339(date) == f.string(from: date))
        }
    }

    @Test func roundTrips() {
        var failures: [Int] = []
        // A prime stride visits every second-of-day value over the range.
        for t in stride(from: -2_208_988_800, through: 253_402_300_799, by: 1_000_003) {
            let date = Date(timeIntervalSince1970: Double(t))
            if Instant.parse(Instant.rfc3339(date)) != date { failures.append(t) }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test func plainDateMeansUTCMidnight() {
        #expect(Instant.parse("2026-03-29") == Date(timeIntervalSince1970: 20_541 * 86_400))
    }

    @Test(
        "malformed instants are refused",
        arguments: [
            "", "2026-03-29T01:00:00", "2026-03-29 01:00:00Z", "2026-03-29t01:00:00Z",
            "2026-03-29T01:00:00z", "2026-03-29T01:00:00+01:00", "2026-03-29T01:00:00.5Z",
            "2026-03-29T24:00:00Z", "2026-03-29T01:60:00Z", "2026-03-29T01:00:61Z",
            // No leap second: `:60` would quietly mean the next minute.
            "2026-03-29T01:00:60Z", "2026-12-31T23:59:60Z",
            "2026-02-30T01:00:00Z", "2026-03-29T1:00:00Z", "2026-03-29T-1:00:00Z",
            "2026-03-29T+1:00:00Z", "2026-03-29T01:-1:00Z", "2026-03-29T01:00:-1Z",
            "2026-03-29T٠١:00:00Z", "2026-3-29T01:00:00Z",
        ]
    )
    func refusesMalformed(raw: String) {
        #expect(Instant.parse(raw) == nil)
    }
}
