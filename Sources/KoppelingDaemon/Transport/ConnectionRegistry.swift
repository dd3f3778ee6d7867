import NIOConcurrencyHelpers
import NIOCore

/// The open connections and requests in flight, for the connection cap and
/// a graceful shutdown.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var inFlight = 0
        var shuttingDown = false
        /// Refusals at the cap since a connection was last admitted (the log names the first only).
        var refusedAtCap = 0
        /// Waiting for the last request in flight to end.
        var drainWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }
    private let state = NIOLockedValueBox(State())
    let maxConnections: Int

    init(maxConnections: Int) { self.maxConnections = maxConnections }

    enum Admission: Equatable {
        case admitted
        /// `maxConnections` are open already; `first` for the first refusal
        /// since a connection was last admitted (log that one only).
        case full(first: Bool)
        case shuttingDown
    }

    /// Registers the connection unless the cap is reached or the daemon is stopping.
    func admit(_ channel: any Channel) -> Admission {
        state.withLockedValue { s in
            if s.shuttingDown { return .shuttingDown }
            guard s.channels.count < maxConnections else {
                s.refusedAtCap += 1
                return .full(first: s.refusedAtCap == 1)
            }
            s.channels[ObjectIdentifier(channel)] = channel
            s.refusedAtCap = 0
            return .admitted
        }
    }

    func remove(_ channel: any Channel) {
        state.withLockedValue { _ = $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Counts a request as in flight unless the daemon is stopping.
    func beginRequest() -> Bool {
        state.withLockedValue { s in
            guard !s.shuttingDown else { return false }
            s.inFlight += 1
            return true
        }
    }

    func endRequest() {
        let waiters = state.withLockedValue { s -> [CheckedContinuation<Void, Never>] in
            s.inFlight -= 1
            guard s.inFlight == 0 else { return [] }
            defer { s.drainWaiters = [:] }
            return Array(s.drainWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once no request is in flight (after `beginShutdown` no new
    /// one starts), or after `timeout`, whichever comes first.
    func drained(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.noneInFlight() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Suspends until the count of requests in flight is zero, or the
    /// task is cancelled (the timeout won).
    private func noneInFlight() async {
        let id = state.withLockedValue { s -> Int in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let now = state.withLockedValue { s -> Bool in
                    if s.inFlight == 0 || Task.isCancelled { return true }
                    s.drainWaiters[id] = waiter
                    return false
                }
                if now { waiter.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0.drainWaiters.removeValue(forKey: id) }?.resume()
        }
    }

    var inFlight: Int { state.withLockedValue { $0.inFlight } }
    var connectionCount: Int { state.withLockedValue { $0.channels.count } }

    /// Stops admitting work and returns the open connections.
    func beginShutdown() -> [any Channel] {
        state.withLockedValue { s in
            s.shuttingDown = true
            return Array(s.channels.values)
        }
    }
}
