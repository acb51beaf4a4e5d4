-- Every send names the provider that served it (docs/storage.md), so a check goes to the
-- provider holding its code; a check row names the provider of its send. Rows written
-- before were all IDMeta's, and read so through the default. Additive: a release without
-- it keeps working (its inserts take the default). The same SQL on SQLite and PostgreSQL.
ALTER TABLE verification_attempts ADD COLUMN provider TEXT NOT NULL DEFAULT 'idmeta';
