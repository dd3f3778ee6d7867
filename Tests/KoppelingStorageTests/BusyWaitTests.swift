import Foundation
import Testing

@testable import KoppelingStorage

/// `withoutBusyWait`: the daemon's second try after a whole busy timeout
/// (a refusal's audit row, a group whose lock never came) fails at once,
/// and the busy timeout is back afterwards.
@Suite("Busy waiting")
struct BusyWaitTests {
    @Test func withoutBusyWaitFailsAtOnceAndRestoresTheTimeout() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            let other = try SQLiteConnection(path: dir.databasePath)
            defer { other.close() }
            try other.execute("BEGIN IMMEDIATE")
            defer { try? other.execute("ROLLBACK") }

            let started = Date()
            let error = #expect(throws: SQLiteError.self) {
                try register.db.withoutBusyWait { try register.db.execute("BEGIN IMMEDIATE") }
            }
            #expect(error?.isBusy == true)
            #expect(Date().timeIntervalSince(started) < 1, "waited \(Date().timeIntervalSince(started)) s")
            #expect(try register.db.pragma("busy_timeout") == "\(DatabaseSetup.busyTimeoutMilliseconds)")
        }
    }
}
