import Logging
import ServiceLifecycle

/// The register and everything that serves it — its lock, the database
/// thread, the read connections, the event loop and the lookup threads —
/// held until the group shuts down. First in the group, so it stops last,
/// after the socket stopped taking requests and the last one was answered.
struct RegisterService: Service {
    let teardown: Teardown
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        await teardown.unwind()
        logger.info("stopped cleanly")
    }
}
