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

