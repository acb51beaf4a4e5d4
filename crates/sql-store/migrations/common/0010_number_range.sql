-- A send records its number's range when the guard of ranges is on (docs/storage.md,
-- migration 0010): the numbers sharing all but the last digits, as the app's GuardKey
-- keeps it (the E.164 prefix in a store in clear, its keyed digest in a protected one). The
-- guard reads the counted sends of a range within its window from one index. Rows written
-- before, or with the guard off, keep NULL and are not counted. The same SQL on SQLite and
-- PostgreSQL.
ALTER TABLE verification_attempts ADD COLUMN number_range TEXT;
CREATE INDEX verification_attempts_counted_sends_by_range
    ON verification_attempts (number_range, started_at_ns)
    WHERE kind = 'send' AND counts AND number_range IS NOT NULL;
