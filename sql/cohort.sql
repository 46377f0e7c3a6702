-- Cohort periods and the gap-filled cohort grid.
SET TimeZone = 'UTC';
SET DateStyle = ISO;

-- whole periods, calendar-correct: Jan 31 + 1 month is Feb 28 (Feb 29 in leap years)
SELECT at, omni.cohort_period('2026-01-31', at, '1 month') AS month_period
FROM (VALUES (timestamptz '2026-01-31'), ('2026-02-27 23:59:59'), ('2026-02-28'),
             ('2026-03-30'), ('2026-03-31'), ('2027-01-31'), ('2026-01-30')) AS v(at);
SELECT omni.cohort_period('2028-01-31', '2028-02-29', '1 month') AS leap_year;

-- days and weeks; a period can mix fields
SELECT omni.cohort_period('2026-03-01', '2026-03-15 12:00', '7 days') AS weeks,
       omni.cohort_period('2026-03-01', '2026-03-15 12:00', '1 day') AS days,
       omni.cohort_period('2026-03-01', '2026-03-15 12:00', '1 day 12 hours') AS mixed;

-- time zones: a day in Europe/Berlin across the spring DST change is 23 hours long
-- (local midnight Mar 28 to 00:30 on Mar 30 is two local days but under 47 elapsed hours)
SELECT omni.cohort_period('2026-03-28 00:00+01', '2026-03-30 00:30+02', '1 day', 'Europe/Berlin') AS berlin_days,
       omni.cohort_period('2026-03-28 00:00+01', '2026-03-30 00:30+02', '1 day', 'UTC') AS utc_days;
-- a month in New York that spans the DST change ends at local midnight, 04:00 UTC
SELECT omni.cohort_period('2026-03-01 00:00-05', '2026-04-01 04:30+00', '1 month', 'America/New_York') AS ny,
       omni.cohort_period('2026-03-01 00:00-05', '2026-04-01 04:30+00', '1 month', 'UTC') AS utc;
-- the session-zone form agrees with timestamptz + interval in the session's zone
SET TimeZone = 'America/New_York';
SELECT omni.cohort_period('2026-03-01 00:00-05', '2026-04-01 04:30+00', '1 month') AS session_ny,
       timestamptz '2026-03-01 00:00-05' + interval '1 month' AS builtin_boundary;
SET TimeZone = 'UTC';

-- before the cohort's start the count is negative (the floor), never silently 0
SELECT omni.cohort_period('2026-03-01', '2026-02-15', '1 month') AS before_start;

-- the full grid: as_of is the exclusive end of the data; observable = the period started
-- before as_of, complete = it ended by as_of
SELECT * FROM omni.cohort_grid('2026-01-01', '2026-03-01', '1 month', '1 month', '2026-03-15');

-- cohort x period x channel open-rate triangle, gap-filled: unobservable cells are NULL,
-- observable cells with no deliveries are 0/0, and real zeros are 0/n
CREATE TABLE customers (customer_id int, first_seen_at timestamptz);
CREATE TABLE messages (customer_id int, channel text, sent_at timestamptz, delivered boolean, opened boolean);
INSERT INTO customers VALUES (1, '2026-01-10'), (2, '2026-01-20'), (3, '2026-02-03'), (4, '2026-03-02');
INSERT INTO messages VALUES
    (1, 'email', '2026-01-12', true, true),  (1, 'email', '2026-02-12', true, false),
    (2, 'email', '2026-01-25', true, false), (2, 'sms',   '2026-03-03', true, true),
    (3, 'email', '2026-02-04', true, true),  (3, 'email', '2026-03-05', false, NULL),
    (4, 'email', '2026-03-04', true, false), (1, 'sms',   '2026-03-10', true, false);

WITH cells AS (
    SELECT date_trunc('month', c.first_seen_at) AS cohort_start,
           omni.cohort_period(date_trunc('month', c.first_seen_at), m.sent_at, '1 month') AS period_number,
           m.channel,
           omni.rate_agg(m.opened) FILTER (WHERE m.delivered) AS opens
    FROM messages m JOIN customers c USING (customer_id)
    GROUP BY 1, 2, 3
)
SELECT g.cohort_start::date, g.period_number, ch.channel, g.observable, g.complete,
       CASE WHEN g.observable THEN coalesce(cells.opens, '0/0') END AS opens,
       round(omni.value(cells.opens)::numeric, 3) AS open_rate
FROM omni.cohort_grid('2026-01-01', '2026-03-01', '1 month', '1 month', '2026-03-15') g
CROSS JOIN (VALUES ('email'), ('sms')) AS ch(channel)
LEFT JOIN cells USING (cohort_start, period_number, channel)
ORDER BY 1, 2, 3;

-- a zone-taking grid is IMMUTABLE and starts cohorts at local midnight
SELECT cohort_start, period_number, observable
FROM omni.cohort_grid('2026-01-01 00:00-05', '2026-02-01 00:00-05', '1 month', '1 month',
                      '2026-02-10', 'America/New_York');

-- NULLs: every cohort function is STRICT
SELECT omni.cohort_period(NULL, '2026-01-01', '1 month') IS NULL AS null_start;

-- errors
SELECT omni.cohort_period('2026-01-01', '2026-02-01', '0 days');
SELECT omni.cohort_period('2026-01-01', '2026-02-01', '-1 month');
SELECT omni.cohort_period('2026-01-01', '2026-02-01', '1 month -1 day');
SELECT omni.cohort_period('2026-01-01', 'infinity', '1 month');
SELECT omni.cohort_period('2026-01-01', '2026-02-01', '1 month', 'Mars/Olympus_Mons');
SELECT omni.cohort_period('1900-01-01', '2200-01-01', '1 second');
SELECT * FROM omni.cohort_grid('2026-03-01', '2026-01-01', '1 month', '1 month', '2026-03-15');
SELECT * FROM omni.cohort_grid('2020-01-01', '2026-01-01', '1 day', '1 second', '2026-03-15');
-- 2^32 cohorts x 2^32 periods: refused, not wrapped around to a small product
SELECT count(*) FROM omni.cohort_grid('2024-01-01', timestamptz '2024-01-01' + interval '4294967295 microseconds',
                                      '1 microsecond', '1 microsecond',
                                      timestamptz '2024-01-01' + interval '4294967296 microseconds');
SELECT * FROM omni.cohort_grid('2026-01-01', '2026-03-01', '1 month', '1 month', 'infinity');
-- as_of at or before the first cohort: no cell can have data yet
SELECT count(*) AS cells FROM omni.cohort_grid('2026-01-01', '2026-03-01', '1 month', '1 month', '2026-01-01');
