import Foundation
import Testing

/// Each file the register keeps — the register, its `-wal` and `-shm`, the
/// lock, the secret, the backups directory — removed, emptied or replaced,
/// while the daemon runs and while it is stopped. Whatever happens, one
/// rule holds (DESIGN §4, "a lost log is never acknowledged"): every change
/// answered as saved is there after a crash (SIGKILL) and a new start, or
/// that start refuses (exit 78, naming what is wrong). Never a new empty
/// register, never an acknowledged change that is silently gone.
@Suite("Storage loss matrix")
struct StorageLossMatrixTests {
    enum File: String, CaseIterable, CustomTestStringConvertible {
        case register = "koppelingd.db"
        case log = "koppelingd.db-wal"
        case sharedMemory = "koppelingd.db-shm"
        case lock = "koppelingd.db.lock"
        case secret = "koppelingd.secret"
        case backups = "backups"
        var testDescription: String { rawValue }
    }

    enum Fault: String, CaseIterable, CustomTestStringConvertible {
        case removed, emptied, replaced
        var testDescription: String { rawValue }
    }

    /// Does `fault` to `file` in `directory`. Replaced: a new file under the
    /// name (a copy for the register files, so the path names another
    /// inode; other bytes for the secret).
    static func apply(_ fault: Fault, to file: File, in directory: String) {
        let path = directory + "/" + file.rawValue
        let fm = FileManager.default
        switch (fault, file) {
        case (.removed, .backups):
            try? fm.removeItem(atPath: path)
        case (.removed, _):
            unlink(path)
        case (.emptied, .backups):
            for name in (try? fm.contentsOfDirectory(atPath: path)) ?? [] { unlink(path + "/" + name) }
        case (.emptied, _):
            if fm.fileExists(atPath: path) { truncate(path, 0) }
        case (.replaced, .secret):
            let other = (0..<32).map { _ in UInt8.random(in: 0...255) }
            fm.createFile(atPath: path + ".new", contents: Data(other), attributes: [.posixPermissions: 0o600])
            rename(path + ".new", path)
        case (.replaced, .backups):
            try? fm.moveItem(atPath: path, toPath: path + ".old")
            try? fm.copyItem(atPath: path + ".old", toPath: path)
            try? fm.removeItem(atPath: path + ".old")
        case (.replaced, _):
            guard fm.fileExists(atPath: path) else { return }
            try? fm.copyItem(atPath: path, toPath: path + ".new")
            rename(path + ".new", path)
        }
    }

    static func add(_ daemon: DaemonProcess, _ brin6: String) -> Bool {
        let reply = try? daemon.rawCall(
            #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"\#(brin6)","name":"School \#(brin6)"}}"#
        )
        return reply?["result"] != nil
    }

    /// After the crash: a start that refuses, or one that has every school
    /// that was acknowledged.
    static func expectNothingLost(
        _ directory: TemporaryDirectory,
        acknowledged: [String],
        _ label: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        do {
            let again = try DaemonProcess(directory: directory)
            defer { again.stop() }
            let list = try again.rawCall(#"{"jsonrpc":"2.0","id":9,"method":"school.list"}"#)
            let missing = acknowledged.filter { !"\(list)".contains($0) }
            #expect(missing.isEmpty, "\(label): acknowledged but lost: \(missing)", sourceLocation: sourceLocation)
            return "starts with all \(acknowledged.count) acknowledged"
        } catch DaemonProcess.DaemonError.exited(let status, let output) {
            #expect(status == 78, "\(label): exit \(status): \(output)", sourceLocation: sourceLocation)
            let line = output.split(separator: "\n").last { $0.contains("cannot run") }.map(String.init) ?? output
            return "start refused (78): " + String(line.split(separator: "cannot run: ").last ?? "").prefix(90)
        }
    }

    /// Faults that leave every file the daemon relies on as it was: the
    /// lock emptied in place (the lock is the `flock` on its inode), the
    /// backups (not the register: the next backup makes them anew).
    static func harmless(_ file: File, _ fault: Fault) -> Bool {
        file == .backups || (file == .lock && fault == .emptied)
    }

    @Test(arguments: File.allCases, Fault.allCases)
    func whileRunning(file: File, fault: Fault) throws {
        let daemon = try DaemonProcess()
        var acknowledged: [String] = []
        if Self.add(daemon, "21QW00") { acknowledged.append("21QW00") }
        Self.apply(fault, to: file, in: daemon.stateDirectory)
        // Right after the fault (before the watcher's next look), then
        // after it has had time to look.
        if Self.add(daemon, "21QW01") { acknowledged.append("21QW01") }
        usleep(1_500_000)
        if Self.add(daemon, "21QW02") { acknowledged.append("21QW02") }
        // SQLite maps the -shm file: one emptied in place ends the daemon
        // with SIGBUS at its next access (systemd restarts it; what it
        // acknowledged is in the log).
        let status = try? daemon.rawCall(#"{"jsonrpc":"2.0","id":3,"method":"status"}"#)
        let storage =
            (status?["result"] as? [String: Any])?["storage"] as? String
            ?? status.flatMap { E2E.errorReason($0).map { "refused (\($0))" } } ?? "unanswered"
        if !Self.harmless(file, fault), storage != "unanswered" {
            #expect(storage != "ok", "\(file) \(fault) while running went unnoticed")
            #expect(!acknowledged.contains("21QW02"), "\(file) \(fault): a change was taken after the watcher's look")
        }
        daemon.kill()
        let after = try Self.expectNothingLost(daemon.directory, acknowledged: acknowledged, "\(file) \(fault) while running")
        print("loss matrix | \(file.rawValue) | \(fault) | running | storage: \(storage); acknowledged \(acknowledged.count) of 3 | \(after)")
    }

    @Test(arguments: File.allCases, Fault.allCases)
    func whileStopped(file: File, fault: Fault) throws {
        let daemon = try DaemonProcess()
        #expect(Self.add(daemon, "21QW00"))
        #expect(daemon.stop() == 0)
        Self.apply(fault, to: file, in: daemon.stateDirectory)
        let after = try Self.expectNothingLost(daemon.directory, acknowledged: ["21QW00"], "\(file) \(fault) while stopped")
        print("loss matrix | \(file.rawValue) | \(fault) | stopped | \(after)")
    }
}
