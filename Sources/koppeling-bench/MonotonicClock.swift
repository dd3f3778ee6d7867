import Glibc

/// Nanoseconds from CLOCK_MONOTONIC: immune to wall-clock steps, and a
/// plain integer so the hot loop does no conversions.
enum MonotonicClock {
    @inline(__always)
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
