-- The conversion breaker counts a country's verified checks within its window (docs/storage.md,
-- migration 0011): a partial index of the checks that verified a code, by calling code
-- (recorded on checks too since 0009) and start. Checks written before 0009 have none and are
-- not counted. The same SQL on SQLite and PostgreSQL.
CREATE INDEX verification_attempts_verified_checks_by_country
    ON verification_attempts (calling_code, started_at_ns)
    WHERE kind = 'check' AND verdict = 'verified' AND calling_code IS NOT NULL;
