import KoppelingCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Where all time comes from. The daemon uses `SystemClock`; tests drive a
/// manual clock through days, DST changes and downtime without waiting.
public protocol KoppelingClock: Sendable {
    /// The wall-clock instant now (it may jump forward or back).
    func now() -> Date
    /// Waits `seconds` of elapsed time (or until cancelled).
    func sleep(seconds: Double) async throws
}

public struct SystemClock: KoppelingClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(seconds: Double) async throws {
        try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
    }
}
