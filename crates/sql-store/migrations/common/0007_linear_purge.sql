-- A purge whose cost is linear in what it walks (issue 30; docs/storage.md, "The lifecycle
-- of a record"). Additive; the same SQL on SQLite and PostgreSQL.

-- The purge's walk: the attempts finished before the cutoff, in order of finish time and
-- trust validation, resumed from the position the last batch ended at. It replaces 0003's
-- index on the finish time alone, and serves every query that one did (an instance of the
-- previous release searches this one instead).
CREATE INDEX verification_attempts_by_finish
    ON verification_attempts (finished_at_ns, trust_validation)
    WHERE finished_at_ns IS NOT NULL;
DROP INDEX verification_attempts_by_finished_at;

-- Whether a trust validation is settled: one search for an attempt of it in flight, one for
-- an attempt of it finished since the cutoff, each reading one entry however many attempts
-- it holds. With only 0001's index by trust validation and start time, each was a walk of
-- all its attempts, once per attempt walked: the quadratic purge. Both are partial, so that
-- no other query (the guards', the history's) takes them for the index by trust validation:
-- a trust validation's attempts in flight are a handful, and the first holds nothing else.
CREATE INDEX verification_attempts_in_flight_by_trust_validation
    ON verification_attempts (trust_validation)
    WHERE finished_at_ns IS NULL;
CREATE INDEX verification_attempts_finished_by_trust_validation
    ON verification_attempts (trust_validation, finished_at_ns)
    WHERE finished_at_ns IS NOT NULL;

-- The checks of a send, as 0003 made it, now of the rows that have a send only (the checks).
-- Deleting a send makes the database look its checks up by `send_id` (the foreign key), and
-- SQLite plans that look-up with the table's statistics: once analyzed, 0003's index, which
-- holds every send under one `NULL`, read to it as thousands of rows per value, and the
-- look-up of each deleted send walked them, so a purge of a trust validation of 10,000 sends
-- took seconds, quadratic in its sends. The guards' and the history's queries name a send,
-- which implies `send_id IS NOT NULL`, and search it as before; the name is the same.
DROP INDEX verification_attempts_checks_by_send;
CREATE INDEX verification_attempts_checks_by_send
    ON verification_attempts (send_id, kind, counts)
    WHERE send_id IS NOT NULL;
