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
