/* omni--0.1.0.sql: the install script of the released 0.1.0, frozen (later versions install from the src/ declaration files) */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION omni" to load this file. \quit

-- ---------------------------------------------------------------------------------------
-- omni.rate: hits out of trials, the partial state of every open/click/conversion rate
-- (src/rate.c)
-- ---------------------------------------------------------------------------------------

CREATE TYPE @extschema@.rate;

CREATE FUNCTION @extschema@.rate_in(cstring) RETURNS @extschema@.rate
    AS 'MODULE_PATHNAME', 'rate_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rate_out(@extschema@.rate) RETURNS cstring
    AS 'MODULE_PATHNAME', 'rate_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rate_recv(internal) RETURNS @extschema@.rate
    AS 'MODULE_PATHNAME', 'rate_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rate_send(@extschema@.rate) RETURNS bytea
    AS 'MODULE_PATHNAME', 'rate_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.rate (
    INPUT = @extschema@.rate_in,
    OUTPUT = @extschema@.rate_out,
    RECEIVE = @extschema@.rate_recv,
    SEND = @extschema@.rate_send,
    INTERNALLENGTH = 16,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE @extschema@.rate IS
    'hits out of trials (text form hits/trials, e.g. 12/340): a mergeable partial state of a proportion';

CREATE FUNCTION @extschema@.rate(hits bigint, trials bigint) RETURNS @extschema@.rate
    AS 'MODULE_PATHNAME', 'rate_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rate(bigint, bigint) IS 'the rate hits/trials, checking 0 <= hits <= trials';

CREATE FUNCTION @extschema@.rate_eq(@extschema@.rate, @extschema@.rate) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rate_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rate_ne(@extschema@.rate, @extschema@.rate) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rate_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rate_add(@extschema@.rate, @extschema@.rate) RETURNS @extschema@.rate
    AS 'MODULE_PATHNAME', 'rate_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR @extschema@.= (
    LEFTARG = @extschema@.rate, RIGHTARG = @extschema@.rate,
    FUNCTION = @extschema@.rate_eq,
    COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>),
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel,
    HASHES
);
CREATE OPERATOR @extschema@.<> (
    LEFTARG = @extschema@.rate, RIGHTARG = @extschema@.rate,
    FUNCTION = @extschema@.rate_ne,
    COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=),
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
-- Equality is hashable, so GROUP BY, DISTINCT and UNION work on omni.rate columns.  There
-- is deliberately no ordering: no order of rates is both total and meaningful.
CREATE FUNCTION @extschema@.rate_hash(@extschema@.rate) RETURNS integer
    AS 'MODULE_PATHNAME', 'rate_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OPERATOR CLASS @extschema@.rate_hash_ops
    DEFAULT FOR TYPE @extschema@.rate USING hash AS
        OPERATOR 1 @extschema@.= (@extschema@.rate, @extschema@.rate),
        FUNCTION 1 @extschema@.rate_hash(@extschema@.rate);

CREATE OPERATOR @extschema@.+ (
    LEFTARG = @extschema@.rate, RIGHTARG = @extschema@.rate,
    FUNCTION = @extschema@.rate_add,
    COMMUTATOR = OPERATOR(@extschema@.+)
);

-- Aggregates.  The transition functions are STRICT and start from '0/0', so NULL inputs are
-- skipped and an aggregate over no rows returns 0/0 (whose value() is NULL), like count().
CREATE FUNCTION @extschema@.rate_agg_trans(@extschema@.rate, boolean) RETURNS @extschema@.rate
    AS 'MODULE_PATHNAME', 'rate_agg_trans' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rate_agg_trans(@extschema@.rate, bigint, bigint) RETURNS @extschema@.rate
    AS 'MODULE_PATHNAME', 'rate_agg_counts_trans' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rate_rollup_trans(@extschema@.rate, @extschema@.rate) RETURNS @extschema@.rate
    AS 'MODULE_PATHNAME', 'rate_rollup_trans' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.rate_agg(hit boolean) (
    SFUNC = @extschema@.rate_agg_trans,
    STYPE = @extschema@.rate,
    COMBINEFUNC = @extschema@.rate_add,
    INITCOND = '0/0',
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rate_agg(boolean) IS
    'rows with hit true or false are trials, true ones are hits; NULL is not counted';

CREATE AGGREGATE @extschema@.rate_agg(hits bigint, trials bigint) (
    SFUNC = @extschema@.rate_agg_trans,
    STYPE = @extschema@.rate,
    COMBINEFUNC = @extschema@.rate_add,
    INITCOND = '0/0',
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rate_agg(bigint, bigint) IS
    'sums pre-counted hits and trials into a rate; a row with either NULL is not counted';

CREATE AGGREGATE @extschema@.rollup(@extschema@.rate) (
    SFUNC = @extschema@.rate_rollup_trans,
    STYPE = @extschema@.rate,
    COMBINEFUNC = @extschema@.rate_add,
    INITCOND = '0/0',
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.rate) IS
    'merges partial states: daily states roll up to exactly the figures computed from raw rows';

-- Accessors
CREATE FUNCTION @extschema@.hits(@extschema@.rate) RETURNS bigint
    AS 'MODULE_PATHNAME', 'rate_hits' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.trials(@extschema@.rate) RETURNS bigint
    AS 'MODULE_PATHNAME', 'rate_trials' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.value(@extschema@.rate) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rate_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.value(@extschema@.rate) IS 'hits / trials; NULL when there are no trials';

CREATE FUNCTION @extschema@.ci_lower(rate @extschema@.rate, confidence double precision DEFAULT 0.95)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'rate_ci_lower' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ci_lower(@extschema@.rate, double precision) IS
    'lower bound of the Wilson score interval; NULL when there are no trials';
CREATE FUNCTION @extschema@.ci_upper(rate @extschema@.rate, confidence double precision DEFAULT 0.95)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'rate_ci_upper' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ci_upper(@extschema@.rate, double precision) IS
    'upper bound of the Wilson score interval; NULL when there are no trials';

CREATE FUNCTION @extschema@.p_value(a @extschema@.rate, b @extschema@.rate) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rate_p_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.p_value(@extschema@.rate, @extschema@.rate) IS
    'two-sided pooled two-proportion z-test; NULL when either rate has no trials';
CREATE FUNCTION @extschema@.fisher_p_value(a @extschema@.rate, b @extschema@.rate) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rate_fisher_p_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fisher_p_value(@extschema@.rate, @extschema@.rate) IS
    'two-sided Fisher exact test, for small counts; NULL when either rate has no trials';

CREATE FUNCTION @extschema@.shrink(rate @extschema@.rate, prior @extschema@.rate) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rate_shrink' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.shrink(@extschema@.rate, @extschema@.rate) IS
    'posterior mean under a Beta(prior hits, prior misses) prior: (hits + a) / (trials + a + b)';
CREATE FUNCTION @extschema@.shrink(rate @extschema@.rate, prior_mean double precision,
                                   prior_strength double precision) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rate_shrink_mean' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.shrink(@extschema@.rate, double precision, double precision) IS
    'posterior mean under a Beta prior with this mean and this many pseudo-trials';

CREATE TYPE @extschema@.rate_summary AS (
    hits bigint,
    trials bigint,
    value double precision,
    ci_lower double precision,
    ci_upper double precision
);
COMMENT ON TYPE @extschema@.rate_summary IS 'the figures of an omni.rate as flat columns for BI tools';

CREATE FUNCTION @extschema@.summary(rate @extschema@.rate, confidence double precision DEFAULT 0.95)
    RETURNS @extschema@.rate_summary
    AS 'MODULE_PATHNAME', 'rate_summary' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.summary(@extschema@.rate, double precision) IS
    'hits, trials, value and the Wilson interval of a rate, as one row: (omni.summary(state)).*';

-- ---------------------------------------------------------------------------------------
-- Cohorts: period numbers and the gap-filled cohort x period grid (src/cohort.c)
-- ---------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.cohort_period(cohort_start timestamptz, at timestamptz, period interval)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'cohort_period_session' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_period(timestamptz, timestamptz, interval) IS
    'whole periods from cohort_start to at (0-based, calendar-correct, in the session time zone)';

CREATE FUNCTION @extschema@.cohort_period(cohort_start timestamptz, at timestamptz, period interval,
                                          time_zone text)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'cohort_period_zone' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_period(timestamptz, timestamptz, interval, text) IS
    'whole periods from cohort_start to at (0-based, calendar-correct, in the given time zone)';

CREATE FUNCTION @extschema@.cohort_grid(first_cohort timestamptz, last_cohort timestamptz,
                                        cohort_interval interval, period interval, as_of timestamptz)
    RETURNS TABLE (cohort_start timestamptz, period_number integer, period_start timestamptz,
                   period_end timestamptz, observable boolean, complete boolean)
    AS 'MODULE_PATHNAME', 'cohort_grid_session' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION @extschema@.cohort_grid(timestamptz, timestamptz, interval, interval, timestamptz) IS
    'every cohort x period cell before as_of (exclusive); observable = the period has started, complete = it has ended';

CREATE FUNCTION @extschema@.cohort_grid(first_cohort timestamptz, last_cohort timestamptz,
                                        cohort_interval interval, period interval, as_of timestamptz,
                                        time_zone text)
    RETURNS TABLE (cohort_start timestamptz, period_number integer, period_start timestamptz,
                   period_end timestamptz, observable boolean, complete boolean)
    AS 'MODULE_PATHNAME', 'cohort_grid_zone' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION @extschema@.cohort_grid(timestamptz, timestamptz, interval, interval, timestamptz, text) IS
    'every cohort x period cell up to as_of in the given time zone; observable and complete as above';

-- ---------------------------------------------------------------------------------------
-- Email events: machine-open and bot-click heuristics, and message_outcome, the aggregate
-- that turns a raw event log into one row per message (src/events.c)
-- ---------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.is_machine_open(user_agent text, opened_at timestamptz,
                                            delivered_at timestamptz,
                                            esp_machine_flag boolean DEFAULT NULL,
                                            min_human_delay interval DEFAULT '2 seconds')
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'events_is_machine_open' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_machine_open(text, timestamptz, timestamptz, boolean, interval) IS
    'true for an open by a privacy proxy, security scanner or script: ESP flag, known agent, or sooner than min_human_delay after delivery; NULL when opened_at is NULL';

CREATE FUNCTION @extschema@.is_bot_click(user_agent text, clicked_at timestamptz,
                                         delivered_at timestamptz,
                                         previous_click_at timestamptz DEFAULT NULL,
                                         min_human_delay interval DEFAULT '2 seconds',
                                         burst_window interval DEFAULT '2 seconds')
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'events_is_bot_click' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_bot_click(text, timestamptz, timestamptz, timestamptz, interval, interval) IS
    'true for a click by a link scanner or script: known agent, sooner than min_human_delay after delivery, or within burst_window of previous_click_at; NULL when clicked_at is NULL';

-- omni.message_state: the partial state of message_outcome.  Text form: \x and the binary
-- form in hex.
CREATE TYPE @extschema@.message_state;

CREATE FUNCTION @extschema@.message_state_in(cstring) RETURNS @extschema@.message_state
    AS 'MODULE_PATHNAME', 'message_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.message_state_out(@extschema@.message_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'message_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.message_state_recv(internal) RETURNS @extschema@.message_state
    AS 'MODULE_PATHNAME', 'message_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.message_state_send(@extschema@.message_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'message_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.message_state (
    INPUT = @extschema@.message_state_in,
    OUTPUT = @extschema@.message_state_out,
    RECEIVE = @extschema@.message_state_recv,
    SEND = @extschema@.message_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.message_state IS
    'partial state of omni.message_outcome: what a message''s events have shown so far (mergeable with omni.rollup)';

CREATE TYPE @extschema@.message_outcome AS (
    sent boolean,
    delivered boolean,
    bounced boolean,
    opened boolean,
    human_opened boolean,
    machine_opened boolean,
    clicked boolean,
    human_clicked boolean,
    converted boolean,
    replied boolean,
    unsubscribed boolean,
    complained boolean,
    first_delivered_at timestamptz,
    first_human_open_at timestamptz,
    first_human_click_at timestamptz,
    opens bigint,
    human_opens bigint,
    clicks bigint,
    human_clicks bigint
);
COMMENT ON TYPE @extschema@.message_outcome IS
    'one message''s outcome: which events happened, whether a person (not a proxy or scanner) opened or clicked, first times and counts';

-- Support functions.  Not strict: they skip rows with a NULL event_type or occurred_at
-- themselves, and start from a NULL state (no rows yet).
CREATE FUNCTION @extschema@.message_state_trans(@extschema@.message_state, text, timestamptz, text)
    RETURNS @extschema@.message_state
    AS 'MODULE_PATHNAME', 'message_state_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.message_state_trans(@extschema@.message_state, text, timestamptz, text, boolean)
    RETURNS @extschema@.message_state
    AS 'MODULE_PATHNAME', 'message_state_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.message_state_combine(@extschema@.message_state, @extschema@.message_state)
    RETURNS @extschema@.message_state
    AS 'MODULE_PATHNAME', 'message_state_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.message_state_final(@extschema@.message_state)
    RETURNS @extschema@.message_state
    AS 'MODULE_PATHNAME', 'message_state_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
-- the aggregate's final function: no rows give the outcome of no events, not NULL
CREATE FUNCTION @extschema@.message_outcome_final(@extschema@.message_state)
    RETURNS @extschema@.message_outcome
    AS 'MODULE_PATHNAME', 'message_outcome_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.message_outcome(event_type text, occurred_at timestamptz, user_agent text) (
    SFUNC = @extschema@.message_state_trans,
    STYPE = @extschema@.message_state,
    FINALFUNC = @extschema@.message_outcome_final,
    COMBINEFUNC = @extschema@.message_state_combine,
    SSPACE = 80,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.message_outcome(text, timestamptz, text) IS
    'one message''s outcome from its raw events (GROUP BY message): human vs machine opens and clicks, first times, counts';

CREATE AGGREGATE @extschema@.message_outcome(event_type text, occurred_at timestamptz, user_agent text,
                                             esp_machine_flag boolean) (
    SFUNC = @extschema@.message_state_trans,
    STYPE = @extschema@.message_state,
    FINALFUNC = @extschema@.message_outcome_final,
    COMBINEFUNC = @extschema@.message_state_combine,
    SSPACE = 80,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.message_outcome(text, timestamptz, text, boolean) IS
    'message_outcome with the ESP''s own machine flag: true marks that open or click as machine-made';

CREATE AGGREGATE @extschema@.message_state_agg(event_type text, occurred_at timestamptz, user_agent text) (
    SFUNC = @extschema@.message_state_trans,
    STYPE = @extschema@.message_state,
    FINALFUNC = @extschema@.message_state_final,
    COMBINEFUNC = @extschema@.message_state_combine,
    SSPACE = 80,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.message_state_agg(text, timestamptz, text) IS
    'the partial state behind message_outcome, to store (e.g. per day) and merge later with omni.rollup';

CREATE AGGREGATE @extschema@.message_state_agg(event_type text, occurred_at timestamptz, user_agent text,
                                               esp_machine_flag boolean) (
    SFUNC = @extschema@.message_state_trans,
    STYPE = @extschema@.message_state,
    FINALFUNC = @extschema@.message_state_final,
    COMBINEFUNC = @extschema@.message_state_combine,
    SSPACE = 80,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.message_state_agg(text, timestamptz, text, boolean) IS
    'message_state_agg with the ESP''s own machine flag';

CREATE AGGREGATE @extschema@.rollup(@extschema@.message_state) (
    SFUNC = @extschema@.message_state_combine,
    STYPE = @extschema@.message_state,
    FINALFUNC = @extschema@.message_state_final,
    COMBINEFUNC = @extschema@.message_state_combine,
    SSPACE = 80,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.message_state) IS
    'merges partial states of one message: daily states roll up to the state of all its events';

CREATE FUNCTION @extschema@.outcome(state @extschema@.message_state) RETURNS @extschema@.message_outcome
    AS 'MODULE_PATHNAME', 'message_outcome_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.outcome(@extschema@.message_state) IS
    'the message_outcome that a partial state stands for';
