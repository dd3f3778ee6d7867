/// A POSIX `TZ` rule as found in the footer of a TZif file (RFC 8536 §3.3),
/// e.g. `CET-1CEST,M3.5.0,M10.5.0/3`, `<-03>3` or `EST5EDT,M3.2.0,M11.1.0`:
/// the zone's local time for instants after the file's last transition.
///
/// The grammar is POSIX.1-2017 §8.3 with the two extensions of RFC 8536
/// §3.3.1 (TZif version 3 and later):
///
/// - `std offset [dst [offset] [,start[/time],end[/time]]]`;
/// - a name is three or more ASCII letters, or `<…>` around three or more
///   letters, digits, `+` and `-` (`<+0330>`, `<-03>`);
/// - an offset is `[+|-]hh[:mm[:ss]]`, hours 0–24, and counts *west* of
///   Greenwich: `CET-1` is UTC+1. Without its own offset, daylight time is
///   one hour ahead of standard time;
/// - a day is `Jn` (1–365, February 29 never counted), `n` (0–365, counted)
///   or `Mm.w.d` (weekday `d`, 0 = Sunday, of week `w` of month `m`; week 5
///   is the last such weekday of the month);
/// - a time is `[+|-]hh[:mm[:ss]]` of local time then in effect (standard
///   time for the start, daylight time for the end), default `02:00:00`;
///   the RFC 8536 extension allows hours from -167 to 167, so `/-1` is
///   23:00 the day before and `/25` is 01:00 the day after;
/// - DST all year is written as a start on January 1 at 00:00 and an end on
///   December 31 at 24:00 plus the DST saving (`EST5EDT,0/0,J365/25`): the
///   end of one year then falls on the start of the next, and daylight time
///   stays in effect.
///
/// Daylight time without a rule gets the tzcode default `M3.2.0,M11.1.0`
/// (zic always writes a rule, so this only matters for hand-written strings).
///
/// The Gregorian calendar repeats every 400 years (146 097 days, a whole
/// number of weeks), so instants are first moved into 1970–2369 by whole
/// cycles: every `Int64` instant is answered without overflow.
public struct PosixTZ: Sendable, Hashable, CustomStringConvertible {
    /// The day a change happens on.
    public enum Day: Sendable, Hashable {
        /// `Jn`: day 1–365 of a year of 365 days; February 29 is never
        /// counted, so day 60 is always March 1.
        case julian(Int)
        /// `n`: day 0–365, February 29 counted.
        case zeroBased(Int)
        /// `Mm.w.d`: weekday 0–6 (Sunday first) of week 1–5 of month 1–12;
        /// week 5 means the last.
        case monthWeekDay(month: Int, week: Int, weekday: Int)
    }

    /// When a change happens: a day, and a time on it in the local time in
    /// effect just before the change (seconds, -167 h … 167 h).
    public struct Rule: Sendable, Hashable {
        public let day: Day
        public let time: Int
    }

    /// Daylight time and the rules that start and end it.
    public struct Daylight: Sendable, Hashable {
        public let type: LocalTimeType
        public let start: Rule
        public let end: Rule
    }

    public let standard: LocalTimeType
    public let daylight: Daylight?
    /// The text as parsed.
    public let text: String

    public var description: String { text }

    // MARK: Parsing

    /// Parses a whole TZ string; anything left over is an error.
    public static func parse(_ text: String) throws(TZifError) -> PosixTZ {
        var p = Scanner(Array(text.utf8))
        func fail(_ what: String) -> TZifError {
            .init(.invalidFooter, "TZ string \"\(text)\": \(what) at offset \(p.pos)")
        }
        guard let stdName = p.name() else { throw fail("no standard time name") }
        guard let stdOffset = p.offset() else { throw fail("no valid standard time offset") }
        let standard = LocalTimeType(utOffset: -stdOffset, isDaylightSavingTime: false, abbreviation: stdName)
        if p.atEnd { return PosixTZ(standard: standard, daylight: nil, text: text) }

        guard let dstName = p.name() else { throw fail("no valid daylight time name") }
        var dstOffset = stdOffset - 3600
        if !p.atEnd, p.peek != UInt8(ascii: ",") {
            guard let o = p.offset() else { throw fail("no valid daylight time offset") }
            dstOffset = o
        }
        let dst = LocalTimeType(utOffset: -dstOffset, isDaylightSavingTime: true, abbreviation: dstName)
        let start: Rule
        let end: Rule
        if p.atEnd {
            start = Rule(day: .monthWeekDay(month: 3, week: 2, weekday: 0), time: 7200)
            end = Rule(day: .monthWeekDay(month: 11, week: 1, weekday: 0), time: 7200)
        } else {
            guard p.eat(","), let s = p.rule() else { throw fail("no valid start rule") }
            guard p.eat(","), let e = p.rule() else { throw fail("no valid end rule") }
            guard p.atEnd else { throw fail("unexpected characters") }
            start = s
            end = e
        }
        return PosixTZ(standard: standard, daylight: Daylight(type: dst, start: start, end: end), text: text)
    }

    /// A cursor over the bytes of a TZ string; every read is checked.
    private struct Scanner {
        let u: [UInt8]
        var pos = 0

        init(_ u: [UInt8]) { self.u = u }

        var atEnd: Bool { pos >= u.count }
        var peek: UInt8? { pos < u.count ? u[pos] : nil }

        mutating func eat(_ c: Character) -> Bool {
            guard let a = c.asciiValue, peek == a else { return false }
            pos += 1
            return true
        }

        /// `<…>` or three or more letters.
        mutating func name() -> String? {
            func isLetter(_ c: UInt8) -> Bool { (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) }
            let from = pos
            if eat("<") {
                while let c = peek, isLetter(c) || c.isASCIIDigit || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                    pos += 1
                }
                let inner = u[(from + 1)..<pos]
                guard inner.count >= 3, eat(">") else { return nil }
                return String(decoding: inner, as: UTF8.self)
            }
            while let c = peek, isLetter(c) { pos += 1 }
            guard pos - from >= 3 else { return nil }
            return String(decoding: u[from..<pos], as: UTF8.self)
        }

        /// Up to `maxDigits` decimal digits, at least one.
        mutating func number(maxDigits: Int) -> Int? {
            var v = 0
            var n = 0
            while n < maxDigits, let c = peek, c.isASCIIDigit {
                v = v * 10 + Int(c - 0x30)
                pos += 1
                n += 1
            }
            return n == 0 ? nil : v
        }

        /// `[+|-]hh[:mm[:ss]]` in seconds, hours up to `maxHours`.
        mutating func signedHMS(maxHours: Int) -> Int? {
            var sign = 1
            if eat("-") { sign = -1 } else { _ = eat("+") }
            guard let h = number(maxDigits: 3), h <= maxHours else { return nil }
            var seconds = h * 3600
            if eat(":") {
                guard let m = number(maxDigits: 2), m < 60 else { return nil }
                seconds += m * 60
                if eat(":") {
                    guard let s = number(maxDigits: 2), s < 60 else { return nil }
                    seconds += s
                }
            }
            return sign * seconds
        }

        /// A UTC offset, POSIX style (positive west of Greenwich).
        mutating func offset() -> Int? { signedHMS(maxHours: 24) }

        /// `date[/time]`.
        mutating func rule() -> Rule? {
            let day: Day
            if eat("J") {
                guard let n = number(maxDigits: 3), (1...365).contains(n) else { return nil }
                day = .julian(n)
            } else if eat("M") {
                guard let m = number(maxDigits: 2), (1...12).contains(m), eat("."),
                    let w = number(maxDigits: 1), (1...5).contains(w), eat("."),
                    let d = number(maxDigits: 1), (0...6).contains(d)
                else { return nil }
                day = .monthWeekDay(month: m, week: w, weekday: d)
            } else {
                guard let n = number(maxDigits: 3), (0...365).contains(n) else { return nil }
                day = .zeroBased(n)
            }
            var time = 7200
            if eat("/") {
                guard let t = signedHMS(maxHours: 167) else { return nil }
                time = t
            }
            return Rule(day: day, time: time)
        }
    }

    // MARK: Evaluation

    /// 400 Gregorian years in seconds: the calendar and so the rule repeat.
    static let cycleSeconds: Int64 = 146_097 * 86_400

    /// The local time type in effect at `t` (Unix seconds).
    public func localTimeType(at t: Int64) -> LocalTimeType {
        guard let daylight else { return standard }
        let r = PosixTZ.reduce(t)
        let year = PosixTZ.year(of: r)
        var inDST: Bool?
        var firstIsDST = false
        for (i, e) in events(years: (year - 1)...(year + 1)).enumerated() {
            if i == 0 { firstIsDST = e.isDST }
            if e.at <= r { inDST = e.isDST } else { break }
        }
        return (inDST ?? !firstIsDST) ? daylight.type : standard
    }

    /// The instants in `lo < t <= hi` at which the rule switches between
    /// standard and daylight time, ascending. Meant for short windows; at
    /// most a thousand years around `lo` are looked at.
    func changes(after lo: Int64, through hi: Int64) -> [Int64] {
        guard daylight != nil, lo < hi else { return [] }
        let rlo = PosixTZ.reduce(lo)
        let span = hi &- lo
        let rhi = span < 0 || span > 1000 * 31_622_400 ? rlo + 1000 * 31_622_400 : rlo + span
        var out: [Int64] = []
        for e in events(years: (PosixTZ.year(of: rlo) - 1)...(PosixTZ.year(of: rhi) + 1))
        where e.at > rlo && e.at <= rhi {
            // Back from the reduced window: lo plus the event's distance from it.
            let (t, overflow) = lo.addingReportingOverflow(e.at - rlo)
            if !overflow, out.last != t, localTimeType(at: t &- 1) != localTimeType(at: t) { out.append(t) }
        }
        return out
    }

    /// The first instant after `t` at which the type changes, if the rule
    /// changes at all (it does not for DST all year).
    func nextChange(after t: Int64) -> Int64? {
        guard daylight != nil else { return nil }
        // Every year has its two events within about a week of the year; two
        // years ahead always holds the next real change if there is one.
        return changes(after: t, through: t &+ 2 * 31_622_400 + 8 * 86_400).first
    }

    /// `t` less a whole number of 400-year cycles: an instant in
    /// 0..<cycleSeconds (1970-01-01 to 2370-01-01) with the same local time.
    private static func reduce(_ t: Int64) -> Int64 {
        let r = t % cycleSeconds
        return r < 0 ? r + cycleSeconds : r
    }

    private static func year(of t: Int64) -> Int {
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        return LocalDate(dayNumber: Int(days)).year
    }

    /// The start and end of daylight time in each of `years`, ordered by
    /// instant; at equal instants the earlier year's event comes first, so
    /// an end that meets the next start (DST all year) leaves DST on.
    private func events(years: ClosedRange<Int>) -> [(at: Int64, isDST: Bool)] {
        guard let daylight else { return [] }
        var list: [(at: Int64, isDST: Bool, order: Int)] = []
        for (i, y) in years.enumerated() {
            list.append((instant(of: daylight.start, year: y, offset: standard.utOffset), true, 2 * i))
            list.append((instant(of: daylight.end, year: y, offset: daylight.type.utOffset), false, 2 * i + 1))
        }
        list.sort { $0.at != $1.at ? $0.at < $1.at : $0.order < $1.order }
        return list.map { ($0.at, $0.isDST) }
    }

    /// The Unix instant of `rule` in `year`, its time read with `offset`
    /// (seconds east of UTC).
    private func instant(of rule: Rule, year: Int, offset: Int) -> Int64 {
        let day: Int
        switch rule.day {
        case .julian(let n):
            let leap = LocalDate.daysIn(month: 2, year: year) == 29
            day = LocalDate.dayNumber(year: year, month: 1, day: 1) + n - 1 + (leap && n >= 60 ? 1 : 0)
        case .zeroBased(let n):
            day = LocalDate.dayNumber(year: year, month: 1, day: 1) + n
        case .monthWeekDay(let month, let week, let weekday):
            let first = LocalDate.dayNumber(year: year, month: month, day: 1)
            // 1970-01-01 was a Thursday (4).
            let firstWeekday = ((first % 7) + 7 + 4) % 7
            var d = 1 + (weekday - firstWeekday + 7) % 7 + (week - 1) * 7
            let length = LocalDate.daysIn(month: month, year: year)
            while d > length { d -= 7 }
            day = first + d - 1
        }
        return Int64(day) * 86_400 + Int64(rule.time) - Int64(offset)
    }
}
