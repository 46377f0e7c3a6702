-- Send time and contact pressure: the examples of docs/sendtime.md, with their output.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET extra_float_digits = 0;

-- when three customers (in three zones) and a wider population opened or clicked
CREATE TABLE engagement_times (customer text, tz text, engaged_at timestamptz);
INSERT INTO engagement_times VALUES
    -- Ann in Berlin reads at lunch on weekdays (12:xx local, across the March DST change)
    ('ann', 'Europe/Berlin', '2026-03-17 11:20+00'), ('ann', 'Europe/Berlin', '2026-03-19 11:45+00'),
    ('ann', 'Europe/Berlin', '2026-03-24 11:05+00'), ('ann', 'Europe/Berlin', '2026-03-31 10:15+00'),
    ('ann', 'Europe/Berlin', '2026-04-02 10:40+00'),
    -- Bob in New York engaged once, on a Saturday evening
    ('bob', 'America/New_York', '2026-03-21 23:30+00'),
    -- Cho in Tokyo reads on the train, Monday to Friday 08:xx local
    ('cho', 'Asia/Tokyo', '2026-03-16 23:10+00'), ('cho', 'Asia/Tokyo', '2026-03-17 23:25+00'),
    ('cho', 'Asia/Tokyo', '2026-03-18 23:40+00'), ('cho', 'Asia/Tokyo', '2026-03-19 23:05+00'),
    ('cho', 'Asia/Tokyo', '2026-03-22 23:50+00'), ('cho', 'Asia/Tokyo', '2026-03-23 23:15+00'),
    ('cho', 'Asia/Tokyo', '2026-03-24 23:30+00'), ('cho', 'Asia/Tokyo', '2026-03-25 23:20+00');
-- the rest of the population: a third on Tuesday 19:xx local, the others spread over the week
INSERT INTO engagement_times
SELECT 'p' || g, 'Europe/Berlin',
       (timestamp '2026-03-02 00:10' + CASE WHEN g % 3 = 0 THEN 43 ELSE (g * 37) % 168 END * interval '1 hour'
        + (g % 4) * interval '7 days') AT TIME ZONE 'Europe/Berlin'
FROM generate_series(1, 60) g;

-- the hour of the week: 0 = Monday 00:00-01:00 local time
SELECT omni.local_hour_of_week('2026-03-17 11:20+00', 'Europe/Berlin') AS tue_12h,
       omni.local_hour_of_week('2026-03-31 10:15+00', 'Europe/Berlin') AS tue_12h_summer_time;

-- each customer's best hour, shrunk toward the population's pattern
WITH prior AS (SELECT omni.send_time_prior(engaged_at, tz) AS p FROM engagement_times)
SELECT customer, omni.best_hour_of_week(s) AS hour_of_week, omni.best_hour_of_day(s) AS hour_of_day,
       round(omni.send_time_confidence(s)::numeric, 4) AS confidence, omni.event_count(s) AS events,
       omni.time_zone(s) AS tz
FROM (SELECT customer, omni.best_send_time(engaged_at, tz, (SELECT p FROM prior)) AS s
        FROM engagement_times WHERE customer IN ('ann', 'bob', 'cho') GROUP BY customer) x
ORDER BY customer;

-- without a prior: a uniform one (Bob's single event then decides)
SELECT customer, omni.best_hour_of_week(s) AS hour_of_week, omni.best_hour_of_day(s) AS hour_of_day,
       round(omni.send_time_confidence(s)::numeric, 4) AS confidence
FROM (SELECT customer, omni.best_send_time(engaged_at, tz) AS s
        FROM engagement_times WHERE customer IN ('ann', 'bob', 'cho') GROUP BY customer) x
ORDER BY customer;

-- the per-hour form for a BI chart: Ann's top three hours
SELECT h.hour_of_week, h.day_of_week, h.hour_of_day, h.events, round(h.posterior::numeric, 4) AS posterior
FROM (SELECT omni.best_send_time(engaged_at, tz) AS s FROM engagement_times WHERE customer = 'ann') x,
     LATERAL omni.send_time_scores(x.s) h
ORDER BY h.posterior DESC, h.hour_of_week LIMIT 3;

-- states merge: weekly states rolled up equal the state over everything
SELECT omni.rollup(s)::text = (SELECT omni.best_send_time(engaged_at, tz)::text FROM engagement_times WHERE customer = 'cho') AS same
FROM (SELECT omni.best_send_time(engaged_at, tz) AS s FROM engagement_times WHERE customer = 'cho'
      GROUP BY date_trunc('week', engaged_at)) w;

-- contact pressure: messages sent and whether the customer responded
CREATE TABLE sent_messages (customer text, sent_at timestamptz, engaged boolean);
INSERT INTO sent_messages
-- Dee: 1 to 6 messages a week; the more she gets, the less she responds
SELECT 'dee', timestamptz '2026-06-01' - (w + 1) * interval '7 days' + m * interval '1 day',
       m <= CASE WHEN v <= 2 THEN v ELSE greatest(3 - v / 2, 0) END
FROM (VALUES (0, 6), (1, 1), (2, 5), (3, 2), (4, 6), (5, 1), (6, 4), (7, 2)) wv(w, v), generate_series(1, v) m
UNION ALL
-- Eve: one message a week, responds to every other
SELECT 'eve', timestamptz '2026-06-01' - (w + 1) * interval '7 days' + interval '2 days', w % 2 = 0
FROM generate_series(0, 7) w
UNION ALL
-- Fay: four a week, responds to one of them every week
SELECT 'fay', timestamptz '2026-06-01' - (w + 1) * interval '7 days' + m * interval '1 day', m = 1
FROM generate_series(0, 7) w, generate_series(1, 4) m;

SELECT customer, (p).pressure, (p).weeks, (p).messages, (p).responses, round((p).messages_per_week::numeric, 2) AS per_week,
       round((p).low_volume_rate::numeric, 3) AS low_rate, round((p).high_volume_rate::numeric, 3) AS high_rate,
       round((p).slope::numeric, 4) AS slope, round((p).slope_z::numeric, 2) AS z
FROM (SELECT customer, omni.contact_pressure(sent_at, engaged, '2026-06-01', '56 days') AS p
        FROM sent_messages GROUP BY customer) x
ORDER BY customer;

-- the default window, 28 days: Dee's four weeks
SELECT (omni.contact_pressure(sent_at, engaged, '2026-06-01')).*
FROM sent_messages WHERE customer = 'dee';

-- the stored form: one state per customer and half of the window, merged and read later
CREATE TABLE pressure_states AS
SELECT customer, sent_at >= timestamptz '2026-05-04' AS recent,
       omni.contact_pressure_state_agg(sent_at, engaged, '2026-06-01', '56 days') AS state
FROM sent_messages GROUP BY 1, 2;
SELECT customer, (omni.contact_pressure(omni.rollup(state))).pressure
FROM pressure_states GROUP BY customer ORDER BY customer;

-- bad input
SELECT omni.best_send_time(engaged_at, 'Europe/Berlyn') FROM engagement_times WHERE customer = 'ann';
SELECT omni.best_send_time(engaged_at, tz) FROM engagement_times WHERE customer IN ('ann', 'bob');
SELECT omni.contact_pressure(sent_at, engaged, '2026-06-01', '1 month') FROM sent_messages;
SELECT omni.contact_pressure(sent_at, NULL, '2026-06-01') FROM sent_messages;
