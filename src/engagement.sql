-- ---------------------------------------------------------------------------------------
-- Engagement: time-decayed scores and their partial state, per-customer profiles, personas
-- and RFM segments (src/engagement.c)
-- ---------------------------------------------------------------------------------------

-- omni.engagement_state: a decayed score's partial state (as_of, half_life, which weights, the
-- exact decayed sum, counts).  Text form: \x and the binary form in hex.
CREATE TYPE @extschema@.engagement_state;

CREATE FUNCTION @extschema@.engagement_state_in(cstring) RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_state_out(@extschema@.engagement_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'engagement_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_state_recv(internal) RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_state_send(@extschema@.engagement_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'engagement_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.engagement_state (
    INPUT = @extschema@.engagement_state_in,
    OUTPUT = @extschema@.engagement_state_out,
    RECEIVE = @extschema@.engagement_state_recv,
    SEND = @extschema@.engagement_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.engagement_state IS
    'partial state of a decayed engagement score: merge with omni.rollup, age with omni.age_to, read with omni.score';

CREATE TYPE @extschema@.engagement_profile AS (
    deliveries bigint,
    human_opens bigint,
    human_clicks bigint,
    open_rate double precision,
    click_rate double precision,
    click_to_open_rate double precision,
    open_rate_state @extschema@.rate,
    click_rate_state @extschema@.rate,
    click_to_open_rate_state @extschema@.rate,
    last_engaged_at timestamptz,
    days_since_engaged double precision,
    score double precision
);
COMMENT ON TYPE @extschema@.engagement_profile IS
    'a customer''s engagement: deliveries, human opens and clicks in the window, their rates (float8 and omni.rate), last engagement and the decayed score';

-- Support functions.  Not strict: they skip rows with a NULL event_type, occurred_at or
-- outcome themselves, and start from a NULL state (no rows yet).
CREATE FUNCTION @extschema@.engagement_event_trans(@extschema@.engagement_state, text, timestamptz, timestamptz)
    RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_event_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_event_trans(@extschema@.engagement_state, text, timestamptz, timestamptz,
                                                   interval)
    RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_event_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_event_trans(@extschema@.engagement_state, text, timestamptz, timestamptz,
                                                   interval, jsonb)
    RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_event_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_outcome_trans(@extschema@.engagement_state, @extschema@.message_outcome,
                                                     timestamptz)
    RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_outcome_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_outcome_trans(@extschema@.engagement_state, @extschema@.message_outcome,
                                                     timestamptz, interval)
    RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_outcome_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_outcome_trans(@extschema@.engagement_state, @extschema@.message_outcome,
                                                     timestamptz, interval, jsonb)
    RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_outcome_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_outcome_trans(@extschema@.engagement_state, @extschema@.message_outcome,
                                                     timestamptz, interval, jsonb, timestamptz)
    RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_outcome_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_profile_trans(@extschema@.engagement_state, @extschema@.message_outcome,
                                                     timestamptz)
    RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_profile_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_profile_trans(@extschema@.engagement_state, @extschema@.message_outcome,
                                                     timestamptz, interval)
    RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_profile_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_profile_trans(@extschema@.engagement_state, @extschema@.message_outcome,
                                                     timestamptz, interval, interval)
    RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_profile_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_state_combine(@extschema@.engagement_state, @extschema@.engagement_state)
    RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_state_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_score_final(@extschema@.engagement_state)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'engagement_score_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_state_final(@extschema@.engagement_state)
    RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_state_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.engagement_profile_final(@extschema@.engagement_state)
    RETURNS @extschema@.engagement_profile
    AS 'MODULE_PATHNAME', 'engagement_profile_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

-- engagement_score over raw events: one overload per arity (aggregates take no defaults)
CREATE AGGREGATE @extschema@.engagement_score(event_type text, occurred_at timestamptz, as_of timestamptz) (
    SFUNC = @extschema@.engagement_event_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_score_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_score(text, timestamptz, timestamptz) IS
    'sum of weight(event_type) * 2^(-age/30 days) over events at or before as_of, with the default weights';
CREATE AGGREGATE @extschema@.engagement_score(event_type text, occurred_at timestamptz, as_of timestamptz,
                                              half_life interval) (
    SFUNC = @extschema@.engagement_event_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_score_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_score(text, timestamptz, timestamptz, interval) IS
    'sum of weight(event_type) * 2^(-age/half_life) over events at or before as_of, with the default weights';
CREATE AGGREGATE @extschema@.engagement_score(event_type text, occurred_at timestamptz, as_of timestamptz,
                                              half_life interval, weights jsonb) (
    SFUNC = @extschema@.engagement_event_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_score_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_score(text, timestamptz, timestamptz, interval, jsonb) IS
    'sum of weights[event_type] * 2^(-age/half_life) over events at or before as_of; weights defines the vocabulary (NULL: the defaults)';

-- engagement_score over message outcomes: human opens and clicks only, each kind once a message
CREATE AGGREGATE @extschema@.engagement_score(outcome @extschema@.message_outcome, as_of timestamptz) (
    SFUNC = @extschema@.engagement_outcome_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_score_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_score(@extschema@.message_outcome, timestamptz) IS
    'decayed score of message outcomes (human opens and clicks only, each event kind at its first time), default weights, 30-day half-life';
CREATE AGGREGATE @extschema@.engagement_score(outcome @extschema@.message_outcome, as_of timestamptz,
                                              half_life interval) (
    SFUNC = @extschema@.engagement_outcome_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_score_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_score(@extschema@.message_outcome, timestamptz, interval) IS
    'decayed score of message outcomes (human opens and clicks only), default weights';
CREATE AGGREGATE @extschema@.engagement_score(outcome @extschema@.message_outcome, as_of timestamptz,
                                              half_life interval, weights jsonb) (
    SFUNC = @extschema@.engagement_outcome_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_score_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_score(@extschema@.message_outcome, timestamptz, interval, jsonb) IS
    'decayed score of message outcomes (human opens and clicks only) with these weights';

-- the same, returning the partial state (to store, merge with rollup and age with age_to)
CREATE AGGREGATE @extschema@.engagement_state_agg(event_type text, occurred_at timestamptz, as_of timestamptz) (
    SFUNC = @extschema@.engagement_event_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_state_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_state_agg(text, timestamptz, timestamptz) IS
    'the partial state behind engagement_score(event_type, occurred_at, as_of)';
CREATE AGGREGATE @extschema@.engagement_state_agg(event_type text, occurred_at timestamptz, as_of timestamptz,
                                                  half_life interval) (
    SFUNC = @extschema@.engagement_event_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_state_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_state_agg(text, timestamptz, timestamptz, interval) IS
    'the partial state behind engagement_score(event_type, occurred_at, as_of, half_life)';
CREATE AGGREGATE @extschema@.engagement_state_agg(event_type text, occurred_at timestamptz, as_of timestamptz,
                                                  half_life interval, weights jsonb) (
    SFUNC = @extschema@.engagement_event_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_state_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_state_agg(text, timestamptz, timestamptz, interval, jsonb) IS
    'the partial state behind engagement_score(event_type, occurred_at, as_of, half_life, weights)';
CREATE AGGREGATE @extschema@.engagement_state_agg(outcome @extschema@.message_outcome, as_of timestamptz) (
    SFUNC = @extschema@.engagement_outcome_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_state_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_state_agg(@extschema@.message_outcome, timestamptz) IS
    'the partial state behind engagement_score(outcome, as_of)';
CREATE AGGREGATE @extschema@.engagement_state_agg(outcome @extschema@.message_outcome, as_of timestamptz,
                                                  half_life interval) (
    SFUNC = @extschema@.engagement_outcome_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_state_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_state_agg(@extschema@.message_outcome, timestamptz, interval) IS
    'the partial state behind engagement_score(outcome, as_of, half_life)';
CREATE AGGREGATE @extschema@.engagement_state_agg(outcome @extschema@.message_outcome, as_of timestamptz,
                                                  half_life interval, weights jsonb) (
    SFUNC = @extschema@.engagement_outcome_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_state_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_state_agg(@extschema@.message_outcome, timestamptz, interval, jsonb) IS
    'the partial state behind engagement_score(outcome, as_of, half_life, weights)';
CREATE AGGREGATE @extschema@.engagement_state_agg(outcome @extschema@.message_outcome, as_of timestamptz,
                                                  half_life interval, weights jsonb, after timestamptz) (
    SFUNC = @extschema@.engagement_outcome_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_state_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_state_agg(@extschema@.message_outcome, timestamptz, interval, jsonb, timestamptz) IS
    'the outcome events of (after, as_of] only: an incremental run''s addition to the state stored as of after';

CREATE AGGREGATE @extschema@.rollup(@extschema@.engagement_state) (
    SFUNC = @extschema@.engagement_state_combine, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_state_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.engagement_state) IS
    'merges engagement states of one half-life and weights; older states are aged to the latest as_of first';

-- engagement_profile over message outcomes
CREATE AGGREGATE @extschema@.engagement_profile(outcome @extschema@.message_outcome, as_of timestamptz) (
    SFUNC = @extschema@.engagement_profile_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_profile_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_profile(@extschema@.message_outcome, timestamptz) IS
    'deliveries, human opens and clicks and their rates over the 90 days to as_of, last engagement and the decayed score';
CREATE AGGREGATE @extschema@.engagement_profile(outcome @extschema@.message_outcome, as_of timestamptz,
                                                "window" interval) (
    SFUNC = @extschema@.engagement_profile_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_profile_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_profile(@extschema@.message_outcome, timestamptz, interval) IS
    'engagement_profile over messages delivered in the window before as_of';
CREATE AGGREGATE @extschema@.engagement_profile(outcome @extschema@.message_outcome, as_of timestamptz,
                                                "window" interval, half_life interval) (
    SFUNC = @extschema@.engagement_profile_trans, STYPE = @extschema@.engagement_state,
    FINALFUNC = @extschema@.engagement_profile_final, COMBINEFUNC = @extschema@.engagement_state_combine,
    SSPACE = 140, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_profile(@extschema@.message_outcome, timestamptz, interval, interval) IS
    'engagement_profile with the score''s half-life';

-- Accessors
CREATE FUNCTION @extschema@.score(state @extschema@.engagement_state) RETURNS double precision
    AS 'MODULE_PATHNAME', 'engagement_state_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.score(@extschema@.engagement_state) IS 'the decayed score as of the state''s as_of';
CREATE FUNCTION @extschema@.score(state @extschema@.engagement_state, as_of timestamptz) RETURNS double precision
    AS 'MODULE_PATHNAME', 'engagement_state_score_at' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.score(@extschema@.engagement_state, timestamptz) IS
    'the decayed score as of a later as_of (no events after the state''s own as_of are known)';
CREATE FUNCTION @extschema@.age_to(state @extschema@.engagement_state, as_of timestamptz)
    RETURNS @extschema@.engagement_state
    AS 'MODULE_PATHNAME', 'engagement_state_age_to' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.age_to(@extschema@.engagement_state, timestamptz) IS
    'the state decayed to a later as_of, ready to merge with the events after its own as_of';
CREATE FUNCTION @extschema@.as_of(state @extschema@.engagement_state) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'engagement_state_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.half_life(state @extschema@.engagement_state) RETURNS interval
    AS 'MODULE_PATHNAME', 'engagement_state_half_life' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.event_count(state @extschema@.engagement_state) RETURNS bigint
    AS 'MODULE_PATHNAME', 'engagement_state_events' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.event_count(@extschema@.engagement_state) IS
    'events counted in the score (at or before as_of; for outcomes, each event kind of each message once)';
CREATE FUNCTION @extschema@.last_engaged_at(state @extschema@.engagement_state) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'engagement_state_last_engaged_at' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.last_engaged_at(@extschema@.engagement_state) IS
    'the latest counted event with a positive weight; NULL when there is none';

-- Personas and RFM segments
CREATE FUNCTION @extschema@.engagement_persona(open_rate double precision, click_rate double precision,
                                               open_threshold double precision, click_threshold double precision)
    RETURNS text
    AS 'MODULE_PATHNAME', 'engagement_persona' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.engagement_persona(double precision, double precision, double precision, double precision) IS
    'loyalist (high open, high click), window_shopper (high open, low click), selective_subscriber (low open, high click) or dormant; high = at or above the threshold';
CREATE FUNCTION @extschema@.rfm_segment(recency_score integer, frequency_score integer, monetary_score integer)
    RETURNS text
    AS 'MODULE_PATHNAME', 'engagement_rfm_segment' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_segment(integer, integer, integer) IS
    'the RFM segment (Champions, Loyal Customers, ..., Lost, Others) of 1-5 recency, frequency and monetary scores, by the map of the R package rfm';
