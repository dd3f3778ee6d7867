/// A log-linear latency histogram in the manner of HdrHistogram: every
/// power of two is split into `halfCount` equal sub-buckets, so the
/// relative error of any recorded value is below 1 / `halfCount` (0.2 %)
/// while the memory stays fixed however many values are recorded.
struct Histogram {
    /// Sub-buckets per power of two, as a power of two itself.
    static let subBucketBits = 10
    static let halfCount = 1 << (subBucketBits - 1)
    /// Values above 2^40 ns (18 minutes) are clamped: no request lasts that long.
    static let highestBit = 40
    static let slotCount = (highestBit - subBucketBits + 2) * halfCount

    private(set) var counts: [UInt64]
    private(set) var total: UInt64 = 0
    private(set) var minimum: UInt64 = .max
    private(set) var maximum: UInt64 = 0

    init() { counts = [UInt64](repeating: 0, count: Histogram.slotCount) }

    static func slot(for value: UInt64) -> Int {
        let v = min(value, (1 << UInt64(highestBit)) - 1)
        let magnitude = 63 - (v | 1).leadingZeroBitCount
        let shift = max(0, magnitude - (subBucketBits - 1))
        return shift * halfCount + Int(v >> UInt64(shift))
    }

    /// The largest value that falls in `slot`: percentiles report it, so
    /// they never understate a latency.
    static func highestValue(inSlot slot: Int) -> UInt64 {
        let shift = max(0, slot / halfCount - 1)
        let base = UInt64(slot - shift * halfCount) << UInt64(shift)
        return base + (UInt64(1) << UInt64(shift)) - 1
    }

    mutating func record(_ value: UInt64) {
        counts[Histogram.slot(for: value)] += 1
        total += 1
        minimum = min(minimum, value)
        maximum = max(maximum, value)
    }

    mutating func merge(_ other: Histogram) {
        for i in counts.indices where other.counts[i] != 0 { counts[i] += other.counts[i] }
        total += other.total
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
    }

    /// The value below or at which `percentile` per cent of the values lie.
    func value(atPercentile percentile: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = max(1, UInt64((percentile / 100 * Double(total)).rounded(.up)))
        var seen: UInt64 = 0
        for (slot, count) in counts.enumerated() where count != 0 {
            seen += count
            if seen >= rank { return min(Histogram.highestValue(inSlot: slot), maximum) }
        }
        return maximum
    }

    var mean: Double {
        guard total > 0 else { return 0 }
        var sum = 0.0
        for (slot, count) in counts.enumerated() where count != 0 {
            sum += Double(Histogram.highestValue(inSlot: slot)) * Double(count)
        }
        return sum / Double(total)
    }
}
