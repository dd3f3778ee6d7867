-- migrator: rebuilds tables
-- Removing a school keeps its history. Activations and ECKiD imports
-- belonged to the school row (ON DELETE CASCADE): removing a school erased
-- who accepted which terms when. They now belong to the BRIN6, so they stay
-- when the school leaves the lists and come back when it is added again.
-- SQLite cannot drop a constraint: each table is rebuilt (the procedure of
-- https://sqlite.org/lang_altertable.html#otheralter, foreign keys off and
-- checked before the commit), keeping every row and id.

CREATE TABLE activation_new (
    id                  INTEGER PRIMARY KEY,
    school_brin6        TEXT NOT NULL CHECK (length(school_brin6) = 6),
    koppeling_id        TEXT NOT NULL REFERENCES catalog_entry(id),
    accepted_by_name    TEXT NOT NULL,
    os_user             TEXT NOT NULL,
    os_uid              INTEGER NOT NULL,
    terms_version       TEXT NOT NULL,
    start_date          TEXT NOT NULL,
    code_hash           BLOB NOT NULL,
    code_prefix         TEXT NOT NULL,
    code_length         INTEGER NOT NULL,
    activated_at        TEXT NOT NULL,
    deactivated_at      TEXT,
    deactivated_by      TEXT,
    deactivation_reason TEXT
) STRICT;
INSERT INTO activation_new (id, school_brin6, koppeling_id, accepted_by_name, os_user, os_uid, terms_version,
    start_date, code_hash, code_prefix, code_length, activated_at, deactivated_at, deactivated_by, deactivation_reason)
SELECT id, school_brin6, koppeling_id, accepted_by_name, os_user, os_uid, terms_version,
    start_date, code_hash, code_prefix, code_length, activated_at, deactivated_at, deactivated_by, deactivation_reason
FROM activation;
DROP TABLE activation;
ALTER TABLE activation_new RENAME TO activation;
CREATE UNIQUE INDEX activation_one_active
    ON activation (school_brin6, koppeling_id) WHERE deactivated_at IS NULL;
CREATE INDEX activation_by_school ON activation (school_brin6);

CREATE TABLE eckid_import_new (
    school_brin6    TEXT PRIMARY KEY CHECK (length(school_brin6) = 6),
    activation_id   INTEGER NOT NULL REFERENCES activation(id),
    key_hash        BLOB NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'active', 'disabled')),
    active_from     TEXT NOT NULL,
    key_set_at      TEXT NOT NULL,
    key_set_by      TEXT NOT NULL,
    activated_at    TEXT,
    disabled_at     TEXT,
    disabled_by     TEXT,
    disabled_reason TEXT
) STRICT;
INSERT INTO eckid_import_new (school_brin6, activation_id, key_hash, state, active_from, key_set_at, key_set_by,
    activated_at, disabled_at, disabled_by, disabled_reason)
SELECT school_brin6, activation_id, key_hash, state, active_from, key_set_at, key_set_by,
    activated_at, disabled_at, disabled_by, disabled_reason
FROM eckid_import;
DROP TABLE eckid_import;
ALTER TABLE eckid_import_new RENAME TO eckid_import;
CREATE INDEX eckid_import_pending ON eckid_import (state, active_from);
