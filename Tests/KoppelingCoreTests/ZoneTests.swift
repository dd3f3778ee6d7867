import Foundation
import KoppelingTime
import Testing

@testable import KoppelingCore

@Suite("Time zone conversions")
struct ZoneTests {
    let amsterdam = zone("Europe/Amsterdam")
    let santiago = zone("America/Santiago")

    @Test func unknownZoneIsRefused() {
        #expect(Zone(identifier: "Europe/Atlantis") == nil)
        #expect(Zone(identifier: "Europe/Amsterdam")?.description == "Europe/Amsterdam")
    }

    @Test func localDateOfAnInstant() {
        #expect(amsterdam.localDate(at: utc("2026-01-14T22:59:59Z")) == day("2026-01-14"))
        #expect(amsterdam.localDate(at: utc("2026-01-14T23:00:00Z")) == day("2026-01-15"))
        #expect(amsterdam.localDate(at: utc("2026-07-14T21:59:59Z")) == day("2026-07-14"))
        #expect(amsterdam.localDate(at: utc("2026-07-14T22:00:00Z")) == day("2026-07-15"))
        #expect(santiago.localDate(at: utc("2026-01-15T02:59:59Z")) == day("2026-01-14"))
        #expect(santiago.localDate(at: utc("2026-01-15T03:00:00Z")) == day("2026-01-15"))
        // Before the epoch the division must round towards the past.
        #expect(amsterdam.localDate(at: utc("1969-12-31T23:30:00Z")) == day("1970-01-01"))
        #expect(santiago.localDate(at: utc("1970-01-01T01:00:00Z")) == day("1969-12-31"))
    }

    @Test func normalDays() {
        #expect(amsterdam.firstInstant(of: day("2026-01-15"), at: time("00:05")) == utc("2026-01-14T23:05:00Z"))
        #expect(amsterdam.firstInstant(of: day("2026-07-15"), at: time("00:05")) == utc("2026-07-14T22:05:00Z"))
        #expect(amsterdam.firstInstant(of: day("2026-07-15"), at: time("23:59")) == utc("2026-07-15T21:59:00Z"))
        #expect(santiago.firstInstant(of: day("2026-01-15"), at: time("00:05")) == utc("2026-01-15T03:05:00Z"))
        #expect(santiago.firstInstant(of: day("2026-07-15"), at: time("00:05")) == utc("2026-07-15T04:05:00Z"))
    }

    @Test func springForwardInAmsterdam() {
        // 2026-03-29, 02:00 CET becomes 03:00 CEST at 01:00Z.
        let d = day("2026-03-29")
        #expect(amsterdam.firstInstant(of: d, at: time("00:05")) == utc("2026-03-28T23:05:00Z"))
        #expect(amsterdam.firstInstant(of: d, at: time("01:59")) == utc("2026-03-29T00:59:00Z"))
        #expect(amsterdam.firstInstant(of: d, at: time("02:00")) == utc("2026-03-29T01:00:00Z"))
        #expect(amsterdam.firstInstant(of: d, at: time("02:30")) == utc("2026-03-29T01:00:00Z"))
        #expect(amsterdam.firstInstant(of: d, at: time("02:59")) == utc("2026-03-29T01:00:00Z"))
        #expect(amsterdam.firstInstant(of: d, at: time("03:00")) == utc("2026-03-29T01:00:00Z"))
        #expect(amsterdam.firstInstant(of: d, at: time("03:01")) == utc("2026-03-29T01:01:00Z"))
    }

    @Test func fallBackInAmsterdam() {
        // 2026-10-25, 03:00 CEST becomes 02:00 CET at 01:00Z: 02:00–02:59 happen twice.
        let d = day("2026-10-25")
        #expect(amsterdam.firstInstant(of: d, at: time("01:59")) == utc("2026-10-24T23:59:00Z"))
        #expect(amsterdam.firstInstant(of: d, at: time("02:00")) == utc("2026-10-25T00:00:00Z"))
        #expect(amsterdam.firstInstant(of: d, at: time("02:30")) == utc("2026-10-25T00:30:00Z"))
        #expect(amsterdam.firstInstant(of: d, at: time("02:59")) == utc("2026-10-25T00:59:00Z"))
        #expect(amsterdam.firstInstant(of: d, at: time("03:00")) == utc("2026-10-25T02:00:00Z"))
    }

    @Test func dstTransitionsAreWhereTheTestsAssume() {
        let tz = TimeZone(identifier: "Europe/Amsterdam")!
        #expect(tz.nextDaylightSavingTimeTransition(after: utc("2026-03-01T00:00:00Z")) == utc("2026-03-29T01:00:00Z"))
        #expect(tz.nextDaylightSavingTimeTransition(after: utc("2026-10-01T00:00:00Z")) == utc("2026-10-25T01:00:00Z"))
    }

    /// Chile starts DST at local midnight, so that midnight does not exist.
    /// The date comes from the zone itself, not from a rule written here.
    @Test func midnightThatDoesNotExistInSantiago() throws {
        let tz = TimeZone(identifier: "America/Santiago")!
        let jump = try #require(tz.nextDaylightSavingTimeTransition(after: utc("2026-08-01T00:00:00Z")))
        let before = tz.secondsFromGMT(for: jump.addingTimeInterval(-1))
        let after = tz.secondsFromGMT(for: jump)
        #expect(after - before == 3600, "a spring-forward transition")
        let wallBefore = Int(jump.timeIntervalSince1970) + before
        #expect(wallBefore % 86_400 == 0, "the clocks jump at local midnight")
        let skipped = LocalDate(dayNumber: wallBefore / 86_400)
        // At the time of writing this is 2026-09-06 04:00Z (00:00 -04 → 01:00 -03).
        #expect(santiago.localDate(at: jump) == skipped)
        #expect(santiago.localDate(at: jump.addingTimeInterval(-1)) == skipped.adding(days: -1))

        #expect(santiago.firstInstant(of: skipped, at: time("00:00")) == jump)
        #expect(santiago.firstInstant(of: skipped, at: time("00:05")) == jump)
        #expect(santiago.firstInstant(of: skipped, at: time("00:59")) == jump)
        #expect(santiago.firstInstant(of: skipped, at: time("01:00")) == jump)
        #expect(santiago.firstInstant(of: skipped, at: time("01:05")) == jump.addingTimeInterval(300))
        // The day before is untouched: its last minute is still there.
        #expect(santiago.firstInstant(of: skipped.adding(days: -1), at: time("23:59")) == jump.addingTimeInterval(-60))
    }

    /// When Chile ends DST, 23:00–23:59 of the Saturday happen twice.
    @Test func doubledHourBeforeMidnightInSantiago() throws {
        let tz = TimeZone(identifier: "America/Santiago")!
        let back = try #require(tz.nextDaylightSavingTimeTransition(after: utc("2026-03-01T00:00:00Z")))
        let before = tz.secondsFromGMT(for: back.addingTimeInterval(-1))
        let after = tz.secondsFromGMT(for: back)
        #expect(before - after == 3600)
        let wallBefore = Int(back.timeIntervalSince1970) + before
        #expect(wallBefore % 86_400 == 0)
        let saturday = LocalDate(dayNumber: wallBefore / 86_400 - 1)
        let sunday = saturday.adding(days: 1)
        // First occurrence of 23:30 is half an hour before the clocks go back.
        #expect(santiago.firstInstant(of: saturday, at: time("23:30")) == back.addingTimeInterval(-1800))
        #expect(santiago.firstInstant(of: sunday, at: time("00:00")) == back.addingTimeInterval(3600))
        #expect(santiago.firstInstant(of: sunday, at: time("00:05")) == back.addingTimeInterval(3900))
    }

    /// Samoa skipped 2011-12-30 entirely, going from UTC-10 to UTC+14.
    @Test func skippedCalendarDay() throws {
        let apia = try #require(Zone(identifier: "Pacific/Apia"))
        let jump = utc("2011-12-30T10:00:00Z")
        #expect(apia.localDate(at: jump.addingTimeInterval(-1)) == day("2011-12-29"))
        #expect(apia.localDate(at: jump) == day("2011-12-31"))
        #expect(apia.firstInstant(of: day("2011-12-30"), at: time("00:05")) == jump)
        #expect(apia.firstInstant(of: day("2011-12-31"), at: time("00:05")) == jump.addingTimeInterval(300))
    }

    /// Checks `firstInstant` against a brute-force search over a year in
    /// 5-minute steps (every transition here falls on a half hour), in zones
    /// with and without DST at odd hours.
    @Test(arguments: [
        "Europe/Amsterdam", "America/Santiago", "America/Asuncion", "Australia/Lord_Howe", "Asia/Kolkata",
    ])
    func firstInstantMatchesBruteForce(identifier: String) throws {
        guard let z = Zone(identifier: identifier) else { return }
        let wall = WallClock(identifier)
        let runAt = time("02:30")
        var expected: [LocalDate: Date] = [:]
        var t = utc("2026-01-01T00:00:00Z")
        let end = utc("2027-01-01T00:00:00Z")
        while t < end {
            let w = wall.read(t)
            // The first step whose wall clock is at or past 02:30 of its day,
            // or the first step of a day that starts after 02:30.
            if w.seconds >= runAt.secondsIntoDay, expected[w.day] == nil { expected[w.day] = t }
            t.addTimeInterval(300)
        }
        var mismatches: [String] = []
        for (d, instant) in expected where d > day("2026-01-02") && d < day("2026-12-30") {
            let got = z.firstInstant(of: d, at: runAt)
            if got != instant { mismatches.append("\(d): \(Instant.rfc3339(got)) != \(Instant.rfc3339(instant))") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        #expect(expected.count >= 360)
    }
}
