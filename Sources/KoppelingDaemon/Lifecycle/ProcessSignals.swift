#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM, SIGINT and SIGHUP, taken by the main thread with `sigwait`.
/// ServiceLifecycle's signal handling is a libdispatch source, which starts
/// libdispatch's threads (`LoopExecutor` says why the daemon has none).
///
/// The signals are blocked before any other thread exists, so every thread
/// inherits the mask: the kernel keeps each of them pending for `sigwait`
/// alone, and one that comes while the daemon starts waits for it too.
struct ProcessSignals {
    private let waiting = pthread_self()
    private var set = sigset_t()

    /// Blocks the signals in the calling thread. Call before any other
    /// thread starts (a thread started earlier would take them at their
    /// default: the end of the process).
    init() {
        sigemptyset(&set)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits on the calling thread (the one that blocked them) for the next
    /// of the signals.
    func next() -> Int32 {
        var set = set
        var signal: Int32 = 0
        // Fails only for a set with an invalid signal in it.
        _ = sigwait(&set, &signal)
        return signal
    }

    /// Ends the waiting thread's current `next()` from another thread: a
    /// SIGTERM for that thread alone, which the waiting thread tells from one
    /// sent to the process by what it waits for being done.
    func wake() {
        _ = pthread_kill(waiting, SIGTERM)
    }
}
