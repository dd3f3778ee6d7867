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
