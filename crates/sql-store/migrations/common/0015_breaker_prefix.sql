-- A send records its number's prefix when the conversion breaker measures prefixes
-- (docs/storage.md, migration 0015): the numbers sharing the calling code and the first
-- digits of the national number, as the app's GuardKey keeps a range (the E.164 prefix and a
-- star a further digit in a store in clear, its keyed digest in a protected one). The breaker
-- reads a prefix's latest counted sends from one index, backwards. Rows written before, or
-- with the breaker measuring countries, keep NULL and are not counted. A conversion to
-- protected numbers empties the prefixes it finds in clear. The same SQL on SQLite and
-- PostgreSQL.
ALTER TABLE verification_attempts ADD COLUMN number_prefix TEXT;
CREATE INDEX verification_attempts_counted_sends_by_prefix
    ON verification_attempts (number_prefix, started_at_ns)
    WHERE kind = 'send' AND counts AND number_prefix IS NOT NULL;
