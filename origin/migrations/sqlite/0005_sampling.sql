-- Quality sampling and statistics (layout 5; R13-R15, issue 14): the sample log, and the facts
-- the statistics count.
--
-- The sample log. A run is the fold of its entries
-- (the core's `sample_run`): `drawn` (the period, the outcome, the parameters and seed, the heads
-- of the archive and of the case log it read, the frame's size and digest, the picks), then one
-- `reviewed` per pick and a `signed_off`. Append-only and chained across the whole log like the
-- case log (origin/src/sampling/log.rs): `seq` 1, 2, … and `chain = SHA-256(prev_chain ‖ entry_json)`.
CREATE TABLE IF NOT EXISTS sample_log (
    id          INTEGER PRIMARY KEY,
    seq         INTEGER NOT NULL UNIQUE,
    run_id      TEXT NOT NULL,
    -- Position in its run, from 1 (`drawn`): two appends decided on the same state cannot both land.
    run_seq     INTEGER NOT NULL,
    event       TEXT NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    entry_json  TEXT NOT NULL,
    prev_chain  TEXT NOT NULL,
    chain       TEXT NOT NULL,
    UNIQUE (run_id, run_seq)
) STRICT;

CREATE TRIGGER IF NOT EXISTS sample_log_no_update BEFORE UPDATE ON sample_log
BEGIN SELECT RAISE(ABORT, 'the sample log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS sample_log_no_delete BEFORE DELETE ON sample_log
BEGIN SELECT RAISE(ABORT, 'the sample log is append-only'); END;

-- A problem case by its revisit, for the frame's `problem` (every problem case is sampled): which
-- records opened problem cases is read from the case log's `opened` entries up to a seq.
CREATE INDEX IF NOT EXISTS case_log_by_event_seq ON case_log (event, seq);

-- The statistics' facts (R14, R15): one row per archived record and one per case, with the
-- revisit's grouping (the Beijing month it was issued, region, channel, product type), so that a
-- year of a million records is counted from an index, not by reading every sealed record. They
-- are derived: written with the record and with each case entry, in the same transaction, and
-- filled here for the records and cases already archived (the code step below); nothing reads
-- them as evidence.
CREATE TABLE IF NOT EXISTS revisit_facts (
    revisit_id          TEXT PRIMARY KEY NOT NULL,
    period              TEXT NOT NULL,
    region              TEXT NOT NULL,
    channel             TEXT NOT NULL,
    product_type        TEXT NOT NULL,
    outcome             TEXT NOT NULL,
    in_cooling_off      INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    finished_at         INTEGER NOT NULL,
    cooling_off_ends_at INTEGER NOT NULL,
    -- The script shown: `id version hash` (the first-use report lists the versions in use).
    script              TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS revisit_facts_by_group
    ON revisit_facts (period, region, channel, product_type, outcome, in_cooling_off);

CREATE TABLE IF NOT EXISTS case_facts (
    case_id       TEXT PRIMARY KEY NOT NULL,
    revisit_id    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    period        TEXT NOT NULL,
    region        TEXT NOT NULL,
    channel       TEXT NOT NULL,
    product_type  TEXT NOT NULL,
    opened_at     INTEGER NOT NULL,
    due_at        INTEGER NOT NULL,
    closed_at     INTEGER,
    resolution    TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS case_facts_by_group
    ON case_facts (period, region, channel, product_type, kind, resolution, due_at, closed_at);

-- @code facts
