import Foundation
import KoppelingCore
import Testing

@testable import KoppelingStorage

/// The repository's `migrations/`, the single source of truth the binary
/// must carry.
private let migrationsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("migrations", isDirectory: true)

private func migrationFilesOnDisk() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: migrationsDirectory.path)
        .filter { $0.hasSuffix(".sql") }.sorted()
}

@Suite struct MigrationTests {
    @Test func embeddedFilesAreExactlyTheRepositoryMigrations() throws {
        let onDisk = try migrationFilesOnDisk()
        #expect(!onDisk.isEmpty)
        #expect(Migrator.embeddedFileNames == onDisk)
    }

    @Test func everyEmbeddedFileBecomesAMigrationWithItsContent() throws {
        let onDisk = try migrationFilesOnDisk()
        // A misnamed file would be dropped silently by the parser.
        #expect(Migrator.embedded.count == onDisk.count)
        #expect(Migrator.embedded.map(\.version) == Array(1...onDisk.count))
        for (migration, file) in zip(Migrator.embedded, onDisk) {
            #expect(file.hasPrefix(String(format: "%04d_", migration.version)))
            #expect(file == String(format: "%04d_", migration.version) + migration.name + ".sql")
            let text = try String(contentsOf: migrationsDirectory.appendingPathComponent(file), encoding: .utf8)
            #expect(migration.sql == text, "embedded \(file) differs from the repository file")
        }
        #expect(Migrator.latestVersion == onDisk.count)
    }

    @Test func absentFileIsCreatedAtTheLatestVersionWithTheShippedCatalogue() throws {
        try withTemporaryDirectory { dir in
            #expect(!FileManager.default.fileExists(atPath: dir.databasePath))
            let register = try Register.open(path: dir.databasePath)
            defer { register.close() }

            #expect(try Migrator.currentVersion(register.db) == Migrator.latestVersion)
            #expect(register.schemaVersion == Migrator.latestVersion)

            let standard = try #require(try register.catalogEntry("topdossier"))
            #expect(standard.category == "UWLR Leerlinggegevens")
            #expect(standard.priceCents == nil)
            #expect(!standard.carriesEckidImport)

            let eckid = try #require(try register.catalogEntry("topdossier-eckid"))
            #expect(eckid.category == "UWLR Leerlinggegevens")
            #expect(eckid.description == "UWLR koppeling waarin het leerlingnummer & ECK-Id meegeleverd wordt")
            #expect(eckid.priceCents == nil)
            #expect(eckid.priceText == "n.v.t.")
            #expect(eckid.carriesEckidImport)
            #expect(eckid.recommendedPrerequisite == "topdossier")
            #expect(!eckid.termsText.isEmpty && !eckid.termsVersion.isEmpty)
        }
    }

    @Test func connectionPragmas() throws {
        try withTemporaryDirectory { dir in
            let register = try Register.open(path: dir.databasePath)
            defer { register.close() }
            #expect(try register.db.pragma("journal_mode") == "wal")
            #expect(try register.db.pragma("foreign_keys") == "1")
            // FULL: an acknowledged activation survives power loss.
            #expect(try register.db.pragma("synchronous") == "2")
            #expect(try register.db.pragma("busy_timeout") == String(DatabaseSetup.busyTimeoutMilliseconds))
        }
    }

    @Test func olderDatabaseIsBroughtUpToDate() throws {
        try withTemporaryDirectory { dir in
            let first = Array(Migrator.embedded.prefix(1))
            let old = try DatabaseSetup.openWriter(path: dir.databasePath, migrations: first)
            #expect(try Migrator.currentVersion(old) == 1)
            #expect(try old.queryOne("SELECT count(*) FROM catalog_entry") { $0.int(0) } == 0)
            old.close()

            let register = try Register.open(path: dir.databasePath)
            defer { register.close() }
            #expect(register.schemaVersion == Migrator.latestVersion)
            #expect(try register.catalogEntry("topdossier-eckid") != nil)
        }
    }

    @Test func reopeningKeepsDataAndDoesNotReapplyMigrations() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            let catalogueBefore = try register.catalog()
            register.close()

            let reopened = try Register.open(path: dir.databasePath)
            defer { reopened.close() }
            let school = try #require(try reopened.school(try brin("21QW00")))
            #expect(school.name == "School 21QW00")
            #expect(school.createdAt == Fixture.now)
            #expect(reopened.schemaVersion == Migrator.latestVersion)
            #expect(try reopened.catalog() == catalogueBefore)
        }
    }
}

@Suite struct RefusedFileTests {
    enum NewerSchemaOrigin: CaseIterable { case register, plainSQLite }

    @Test(arguments: NewerSchemaOrigin.allCases)
    func newerSchemaIsRefusedAndLeftUntouched(origin: NewerSchemaOrigin) throws {
        try withTemporaryDirectory { dir in
            switch origin {
            case .register:
                let register = try dir.openRegister(schools: ["21QW00"])
                try register.db.execute("PRAGMA user_version = 999")
                register.close()
            case .plainSQLite:
                // A rollback-journal file: refusing it must not switch it to WAL.
                let db = try SQLiteConnection(path: dir.databasePath)
                try db.execute(
                    "CREATE TABLE future (x INTEGER); INSERT INTO future VALUES (1); PRAGMA user_version = 999;"
                )
                db.close()
            }
            // A clean close leaves no WAL behind, so the main file is all there is.
            #expect(try dir.fileNames().filter { $0.hasSuffix("-wal") || $0.hasSuffix("-shm") } == [])
            let before = try Data(contentsOf: URL(fileURLWithPath: dir.databasePath))

            #expect(openRefusal(dir.databasePath) == .newerSchema(found: 999, known: Migrator.latestVersion))

            let after = try Data(contentsOf: URL(fileURLWithPath: dir.databasePath))
            #expect(after == before)
            #expect(try dir.fileNames().filter { $0.hasPrefix("koppelingd.db") } == ["koppelingd.db"])
        }
    }

    @Test func migratorAloneRefusesNewerSchema() throws {
        try withTemporaryDirectory { dir in
            let db = try SQLiteConnection(path: dir.databasePath)
            defer { db.close() }
            try db.execute("PRAGMA user_version = 999")
            #expect(throws: StorageOpenError.newerSchema(found: 999, known: Migrator.latestVersion)) {
                try Migrator.migrate(db)
            }
            #expect(try Migrator.currentVersion(db) == 999)
        }
    }

    @Test(arguments: [65_536, 5])
    func randomBytesAreRefusedAndLeftUntouched(size: Int) throws {
        try withTemporaryDirectory { dir in
            var generator = SystemRandomNumberGenerator()
            let bytes = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
            try bytes.write(to: URL(fileURLWithPath: dir.databasePath))

            #expect(openRefusal(dir.databasePath) == .notADatabase(path: dir.databasePath))

            #expect(try Data(contentsOf: URL(fileURLWithPath: dir.databasePath)) == bytes)
            let beside = try dir.fileNames().filter { $0.hasPrefix("koppelingd.db") }
            #expect(beside == ["koppelingd.db"], "no -wal, -shm or -journal may appear beside a foreign file")
        }
    }

    /// Overwrites pages of a valid database, keeping page 1 (the header and
    /// the schema) intact.
    enum Damage: CaseIterable { case everyPageAfterTheFirst, lastPageOnly }

    /// Opening reads the header, the schema and what start-up needs, not
    /// every page (DESIGN §4: the full check runs after the daemon is
    /// ready). So a file damaged past the header is either refused at
    /// open — the damage is in what start-up reads — and left as it was,
    /// or it opens and its full check names the damage; never used as if
    /// whole.
    @Test(arguments: Damage.allCases)
    func damagedDatabaseIsRefusedOrItsCheckFindsIt(damage: Damage) throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(
                schools: (0..<60).map { String(format: "%02dQW%02d", $0 % 100, $0 % 7) }
            )
            register.close()

            let url = URL(fileURLWithPath: dir.databasePath)
            var bytes = try Data(contentsOf: url)
            let pageSize = Int(bytes[16]) << 8 | Int(bytes[17])
            let pages = bytes.count / pageSize
            #expect(pages > 2)
            let damaged = damage == .everyPageAfterTheFirst ? 1..<pages : (pages - 1)..<pages
            for page in damaged {
                bytes.replaceSubrange(
                    page * pageSize..<(page + 1) * pageSize,
                    with: Data(repeating: 0xA5, count: pageSize)
                )
            }
            try bytes.write(to: url)

            do {
                let opened = try Register.open(path: dir.databasePath)
                defer { opened.close() }
                // The check names the damage, or cannot read past it.
                let found = (try? opened.quickCheck()) ?? ["unreadable"]
                #expect(!found.isEmpty, "a damaged file opened and its check found nothing")
            } catch let error as StorageOpenError {
                switch error {
                case .damaged(let path, _), .notADatabase(let path):
                    #expect(path == dir.databasePath)
                default:
                    Issue.record("expected damaged or notADatabase, got \(error)")
                }
                #expect(try Data(contentsOf: url) == bytes)
                #expect(try dir.fileNames().filter { $0.hasPrefix("koppelingd.db") } == ["koppelingd.db"])
            }
        }
    }

    @Test func aWholeFileChecksClean() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            #expect(try register.quickCheck() == [])
        }
    }

    @Test func emptyFileIsTreatedAsANewDatabase() throws {
        try withTemporaryDirectory { dir in
            #expect(FileManager.default.createFile(atPath: dir.databasePath, contents: Data()))
            let register = try Register.open(path: dir.databasePath)
            defer { register.close() }
            #expect(register.schemaVersion == Migrator.latestVersion)
        }
    }
}

@Suite struct InstallSecretTests {
    @Test func createdOnFirstOpenWithMode0600And32Bytes() throws {
        try withTemporaryDirectory { dir in
            #expect(!FileManager.default.fileExists(atPath: dir.secretPath))
            let register = try Register.open(path: dir.databasePath)
            register.close()
            #expect(fileMode(dir.secretPath) == 0o600)
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir.secretPath)).count == 32)
            #expect((dir.secretPath as NSString).deletingLastPathComponent == dir.path)
        }
    }

    @Test func reopeningUsesTheSameSecret() throws {
        try withTemporaryDirectory { dir in
            let code = VerificationCode(plainText: "21QW00Zx9Vq3Lm7Tp2Kd8Rw")
            let register = try dir.openRegister(schools: ["21QW00"])
            let hash = register.secret.hash(code)
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: code.plainText) }
            let secretBytes = try Data(contentsOf: URL(fileURLWithPath: dir.secretPath))
            register.close()

            let reopened = try Register.open(path: dir.databasePath)
            defer { reopened.close() }
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir.secretPath)) == secretBytes)
            #expect(reopened.secret.hash(code) == hash)
            #expect(reopened.secret.matches(code, storedHash: hash))
            // The stored hashes stay usable: reuse is still caught and the key still matches.
            #expect(try reopened.isCodeUsed(code))
            #expect(try reopened.setKey("21QW00", code.plainText).changed)
        }
    }

    @Test func differentInstallsHashDifferently() throws {
        try withTemporaryDirectory { a in
            try withTemporaryDirectory { b in
                let code = VerificationCode(plainText: "21QW00Zx9Vq3Lm7Tp2Kd8Rw")
                let new = InstallSecret.DatabaseState(check: nil, holdsCodes: false)
                let first = try InstallSecret.resolve(path: a.secretPath, database: a.databasePath, state: new)
                let second = try InstallSecret.resolve(path: b.secretPath, database: b.databasePath, state: new)
                #expect(first.hash(code) != second.hash(code))
                #expect(!second.matches(code, storedHash: first.hash(code)))
                #expect(
                    !first.matches(VerificationCode(plainText: "21QW00Zx9Vq3Lm7Tp2Kd8RW"), storedHash: first.hash(code))
                )
            }
        }
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660] as [UInt32])
    func secretReadableByOthersIsRefused(mode: UInt32) throws {
        try withTemporaryDirectory { dir in
            try Data(repeating: 7, count: 32).write(to: URL(fileURLWithPath: dir.secretPath))
            #expect(chmod(dir.secretPath, mode_t(mode)) == 0)

            #expect(openRefusal(dir.databasePath) == .insecureSecret(path: dir.secretPath, mode: mode))
            // Refused before the database is touched.
            #expect(!FileManager.default.fileExists(atPath: dir.databasePath))
            #expect(fileMode(dir.secretPath) == mode)
        }
    }

    @Test func secretOfTheWrongSizeIsRefused() throws {
        try withTemporaryDirectory { dir in
            try dir.openRegister().close()
            try FileManager.default.removeItem(atPath: dir.secretPath)
            try Data(repeating: 7, count: 16).write(to: URL(fileURLWithPath: dir.secretPath))
            #expect(chmod(dir.secretPath, 0o600) == 0)
            guard case .secretUnreadable(let path, _)? = openRefusal(dir.databasePath) else {
                Issue.record("expected secretUnreadable")
                return
            }
            #expect(path == dir.secretPath)
        }
    }

    @Test func secretSitsBesideTheDatabase() {
        #expect(
            Register.secretPath(forDatabase: "/var/lib/koppelingd/koppelingd.db")
                == "/var/lib/koppelingd/koppelingd.secret"
        )
        // A bare file name means the current directory, never the root.
        #expect(Register.secretPath(forDatabase: "koppelingd.db") == "koppelingd.secret")
        #expect(Register.secretPath(forDatabase: "state/koppelingd.db") == "state/koppelingd.secret")
    }
}

@Suite("Foreign databases")
struct ForeignDatabaseTests {
    @Test func anotherProgramsDatabaseIsRefusedAndUnchanged() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kst-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("other.db").path
        let other = try SQLiteConnection(path: path)
        try other.execute(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('x');"
        )
        other.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: StorageOpenError.foreignSchema(path: path)) { try Register.open(path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("koppelingd.secret").path))
    }
}
