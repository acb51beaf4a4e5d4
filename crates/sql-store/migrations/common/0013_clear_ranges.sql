-- The rows whose number is protected but whose range is still in clear (the number's E.164
-- prefix and a star a hidden digit): the first conversion to protected numbers replaced the
-- number only, and that prefix with the masked form's last four digits is the whole number
-- (docs/storage.md, migration 0013). The conversion finds them here, batch by batch, and
-- replaces the range with its keyed digest. A range in clear starts with `+`, a keyed one
-- with its key's id, which never does. Partial: a store in clear (every number in clear)
-- and a store protected from the start keep it empty. The same SQL on SQLite and PostgreSQL.
CREATE INDEX verification_attempts_clear_ranges
    ON verification_attempts (id)
    WHERE phone_key IS NOT NULL AND substr(number_range, 1, 1) = '+';
