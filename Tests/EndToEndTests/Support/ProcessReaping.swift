import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Process {
    /// `waitUntilExit`, robust against a lost SIGCHLD. swift-corelibs-
    /// foundation notices that a child exited only on a SIGCHLD; with many
    /// children of many tests exiting at once one was missed in a CI run,
    /// and `waitUntilExit` waited forever on a zombie `koppelingctl`. Raising
    /// SIGCHLD again makes Foundation look at its children again.
    func reap() {
        while isRunning {
            kill(getpid(), SIGCHLD)
            usleep(20_000)
        }
    }

    /// Asks the child to stop (SIGTERM) and reaps it; one that has not
    /// stopped after `killAfter` seconds is killed, so a test's clean-up
    /// never waits forever.
    func stop(killAfter seconds: Double = 10) {
        guard isRunning else { return reap() }
        terminate()
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning, Date() < deadline {
            kill(getpid(), SIGCHLD)
            usleep(20_000)
        }
        if isRunning { kill(processIdentifier, SIGKILL) }
        reap()
    }
}
