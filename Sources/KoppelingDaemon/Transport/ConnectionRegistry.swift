import NIOConcurrencyHelpers
import NIOCore

/// The open connections and requests in flight, for the connection cap and
/// a graceful shutdown.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var inFlight = 0
        var shuttingDown = false
    }
    private let state = NIOLockedValueBox(State())
    let maxConnections: Int

    init(maxConnections: Int) { self.maxConnections = maxConnections }

    /// False when the cap is reached or the daemon is stopping.
    func admit(_ channel: any Channel) -> Bool {
        state.withLockedValue { s in
            guard !s.shuttingDown, s.channels.count < maxConnections else { return false }
            s.channels[ObjectIdentifier(channel)] = channel
            return true
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

    func endRequest() { state.withLockedValue { $0.inFlight -= 1 } }

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
