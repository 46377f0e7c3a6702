-- ---------------------------------------------------------------------------------------
-- Customer-base models: BG/NBD, BG/BB and Gamma-Gamma fits, P(alive), expected events,
-- spend and lifetime value (src/btyd.c).  Reference: docs/btyd.md.
-- ---------------------------------------------------------------------------------------

-- omni.btyd_fit_state: the partial state of the fit aggregates, the distinct customer
-- patterns with their counts.  Text form: \x and the binary form in hex (patterns sorted).
CREATE TYPE @extschema@.btyd_fit_state;

CREATE FUNCTION @extschema@.btyd_fit_state_in(cstring) RETURNS @extschema@.btyd_fit_state
    AS 'MODULE_PATHNAME', 'btyd_fit_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.btyd_fit_state_out(@extschema@.btyd_fit_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'btyd_fit_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.btyd_fit_state_recv(internal) RETURNS @extschema@.btyd_fit_state
    AS 'MODULE_PATHNAME', 'btyd_fit_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.btyd_fit_state_send(@extschema@.btyd_fit_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'btyd_fit_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.btyd_fit_state (
    INPUT = @extschema@.btyd_fit_state_in,
    OUTPUT = @extschema@.btyd_fit_state_out,
    RECEIVE = @extschema@.btyd_fit_state_recv,
    SEND = @extschema@.btyd_fit_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.btyd_fit_state IS
    'partial state of omni.bgnbd_fit, omni.bgbb_fit and omni.gamma_gamma_fit: distinct customer patterns and their counts';

-- omni.btyd_summary_state: the partial state of btyd_summary and bgbb_summary (one customer).
CREATE TYPE @extschema@.btyd_summary_state;

CREATE FUNCTION @extschema@.btyd_summary_state_in(cstring) RETURNS @extschema@.btyd_summary_state
    AS 'MODULE_PATHNAME', 'btyd_summary_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.btyd_summary_state_out(@extschema@.btyd_summary_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'btyd_summary_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.btyd_summary_state_recv(internal) RETURNS @extschema@.btyd_summary_state
    AS 'MODULE_PATHNAME', 'btyd_summary_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.btyd_summary_state_send(@extschema@.btyd_summary_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'btyd_summary_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.btyd_summary_state (
    INPUT = @extschema@.btyd_summary_state_in,
    OUTPUT = @extschema@.btyd_summary_state_out,
    RECEIVE = @extschema@.btyd_summary_state_recv,
    SEND = @extschema@.btyd_summary_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.btyd_summary_state IS
    'partial state of omni.btyd_summary and omni.bgbb_summary: one customer''s transaction periods or sends';

-- results
CREATE TYPE @extschema@.btyd_summary AS (frequency float8, recency float8, t float8);
COMMENT ON TYPE @extschema@.btyd_summary IS
    'a customer''s repeat-transaction periods (frequency), last minus first period (recency) and age at as_of (t), in periods';

CREATE TYPE @extschema@.bgbb_summary AS (frequency float8, recency float8, n float8);
COMMENT ON TYPE @extschema@.bgbb_summary IS
    'a subscriber''s engaged sends (frequency), position of the last engaged send (recency) and sends (n)';

CREATE TYPE @extschema@.bgnbd_model AS (
    r float8, alpha float8, a float8, b float8,
    log_likelihood float8, customers bigint, converged boolean);
COMMENT ON TYPE @extschema@.bgnbd_model IS
    'a BG/NBD model (Fader, Hardie & Lee 2005): purchase rate ~ Gamma(r, alpha), dropout ~ Beta(a, b); fit statistics NULL when built from parameters';

CREATE TYPE @extschema@.bgbb_model AS (
    alpha float8, beta float8, gamma float8, delta float8,
    log_likelihood float8, customers bigint, converged boolean);
COMMENT ON TYPE @extschema@.bgbb_model IS
    'a BG/BB model (Fader, Hardie & Shang 2010): response probability ~ Beta(alpha, beta), dropout ~ Beta(gamma, delta)';

CREATE TYPE @extschema@.gamma_gamma_model AS (
    p float8, q float8, gamma float8,
    log_likelihood float8, customers bigint, converged boolean);
COMMENT ON TYPE @extschema@.gamma_gamma_model IS
    'a Gamma-Gamma spend model (Fader, Hardie & Lee 2005): transaction value ~ Gamma(p, nu), nu ~ Gamma(q, gamma)';

-- ---------- summaries ----------

CREATE FUNCTION @extschema@.btyd_summary_trans(@extschema@.btyd_summary_state, timestamptz, timestamptz)
    RETURNS @extschema@.btyd_summary_state
    AS 'MODULE_PATHNAME', 'btyd_summary_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.btyd_summary_trans(@extschema@.btyd_summary_state, timestamptz, timestamptz, interval)
    RETURNS @extschema@.btyd_summary_state
    AS 'MODULE_PATHNAME', 'btyd_summary_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.btyd_summary_trans(@extschema@.btyd_summary_state, timestamptz, timestamptz, interval, text)
    RETURNS @extschema@.btyd_summary_state
    AS 'MODULE_PATHNAME', 'btyd_summary_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgbb_summary_trans(@extschema@.btyd_summary_state, timestamptz, boolean)
    RETURNS @extschema@.btyd_summary_state
    AS 'MODULE_PATHNAME', 'bgbb_summary_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.btyd_summary_combine(@extschema@.btyd_summary_state, @extschema@.btyd_summary_state)
    RETURNS @extschema@.btyd_summary_state
    AS 'MODULE_PATHNAME', 'btyd_summary_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.btyd_summary_final(@extschema@.btyd_summary_state)
    RETURNS @extschema@.btyd_summary
    AS 'MODULE_PATHNAME', 'btyd_summary_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgbb_summary_final(@extschema@.btyd_summary_state)
    RETURNS @extschema@.bgbb_summary
    AS 'MODULE_PATHNAME', 'bgbb_summary_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.btyd_summary(occurred_at timestamptz, as_of timestamptz) (
    SFUNC = @extschema@.btyd_summary_trans,
    STYPE = @extschema@.btyd_summary_state,
    FINALFUNC = @extschema@.btyd_summary_final,
    COMBINEFUNC = @extschema@.btyd_summary_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.btyd_summary(timestamptz, timestamptz) IS
    'one customer''s (frequency, recency, t) in days (UTC day boundaries) at as_of, as lifetimes'' summary_data_from_transaction_data';
CREATE AGGREGATE @extschema@.btyd_summary(occurred_at timestamptz, as_of timestamptz, period interval) (
    SFUNC = @extschema@.btyd_summary_trans,
    STYPE = @extschema@.btyd_summary_state,
    FINALFUNC = @extschema@.btyd_summary_final,
    COMBINEFUNC = @extschema@.btyd_summary_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.btyd_summary(timestamptz, timestamptz, interval) IS
    'one customer''s (frequency, recency, t) in periods (UTC calendar, periods from 2001-01-01) at as_of';
CREATE AGGREGATE @extschema@.btyd_summary(occurred_at timestamptz, as_of timestamptz, period interval, zone text) (
    SFUNC = @extschema@.btyd_summary_trans,
    STYPE = @extschema@.btyd_summary_state,
    FINALFUNC = @extschema@.btyd_summary_final,
    COMBINEFUNC = @extschema@.btyd_summary_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.btyd_summary(timestamptz, timestamptz, interval, text) IS
    'one customer''s (frequency, recency, t) in periods of the calendar of zone (periods from local 2001-01-01) at as_of';

CREATE AGGREGATE @extschema@.bgbb_summary(sent_at timestamptz, engaged boolean) (
    SFUNC = @extschema@.bgbb_summary_trans,
    STYPE = @extschema@.btyd_summary_state,
    FINALFUNC = @extschema@.bgbb_summary_final,
    COMBINEFUNC = @extschema@.btyd_summary_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.bgbb_summary(timestamptz, boolean) IS
    'one subscriber''s BG/BB input: n = sends, frequency = engaged sends, recency = position of the last engaged send';

-- ---------- fits ----------

CREATE FUNCTION @extschema@.bgnbd_fit_trans(@extschema@.btyd_fit_state, float8, float8, float8)
    RETURNS @extschema@.btyd_fit_state
    AS 'MODULE_PATHNAME', 'bgnbd_fit_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_trans(@extschema@.btyd_fit_state, float8, float8, float8, float8)
    RETURNS @extschema@.btyd_fit_state
    AS 'MODULE_PATHNAME', 'bgnbd_fit_penalized_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgbb_fit_trans(@extschema@.btyd_fit_state, float8, float8, float8)
    RETURNS @extschema@.btyd_fit_state
    AS 'MODULE_PATHNAME', 'bgbb_fit_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgbb_fit_trans(@extschema@.btyd_fit_state, float8, float8, float8, bigint)
    RETURNS @extschema@.btyd_fit_state
    AS 'MODULE_PATHNAME', 'bgbb_fit_counted_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.gamma_gamma_fit_trans(@extschema@.btyd_fit_state, float8, float8)
    RETURNS @extschema@.btyd_fit_state
    AS 'MODULE_PATHNAME', 'gamma_gamma_fit_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.btyd_fit_combine(@extschema@.btyd_fit_state, @extschema@.btyd_fit_state)
    RETURNS @extschema@.btyd_fit_state
    AS 'MODULE_PATHNAME', 'btyd_fit_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_final(@extschema@.btyd_fit_state)
    RETURNS @extschema@.bgnbd_model
    AS 'MODULE_PATHNAME', 'bgnbd_fit_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgbb_fit_final(@extschema@.btyd_fit_state)
    RETURNS @extschema@.bgbb_model
    AS 'MODULE_PATHNAME', 'bgbb_fit_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.gamma_gamma_fit_final(@extschema@.btyd_fit_state)
    RETURNS @extschema@.gamma_gamma_model
    AS 'MODULE_PATHNAME', 'gamma_gamma_fit_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.bgnbd_fit(frequency float8, recency float8, t float8) (
    SFUNC = @extschema@.bgnbd_fit_trans,
    STYPE = @extschema@.btyd_fit_state,
    FINALFUNC = @extschema@.bgnbd_fit_final,
    COMBINEFUNC = @extschema@.btyd_fit_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(float8, float8, float8) IS
    'maximum-likelihood BG/NBD model over one row per customer (frequency, recency, t)';
CREATE AGGREGATE @extschema@.bgnbd_fit(frequency float8, recency float8, t float8, penalizer float8) (
    SFUNC = @extschema@.bgnbd_fit_trans,
    STYPE = @extschema@.btyd_fit_state,
    FINALFUNC = @extschema@.bgnbd_fit_final,
    COMBINEFUNC = @extschema@.btyd_fit_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(float8, float8, float8, float8) IS
    'BG/NBD posterior mode under normal priors of precision penalizer on ln r, ln(alpha / mean t), ln a, ln b';

CREATE AGGREGATE @extschema@.bgbb_fit(frequency float8, recency float8, n float8) (
    SFUNC = @extschema@.bgbb_fit_trans,
    STYPE = @extschema@.btyd_fit_state,
    FINALFUNC = @extschema@.bgbb_fit_final,
    COMBINEFUNC = @extschema@.btyd_fit_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.bgbb_fit(float8, float8, float8) IS
    'maximum-likelihood BG/BB model over one row per customer (frequency, recency, n opportunities)';
CREATE AGGREGATE @extschema@.bgbb_fit(frequency float8, recency float8, n float8, customers bigint) (
    SFUNC = @extschema@.bgbb_fit_trans,
    STYPE = @extschema@.btyd_fit_state,
    FINALFUNC = @extschema@.bgbb_fit_final,
    COMBINEFUNC = @extschema@.btyd_fit_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.bgbb_fit(float8, float8, float8, bigint) IS
    'maximum-likelihood BG/BB model over patterns (frequency, recency, n) shared by `customers` customers each';

CREATE AGGREGATE @extschema@.gamma_gamma_fit(frequency float8, monetary_value float8) (
    SFUNC = @extschema@.gamma_gamma_fit_trans,
    STYPE = @extschema@.btyd_fit_state,
    FINALFUNC = @extschema@.gamma_gamma_fit_final,
    COMBINEFUNC = @extschema@.btyd_fit_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.gamma_gamma_fit(float8, float8) IS
    'maximum-likelihood Gamma-Gamma spend model over customers with frequency > 0 (others are skipped)';

-- ---------- models from parameters ----------

CREATE FUNCTION @extschema@.bgnbd_model(r float8, alpha float8, a float8, b float8)
    RETURNS @extschema@.bgnbd_model
    AS 'MODULE_PATHNAME', 'bgnbd_model_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_model(float8, float8, float8, float8) IS
    'a BG/NBD model from known (e.g. published) parameters; its fit statistics are NULL';
CREATE FUNCTION @extschema@.bgbb_model(alpha float8, beta float8, gamma float8, delta float8)
    RETURNS @extschema@.bgbb_model
    AS 'MODULE_PATHNAME', 'bgbb_model_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgbb_model(float8, float8, float8, float8) IS
    'a BG/BB model from known (e.g. published) parameters; its fit statistics are NULL';
CREATE FUNCTION @extschema@.gamma_gamma_model(p float8, q float8, gamma float8)
    RETURNS @extschema@.gamma_gamma_model
    AS 'MODULE_PATHNAME', 'gamma_gamma_model_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gamma_gamma_model(float8, float8, float8) IS
    'a Gamma-Gamma model from known (e.g. published) parameters; its fit statistics are NULL';

-- ---------- per customer ----------

CREATE FUNCTION @extschema@.p_alive(model @extschema@.bgnbd_model, frequency float8, recency float8, t float8)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'bgnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.p_alive(@extschema@.bgnbd_model, float8, float8, float8) IS
    'BG/NBD probability that the customer is still active at t (1 when frequency = 0)';
CREATE FUNCTION @extschema@.expected_events(model @extschema@.bgnbd_model, horizon float8,
                                            frequency float8, recency float8, t float8)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'bgnbd_expected_events' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_events(@extschema@.bgnbd_model, float8, float8, float8, float8) IS
    'BG/NBD expected transactions in the next horizon time units (FHL 2005 eq. 10)';
CREATE FUNCTION @extschema@.log_likelihood(model @extschema@.bgnbd_model, frequency float8, recency float8, t float8)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'bgnbd_log_likelihood' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.log_likelihood(@extschema@.bgnbd_model, float8, float8, float8) IS
    'BG/NBD log-likelihood of one customer (FHL 2005 eq. 6)';

CREATE FUNCTION @extschema@.p_alive(model @extschema@.bgbb_model, frequency float8, recency float8, n float8)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'bgbb_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.p_alive(@extschema@.bgbb_model, float8, float8, float8) IS
    'BG/BB probability that the subscriber is still active at the next opportunity (FHS 2010 eq. 11)';
CREATE FUNCTION @extschema@.expected_events(model @extschema@.bgbb_model, horizon float8,
                                            frequency float8, recency float8, n float8)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'bgbb_expected_events' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_events(@extschema@.bgbb_model, float8, float8, float8, float8) IS
    'BG/BB expected transactions in the next horizon opportunities (FHS 2010 eq. 13)';
CREATE FUNCTION @extschema@.log_likelihood(model @extschema@.bgbb_model, frequency float8, recency float8, n float8)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'bgbb_log_likelihood' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.log_likelihood(@extschema@.bgbb_model, float8, float8, float8) IS
    'BG/BB log-likelihood of one customer (FHS 2010 eq. 5)';

CREATE FUNCTION @extschema@.expected_spend(model @extschema@.gamma_gamma_model, frequency float8, monetary_value float8)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'gamma_gamma_expected_spend' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_spend(@extschema@.gamma_gamma_model, float8, float8) IS
    'Gamma-Gamma expected value of a customer''s future transactions (Hardie note 025 eq. 5)';

CREATE FUNCTION @extschema@.log_likelihood(model @extschema@.gamma_gamma_model, frequency float8, monetary_value float8)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'gamma_gamma_log_likelihood' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.log_likelihood(@extschema@.gamma_gamma_model, float8, float8) IS
    'Gamma-Gamma log-density of one customer''s mean spend (NULL when frequency = 0)';

CREATE FUNCTION @extschema@.clv(transactions @extschema@.bgnbd_model, spend @extschema@.gamma_gamma_model,
                                frequency float8, recency float8, t float8, monetary_value float8,
                                horizon float8, discount_rate float8 DEFAULT 0,
                                discount_period float8 DEFAULT 1)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'btyd_clv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv(@extschema@.bgnbd_model, @extschema@.gamma_gamma_model, float8, float8, float8, float8, float8, float8, float8) IS
    'expected value of the customer''s transactions over horizon, discounted at discount_rate per discount_period';

CREATE FUNCTION @extschema@.hyp2f1(a float8, b float8, c float8, z float8)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'btyd_hyp2f1' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hyp2f1(float8, float8, float8, float8) IS
    'the Gauss hypergeometric function 2F1(a, b; c; z) for z < 1 (used by expected_events)';
