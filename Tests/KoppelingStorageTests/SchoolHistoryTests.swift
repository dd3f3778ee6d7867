import Foundation
import KoppelingCore
import Testing

@testable import KoppelingStorage

/// Removing a school takes it off the lists, never its history: who
/// accepted which terms when stays, and comes back with the BRIN6.
@Suite("Removing a school keeps its history")
struct SchoolHistoryTests {
    @Test func removeAndAddAgainBringsTheEndedActivationsBack() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00", "21QW01"])
            defer { register.close() }
            let first = try register.activate("21QW00", "topdossier-eckid", code: "21QW00EckidCode00000001")
            try register.setKey("21QW00", "21QW00EckidCode00000001")
            try register.deactivate("21QW00", "topdossier-eckid")
            try register.activate("21QW01", "topdossier", code: "21QW01StandaardCode0001")

            _ = try register.write { try register.removeSchool(try brin("21QW00")) }
            #expect(try register.schools().map(\.brin6) == ["21QW01"])
            #expect(try register.school(try brin("21QW00")) == nil)
            #expect(try register.count("activation") == 2, "the removed school's activation is kept")
            #expect(try register.count("eckid_import") == 1, "and its stopped ECKiD import")

            _ = try register.write { try register.addSchool(try brin("21QW00"), name: "Opnieuw", now: Fixture.now) }
            let history = try register.activations(of: try brin("21QW00"))
            #expect(history.count == 1)
            #expect(history.first?.id == first.id)
            #expect(history.first?.acceptedByName == "J. de Vries")
            #expect(history.first?.termsVersion == first.termsVersion)
            #expect(history.first?.active == false)
            #expect(try register.eckidImport("21QW00")?.state == .disabled)

            // The school starts again: a new activation and key over its old import.
            try register.activate("21QW00", "topdossier-eckid", code: "21QW00EckidCode00000002")
            let outcome = try register.setKey("21QW00", "21QW00EckidCode00000002")
            #expect(outcome.changed && outcome.record.state == .pending)
            #expect(try register.activations(of: try brin("21QW00")).count == 2)
        }
    }

    /// A register of the previous schema, with rows in every table the
    /// migration rebuilds: every row and id survives, the keys still hold,
    /// and the migration leaves foreign keys on.
    @Test func theMigrationKeepsEveryRow() throws {
        try withTemporaryDirectory { dir in
            do {
                let register = try dir.openRegister(schools: ["21QW00", "21QW01"])
                try register.activate("21QW00", "topdossier-eckid", code: "21QW00EckidCode00000001")
                try register.setKey("21QW00", "21QW00EckidCode00000001")
                try register.activate("21QW01", "topdossier", code: "21QW01StandaardCode0001")
                try register.deactivate("21QW01", "topdossier")
                register.close()
            }
            // Back to the schema before the rebuild, as that release left it.
            let before = try SQLiteConnection(path: dir.databasePath)
            let rows = try Self.snapshot(before)
            try before.execute(
                """
                PRAGMA foreign_keys = OFF;
                BEGIN;
                \(Self.previousSchema)
                -- Nor had that release the audit chain of 0007.
                ALTER TABLE audit DROP COLUMN chain;
                DROP TABLE audit_head;
                PRAGMA user_version = 4;
                COMMIT;
                """
            )
            #expect(try Self.snapshot(before) == rows)
            before.close()

            let register = try Register.open(path: dir.databasePath)
            defer { register.close() }
            #expect(register.schemaVersion == Migrator.latestVersion)
            #expect(try Self.snapshot(register.db) == rows)
            #expect(try register.db.pragma("foreign_keys") == "1")
            #expect(try register.db.query("PRAGMA foreign_key_check") { $0.text(0) } == [])
            let tables = try register.db.query(
                "SELECT sql FROM sqlite_schema WHERE name IN ('activation', 'eckid_import')"
            ) {
                $0.text(0)
            }
            #expect(tables.count == 2 && tables.allSatisfy { !$0.contains("CASCADE") && !$0.contains("school(") })
        }
    }

    static func snapshot(_ db: SQLiteConnection) throws -> [String] {
        try db.query("SELECT id, school_brin6, koppeling_id, deactivated_at FROM activation ORDER BY id") {
            "\($0.int(0)) \($0.text(1)) \($0.text(2)) \($0.optionalText(3) ?? "-")"
        }
            + db.query("SELECT school_brin6, activation_id, state FROM eckid_import ORDER BY school_brin6") {
                "\($0.text(0)) \($0.int(1)) \($0.text(2))"
            }
    }

    /// The two tables as migration 0001 made them (with the cascade), and
    /// without what 0006 and 0009 added, so 0005, 0006 and 0009 run again on
    /// reopening.
    static let previousSchema = """
        DROP VIEW catalog_consent;
        DROP TABLE consent_document;
        DROP TABLE controller;
        ALTER TABLE catalog_entry DROP COLUMN legal_basis;
        ALTER TABLE catalog_entry DROP COLUMN retention;
        ALTER TABLE catalog_entry DROP COLUMN recipients;
        ALTER TABLE catalog_entry DROP COLUMN transfers;
        ALTER TABLE catalog_entry DROP COLUMN security;
        DROP TABLE terms_acceptance;
        DROP TABLE terms;
        DROP TABLE catalog_data_field;
        ALTER TABLE catalog_entry DROP COLUMN data_set_profile;
        ALTER TABLE catalog_entry DROP COLUMN purpose;
        ALTER TABLE catalog_entry DROP COLUMN processor_agreement_name;
        ALTER TABLE catalog_entry DROP COLUMN processor_agreement_version;
        ALTER TABLE timer_run DROP COLUMN ended_count;
        CREATE TABLE a_old AS SELECT * FROM activation;
        CREATE TABLE e_old AS SELECT * FROM eckid_import;
        DROP TABLE eckid_import;
        DROP TABLE activation;
        CREATE TABLE activation (
            id INTEGER PRIMARY KEY,
            school_brin6 TEXT NOT NULL REFERENCES school(brin6) ON DELETE CASCADE,
            koppeling_id TEXT NOT NULL REFERENCES catalog_entry(id),
            accepted_by_name TEXT NOT NULL, os_user TEXT NOT NULL, os_uid INTEGER NOT NULL,
            terms_version TEXT NOT NULL, start_date TEXT NOT NULL, code_hash BLOB NOT NULL,
            code_prefix TEXT NOT NULL, code_length INTEGER NOT NULL, activated_at TEXT NOT NULL,
            deactivated_at TEXT, deactivated_by TEXT, deactivation_reason TEXT
        ) STRICT;
        CREATE UNIQUE INDEX activation_one_active
            ON activation (school_brin6, koppeling_id) WHERE deactivated_at IS NULL;
        CREATE INDEX activation_by_school ON activation (school_brin6);
        CREATE TABLE eckid_import (
            school_brin6 TEXT PRIMARY KEY REFERENCES school(brin6) ON DELETE CASCADE,
            activation_id INTEGER NOT NULL REFERENCES activation(id) ON DELETE CASCADE,
            key_hash BLOB NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'disabled')),
            active_from TEXT NOT NULL, key_set_at TEXT NOT NULL, key_set_by TEXT NOT NULL,
            activated_at TEXT, disabled_at TEXT, disabled_by TEXT, disabled_reason TEXT
        ) STRICT;
        CREATE INDEX eckid_import_pending ON eckid_import (state, active_from);
        INSERT INTO activation SELECT id, school_brin6, koppeling_id, accepted_by_name, os_user, os_uid, terms_version,
            start_date, code_hash, code_prefix, code_length, activated_at, deactivated_at, deactivated_by,
            deactivation_reason
        FROM a_old;
        INSERT INTO eckid_import SELECT * FROM e_old;
        DROP TABLE a_old;
        DROP TABLE e_old;
        """
}
