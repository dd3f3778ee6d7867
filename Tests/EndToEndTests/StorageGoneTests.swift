import Foundation
import KoppelingClient
import Testing

/// The register file deleted under the running daemon: noticed within
/// about a second, every change refused (-32005, storage_gone), reads still
/// answered, a critical line in the log, `status` says so — and the next
/// start refuses to make a new empty register beside the old secret.
@Suite("The register file gone")
struct StorageGoneTests {
    static func call(_ daemon: DaemonProcess, _ method: String, _ params: String = "{}") throws -> [String: Any] {
        try daemon.rawCall(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#)
    }

    @Test func deletedWhileRunning() throws {
        let daemon = try DaemonProcess()
        #expect(try Self.call(daemon, "school.add", #"{"brin6":"21QW00","name":"OBS De Test"}"#)["result"] != nil)
        for suffix in ["", "-wal", "-shm"] { unlink(daemon.databasePath + suffix) }

        let started = Date()
        var storage = ""
        while Date().timeIntervalSince(started) < 5 {
            let status = try Self.call(daemon, "status")
            storage = (status["result"] as? [String: Any])?["storage"] as? String ?? ""
            if storage == "gone" { break }
            usleep(50_000)
        }
        let noticed = Date().timeIntervalSince(started)
        #expect(storage == "gone")
        #expect(noticed < 2.5, "noticed after \(noticed) s")

        let refused = try Self.call(daemon, "school.add", #"{"brin6":"21QW01","name":"Na het verwijderen"}"#)
        #expect(E2E.errorCode(refused) == -32005, "\(refused)")
        #expect(E2E.errorReason(refused) == "storage_gone", "\(refused)")
        // Reads still answer (from the file the daemon still has open).
        let list = try Self.call(daemon, "school.list")
        #expect("\(list)".contains("21QW00") && !"\(list)".contains("21QW01"), "\(list)")
        #expect(daemon.output.contains("critical") && daemon.output.contains("deleted or replaced"), "\(daemon.output)")
        print(String(format: "storage gone: noticed after %.2f s; changes refused with storage_gone", noticed))
        #expect(daemon.stop() == 0)

        // The next start does not make a new empty register beside the old secret.
        do {
            _ = try DaemonProcess(directory: daemon.directory)
            Issue.record("a new empty register was started beside the old secret")
        } catch DaemonProcess.DaemonError.exited(let status, let output) {
            #expect(status == 78)
            #expect(output.contains("is missing, but"), "\(output)")
        }
    }
}
