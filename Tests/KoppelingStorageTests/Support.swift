import Foundation
import KoppelingCore
import Testing

@testable import KoppelingStorage

/// Runs `body` with a directory of its own, so tests can run in parallel and
/// leave nothing behind, whatever the outcome.
func withTemporaryDirectory<T>(_ body: (TemporaryDirectory) throws -> T) throws -> T {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    return try body(dir)
}

struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("koppelingstorage-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    var path: String { url.path }
    var databasePath: String { url.appendingPathComponent("koppelingd.db").path }
    var secretPath: String { Register.secretPath(forDatabase: databasePath) }

    func fileNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    /// Keyed by file name: a secret must not leak into the WAL or shared
    /// memory either, not only the database file.
    func allFileContents() throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try fileNames() {
            out[name] = try Data(contentsOf: url.appendingPathComponent(name))
        }
        return out
    }

    func openRegister(schools: [String] = []) throws -> Register {
        let register = try Register.open(path: databasePath)
        for s in schools {
            _ = try register.write { try register.addSchool(try brin(s), name: "School \(s)", now: Fixture.now) }
        }
        return register
    }
}

enum Fixture {
    static let today = LocalDate(iso: "2026-03-10")!
    static let tomorrow = LocalDate(iso: "2026-03-11")!
    static let now = "2026-03-10T09:30:00Z"
    static let admin = Caller(user: "beheerder", uid: 1001, mayChange: true)
}

func brin(_ raw: String) throws -> Brin6 { try Brin6.parse(raw).get() }

func day(_ iso: String) -> LocalDate { LocalDate(iso: iso)! }

extension Register {
    /// Activates through the same input rules the daemon applies.
    @discardableResult
    func activate(
        _ school: String,
        _ koppeling: String,
        code: String,
        startDate: String? = nil,
        endDate: String? = nil,
        termsVersion: String? = nil,
        today: LocalDate = Fixture.today,
        now: String = Fixture.now
    ) throws -> ActivationRecord {
        // The version shown is the current one unless a test says otherwise.
        let shown = try termsVersion ?? read { try catalogEntry(koppeling)?.termsVersion ?? "1" }
        let input = ActivationInput(
            school: school,
            koppeling: koppeling,
            name: "J. de Vries",
            agree: true,
            termsVersion: shown,
            verificationCode: code,
            startDate: startDate,
            endDate: endDate
        )
        let validated = try ActivationRules.validate(input, today: today).get()
        return try write { try activate(validated, by: Fixture.admin, now: now) }
    }

    @discardableResult
    func deactivate(_ school: String, _ koppeling: String) throws -> (activation: ActivationRecord, stoppedImport: Bool)
    {
        try write {
            try deactivate(
                school: try brin(school),
                koppeling: koppeling,
                reason: "test",
                by: Fixture.admin,
                now: Fixture.now
            )
        }
    }

    @discardableResult
    func setKey(_ school: String, _ key: String, today: LocalDate = Fixture.today) throws -> KeyOutcome {
        try write {
            try setEckidKey(school: try brin(school), key: key, today: today, by: Fixture.admin, now: Fixture.now)
        }
    }

    func eckidImport(_ school: String) throws -> EckidImportRecord? {
        try eckidImports(school: try brin(school)).first
    }

    @discardableResult
    func pass(_ kind: TimerRunRecord.Kind, _ today: LocalDate) throws -> TimerRunRecord? {
        try write { try runEnablingPass(kind: kind, today: today, startedAt: Fixture.now, now: { Fixture.now }) }
    }

    func count(_ table: String) throws -> Int {
        try db.queryOne("SELECT count(*) FROM \(table)") { $0.int(0) } ?? -1
    }
}

enum RefusalKind { case rules, notFound, conflict, termsChanged }

/// Reasons are compared in order: the protocol reports every failing rule,
/// so a missing or extra one is a regression.
func expectRefusal<T>(
    _ kind: RefusalKind,
    _ reasons: [Reason],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> T
) {
    do {
        let value = try body()
        Issue.record("expected a refusal \(kind) \(reasons), got \(value)", sourceLocation: sourceLocation)
    } catch let error as KoppelingError {
        switch (kind, error) {
        case (.rules, .rules), (.notFound, .notFound), (.conflict, .conflict), (.termsChanged, .termsChanged): break
        default: Issue.record("expected \(kind), got \(error)", sourceLocation: sourceLocation)
        }
        #expect(error.violations.map(\.reason) == reasons, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a KoppelingError, got \(error)", sourceLocation: sourceLocation)
    }
}

func openRefusal(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> StorageOpenError? {
    do {
        let register = try Register.open(path: path)
        register.close()
        Issue.record("the register opened; expected a refusal", sourceLocation: sourceLocation)
        return nil
    } catch let error as StorageOpenError {
        return error
    } catch {
        Issue.record("expected a StorageOpenError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

func fileMode(_ path: String) -> UInt32? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return UInt32(info.st_mode) & 0o777
}
