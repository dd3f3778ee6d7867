import Foundation
import Testing

@testable import KoppelingDaemon

/// The shutdown waits for the requests in flight by being woken by the
/// last one's end, not by looking every few milliseconds, and gives up at
/// its deadline.
@Suite("Shutdown: draining the requests in flight")
struct ShutdownDrainTests {
    /// Far beyond any wait the test itself causes: returning before it
    /// means the drain was woken, not timed out. (Tests run side by side on
    /// a small thread pool, so no tighter bound on the time is fair.)
    static let deadline = Duration.seconds(600)

    @Test func drainedReturnsWhenTheLastRequestEnds() async {
        let registry = ConnectionRegistry(maxConnections: 4)
        #expect(registry.beginRequest())
        #expect(registry.beginRequest())
        _ = registry.beginShutdown()
        #expect(!registry.beginRequest(), "no request starts once the shutdown began")
        let started = ContinuousClock.now
        async let drained: Void = registry.drained(timeout: Self.deadline)
        try? await Task.sleep(for: .milliseconds(50))
        registry.endRequest()
        try? await Task.sleep(for: .milliseconds(50))
        registry.endRequest()
        await drained
        #expect(ContinuousClock.now - started < Self.deadline, "woken by the last request, not by the deadline")
        #expect(registry.inFlight == 0)
    }

    @Test func drainedGivesUpAtItsDeadline() async {
        let registry = ConnectionRegistry(maxConnections: 4)
        #expect(registry.beginRequest())
        _ = registry.beginShutdown()
        let started = ContinuousClock.now
        await registry.drained(timeout: .milliseconds(200))
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(200))
        #expect(registry.inFlight == 1)
        registry.endRequest()  // a waiter left behind would be resumed twice here
        #expect(registry.inFlight == 0)
    }

    @Test func drainedReturnsAtOnceWithNothingInFlight() async {
        let registry = ConnectionRegistry(maxConnections: 4)
        _ = registry.beginShutdown()
        let started = ContinuousClock.now
        await registry.drained(timeout: Self.deadline)
        #expect(ContinuousClock.now - started < Self.deadline, "not by the deadline")
    }
}
