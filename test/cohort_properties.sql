-- Properties of omni.cohort_period and omni.cohort_grid, checked against PostgreSQL's own
-- timestamptz + interval arithmetic (an independent computation of the same definition).
BEGIN;
SELECT plan(14);

SELECT setseed(0.4242);
CREATE TEMP TABLE cases AS
SELECT zone, period,
       start,
       start + (random() * 900 - 30) * interval '1 day' + random() * interval '1 day' AS at
FROM (VALUES ('UTC'), ('America/New_York'), ('Europe/Berlin'), ('Asia/Kolkata'),
             ('Australia/Lord_Howe')) AS z(zone),
     (VALUES (interval '1 month'), ('3 months'), ('7 days'), ('1 day'), ('1 day 6 hours'),
             ('2 hours'), ('1 month 15 days')) AS p(period),
     LATERAL (SELECT timestamptz '2024-01-01' + random() * interval '700 days' AS start
              FROM generate_series(1, 40)) AS s;

-- the reference: the largest k with start + k*period <= at, using the built-in operator in
-- the session zone (k from -400 so starts after the event are covered too)
CREATE FUNCTION pg_temp.reference_period(start timestamptz, at timestamptz, period interval)
RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT max(k) FROM generate_series(-400, 12000) AS k WHERE start + k * period <= at
$$;

CREATE TEMP TABLE results (zone text, period interval, start timestamptz, at timestamptz,
                           omni_session int, omni_zone int, reference int);
DO $$
DECLARE z text;
BEGIN
    FOR z IN SELECT DISTINCT zone FROM cases LOOP
        PERFORM set_config('TimeZone', z, true);
        INSERT INTO results
        SELECT zone, period, start, at,
               omni.cohort_period(start, at, period),
               omni.cohort_period(start, at, period, zone),
               pg_temp.reference_period(start, at, period)
        FROM cases WHERE zone = z;
    END LOOP;
END $$;
RESET TimeZone;

SELECT is((SELECT count(*) FROM results), 1400::bigint, '1400 random cases over 5 zones and 7 periods');
SELECT is((SELECT count(*) FROM results WHERE omni_session IS DISTINCT FROM reference), 0::bigint,
          'session-zone cohort_period equals max k with start + k*period <= at');
SELECT is((SELECT count(*) FROM results WHERE omni_zone IS DISTINCT FROM reference), 0::bigint,
          'zone-taking cohort_period equals the built-in arithmetic in that zone');
SELECT ok((SELECT count(*) FROM results WHERE reference < 0) > 0
          AND (SELECT count(*) FROM results WHERE reference > 100) > 0,
          'the cases include events before the cohort start and long horizons');

-- one call site over many rows, as in a cohort query: 100 distinct starts (more than the 64
-- whose boundaries are cached per query), events up to two years later, starts both before and
-- after the events
CREATE TEMP TABLE many AS
SELECT timestamptz '2024-01-31 00:00+00' + (i % 100) * interval '9 days 7 hours' AS start,
       timestamptz '2024-01-01 00:00+00' + random() * interval '900 days' AS at
FROM generate_series(1, 6000) AS i;
CREATE FUNCTION pg_temp.reference_period(start timestamptz, at timestamptz, period interval, lo int, hi int)
RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT max(k) FROM generate_series(lo, hi) AS k WHERE start + k * period <= at
$$;
SET LOCAL TimeZone = 'America/New_York';
SELECT is((SELECT count(*) FROM many
           WHERE omni.cohort_period(start, at, '1 month')
                 IS DISTINCT FROM pg_temp.reference_period(start, at, '1 month', -40, 40)),
          0::bigint, 'cached month periods over 6000 rows and 100 starts equal the reference');
SET LOCAL TimeZone = 'Europe/Berlin';
CREATE TEMP TABLE berlin_days AS
SELECT start, at, pg_temp.reference_period(start, at, '1 day', -1200, 1200) AS reference FROM many;
RESET TimeZone;
SELECT is((SELECT count(*) FROM berlin_days
           WHERE omni.cohort_period(start, at, '1 day', 'Europe/Berlin') IS DISTINCT FROM reference),
          0::bigint, 'cached day periods in Berlin (zone argument) equal the built-in arithmetic there');
RESET TimeZone;

-- per-customer starts: a different start on nearly every row (far beyond the 64 cached per
-- query, so the civil-date fast path answers them), in 14 zones with DST, abolished DST,
-- half-hour and 45-minute offsets and irregular transitions; half the starts fall in the
-- weeks of the usual transitions, at any time of day (gaps and repeated hours included)
SELECT setseed(0.7731);
CREATE TEMP TABLE per_customer AS
SELECT zone, period, start,
       start + (random() * 960 - 60) * interval '1 day' + random() * interval '1 day' AS at
FROM (VALUES ('UTC'), ('America/New_York'), ('Europe/Berlin'), ('Asia/Kolkata'),
             ('Australia/Lord_Howe'), ('Europe/London'), ('America/Santiago'), ('America/Sao_Paulo'),
             ('Pacific/Apia'), ('Asia/Tehran'), ('Africa/Casablanca'), ('Pacific/Chatham'),
             ('America/St_Johns'), ('Australia/Adelaide')) AS z(zone),
     (VALUES (interval '1 month'), ('3 months'), ('7 days'), ('1 day'), ('1 month 15 days'),
             ('2 hours'), ('1 day 6 hours')) AS p(period),
     LATERAL (SELECT CASE WHEN i % 2 = 0 OR zone IS NULL OR period IS NULL
                          THEN timestamptz '2019-01-01' + random() * interval '2600 days'
                          ELSE (make_date(2019 + (random() * 6)::int,
                                          (ARRAY[3, 3, 4, 9, 10, 10, 11])[1 + (random() * 6)::int],
                                          1 + (random() * 27)::int)::timestamp
                                + random() * interval '1 day') AT TIME ZONE zone END AS start
              FROM generate_series(1, 160) AS i) AS s;

-- the reference: the largest k with start + k*period <= at by the built-in operator, searched
-- in a window around the elapsed time over the mean period; NULL when the window misses
CREATE FUNCTION pg_temp.reference_window(start timestamptz, at timestamptz, period interval)
RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN start + (g - 6) * period <= at AND start + (g + 7) * period > at
                THEN (SELECT max(k) FROM generate_series(g - 6, g + 6) AS k WHERE start + k * period <= at) END
    FROM (SELECT floor(extract(epoch FROM at - start) / extract(epoch FROM period))::int AS g) AS x
$$;

CREATE TEMP TABLE per_customer_results (zone text, period interval, start timestamptz, at timestamptz,
                                        omni_session int, omni_zone int, reference int);
DO $$
DECLARE z text;
BEGIN
    FOR z IN SELECT DISTINCT zone FROM per_customer LOOP
        PERFORM set_config('TimeZone', z, true);
        INSERT INTO per_customer_results
        SELECT zone, period, start, at,
               omni.cohort_period(start, at, period),
               omni.cohort_period(start, at, period, zone),
               pg_temp.reference_window(start, at, period)
        FROM per_customer WHERE zone = z;
    END LOOP;
END $$;
RESET TimeZone;

SELECT is((SELECT count(DISTINCT (zone, period, start)) FROM per_customer_results), 15680::bigint,
          '15,680 per-customer cases, a different start on every row of a zone and period');
SELECT is((SELECT count(*) FROM per_customer_results WHERE reference IS NULL), 0::bigint,
          'the reference window holds every answer');
SELECT is((SELECT count(*) FROM per_customer_results WHERE omni_session IS DISTINCT FROM reference), 0::bigint,
          'per-customer starts (session zone) equal max k with start + k*period <= at in 14 zones');
SELECT is((SELECT count(*) FROM per_customer_results WHERE omni_zone IS DISTINCT FROM reference), 0::bigint,
          'per-customer starts (zone argument) equal the built-in arithmetic in 14 zones');

-- the grid: one row per cohort x period, boundaries from the same arithmetic, flags by as_of
SET LOCAL TimeZone = 'Europe/Berlin';
CREATE TEMP TABLE grid AS
SELECT * FROM omni.cohort_grid('2025-01-31', '2025-12-31', '1 month', '7 days', '2026-02-10 12:00');
SELECT is((SELECT count(*) FROM grid),
          (12 * (omni.cohort_period('2025-01-31', '2026-02-10 11:59:59.999999', '7 days') + 1))::bigint,
          'grid has cohorts x (periods of the oldest cohort starting before as_of) rows');
SELECT is((SELECT max(period_number) FROM omni.cohort_grid('2026-01-01', '2026-01-01', '1 month', '1 month', '2026-04-01')),
          2, 'as_of is exclusive: a period starting exactly at as_of is not in the grid');
SELECT is((SELECT count(*) FROM grid g
            WHERE g.period_start <> g.cohort_start + g.period_number * interval '7 days'
               OR g.period_end <> g.cohort_start + (g.period_number + 1) * interval '7 days'
               OR g.observable <> (g.period_start < '2026-02-10 12:00')
               OR g.complete <> (g.period_end <= '2026-02-10 12:00')), 0::bigint,
          'grid boundaries and observable/complete flags match the built-in arithmetic');
SELECT is((SELECT array_agg(DISTINCT cohort_start ORDER BY cohort_start) FROM grid),
          (SELECT array_agg(timestamptz '2025-01-31' + k * interval '1 month' ORDER BY k)
             FROM generate_series(0, 11) k),
          'cohort starts step by multiples of the interval (Jan 31, Feb 28, Mar 31, ...)');

SELECT * FROM finish();
ROLLBACK;
