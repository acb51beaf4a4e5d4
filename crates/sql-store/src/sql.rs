//! The SQL the store runs, shared by both backends: `$1`-style parameters, which SQLite reads
//! as numbered parameters too. Each query names in a comment the index that serves it; the
//! plan tests hold them to it.

/// The columns of a stored attempt, in the order [`crate::columns::StoredAttempt`] reads them.
macro_rules! attempt_columns {
    () => {
        "id, kind, phone_e164, trust_flow, trust_validation, send_id, reference, started_at_ns, \
         finished_at_ns, outcome, error_class, refusal_reason, retry_after_ns, verdict, status, \
         status_code, submitted_at_ns, provider, phone_digest, phone_key, phone_masked, channel"
    };
}

/// Whether an attempt with this id (of either kind) is stored. Primary key.
pub(crate) const COUNT_ID: &str = "SELECT COUNT(*) FROM verification_attempts WHERE id = $1";

/// The condition of the guard per number: the counted sends whose `$column` is `$number`,
/// started after `$after`.
///
/// The instant is compared twice: `started_at_ns > $after`, and again as part of a row value,
/// `($column, started_at_ns) > ($number, $after)`, which says the same here (the first parts
/// are equal) and which only an index on `($column, started_at_ns)` can search. With the
/// first alone, PostgreSQL could also search `started_at_ns` as the second column of
/// `verification_attempts_counted_sends_by_trust_validation` (the same predicate), and it did
/// in the generic plan it keeps for a statement sqlx prepared on a table not yet analyzed:
/// it walked every entry of that index on every send until autovacuum's first `ANALYZE`,
/// tripling the PostgreSQL CPU of a send. The row value makes the number's index the cheaper
/// one with or without statistics; SQLite searches the range with the first. The plan tests
/// plan every hot query generically on a new table.
macro_rules! counted_sends_to {
    ($column:literal, $number:literal, $after:literal) => {
        concat!(
            "kind = 'send' AND counts AND ",
            $column,
            " = ",
            $number,
            " AND started_at_ns > ",
            $after,
            " AND (",
            $column,
            ", started_at_ns) > (",
            $number,
            ", ",
            $after,
            ")"
        )
    };
}

/// The start times of the counted sends to a number after an instant: the guard per number.
/// Index `verification_attempts_counted_sends_by_number`.
pub(crate) const COUNTED_SENDS_TO_NUMBER_AFTER: &str = concat!(
    "SELECT started_at_ns FROM verification_attempts WHERE ",
    counted_sends_to!("phone_e164", "$1", "$2")
);

/// The same for a protected number, by one of its digests.
/// Index `verification_attempts_counted_sends_by_digest`.
pub(crate) const COUNTED_SENDS_TO_DIGEST_AFTER: &str = concat!(
    "SELECT started_at_ns FROM verification_attempts WHERE ",
    counted_sends_to!("phone_digest", "$1", "$2")
);

/// The start of the `$3`-th oldest (from 0) of the counted sends to the country of calling
/// code `$1` started after `$2` (what its budget has spent, [`GUARD_OF_COUNTRY`]): the one
/// whose leaving the window lets a send pass, read only when the budget is spent. Index
/// `verification_attempts_counted_sends_by_country`.
pub(crate) const NTH_COUNTED_SEND_TO_COUNTRY_AFTER: &str = "SELECT started_at_ns \
     FROM verification_attempts WHERE kind = 'send' AND counts AND calling_code = $1 \
     AND started_at_ns > $2 ORDER BY started_at_ns LIMIT 1 OFFSET $3";

/// What `stats` reads of the country of calling code `$1`, in one statement: rows of (tag,
/// count), tag [`CONVERSION_SENDS`] the counted sends started after `$2` and not after `$3`
/// (index `verification_attempts_counted_sends_by_country`), tag [`CONVERSION_VERIFIED`] the
/// checks that verified a code started after `$2` (index
/// `verification_attempts_verified_checks_by_country`).
pub(crate) const COUNTRY_CONVERSION: &str = "SELECT CAST(0 AS BIGINT) AS tag, COUNT(*) AS value \
     FROM verification_attempts WHERE kind = 'send' AND counts AND calling_code = $1 \
     AND started_at_ns > $2 AND started_at_ns <= $3 \
     UNION ALL SELECT 1, COUNT(*) FROM verification_attempts WHERE kind = 'check' \
     AND verdict = 'verified' AND calling_code = $1 AND started_at_ns > $2";

/// One more refusal of reason `$3` for the country of calling code `$2` in the minute `$1`
/// (nanoseconds): an upsert on the primary key of `verification_refusals` (migration 0014).
pub(crate) const COUNT_REFUSAL: &str = "INSERT INTO verification_refusals \
     (minute_ns, calling_code, reason, refusals) VALUES ($1, $2, $3, 1) \
     ON CONFLICT (minute_ns, calling_code, reason) \
     DO UPDATE SET refusals = verification_refusals.refusals + 1";

/// The first calling code after `$1`, in the database's order, with a counted send: the
/// stats' walk of the countries, one search of one entry each. Index
/// `verification_attempts_counted_sends_by_country`.
pub(crate) const NEXT_COUNTRY_WITH_SENDS: &str = "SELECT calling_code \
     FROM verification_attempts WHERE kind = 'send' AND counts AND calling_code IS NOT NULL \
     AND calling_code > $1 ORDER BY calling_code LIMIT 1";

/// The counts of refusals of the minutes from `$1` to `$2` (nanoseconds), as (calling code,
/// reason, count) rows, a row per minute: summed by the caller, so that the search is a range
/// of the primary key and nothing is sorted. Primary key of `verification_refusals`.
pub(crate) const REFUSAL_COUNTS: &str = "SELECT calling_code, reason, refusals \
     FROM verification_refusals WHERE minute_ns >= $1 AND minute_ns <= $2";

/// Deletes at most `$2` counts of refusals of the minutes before `$1`, oldest first: a step of
/// a purge. Primary key of `verification_refusals`, for the choice and for the delete.
pub(crate) const PURGE_REFUSALS: &str = "DELETE FROM verification_refusals \
     WHERE (minute_ns, calling_code, reason) IN (SELECT minute_ns, calling_code, reason \
     FROM verification_refusals WHERE minute_ns < $1 ORDER BY minute_ns LIMIT $2)";

/// The tags of [`COUNTRY_CONVERSION`]'s rows.
pub(crate) const CONVERSION_SENDS: i64 = 0;
/// See [`CONVERSION_SENDS`].
pub(crate) const CONVERSION_VERIFIED: i64 = 1;

/// What a send's reservation reads, in one statement, the number searched in `$column`.
macro_rules! send_guards {
    ($column:literal) => {
        concat!(
            "WITH recent AS (SELECT id FROM (SELECT id FROM verification_attempts \
             WHERE kind = 'send' AND counts AND calling_code = $7 AND started_at_ns > $9 \
             AND started_at_ns <= $10 ORDER BY started_at_ns DESC LIMIT $11) AS of_country \
             UNION ALL SELECT id FROM (SELECT id FROM verification_attempts \
             WHERE kind = 'send' AND counts AND number_prefix = $8 AND started_at_ns > $9 \
             AND started_at_ns <= $10 ORDER BY started_at_ns DESC LIMIT $11) AS of_prefix) \
             SELECT CAST(0 AS BIGINT) AS tag, COUNT(*) AS value, CAST(NULL AS TEXT) AS number \
             FROM verification_attempts WHERE id = $1 \
             UNION ALL SELECT 1, COUNT(*), NULL FROM verification_attempts \
             WHERE kind = 'send' AND counts AND trust_validation = $2 \
             UNION ALL SELECT 2, started_at_ns, NULL FROM verification_attempts WHERE ",
            counted_sends_to!($column, "$3", "$4"),
            " UNION ALL SELECT 3, started_at_ns, COALESCE(phone_e164, phone_digest) \
             FROM verification_attempts WHERE kind = 'send' AND counts AND number_range = $5 \
             AND started_at_ns > $6 \
             UNION ALL SELECT 4, COUNT(*), NULL FROM recent \
             UNION ALL SELECT 5, CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 \
             FROM verification_attempts AS checks WHERE checks.send_id = recent.id \
             AND checks.kind = 'check' AND checks.verdict = 'verified') THEN 1 ELSE 0 END), 0) \
             AS BIGINT), NULL FROM recent \
             UNION ALL SELECT 6, started_at_ns, NULL FROM verification_attempts \
             WHERE kind = 'send' AND counts AND client_digest = $12 AND started_at_ns > $13 \
             UNION ALL SELECT 7, COUNT(*), NULL FROM verification_attempts \
             WHERE kind = 'send' AND counts AND calling_code = $14 AND started_at_ns > $15"
        )
    };
}

/// What a send's reservation reads, in one statement (a statement each was a round trip each
/// inside the reservation's transaction: the guards against pumping on separate statements
/// cost the SQL rows of the benchmark a third of their throughput): rows of (tag, value,
/// number), the tag saying which part of the statement the row is from, each part searching
/// its own index, a part whose key is `NULL` reading nothing.
///
/// - [`GUARD_ID_STORED`]: how many attempts have the new id (`$1`, primary key);
/// - [`GUARD_OF_TRUST_VALIDATION`]: how many counted sends the trust validation (`$2`) has
///   (`verification_attempts_counted_sends_by_trust_validation`);
/// - [`GUARD_OF_NUMBER`], a row each: the start of each counted send to the number (`$3`)
///   after the guards' horizon (`$4`) (`verification_attempts_counted_sends_by_number`, or
///   `_by_digest`);
/// - [`GUARD_OF_RANGE`], a row each: the start and the number (the E.164 form in clear, else
///   the digest) of each counted send to the range `$5` after `$6`, what the guard of ranges
///   counts distinct numbers in (`verification_attempts_counted_sends_by_range`);
/// - [`GUARD_SAMPLED`] and [`GUARD_SAMPLED_VERIFIED`]: what the conversion breaker reads, the
///   latest `$11` counted sends started after `$9` and not after `$10` to the country of
///   calling code `$7` (`verification_attempts_counted_sends_by_country`, read backwards) or
///   to the prefix `$8` (`verification_attempts_counted_sends_by_prefix`), one of the two
///   `NULL`, and how many of them a check verified (`verification_attempts_checks_by_send`,
///   one search a send): at most `$11` entries of each, however busy the country;
/// - [`GUARD_OF_CLIENT`], a row each: the start of each counted send from the client of
///   digest `$12` after `$13` (`verification_attempts_counted_sends_by_client`);
/// - [`GUARD_OF_COUNTRY`]: how many counted sends the country of calling code `$14` had
///   after `$15`, what its budget has spent (`verification_attempts_counted_sends_by_country`;
///   `$14` is `NULL` unless the country has a budget).
pub(crate) const SEND_GUARDS_BY_NUMBER: &str = send_guards!("phone_e164");

/// [`SEND_GUARDS_BY_NUMBER`] for a protected number, by one of its digests ($3).
pub(crate) const SEND_GUARDS_BY_DIGEST: &str = send_guards!("phone_digest");

/// The tags of [`SEND_GUARDS_BY_NUMBER`]'s rows.
pub(crate) const GUARD_ID_STORED: i64 = 0;
/// See [`GUARD_ID_STORED`].
pub(crate) const GUARD_OF_TRUST_VALIDATION: i64 = 1;
/// See [`GUARD_ID_STORED`].
pub(crate) const GUARD_OF_NUMBER: i64 = 2;
/// See [`GUARD_ID_STORED`].
pub(crate) const GUARD_OF_RANGE: i64 = 3;
/// See [`GUARD_ID_STORED`].
pub(crate) const GUARD_SAMPLED: i64 = 4;
/// See [`GUARD_ID_STORED`].
pub(crate) const GUARD_SAMPLED_VERIFIED: i64 = 5;
/// See [`GUARD_ID_STORED`].
pub(crate) const GUARD_OF_CLIENT: i64 = 6;
/// See [`GUARD_ID_STORED`].
pub(crate) const GUARD_OF_COUNTRY: i64 = 7;

/// How many counted checks a send has: the guard of a check.
/// Index `verification_attempts_checks_by_send`.
pub(crate) const COUNT_COUNTED_CHECKS_OF_SEND: &str = "SELECT COUNT(*) FROM verification_attempts \
     WHERE kind = 'check' AND counts AND send_id = $1";

/// Every check of a send (`$1`) and every check of a trust validation (`$2`), whatever their
/// outcome, in one statement: rows of (tag, value), tag [`CHECKS_OF_SEND`] or
/// [`CHECKS_OF_TRUST_VALIDATION`]. Indexes `verification_attempts_checks_by_send` and
/// `verification_attempts_by_trust_validation`.
pub(crate) const CHECK_TOTALS: &str = "SELECT CAST(0 AS BIGINT) AS tag, COUNT(*) AS value \
     FROM verification_attempts WHERE send_id = $1 AND kind = 'check' \
     UNION ALL SELECT 1, COUNT(*) FROM verification_attempts \
     WHERE trust_validation = $2 AND kind = 'check'";

/// The tags of [`CHECK_TOTALS`]'s rows.
pub(crate) const CHECKS_OF_SEND: i64 = 0;
/// See [`CHECKS_OF_SEND`].
pub(crate) const CHECKS_OF_TRUST_VALIDATION: i64 = 1;

/// The database server's clock, in nanoseconds since the epoch (microsecond precision): the
/// one clock every PostgreSQL instance shares. PostgreSQL only.
#[cfg(feature = "postgres")]
pub(crate) const SERVER_NOW_NS: &str =
    "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT) * 1000";

/// Whether a store holds protected numbers: a count above zero when it recorded a number
/// key, or holds a row with a digest (protected before keys were recorded). Primary key of
/// `verification_number_keys`; index `verification_attempts_by_digest`.
pub(crate) const IS_PROTECTED: &str = "SELECT (SELECT COUNT(*) FROM verification_number_keys) \
     + (SELECT COUNT(*) FROM (SELECT 1 FROM verification_attempts \
     WHERE phone_digest IS NOT NULL LIMIT 1) AS any_protected)";

/// Records a number key's id (`$1`) and fingerprint (`$2`), unless the id is known.
pub(crate) const RECORD_NUMBER_KEY: &str = "INSERT INTO verification_number_keys \
     (key_id, fingerprint) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING";

/// The fingerprint recorded for a number key id (`$1`).
pub(crate) const NUMBER_KEY_FINGERPRINT: &str =
    "SELECT fingerprint FROM verification_number_keys WHERE key_id = $1";

/// A new attempt, in flight.
pub(crate) const INSERT_IN_FLIGHT: &str = "INSERT INTO verification_attempts \
     (id, kind, phone_e164, trust_flow, trust_validation, send_id, reference, started_at_ns, \
     provider, phone_digest, phone_key, phone_masked, channel, calling_code, number_range, \
     client_digest, number_prefix, counts) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, TRUE)";

/// The update of [`FINISH_COUNTED`] and [`FINISH_NOT_COUNTED`], `$counts` what it sets of
/// `counts`.
macro_rules! finish {
    ($counts:literal) => {
        concat!(
            "UPDATE verification_attempts SET \
             finished_at_ns = $3, outcome = $4, error_class = $5, refusal_reason = $6, \
             retry_after_ns = $7, verdict = $8, status = $9, status_code = $10, ",
            $counts,
            "reference = COALESCE($11, reference), submitted_at_ns = $12 \
             WHERE id = $1 AND kind = $2 AND outcome IS NULL RETURNING ",
            attempt_columns!()
        )
    };
}

/// Records the outcome of an attempt of kind `$2` still in flight, one that still counts
/// against the guards, and returns the row as written (none when nothing was in flight), so
/// finishing a check needs no second read. Primary key.
///
/// It leaves `counts` as it is (an attempt in flight counts: [`INSERT_IN_FLIGHT`] writes it
/// `TRUE` and nothing changes it before the outcome): SQLite rewrites the entry of every
/// index whose condition names a column the `UPDATE` sets, whatever the value, and `counts`
/// is in the condition of the seven partial indexes of counted attempts. Setting it to the
/// `TRUE` it already was doubled the time of a send's finish (32 µs to 64 µs a row on a
/// table of 20,000 sends, `docs/performance.md`).
pub(crate) const FINISH_COUNTED: &str = finish!("");

/// [`FINISH_COUNTED`] for an outcome that no longer counts (nothing was delivered, the
/// provider never had the check): `counts` set to `FALSE`, which takes the row out of the
/// partial indexes of counted attempts. Primary key.
pub(crate) const FINISH_NOT_COUNTED: &str = finish!("counts = FALSE, ");

/// The attempt with this id. Primary key.
pub(crate) const ATTEMPT: &str = concat!(
    "SELECT ",
    attempt_columns!(),
    " FROM verification_attempts WHERE id = $1"
);

/// The send of a trust validation with a reference (`$2`): the send a check's answer names.
/// Sends that share a reference delivered one code (a provider whose resend re-sends it): the
/// newest of them, the current one.
/// Index `verification_attempts_by_trust_validation`.
pub(crate) const SEND_OF_TRUST_VALIDATION_WITH_REFERENCE: &str = concat!(
    "SELECT ",
    attempt_columns!(),
    " FROM verification_attempts WHERE trust_validation = $1 AND kind = 'send' \
     AND reference = $2 ORDER BY started_at_ns DESC, id DESC LIMIT 1"
);

/// Moves a check (`$1`) to the send (`$2`) its answer named. Primary key.
pub(crate) const MOVE_CHECK: &str =
    "UPDATE verification_attempts SET send_id = $2 WHERE id = $1 AND kind = 'check'";

/// Closes a send (`$1`) still in flight as sent with the reference (`$2`) a check's answer
/// named, at `$3`. Primary key.
pub(crate) const CLOSE_SEND_FROM_CHECK: &str = "UPDATE verification_attempts SET \
     outcome = 'sent', reference = $2, finished_at_ns = $3, counts = TRUE \
     WHERE id = $1 AND kind = 'send' AND outcome IS NULL";

/// Completes a send a check closed as sent with the provider's submit time (`$2`), once the
/// send's own receipt arrives. Primary key.
pub(crate) const COMPLETE_SEND_CLOSED_BY_CHECK: &str = "UPDATE verification_attempts SET \
     submitted_at_ns = $2 \
     WHERE id = $1 AND kind = 'send' AND outcome = 'sent' AND submitted_at_ns IS NULL";

/// The kind of an attempt and whether it is finished, to explain a refused [`FINISH`].
pub(crate) const KIND_AND_FINISHED: &str = "SELECT kind, outcome IS NOT NULL AS finished \
     FROM verification_attempts WHERE id = $1";

/// The counted sends of a trust validation: those a check may go to. No more than the cap
/// per trust validation lets through.
/// Index `verification_attempts_counted_sends_by_trust_validation`.
pub(crate) const COUNTED_SENDS_OF_TRUST_VALIDATION: &str = concat!(
    "SELECT ",
    attempt_columns!(),
    " FROM verification_attempts WHERE kind = 'send' AND counts AND trust_validation = $1"
);

/// A page of history, newest first: the attempts matching `$where` (with `$2` the page size
/// plus one).
macro_rules! history_page {
    ($where:literal) => {
        concat!(
            "SELECT ",
            attempt_columns!(),
            " FROM verification_attempts WHERE ",
            $where,
            " ORDER BY started_at_ns DESC, id DESC LIMIT $2"
        )
    };
}

/// The first page of a number's history. Index `verification_attempts_by_number`.
pub(crate) const HISTORY_OF_NUMBER: &str = history_page!("phone_e164 = $1");

/// A later page of a number's history, after the cursor `($3, $4)`.
/// Index `verification_attempts_by_number`.
pub(crate) const HISTORY_OF_NUMBER_AFTER: &str =
    history_page!("phone_e164 = $1 AND (started_at_ns, id) < ($3, $4)");

/// The first page of a protected number's history, by one of its digests.
/// Index `verification_attempts_by_digest`.
pub(crate) const HISTORY_OF_DIGEST: &str = history_page!("phone_digest = $1");

/// A later page of a protected number's history, after the cursor `($3, $4)`.
/// Index `verification_attempts_by_digest`.
pub(crate) const HISTORY_OF_DIGEST_AFTER: &str =
    history_page!("phone_digest = $1 AND (started_at_ns, id) < ($3, $4)");

/// The first page of a trust validation's history.
/// Index `verification_attempts_by_trust_validation`.
pub(crate) const HISTORY_OF_TRUST_VALIDATION: &str = history_page!("trust_validation = $1");

/// A later page of a trust validation's history, after the cursor `($3, $4)`.
/// Index `verification_attempts_by_trust_validation`.
pub(crate) const HISTORY_OF_TRUST_VALIDATION_AFTER: &str =
    history_page!("trust_validation = $1 AND (started_at_ns, id) < ($3, $4)");

/// Whether the trust validation in the column `$tv` is settled before the cutoff `$1`: none
/// of its attempts in flight, none finished at or after the cutoff. Two index searches, each
/// reading at most one entry however many attempts the trust validation holds:
/// `verification_attempts_in_flight_by_trust_validation` (`trust_validation`, of the attempts
/// in flight) and `verification_attempts_finished_by_trust_validation` (`trust_validation,
/// finished_at_ns`, of the finished ones) from the cutoff on. (A first version had one
/// `NOT EXISTS` with an `OR` of the two over the index by start time: a walk of all the trust
/// validation's attempts for each attempt walked, which made the purge quadratic.)
///
/// `LIMIT 1 OFFSET 0` keeps each an index search per row on PostgreSQL: without the `OFFSET`
/// its planner may turn a `NOT EXISTS` into a hashed subplan or an anti-join over every row
/// finished since the cutoff (a scan of most of the table, once a batch), which it did on a
/// table of 100,000 rows. SQLite searches either way.
macro_rules! settled_before_cutoff {
    ($tv:literal) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM verification_attempts AS live WHERE live.trust_validation = ",
            $tv,
            " AND live.finished_at_ns IS NULL LIMIT 1 OFFSET 0) AND NOT EXISTS (SELECT 1 FROM \
             verification_attempts AS late WHERE late.trust_validation = ",
            $tv,
            " AND late.finished_at_ns >= $1 LIMIT 1 OFFSET 0)"
        )
    };
}

/// One batch's walk of a purge before the cutoff `$1`: the next `$4` attempts finished before
/// it, after the position `($2, $3)` (finish time, trust validation), in that order, each with
/// its position and whether its trust validation is settled (1) or still in use (0). Run
/// outside any write, so that walking past trust validations in use takes no lock, and
/// planned for its parameters each time (`persistent(false)`): PostgreSQL's generic plan of it
/// reads and sorts the whole range after the position instead of the first `$4` entries.
/// Indexes `verification_attempts_by_finish` (the walk, a range of the index alone) and
/// the two searches of `settled_before_cutoff!` per attempt walked.
pub(crate) const PURGE_WALK: &str = concat!(
    "SELECT finished_at_ns, trust_validation, CASE WHEN ",
    settled_before_cutoff!("verification_attempts.trust_validation"),
    " THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END AS settled \
     FROM verification_attempts WHERE finished_at_ns IS NOT NULL AND finished_at_ns < $1 \
     AND (finished_at_ns, trust_validation) > ($2, $3) \
     ORDER BY finished_at_ns, trust_validation LIMIT $4"
);

/// One batch's delete, of every attempt of the trust validations `$list` names that is
/// settled before the cutoff `$1`, checked again here, in the write: whole trust validations,
/// in one statement, so that a trust validation that got an attempt since the walk keeps
/// all of its attempts. `$list` reads the JSON array of trust validation ids `$2` (the
/// settled ones the walk met). Returns 1 for each send deleted and 0 for each check.
macro_rules! purge_delete {
    ($list:literal) => {
        concat!(
            "DELETE FROM verification_attempts WHERE trust_validation ",
            $list,
            " AND ",
            settled_before_cutoff!("verification_attempts.trust_validation"),
            " RETURNING CASE WHEN kind = 'send' THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END"
        )
    };
}

/// A purge batch's delete on SQLite (`purge_delete!`), the list read by `json_each`. Indexes
/// `verification_attempts_by_trust_validation` (the attempts of each trust validation
/// listed), the two of `settled_before_cutoff!` for each, and
/// `verification_attempts_checks_by_send` (the foreign key of each send deleted).
#[cfg(feature = "sqlite")]
pub(crate) const PURGE_DELETE_SQLITE: &str = purge_delete!("IN (SELECT value FROM json_each($2))");

/// A purge batch's delete on PostgreSQL (`purge_delete!`), the list read into an array
/// once, so that every plan (generic ones too) searches the index for `= ANY` of it rather
/// than join it to a scan of the table. Indexes as [`PURGE_DELETE_SQLITE`].
#[cfg(feature = "postgres")]
pub(crate) const PURGE_DELETE_POSTGRES: &str =
    purge_delete!("= ANY(ARRAY(SELECT jsonb_array_elements_text(CAST($2 AS JSONB))))");

/// How many attempts of kind `$kind` a purge before `$1` would delete (its dry run): those
/// finished before the cutoff whose trust validation is settled before it. The range of
/// `verification_attempts_by_finish` before the cutoff, and the two searches of
/// `settled_before_cutoff!` per attempt in it.
macro_rules! count_purgeable {
    ($kind:literal) => {
        concat!(
            "SELECT COUNT(*) FROM verification_attempts AS a WHERE a.kind = '",
            $kind,
            "' AND a.finished_at_ns IS NOT NULL AND a.finished_at_ns < $1 AND ",
            settled_before_cutoff!("a.trust_validation")
        )
    };
}

/// How many checks a purge before `$1` would delete.
pub(crate) const COUNT_PURGEABLE_CHECKS: &str = count_purgeable!("check");

/// How many sends a purge before `$1` would delete.
pub(crate) const COUNT_PURGEABLE_SENDS: &str = count_purgeable!("send");

/// Closes the attempts of kind `$3` still in flight that started before `$1` as abandoned,
/// finished at `$2`: outcome unknown, class `abandoned`, still counted.
/// Index `verification_attempts_in_flight`.
pub(crate) const CLOSE_ABANDONED: &str = "UPDATE verification_attempts SET \
     finished_at_ns = $2, outcome = 'outcome_unknown', error_class = 'abandoned', counts = TRUE \
     WHERE finished_at_ns IS NULL AND started_at_ns < $1 AND kind = $3";

/// The query of [`CLEAR_NUMBERS_SQLITE`] and [`CLEAR_NUMBERS_POSTGRES`], up to its locking.
macro_rules! clear_numbers {
    () => {
        "SELECT id, phone_e164, number_range FROM verification_attempts \
         WHERE phone_e164 IS NOT NULL ORDER BY phone_e164 LIMIT $1"
    };
}

/// At most `$1` attempts that keep their number in clear, with it and their range: a batch of
/// the conversion to protected numbers. SQLite has one writer at a time, so two conversions
/// never hold rows at once. Index `verification_attempts_by_number`.
#[cfg(feature = "sqlite")]
pub(crate) const CLEAR_NUMBERS_SQLITE: &str = clear_numbers!();

/// [`CLEAR_NUMBERS_SQLITE`] on PostgreSQL, each row locked as it is read and the rows another
/// transaction holds skipped: a batch then updates only rows it already holds, so two
/// conversions at once never wait for each other. Read unlocked, both read the same rows and
/// their updates took them in different orders: a deadlock, reported as the store failing
/// (CI, stop 32). Index `verification_attempts_by_number`.
#[cfg(feature = "postgres")]
pub(crate) const CLEAR_NUMBERS_POSTGRES: &str =
    concat!(clear_numbers!(), " FOR UPDATE SKIP LOCKED");

/// Which rows keep their number protected but its range in clear (`+601822584**`): the rows a
/// conversion of the first version left so (it converted the number only, and the prefix with
/// the masked form's last digits is the whole number). A range in clear starts with `+`, a
/// keyed one with its key's id, which never does. The condition of the index
/// `verification_attempts_clear_ranges` (migration 0013), written alike in every statement
/// that must search it.
macro_rules! clear_ranges {
    () => {
        "phone_key IS NOT NULL AND substr(number_range, 1, 1) = '+'"
    };
}

/// The query of [`CLEAR_RANGES_SQLITE`] and [`CLEAR_RANGES_POSTGRES`], up to its locking.
macro_rules! clear_ranges_query {
    () => {
        concat!(
            "SELECT id, phone_e164, number_range FROM verification_attempts WHERE ",
            clear_ranges!(),
            " ORDER BY id LIMIT $1"
        )
    };
}

/// At most `$1` attempts that keep their number protected but their range in clear, with it:
/// what a conversion batch converts once no number is left in clear. Index
/// `verification_attempts_clear_ranges`.
#[cfg(feature = "sqlite")]
pub(crate) const CLEAR_RANGES_SQLITE: &str = clear_ranges_query!();

/// [`CLEAR_RANGES_SQLITE`] on PostgreSQL, locking and skipping as [`CLEAR_NUMBERS_POSTGRES`].
/// Index `verification_attempts_clear_ranges`.
#[cfg(feature = "postgres")]
pub(crate) const CLEAR_RANGES_POSTGRES: &str =
    concat!(clear_ranges_query!(), " FOR UPDATE SKIP LOCKED");

/// How many attempts keep their number, or their number's range, in clear. Indexes
/// `verification_attempts_by_number` and `verification_attempts_clear_ranges`.
pub(crate) const COUNT_CLEAR_NUMBERS: &str = concat!(
    "SELECT (SELECT COUNT(*) FROM verification_attempts WHERE phone_e164 IS NOT NULL) \
     + (SELECT COUNT(*) FROM verification_attempts WHERE ",
    clear_ranges!(),
    ")"
);

/// A conversion batch's update on SQLite: what the batch's rows keep in clear replaced with
/// its protected form, in one statement. `$1` is a JSON array of rows `[id in 32 hex digits,
/// the number in clear, digest, key id, masked form, the range in clear, the protected
/// range]`, read by `json_each`, where an empty string is "none": a number in clear becomes
/// its digest, key id and masked form, a range in clear its keyed digest, and a prefix in clear
/// (the breaker's, migration 0015) is emptied: the breaker forgets those sends, for one
/// window at most, rather than keep a prefix beside the masked form. A row is converted
/// unless another conversion got there first (its number or range is no longer the one read).
/// Primary key, once per row.
#[cfg(feature = "sqlite")]
pub(crate) const PROTECT_NUMBERS_SQLITE: &str = "UPDATE verification_attempts SET \
     phone_e164 = NULL, \
     phone_digest = COALESCE(NULLIF(json_extract(c.value, '$[2]'), ''), phone_digest), \
     phone_key = COALESCE(NULLIF(json_extract(c.value, '$[3]'), ''), phone_key), \
     phone_masked = COALESCE(NULLIF(json_extract(c.value, '$[4]'), ''), phone_masked), \
     number_range = COALESCE(NULLIF(json_extract(c.value, '$[6]'), ''), number_range), \
     number_prefix = CASE WHEN substr(number_prefix, 1, 1) = '+' THEN NULL \
     ELSE number_prefix END \
     FROM json_each($1) AS c \
     WHERE verification_attempts.id = unhex(json_extract(c.value, '$[0]')) \
     AND COALESCE(verification_attempts.phone_e164, '') = json_extract(c.value, '$[1]') \
     AND COALESCE(verification_attempts.number_range, '') = json_extract(c.value, '$[5]')";

/// A conversion batch's update on PostgreSQL, as [`PROTECT_NUMBERS_SQLITE`], the rows read by
/// `jsonb_array_elements`. Primary key, once per row.
#[cfg(feature = "postgres")]
pub(crate) const PROTECT_NUMBERS_POSTGRES: &str = "UPDATE verification_attempts SET \
     phone_e164 = NULL, \
     phone_digest = COALESCE(NULLIF(c.value ->> 2, ''), phone_digest), \
     phone_key = COALESCE(NULLIF(c.value ->> 3, ''), phone_key), \
     phone_masked = COALESCE(NULLIF(c.value ->> 4, ''), phone_masked), \
     number_range = COALESCE(NULLIF(c.value ->> 6, ''), number_range), \
     number_prefix = CASE WHEN substr(number_prefix, 1, 1) = '+' THEN NULL \
     ELSE number_prefix END \
     FROM jsonb_array_elements(CAST($1 AS JSONB)) AS c(value) \
     WHERE verification_attempts.id = CAST(c.value ->> 0 AS UUID) \
     AND COALESCE(verification_attempts.phone_e164, '') = c.value ->> 1 \
     AND COALESCE(verification_attempts.number_range, '') = c.value ->> 5";
