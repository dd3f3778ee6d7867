-- The audit trail becomes tamper-evident. Each row's `chain` is an
-- HMAC-SHA-256, under a key derived from the install secret, of the previous
-- row's `chain` and the row's own content (KoppelingStorage/AuditChain.swift),
-- so a row edited, removed or inserted by anyone without the secret no longer
-- verifies (`audit.verify`).
ALTER TABLE audit ADD COLUMN chain BLOB CHECK (chain IS NULL OR length(chain) = 32);

-- The end of the chain as the daemon last wrote it, updated in the same
-- transaction as every audit row: the chain alone cannot tell that its last
-- rows were removed, the head can. `prev_chain` is the value the last row
-- was chained onto, so that row (a caller's summary row of the minute) can
-- be re-chained without trusting the row before it.
-- SQL cannot compute an HMAC: `chain` NULL here says that the rows written
-- before this version are still to be chained. The daemon does that at
-- start-up, after this migration, with the secret it has (in one
-- transaction, like the secret's check value of 0003), and from then on
-- chains every row it appends.
CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    last_id     INTEGER NOT NULL,
    row_count   INTEGER NOT NULL,
    chain       BLOB CHECK (chain IS NULL OR length(chain) = 32),
    prev_chain  BLOB CHECK (prev_chain IS NULL OR length(prev_chain) = 32)
) STRICT;

INSERT INTO audit_head (id, last_id, row_count, chain, prev_chain) VALUES (1, 0, 0, NULL, NULL);
