import CSQLite
import Crypto
import Foundation
import KoppelingCore
import Testing

@testable import KoppelingStorage

/// The database's check value of the install secret: a secret file that is
/// missing or not this register's is a refusal to start, never a new secret.
@Suite struct SecretCheckTests {
    static let code = "21QW00Zx9Vq3Lm7Tp2Kd8Rw"

    /// The bytes of every file in the directory, to show a refusal left them alone.
    func snapshot(_ dir: TemporaryDirectory) throws -> [String: Data] { try dir.allFileContents() }

    @Test func aNewRegisterStoresTheCheckValueOfItsNewSecret() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            let stored = try register.db.queryOne("SELECT secret_check FROM install_check") { $0.blob(0) }
            #expect(stored == register.secret.checkValue)
            #expect(stored?.count == 32)
        }
    }

    @Test func aMissingSecretBesideCodesIsRefusedAndNothingChanges() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: Self.code) }
            register.close()
            #expect(unlink(dir.secretPath) == 0)
            let before = try snapshot(dir)
            #expect(openRefusal(dir.databasePath) == .secretMissing(path: dir.secretPath, database: dir.databasePath))
            #expect(try snapshot(dir) == before)
            #expect(!FileManager.default.fileExists(atPath: dir.secretPath))
        }
    }

    @Test func aMissingSecretBesideACheckValueIsRefusedEvenWithoutCodes() throws {
        try withTemporaryDirectory { dir in
            try dir.openRegister(schools: ["21QW00"]).close()
            #expect(unlink(dir.secretPath) == 0)
            #expect(openRefusal(dir.databasePath) == .secretMissing(path: dir.secretPath, database: dir.databasePath))
            #expect(!FileManager.default.fileExists(atPath: dir.secretPath))
        }
    }

    @Test func anotherInstallsSecretIsRefused() throws {
        try withTemporaryDirectory { dir in
            try dir.openRegister(schools: ["21QW00"]).close()
            try withTemporaryDirectory { other in
                try other.openRegister().close()
                try FileManager.default.removeItem(atPath: dir.secretPath)
                try FileManager.default.copyItem(atPath: other.secretPath, toPath: dir.secretPath)
            }
            let before = try snapshot(dir)
            #expect(openRefusal(dir.databasePath) == .secretMismatch(path: dir.secretPath, database: dir.databasePath))
            #expect(try snapshot(dir) == before)
        }
    }

    @Test func theMessagesNameTheFileAndTheWayBack() {
        let missing = StorageOpenError.secretMissing(
            path: "/var/lib/koppelingd/koppelingd.secret",
            database: "/var/lib/koppelingd/koppelingd.db"
        )
        #expect(missing.description.contains("/var/lib/koppelingd/koppelingd.secret is missing"))
        #expect(missing.description.contains("docs/install.md"))
        let gone = StorageOpenError.registerMissing(path: "/x/koppelingd.db", leftovers: ["/x/koppelingd.secret"])
        #expect(gone.description.contains("koppelingd restore BACKUP"))
    }

    @Test func aMissingRegisterBesideASecretOrBackupsIsRefused() throws {
        try withTemporaryDirectory { dir in
            try dir.openRegister(schools: ["21QW00"]).close()
            for suffix in ["", "-wal", "-shm"] { unlink(dir.databasePath + suffix) }
            #expect(
                openRefusal(dir.databasePath) == .registerMissing(path: dir.databasePath, leftovers: [dir.secretPath])
            )
            #expect(!FileManager.default.fileExists(atPath: dir.databasePath))

            try FileManager.default.removeItem(atPath: dir.secretPath)
            let backups = Register.backupDirectory(forDatabase: dir.databasePath)
            try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: false)
            #expect(
                FileManager.default.createFile(atPath: backups + "/koppelingd-20261201T000501Z.db", contents: Data())
            )
            #expect(openRefusal(dir.databasePath) == .registerMissing(path: dir.databasePath, leftovers: [backups]))
            #expect(!FileManager.default.fileExists(atPath: dir.secretPath))
        }
    }

    /// A register made by the release before check values: schema 2, codes
    /// hashed as typed. It opens with its own secret, gets a check value,
    /// and from then on a missing secret is noticed.
    @Test func aRegisterOfThePreviousReleaseGetsItsCheckValue() throws {
        try withTemporaryDirectory { dir in
            let secret = try PreviousRelease.make(dir, typedCode: "21qw00Zx9Vq3Lm7Tp2Kd8Rw")
            let register = try Register.open(path: dir.databasePath)
            #expect(register.schemaVersion == Migrator.latestVersion)
            #expect(
                try register.db.queryOne("SELECT secret_check FROM install_check") { $0.blob(0) } == secret.checkValue
            )
            register.close()
            #expect(unlink(dir.secretPath) == 0)
            #expect(openRefusal(dir.databasePath) == .secretMissing(path: dir.secretPath, database: dir.databasePath))
        }
    }

    @Test func aRegisterOfThePreviousReleaseWithoutItsSecretIsRefused() throws {
        try withTemporaryDirectory { dir in
            _ = try PreviousRelease.make(dir, typedCode: "21QW00Zx9Vq3Lm7Tp2Kd8Rw")
            #expect(unlink(dir.secretPath) == 0)
            #expect(openRefusal(dir.databasePath) == .secretMissing(path: dir.secretPath, database: dir.databasePath))
            #expect(try PreviousRelease.schemaVersion(dir) == 2)
        }
    }
}

/// The prefix of a code is case-free everywhere: kept in canonical form,
/// and found in any case for rows the previous release hashed as typed.
@Suite struct CanonicalCodeTests {
    @Test func theKeyMatchesWhateverTheCaseOfItsPrefix() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: "21qw00Zx9Vq3Lm7Tp2Kd8Rw") }
            // As the masked form shows it.
            #expect(try register.setKey("21QW00", "21QW00Zx9Vq3Lm7Tp2Kd8Rw").changed)
            #expect(try !register.setKey("21QW00", "21Qw00Zx9Vq3Lm7Tp2Kd8Rw").changed)
            // The rest is exact.
            expectRefusal(.rules, [.eckidKeyMismatch]) { try register.setKey("21QW00", "21QW00zx9Vq3Lm7Tp2Kd8Rw") }
        }
    }

    @Test func aCodeIsReusedWhateverTheCaseOfItsPrefix() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: "21QW00Zx9Vq3Lm7Tp2Kd8Rw") }
            try register.write { try register.deactivate("21QW00", "topdossier-eckid") }
            expectRefusal(.conflict, [.verificationCodeReused]) {
                try register.write {
                    try register.activate("21QW00", "topdossier-eckid", code: "21qW00Zx9Vq3Lm7Tp2Kd8Rw")
                }
            }
            // Another rest is another code.
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: "21qw00zx9Vq3Lm7Tp2Kd8Rw") }
        }
    }

    @Test func newRowsHoldOnlyTheCanonicalHash() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            try register.write { try register.activate("21QW00", "topdossier-eckid", code: "21qw00Zx9Vq3Lm7Tp2Kd8Rw") }
            let canonical = register.secret.hash(VerificationCode(plainText: "21QW00Zx9Vq3Lm7Tp2Kd8Rw"))
            #expect(try register.db.query("SELECT code_hash FROM activation") { $0.blob(0) } == [canonical])
            #expect(try register.db.query("SELECT code_hash FROM used_code") { $0.blob(0) } == [canonical])
        }
    }

    @Test(arguments: [
        "21qw00Zx9Vq3Lm7Tp2Kd8Rw", "21Qw00Zx9Vq3Lm7Tp2Kd8Rw", "21qW00Zx9Vq3Lm7Tp2Kd8Rw", "21QW00Zx9Vq3Lm7Tp2Kd8Rw",
    ])
    func aCodeOfThePreviousReleaseIsFoundInAnyCase(typed: String) throws {
        try withTemporaryDirectory { dir in
            _ = try PreviousRelease.make(dir, typedCode: typed)
            let register = try Register.open(path: dir.databasePath)
            defer { register.close() }
            for variant in ["21QW00Zx9Vq3Lm7Tp2Kd8Rw", "21qw00Zx9Vq3Lm7Tp2Kd8Rw", "21qW00Zx9Vq3Lm7Tp2Kd8Rw"] {
                #expect(try register.isCodeUsed(VerificationCode(plainText: variant)), "\(typed) as \(variant)")
            }
            #expect(try !register.isCodeUsed(VerificationCode(plainText: "21QW00zx9Vq3Lm7Tp2Kd8Rw")))
            expectRefusal(.rules, [.eckidKeyMismatch]) { try register.setKey("21QW00", "21QW00Zx9Vq3Lm7Tp2Kd8RW") }
            #expect(try register.setKey("21QW00", "21QW00Zx9Vq3Lm7Tp2Kd8Rw").changed)
        }
    }

    @Test func prefixVariants() {
        let code = VerificationCode(plainText: "21qW00abc")
        #expect(code.canonical == "21QW00abc")
        #expect(Set(code.prefixCaseVariants) == ["21QW00abc", "21qW00abc", "21Qw00abc", "21qw00abc"])
        #expect(code.prefixCaseVariants.first == "21QW00abc")
        #expect(VerificationCode(plainText: "abcdefgh").prefixCaseVariants.count == 64)
        #expect(VerificationCode(plainText: "21").canonical == "21")
    }
}

/// A register as the release before check values and canonical codes
/// wrote it: its two migrations, and the activation's code hashed with the
/// HMAC of the code as typed, as that release's `InstallSecret.hash` did.
enum PreviousRelease {
    static func make(_ dir: TemporaryDirectory, typedCode: String) throws -> InstallSecret {
        let keyBytes = (0..<32).map { UInt8($0 &* 7 &+ 3) }
        let fd = open(dir.secretPath, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        #expect(fd >= 0)
        _ = keyBytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let key = SymmetricKey(data: keyBytes)
        let typedHash = Array(HMAC<SHA256>.authenticationCode(for: Data(typedCode.utf8), using: key))
        let db = try DatabaseSetup.openWriter(path: dir.databasePath, migrations: Array(Migrator.embedded.prefix(2)))
        defer { db.close() }
        try db.execute(
            "INSERT INTO school (brin6, name, created_at) VALUES ('21QW00', 'OBS De Test', '2026-03-01T09:00:00Z')"
        )
        try db.run("INSERT INTO used_code (code_hash, used_at) VALUES (?, '2026-03-01T09:00:00Z')", [.blob(typedHash)])
        try db.run(
            """
            INSERT INTO activation (school_brin6, koppeling_id, accepted_by_name, os_user, os_uid, terms_version,
                start_date, code_hash, code_prefix, code_length, activated_at)
            VALUES ('21QW00', 'topdossier-eckid', 'J. de Vries', 'beheerder', 1001, '2024.1', '2026-03-01', ?, '21QW00', ?,
                    '2026-03-01T09:00:00Z')
            """,
            [.blob(typedHash), .integer(Int64(typedCode.count))]
        )
        return InstallSecret(key: key)
    }

    static func schemaVersion(_ dir: TemporaryDirectory) throws -> Int {
        let db = try DatabaseSetup.openReader(path: dir.databasePath)
        defer { db.close() }
        return try Migrator.currentVersion(db)
    }
}
