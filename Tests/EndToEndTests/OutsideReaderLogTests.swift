import Foundation
import Testing

/// The log is bounded (DESIGN §4): the `sqlite3` shell holding a read
/// transaction keeps every checkpoint from restarting the log, so it grows
/// under writes while the shell holds on; once the shell lets go, the log is
/// back at its limit (4 MiB) within a few seconds, with no write needed.
/// `KOPPELING_READER_SECONDS=20` holds the reader for 20 s of writes (the
/// figure in docs/reliability.md); by default it holds until the log passed
/// 6 MB or 15 s went by.
@Suite("An outside reader and the log", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3")))
struct OutsideReaderLogTests {
    static let limit = 4 * 1024 * 1024

    static func size(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    @Test func logReturnsToItsLimitOnceTheReaderLetsGo() throws {
        let daemon = try DaemonProcess()
        let wal = daemon.databasePath + "-wal"
        let hold = Double(ProcessInfo.processInfo.environment["KOPPELING_READER_SECONDS"] ?? "") ?? 0

        // The shell, in a read transaction it keeps until its input closes.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        shell.arguments = [daemon.databasePath]
        let input = Pipe()
        shell.standardInput = input
        shell.standardOutput = FileHandle.nullDevice
        try shell.run()
        input.fileHandleForWriting.write(Data("BEGIN;\nSELECT count(*) FROM school;\n".utf8))
        usleep(300_000)

        let started = Date()
        var n = 0
        var peak = 0
        while true {
            let elapsed = Date().timeIntervalSince(started)
            if hold > 0 ? elapsed >= hold : (peak > 6_000_000 || elapsed > 15) { break }
            n += 1
            let brin6 = String(format: "%02dQW%02d", n % 100, (n / 100) % 100)
            _ = try daemon.rawCall(
                #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"\#(brin6)","name":"School \#(n)"}}"#
            )
            peak = max(peak, Self.size(wal))
        }
        let held = Date().timeIntervalSince(started)
        #expect(peak > Self.limit, "the log never passed its limit while the reader held on (\(peak) bytes): no test")

        try input.fileHandleForWriting.close()
        shell.reap()
        let letGo = Date()
        var after = Self.size(wal)
        while after > Self.limit, Date().timeIntervalSince(letGo) < 5 {
            usleep(100_000)
            after = Self.size(wal)
        }
        let back = Date().timeIntervalSince(letGo)
        #expect(after <= Self.limit, "the log is \(after) bytes 5 s after the reader let go")
        print(
            String(
                format: "outside reader: %d writes in %.1f s; log at most %.1f MB while held, %.2f MB %.1f s after the reader let go",
                n, held, Double(peak) / 1e6, Double(after) / 1e6, back
            )
        )
        #expect(daemon.stop() == 0)
    }
}
