import Foundation
import NIOCore
import KoppelingCore
import KoppelingProtocol
import KoppelingTime

@testable import KoppelingDaemon
@testable import KoppelingStorage

/// A wall clock the test sets and jumps; `sleep` moves it forward at once.
final class ManualClock: KoppelingClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date) { current = start }

    func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func set(_ date: Date) {
        lock.lock()
        current = date
        lock.unlock()
    }

    func advance(seconds: Double) { set(now().addingTimeInterval(seconds)) }

    func sleep(seconds: Double) async throws {
        try Task.checkCancellation()
        advance(seconds: seconds)
    }
}

/// An Application on a fresh database in a temporary directory.
final class TestRegister {
    let directory: URL
    let app: Application
    let clock: ManualClock

    init(zone: String = "Europe/Amsterdam", runAt: String = "00:05", start: Date) throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kdt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("k.db").path
        clock = ManualClock(start)
        let config = DaemonConfig(
            databasePath: path,
            socketPath: directory.appendingPathComponent("k.sock").path,
            schedule: DailySchedule(zone: Zone(identifier: zone)!, runAt: LocalTime(runAt)!)
        )
        app = Application(register: try Register.open(path: path), config: config, clock: clock)
    }

    deinit {
        app.register.close()
        try? FileManager.default.removeItem(at: directory)
    }

    static let admin = Caller(user: "root", uid: 0, mayChange: true)
    static let reader = Caller(user: "nobody", uid: 65534, mayChange: false)

    /// Sends one JSON-RPC line through the dispatcher, as the socket would.
    func call(_ line: String, as caller: Caller = admin) -> [String: Any] {
        let parsed = Dispatcher.parse(ByteBuffer(string: line))
        guard let reply = Dispatcher.execute(parsed, app: app, caller: caller) else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(reply.readableBytesView)) as? [String: Any]) ?? [:]
    }
}

func utc(_ text: String) -> Date { Instant.parse(text)! }

/// SplitMix64: the same random inputs on every run, so a failure replays.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
