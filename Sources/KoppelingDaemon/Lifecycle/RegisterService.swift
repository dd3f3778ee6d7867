import Logging
import NIOPosix
import ServiceLifecycle

/// The group the daemon runs in, known to its first service only once the
/// group exists (it is made with that service in it).
final class GroupOwner: @unchecked Sendable {
    // Set once, before the group runs, and only read after.
    var group: ServiceGroup?
}

/// The register and everything that serves it — its lock, the database
/// thread, the read connections, the thread pool and the socket, on the
/// daemon's event loop. First in the group: it opens them (a SIGTERM that
/// comes meanwhile waits for the group, `Daemon.run`), adds the services
/// that keep the daemon running, and, being first, stops last, after the
/// socket stopped taking requests and the last one was answered.
struct RegisterService: Service {
    let daemon: Daemon
    let loops: MultiThreadedEventLoopGroup
    let owner: GroupOwner
    let logger: Logger

    func run() async throws {
        let teardown = Teardown()
        do {
            for service in try await daemon.open(into: teardown, loops: loops) {
                // Not started when the group is already shutting down: the
                // teardown below closes what was opened.
                await owner.group?.addServiceUnlessShutdown(service)
            }
        } catch {
            await teardown.unwind()
            throw error
        }
        try? await gracefulShutdown()
        await teardown.unwind()
        logger.info("stopped cleanly")
    }
}
