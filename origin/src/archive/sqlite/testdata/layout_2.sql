-- The SQL the origin ran on a fresh archive before the migrations were numbered (layout 2,
-- user_version 2): an archive made by it must open unchanged.
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
CREATE INDEX IF NOT EXISTS records_by_policy ON records (policy_number);
CREATE INDEX IF NOT EXISTS records_by_received_at ON records (received_at, seq);

-- R4: the archive is append-only, whatever code runs against this file.
CREATE TRIGGER IF NOT EXISTS records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'archived records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'archived records are append-only'); END;

-- Every verified delivery of a record, including repeats: shows that delivery was exactly-once in
-- effect (one archived record) and how often the edge had to try.
CREATE TABLE IF NOT EXISTS deliveries (
    id           INTEGER PRIMARY KEY,
    revisit_id   TEXT NOT NULL,
    record_hash  TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    outcome      TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS deliveries_by_revisit ON deliveries (revisit_id);

CREATE TABLE IF NOT EXISTS problem_cases (
    id            INTEGER PRIMARY KEY,
    revisit_id    TEXT NOT NULL REFERENCES records (revisit_id),
    policy_number TEXT NOT NULL,
    item_index    INTEGER NOT NULL,
    item_id       TEXT NOT NULL,
    comment       TEXT,
    answered_at   INTEGER,
    created_at    INTEGER NOT NULL,
    UNIQUE (revisit_id, item_index)
) STRICT;

CREATE TABLE IF NOT EXISTS phone_tasks (
    id            INTEGER PRIMARY KEY,
    revisit_id    TEXT NOT NULL UNIQUE REFERENCES records (revisit_id),
    policy_number TEXT NOT NULL,
    reason        TEXT NOT NULL,
    due_by        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

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

CREATE TABLE IF NOT EXISTS sms_outbox (
    message_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    revisit_id  TEXT NOT NULL,
    phone       TEXT NOT NULL,
    text        TEXT NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS sms_outbox_by_phone ON sms_outbox (phone, message_id);
