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

