-- The case log (layout 3; R11, R12): every problem case and fallback task is the fold of its
-- entries (the core's `casework`), kept here append-only and chained across the whole log like the
-- records (origin/src/casework/log.rs): `seq` 1, 2, … and `chain = SHA-256(prev_chain ‖ entry_json)`.
-- `entry_json` is the entry's canonical JSON (case, position, who, when, what); the other columns
-- repeat what it says for lookups, and `verify-archive` checks that they agree.
CREATE TABLE IF NOT EXISTS case_log (
    id          INTEGER PRIMARY KEY,
    seq         INTEGER NOT NULL UNIQUE,
    case_id     TEXT NOT NULL,
    -- Position in its case, from 1 (the opening): unique, so that a case is opened once however
    -- often its record is delivered, and two appends decided on the same state cannot both land.
    case_seq    INTEGER NOT NULL,
    event       TEXT NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    entry_json  TEXT NOT NULL,
    prev_chain  TEXT NOT NULL,
    chain       TEXT NOT NULL,
    UNIQUE (case_id, case_seq)
) STRICT;
-- The open cases: those without a `closed` entry.
CREATE INDEX IF NOT EXISTS case_log_by_event ON case_log (event, case_id);

-- Append-only, whatever code runs against this file.
CREATE TRIGGER IF NOT EXISTS case_log_no_update BEFORE UPDATE ON case_log
BEGIN SELECT RAISE(ABORT, 'the case log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS case_log_no_delete BEFORE DELETE ON case_log
BEGIN SELECT RAISE(ABORT, 'the case log is append-only'); END;
