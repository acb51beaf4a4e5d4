-- A send records the keyed digest of the end user's client when its request names one and
-- the guard of clients is on (docs/storage.md, migration 0012): never the client key itself.
-- The guard reads the client's counted sends within its horizon from one index. Rows without
-- one are not counted. The same SQL on SQLite and PostgreSQL.
ALTER TABLE verification_attempts ADD COLUMN client_digest TEXT;
CREATE INDEX verification_attempts_counted_sends_by_client
    ON verification_attempts (client_digest, started_at_ns)
    WHERE kind = 'send' AND counts AND client_digest IS NOT NULL;
