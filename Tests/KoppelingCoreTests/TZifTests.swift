import Foundation
import KoppelingTime
import Testing

@testable import KoppelingCore

/// The system zone `identifier`, read by the TZif reader.
private func rules(_ identifier: String) throws -> TimeZoneRules {
    try TimeZoneRules.system(identifier: identifier)
}

/// Unix seconds of a literal `YYYY-MM-DDTHH:MM:SSZ` (Foundation's parser).
private func unix(_ text: String) -> Int64 { Int64(utc(text).timeIntervalSince1970) }

/// The seeded generator of DailyScheduleTests, for `random(in:using:)`.
extension SplitMix64: RandomNumberGenerator {}

/// Builds TZif files by hand, as RFC 8536 lays them out: header, data
/// block (32-bit times in version 1, 64-bit in the second block of 2+),
/// then for version 2+ the footer between newlines.
struct TZifBuilder {
    var version: UInt8 = UInt8(ascii: "2")
    var transitions: [(at: Int64, type: UInt8)] = []
    var types: [(offset: Int32, isDST: Bool, name: String)] = [(0, false, "UTC")]
    var footer = "UTC0"
    var leapSeconds: [(at: Int64, correction: Int32)] = []

    func bytes() -> [UInt8] {
        if version == 0 { return block(timeSize: 4) }
        return block(timeSize: 4) + block(timeSize: 8) + [0x0A] + Array(footer.utf8) + [0x0A]
    }

    /// A header and its data block.
    func block(timeSize: Int) -> [UInt8] {
        var chars: [UInt8] = []
        var index: [String: UInt8] = [:]
        for t in types where index[t.name] == nil {
            index[t.name] = UInt8(chars.count)
            chars += Array(t.name.utf8) + [0]
        }
        func be<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
            withUnsafeBytes(of: v.bigEndian) { Array($0) }
        }
        let kept = timeSize == 8 ? transitions : transitions.filter { Int32(exactly: $0.at) != nil }
        var out: [UInt8] = Array("TZif".utf8) + [version] + [UInt8](repeating: 0, count: 15)
        for count in [0, 0, leapSeconds.count, kept.count, types.count, chars.count] { out += be(UInt32(count)) }
        for t in kept { out += timeSize == 8 ? be(t.at) : be(Int32(t.at)) }
        out += kept.map(\.type)
        for t in types { out += be(t.offset) + [t.isDST ? 1 : 0, index[t.name] ?? 0] }
        out += chars
        for l in leapSeconds { out += (timeSize == 8 ? be(l.at) : be(Int32(l.at))) + be(l.correction) }
        return out
    }
}

@Suite("TZif reader: hand-written cases")
struct TZifCaseTests {
    @Test func amsterdamGapAndOverlap() throws {
        let ams = try rules("Europe/Amsterdam")
        // 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00Z.
        #expect(ams.offset(at: unix("2026-03-29T00:59:59Z")) == 3600)
        #expect(ams.offset(at: unix("2026-03-29T01:00:00Z")) == 7200)
        #expect(ams.abbreviation(at: unix("2026-03-29T00:59:59Z")) == "CET")
        #expect(ams.abbreviation(at: unix("2026-03-29T01:00:00Z")) == "CEST")
        #expect(ams.isDaylightSavingTime(at: unix("2026-03-29T01:00:00Z")))
        let spring = day("2026-03-29")
        #expect(ams.instants(of: spring, hour: 2, minute: 30).isEmpty)
        #expect(ams.firstInstant(of: spring, at: time("02:30")) == unix("2026-03-29T01:00:00Z"))
        #expect(ams.firstInstant(of: spring, at: time("02:00")) == unix("2026-03-29T01:00:00Z"))
        #expect(ams.instants(of: spring, hour: 1, minute: 59) == [unix("2026-03-29T00:59:00Z")])
        #expect(ams.instants(of: spring, hour: 3, minute: 0) == [unix("2026-03-29T01:00:00Z")])
        #expect(ams.localDateTime(at: unix("2026-03-29T00:59:59Z")).description == "2026-03-29T01:59:59")
        #expect(ams.localDateTime(at: unix("2026-03-29T01:00:00Z")).description == "2026-03-29T03:00:00")

        // 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00Z; 02:00–02:59 twice.
        let autumn = day("2026-10-25")
        #expect(
            ams.instants(of: autumn, hour: 2, minute: 30)
                == [unix("2026-10-25T00:30:00Z"), unix("2026-10-25T01:30:00Z")]
        )
        #expect(ams.firstInstant(of: autumn, at: time("02:30")) == unix("2026-10-25T00:30:00Z"))
        #expect(ams.instants(of: autumn, hour: 3, minute: 0) == [unix("2026-10-25T02:00:00Z")])
        #expect(ams.localDateTime(at: unix("2026-10-25T00:30:00Z")).description == "2026-10-25T02:30:00")
        #expect(ams.localDateTime(at: unix("2026-10-25T01:30:00Z")).description == "2026-10-25T02:30:00")
        #expect(ams.nextTransition(after: unix("2026-06-01T00:00:00Z")) == unix("2026-10-25T01:00:00Z"))
        // Past 2037 the footer rules: the same Sundays, computed.
        #expect(ams.nextTransition(after: unix("2090-01-01T00:00:00Z")) == unix("2090-03-26T01:00:00Z"))
        #expect(ams.instants(of: day("2090-03-26"), hour: 2, minute: 30).isEmpty)
        #expect(ams.instants(of: day("2090-10-29"), hour: 2, minute: 30).count == 2)
    }

    /// Chile moves its clocks at local midnight, by the footer
    /// `<-04>4<-03>,M9.1.6/24,M4.1.6/24`: 24:00 of the first Saturday.
    @Test func santiagoChangesAtMidnight() throws {
        let scl = try rules("America/Santiago")
        // 2026-09-05 24:00 -04 = 2026-09-06 04:00Z: 00:00–00:59 do not exist.
        #expect(scl.instants(of: day("2026-09-06"), hour: 0, minute: 0).isEmpty)
        #expect(scl.instants(of: day("2026-09-06"), hour: 0, minute: 59).isEmpty)
        #expect(scl.firstInstant(of: day("2026-09-06"), at: time("00:00")) == unix("2026-09-06T04:00:00Z"))
        #expect(scl.instants(of: day("2026-09-06"), hour: 1, minute: 0) == [unix("2026-09-06T04:00:00Z")])
        #expect(scl.instants(of: day("2026-09-05"), hour: 23, minute: 59) == [unix("2026-09-06T03:59:00Z")])
        #expect(scl.localDateTime(at: unix("2026-09-06T04:00:00Z")).description == "2026-09-06T01:00:00")
        // 2026-04-04 24:00 -03 = 2026-04-05 03:00Z: Saturday 23:00–23:59 twice.
        #expect(
            scl.instants(of: day("2026-04-04"), hour: 23, minute: 30)
                == [unix("2026-04-05T02:30:00Z"), unix("2026-04-05T03:30:00Z")]
        )
        #expect(scl.instants(of: day("2026-04-05"), hour: 0, minute: 0) == [unix("2026-04-05T04:00:00Z")])
    }

    /// Cuba: `CST5CDT,M3.2.0/0,M11.1.0/1`, midnight too.
    @Test func havanaChangesAtMidnight() throws {
        let hav = try rules("America/Havana")
        #expect(hav.instants(of: day("2026-03-08"), hour: 0, minute: 30).isEmpty)
        #expect(hav.firstInstant(of: day("2026-03-08"), at: time("00:30")) == unix("2026-03-08T05:00:00Z"))
        #expect(hav.localDateTime(at: unix("2026-03-08T05:00:00Z")).description == "2026-03-08T01:00:00")
        #expect(
            hav.instants(of: day("2026-11-01"), hour: 0, minute: 30)
                == [unix("2026-11-01T04:30:00Z"), unix("2026-11-01T05:30:00Z")]
        )
    }

    /// Lord Howe Island moves its clocks by half an hour.
    @Test func lordHoweHalfHourDST() throws {
        let lhi = try rules("Australia/Lord_Howe")
        // 2026-10-04 02:00 +1030 (15:30Z the day before) becomes 02:30 +11.
        #expect(lhi.offset(at: unix("2026-10-03T15:29:59Z")) == 37_800)
        #expect(lhi.offset(at: unix("2026-10-03T15:30:00Z")) == 39_600)
        #expect(lhi.abbreviation(at: unix("2026-10-03T15:30:00Z")) == "+11")
        #expect(lhi.instants(of: day("2026-10-04"), hour: 2, minute: 15).isEmpty)
        #expect(lhi.firstInstant(of: day("2026-10-04"), at: time("02:15")) == unix("2026-10-03T15:30:00Z"))
        #expect(lhi.instants(of: day("2026-10-04"), hour: 2, minute: 30) == [unix("2026-10-03T15:30:00Z")])
        // 2026-04-05 02:00 +11 (15:00Z the day before) becomes 01:30 +1030.
        #expect(
            lhi.instants(of: day("2026-04-05"), hour: 1, minute: 45)
                == [unix("2026-04-04T14:45:00Z"), unix("2026-04-04T15:15:00Z")]
        )
    }

    /// Chatham: +12:45 and +13:45, changing at 02:45 local.
    @Test func chatham() throws {
        let cha = try rules("Pacific/Chatham")
        // Last Sunday of September 2026 is the 27th: 02:45 +1245 = 14:00Z on the 26th.
        #expect(cha.offset(at: unix("2026-09-26T13:59:59Z")) == 45_900)
        #expect(cha.offset(at: unix("2026-09-26T14:00:00Z")) == 49_500)
        #expect(cha.abbreviation(at: unix("2026-09-26T14:00:00Z")) == "+1345")
        #expect(cha.localDateTime(at: unix("2026-09-26T14:00:00Z")).description == "2026-09-27T03:45:00")
        #expect(cha.instants(of: day("2026-09-27"), hour: 3, minute: 0).isEmpty)
        #expect(cha.footer?.text == "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45")
    }

    /// Dublin's footer has negative DST: standard IST in summer, GMT as
    /// "daylight" time in winter.
    @Test func dublinNegativeDST() throws {
        let dub = try rules("Europe/Dublin")
        #expect(dub.offset(at: unix("2090-01-15T12:00:00Z")) == 0)
        #expect(dub.offset(at: unix("2090-07-15T12:00:00Z")) == 3600)
        let footer = try PosixTZ.parse("IST-1GMT0,M10.5.0,M3.5.0/1")
        #expect(footer.localTimeType(at: unix("2090-01-15T12:00:00Z")).isDaylightSavingTime)
        #expect(!footer.localTimeType(at: unix("2090-07-15T12:00:00Z")).isDaylightSavingTime)
    }

    /// `Jn` never counts February 29, zero-based `n` does.
    @Test func julianDayFooters() throws {
        let julian = TimeZoneRules(posix: try PosixTZ.parse("AAA3BBB,J60/2,J305/2"))
        // J60 is March 1 in a common year and in a leap year alike.
        #expect(julian.nextTransition(after: unix("2027-01-01T00:00:00Z")) == unix("2027-03-01T05:00:00Z"))
        #expect(julian.nextTransition(after: unix("2028-01-01T00:00:00Z")) == unix("2028-03-01T05:00:00Z"))
        // J305 is November 1 in both; it ends at 02:00 BBB (-02) = 04:00Z.
        #expect(julian.nextTransition(after: unix("2027-06-01T00:00:00Z")) == unix("2027-11-01T04:00:00Z"))
        #expect(julian.nextTransition(after: unix("2028-06-01T00:00:00Z")) == unix("2028-11-01T04:00:00Z"))
        #expect(julian.abbreviation(at: unix("2028-07-01T00:00:00Z")) == "BBB")
        #expect(julian.offset(at: unix("2028-07-01T00:00:00Z")) == -7200)

        let zeroBased = TimeZoneRules(posix: try PosixTZ.parse("AAA3BBB,59/2,304/2"))
        // Day 59 is March 1 in 2027 but February 29 in 2028.
        #expect(zeroBased.nextTransition(after: unix("2027-01-01T00:00:00Z")) == unix("2027-03-01T05:00:00Z"))
        #expect(zeroBased.nextTransition(after: unix("2028-01-01T00:00:00Z")) == unix("2028-02-29T05:00:00Z"))
        #expect(zeroBased.nextTransition(after: unix("2027-06-01T00:00:00Z")) == unix("2027-11-01T04:00:00Z"))
        #expect(zeroBased.nextTransition(after: unix("2028-06-01T00:00:00Z")) == unix("2028-10-31T04:00:00Z"))

        // The same footer in a hand-built version 3 file with one transition:
        // before it type 0 (LMT), then the footer from 2000 on.
        let file = TZifBuilder(
            version: UInt8(ascii: "3"),
            transitions: [(unix("2000-01-01T00:00:00Z"), 1)],
            types: [(-11_000, false, "LMT"), (-10_800, false, "AAA"), (-7200, true, "BBB")],
            footer: "AAA3BBB,J60/2,J305/2"
        )
        let r = try TZif.parse(file.bytes())
        #expect(r.version == 3)
        #expect(r.offset(at: unix("1999-07-01T00:00:00Z")) == -11_000)
        #expect(r.abbreviation(at: unix("1999-07-01T00:00:00Z")) == "LMT")
        #expect(r.offset(at: unix("2000-01-01T00:00:00Z")) == -10_800)
        #expect(r.nextTransition(after: unix("2000-01-01T00:00:00Z")) == unix("2000-03-01T05:00:00Z"))
        #expect(r.offset(at: unix("2028-03-01T04:59:59Z")) == -10_800)
        #expect(r.offset(at: unix("2028-03-01T05:00:00Z")) == -7200)
    }

    /// RFC 8536 §3.3.1: hours from -167 to 167, and DST all year.
    @Test func extendedTransitionHours() throws {
        // Greenland: 23:00 on the Saturday (-1) and 00:00 on the Sunday,
        // which is 01:00Z, as in the EU.
        let nuuk = try rules("America/Nuuk")
        #expect(nuuk.footer?.text == "<-02>2<-01>,M3.5.0/-1,M10.5.0/0")
        #expect(nuuk.offset(at: unix("2090-03-26T00:59:59Z")) == -7200)
        #expect(nuuk.offset(at: unix("2090-03-26T01:00:00Z")) == -3600)
        #expect(nuuk.offset(at: unix("2090-10-29T00:59:59Z")) == -3600)
        #expect(nuuk.offset(at: unix("2090-10-29T01:00:00Z")) == -7200)

        // /25 is 01:00 the day after; /-1 23:00 the day before.
        let odd = TimeZoneRules(posix: try PosixTZ.parse("AAA3BBB,M3.2.0/25,M11.1.0/-1"))
        #expect(odd.nextTransition(after: unix("2026-01-01T00:00:00Z")) == unix("2026-03-09T04:00:00Z"))
        #expect(odd.nextTransition(after: unix("2026-06-01T00:00:00Z")) == unix("2026-11-01T01:00:00Z"))

        // Gaza: Saturday 02:00 as "4th Thursday + 50 hours".
        let gaza = TimeZoneRules(posix: try PosixTZ.parse("EET-2EEST,M3.4.4/50,M10.4.4/50"))
        // 2090: 4th Thursday of March is the 23rd; +50 h is Saturday 25th 02:00 EET.
        #expect(gaza.nextTransition(after: unix("2090-01-01T00:00:00Z")) == unix("2090-03-25T00:00:00Z"))

        // Permanent DST: the end of one year is the start of the next.
        let always = TimeZoneRules(posix: try PosixTZ.parse("EST5EDT,0/0,J365/25"))
        for t in [
            "2026-01-01T00:00:00Z", "2026-01-01T04:59:59Z", "2026-01-01T05:00:00Z", "2026-07-01T00:00:00Z",
            "2026-12-31T23:59:59Z", "2028-02-29T12:00:00Z", "2400-01-01T05:00:00Z",
        ] {
            #expect(always.offset(at: unix(t)) == -14_400, "\(t)")
            #expect(always.abbreviation(at: unix(t)) == "EDT")
        }
        #expect(always.nextTransition(after: 0) == nil)
    }

    @Test func footerGrammar() throws {
        let cet = try PosixTZ.parse("CET-1CEST,M3.5.0,M10.5.0/3")
        #expect(cet.standard == LocalTimeType(utOffset: 3600, isDaylightSavingTime: false, abbreviation: "CET"))
        #expect(cet.daylight?.type == LocalTimeType(utOffset: 7200, isDaylightSavingTime: true, abbreviation: "CEST"))
        #expect(cet.daylight?.start == PosixTZ.Rule(day: .monthWeekDay(month: 3, week: 5, weekday: 0), time: 7200))
        #expect(cet.daylight?.end == PosixTZ.Rule(day: .monthWeekDay(month: 10, week: 5, weekday: 0), time: 10_800))
        let tehran = try PosixTZ.parse("<+0330>-3:30")
        #expect(tehran.standard.utOffset == 12_600)
        #expect(tehran.standard.abbreviation == "+0330")
        #expect(tehran.daylight == nil)
        #expect(try PosixTZ.parse("<-03>3").standard.utOffset == -10_800)
        #expect(try PosixTZ.parse("EST5EDT,M3.2.0,M11.1.0").daylight?.type.utOffset == -14_400)
        #expect(try PosixTZ.parse("XXX-5:45:30").standard.utOffset == 20_730)
        // Daylight time without a rule: the tzcode default M3.2.0,M11.1.0.
        #expect(try PosixTZ.parse("EST5EDT").daylight?.start.day == .monthWeekDay(month: 3, week: 2, weekday: 0))
        // Daylight time with an offset of its own.
        #expect(try PosixTZ.parse("AAA3BBB1,J1,J2").daylight?.type.utOffset == -3600)

        for bad in [
            "", "CET", "CE-1", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0",
            "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,J0,J365", "CET-1CEST,366,1", "CET-1CEST,M3.5.0/168,M10.5.0",
            "CET-25", "CET-1:60", "<+03-3", "<+3>-3", "CET-1CEST,M3.5.0,M10.5.0/3x", "CET-1 CEST", "CET-1CEST,",
        ] {
            #expect(throws: TZifError.self, "\(bad)") { try PosixTZ.parse(bad) }
            #expect((try? PosixTZ.parse(bad)) == nil)
        }
        #expect((try? PosixTZ.parse("CET-1CEST,M3.5.0/-167,M10.5.0/167")) != nil)
    }

    /// A version 1 file: 32-bit times and no footer, so the last type holds.
    @Test func versionOneFile() throws {
        let file = TZifBuilder(
            version: 0,
            transitions: [(unix("1990-03-25T01:00:00Z"), 1), (unix("1990-09-30T01:00:00Z"), 2)],
            types: [(3600, false, "CET"), (7200, true, "CEST"), (3600, false, "CET")]
        )
        let r = try TZif.parse(file.bytes())
        #expect(r.version == 1)
        #expect(r.footer == nil)
        #expect(r.transitionTimes == [unix("1990-03-25T01:00:00Z"), unix("1990-09-30T01:00:00Z")])
        #expect(r.offset(at: unix("1980-01-01T00:00:00Z")) == 3600)
        #expect(r.offset(at: unix("1990-06-01T00:00:00Z")) == 7200)
        #expect(r.abbreviation(at: unix("1990-06-01T00:00:00Z")) == "CEST")
        #expect(r.offset(at: unix("2090-06-01T00:00:00Z")) == 3600)
        #expect(r.nextTransition(after: unix("1990-09-30T01:00:00Z")) == nil)
        #expect(r.instants(of: day("1990-09-30"), hour: 2, minute: 30).count == 2)
    }

    /// The version 1 block of a version 2 file is skipped by its own counts
    /// and only the 64-bit data is used, even when the two disagree.
    @Test func versionOneBlockIsSkipped() throws {
        var v1 = TZifBuilder(version: UInt8(ascii: "2"))
        v1.transitions = [(unix("1990-01-01T00:00:00Z"), 1), (unix("1991-01-01T00:00:00Z"), 2)]
        v1.types = [(0, false, "AAA"), (3600, false, "BBB"), (-3600, false, "DDDD")]
        var v2 = TZifBuilder(version: UInt8(ascii: "2"))
        v2.transitions = [(unix("2002-01-01T00:00:00Z"), 1), (Int64(1) << 40, 0)]
        v2.types = [(0, false, "AAA"), (7200, false, "CCC")]
        let mixed = v1.block(timeSize: 4) + v2.block(timeSize: 8) + Array("\nAAA0\n".utf8)
        let r = try TZif.parse(mixed)
        #expect(r.version == 2)
        #expect(r.transitionTimes == [unix("2002-01-01T00:00:00Z"), Int64(1) << 40])
        #expect(r.offset(at: unix("1990-06-01T00:00:00Z")) == 0)
        #expect(r.offset(at: unix("2002-06-01T00:00:00Z")) == 7200)
        #expect(r.abbreviation(at: unix("2100-06-01T00:00:00Z")) == "CCC")
        #expect(r.abbreviation(at: Int64(1) << 41) == "AAA")
    }

    @Test func brokenFilesAreRefusedWithAReason() throws {
        func reason(_ bytes: [UInt8]) -> TZifError.Reason? {
            do {
                _ = try TZif.parse(bytes)
                return nil
            } catch { return error.reason }
        }
        #expect(reason([]) == .truncated)
        #expect(reason(Array("TZ".utf8)) == .truncated)
        #expect(reason(Array("hello, this is not a time zone file at all, no".utf8)) == .notTZif)
        #expect(reason(Array("<html>".utf8)) == .notTZif)

        let ams = Array(try Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/Europe/Amsterdam")))
        #expect(reason(ams) == nil)
        // Every strict prefix of a real file is refused, none crashes.
        var reasons = Set<TZifError.Reason>()
        for n in 0..<ams.count {
            let r = reason(Array(ams[..<n]))
            #expect(r != nil, "a prefix of \(n) bytes parsed")
            if let r { reasons.insert(r) }
        }
        #expect(reasons == [.truncated, .invalidFooter])
        // A wrong version byte, then a garbled footer.
        var bad = ams
        bad[4] = UInt8(ascii: "1")
        #expect(reason(bad) == .unsupportedVersion)
        bad = ams
        bad[bad.count - 3] = UInt8(ascii: "!")
        #expect(reason(bad) == .invalidFooter)

        var file = TZifBuilder()
        file.transitions = [(100, 0), (100, 0)]
        #expect(reason(file.bytes()) == .invalidTransitions)
        file.transitions = [(100, 7)]
        #expect(reason(file.bytes()) == .invalidTransitions)
        file.transitions = []
        file.types = [(Int32.min, false, "AAA")]
        #expect(reason(file.bytes()) == .invalidLocalTimeType)
        file.types = []
        #expect(reason(file.bytes()) == .invalidHeader)
        file = TZifBuilder()
        file.leapSeconds = [(78_796_800, 1)]
        #expect(reason(file.bytes()) == .leapSeconds)
        file = TZifBuilder()
        file.footer = "UTC0\nmore data for a future version"
        #expect(reason(file.bytes()) == nil)
        file.footer = "not a rule"
        #expect(reason(file.bytes()) == .invalidFooter)
        file.footer = ""
        #expect(reason(file.bytes()) == nil)
    }

    @Test func systemLoader() throws {
        #expect(try rules("Europe/Amsterdam").footer?.text == "CET-1CEST,M3.5.0,M10.5.0/3")
        for bad in [
            "", "/etc/passwd", "../../etc/passwd", "Europe/../../etc/passwd", "Europe//Amsterdam",
            "./Europe/Amsterdam", "Europe/Amsterdam/", "Europe/Am sterdam", "Europe\u{0}Amsterdam", "..",
        ] {
            #expect(throws: SystemZoneError.invalidIdentifier(bad)) { try TimeZoneRules.system(identifier: bad) }
        }
        #expect(throws: SystemZoneError.unreadable(path: "/usr/share/zoneinfo/Europe/Atlantis")) {
            try TimeZoneRules.system(identifier: "Europe/Atlantis")
        }
        #expect(throws: SystemZoneError.self) { try TimeZoneRules.system(identifier: "Europe") }
        #expect(throws: SystemZoneError.self) { try TimeZoneRules.system(identifier: "zone1970.tab") }
        // The right/ zones count leap seconds: refused as such.
        if FileManager.default.fileExists(atPath: "/usr/share/zoneinfo/right/Europe/Amsterdam") {
            do {
                _ = try TimeZoneRules.system(identifier: "right/Europe/Amsterdam")
                Issue.record("a zone with leap seconds was accepted")
            } catch {
                guard case .invalid(_, let e) = error else { throw error }
                #expect(e.reason == .leapSeconds)
            }
        }
        if FileManager.default.fileExists(atPath: SystemZones.localtimePath) {
            _ = try TimeZoneRules.localtime()
        }
        #expect(SystemZones.isValidIdentifier("America/Argentina/Buenos_Aires"))
        #expect(SystemZones.isValidIdentifier("Etc/GMT+5"))
        #expect(!SystemZones.isValidIdentifier("Etc/GMT+5/.."))
    }
}

@Suite("TZif reader: fuzz safety")
struct TZifFuzzTests {
    /// Uses every entry point on rules that parsed, at awkward instants.
    private func exercise(_ r: TimeZoneRules, _ rng: inout SplitMix64) {
        let instants: [Int64] = [
            .min, .min + 1, -1 << 59, -1, 0, 1, 1 << 31, 1 << 59, .max - 1, .max, Int64(bitPattern: rng.next()),
            Int64.random(in: 0..<4_102_444_800, using: &rng),
        ]
        for t in instants {
            _ = r.localTimeType(at: t)
            _ = r.localDateTime(at: t)
            _ = r.nextTransition(after: t)
        }
        for d in [day("0001-01-01"), day("2026-03-29"), day("9999-12-31"), LocalDate(dayNumber: 1 << 50)] {
            _ = r.instants(of: d, hour: 2, minute: 30)
            _ = r.firstInstant(of: d, hour: Int.max, minute: Int.min, second: 0)
            _ = r.firstInstant(of: d, at: time("00:00"))
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 0x5EED)
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<300, using: &rng)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Often a real-looking start, so the parser gets past the magic.
            if n >= 5, Bool.random(using: &rng) {
                bytes.replaceSubrange(
                    0..<5,
                    with: Array("TZif".utf8) + [[UInt8]([0, 0x32, 0x33]).randomElement(using: &rng)!]
                )
            }
            if let r = try? TZif.parse(bytes) { exercise(r, &rng) }
        }
    }

    @Test func mutatedZoneFilesNeverCrash() throws {
        var rng = SplitMix64(seed: 0xC0FFEE)
        var parsed = 0
        for id in ["Europe/Amsterdam", "America/Santiago", "Australia/Lord_Howe", "Asia/Gaza", "Etc/UTC"] {
            let original = Array(try Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/" + id)))
            for _ in 0..<300 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                if Int.random(in: 0..<8, using: &rng) == 0 {
                    bytes.removeLast(Int.random(in: 0..<bytes.count, using: &rng))
                }
                if let r = try? TZif.parse(bytes) {
                    parsed += 1
                    exercise(r, &rng)
                }
            }
        }
        #expect(parsed > 100, "most single-byte changes still parse, so their rules get exercised")
    }

    @Test func randomTZStringsNeverCrash() {
        var rng = SplitMix64(seed: 0x7A)
        let alphabet = Array("<>+-:,./0123456789JMAEST".utf8)
        var parsed = 0
        for _ in 0..<5000 {
            var u = Array("AAA3BBB,".utf8)
            u.removeLast(Int.random(in: 0...8, using: &rng))
            for _ in 0..<Int.random(in: 0..<24, using: &rng) { u.append(alphabet.randomElement(using: &rng)!) }
            if let tz = try? PosixTZ.parse(String(decoding: u, as: UTF8.self)) {
                parsed += 1
                exercise(TimeZoneRules(posix: tz), &rng)
            }
        }
        #expect(parsed > 0)
    }
}

/// The twin check: the reader against Foundation's `TimeZone` for every
/// zone Foundation knows that has a file under /usr/share/zoneinfo.
///
/// Instants, 1970-01-01 to 2101-01-01: one second before, at and after
/// every transition Foundation reports (`nextDaylightSavingTimeTransition`)
/// and every one the reader finds; every 10 days up to 2038; every month
/// from 2038 to 2100, where the footer rules; and 100 seeded random ones.
///
/// Foundation on Linux does not read /usr/share/zoneinfo: it uses the tz
/// data compiled into its copy of ICU, which can be an older or newer tzdata
/// release than the system's files (Debian's tzdata package). Where the two
/// disagree for a zone, the reference becomes `zdump -v` of the system file
/// (glibc's own reader, the program RFC 8536 readers are usually checked
/// against): the zone then passes only if the reader agrees with zdump at
/// every instant above and at every transition zdump lists. Such zones are
/// printed with their first difference from Foundation, not failed.
@Suite("TZif reader: every system zone against Foundation")
struct TZifTwinTests {
    static let from: Int64 = 0  // 1970-01-01
    static let footerYears: Int64 = 2_145_916_800  // 2038-01-01
    static let until: Int64 = 4_133_980_800  // 2101-01-01

    /// The instants checked in one zone, ascending, without repeats.
    static func instants(_ rules: TimeZoneRules, _ tz: TimeZone, _ rng: inout SplitMix64) -> [Int64] {
        var out: [Int64] = []
        var d = Date(timeIntervalSince1970: Double(from))
        while let next = tz.nextDaylightSavingTimeTransition(after: d), next.timeIntervalSince1970 < Double(until) {
            let t = Int64(next.timeIntervalSince1970.rounded(.down))
            out += [t - 1, t, t + 1]
            d = next
        }
        var t = from
        while let next = rules.nextTransition(after: t), next < until {
            out += [next - 1, next, next + 1]
            t = next
        }
        out += stride(from: from, to: footerYears, by: 10 * 86_400)
        var month = LocalDate(year: 2038, month: 1, day: 15)!
        while Int64(month.dayNumber) * 86_400 < until {
            out.append(Int64(month.dayNumber) * 86_400 + 43_200)
            month = LocalDate(dayNumber: month.dayNumber + 31)
            month = LocalDate(year: month.year, month: month.month, day: 15)!
        }
        for _ in 0..<100 { out.append(Int64.random(in: from..<until, using: &rng)) }
        return Array(Set(out)).sorted()
    }

    static func foundationOffset(_ tz: TimeZone, _ t: Int64) -> Int {
        tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))
    }

    /// Offsets from `zdump` for a system zone: the one in effect at the start
    /// of 1970 (`zdump -i`) and each instant `zdump -v` lists with its offset
    /// (a second before and at each transition up to 2101).
    static func zdump(_ identifier: String) throws -> (initial: Int?, points: [(at: Int64, offset: Int)]) {
        func run(_ args: [String]) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/zdump")
            p.arguments = args
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var points: [(Int64, Int)] = []
        for line in try run(["-v", "-c", "1970,2101", identifier]).split(separator: "\n") {
            // Zone  Sun Mar 29 00:59:59 2026 UT = Sun Mar 29 01:59:59 2026 CET isdst=0 gmtoff=3600
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 8, f[6] == "UT", let gmtoff = f.last, gmtoff.hasPrefix("gmtoff="),
                let offset = Int(gmtoff.dropFirst(7)), let m = months.firstIndex(of: String(f[2])),
                let dd = Int(f[3]), let year = Int(f[5]), let date = LocalDate(year: year, month: m + 1, day: dd)
            else { continue }
            let hms = f[4].split(separator: ":").compactMap { Int($0) }
            guard hms.count == 3 else { continue }
            points.append((Int64(date.dayNumber) * 86_400 + Int64(hms[0] * 3600 + hms[1] * 60 + hms[2]), offset))
        }
        // TZ="Zone" / -  -  +0530  IST: the offset before any listed change.
        var initial: Int?
        for line in try run(["-i", "-c", "1970,2101", identifier]).split(separator: "\n") {
            let f = line.split(separator: "\t")
            guard f.count >= 3, f[0] == "-", f[1] == "-" else { continue }
            let s = Array(f[2].utf8)
            guard s.count >= 3, s[0] == UInt8(ascii: "+") || s[0] == UInt8(ascii: "-") else { continue }
            let digits = s.dropFirst().map { Int($0) - 0x30 }
            var secs = 0
            for (i, unit) in [3600, 60, 1].enumerated() where digits.count >= 2 * i + 2 {
                secs += (digits[2 * i] * 10 + digits[2 * i + 1]) * unit
            }
            initial = s[0] == UInt8(ascii: "-") ? -secs : secs
        }
        return (initial, points.sorted { $0.0 < $1.0 })
    }

    /// The first instant at which the reader and zdump disagree, if any.
    static func firstDifferenceFromZdump(_ id: String, _ rules: TimeZoneRules, _ instants: [Int64]) throws -> String? {
        let z = try zdump(id)
        guard let initial = z.initial ?? z.points.first?.offset else { return "zdump gave no offsets" }
        func reference(_ t: Int64) -> Int {
            var lo = 0
            var hi = z.points.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if z.points[mid].at <= t { lo = mid + 1 } else { hi = mid }
            }
            return lo == 0 ? initial : z.points[lo - 1].offset
        }
        for t in (instants + z.points.map(\.at)).sorted() where rules.offset(at: t) != reference(t) {
            return "\(Instant.rfc3339(Date(timeIntervalSince1970: Double(t)))): reader \(rules.offset(at: t)), "
                + "zdump \(reference(t))"
        }
        return nil
    }

    @Test func everyZoneAgreesWithFoundationOrZdump() throws {
        let ids = TimeZone.knownTimeZoneIdentifiers.sorted().filter {
            FileManager.default.fileExists(atPath: SystemZones.zoneinfoDirectory + "/" + $0)
        }
        var rng = SplitMix64(seed: 2026)
        var failures: [String] = []
        var icuDiffers: [String] = []
        var count = 0
        for id in ids {
            let rules: TimeZoneRules
            do { rules = try TimeZoneRules.system(identifier: id) } catch {
                failures.append("\(id): \(error)")
                continue
            }
            guard let tz = TimeZone(identifier: id) else { continue }
            let instants = TZifTwinTests.instants(rules, tz, &rng)
            count += instants.count
            guard
                let t = instants.first(where: { rules.offset(at: $0) != TZifTwinTests.foundationOffset(tz, $0) })
            else { continue }
            let mismatch =
                "\(id) at \(Instant.rfc3339(Date(timeIntervalSince1970: Double(t)))): reader "
                + "\(rules.offset(at: t)), Foundation \(TZifTwinTests.foundationOffset(tz, t))"
            if let z = try TZifTwinTests.firstDifferenceFromZdump(id, rules, instants) {
                failures.append("\(mismatch); against zdump: \(z)")
            } else {
                icuDiffers.append(mismatch)
            }
        }
        let system =
            (try? String(contentsOfFile: SystemZones.zoneinfoDirectory + "/tzdata.zi", encoding: .utf8))?
            .split(separator: "\n").first.map { String($0.dropFirst(10)) } ?? "?"
        print(
            "TZif twin check: \(ids.count) zones, \(count) instants; system tzdata \(system), Foundation's ICU tz data "
                + "\(TimeZone.timeZoneDataVersion); ICU differs in \(icuDiffers.count) zones"
                + (icuDiffers.isEmpty ? "" : ", where the reader agrees with zdump:\n  ")
                + icuDiffers.joined(separator: "\n  ")
        )
        #expect(ids.count > 300)
        #expect(failures.isEmpty, "\(failures.count) zones:\n\(failures.joined(separator: "\n"))")
    }

    /// The reader's `firstInstant` against `FoundationZone.firstInstant`
    /// for every day of 2026 at a few wall times, in zones where the two
    /// agree on the offsets (checked above): the same gap and overlap rules.
    @Test(arguments: [
        "Europe/Amsterdam", "America/Santiago", "Australia/Lord_Howe", "America/Havana",
        "Pacific/Chatham", "Asia/Kolkata",
    ])
    func firstInstantMatchesFoundation(identifier: String) throws {
        let r = try rules(identifier)
        let z = try #require(FoundationZone(identifier: identifier))
        var mismatches: [String] = []
        var checked = 0
        for n in day("2026-01-01").dayNumber...day("2026-12-31").dayNumber {
            let d = LocalDate(dayNumber: n)
            for t in ["00:00", "00:30", "01:30", "02:00", "02:30", "02:45", "03:00", "23:30"].map(time) {
                let expected = Int64(z.firstInstant(of: d, at: t).timeIntervalSince1970)
                // Only where Foundation's tz data and the file agree (see above).
                let near = [expected - 43_200, expected, expected + 43_200]
                guard near.allSatisfy({ r.offset(at: $0) == z.offset(at: Int($0)) }) else { continue }
                checked += 1
                if r.firstInstant(of: d, at: t) != expected { mismatches.append("\(d) \(t)") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        #expect(checked > 300 * 8)
    }
}
