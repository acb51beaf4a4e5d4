-- No clear numbers at rest (docs/storage.md, "Numbers at rest"): a row keeps its number in
-- clear (`phone_e164`) or protected, as the HMAC-SHA256 of its E.164 form under a key
-- (`phone_digest`, 64 lowercase hex digits), that key's id (`phone_key`) and the masked form
-- (`phone_masked`), never both. Additive: a release without it keeps writing numbers in clear,
-- which this schema still takes; it cannot read a protected row.
--
-- SQLite cannot drop a NOT NULL in place, so the table is rebuilt as in 0002: renamed, created
-- anew with the same columns (those of 0002 and 0004) and the new ones, sends copied before
-- checks, the old table dropped, and every index recreated.
ALTER TABLE verification_attempts RENAME TO verification_attempts_0004;

CREATE TABLE verification_attempts (
    -- The attempt's UUID, 16 bytes big-endian (sorts like the app's AttemptId).
    id               BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    kind             TEXT    NOT NULL CHECK (kind IN ('send', 'check')),
    -- E.164: '+', then 2 to 15 digits, the first not 0; NULL when the number is protected.
    phone_e164       TEXT    CHECK (
        length(phone_e164) BETWEEN 3 AND 16
        AND phone_e164 GLOB '+[1-9]*'
        AND NOT substr(phone_e164, 2) GLOB '*[^0-9]*'
    ),
    -- The u64 flow id's bits, read as a signed 64-bit integer.
    trust_flow       INTEGER NOT NULL,
    trust_validation TEXT    NOT NULL,
    -- A check: the send its code belongs to.
    send_id          BLOB    REFERENCES verification_attempts (id),
    -- The provider's reference: of a send once sent, of the checked send for a check.
    reference        TEXT,
    -- Instants: nanoseconds since 1970-01-01T00:00:00Z (UTC, precision kept).
    started_at_ns    INTEGER NOT NULL,
    finished_at_ns   INTEGER,
    -- NULL while in flight.
    outcome          TEXT,
    error_class      TEXT,
    refusal_reason   TEXT,
    retry_after_ns   INTEGER,
    verdict          TEXT,
    status           TEXT,
    status_code      INTEGER,
    -- Whether the attempt counts against the guards: a send that may have delivered a code,
    -- a check that may have reached the provider. True in flight; set from the outcome.
    counts           INTEGER NOT NULL CHECK (counts IN (0, 1)),
    -- When the provider says it accepted the send (its clock); NULL unless the send is
    -- recorded as sent from the provider's receipt.
    submitted_at_ns  INTEGER,
    -- The provider of the send (of a check: of its send).
    provider         TEXT    NOT NULL DEFAULT 'idmeta',
    -- A protected number: its digest under the key `phone_key`, and its masked form.
    phone_digest     TEXT    CHECK (
        length(phone_digest) = 64 AND NOT phone_digest GLOB '*[^0-9a-f]*'
    ),
    phone_key        TEXT    CHECK (length(phone_key) BETWEEN 1 AND 32),
    phone_masked     TEXT    CHECK (length(phone_masked) BETWEEN 3 AND 20),
    CHECK ((kind = 'check') = (send_id IS NOT NULL)),
    CHECK ((outcome IS NULL) = (finished_at_ns IS NULL)),
    CHECK (
        outcome IS NULL
        OR (kind = 'send' AND outcome IN ('sent', 'refused', 'rate_limited', 'not_sent', 'outcome_unknown'))
        OR (kind = 'check' AND outcome IN ('answered', 'not_checked', 'no_pending_code', 'outcome_unknown'))
    ),
    CHECK (
        (phone_e164 IS NULL) = (phone_digest IS NOT NULL)
        AND (phone_digest IS NULL) = (phone_key IS NULL)
        AND (phone_digest IS NULL) = (phone_masked IS NULL)
    )
);

INSERT INTO verification_attempts (
    id, kind, phone_e164, trust_flow, trust_validation, send_id, reference, started_at_ns,
    finished_at_ns, outcome, error_class, refusal_reason, retry_after_ns, verdict, status,
    status_code, counts, submitted_at_ns, provider
)
SELECT
    id, kind, phone_e164, trust_flow, trust_validation, send_id, reference, started_at_ns,
    finished_at_ns, outcome, error_class, refusal_reason, retry_after_ns, verdict, status,
    status_code, counts, submitted_at_ns, provider
FROM verification_attempts_0004
ORDER BY kind = 'check';

DROP TABLE verification_attempts_0004;

-- The indexes of 0002 and 0003, on the new table (dropped with the old one).
CREATE INDEX verification_attempts_counted_sends_by_number
    ON verification_attempts (phone_e164, started_at_ns)
    WHERE kind = 'send' AND counts;
CREATE INDEX verification_attempts_counted_sends_by_trust_validation
    ON verification_attempts (trust_validation, started_at_ns, id)
    WHERE kind = 'send' AND counts;
CREATE INDEX verification_attempts_by_number
    ON verification_attempts (phone_e164, started_at_ns, id);
CREATE INDEX verification_attempts_by_trust_validation
    ON verification_attempts (trust_validation, started_at_ns, id);
CREATE INDEX verification_attempts_by_finished_at
    ON verification_attempts (finished_at_ns)
    WHERE finished_at_ns IS NOT NULL;
CREATE INDEX verification_attempts_in_flight
    ON verification_attempts (started_at_ns)
    WHERE finished_at_ns IS NULL;
CREATE INDEX verification_attempts_checks_by_send
    ON verification_attempts (send_id, kind, counts);

-- The guard per number and the history of a number, for protected rows: the indexes by
-- number, on the digest. Partial, so a store in clear keeps them empty.
CREATE INDEX verification_attempts_counted_sends_by_digest
    ON verification_attempts (phone_digest, started_at_ns)
    WHERE kind = 'send' AND counts AND phone_digest IS NOT NULL;
CREATE INDEX verification_attempts_by_digest
    ON verification_attempts (phone_digest, started_at_ns, id)
    WHERE phone_digest IS NOT NULL;
