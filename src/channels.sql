-- ---------------------------------------------------------------------------------------
-- Channel preference: per-customer posterior response rates by channel, the preferred
-- channel and the confidence in it (src/channels.c)
-- ---------------------------------------------------------------------------------------

-- omni.channel_prior: a population's sends and responses per channel and the prior's strength;
-- channel c's prior is Beta(alpha0, beta0), alpha0 + beta0 = strength, mean (responses + 1) /
-- (sends + 2).  Text form: \x and the binary form in hex (omni.channel_prior_json to read it).
CREATE TYPE @extschema@.channel_prior;
CREATE FUNCTION @extschema@.channel_prior_in(cstring) RETURNS @extschema@.channel_prior
    AS 'MODULE_PATHNAME', 'channel_prior_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_prior_out(@extschema@.channel_prior) RETURNS cstring
    AS 'MODULE_PATHNAME', 'channel_prior_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_prior_recv(internal) RETURNS @extschema@.channel_prior
    AS 'MODULE_PATHNAME', 'channel_prior_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_prior_send(@extschema@.channel_prior) RETURNS bytea
    AS 'MODULE_PATHNAME', 'channel_prior_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.channel_prior (
    INPUT = @extschema@.channel_prior_in,
    OUTPUT = @extschema@.channel_prior_out,
    RECEIVE = @extschema@.channel_prior_recv,
    SEND = @extschema@.channel_prior_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.channel_prior IS
    'per-channel Beta priors from a population (omni.channel_prior aggregate): pass to omni.channel_preference';

-- omni.channel_preference: one customer's sends and responses per channel (exact counts, and
-- exact decayed sums with a half-life), the prior they were computed with, as_of, half_life.
CREATE TYPE @extschema@.channel_preference;
CREATE FUNCTION @extschema@.channel_preference_in(cstring) RETURNS @extschema@.channel_preference
    AS 'MODULE_PATHNAME', 'channel_preference_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_preference_out(@extschema@.channel_preference) RETURNS cstring
    AS 'MODULE_PATHNAME', 'channel_preference_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_preference_recv(internal) RETURNS @extschema@.channel_preference
    AS 'MODULE_PATHNAME', 'channel_preference_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_preference_send(@extschema@.channel_preference) RETURNS bytea
    AS 'MODULE_PATHNAME', 'channel_preference_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.channel_preference (
    INPUT = @extschema@.channel_preference_in,
    OUTPUT = @extschema@.channel_preference_out,
    RECEIVE = @extschema@.channel_preference_recv,
    SEND = @extschema@.channel_preference_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.channel_preference IS
    'a customer''s per-channel sends and responses: read with omni.preferred_channel, omni.channel_confidence, omni.channel_scores; merge with omni.rollup';

-- Support functions.  Not strict: they report NULL channels and engaged themselves.
CREATE FUNCTION @extschema@.channel_prior_trans(@extschema@.channel_prior, text, boolean)
    RETURNS @extschema@.channel_prior
    AS 'MODULE_PATHNAME', 'channel_prior_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_prior_trans(@extschema@.channel_prior, text, boolean, double precision)
    RETURNS @extschema@.channel_prior
    AS 'MODULE_PATHNAME', 'channel_prior_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_prior_combine(@extschema@.channel_prior, @extschema@.channel_prior)
    RETURNS @extschema@.channel_prior
    AS 'MODULE_PATHNAME', 'channel_prior_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_preference_trans(@extschema@.channel_preference, text, boolean)
    RETURNS @extschema@.channel_preference
    AS 'MODULE_PATHNAME', 'channel_preference_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_preference_trans(@extschema@.channel_preference, text, boolean, timestamptz)
    RETURNS @extschema@.channel_preference
    AS 'MODULE_PATHNAME', 'channel_preference_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_preference_trans(@extschema@.channel_preference, text, boolean, timestamptz,
                                                     @extschema@.channel_prior)
    RETURNS @extschema@.channel_preference
    AS 'MODULE_PATHNAME', 'channel_preference_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_preference_trans(@extschema@.channel_preference, text, boolean, timestamptz,
                                                     @extschema@.channel_prior, timestamptz)
    RETURNS @extschema@.channel_preference
    AS 'MODULE_PATHNAME', 'channel_preference_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_preference_trans(@extschema@.channel_preference, text, boolean, timestamptz,
                                                     @extschema@.channel_prior, timestamptz, interval)
    RETURNS @extschema@.channel_preference
    AS 'MODULE_PATHNAME', 'channel_preference_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_preference_combine(@extschema@.channel_preference,
                                                       @extschema@.channel_preference)
    RETURNS @extschema@.channel_preference
    AS 'MODULE_PATHNAME', 'channel_preference_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.channel_prior(channel text, engaged boolean) (
    SFUNC = @extschema@.channel_prior_trans, STYPE = @extschema@.channel_prior,
    COMBINEFUNC = @extschema@.channel_prior_combine, SSPACE = 200, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.channel_prior(text, boolean) IS
    'per-channel Beta priors of strength 10 from the population''s sends (rows) and responses (engaged)';
CREATE AGGREGATE @extschema@.channel_prior(channel text, engaged boolean, strength double precision) (
    SFUNC = @extschema@.channel_prior_trans, STYPE = @extschema@.channel_prior,
    COMBINEFUNC = @extschema@.channel_prior_combine, SSPACE = 200, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.channel_prior(text, boolean, double precision) IS
    'per-channel Beta priors with alpha0 + beta0 = strength from the population''s sends and responses';
CREATE AGGREGATE @extschema@.rollup(@extschema@.channel_prior) (
    SFUNC = @extschema@.channel_prior_combine, STYPE = @extschema@.channel_prior,
    COMBINEFUNC = @extschema@.channel_prior_combine, SSPACE = 200, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.channel_prior) IS
    'merges channel priors of one strength (counts add up)';

-- channel_preference: one overload per arity (aggregates take no defaults)
CREATE AGGREGATE @extschema@.channel_preference(channel text, engaged boolean) (
    SFUNC = @extschema@.channel_preference_trans, STYPE = @extschema@.channel_preference,
    COMBINEFUNC = @extschema@.channel_preference_combine, SSPACE = 200, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.channel_preference(text, boolean) IS
    'per-channel sends and responses of message-grain rows, uniform Beta(1,1) priors';
CREATE AGGREGATE @extschema@.channel_preference(channel text, engaged boolean, sent_at timestamptz) (
    SFUNC = @extschema@.channel_preference_trans, STYPE = @extschema@.channel_preference,
    COMBINEFUNC = @extschema@.channel_preference_combine, SSPACE = 200, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.channel_preference(text, boolean, timestamptz) IS
    'channel_preference(channel, engaged); sent_at is read only with as_of';
CREATE AGGREGATE @extschema@.channel_preference(channel text, engaged boolean, sent_at timestamptz,
                                                prior @extschema@.channel_prior) (
    SFUNC = @extschema@.channel_preference_trans, STYPE = @extschema@.channel_preference,
    COMBINEFUNC = @extschema@.channel_preference_combine, SSPACE = 200, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.channel_preference(text, boolean, timestamptz, @extschema@.channel_prior) IS
    'per-channel sends and responses with the population''s priors (NULL prior: Beta(1,1))';
CREATE AGGREGATE @extschema@.channel_preference(channel text, engaged boolean, sent_at timestamptz,
                                                prior @extschema@.channel_prior, as_of timestamptz) (
    SFUNC = @extschema@.channel_preference_trans, STYPE = @extschema@.channel_preference,
    COMBINEFUNC = @extschema@.channel_preference_combine, SSPACE = 200, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.channel_preference(text, boolean, timestamptz, @extschema@.channel_prior, timestamptz) IS
    'channel_preference over the messages sent at or before as_of';
CREATE AGGREGATE @extschema@.channel_preference(channel text, engaged boolean, sent_at timestamptz,
                                                prior @extschema@.channel_prior, as_of timestamptz,
                                                half_life interval) (
    SFUNC = @extschema@.channel_preference_trans, STYPE = @extschema@.channel_preference,
    COMBINEFUNC = @extschema@.channel_preference_combine, SSPACE = 200, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.channel_preference(text, boolean, timestamptz, @extschema@.channel_prior, timestamptz, interval) IS
    'channel_preference with each message weighted 2^(-(as_of - sent_at)/half_life)';
CREATE AGGREGATE @extschema@.rollup(@extschema@.channel_preference) (
    SFUNC = @extschema@.channel_preference_combine, STYPE = @extschema@.channel_preference,
    COMBINEFUNC = @extschema@.channel_preference_combine, SSPACE = 200, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.channel_preference) IS
    'merges channel preferences of one prior, as_of and half_life (counts add up)';

-- Accessors
CREATE FUNCTION @extschema@.preferred_channel(pref @extschema@.channel_preference, exclude text[] DEFAULT '{}')
    RETURNS text
    AS 'MODULE_PATHNAME', 'channel_preferred' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.preferred_channel(@extschema@.channel_preference, text[]) IS
    'the channel with the highest posterior mean response rate, skipping excluded channels; ties: more evidence, then name';
CREATE FUNCTION @extschema@.channel_confidence(pref @extschema@.channel_preference, exclude text[] DEFAULT '{}')
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'channel_confidence' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.channel_confidence(@extschema@.channel_preference, text[]) IS
    'posterior probability that the preferred channel has the highest rate of the channels not excluded (numerical integration)';
CREATE FUNCTION @extschema@.channel_scores(pref @extschema@.channel_preference)
    RETURNS TABLE (channel text, sends double precision, responses double precision,
                   posterior_mean double precision, ci_lower double precision, ci_upper double precision,
                   p_best double precision)
    AS 'MODULE_PATHNAME', 'channel_scores' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4;
COMMENT ON FUNCTION @extschema@.channel_scores(@extschema@.channel_preference) IS
    'one row per channel: sends, responses (decayed with a half_life), posterior mean, 95% equal-tailed credible interval, probability of being the best';
CREATE FUNCTION @extschema@.channel_scores_json(pref @extschema@.channel_preference) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'channel_scores_json' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.channel_scores_json(@extschema@.channel_preference) IS
    'channel_scores as one jsonb object, with the preferred channel and the confidence';
CREATE FUNCTION @extschema@.channel_prior_json(prior @extschema@.channel_prior) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'channel_prior_json' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.channel_prior_json(@extschema@.channel_prior) IS
    'a prior''s strength and each channel''s population counts, alpha0 and beta0';
