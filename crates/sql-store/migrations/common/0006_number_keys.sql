-- A protected store knows it is protected, and by which keys (docs/storage.md, "Numbers at
-- rest"): each number key's id with a fingerprint of its material, recorded by the first
-- write under it. A write without keys on a store that has them, or under a known id whose
-- material changed, is refused before anything is written. Additive: a release without it
-- keeps working (it neither reads nor writes the table). The same SQL on SQLite and
-- PostgreSQL.
CREATE TABLE verification_number_keys (
    key_id      TEXT   NOT NULL PRIMARY KEY,
    -- The first 8 bytes of HMAC-SHA256(key, "phone-verify number key fingerprint v1"), as a
    -- signed 64-bit integer: tells two keys apart, and says nothing of either.
    fingerprint BIGINT NOT NULL
);
