-- R4: the archive chain (layout 2). Every record gets `seq` (1, 2, …), `prev_chain` and `chain`
-- (archive/chain.rs), and the terminations the insurer reports start retention (R5). The other
-- tables of 0001 stay as they are.
--
-- The unchained table is set aside, the chained one created under its name, and the records are
-- copied in the order they were stored, each linked to the one before: the copy is made by code
-- at the marker below (the chain is SHA-256, which SQLite does not compute). The chain of records
-- stored before this migration attests their order as of the migration. Run with foreign keys
-- off and legacy_alter_table on (SQLite's documented procedure for replacing a table), checked
-- before the commit.
ALTER TABLE records RENAME TO records_unchained;

CREATE TABLE IF NOT EXISTS records (
    revisit_id    TEXT PRIMARY KEY NOT NULL,
    policy_number TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    record_hash   TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    received_at   INTEGER NOT NULL,
    sealed_json   TEXT NOT NULL,
    -- R4: the archive chain (chain.rs), assigned in the insert transaction.
    seq           INTEGER NOT NULL UNIQUE,
    prev_chain    TEXT NOT NULL,
    chain         TEXT NOT NULL
) STRICT;

-- @code chain_records

DROP TABLE records_unchained;
CREATE INDEX IF NOT EXISTS records_by_policy ON records (policy_number);
CREATE INDEX IF NOT EXISTS records_by_received_at ON records (received_at, seq);

-- R4: the archive is append-only, whatever code runs against this file.
CREATE TRIGGER IF NOT EXISTS records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'archived records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'archived records are append-only'); END;

-- R5: contract terminations as the insurer reports them. Append-only like the records: retention
-- is computed from them by query, no record row is ever touched.
CREATE TABLE IF NOT EXISTS terminations (
    id            INTEGER PRIMARY KEY,
    policy_number TEXT NOT NULL,
    terminated_at INTEGER NOT NULL,
    reported_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS terminations_by_policy ON terminations (policy_number, terminated_at);
CREATE TRIGGER IF NOT EXISTS terminations_no_update BEFORE UPDATE ON terminations
BEGIN SELECT RAISE(ABORT, 'terminations are append-only'); END;
CREATE TRIGGER IF NOT EXISTS terminations_no_delete BEFORE DELETE ON terminations
BEGIN SELECT RAISE(ABORT, 'terminations are append-only'); END;
