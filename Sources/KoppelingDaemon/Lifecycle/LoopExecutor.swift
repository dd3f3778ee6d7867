import NIOCore
@_spi(ExperimentalCustomExecutors) @_spi(ExperimentalScheduling) import _Concurrency

/// Swift concurrency's default executor in the daemon: its event loop.
///
/// On Linux the platform's default runs every task, and every `Task.sleep`,
/// on libdispatch: its worker threads, and a manager thread for the timers
/// that asks for nice -4 and, refused in a container, logged "Failed to set
/// thread priority" at every start. The daemon's async work is small
/// (starting, the watchers' ticks, the daily timer, shutting down) and the
/// loop is there anyway; so a task runs on the loop and a sleep is one of
/// the loop's scheduled tasks. A hook on the global enqueue alone (what
/// `NIOSingletons` offers) is not enough: since Swift 6.3 a sleep goes to
/// the default executor's scheduling directly, never through that hook.
final class LoopExecutor: TaskExecutor, SchedulingExecutor {
    let loop: any EventLoop

    private init(loop: any EventLoop) {
        self.loop = loop
    }

    /// Makes `loop` the default executor of every task from now on. Call
    /// once, before the first task or sleep of the process.
    static func install(on loop: any EventLoop) {
        Factory.executor = LoopExecutor(loop: loop)
        _createExecutors(factory: Factory.self)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    func enqueue<C: Clock>(_ job: consuming ExecutorJob, after delay: C.Duration, tolerance: C.Duration?, clock: C) {
        let job = UnownedJob(job)
        // Only the standard clocks schedule through an executor (a custom
        // clock's `sleep` is its own), and both count in `Duration`.
        let delay = delay as? Duration ?? .zero
        loop.scheduleTask(in: Self.timeAmount(delay)) { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// `delay` in whole nanoseconds, as far as they reach.
    static func timeAmount(_ delay: Duration) -> TimeAmount {
        let (seconds, attoseconds) = delay.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .nanoseconds(seconds < 0 ? 0 : .max) }
        return .nanoseconds(whole.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue)
    }

    private enum Factory: ExecutorFactory {
        // Set once by `install`, before the runtime reads it.
        nonisolated(unsafe) static var executor: LoopExecutor?

        static var defaultExecutor: any TaskExecutor { executor! }
        // Nothing in the daemon runs on the main actor: its main thread only
        // waits for signals (`ProcessSignals`). The platform's main executor
        // is a libdispatch queue that, never used, starts no thread.
        static var mainExecutor: any MainExecutor { PlatformExecutorFactory.mainExecutor }
    }
}
