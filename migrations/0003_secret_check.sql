-- The install secret's check value: an HMAC-SHA-256, under the secret in
-- koppelingd.secret, of a fixed label. At start the daemon compares it with
-- the secret file beside the database and refuses a file that is missing or
-- is not this register's; a register opened for the first time by this
-- version gets the value from the secret it has (written at start-up, after
-- this migration, since SQL cannot see the secret).
CREATE TABLE install_check (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    secret_check  BLOB NOT NULL CHECK (length(secret_check) = 32)
) STRICT;

-- Verification codes (activation.code_hash, used_code.code_hash,
-- eckid_import.key_hash) are from this version on the HMAC of the code in
-- canonical form: the six BRIN6 prefix characters upper-cased, the rest
-- exactly as typed. Rows written before were hashed as typed, and the case
-- their prefix was typed in is not known (only the hash is kept), so they
-- cannot be rewritten. The key check and the reuse check therefore compare
-- a code in all its prefix-case variants (the prefix holds two letters: four
-- variants, the canonical one among them), which finds an old row and a new
-- one alike; new rows store only the canonical form.
