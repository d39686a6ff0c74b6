-- The staff console (layout 4; issue 13, item 6): staff accounts, their sessions, and the staff log.
-- Passwords are argon2 PHC strings; a session is kept by the SHA-256 of its cookie's random id,
-- never the id itself. The staff log is append-only: who did what, when (login, logout, a failed
-- login, a case read or worked, a reveal, an export). It holds no notes and no personal data.
CREATE TABLE IF NOT EXISTS staff (
    staff_id      TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    seller_code   TEXT,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS staff_sessions (
    id_sha256   TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff (staff_id),
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ended_at    INTEGER
) STRICT;

CREATE TABLE IF NOT EXISTS staff_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    -- The member of staff, or for a failed login the name tried (when it is a well-formed id).
    staff_id  TEXT NOT NULL,
    action    TEXT NOT NULL,
    -- What it concerned: a case id, a queue, or nothing.
    target    TEXT,
    -- `ok`, or the refusal's code.
    outcome   TEXT NOT NULL
) STRICT;
-- Login throttling counts recent failures per name.
CREATE INDEX IF NOT EXISTS staff_log_by_staff ON staff_log (staff_id, action, at);

CREATE TRIGGER IF NOT EXISTS staff_log_no_update BEFORE UPDATE ON staff_log
BEGIN SELECT RAISE(ABORT, 'the staff log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS staff_log_no_delete BEFORE DELETE ON staff_log
BEGIN SELECT RAISE(ABORT, 'the staff log is append-only'); END;
