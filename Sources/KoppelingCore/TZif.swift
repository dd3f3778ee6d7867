/// A reader of TZif files (RFC 8536, "The Time Zone Information Format"),
/// the compiled IANA time zones under /usr/share/zoneinfo, from bytes: no
/// I/O and no Foundation. `KoppelingTime/SystemZones.swift` reads the files.
///
/// A file is a 44-byte header (`TZif`, a version byte, 15 reserved bytes,
/// six big-endian 32-bit counts: UT/local indicators, standard/wall
/// indicators, leap seconds, transitions, local time types, designation
/// bytes) and a data block whose size follows from the counts: transition
/// times, one type index per transition, six-byte local time types (UT
/// offset, DST flag, designation index), the NUL-terminated designations,
/// leap-second records and the two indicator arrays.
///
/// - Version 1 files (version byte 0) have only that, with 32-bit times;
///   after the last transition its type simply holds.
/// - Version 2 and later repeat header and block with 64-bit times, then a
///   footer: a POSIX TZ string between newlines (`PosixTZ`). The version 1
///   block is skipped using its own counts and only the 64-bit data is read.
///   The footer rules instants after the last transition, or all instants
///   if there are none; an empty footer lets the last type hold.
/// - Before the first transition the zone is in local time type 0.
/// - Version bytes `2` to `9` are read as version 2+: later versions have so
///   far only added to the TZ string, not changed the layout.
///
/// Refused, each with a `TZifError.Reason`: a wrong magic or version, any
/// count or designation running past the data, transition times not
/// strictly ascending, a type index or designation index out of range, a UT
/// offset of -2³¹, a DST flag other than 0 or 1, a missing or invalid footer.
/// Files with leap-second records (the `right/` zones) are refused as well:
/// their transition times count leap seconds, and the daemon's clock, Unix
/// time, does not.
///
/// Every read is bounds-checked and every sum that data can push to the edge
/// of `Int64` is checked or wrapping, so no input traps.
///
/// Wall times (`instants(of:hour:minute:second:)`, `firstInstant(of:at:)`):
/// a local time in an overlap (clocks go back) has two instants, the earlier
/// first; one in a gap (clocks go forward) has none, and `firstInstant`
/// then answers the instant the clocks jump, the first one whose local time
/// lies past the gap (02:30 on the day Amsterdam starts summer time gives
/// 01:00 UTC, which reads 03:00 CEST). `KoppelingTime.Zone.firstInstant`
/// makes the same choice.
public enum TZif {
    /// Parses a whole TZif file.
    public static func parse(_ bytes: [UInt8]) throws(TZifError) -> TimeZoneRules {
        var r = Reader(bytes: bytes)
        let first = try header(&r)
        if first.version == 0 {
            let block = try dataBlock(&r, first, timeSize: 4)
            return TimeZoneRules(version: 1, block: block, footer: nil)
        }
        guard (0x32...0x39).contains(first.version) else {
            throw TZifError(.unsupportedVersion, "version byte \(first.version)")
        }
        try r.skip(first.blockSize(timeSize: 4), what: "version 1 data block")
        let second = try header(&r)
        guard (0x32...0x39).contains(second.version) else {
            throw TZifError(.unsupportedVersion, "second header's version byte \(second.version)")
        }
        let block = try dataBlock(&r, second, timeSize: 8)
        guard try r.byte(what: "footer") == 0x0A else {
            throw TZifError(.invalidFooter, "the footer does not start with a newline")
        }
        guard let newline = bytes[r.pos...].firstIndex(of: 0x0A) else {
            throw TZifError(.invalidFooter, "the footer does not end with a newline")
        }
        // Anything after the footer is left for future versions.
        let text = bytes[r.pos..<newline]
        let footer = text.isEmpty ? nil : try PosixTZ.parse(String(decoding: text, as: UTF8.self))
        return TimeZoneRules(version: Int(second.version) - 0x30, block: block, footer: footer)
    }

    struct Header {
        let version: UInt8
        let isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt: Int

        func blockSize(timeSize: Int) -> Int {
            timecnt * timeSize + timecnt + typecnt * 6 + charcnt + leapcnt * (timeSize + 4) + isstdcnt + isutcnt
        }
    }

    struct Block {
        let times: [Int64]
        let typeIndices: [UInt8]
        let types: [LocalTimeType]
    }

    private static func header(_ r: inout Reader) throws(TZifError) -> Header {
        let at = r.pos
        let magic: [UInt8] = [0x54, 0x5A, 0x69, 0x66]
        guard r.bytes[at...].prefix(4).elementsEqual(magic.prefix(min(4, r.remaining))) else {
            throw TZifError(.notTZif, "no TZif magic at byte \(at)")
        }
        guard r.remaining >= 44 else {
            throw TZifError(.truncated, "\(r.remaining) bytes where a 44-byte header belongs")
        }
        try r.skip(4, what: "magic")
        let version = try r.byte(what: "version")
        try r.skip(15, what: "reserved bytes")
        return Header(
            version: version,
            isutcnt: Int(try r.u32()),
            isstdcnt: Int(try r.u32()),
            leapcnt: Int(try r.u32()),
            timecnt: Int(try r.u32()),
            typecnt: Int(try r.u32()),
            charcnt: Int(try r.u32())
        )
    }

    private static func dataBlock(_ r: inout Reader, _ h: Header, timeSize: Int) throws(TZifError) -> Block {
        guard h.typecnt > 0, h.charcnt > 0 else {
            throw TZifError(.invalidHeader, "\(h.typecnt) local time types and \(h.charcnt) designation bytes")
        }
        guard h.isstdcnt == 0 || h.isstdcnt == h.typecnt, h.isutcnt == 0 || h.isutcnt == h.typecnt else {
            throw TZifError(.invalidHeader, "indicator counts \(h.isstdcnt) and \(h.isutcnt) for \(h.typecnt) types")
        }
        let size = h.blockSize(timeSize: timeSize)
        guard size <= r.remaining else {
            throw TZifError(.truncated, "the data block needs \(size) bytes, \(r.remaining) are left")
        }
        guard h.leapcnt == 0 else {
            throw TZifError(.leapSeconds, "\(h.leapcnt) leap-second records: transition times would not be Unix time")
        }
        var times: [Int64] = []
        times.reserveCapacity(h.timecnt)
        for _ in 0..<h.timecnt {
            let t = timeSize == 8 ? try r.i64() : Int64(Int32(bitPattern: try r.u32()))
            if let previous = times.last, t <= previous {
                throw TZifError(.invalidTransitions, "transition \(times.count) at \(t) is not after \(previous)")
            }
            times.append(t)
        }
        let typeIndices = Array(try r.bytes(h.timecnt, what: "transition types"))
        if let bad = typeIndices.firstIndex(where: { Int($0) >= h.typecnt }) {
            throw TZifError(.invalidTransitions, "transition \(bad) has type \(typeIndices[bad]) of \(h.typecnt)")
        }
        var raw: [(offset: Int32, dst: UInt8, designation: Int)] = []
        for _ in 0..<h.typecnt {
            raw.append((Int32(bitPattern: try r.u32()), try r.byte(what: "DST flag"), Int(try r.byte(what: "index"))))
        }
        let chars = Array(try r.bytes(h.charcnt, what: "designations"))
        try r.skip(h.isstdcnt + h.isutcnt, what: "indicators")
        var types: [LocalTimeType] = []
        for (i, t) in raw.enumerated() {
            guard t.offset != Int32.min else { throw TZifError(.invalidLocalTimeType, "type \(i) has UT offset -2^31") }
            guard t.dst <= 1 else { throw TZifError(.invalidLocalTimeType, "type \(i) has DST flag \(t.dst)") }
            guard t.designation < chars.count, let end = chars[t.designation...].firstIndex(of: 0) else {
                throw TZifError(.invalidLocalTimeType, "type \(i) has no NUL-terminated designation")
            }
            let name = String(decoding: chars[t.designation..<end], as: UTF8.self)
            types.append(LocalTimeType(utOffset: Int(t.offset), isDaylightSavingTime: t.dst == 1, abbreviation: name))
        }
        return Block(times: times, typeIndices: typeIndices, types: types)
    }

    /// Big-endian reads that throw instead of running off the end.
    struct Reader {
        let bytes: [UInt8]
        var pos = 0

        var remaining: Int { bytes.count - pos }

        mutating func bytes(_ n: Int, what: String) throws(TZifError) -> ArraySlice<UInt8> {
            guard n >= 0, n <= remaining else {
                throw TZifError(.truncated, "\(what): \(n) bytes needed at byte \(pos), \(remaining) left")
            }
            defer { pos += n }
            return bytes[pos..<(pos + n)]
        }

        mutating func skip(_ n: Int, what: String) throws(TZifError) { _ = try bytes(n, what: what) }

        mutating func byte(what: String) throws(TZifError) -> UInt8 { try bytes(1, what: what).first ?? 0 }

        mutating func u32() throws(TZifError) -> UInt32 {
            try bytes(4, what: "a 32-bit value").reduce(0) { $0 << 8 | UInt32($1) }
        }

        mutating func i64() throws(TZifError) -> Int64 {
            Int64(bitPattern: try bytes(8, what: "a 64-bit time").reduce(0) { $0 << 8 | UInt64($1) })
        }
    }
}

/// Why a TZif file or TZ string was refused, as a value.
public struct TZifError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable, Equatable {
        /// No `TZif` magic: not a TZif file at all.
        case notTZif = "not_tzif"
        case unsupportedVersion = "unsupported_version"
        /// The file ends before its counts say it should.
        case truncated
        /// Counts that the format does not allow.
        case invalidHeader = "invalid_header"
        /// Times not strictly ascending, or a type index out of range.
        case invalidTransitions = "invalid_transitions"
        case invalidLocalTimeType = "invalid_local_time_type"
        /// Leap-second records (the `right/` zones), refused on purpose.
        case leapSeconds = "leap_seconds"
        /// No footer where version 2+ requires one, or a TZ string that
        /// does not parse.
        case invalidFooter = "invalid_footer"
    }

    public let reason: Reason
    /// What exactly, in English, for logs.
    public let detail: String

    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason.rawValue): \(detail)" }
}

/// A zone's local time at some instant: its UT offset (seconds east,
/// daylight saving included), whether that is daylight time, and its
/// abbreviation (`CEST`, `-03`).
public struct LocalTimeType: Sendable, Hashable {
    public let utOffset: Int
    public let isDaylightSavingTime: Bool
    public let abbreviation: String

    public init(utOffset: Int, isDaylightSavingTime: Bool, abbreviation: String) {
        self.utOffset = utOffset
        self.isDaylightSavingTime = isDaylightSavingTime
        self.abbreviation = abbreviation
    }
}

/// A local calendar day and wall-clock time to the second.
public struct LocalDateTime: Sendable, Hashable, CustomStringConvertible {
    public let date: LocalDate
    public let hour: Int
    public let minute: Int
    public let second: Int

    public init(date: LocalDate, hour: Int, minute: Int, second: Int) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    public var secondsIntoDay: Int { hour * 3600 + minute * 60 + second }

    public var description: String {
        func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        return "\(date)T\(pad(hour)):\(pad(minute)):\(pad(second))"
    }
}

/// One zone's rules: its transitions, local time types and footer.
public struct TimeZoneRules: Sendable, Hashable {
    /// The TZif version the rules came from (1, 2, 3, 4…).
    public let version: Int
    /// Transition instants (Unix seconds), strictly ascending.
    public let transitionTimes: [Int64]
    /// The local time types; type 0 rules before the first transition.
    public let types: [LocalTimeType]
    /// The rule after the last transition (nil: the last type holds).
    public let footer: PosixTZ?
    private let typeIndices: [UInt8]
    /// The smallest and largest UT offset these rules can give.
    private let minOffset: Int
    private let maxOffset: Int

    init(version: Int, block: TZif.Block, footer: PosixTZ?) {
        self.version = version
        transitionTimes = block.times
        typeIndices = block.typeIndices
        types = block.types
        self.footer = footer
        let offsets =
            types.map(\.utOffset) + [footer?.standard.utOffset, footer?.daylight?.type.utOffset].compactMap { $0 }
        minOffset = offsets.min() ?? 0
        maxOffset = offsets.max() ?? 0
    }

    /// Rules given by a TZ string alone, for every instant (version 3:
    /// the string may use the RFC 8536 §3.3.1 extensions).
    public init(posix: PosixTZ) {
        version = 3
        transitionTimes = []
        typeIndices = []
        types = [posix.standard] + (posix.daylight.map { [$0.type] } ?? [])
        footer = posix
        minOffset = types.map(\.utOffset).min() ?? 0
        maxOffset = types.map(\.utOffset).max() ?? 0
    }

    // MARK: Instant → local time

    public func localTimeType(at t: Int64) -> LocalTimeType {
        guard let first = transitionTimes.first, let last = transitionTimes.last else {
            return footer?.localTimeType(at: t) ?? types[0]
        }
        if t < first { return types[0] }
        if t > last, let footer { return footer.localTimeType(at: t) }
        // The last transition at or before t.
        var lo = 0
        var hi = transitionTimes.count - 1
        while lo < hi {
            let mid = lo + (hi - lo + 1) / 2
            if transitionTimes[mid] <= t { lo = mid } else { hi = mid - 1 }
        }
        return types[Int(typeIndices[lo])]
    }

    /// The UTC offset at `t` in seconds east, daylight saving included.
    public func offset(at t: Int64) -> Int { localTimeType(at: t).utOffset }

    public func abbreviation(at t: Int64) -> String { localTimeType(at: t).abbreviation }

    public func isDaylightSavingTime(at t: Int64) -> Bool { localTimeType(at: t).isDaylightSavingTime }

    /// The local date and wall-clock time at `t` (beyond ±292 billion years
    /// the local time saturates at the edge of `Int64`).
    public func localDateTime(at t: Int64) -> LocalDateTime {
        let (sum, overflow) = t.addingReportingOverflow(Int64(offset(at: t)))
        let local = overflow ? (t > 0 ? Int64.max : Int64.min) : sum
        var days = local / 86_400
        var secs = Int(local % 86_400)
        if secs < 0 {
            secs += 86_400
            days -= 1
        }
        return LocalDateTime(
            date: LocalDate(dayNumber: Int(days)),
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60
        )
    }

    /// The first instant after `t` at which the local time type changes
    /// (offset, DST flag or abbreviation), if there is one.
    public func nextTransition(after t: Int64) -> Int64? {
        var i = firstTransitionIndex(after: t)
        while i < transitionTimes.count {
            let at = transitionTimes[i]
            if localTimeType(at: at &- 1) != localTimeType(at: at) { return at }
            i += 1
        }
        guard let footer else { return nil }
        var from = t
        if let last = transitionTimes.last {
            if last < Int64.max, last >= t, localTimeType(at: last) != localTimeType(at: last + 1) { return last + 1 }
            from = max(t, last)
        }
        // The footer's own changes, checked against the table at its edge.
        for _ in 0..<3 {
            guard let at = footer.nextChange(after: from) else { return nil }
            if localTimeType(at: at &- 1) != localTimeType(at: at) { return at }
            from = at
        }
        return nil
    }

    // MARK: Local time → instants

    /// The instants whose local time is `hour:minute:second` on `date`,
    /// ascending: one on most days, two in an overlap (the clocks went
    /// back; the earlier first), none in a gap (the clocks jumped past it).
    /// Hours, minutes and seconds outside the clock run on into the next
    /// or previous day.
    public func instants(of date: LocalDate, hour: Int, minute: Int, second: Int = 0) -> [Int64] {
        guard let w = TimeZoneRules.wallSeconds(date, hour, minute, second) else { return [] }
        return resolve(wall: w).instants
    }

    /// The first instant at which the local clock reads `time` on `day`,
    /// or, if it never does (a gap), the instant it jumps past `time`.
    public func firstInstant(of day: LocalDate, at time: LocalTime) -> Int64 {
        firstInstant(of: day, hour: time.hour, minute: time.minute)
    }

    public func firstInstant(of day: LocalDate, hour: Int, minute: Int, second: Int = 0) -> Int64 {
        guard let w = TimeZoneRules.wallSeconds(day, hour, minute, second) else {
            return day.dayNumber < 0 ? Int64.min : Int64.max
        }
        let r = resolve(wall: w)
        return r.instants.first ?? r.afterGap ?? w &- Int64(offset(at: w))
    }

    /// Local wall time in seconds since 1970-01-01T00:00 local, if it is
    /// within ±2⁶² (about 146 billion years).
    private static func wallSeconds(_ day: LocalDate, _ h: Int, _ m: Int, _ s: Int) -> Int64? {
        let limit: UInt = 1 << 62
        guard day.dayNumber.magnitude < limit / 86_400, h.magnitude < 1 << 40, m.magnitude < 1 << 40,
            s.magnitude < 1 << 40
        else { return nil }
        let w = day.dayNumber * 86_400 + h * 3600 + m * 60 + s
        return w.magnitude < limit ? Int64(w) : nil
    }

    /// Every instant `t` with `t + offset(at: t) == w`; if there is none,
    /// the transition at which the local clock jumps over `w`.
    ///
    /// Such a `t` lies in `[w - maxOffset, w - minOffset]`. That window is
    /// cut at every possible change of type; within a piece the offset is
    /// constant, so each piece holds at most one answer. `|w| < 2⁶²`, so
    /// nothing here overflows.
    private func resolve(wall w: Int64) -> (instants: [Int64], afterGap: Int64?) {
        let lo = w - Int64(maxOffset)
        let hi = w - Int64(minOffset)
        let points = [lo] + changePoints(after: lo, through: hi)
        var found: [Int64] = []
        for (i, start) in points.enumerated() {
            let end = i + 1 < points.count ? points[i + 1] : hi + 1
            let t = w - Int64(offset(at: start))
            if t >= start && t < end { found.append(t) }
        }
        if !found.isEmpty { return (found, nil) }
        func wall(_ t: Int64) -> Int64 { t + Int64(offset(at: t)) }
        for p in points.dropFirst() where wall(p - 1) < w && wall(p) > w { return ([], p) }
        return ([], nil)
    }

    /// Every instant in `lo < t <= hi` at which the type may change:
    /// the table's transitions, the hand-over to the footer just after the
    /// last one, and the footer's own changes. Ascending, without repeats.
    private func changePoints(after lo: Int64, through hi: Int64) -> [Int64] {
        var points: [Int64] = []
        var i = firstTransitionIndex(after: lo)
        while i < transitionTimes.count, transitionTimes[i] <= hi {
            points.append(transitionTimes[i])
            i += 1
        }
        if let footer {
            if let last = transitionTimes.last {
                if last < hi {
                    if last >= lo { points.append(last + 1) }
                    points += footer.changes(after: max(lo, last), through: hi)
                }
            } else {
                points += footer.changes(after: lo, through: hi)
            }
        }
        points.sort()
        var unique: [Int64] = []
        for p in points where unique.last != p { unique.append(p) }
        return unique
    }

    /// The index of the first transition after `t` (the count if none).
    private func firstTransitionIndex(after t: Int64) -> Int {
        var lo = 0
        var hi = transitionTimes.count
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if transitionTimes[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
