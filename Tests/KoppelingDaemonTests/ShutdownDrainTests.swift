import Foundation
import Testing

@testable import KoppelingDaemon

/// The shutdown waits for the requests in flight by being woken by the
/// last one's end, not by looking every few milliseconds, and gives up at
/// its deadline.
@Suite("Shutdown: draining the requests in flight")
struct ShutdownDrainTests {
    @Test func drainedReturnsWhenTheLastRequestEnds() async {
        let registry = ConnectionRegistry(maxConnections: 4)
        #expect(registry.beginRequest())
        #expect(registry.beginRequest())
        _ = registry.beginShutdown()
        #expect(!registry.beginRequest(), "no request starts once the shutdown began")
        let started = ContinuousClock.now
        async let drained: Void = registry.drained(timeout: .seconds(30))
        try? await Task.sleep(for: .milliseconds(50))
        registry.endRequest()
        try? await Task.sleep(for: .milliseconds(50))
        registry.endRequest()
        await drained
        #expect(ContinuousClock.now - started < .seconds(20), "woken by the last request, not by the 30 s deadline")
        #expect(registry.inFlight == 0)
    }

    @Test func drainedGivesUpAtItsDeadline() async {
        let registry = ConnectionRegistry(maxConnections: 4)
        #expect(registry.beginRequest())
        _ = registry.beginShutdown()
        let started = ContinuousClock.now
        await registry.drained(timeout: .milliseconds(200))
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(200) && waited < .seconds(20))
        #expect(registry.inFlight == 1)
        registry.endRequest()  // a waiter left behind would be resumed twice here
        #expect(registry.inFlight == 0)
    }

    @Test func drainedReturnsAtOnceWithNothingInFlight() async {
        let registry = ConnectionRegistry(maxConnections: 4)
        _ = registry.beginShutdown()
        let started = ContinuousClock.now
        await registry.drained(timeout: .seconds(30))
        #expect(ContinuousClock.now - started < .seconds(20), "not by the 30 s deadline")
    }
}
