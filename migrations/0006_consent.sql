-- Consent that holds up (DESIGN §2 Catalogue, Activation, New terms, End
-- dates): what a school must know before it agrees, every terms text ever
-- shown with its SHA-256, what each activation accepted, and its end date.

-- What leaves the LAS, for what, under which processor agreement. Entries
-- loaded before this version have none: an empty profile and no fields,
-- shown as "niet opgegeven" until a catalogue load gives them (a load now
-- requires them).
ALTER TABLE catalog_entry ADD COLUMN data_set_profile TEXT NOT NULL DEFAULT '';
ALTER TABLE catalog_entry ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
ALTER TABLE catalog_entry ADD COLUMN processor_agreement_name TEXT;
ALTER TABLE catalog_entry ADD COLUMN processor_agreement_version TEXT;

CREATE TABLE catalog_data_field (
    koppeling_id  TEXT NOT NULL REFERENCES catalog_entry(id),
    position      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    PRIMARY KEY (koppeling_id, position)
) STRICT, WITHOUT ROWID;

-- Every terms text ever loaded, by koppeling and version. A version's text
-- never changes (a load that tries is refused: terms_text_changed), so an
-- activation's (koppeling, version) names the exact text accepted, and its
-- SHA-256 lets anyone check a copy. catalog_entry keeps the current one.
CREATE TABLE terms (
    koppeling_id    TEXT NOT NULL REFERENCES catalog_entry(id),
    version         TEXT NOT NULL,
    text            TEXT NOT NULL,
    sha256          TEXT NOT NULL CHECK (length(sha256) = 64),
    first_loaded_at TEXT NOT NULL,
    UNIQUE (koppeling_id, version)
) STRICT;
-- sha256_hex() is registered by the migrator (TermsDigest.swift).
INSERT INTO terms (koppeling_id, version, text, sha256, first_loaded_at)
SELECT id, terms_version, terms_text, sha256_hex(terms_text), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM catalog_entry;

-- activation.terms_version and terms_sha256 are the terms last accepted
-- (at activation, or later by koppeling.reaccept); terms_acceptance holds
-- every acceptance. An activation of the previous release is taken to have
-- accepted the current text of its version: that release let a catalogue
-- load change a text under the same version, which cannot be known now. A
-- text of an older version was not kept: its hash is NULL ("onbekend").
ALTER TABLE activation ADD COLUMN terms_sha256 TEXT CHECK (terms_sha256 IS NULL OR length(terms_sha256) = 64);
-- The last day the koppeling is active (inclusive); the daily run after it
-- ends the activation (by `timer`, reason end_date_reached).
ALTER TABLE activation ADD COLUMN end_date TEXT;
UPDATE activation SET terms_sha256 = (
    SELECT t.sha256 FROM terms t WHERE t.koppeling_id = activation.koppeling_id AND t.version = activation.terms_version
);
CREATE INDEX activation_ending ON activation (end_date) WHERE deactivated_at IS NULL AND end_date IS NOT NULL;

CREATE TABLE terms_acceptance (
    id                INTEGER PRIMARY KEY,
    activation_id     INTEGER NOT NULL REFERENCES activation(id),
    terms_version     TEXT NOT NULL,
    terms_sha256      TEXT,
    accepted_by_name  TEXT NOT NULL,
    os_user           TEXT NOT NULL,
    os_uid            INTEGER NOT NULL,
    accepted_at       TEXT NOT NULL
) STRICT;
CREATE INDEX terms_acceptance_by_activation ON terms_acceptance (activation_id, id);
INSERT INTO terms_acceptance (activation_id, terms_version, terms_sha256, accepted_by_name, os_user, os_uid, accepted_at)
SELECT id, terms_version, terms_sha256, accepted_by_name, os_user, os_uid, activated_at FROM activation ORDER BY id;

-- The daily run also ends activations past their end date.
ALTER TABLE timer_run ADD COLUMN ended_count INTEGER NOT NULL DEFAULT 0;

-- The shipped entries: the UWLR Smalle set, and for ECKiD the leerlingnummer
-- and ECK iD with it (the seed: "UWLR koppeling waarin het leerlingnummer &
-- ECK-Id meegeleverd wordt").
UPDATE catalog_entry SET
    data_set_profile = 'UWLR Leerlinggegevens – Smalle set',
    purpose = 'TOP dossier vullen met de leerlingen, groepen en leerkrachten van de school, zodat leerkrachten het dossier van hun leerlingen in TOP dossier kunnen bijhouden.',
    processor_agreement_name = 'Model Verwerkersovereenkomst Privacyconvenant Onderwijs',
    processor_agreement_version = '4.0'
WHERE id = 'topdossier' AND data_set_profile = '';
UPDATE catalog_entry SET
    data_set_profile = 'UWLR Leerlinggegevens – Smalle set',
    purpose = 'TOP dossier vullen met de leerlingen, groepen en leerkrachten van de school, met het leerlingnummer en de ECK iD van elke leerling, zodat gegevens uit digitale leermiddelen aan de juiste leerling worden gekoppeld zonder andere persoonsgegevens te delen.',
    processor_agreement_name = 'Model Verwerkersovereenkomst Privacyconvenant Onderwijs',
    processor_agreement_version = '4.0'
WHERE id = 'topdossier-eckid' AND data_set_profile = '';

CREATE TEMP TABLE smalle_set (position INTEGER, name TEXT, description TEXT);
INSERT INTO smalle_set VALUES
    (1, 'leerling_key', 'De sleutel van de leerling in de leerlingadministratie'),
    (2, 'achternaam', 'Achternaam van de leerling'),
    (3, 'voorvoegsel', 'Voorvoegsel van de achternaam (bijvoorbeeld ''van der'')'),
    (4, 'roepnaam', 'Roepnaam van de leerling'),
    (5, 'geboortedatum', 'Geboortedatum van de leerling'),
    (6, 'jaargroep', 'Jaargroep van de leerling'),
    (7, 'groep', 'De groep (klas) van de leerling'),
    (8, 'samengestelde_groepen', 'Samengestelde groepen waarin de leerling zit'),
    (9, 'leerkracht_key', 'De sleutel van de leerkracht in de leerlingadministratie'),
    (10, 'leerkracht_naam', 'Naam van de leerkracht'),
    (11, 'leerkracht_emailadres', 'E-mailadres van de leerkracht'),
    (12, 'leerkracht_groepen', 'De groepen van de leerkracht');
INSERT INTO catalog_data_field (koppeling_id, position, name, description)
SELECT c.id, s.position, s.name, s.description
FROM catalog_entry c, smalle_set s
WHERE c.id IN ('topdossier', 'topdossier-eckid')
  AND NOT EXISTS (SELECT 1 FROM catalog_data_field f WHERE f.koppeling_id = c.id);
INSERT INTO catalog_data_field (koppeling_id, position, name, description)
SELECT 'topdossier-eckid', 12 + v.position, v.name, v.description
FROM (SELECT 1 AS position, 'leerlingnummer' AS name, 'Het leerlingnummer uit de leerlingadministratie' AS description
      UNION ALL
      SELECT 2, 'eck_id', 'De ECK iD van de leerling: het pseudoniem uit de Nummervoorziening voor digitale leermiddelen') v
WHERE EXISTS (SELECT 1 FROM catalog_entry WHERE id = 'topdossier-eckid')
  AND (SELECT count(*) FROM catalog_data_field WHERE koppeling_id = 'topdossier-eckid') = 12;
DROP TABLE smalle_set;
