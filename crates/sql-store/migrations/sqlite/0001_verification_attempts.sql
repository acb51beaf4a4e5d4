-- Every send and every check, one row each: written in flight before the provider call,
-- finished once after it. Never the code. See docs/storage.md.
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
    CHECK ((kind = 'check') = (send_id IS NOT NULL)),
    CHECK ((outcome IS NULL) = (finished_at_ns IS NULL)),
    CHECK (
        outcome IS NULL
        OR (kind = 'send' AND outcome IN ('sent', 'refused', 'rate_limited', 'not_sent', 'outcome_unknown'))
        OR (kind = 'check' AND outcome IN ('answered', 'not_checked', 'outcome_unknown'))
    )
);

-- The guard of a send, per number: the counted sends to it within the horizon.
CREATE INDEX verification_attempts_counted_sends_by_number
    ON verification_attempts (phone_e164, started_at_ns)
    WHERE kind = 'send' AND counts;

-- The guard of a send, per trust validation (a count), and the latest send (newest first).
CREATE INDEX verification_attempts_counted_sends_by_trust_validation
    ON verification_attempts (trust_validation, started_at_ns, id)
    WHERE kind = 'send' AND counts;

-- The guard of a check: the counted checks of one send.
CREATE INDEX verification_attempts_counted_checks_by_send
    ON verification_attempts (send_id)
    WHERE kind = 'check' AND counts;

-- History pages and the sends to a number since a time, newest first.
CREATE INDEX verification_attempts_by_number
    ON verification_attempts (phone_e164, started_at_ns, id);
CREATE INDEX verification_attempts_by_trust_validation
    ON verification_attempts (trust_validation, started_at_ns, id);
