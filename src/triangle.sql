-- ---------------------------------------------------------------------------------------
-- omni.cohort_triangle: the whole cohort x period table of rates in one value (src/triangle.c)
-- ---------------------------------------------------------------------------------------

CREATE TYPE @extschema@.cohort_triangle;

CREATE FUNCTION @extschema@.cohort_triangle_in(cstring) RETURNS @extschema@.cohort_triangle
    AS 'MODULE_PATHNAME', 'cohort_triangle_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_triangle_out(@extschema@.cohort_triangle) RETURNS cstring
    AS 'MODULE_PATHNAME', 'cohort_triangle_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_triangle_recv(internal) RETURNS @extschema@.cohort_triangle
    AS 'MODULE_PATHNAME', 'cohort_triangle_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_triangle_send(@extschema@.cohort_triangle) RETURNS bytea
    AS 'MODULE_PATHNAME', 'cohort_triangle_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.cohort_triangle (
    INPUT = @extschema@.cohort_triangle_in,
    OUTPUT = @extschema@.cohort_triangle_out,
    RECEIVE = @extschema@.cohort_triangle_recv,
    SEND = @extschema@.cohort_triangle_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.cohort_triangle IS
    'a cohort x period table of rates (hits/trials per cell) with its cohort interval, period, counting and time zone: a mergeable partial state';

-- Transition functions: NOT STRICT (the state starts NULL and the options are checked);
-- rows with a NULL customer_start or at are skipped, a NULL hit is not a trial.
CREATE FUNCTION @extschema@.cohort_triangle_trans(@extschema@.cohort_triangle, timestamptz, timestamptz, boolean,
                                                  interval, interval)
    RETURNS @extschema@.cohort_triangle
    AS 'MODULE_PATHNAME', 'cohort_triangle_trans' LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_triangle_trans(@extschema@.cohort_triangle, timestamptz, timestamptz, boolean,
                                                  interval, interval, text)
    RETURNS @extschema@.cohort_triangle
    AS 'MODULE_PATHNAME', 'cohort_triangle_trans' LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_triangle_trans(@extschema@.cohort_triangle, timestamptz, timestamptz, boolean,
                                                  interval, interval, text, text)
    RETURNS @extschema@.cohort_triangle
    AS 'MODULE_PATHNAME', 'cohort_triangle_zone_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
-- The same from counts already aggregated elsewhere (a daily rollup, an ESP's report): a row
-- adds hits out of trials to its cell; NULL hits or trials are not counted, as in rate_agg(hits, trials).
CREATE FUNCTION @extschema@.cohort_triangle_trans(@extschema@.cohort_triangle, timestamptz, timestamptz, bigint,
                                                  bigint, interval, interval)
    RETURNS @extschema@.cohort_triangle
    AS 'MODULE_PATHNAME', 'cohort_triangle_counts_trans' LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_triangle_trans(@extschema@.cohort_triangle, timestamptz, timestamptz, bigint,
                                                  bigint, interval, interval, text)
    RETURNS @extschema@.cohort_triangle
    AS 'MODULE_PATHNAME', 'cohort_triangle_counts_trans' LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_triangle_trans(@extschema@.cohort_triangle, timestamptz, timestamptz, bigint,
                                                  bigint, interval, interval, text, text)
    RETURNS @extschema@.cohort_triangle
    AS 'MODULE_PATHNAME', 'cohort_triangle_counts_zone_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_triangle_combine(@extschema@.cohort_triangle, @extschema@.cohort_triangle)
    RETURNS @extschema@.cohort_triangle
    AS 'MODULE_PATHNAME', 'cohort_triangle_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_triangle_final(@extschema@.cohort_triangle)
    RETURNS @extschema@.cohort_triangle
    AS 'MODULE_PATHNAME', 'cohort_triangle_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.cohort_triangle(customer_start timestamptz, at timestamptz, hit boolean,
                                             cohort_interval interval, period interval) (
    SFUNC = @extschema@.cohort_triangle_trans, STYPE = @extschema@.cohort_triangle,
    FINALFUNC = @extschema@.cohort_triangle_final, COMBINEFUNC = @extschema@.cohort_triangle_combine,
    SSPACE = 8192, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_triangle(timestamptz, timestamptz, boolean, interval, interval) IS
    'the cohort x period table of rate_agg(hit): cohort = customer_start truncated to cohort_interval, period counted from the cohort start, in the session time zone';
CREATE AGGREGATE @extschema@.cohort_triangle(customer_start timestamptz, at timestamptz, hit boolean,
                                             cohort_interval interval, period interval, counted_from text) (
    SFUNC = @extschema@.cohort_triangle_trans, STYPE = @extschema@.cohort_triangle,
    FINALFUNC = @extschema@.cohort_triangle_final, COMBINEFUNC = @extschema@.cohort_triangle_combine,
    SSPACE = 8192, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_triangle(timestamptz, timestamptz, boolean, interval, interval, text) IS
    'cohort_triangle with periods counted from the cohort''s start (''cohort'') or each customer''s own start (''customer''), in the session time zone';
CREATE AGGREGATE @extschema@.cohort_triangle(customer_start timestamptz, at timestamptz, hit boolean,
                                             cohort_interval interval, period interval, counted_from text,
                                             time_zone text) (
    SFUNC = @extschema@.cohort_triangle_trans, STYPE = @extschema@.cohort_triangle,
    FINALFUNC = @extschema@.cohort_triangle_final, COMBINEFUNC = @extschema@.cohort_triangle_combine,
    SSPACE = 8192, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_triangle(timestamptz, timestamptz, boolean, interval, interval, text, text) IS
    'cohort_triangle in the given time zone (IMMUTABLE: for dbt models and pushing down to shards)';

CREATE AGGREGATE @extschema@.cohort_triangle(customer_start timestamptz, at timestamptz, hits bigint, trials bigint,
                                             cohort_interval interval, period interval) (
    SFUNC = @extschema@.cohort_triangle_trans, STYPE = @extschema@.cohort_triangle,
    FINALFUNC = @extschema@.cohort_triangle_final, COMBINEFUNC = @extschema@.cohort_triangle_combine,
    SSPACE = 8192, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_triangle(timestamptz, timestamptz, bigint, bigint, interval, interval) IS
    'the cohort x period table of rate_agg(hits, trials) from pre-counted rows, in the session time zone';
CREATE AGGREGATE @extschema@.cohort_triangle(customer_start timestamptz, at timestamptz, hits bigint, trials bigint,
                                             cohort_interval interval, period interval, counted_from text) (
    SFUNC = @extschema@.cohort_triangle_trans, STYPE = @extschema@.cohort_triangle,
    FINALFUNC = @extschema@.cohort_triangle_final, COMBINEFUNC = @extschema@.cohort_triangle_combine,
    SSPACE = 8192, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_triangle(timestamptz, timestamptz, bigint, bigint, interval, interval, text) IS
    'cohort_triangle from pre-counted rows, periods counted from the cohort''s or each customer''s start, in the session time zone';
CREATE AGGREGATE @extschema@.cohort_triangle(customer_start timestamptz, at timestamptz, hits bigint, trials bigint,
                                             cohort_interval interval, period interval, counted_from text,
                                             time_zone text) (
    SFUNC = @extschema@.cohort_triangle_trans, STYPE = @extschema@.cohort_triangle,
    FINALFUNC = @extschema@.cohort_triangle_final, COMBINEFUNC = @extschema@.cohort_triangle_combine,
    SSPACE = 8192, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_triangle(timestamptz, timestamptz, bigint, bigint, interval, interval, text, text) IS
    'cohort_triangle from pre-counted rows in the given time zone (IMMUTABLE: for dbt models and pushing down to shards)';

CREATE AGGREGATE @extschema@.rollup(@extschema@.cohort_triangle) (
    SFUNC = @extschema@.cohort_triangle_combine, STYPE = @extschema@.cohort_triangle,
    FINALFUNC = @extschema@.cohort_triangle_final, COMBINEFUNC = @extschema@.cohort_triangle_combine,
    SSPACE = 8192, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.cohort_triangle) IS
    'merges cohort triangles (same cohort interval, period, counting and zone) by adding their cells'' counts';

CREATE FUNCTION @extschema@.cohort_cells(triangle @extschema@.cohort_triangle)
    RETURNS TABLE (cohort_start timestamptz, period_number integer, rate @extschema@.rate)
    AS 'MODULE_PATHNAME', 'cohort_triangle_cells' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 300;
COMMENT ON FUNCTION @extschema@.cohort_cells(@extschema@.cohort_triangle) IS
    'one row per cell with trials: cohort start, period number and its omni.rate';

CREATE FUNCTION @extschema@.cohort_cells(triangle @extschema@.cohort_triangle, as_of timestamptz)
    RETURNS TABLE (cohort_start timestamptz, period_number integer, observable boolean, complete boolean,
                   rate @extschema@.rate)
    AS 'MODULE_PATHNAME', 'cohort_triangle_cells_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 300;
COMMENT ON FUNCTION @extschema@.cohort_cells(@extschema@.cohort_triangle, timestamptz) IS
    'every cell up to as_of (exclusive), gap-filled as omni.cohort_grid: rate 0/0 where observable without trials, NULL where not observable';
