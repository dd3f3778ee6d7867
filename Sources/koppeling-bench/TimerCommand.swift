import ArgumentParser
import Foundation
import KoppelingCore
import KoppelingStorage

/// Times the daily enabling pass over many pending ECKiD imports, on a
/// database made directly through the storage layer (the daemon's own
/// queries, no socket).
struct TimerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timer",
        abstract: "Time the daily ECKiD pass over N pending imports."
    )

    @Option(help: "Pending imports (one school and activation each).") var imports = 100_000
    @Option(help: "Directory for the scratch database (default: a new one under /tmp).") var directory: String?
    @Flag(help: "Print one JSON line.") var json = false

    func run() throws {
        let dir = directory ?? NSTemporaryDirectory() + "koppeling-timer-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let register = try Register.open(path: dir + "/koppelingd.db")
        defer { register.close() }
        let today = LocalDate(iso: "2026-11-30")!
        let fill = MonotonicClock.now()
        // Filled through a connection of its own: made-up hashes, not the
        // register's queries, which would judge every row.
        let db = try SQLiteConnection(path: dir + "/koppelingd.db")
        defer { db.close() }
        try db.transaction {
            for i in 0..<imports {
                let brin6 = Brin6Space.brin6(i)
                try db.run(
                    "INSERT INTO school (brin6, name, created_at) VALUES (?, ?, '2026-11-29T10:00:00Z')",
                    [.text(brin6), .text("School \(i)")]
                )
                var hash = [UInt8](repeating: 0, count: 32)
                withUnsafeBytes(of: UInt64(i)) { for (k, b) in $0.enumerated() { hash[k] = b } }
                try db.run(
                    """
                    INSERT INTO activation (school_brin6, koppeling_id, accepted_by_name, os_user, os_uid, terms_version,
                        start_date, code_hash, code_prefix, code_length, activated_at)
                    VALUES (?, 'topdossier-eckid', 'Bench', 'bench', 0, '2024.1', '2026-11-29', ?, ?, 24, '2026-11-29T10:00:00Z')
                    """,
                    [.text(brin6), .blob(hash), .text(brin6)]
                )
                try db.run(
                    """
                    INSERT INTO eckid_import (school_brin6, activation_id, key_hash, state, active_from, key_set_at, key_set_by)
                    VALUES (?, ?, ?, 'pending', ?, '2026-11-29T10:00:00Z', 'bench')
                    """,
                    [.text(brin6), .integer(db.lastInsertRowID), .blob(hash), .text(today.description)]
                )
            }
        }
        let filled = MonotonicClock.now()
        let run = try register.write {
            try register.runEnablingPass(
                kind: .scheduled,
                today: today,
                startedAt: "2026-11-29T23:05:00Z",
                now: { "2026-11-29T23:05:00Z" }
            )
        }
        let done = MonotonicClock.now()
        let passMs = Double(done - filled) / 1e6
        let enabled = run?.enabled ?? 0
        if json {
            print(
                #"{"imports":\#(imports),"enabled":\#(enabled),"pass_ms":\#(String(format: "%.1f", passMs)),"fill_s":\#(String(format: "%.1f", Double(filled - fill) / 1e9))}"#
            )
        } else {
            print(
                "enabled \(enabled) of \(imports) pending imports in \(String(format: "%.1f", passMs)) ms (one transaction, synchronous=FULL)"
            )
        }
        if enabled != imports { throw ExitCode.failure }
    }
}
