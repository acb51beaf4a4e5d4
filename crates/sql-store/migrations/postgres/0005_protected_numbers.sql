-- No clear numbers at rest (docs/storage.md, "Numbers at rest"): a row keeps its number in
-- clear (`phone_e164`) or protected, as the HMAC-SHA256 of its E.164 form under a key
-- (`phone_digest`, 64 lowercase hex digits), that key's id (`phone_key`) and the masked form
-- (`phone_masked`), never both. Additive: a release without it keeps writing numbers in clear,
-- which this schema still takes; it cannot read a protected row.
ALTER TABLE verification_attempts ALTER COLUMN phone_e164 DROP NOT NULL;
ALTER TABLE verification_attempts ADD COLUMN phone_digest TEXT
    CHECK (phone_digest ~ '^[0-9a-f]{64}$');
ALTER TABLE verification_attempts ADD COLUMN phone_key TEXT
    CHECK (phone_key ~ '^[a-z0-9_-]{1,32}$');
ALTER TABLE verification_attempts ADD COLUMN phone_masked TEXT
    CHECK (phone_masked ~ '^\+[0-9]{1,3}\*+[0-9]{0,4}$');
ALTER TABLE verification_attempts ADD CONSTRAINT verification_attempts_one_number_form CHECK (
    (phone_e164 IS NULL) = (phone_digest IS NOT NULL)
    AND (phone_digest IS NULL) = (phone_key IS NULL)
    AND (phone_digest IS NULL) = (phone_masked IS NULL)
);

-- The guard per number and the history of a number, for protected rows: the indexes by
-- number of 0001, on the digest. Partial, so a store in clear keeps them empty.
CREATE INDEX verification_attempts_counted_sends_by_digest
    ON verification_attempts (phone_digest, started_at_ns)
    WHERE kind = 'send' AND counts AND phone_digest IS NOT NULL;
CREATE INDEX verification_attempts_by_digest
    ON verification_attempts (phone_digest, started_at_ns, id)
    WHERE phone_digest IS NOT NULL;
