import CSQLite
import Foundation
import KoppelingProtocol
import NIOCore
import Testing

@testable import KoppelingDaemon
@testable import KoppelingStorage

/// A method that needs no database (`needsDatabase: false`: `hello`,
/// `version`) opens no transaction and runs no statement; a read opens
/// one snapshot. Seen through SQLite's own trace of the read connection
/// the request runs on.
@Suite("A method that needs no database opens no transaction")
struct NoTransactionTests {
    /// Every statement the connection starts, as SQLite reports it.
    final class Statements: @unchecked Sendable {
        var texts: [String] = []
    }

    /// The statements `line` runs on a read-only connection, through the
    /// dispatcher and the chain as the socket's reads run.
    static func statements(of line: String, register: TestRegister) throws -> [String] {
        let reader = try register.app.register.reader()
        defer { reader.close() }
        let app = Application(
            register: reader,
            config: register.app.config,
            clock: register.app.clock,
            logger: register.app.logger
        )
        let seen = Statements()
        let context = Unmanaged.passUnretained(seen).toOpaque()
        sqlite3_trace_v2(reader.db.handle, UInt32(SQLITE_TRACE_STMT), { _, context, _, sql in
            let seen = Unmanaged<Statements>.fromOpaque(context!).takeUnretainedValue()
            seen.texts.append(String(cString: sql!.assumingMemoryBound(to: CChar.self)))
            return 0
        }, context)
        defer { sqlite3_trace_v2(reader.db.handle, 0, nil, nil) }
        let reply = Dispatcher.execute(Dispatcher.parse(ByteBuffer(string: line)), app: app, caller: TestRegister.reader)
        #expect(reply.map { String(buffer: $0).contains("\"result\"") } == true)
        return seen.texts
    }

    @Test("hello and version run no statement at all", arguments: Methods.all.filter { !$0.needsDatabase }.map(\.name))
    func answersTouchNoDatabase(method: String) throws {
        let register = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        let line = #"{"jsonrpc":"2.0","id":1,"method":"\#(method)"}"#
        #expect(try Self.statements(of: line, register: register) == [])
    }

    @Test("the two that need none are hello and version; status, which reads counts, needs one")
    func whichNeedNone() {
        #expect(Methods.all.filter { !$0.needsDatabase }.map(\.name) == ["hello", "version"])
        #expect(Methods.status.needsDatabase)
    }

    @Test("the control: a read runs in one snapshot, BEGIN first and COMMIT last")
    func readOpensOneSnapshot() throws {
        let register = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        let texts = try Self.statements(of: #"{"jsonrpc":"2.0","id":1,"method":"school.list"}"#, register: register)
        #expect(texts.first == "BEGIN DEFERRED", "\(texts)")
        #expect(texts.last == "COMMIT", "\(texts)")
        #expect(texts.filter { $0.hasPrefix("BEGIN") }.count == 1, "\(texts)")
    }
}
