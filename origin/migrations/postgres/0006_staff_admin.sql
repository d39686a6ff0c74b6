-- Staff administration in the console (layout 6, as SQLite's 0006; issue 13): an account can be
-- disabled. A disabled account cannot log in and its sessions end at once; it is kept (its id stays
-- in the case log and the staff log), never deleted.
ALTER TABLE staff ADD COLUMN disabled_at BIGINT;
