import Foundation
import Testing

/// DESIGN §4: a register file damaged past the header does not hold up the
/// start: the daemon serves, runs the full check right after it is ready,
/// and from then on refuses every change (-32005 `storage_damaged`), keeps
/// serving reads, logs it as critical and shows it in `status`.
@Suite("A damaged register file")
struct StorageDamageTests {
    @Test func theCheckAfterReadyTurnsChangesOff() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "sqlite3 is not installed")
        let directory = TemporaryDirectory()
        var daemon: DaemonProcess? = try DaemonProcess(directory: directory)
        let path = daemon!.databasePath
        try FlowTests.ctl(Ctl(socketPath: daemon!.socketPath), ["school", "add", "21QW00", "OBS De Regenboog"])
        #expect(daemon!.stop() == 0)
        daemon = nil
        // A table start-up never reads, its pages then overwritten: damage
        // only the full check can see.
        _ = try ConsentFlowTests.sqlite(
            path,
            "PRAGMA journal_mode=DELETE; CREATE TABLE ballast (x BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 40) INSERT INTO ballast SELECT randomblob(3000) FROM n;"
        )
        let root = Int(try ConsentFlowTests.sqlite(path, "SELECT rootpage FROM sqlite_master WHERE name = 'ballast'")) ?? 0
        #expect(root > 1)
        let url = URL(fileURLWithPath: path)
        var bytes = try Data(contentsOf: url)
        let pageSize = Int(bytes[16]) << 8 | Int(bytes[17])
        bytes.replaceSubrange((root - 1) * pageSize..<root * pageSize, with: Data(repeating: 0xA5, count: pageSize))
        try bytes.write(to: url)

        let damaged = try DaemonProcess(directory: directory)
        let ctl = Ctl(socketPath: damaged.socketPath)
        var storage = ""
        for _ in 0..<100 {
            storage = try FlowTests.ctl(ctl, ["status", "--json"]).json?["storage"] as? String ?? ""
            if storage == "damaged" { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(storage == "damaged", "\(damaged.output)")
        let refused = try damaged.rawCall(
            #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW01","name":"OBS Na De Schade"}}"#
        )
        #expect(E2E.errorCode(refused) == -32005 && E2E.errorReason(refused) == "storage_damaged", "\(refused)")
        let list = try FlowTests.ctl(ctl, ["school", "list"])
        #expect(list.stdout.contains("21QW00") && !list.stdout.contains("21QW01"), "reads go on: \(list.transcript)")
        let status = try FlowTests.ctl(ctl, ["status"])
        #expect(status.stdout.contains("BESCHADIGD"), "\(status.stdout)")
        #expect(damaged.output.contains("critical") && damaged.output.contains("the register file is damaged"))
    }
}
