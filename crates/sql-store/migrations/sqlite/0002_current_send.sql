-- Which send a check goes to is decided from what the provider did (docs/architecture.md,
-- "The current send"): keep the provider's submit time of each send, and the outcome of a
-- check the provider had no pending code for. Additive: a release without it keeps working.
--
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt with the same
-- columns plus one, inside the migration's transaction. Renaming first makes SQLite point
-- the old table's self-reference at its new name; sends are copied before checks so that
-- every check's send exists when it is inserted.
ALTER TABLE verification_attempts RENAME TO verification_attempts_0001;

CREATE TABLE verification_attempts (
    -- The attempt's UUID, 16 bytes big-endian (sorts like the app's AttemptId).
    id               BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    kind             TEXT    NOT NULL CHECK (kind IN ('send', 'check')),
    -- E.164: '+', then 2 to 15 digits, the first not 0.
    phone_e164       TEXT    NOT NULL CHECK (
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
    CHECK ((kind = 'check') = (send_id IS NOT NULL)),
    CHECK ((outcome IS NULL) = (finished_at_ns IS NULL)),
    CHECK (
        outcome IS NULL
        OR (kind = 'send' AND outcome IN ('sent', 'refused', 'rate_limited', 'not_sent', 'outcome_unknown'))
        OR (kind = 'check' AND outcome IN ('answered', 'not_checked', 'no_pending_code', 'outcome_unknown'))
    )
);

INSERT INTO verification_attempts (
    id, kind, phone_e164, trust_flow, trust_validation, send_id, reference, started_at_ns,
    finished_at_ns, outcome, error_class, refusal_reason, retry_after_ns, verdict, status,
    status_code, counts
)
SELECT
    id, kind, phone_e164, trust_flow, trust_validation, send_id, reference, started_at_ns,
    finished_at_ns, outcome, error_class, refusal_reason, retry_after_ns, verdict, status,
    status_code, counts
FROM verification_attempts_0001
ORDER BY kind = 'check';

DROP TABLE verification_attempts_0001;

-- The indexes of 0001, on the new table (dropped with the old one).
CREATE INDEX verification_attempts_counted_sends_by_number
    ON verification_attempts (phone_e164, started_at_ns)
    WHERE kind = 'send' AND counts;
CREATE INDEX verification_attempts_counted_sends_by_trust_validation
    ON verification_attempts (trust_validation, started_at_ns, id)
    WHERE kind = 'send' AND counts;
CREATE INDEX verification_attempts_counted_checks_by_send
    ON verification_attempts (send_id)
    WHERE kind = 'check' AND counts;
CREATE INDEX verification_attempts_by_number
    ON verification_attempts (phone_e164, started_at_ns, id);
CREATE INDEX verification_attempts_by_trust_validation
    ON verification_attempts (trust_validation, started_at_ns, id);
