import KoppelingCore
import NIOConcurrencyHelpers
import NIOCore

/// The open connections, for the connection caps and the end of a graceful
/// shutdown (the connections still open after its grace period).
///
/// Two caps keep readers from crowding out everyone else: a uid that may
/// only read holds at most `maxPerReader` connections, and the last
/// `reservedForAdministrators` slots are for callers who may change.
final class ConnectionRegistry: Sendable {
    private struct State {
        var connections: [ObjectIdentifier: Connection] = [:]
        /// Open connections of callers who may only read, by uid; a uid with
        /// none has no entry, so this never outgrows the connections.
        var readers: [Int: ReaderConnections] = [:]
        var shuttingDown = false
        /// Refusals at the cap since a connection was last admitted (the log names the first only).
        var refusedAtCap = 0
        /// Readers refused for want of an unreserved slot since a reader was last admitted.
        var refusedAtReserve = 0
    }
    private struct Connection {
        let channel: any Channel
        /// The uid it counts for in `readers`: set once its caller is known
        /// and may only read.
        var reader: Int?
    }
    private struct ReaderConnections {
        var open = 0
        /// A refusal at the per-reader cap was logged. Kept until the uid has
        /// no connection left, so a reader that keeps closing and reopening
        /// at its cap logs once, not once a round.
        var refusalLogged = false
    }
    private let state = NIOLockedValueBox(State())
    let maxConnections: Int
    /// Connections one uid who may only read holds at most.
    let maxPerReader: Int
    /// The last slots of `maxConnections`, for callers who may change.
    let reservedForAdministrators: Int

    init(
        maxConnections: Int,
        maxPerReader: Int = DaemonConfig.Defaults.maxConnectionsPerReader,
        reservedForAdministrators: Int? = nil
    ) {
        self.maxConnections = maxConnections
        self.maxPerReader = maxPerReader
        self.reservedForAdministrators =
            reservedForAdministrators
            ?? DaemonConfig.Defaults.reservedForAdministrators(maxConnections: maxConnections)
    }

    enum Admission: Equatable {
        case admitted
        /// `maxConnections` are open already; `first` for the first refusal
        /// since a connection was last admitted (log that one only).
        case full(first: Bool)
        case shuttingDown
    }

    /// Registers the connection unless the cap is reached or the daemon is
    /// stopping. Its caller is not known yet: `admit(_:as:)` decides again
    /// once it is.
    func admit(_ channel: any Channel) -> Admission {
        state.withLockedValue { s in
            if s.shuttingDown { return .shuttingDown }
            guard s.connections.count < maxConnections else {
                s.refusedAtCap += 1
                return .full(first: s.refusedAtCap == 1)
            }
            s.connections[ObjectIdentifier(channel)] = Connection(channel: channel)
            s.refusedAtCap = 0
            return .admitted
        }
    }

    enum CallerAdmission: Equatable {
        case admitted
        /// The caller may only read and its uid holds `maxPerReader`
        /// connections already; `first` for the first refusal since the uid
        /// last had none open (log that one only).
        case readerCap(first: Bool)
        /// The caller may only read and no more than the reserved slots are
        /// free; `first` for the first such refusal since a reader was last
        /// admitted.
        case reserved(first: Bool)
        /// The connection closed before its caller was known.
        case gone
    }

    /// Decides whether a connection registered by `admit(_:)` may stay now
    /// that its caller is known. Root and administrators may; a caller who
    /// may only read is counted for its uid and refused at the per-reader
    /// cap or when only the reserved slots are left. A refused connection
    /// is no longer counted.
    func admit(_ channel: any Channel, as caller: Caller) -> CallerAdmission {
        state.withLockedValue { s in
            let key = ObjectIdentifier(channel)
            guard s.connections[key] != nil else { return .gone }
            if caller.mayChange { return .admitted }
            let uid = caller.uid
            if var held = s.readers[uid], held.open >= maxPerReader {
                s.connections.removeValue(forKey: key)
                let first = !held.refusalLogged
                held.refusalLogged = true
                s.readers[uid] = held
                return .readerCap(first: first)
            }
            // This connection is among those counted: it may stay only if
            // the reserved slots are still free besides it.
            guard s.connections.count <= maxConnections - reservedForAdministrators else {
                s.connections.removeValue(forKey: key)
                s.refusedAtReserve += 1
                return .reserved(first: s.refusedAtReserve == 1)
            }
            s.readers[uid, default: ReaderConnections()].open += 1
            s.connections[key]?.reader = uid
            s.refusedAtReserve = 0
            return .admitted
        }
    }

    func remove(_ channel: any Channel) {
        state.withLockedValue { s in
            guard let connection = s.connections.removeValue(forKey: ObjectIdentifier(channel)),
                let uid = connection.reader, var held = s.readers[uid]
            else { return }
            held.open -= 1
            s.readers[uid] = held.open > 0 ? held : nil
        }
    }

    var connectionCount: Int { state.withLockedValue { $0.connections.count } }

    /// Stops admitting work and returns the open connections.
    func beginShutdown() -> [any Channel] {
        state.withLockedValue { s in
            s.shuttingDown = true
            return s.connections.values.map(\.channel)
        }
    }
}
