-- ---------------------------------------------------------------------------------------
-- Send time and contact pressure: when each customer responds, and whether they get too
-- many messages (src/sendtime.c)
-- ---------------------------------------------------------------------------------------

-- omni.send_time_state: engagement counts over the 168 hours of the ISO week in local time
-- (hour_of_week 0 = Monday 00:00-01:00).  Either a population prior (send_time_prior) or one
-- customer's counts in one zone, with the prior's counts embedded (best_send_time).
-- Text form: \x and the binary form in hex.
CREATE TYPE @extschema@.send_time_state;

CREATE FUNCTION @extschema@.send_time_state_in(cstring) RETURNS @extschema@.send_time_state
    AS 'MODULE_PATHNAME', 'send_time_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.send_time_state_out(@extschema@.send_time_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'send_time_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.send_time_state_recv(internal) RETURNS @extschema@.send_time_state
    AS 'MODULE_PATHNAME', 'send_time_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.send_time_state_send(@extschema@.send_time_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'send_time_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.send_time_state (
    INPUT = @extschema@.send_time_state_in,
    OUTPUT = @extschema@.send_time_state_out,
    RECEIVE = @extschema@.send_time_state_recv,
    SEND = @extschema@.send_time_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.send_time_state IS
    'engagements per local hour of the ISO week (0 = Monday 00:00): a population prior or a customer''s counts; merge with omni.rollup, read with omni.best_hour_of_week';

-- Support functions.  Not strict: rows with a NULL engaged_at are skipped.
CREATE FUNCTION @extschema@.send_time_prior_trans(@extschema@.send_time_state, timestamptz)
    RETURNS @extschema@.send_time_state
    AS 'MODULE_PATHNAME', 'send_time_prior_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.send_time_prior_trans(@extschema@.send_time_state, timestamptz, text)
    RETURNS @extschema@.send_time_state
    AS 'MODULE_PATHNAME', 'send_time_prior_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.best_send_time_trans(@extschema@.send_time_state, timestamptz)
    RETURNS @extschema@.send_time_state
    AS 'MODULE_PATHNAME', 'best_send_time_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.best_send_time_trans(@extschema@.send_time_state, timestamptz, text)
    RETURNS @extschema@.send_time_state
    AS 'MODULE_PATHNAME', 'best_send_time_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.best_send_time_trans(@extschema@.send_time_state, timestamptz, text,
                                                 @extschema@.send_time_state)
    RETURNS @extschema@.send_time_state
    AS 'MODULE_PATHNAME', 'best_send_time_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.send_time_combine(@extschema@.send_time_state, @extschema@.send_time_state)
    RETURNS @extschema@.send_time_state
    AS 'MODULE_PATHNAME', 'send_time_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.send_time_final(@extschema@.send_time_state)
    RETURNS @extschema@.send_time_state
    AS 'MODULE_PATHNAME', 'send_time_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.send_time_prior(engaged_at timestamptz) (
    SFUNC = @extschema@.send_time_prior_trans, STYPE = @extschema@.send_time_state,
    FINALFUNC = @extschema@.send_time_final, COMBINEFUNC = @extschema@.send_time_combine,
    SSPACE = 1400, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.send_time_prior(timestamptz) IS
    'the population''s engagements per UTC hour of the ISO week: a prior for omni.best_send_time';
CREATE AGGREGATE @extschema@.send_time_prior(engaged_at timestamptz, tz text) (
    SFUNC = @extschema@.send_time_prior_trans, STYPE = @extschema@.send_time_state,
    FINALFUNC = @extschema@.send_time_final, COMBINEFUNC = @extschema@.send_time_combine,
    SSPACE = 1400, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.send_time_prior(timestamptz, text) IS
    'the population''s engagements per local hour of the ISO week, each row in its own zone tz: a prior for omni.best_send_time';
CREATE AGGREGATE @extschema@.best_send_time(engaged_at timestamptz) (
    SFUNC = @extschema@.best_send_time_trans, STYPE = @extschema@.send_time_state,
    FINALFUNC = @extschema@.send_time_final, COMBINEFUNC = @extschema@.send_time_combine,
    SSPACE = 96, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.best_send_time(timestamptz) IS
    'a customer''s engagements per UTC hour of the ISO week, with a uniform prior; read with omni.best_hour_of_week';
CREATE AGGREGATE @extschema@.best_send_time(engaged_at timestamptz, tz text) (
    SFUNC = @extschema@.best_send_time_trans, STYPE = @extschema@.send_time_state,
    FINALFUNC = @extschema@.send_time_final, COMBINEFUNC = @extschema@.send_time_combine,
    SSPACE = 112, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.best_send_time(timestamptz, text) IS
    'a customer''s engagements per local hour of the ISO week in zone tz, with a uniform prior';
CREATE AGGREGATE @extschema@.best_send_time(engaged_at timestamptz, tz text, prior @extschema@.send_time_state) (
    SFUNC = @extschema@.best_send_time_trans, STYPE = @extschema@.send_time_state,
    FINALFUNC = @extschema@.send_time_final, COMBINEFUNC = @extschema@.send_time_combine,
    SSPACE = 1500, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.best_send_time(timestamptz, text, @extschema@.send_time_state) IS
    'a customer''s engagements per local hour of the ISO week in zone tz, shrunk toward the population prior (NULL: uniform)';
CREATE AGGREGATE @extschema@.rollup(@extschema@.send_time_state) (
    SFUNC = @extschema@.send_time_combine, STYPE = @extschema@.send_time_state,
    FINALFUNC = @extschema@.send_time_final, COMBINEFUNC = @extschema@.send_time_combine,
    SSPACE = 1500, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.send_time_state) IS
    'merges send-time states of one kind, zone and prior';

-- Accessors
CREATE FUNCTION @extschema@.best_hour_of_week(state @extschema@.send_time_state) RETURNS integer
    AS 'MODULE_PATHNAME', 'send_time_best_hour_of_week' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.best_hour_of_week(@extschema@.send_time_state) IS
    'the local hour of the ISO week (0 = Monday 00:00-01:00 ... 167) with the highest smoothed posterior; ties: the lowest';
CREATE FUNCTION @extschema@.best_hour_of_day(state @extschema@.send_time_state) RETURNS integer
    AS 'MODULE_PATHNAME', 'send_time_best_hour_of_day' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.best_hour_of_day(@extschema@.send_time_state) IS
    'the local hour of the day (0-23) whose smoothed posterior summed over the seven days is highest; ties: the lowest';
CREATE FUNCTION @extschema@.send_time_confidence(state @extschema@.send_time_state) RETURNS double precision
    AS 'MODULE_PATHNAME', 'send_time_confidence' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.send_time_confidence(@extschema@.send_time_state) IS
    'the smoothed posterior probability that the next engagement falls in the best hour of the week (1/168 = no information)';
CREATE FUNCTION @extschema@.send_time_scores(state @extschema@.send_time_state,
                                             OUT hour_of_week integer, OUT hour_of_day integer,
                                             OUT day_of_week integer, OUT events double precision,
                                             OUT posterior double precision)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'send_time_scores' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 168;
COMMENT ON FUNCTION @extschema@.send_time_scores(@extschema@.send_time_state) IS
    'one row per local hour of the ISO week: day_of_week 1 = Monday, the events counted and the smoothed posterior';
CREATE FUNCTION @extschema@.event_count(state @extschema@.send_time_state) RETURNS bigint
    AS 'MODULE_PATHNAME', 'send_time_events' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.event_count(@extschema@.send_time_state) IS 'engagements counted';
CREATE FUNCTION @extschema@.time_zone(state @extschema@.send_time_state) RETURNS text
    AS 'MODULE_PATHNAME', 'send_time_zone' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.time_zone(@extschema@.send_time_state) IS
    'the zone of a customer''s state (canonical name); NULL for a population prior';
CREATE FUNCTION @extschema@.local_hour_of_week(ts timestamptz, tz text DEFAULT 'UTC') RETURNS integer
    AS 'MODULE_PATHNAME', 'send_time_local_hour_of_week' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.local_hour_of_week(timestamptz, text) IS
    'the local hour of the ISO week of ts in zone tz: 0 = Monday 00:00-01:00 ... 167 = Sunday 23:00-24:00';

-- omni.contact_pressure_state: messages and responses per 7-day week counted back from as_of
CREATE TYPE @extschema@.contact_pressure_state;

CREATE FUNCTION @extschema@.contact_pressure_state_in(cstring) RETURNS @extschema@.contact_pressure_state
    AS 'MODULE_PATHNAME', 'contact_pressure_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.contact_pressure_state_out(@extschema@.contact_pressure_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'contact_pressure_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.contact_pressure_state_recv(internal) RETURNS @extschema@.contact_pressure_state
    AS 'MODULE_PATHNAME', 'contact_pressure_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.contact_pressure_state_send(@extschema@.contact_pressure_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'contact_pressure_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.contact_pressure_state (
    INPUT = @extschema@.contact_pressure_state_in,
    OUTPUT = @extschema@.contact_pressure_state_out,
    RECEIVE = @extschema@.contact_pressure_state_recv,
    SEND = @extschema@.contact_pressure_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.contact_pressure_state IS
    'partial state of omni.contact_pressure: messages and responses per week before as_of';

CREATE TYPE @extschema@.contact_pressure_result AS (
    pressure text,
    weeks integer,
    messages bigint,
    responses bigint,
    messages_per_week double precision,
    response_rate double precision,
    low_volume_rate double precision,
    high_volume_rate double precision,
    slope double precision,
    slope_se double precision,
    slope_z double precision
);
COMMENT ON TYPE @extschema@.contact_pressure_result IS
    'saturated | on_target | undersaturated and the figures behind it (see docs/sendtime.md)';

CREATE FUNCTION @extschema@.contact_pressure_trans(@extschema@.contact_pressure_state, timestamptz, boolean, timestamptz)
    RETURNS @extschema@.contact_pressure_state
    AS 'MODULE_PATHNAME', 'contact_pressure_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.contact_pressure_trans(@extschema@.contact_pressure_state, timestamptz, boolean, timestamptz,
                                                   interval)
    RETURNS @extschema@.contact_pressure_state
    AS 'MODULE_PATHNAME', 'contact_pressure_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.contact_pressure_trans(@extschema@.contact_pressure_state, timestamptz, boolean, timestamptz,
                                                   interval, double precision)
    RETURNS @extschema@.contact_pressure_state
    AS 'MODULE_PATHNAME', 'contact_pressure_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.contact_pressure_combine(@extschema@.contact_pressure_state, @extschema@.contact_pressure_state)
    RETURNS @extschema@.contact_pressure_state
    AS 'MODULE_PATHNAME', 'contact_pressure_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.contact_pressure_final(@extschema@.contact_pressure_state)
    RETURNS @extschema@.contact_pressure_result
    AS 'MODULE_PATHNAME', 'contact_pressure_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.contact_pressure(sent_at timestamptz, engaged boolean, as_of timestamptz) (
    SFUNC = @extschema@.contact_pressure_trans, STYPE = @extschema@.contact_pressure_state,
    FINALFUNC = @extschema@.contact_pressure_final, COMBINEFUNC = @extschema@.contact_pressure_combine,
    SSPACE = 900, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.contact_pressure(timestamptz, boolean, timestamptz) IS
    'saturated | on_target | undersaturated from how the response rate changes with weekly volume, over the 28 days before as_of';
CREATE AGGREGATE @extschema@.contact_pressure(sent_at timestamptz, engaged boolean, as_of timestamptz,
                                              "window" interval) (
    SFUNC = @extschema@.contact_pressure_trans, STYPE = @extschema@.contact_pressure_state,
    FINALFUNC = @extschema@.contact_pressure_final, COMBINEFUNC = @extschema@.contact_pressure_combine,
    SSPACE = 900, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.contact_pressure(timestamptz, boolean, timestamptz, interval) IS
    'contact_pressure over a window of whole weeks before as_of';
CREATE AGGREGATE @extschema@.contact_pressure(sent_at timestamptz, engaged boolean, as_of timestamptz,
                                              "window" interval, low_volume double precision) (
    SFUNC = @extschema@.contact_pressure_trans, STYPE = @extschema@.contact_pressure_state,
    FINALFUNC = @extschema@.contact_pressure_final, COMBINEFUNC = @extschema@.contact_pressure_combine,
    SSPACE = 900, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.contact_pressure(timestamptz, boolean, timestamptz, interval, double precision) IS
    'contact_pressure with the weekly volume below which an unsaturated customer is undersaturated (default 2)';

-- The storable form: the state itself, merged with omni.rollup and read with omni.contact_pressure(state),
-- so a dbt model can keep one state per customer and channel (or per day's partition) and classify later.
CREATE AGGREGATE @extschema@.contact_pressure_state_agg(sent_at timestamptz, engaged boolean, as_of timestamptz) (
    SFUNC = @extschema@.contact_pressure_trans, STYPE = @extschema@.contact_pressure_state,
    COMBINEFUNC = @extschema@.contact_pressure_combine,
    SSPACE = 900, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.contact_pressure_state_agg(timestamptz, boolean, timestamptz) IS
    'the storable state of omni.contact_pressure over the 28 days before as_of';
CREATE AGGREGATE @extschema@.contact_pressure_state_agg(sent_at timestamptz, engaged boolean, as_of timestamptz,
                                                        "window" interval) (
    SFUNC = @extschema@.contact_pressure_trans, STYPE = @extschema@.contact_pressure_state,
    COMBINEFUNC = @extschema@.contact_pressure_combine,
    SSPACE = 900, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.contact_pressure_state_agg(timestamptz, boolean, timestamptz, interval) IS
    'the storable state of omni.contact_pressure over a window of whole weeks before as_of';
CREATE AGGREGATE @extschema@.contact_pressure_state_agg(sent_at timestamptz, engaged boolean, as_of timestamptz,
                                                        "window" interval, low_volume double precision) (
    SFUNC = @extschema@.contact_pressure_trans, STYPE = @extschema@.contact_pressure_state,
    COMBINEFUNC = @extschema@.contact_pressure_combine,
    SSPACE = 900, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.contact_pressure_state_agg(timestamptz, boolean, timestamptz, interval, double precision) IS
    'the storable state of omni.contact_pressure with its low_volume threshold';

CREATE AGGREGATE @extschema@.rollup(@extschema@.contact_pressure_state) (
    SFUNC = @extschema@.contact_pressure_combine, STYPE = @extschema@.contact_pressure_state,
    COMBINEFUNC = @extschema@.contact_pressure_combine,
    SSPACE = 900, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.contact_pressure_state) IS
    'merges contact pressure states of the same as_of, window and low_volume (e.g. per channel into per customer)';

CREATE FUNCTION @extschema@.contact_pressure(state @extschema@.contact_pressure_state)
    RETURNS @extschema@.contact_pressure_result
    AS 'MODULE_PATHNAME', 'contact_pressure_read' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.contact_pressure(@extschema@.contact_pressure_state) IS
    'the classification of a stored contact pressure state; equal to the aggregate over the same rows';
