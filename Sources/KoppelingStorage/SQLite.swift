import CSQLite
import KoppelingCore

/// `SQLITE_TRANSIENT` is a C macro Swift cannot import.
let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// A value bound to or read from a statement.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])
}

public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String

    /// SQLITE_BUSY / SQLITE_LOCKED: another process holds the database.
    public var isBusy: Bool { code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED }
    public var isConstraint: Bool { code & 0xFF == SQLITE_CONSTRAINT }
    /// The statement was stopped on purpose (`interruptible`).
    public var isInterrupted: Bool { code & 0xFF == SQLITE_INTERRUPT }
    /// The file is damaged (SQLITE_CORRUPT) or not a database (SQLITE_NOTADB).
    public var isCorrupt: Bool { code & 0xFF == SQLITE_CORRUPT || code & 0xFF == SQLITE_NOTADB }
    public var isReadOnlyOrFull: Bool {
        [SQLITE_READONLY, SQLITE_FULL, SQLITE_IOERR, SQLITE_CANTOPEN].contains(code & 0xFF)
    }
    public var description: String { "SQLite error \(code): \(message)" }
}

/// One SQLite connection. Not thread-safe by itself: the owner confines it
/// to one thread at a time (the daemon's database thread).
public final class SQLiteConnection: @unchecked Sendable {
    let handle: OpaquePointer
    private var statements: [String: Statement] = [:]

    public init(path: String, readOnly: Bool = false) throws {
        var db: OpaquePointer?
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message)
        }
        handle = db
    }

    deinit { close() }

    private var closed = false
    public func close() {
        guard !closed else { return }
        closed = true
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    func check(_ rc: Int32) throws {
        guard rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE else {
            throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)))
        }
    }

    /// Runs one or more statements without parameters.
    public func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(err)
            throw SQLiteError(code: rc, message: message)
        }
    }

    /// A prepared statement, cached by its text.
    public func statement(_ sql: String) throws -> Statement {
        if let s = statements[sql] { return s }
        var raw: OpaquePointer?
        try check(sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil))
        let s = Statement(raw!, connection: self)
        statements[sql] = s
        return s
    }

    /// Runs a statement and returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ values: [SQLValue] = []) throws -> Int {
        let s = try statement(sql)
        defer { s.reset() }
        try s.bind(values)
        while try s.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// Reads every row through `row`.
    public func query<T>(_ sql: String, _ values: [SQLValue] = [], _ row: (Row) throws -> T) throws -> [T] {
        let s = try statement(sql)
        defer { s.reset() }
        try s.bind(values)
        var out: [T] = []
        while try s.step() { out.append(try row(Row(statement: s.raw))) }
        return out
    }

    /// Reads the rows one at a time through `row`, keeping none: constant
    /// memory however many there are (the audit chain's check).
    public func forEach(_ sql: String, _ values: [SQLValue] = [], _ row: (Row) throws -> Void) throws {
        let s = try statement(sql)
        defer { s.reset() }
        try s.bind(values)
        while try s.step() { try row(Row(statement: s.raw)) }
    }

    public func queryOne<T>(_ sql: String, _ values: [SQLValue] = [], _ row: (Row) throws -> T) throws -> T? {
        try query(sql, values, row).first
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// How a transaction takes its locks.
    public enum TransactionKind: String, Sendable {
        /// The write lock up front, so a busy database fails fast instead
        /// of midway.
        case immediate = "IMMEDIATE"
        /// No lock until the first read: a read transaction (one snapshot).
        case deferred = "DEFERRED"
    }

    /// Runs `body` in one transaction, committed when it returns and rolled
    /// back when it throws: the one place a transaction begins and ends.
    /// Inside an open transaction it nests as a savepoint, so a request and
    /// its audit row commit together.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        if isInTransaction { return try savepoint("nested", body) }
        try execute("BEGIN \(kind.rawValue)")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // SQLite may have ended it already (a full disk, an I/O error).
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Runs `body` in one read transaction: every statement in it sees the
    /// same snapshot, however many commits happen meanwhile (WAL). For the
    /// read-only connections, which never hold a write transaction.
    func snapshot<T>(_ body: () throws -> T) throws -> T {
        try transaction(.deferred, body)
    }

    /// Runs `body` inside a savepoint, so its failure undoes only its part.
    public func savepoint<T>(_ name: String, _ body: () throws -> T) throws -> T {
        try execute("SAVEPOINT \(name)")
        do {
            let result = try body()
            try execute("RELEASE \(name)")
            return result
        } catch {
            try? execute("ROLLBACK TO \(name); RELEASE \(name)")
            throw error
        }
    }

    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` with no busy wait: a lock held by another process fails
    /// at once instead of after the busy timeout, which is restored after.
    public func withoutBusyWait<T>(_ body: () throws -> T) rethrows -> T {
        let previous = (try? queryOne("PRAGMA busy_timeout") { $0.int(0) }) ?? 0
        sqlite3_busy_timeout(handle, 0)
        defer { sqlite3_busy_timeout(handle, Int32(clamping: previous)) }
        return try body()
    }

    public func pragma(_ name: String) throws -> String? {
        try queryOne("PRAGMA \(name)") { $0.text(0) }
    }

    /// Runs `body` so that it ends once `stop` says so: SQLite asks `stop`
    /// every thousand steps of its virtual machine, and while it says true
    /// the statement running fails with `SQLITE_INTERRUPT`. Unlike
    /// `sqlite3_interrupt` from another thread, a stop that comes between
    /// two statements is not lost. For work another thread may have to end
    /// (a scan when the daemon stops).
    public func interruptible<T>(by stop: @escaping () -> Bool, _ body: () throws -> T) rethrows -> T {
        let check = StopCheck(stop)
        sqlite3_progress_handler(
            handle,
            1000,
            { context in
                guard let context else { return 0 }
                return Unmanaged<StopCheck>.fromOpaque(context).takeUnretainedValue().stop() ? 1 : 0
            },
            Unmanaged.passUnretained(check).toOpaque()
        )
        defer { sqlite3_progress_handler(handle, 0, nil, nil) }
        return try withExtendedLifetime(check) { try body() }
    }
}

/// What `interruptible` hands SQLite's progress handler.
private final class StopCheck {
    let stop: () -> Bool
    init(_ stop: @escaping () -> Bool) { self.stop = stop }
}

public final class Statement {
    let raw: OpaquePointer
    unowned let connection: SQLiteConnection

    init(_ raw: OpaquePointer, connection: SQLiteConnection) {
        self.raw = raw
        self.connection = connection
    }

    deinit { sqlite3_finalize(raw) }

    func bind(_ values: [SQLValue]) throws {
        for (i, v) in values.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch v {
            case .null: rc = sqlite3_bind_null(raw, idx)
            case .integer(let n): rc = sqlite3_bind_int64(raw, idx, n)
            case .text(let s): rc = sqlite3_bind_text(raw, idx, s, -1, sqliteTransient)
            case .blob(let b):
                rc = b.withUnsafeBytes { sqlite3_bind_blob(raw, idx, $0.baseAddress, Int32($0.count), sqliteTransient) }
            }
            try connection.check(rc)
        }
    }

    /// True while there is a row to read.
    func step() throws -> Bool {
        let rc = sqlite3_step(raw)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(connection.handle)))
    }

    func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }
}

/// The current row of a statement, read by column index.
public struct Row {
    let statement: OpaquePointer

    public func isNull(_ i: Int32) -> Bool { sqlite3_column_type(statement, i) == SQLITE_NULL }
    public func int(_ i: Int32) -> Int { Int(sqlite3_column_int64(statement, i)) }
    public func optionalInt(_ i: Int32) -> Int? { isNull(i) ? nil : int(i) }
    public func text(_ i: Int32) -> String {
        guard let p = sqlite3_column_text(statement, i) else { return "" }
        return String(cString: p)
    }
    public func optionalText(_ i: Int32) -> String? { isNull(i) ? nil : text(i) }
    /// A text column's bytes as stored, by their length: `text` stops at a
    /// NUL, so two stored values that differ after one would read the same.
    public func textBytes(_ i: Int32) -> [UInt8] {
        guard let p = sqlite3_column_text(statement, i) else { return [] }
        let n = Int(sqlite3_column_bytes(statement, i))
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
    public func optionalTextBytes(_ i: Int32) -> [UInt8]? { isNull(i) ? nil : textBytes(i) }
    public func blob(_ i: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(statement, i))
        guard n > 0, let p = sqlite3_column_blob(statement, i) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}
