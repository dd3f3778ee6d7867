-- What a school agrees to is one versioned whole (DESIGN §2), and the
-- processing register is the full record of AVG article 30(1).

-- The other facts of the record, per koppeling, from the catalogue file;
-- NULL when it gives none (the export names the gap).
ALTER TABLE catalog_entry ADD COLUMN legal_basis TEXT;
ALTER TABLE catalog_entry ADD COLUMN retention TEXT;
ALTER TABLE catalog_entry ADD COLUMN recipients TEXT;
ALTER TABLE catalog_entry ADD COLUMN transfers TEXT;
ALTER TABLE catalog_entry ADD COLUMN security TEXT;
-- Whose data each field holds, as a JSON array of categories
-- (["leerling"]); NULL when the catalogue does not say.
ALTER TABLE catalog_data_field ADD COLUMN data_subjects TEXT;

-- The whole a school agrees to, once per koppeling and terms version
-- (ConsentDocument as canonical JSON, with its SHA-256). A load that would
-- change it under a known version is refused (consent_changed).
-- recorded_at_upgrade = 1: recorded when this version of koppelingd first
-- opened a register that already had the version. The release before let
-- a load change the data set or the purpose under the same version, so for
-- acceptances made before that moment it cannot be known whether this is
-- what they saw; the export says so.
CREATE TABLE consent_document (
    koppeling_id        TEXT NOT NULL REFERENCES catalog_entry(id),
    version             TEXT NOT NULL,
    document            TEXT NOT NULL,
    sha256              TEXT NOT NULL CHECK (length(sha256) = 64),
    recorded_at         TEXT NOT NULL,
    recorded_at_upgrade INTEGER NOT NULL CHECK (recorded_at_upgrade IN (0, 1)),
    PRIMARY KEY (koppeling_id, version)
) STRICT, WITHOUT ROWID;

-- The whole as one JSON document (ConsentDocument's members): the one
-- definition of what is kept, used by this migration, later ones and every
-- catalogue load (Register+Consent.swift). Decoded, never compared as text.
CREATE VIEW catalog_consent AS
SELECT c.id, c.terms_version, json_object(
    'terms_version', c.terms_version,
    'terms_sha256', sha256_hex(c.terms_text),
    'supplier', c.supplier,
    'purpose', c.purpose,
    'data_set', json_object(
        'profile', c.data_set_profile,
        'fields', (
            SELECT json_group_array(json_object(
                'name', f.name, 'description', f.description, 'data_subjects', json(f.data_subjects)))
            FROM (SELECT * FROM catalog_data_field WHERE koppeling_id = c.id ORDER BY position) f
        )
    ),
    'processor_agreement', json(CASE WHEN c.processor_agreement_name IS NULL THEN NULL
        ELSE json_object('name', c.processor_agreement_name, 'version', c.processor_agreement_version) END),
    'legal_basis', c.legal_basis,
    'retention', c.retention,
    'recipients', c.recipients,
    'transfers', c.transfers,
    'security', c.security
) AS document
FROM catalog_entry c;

-- The whole each acceptance accepted, by its hash. NULL for acceptances
-- made before this version: what they saw was not kept.
ALTER TABLE terms_acceptance ADD COLUMN consent_sha256 TEXT
    CHECK (consent_sha256 IS NULL OR length(consent_sha256) = 64);

-- The controller (verwerkingsverantwoordelijke): the bestuur and its
-- privacy officer, one row, set by an administrator.
CREATE TABLE controller (
    id                     INTEGER PRIMARY KEY CHECK (id = 1),
    name                   TEXT NOT NULL,
    number                 TEXT NOT NULL,
    address                TEXT NOT NULL,
    contact                TEXT NOT NULL,
    privacy_officer_name   TEXT NOT NULL,
    privacy_officer_email  TEXT NOT NULL,
    set_at                 TEXT NOT NULL,
    set_by                 TEXT NOT NULL
) STRICT;

-- The shipped entries name whose data each field holds: the fields of the
-- Smalle set that begin with leerkracht_ are the teacher's, the others the
-- pupil's. Only the shipped field names, only where nothing is said yet.
UPDATE catalog_data_field SET data_subjects = CASE
        WHEN name LIKE 'leerkracht\_%' ESCAPE '\' THEN '["leerkracht"]'
        ELSE '["leerling"]'
    END
WHERE koppeling_id IN ('topdossier', 'topdossier-eckid')
  AND data_subjects IS NULL
  AND name IN ('leerling_key', 'achternaam', 'voorvoegsel', 'roepnaam', 'geboortedatum', 'jaargroep', 'groep',
               'samengestelde_groepen', 'leerkracht_key', 'leerkracht_naam', 'leerkracht_emailadres',
               'leerkracht_groepen', 'leerlingnummer', 'eck_id');

-- The whole of every entry's current version, from now on held like any
-- other. A register with activations was made by a release that let a load
-- change these under the same version: recorded "at the upgrade".
INSERT INTO consent_document (koppeling_id, version, document, sha256, recorded_at, recorded_at_upgrade)
SELECT id, terms_version, document, sha256_hex(document), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
       EXISTS (SELECT 1 FROM activation)
FROM catalog_consent;
