-- The archive's first layout (R3, R4, R14): the records, every delivery, the problem cases (R12)
-- and phone tasks (R11) they raise, and the dev SMS outbox. Applied in one transaction with
-- PRAGMA user_version = 1. Files written before migrations were numbered have this layout at
-- user_version 0: every statement is IF NOT EXISTS, so applying it to them changes nothing.

CREATE TABLE IF NOT EXISTS records (
    revisit_id    TEXT PRIMARY KEY NOT NULL,
    policy_number TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    record_hash   TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    received_at   INTEGER NOT NULL,
    sealed_json   TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS records_by_policy ON records (policy_number);

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

CREATE TABLE IF NOT EXISTS sms_outbox (
    message_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    revisit_id  TEXT NOT NULL,
    phone       TEXT NOT NULL,
    text        TEXT NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS sms_outbox_by_phone ON sms_outbox (phone, message_id);
