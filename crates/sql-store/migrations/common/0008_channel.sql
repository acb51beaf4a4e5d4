-- Every send records the channel its code went out on (docs/storage.md): sms, call or
-- whatsapp, by the channel's stable name. Rows written before were all SMS, the only channel
-- there was, and read so through the default; a check row keeps the default and is not read
-- for it. Additive: a release without it keeps working (its inserts take the default). The
-- same SQL on SQLite and PostgreSQL.
ALTER TABLE verification_attempts ADD COLUMN channel TEXT NOT NULL DEFAULT 'sms';
