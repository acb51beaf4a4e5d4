-- Which send a check goes to is decided from what the provider did (docs/architecture.md,
-- "The current send"): keep the provider's submit time of each send, and the outcome of a
-- check the provider had no pending code for. Additive: a release without it keeps working.

-- When the provider says it accepted the send (its clock), ns since the epoch; NULL unless
-- the send is recorded as sent from the provider's receipt.
ALTER TABLE verification_attempts ADD COLUMN submitted_at_ns BIGINT;

-- The outcome names, with the new check outcome 'no_pending_code'.
ALTER TABLE verification_attempts DROP CONSTRAINT verification_attempts_check2;
ALTER TABLE verification_attempts ADD CONSTRAINT verification_attempts_outcome_names CHECK (
    outcome IS NULL
    OR (kind = 'send' AND outcome IN ('sent', 'refused', 'rate_limited', 'not_sent', 'outcome_unknown'))
    OR (kind = 'check' AND outcome IN ('answered', 'not_checked', 'no_pending_code', 'outcome_unknown'))
);
