-- Quality sampling (layout 5; R13, issue 14): the sample log. A run is the fold of its entries
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
