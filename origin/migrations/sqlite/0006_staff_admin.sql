-- Staff administration in the console (layout 5; issue 13): an account can be disabled. A disabled
-- account cannot log in and its sessions end at once; it is kept (its id stays in the case log and
-- the staff log), never deleted. Who disabled it, and every role change, is in the staff log.
ALTER TABLE staff ADD COLUMN disabled_at INTEGER;
