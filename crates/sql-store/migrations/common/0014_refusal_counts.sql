-- Sends refused before the provider have no record (nothing was sent); `phone-verify stats`
-- reports them per country and reason from these counts (docs/storage.md, migration 0014):
-- one row per minute, calling code and reason (a `SendRefusal` stable name), never a
-- number, so an attack of any size adds at most minutes x countries x reasons rows. The
-- primary key is the upsert's conflict target and the stats' range search by minute; a
-- purge deletes the minutes before its cutoff. Additive; the same SQL on SQLite and
-- PostgreSQL.
CREATE TABLE verification_refusals (
    minute_ns BIGINT NOT NULL,
    calling_code TEXT NOT NULL,
    reason TEXT NOT NULL,
    refusals BIGINT NOT NULL,
    PRIMARY KEY (minute_ns, calling_code, reason)
);
