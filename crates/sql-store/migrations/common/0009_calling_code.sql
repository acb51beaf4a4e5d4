-- Every attempt records its number's country calling code (`+60`), in clear whether the
-- number is or not (a country is not the number), so the country budgets count the sends to
-- a country from one index (docs/storage.md, migration 0009). Rows written before keep NULL
-- and are not counted: the budgets bind fully one window after the upgrade. Additive: a
-- release without it inserts NULL, uncounted. The same SQL on SQLite and PostgreSQL.
ALTER TABLE verification_attempts ADD COLUMN calling_code TEXT;
CREATE INDEX verification_attempts_counted_sends_by_country
    ON verification_attempts (calling_code, started_at_ns)
    WHERE kind = 'send' AND counts AND calling_code IS NOT NULL;
