#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The one owner of transactions. Every query of the register runs inside
/// one of these scopes; the queries themselves never begin, commit or roll
/// back anything (DatabasePool.read/write in GRDB is the model).
extension Register {
    /// A change: one `BEGIN IMMEDIATE` transaction (the write lock taken up
    /// front, so a busy database fails before any work), or, inside a
    /// batch, a savepoint of its own, so its failure undoes only its part.
    public func write<T>(_ body: () throws -> T) throws -> T {
        let outermost = !db.isInTransaction
        let result = try db.transaction(.immediate, body)
        if outermost { try confirmCommit() }
        return result
    }

    /// A read: every statement of `body` sees one snapshot, however many
    /// commits happen meanwhile (WAL). Inside a write it sees that write.
    public func read<T>(_ body: () throws -> T) throws -> T {
        if db.isInTransaction { return try body() }
        return try db.snapshot(body)
    }

    /// One transaction for many requests, each of which runs in its own
    /// `write` (a savepoint) inside it: one durable commit serves them all.
    /// `body` returns whether the batch is to be committed; it returns
    /// false when SQLite ended the transaction by itself (see
    /// `isInTransaction`). A failed commit is rolled back and thrown.
    public func batch(_ body: () -> Bool) throws {
        do {
            try db.transaction { if !body() { throw Abandoned() } }
        } catch is Abandoned {
            return
        }
        try confirmCommit()
    }

    /// A batch its body gave up: rolled back, nothing to report.
    private struct Abandoned: Error {}

    /// After each commit: the files it went to are still the register's.
    /// A log (or its index) removed or replaced under the daemon still takes
    /// commits through the descriptor SQLite holds, and a crash would then
    /// lose them although each was answered as saved. So the log is saved
    /// into the register file at once, by a checkpoint through this handle
    /// (synced: `synchronous = FULL`), and whoever watches is told, so that
    /// later changes are refused. Only a commit whose contents are then in
    /// the register file returns; otherwise it throws `RegisterFilesLost`
    /// and its reply says it was not saved.
    func confirmCommit() throws {
        guard let watch = commitWatch else { return }
        // Not the length before this commit: a commit that restarts the
        // log cuts it back to its limit itself (`journal_size_limit`).
        guard let file = watch.files.lost(logAtLeast: 0) else {
            logLength = watch.files.size(of: .log)
            return
        }
        watch.lost(file)
        // The lock or the secret lost: the commit itself is in place.
        if file == .lock || file == .secret { return }
        guard file != .register, try saveLostLog(logAtLeast: 0) else {
            throw RegisterFilesLost(file: file, saved: false)
        }
    }

    /// What a lost log held, saved into the register file through this
    /// handle, and a file put in its place moved aside so the next start
    /// cannot replay it over what was saved. True when saved. A log cut
    /// short in place has lost its frames: nothing can bring those back,
    /// and the checkpoint finds them missing.
    /// `logAtLeast`: as for `RegisterFiles.lost`.
    public func saveLostLog(logAtLeast: Int64) throws -> Bool {
        guard commitWatch?.files.logCutShort(atLeast: logAtLeast) != true, try saveLogIntoRegister() else { return false }
        commitWatch?.files.setAsideReplacedLog()
        return true
    }

    /// Copies every frame of the log into the register file and empties
    /// the log (`wal_checkpoint(TRUNCATE)`): true when it completed, false
    /// when a reader still holds an older snapshot (after the busy wait).
    public func saveLogIntoRegister() throws -> Bool {
        defer { logLength = commitWatch?.files.size(of: .log) ?? 0 }
        return try db.queryOne("PRAGMA wal_checkpoint(TRUNCATE)") { $0.int(0) } == 0
    }

    /// Brings a log that an outside reader let grow (it holds a snapshot,
    /// so no checkpoint may restart the log) back to empty once it has let
    /// go; with a reader still there it gives up at once instead of
    /// waiting out the busy timeout. True when the log was emptied.
    public func shrinkLog() -> Bool {
        db.withoutBusyWait { (try? saveLogIntoRegister()) ?? false }
    }

    /// Whether a transaction is open: false inside a batch means SQLite
    /// rolled it back by itself (a full disk, an I/O error), and any later
    /// statement would run in autocommit.
    public var isInTransaction: Bool { db.isInTransaction }

    /// Runs `body` with no busy wait: a lock held by another process fails
    /// at once instead of after the busy timeout, which is restored after.
    public func withoutBusyWait<T>(_ body: () throws -> T) rethrows -> T {
        try db.withoutBusyWait(body)
    }

    /// The database answers (the watchdog's probe).
    public func ping() throws {
        _ = try db.queryOne("SELECT 1") { $0.int(0) }
    }

    /// A consistent copy of the register in one new file (`VACUUM INTO`,
    /// which cannot run inside a transaction).
    public func copy(into path: String) throws {
        precondition(!db.isInTransaction, "VACUUM INTO runs outside any transaction")
        try db.run("VACUUM INTO ?", [.text(path)])
    }

    /// A read-only connection to the same register, sharing its secret.
    public func reader() throws -> Register {
        Register(db: try DatabaseSetup.openReader(path: path), secret: secret, path: path)
    }

    /// Checked by every query that changes the register: it must run in a
    /// `write` scope, or its statements would commit one by one.
    func requireWriteScope() {
        precondition(db.isInTransaction, "a change to the register runs inside Register.write")
    }
}

extension Register {
    /// The body of a query that changes the register, checked to run in a
    /// `write` scope.
    func inWriteScope<T>(_ body: () throws -> T) rethrows -> T {
        requireWriteScope()
        return try body()
    }
}
