import KoppelingCore
import KoppelingStorage
import NIOConcurrencyHelpers
import NIOCore

/// One read-only database connection per event loop. Methods that only
/// read run right on the loop that received them, beside the writer thread
/// (WAL lets readers and the writer work at once), with no thread hop.
final class ReadConnections: Sendable {
    private let byLoop: NIOLockedValueBox<[ObjectIdentifier: Application]>

    /// Opens a reader for every loop of `group`, sharing the writer's
    /// secret, configuration and clock.
    init(group: any EventLoopGroup, writer: Application) throws {
        var readers: [ObjectIdentifier: Application] = [:]
        for loop in group.makeIterator() {
            let register = try writer.register.reader()
            readers[ObjectIdentifier(loop)] = writer.on(register)
        }
        byLoop = NIOLockedValueBox(readers)
    }

    /// The reader of `loop`; call only on that loop's thread.
    func reader(for loop: any EventLoop) -> Application? {
        byLoop.withLockedValue { $0[ObjectIdentifier(loop)] }
    }

    /// Closes every reader; each on its own loop, where it is used.
    func close(group: any EventLoopGroup) async {
        for loop in group.makeIterator() {
            let reader = byLoop.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(loop)) }
            guard let reader else { continue }
            try? await loop.submit { reader.register.close() }.get()
        }
    }
}
