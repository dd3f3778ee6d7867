-- The register of schools, the catalogue of koppelingen, activations,
-- ECKiD imports, daily timer runs and the audit trail.

CREATE TABLE school (
    brin6       TEXT PRIMARY KEY CHECK (length(brin6) = 6),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE catalog_entry (
    id                      TEXT PRIMARY KEY,
    category                TEXT NOT NULL,
    name                    TEXT NOT NULL,
    description             TEXT NOT NULL,
    supplier                TEXT NOT NULL,
    price_cents             INTEGER CHECK (price_cents IS NULL OR price_cents >= 0),
    terms_text              TEXT NOT NULL,
    terms_version           TEXT NOT NULL,
    recommended_prerequisite TEXT,
    carries_eckid_import    INTEGER NOT NULL CHECK (carries_eckid_import IN (0, 1)),
    sort_order              INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE activation (
    id                  INTEGER PRIMARY KEY,
    school_brin6        TEXT NOT NULL REFERENCES school(brin6) ON DELETE CASCADE,
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

-- A koppeling is active at most once per school.
CREATE UNIQUE INDEX activation_one_active
    ON activation (school_brin6, koppeling_id) WHERE deactivated_at IS NULL;
CREATE INDEX activation_by_school ON activation (school_brin6);

-- Every verification code ever used on this server, as a keyed hash. Kept
-- apart from activation so that removing a school never frees its codes.
CREATE TABLE used_code (
    code_hash   BLOB PRIMARY KEY,
    used_at     TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE eckid_import (
    school_brin6    TEXT PRIMARY KEY REFERENCES school(brin6) ON DELETE CASCADE,
    activation_id   INTEGER NOT NULL REFERENCES activation(id) ON DELETE CASCADE,
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
CREATE INDEX eckid_import_pending ON eckid_import (state, active_from);

CREATE TABLE timer_run (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('scheduled', 'manual')),
    local_day       TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    finished_at     TEXT NOT NULL,
    enabled_count   INTEGER NOT NULL,
    stopped_count   INTEGER NOT NULL,
    stopped_detail  TEXT NOT NULL DEFAULT ''
) STRICT;
-- At most one scheduled run per local day.
CREATE UNIQUE INDEX timer_run_one_scheduled_per_day
    ON timer_run (local_day) WHERE kind = 'scheduled';

CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    os_user     TEXT NOT NULL,
    os_uid      INTEGER NOT NULL,
    method      TEXT NOT NULL,
    school      TEXT,
    koppeling   TEXT,
    outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'error')),
    reasons     TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_by_school ON audit (school, id);
