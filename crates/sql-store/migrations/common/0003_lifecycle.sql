-- The records' lifecycle (docs/storage.md, "The lifecycle of a record"): indexes for the
-- purge and the reconciliation, so that neither scans the table. Additive; the same SQL on
-- SQLite and PostgreSQL.

-- The purge's candidates: the attempts finished before the cutoff. Whether
-- their trust validation is still in use is read from the index by trust validation of
-- 0001 (a trust validation holds no more attempts than its guards let through).
CREATE INDEX verification_attempts_by_finished_at
    ON verification_attempts (finished_at_ns)
    WHERE finished_at_ns IS NOT NULL;

-- The reconciliation: the attempts still in flight, by start time.
CREATE INDEX verification_attempts_in_flight
    ON verification_attempts (started_at_ns)
    WHERE finished_at_ns IS NULL;

-- The checks of a send, counted or not, replacing 0001's index of the counted ones: deleting
-- a send makes the database look for checks still referring to it (the foreign key), which
-- without an index on `send_id` alone is a scan of the table for every send deleted; and
-- the guard of a check (its send's counted checks) searches the same index to the end. One
-- index, so that the two never compete for the guard's query.
DROP INDEX verification_attempts_counted_checks_by_send;
CREATE INDEX verification_attempts_checks_by_send
    ON verification_attempts (send_id, kind, counts);
