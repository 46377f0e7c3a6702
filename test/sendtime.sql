-- Send time and contact pressure (src/sendtime.c): the local hour of the week against
-- PostgreSQL's own extract(isodow/hour FROM ts AT TIME ZONE tz) across DST changes, the
-- posterior against its closed form in plain SQL, serial = parallel to the bit, rollups,
-- states through text and binary, forged states, every bad input, and contact pressure
-- against regr_slope and on generated data whose truth is known.
BEGIN;
SELECT plan(68);
SET LOCAL TimeZone = 'UTC';
SET LOCAL extra_float_digits = 3;

-- ---------------------------------------------------------------------------------------
-- The hour of the week: 0 = Monday 00:00-01:00 local wall-clock time, DST-correct
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE zone_checks AS
SELECT ts, tz
FROM (SELECT generate_series(timestamptz '2026-03-06', '2026-04-08', '37 minutes') AS ts
      UNION ALL SELECT generate_series(timestamptz '2026-10-22', '2026-11-05', '37 minutes')
      UNION ALL SELECT generate_series(timestamptz '2026-09-25', '2026-10-08', '37 minutes')) t,
     unnest(ARRAY['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata',
                  'America/St_Johns', 'Pacific/Chatham']) tz;
SELECT is((SELECT count(*) FROM zone_checks
            WHERE omni.local_hour_of_week(ts, tz) <>
                  (extract(isodow FROM ts AT TIME ZONE tz)::int - 1) * 24 + extract(hour FROM ts AT TIME ZONE tz)::int),
          0::bigint, 'local_hour_of_week = (isodow - 1) * 24 + hour of ts AT TIME ZONE tz, 7 zones across DST changes');
SELECT cmp_ok((SELECT count(*) FROM zone_checks), '>', 15000::bigint, 'over more than 15000 instants');
SELECT is(ARRAY[omni.local_hour_of_week('2026-03-29 00:30+00', 'Europe/Berlin'),
                omni.local_hour_of_week('2026-03-29 01:30+00', 'Europe/Berlin'),
                omni.local_hour_of_week('2026-10-25 00:30+00', 'Europe/Berlin'),
                omni.local_hour_of_week('2026-10-25 01:30+00', 'Europe/Berlin')],
          ARRAY[145, 147, 146, 146],
          'Berlin, Sunday of the spring change: 01:30 then 03:30 local (02:00 does not exist); autumn: 02:30 twice');
SELECT is(ARRAY[omni.local_hour_of_week('2026-01-05 00:00+00'), omni.local_hour_of_week('2026-01-04 23:59:59+00'),
                omni.local_hour_of_week('2026-01-05 00:00+00', 'America/New_York')],
          ARRAY[0, 167, 163], 'Monday 00:00 UTC is hour 0, Sunday 23:59 is 167; New York is then Sunday 19:00');
-- the aggregate puts each event in the same hour as the reference
SELECT is((SELECT count(*) FROM (SELECT ts, tz FROM zone_checks WHERE extract(minute FROM ts)::int % 7 = 0) z
            CROSS JOIN LATERAL (SELECT omni.best_send_time(x.ts, x.tz) AS s FROM (VALUES (z.ts, z.tz)) x(ts, tz)) a
            CROSS JOIN LATERAL omni.send_time_scores(a.s) r
            WHERE r.events = 1 AND r.hour_of_week <>
                  (extract(isodow FROM z.ts AT TIME ZONE z.tz)::int - 1) * 24 + extract(hour FROM z.ts AT TIME ZONE z.tz)::int),
          0::bigint, 'best_send_time counts each event in its local hour of the week');

-- ---------------------------------------------------------------------------------------
-- The posterior is the closed form
-- ---------------------------------------------------------------------------------------
SELECT setseed(0.25);
CREATE TABLE omni_sendtime_tap_customers AS
SELECT c AS customer_id,
       (ARRAY['Europe/Berlin','America/New_York','Asia/Tokyo','Australia/Sydney','UTC'])[1 + c % 5] AS tz,
       floor(random() * 168)::int AS true_hour, floor(random() * 25)::int AS n_events
FROM generate_series(1, 300) c;
CREATE TABLE omni_sendtime_tap_events AS
SELECT customer_id, tz,
       -- most events near the customer's true local hour, the rest anywhere in the week
       ((timestamp '2026-01-05' + (floor(random() * 20)::int * 7) * interval '1 day'
         + (CASE WHEN random() < 0.7 THEN true_hour ELSE floor(random() * 168)::int END) * interval '1 hour'
         + random() * interval '59 minutes') AT TIME ZONE tz) AS engaged_at
FROM omni_sendtime_tap_customers, generate_series(1, n_events);
INSERT INTO omni_sendtime_tap_events VALUES (1, 'Europe/Berlin', NULL);
ANALYZE omni_sendtime_tap_events;

CREATE TEMP TABLE prior AS
SELECT omni.send_time_prior(engaged_at, tz) AS p FROM omni_sendtime_tap_events;
CREATE TEMP TABLE states AS
SELECT customer_id, omni.best_send_time(engaged_at, tz, (SELECT p FROM prior)) AS s,
       omni.best_send_time(engaged_at, tz) AS u
FROM omni_sendtime_tap_events GROUP BY customer_id;

-- the reference, from extract() and the documented formulas
CREATE TEMP TABLE ref_counts AS
SELECT e.customer_id, (extract(isodow FROM engaged_at AT TIME ZONE tz)::int - 1) * 24
                      + extract(hour FROM engaged_at AT TIME ZONE tz)::int AS h
FROM omni_sendtime_tap_events e WHERE engaged_at IS NOT NULL;
-- each customer's counts found by index, not by scanning everyone's (quadratic under valgrind)
CREATE INDEX ON ref_counts (customer_id, h);
ANALYZE ref_counts;
CREATE TEMP TABLE ref_prior AS
SELECT h, count(r.h)::float8 AS c, (SELECT count(*) FROM ref_counts)::float8 AS n
FROM generate_series(0, 167) h LEFT JOIN ref_counts r USING (h) GROUP BY h;
CREATE TEMP TABLE ref_m AS
SELECT c.customer_id, h.h,
       (24 * (p.c + 1) / (p.n + 168) + count(r.h)) / (24 + (SELECT count(*) FROM ref_counts x WHERE x.customer_id = c.customer_id)) AS m_prior,
       (24.0 / 168 + count(r.h)) / (24 + (SELECT count(*) FROM ref_counts x WHERE x.customer_id = c.customer_id)) AS m_uniform,
       count(r.h)::float8 AS events
FROM omni_sendtime_tap_customers c CROSS JOIN generate_series(0, 167) h(h)
JOIN ref_prior p ON p.h = h.h
LEFT JOIN ref_counts r ON r.customer_id = c.customer_id AND r.h = h.h
WHERE c.n_events > 0
GROUP BY c.customer_id, h.h, p.c, p.n;
CREATE TEMP TABLE ref_q AS
SELECT a.customer_id, a.h, a.events,
       0.25 * l.m_prior + 0.5 * a.m_prior + 0.25 * r.m_prior AS q_prior,
       0.25 * l.m_uniform + 0.5 * a.m_uniform + 0.25 * r.m_uniform AS q_uniform
FROM ref_m a
JOIN ref_m l ON l.customer_id = a.customer_id AND l.h = (a.h + 167) % 168
JOIN ref_m r ON r.customer_id = a.customer_id AND r.h = (a.h + 1) % 168;
CREATE TEMP TABLE ref_best AS
SELECT DISTINCT ON (customer_id) customer_id, h AS best, q_prior AS confidence
FROM ref_q ORDER BY customer_id, q_prior DESC, h;
CREATE TEMP TABLE ref_best_day AS
SELECT DISTINCT ON (customer_id) customer_id, h % 24 AS best
FROM (SELECT customer_id, h, sum(q_prior) OVER (PARTITION BY customer_id, h % 24) AS d FROM ref_q) x
ORDER BY customer_id, d DESC, h % 24;

SELECT is((SELECT count(*) FROM states), (SELECT count(*) FROM omni_sendtime_tap_customers WHERE n_events > 0),
          'one state per customer with events (the NULL engaged_at row is skipped)');
SELECT is((SELECT count(*) FROM states s CROSS JOIN LATERAL omni.send_time_scores(s.s) o
             JOIN ref_q r ON r.customer_id = s.customer_id AND r.h = o.hour_of_week
            WHERE abs(o.posterior - r.q_prior) > 1e-15 OR o.events <> r.events
               OR o.hour_of_day <> r.h % 24 OR o.day_of_week <> r.h / 24 + 1),
          0::bigint, 'send_time_scores with the population prior: events and posterior = the closed form (1e-15)');
SELECT is((SELECT count(*) FROM states s CROSS JOIN LATERAL omni.send_time_scores(s.u) o
             JOIN ref_q r ON r.customer_id = s.customer_id AND r.h = o.hour_of_week
            WHERE abs(o.posterior - r.q_uniform) > 1e-15),
          0::bigint, 'without a prior: the uniform Dirichlet(24/168, ...) closed form');
SELECT is((SELECT count(*) FROM states s CROSS JOIN LATERAL omni.send_time_scores(s.s) o), 168::bigint * (SELECT count(*) FROM states),
          '168 rows per state');
SELECT is((SELECT count(*) FROM states s JOIN ref_best r USING (customer_id)
            WHERE omni.best_hour_of_week(s.s) <> r.best OR abs(omni.send_time_confidence(s.s) - r.confidence) > 1e-15),
          0::bigint, 'best_hour_of_week = the argmax of the closed form (ties: lowest hour); confidence = its posterior');
SELECT is((SELECT count(*) FROM states s JOIN ref_best_day r USING (customer_id)
            WHERE omni.best_hour_of_day(s.s) <> r.best),
          0::bigint, 'best_hour_of_day = the argmax of the posterior summed over the seven days');
SELECT is((SELECT round(sum(posterior)::numeric, 12) FROM states s CROSS JOIN LATERAL omni.send_time_scores(s.s) o
            WHERE s.customer_id = (SELECT min(customer_id) FROM states)), 1.000000000000,
          'the posterior sums to 1');
SELECT diag('true local hour recovered (within +-1 hour): prior ' ||
            round(avg((abs(omni.best_hour_of_week(s.s) - c.true_hour) <= 1)::int) FILTER (WHERE c.n_events >= 5), 3) ||
            ', uniform ' || round(avg((abs(omni.best_hour_of_week(s.u) - c.true_hour) <= 1)::int) FILTER (WHERE c.n_events >= 5), 3) ||
            ' (customers with >= 5 events)')
FROM states s JOIN omni_sendtime_tap_customers c USING (customer_id);
SELECT is(omni.best_hour_of_week(s), 0, 'a single event at Monday 00:30: ties resolve to the lowest hour')
FROM (SELECT omni.best_send_time(timestamptz '2026-01-05 00:30+00') AS s) x;
SELECT is(ARRAY[omni.best_hour_of_week(s), omni.event_count(s)::int], ARRAY[60, 1],
          'one event at Wednesday 12:10: that hour wins')
FROM (SELECT omni.best_send_time(timestamptz '2026-01-07 12:10+00') AS s) x;
SELECT ok(abs(omni.send_time_confidence(s) - (0.25 * (24.0/168) + 0.5 * (24.0/168 + 1) + 0.25 * (24.0/168)) / 25) < 1e-15,
          'its confidence: (1/4 a + 1/2 (a + 1) + 1/4 a) / (24 + 1), a = 24/168')
FROM (SELECT omni.best_send_time(timestamptz '2026-01-07 12:10+00') AS s) x;
SELECT is(omni.time_zone(s), 'Europe/Berlin', 'the state keeps the canonical zone name')
FROM (SELECT omni.best_send_time(timestamptz '2026-01-07 12:10+00', 'europe/berlin') AS s) x;
SELECT ok(omni.time_zone(p) IS NULL AND omni.event_count(p) = (SELECT count(*) FROM ref_counts),
          'a prior has no zone and counts every non-NULL event') FROM prior;
SELECT ok(omni.best_send_time(NULL::timestamptz) IS NULL, 'no events: NULL');

-- ---------------------------------------------------------------------------------------
-- Plans and storage: serial = parallel, rollup = recomputation, text and binary forms
-- ---------------------------------------------------------------------------------------
CREATE FUNCTION pg_temp.plan_of(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || query; END $$;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.plan_of(
              $q$SELECT customer_id % 7, omni.best_send_time(engaged_at) FROM omni_sendtime_tap_events GROUP BY 1$q$) l
              WHERE l ~ 'Partial (Hash|Group)Aggregate'),
          'a forced parallel plan aggregates partially in the workers');
CREATE TEMP TABLE parallel_states AS
SELECT customer_id % 7 AS k, omni.best_send_time(engaged_at)::text AS a,
       omni.send_time_prior(engaged_at, tz)::text AS b, omni.best_send_time(engaged_at, 'Asia/Tokyo', (SELECT p FROM prior))::text AS c
FROM omni_sendtime_tap_events GROUP BY 1;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_states AS
SELECT customer_id % 7 AS k, omni.best_send_time(engaged_at)::text AS a,
       omni.send_time_prior(engaged_at, tz)::text AS b, omni.best_send_time(engaged_at, 'Asia/Tokyo', (SELECT p FROM prior))::text AS c
FROM omni_sendtime_tap_events GROUP BY 1;
SELECT is((SELECT count(*) FROM parallel_states p JOIN serial_states s USING (k) WHERE p.a = s.a AND p.b = s.b AND p.c = s.c),
          7::bigint, 'the parallel plan gives the serial states bit for bit');
SELECT is((SELECT count(*) FROM (
             SELECT customer_id, omni.rollup(s) AS r FROM (
               SELECT customer_id, date_trunc('week', engaged_at) AS w, omni.best_send_time(engaged_at, tz, (SELECT p FROM prior)) AS s
                 FROM omni_sendtime_tap_events GROUP BY 1, 2) d GROUP BY 1) x
             JOIN states USING (customer_id) WHERE x.r::text = states.s::text),
          (SELECT count(*) FROM states), 'weekly states rolled up = the state over all events');
SELECT is((SELECT omni.rollup(p)::text FROM (SELECT omni.send_time_prior(engaged_at, tz) AS p FROM omni_sendtime_tap_events
                                              GROUP BY customer_id % 3) x),
          (SELECT p::text FROM prior), 'priors roll up too');
SELECT is((SELECT count(*) FROM states WHERE s::text::omni.send_time_state::text <> s::text
                                        OR u::text::omni.send_time_state::text <> u::text), 0::bigint,
          'text round trip is exact');
SELECT is((SELECT left(s::text, 8) FROM states LIMIT 1), '\x010201', 'text form: \x, version 1, customer kind, with a prior');

-- ---------------------------------------------------------------------------------------
-- Forged states and bad input
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE one AS SELECT omni.best_send_time(timestamptz '2026-01-07 12:10+00', 'UTC') AS s;
SELECT throws_ok($$SELECT '\x02020003555443'::omni.send_time_state$$, '22P02',
                 'unsupported omni.send_time_state format version 2', 'a future version is refused');
SELECT throws_ok($$SELECT (left((SELECT s::text FROM one), -2) || '05')::omni.send_time_state$$, '22P02',
                 'invalid omni.send_time_state: the hourly counts do not add up to the event count', 'counts that do not add up are refused');
SELECT throws_ok($$SELECT left((SELECT s::text FROM one), -2)::omni.send_time_state$$, '22P02',
                 NULL, 'a truncated state is refused');
SELECT throws_ok($$SELECT ((SELECT s::text FROM one) || '00')::omni.send_time_state$$, '22P02',
                 NULL, 'trailing bytes are refused');
SELECT throws_ok($$SELECT ('\x01020003585858' || substr((SELECT s::text FROM one), 17))::omni.send_time_state$$, '22P02',
                 'invalid omni.send_time_state: unknown zone "XXX"', 'an unknown zone is refused');
SELECT throws_ok($$SELECT ('\x0103' || substr((SELECT s::text FROM one), 7))::omni.send_time_state$$, '22P02',
                 'invalid omni.send_time_state: unknown kind 3', 'an unknown kind is refused');
SELECT throws_ok($$SELECT 'hello'::omni.send_time_state$$, '22P02', NULL, 'not hex: refused');
SELECT throws_ok($$SELECT omni.best_send_time(now(), 'Mars/Olympus')$$, '22023',
                 'time zone "Mars/Olympus" not recognized', 'an invalid zone is an error naming it');
SELECT throws_ok($$SELECT omni.send_time_prior(now(), 'Mars/Olympus')$$, '22023',
                 'time zone "Mars/Olympus" not recognized', 'also in the prior');
SELECT throws_ok($$SELECT omni.best_send_time(now(), NULL)$$, '22004', 'tz cannot be NULL', 'a NULL zone is an error');
SELECT throws_ok($$SELECT omni.best_send_time(t, z) FROM (VALUES (now(), 'UTC'), (now(), 'Europe/Berlin')) v(t, z)$$, '22023',
                 'time zone differs within one group: "UTC" and "Europe/Berlin"', 'different zones in one group');
SELECT throws_ok($$SELECT omni.best_send_time(now(), 'UTC', (SELECT s FROM one))$$, '22023',
                 'prior is a customer''s send-time state, not a population prior', 'a customer state as prior');
SELECT throws_ok($$SELECT omni.best_send_time(t, 'UTC', p) FROM (VALUES (now(), (SELECT p FROM prior)), (now(), NULL)) v(t, p)$$, '22023',
                 'prior differs within one group', 'different priors in one group');
SELECT is((SELECT array_agg(omni.best_hour_of_week(s) ORDER BY g) FROM (
              SELECT g, omni.best_send_time(t, 'UTC', p) AS s
                FROM (SELECT g, timestamptz '2026-01-05 00:10+00' AS t,
                             (SELECT omni.send_time_prior(x) FROM unnest(array_fill(timestamptz '2026-01-05 00:00+00' + g * interval '1 hour', ARRAY[50])) x) AS p
                        FROM generate_series(10, 12) g) v GROUP BY g) y),
          ARRAY[10, 11, 12], 'each group may have its own prior (a strong prior moves a one-event customer)');
SELECT throws_ok($$SELECT omni.rollup(s) FROM (SELECT omni.best_send_time(now(), z) s FROM unnest(ARRAY['UTC','Asia/Tokyo']) z GROUP BY z) x$$,
                 '22023', 'cannot merge send-time states of different time zones: "Asia/Tokyo" and "UTC"', 'rollup across zones');
SELECT throws_ok($$SELECT omni.rollup(s) FROM (SELECT s FROM one UNION ALL SELECT p FROM prior) x$$,
                 '22023', 'cannot merge a population prior with a customer''s send-time state', 'rollup of a prior and a customer');
SELECT throws_ok($$SELECT omni.best_send_time('infinity'::timestamptz)$$, '22008',
                 'engaged_at must be a finite timestamp, not infinity', 'an infinite engaged_at');

-- ---------------------------------------------------------------------------------------
-- Contact pressure
-- ---------------------------------------------------------------------------------------
-- generated truth: saturated customers' response probability falls with the week's volume;
-- on-target ones get 3-6 a week at a flat rate; undersaturated ones 0-2 a week, flat
SELECT setseed(0.5);
CREATE TABLE omni_pressure_tap_customers AS
SELECT c AS customer_id, (ARRAY['saturated', 'on_target', 'undersaturated'])[1 + c % 3] AS truth
FROM generate_series(1, 600) c;
CREATE TABLE omni_pressure_tap_weeks AS
SELECT customer_id, truth, w,
       CASE truth WHEN 'saturated' THEN 1 + floor(random() * 8)::int
                  WHEN 'on_target' THEN 3 + floor(random() * 4)::int
                  ELSE floor(random() * 3)::int END AS volume
FROM omni_pressure_tap_customers, generate_series(0, 11) w;
CREATE TABLE omni_pressure_tap_messages AS
SELECT customer_id, truth, volume,
       timestamptz '2026-06-01' - (w + 1) * interval '7 days' + random() * interval '7 days' AS sent_at,
       random() < CASE truth WHEN 'saturated' THEN greatest(0.75 - 0.09 * volume, 0.03) ELSE 0.3 END AS engaged
FROM omni_pressure_tap_weeks, generate_series(1, volume) m;
INSERT INTO omni_pressure_tap_messages VALUES (1, 'saturated', 0, NULL, false);
ANALYZE omni_pressure_tap_messages;

CREATE TEMP TABLE pressure AS
SELECT customer_id, truth, omni.contact_pressure(sent_at, engaged, '2026-06-01') AS p4,
       omni.contact_pressure(sent_at, engaged, '2026-06-01', '84 days') AS p12
FROM omni_pressure_tap_messages GROUP BY customer_id, truth;
-- the reference: regr_slope of engaged on the message's week volume, in plain SQL
CREATE TEMP TABLE pressure_ref AS
SELECT customer_id, count(*) AS n, sum(engaged::int) AS r, regr_slope(engaged::int, v) AS slope,
       sqrt(greatest(regr_syy(engaged::int, v) - regr_sxy(engaged::int, v)^2 / nullif(regr_sxx(engaged::int, v), 0), 0)
            / (count(*) - 2) / nullif(regr_sxx(engaged::int, v), 0)) AS se
FROM (SELECT customer_id, engaged, count(*) OVER (PARTITION BY customer_id, floor(date_part('epoch', timestamptz '2026-06-01' - sent_at) / (7 * 86400))) AS v
        FROM omni_pressure_tap_messages WHERE sent_at <= '2026-06-01' AND sent_at > timestamptz '2026-06-01' - interval '84 days') m
GROUP BY customer_id;
SELECT is((SELECT count(*) FROM pressure p JOIN pressure_ref r USING (customer_id)
            WHERE (p.p12).messages <> r.n OR (p.p12).responses <> r.r
               OR abs((p.p12).slope - r.slope) > 1e-12 OR abs((p.p12).slope_se - r.se) > 1e-12),
          0::bigint, 'messages, responses, the slope and its standard error = regr_slope & co. in plain SQL (1e-12)');
SELECT is((SELECT count(*) FROM pressure p WHERE (p.p12).weeks <> 12 OR (p.p4).weeks <> 4
               OR (p.p12).messages_per_week <> (p.p12).messages / 12.0), 0::bigint, 'weeks and messages per week');
SELECT is((SELECT count(*) FROM pressure p WHERE (p.p12).pressure <> CASE
              WHEN (p.p12).slope < 0 AND (p.p12).slope_z < -1.6448536269514722 THEN 'saturated'
              WHEN (p.p12).messages_per_week < 2 THEN 'undersaturated' ELSE 'on_target' END), 0::bigint,
          'the classification follows the documented rule');
SELECT diag('classification accuracy, 12 weeks: ' || round(avg(((p12).pressure = truth)::int), 3) ||
            ' (saturated ' || round(avg(((p12).pressure = truth)::int) FILTER (WHERE truth = 'saturated'), 3) ||
            ', on_target ' || round(avg(((p12).pressure = truth)::int) FILTER (WHERE truth = 'on_target'), 3) ||
            ', undersaturated ' || round(avg(((p12).pressure = truth)::int) FILTER (WHERE truth = 'undersaturated'), 3) ||
            '); 4 weeks (the default): ' || round(avg(((p4).pressure = truth)::int), 3) ||
            ' (saturated ' || round(avg(((p4).pressure = truth)::int) FILTER (WHERE truth = 'saturated'), 3) ||
            ', on_target ' || round(avg(((p4).pressure = truth)::int) FILTER (WHERE truth = 'on_target'), 3) ||
            ', undersaturated ' || round(avg(((p4).pressure = truth)::int) FILTER (WHERE truth = 'undersaturated'), 3) || ')')
FROM pressure;
SELECT cmp_ok((SELECT avg(((p12).pressure = truth)::int) FROM pressure), '>=', 0.85::numeric,
              'over 12 weeks at least 85% of customers are classified as their generated truth');
SELECT cmp_ok((SELECT avg(((p4).pressure = truth)::int) FROM pressure), '>=', 0.7::numeric,
              'over the default 4 weeks at least 70%');
SELECT cmp_ok((SELECT avg(((p12).pressure = 'saturated')::int) FROM pressure WHERE truth <> 'saturated'), '<=', 0.08::numeric,
              'flat-rate customers are rarely called saturated (nominal one-sided 5%; measured 6.75% here)');
SELECT is((SELECT count(*) FROM pressure WHERE (p4).slope IS NULL AND (p4).messages >= 10 AND (p4).low_volume_rate IS NOT NULL), 0::bigint,
           'a slope whenever there are 10 messages in weeks of different volumes');
SELECT is((omni.contact_pressure(t, true, '2026-06-01')).pressure, 'undersaturated',
          'three messages in four weeks: too little data for a slope, and low volume: undersaturated')
FROM (VALUES (timestamptz '2026-05-30'), ('2026-05-20'), ('2026-05-10')) v(t);
SELECT is(ARRAY[(p).messages, (p).responses]::bigint[], ARRAY[2, 1]::bigint[],
          'messages after as_of or at/before as_of - window are not counted; the window is (as_of - window, as_of]')
FROM (SELECT omni.contact_pressure(t, e, '2026-06-01') AS p
        FROM (VALUES (timestamptz '2026-06-01', true), ('2026-05-04 00:00:01', false), ('2026-05-04', true),
                     ('2026-06-01 00:00:01', true)) v(t, e)) x;
SELECT ok(omni.contact_pressure(NULL::timestamptz, true, '2026-06-01') IS NULL, 'no counted rows: NULL');

SET LOCAL max_parallel_workers_per_gather = 2;
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.plan_of(
              $q$SELECT customer_id % 7, omni.contact_pressure(sent_at, engaged, '2026-06-01', '84 days') FROM omni_pressure_tap_messages GROUP BY 1$q$) l
              WHERE l ~ 'Partial (Hash|Group)Aggregate'),
          'contact_pressure: a forced parallel plan aggregates partially');
CREATE TEMP TABLE parallel_pressure AS
SELECT customer_id % 7 AS k, omni.contact_pressure(sent_at, engaged, '2026-06-01', '84 days')::text AS p
FROM omni_pressure_tap_messages GROUP BY 1;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_pressure AS
SELECT customer_id % 7 AS k, omni.contact_pressure(sent_at, engaged, '2026-06-01', '84 days')::text AS p
FROM omni_pressure_tap_messages GROUP BY 1;
SELECT is((SELECT count(*) FROM parallel_pressure p JOIN serial_pressure s USING (k) WHERE p.p = s.p), 7::bigint,
          'contact_pressure: parallel = serial, every float8 bit');

-- ties: one event at Monday 10:xx and one at 12:xx (UTC) give hours 10, 11 and 12 the same smoothed
-- counts (2 + 0, 1 + 1, 0 + 2 halves): the same posterior to the bit, and the lowest hour wins
SELECT is((SELECT count(DISTINCT posterior) FROM omni.send_time_scores(
              (SELECT omni.best_send_time(t) FROM (VALUES (timestamptz '2026-03-16 10:20+00'), ('2026-03-16 12:40+00')) v(t)))
            WHERE hour_of_week IN (10, 11, 12)), 1::bigint,
          'hours that tie mathematically get the same posterior bits');
SELECT is(omni.best_hour_of_week(omni.best_send_time(t)), 10, 'a tie goes to the lowest hour of the week')
FROM (VALUES (timestamptz '2026-03-16 12:40+00'), ('2026-03-16 10:20+00')) v(t);

-- the storable form: one state per customer and week-half (think: per channel or per load), merged later
CREATE TEMP TABLE pressure_parts AS
SELECT customer_id, (extract(dow FROM sent_at)::int % 2) AS part,
       omni.contact_pressure_state_agg(sent_at, engaged, '2026-06-01', '84 days') AS s
FROM omni_pressure_tap_messages GROUP BY 1, 2;
SELECT is((SELECT count(*) FROM (SELECT customer_id, omni.contact_pressure(omni.rollup(s)) AS p FROM pressure_parts GROUP BY 1) r
             FULL JOIN (SELECT customer_id, omni.contact_pressure(sent_at, engaged, '2026-06-01', '84 days') AS p
                          FROM omni_pressure_tap_messages GROUP BY 1) a USING (customer_id)
            WHERE r.p IS DISTINCT FROM a.p),
          0::bigint, 'contact_pressure(rollup(per-part states)) = the aggregate over all rows, every column and bit');
SELECT is((SELECT count(*) FROM pressure_parts WHERE omni.contact_pressure(s::text::omni.contact_pressure_state) IS DISTINCT FROM omni.contact_pressure(s)),
          0::bigint, 'a stored state reads the same after its text round trip');
SELECT is((SELECT count(*) FROM (SELECT customer_id, omni.contact_pressure_state_agg(sent_at, engaged, '2026-06-01') AS s,
                                        omni.contact_pressure(sent_at, engaged, '2026-06-01') AS p
                                   FROM omni_pressure_tap_messages GROUP BY 1) x
            WHERE omni.contact_pressure(x.s) IS DISTINCT FROM x.p), 0::bigint,
          'contact_pressure_state_agg read by contact_pressure(state) = the aggregate (default window)');
SELECT throws_ok($$SELECT omni.rollup(s) FROM (SELECT omni.contact_pressure_state_agg(now(), true, '2026-06-01') UNION ALL
                                               SELECT omni.contact_pressure_state_agg(now(), true, '2026-06-08')) v(s)$$,
                 '22023', 'cannot merge contact pressure states of different as_of, window or low_volume',
                 'rollup refuses states of different as_of');
SELECT ok(omni.contact_pressure(NULL::omni.contact_pressure_state) IS NULL, 'contact_pressure(NULL state) is NULL (STRICT)');

SELECT throws_ok($$SELECT omni.contact_pressure(now(), NULL, now())$$, '22004', 'engaged cannot be NULL', 'a NULL engaged is an error');
SELECT throws_ok($$SELECT omni.contact_pressure(now(), true, NULL)$$, '22004', 'as_of cannot be NULL', 'a NULL as_of is an error');
SELECT throws_ok($$SELECT omni.contact_pressure(now(), true, now(), '30 days')$$, '22023',
                 'window must be a whole number of weeks from 1 to 53, not "30 days"', 'a window of no whole weeks');
SELECT throws_ok($$SELECT omni.contact_pressure(now(), true, now(), '54 weeks')$$, '22023', NULL, 'a window over 53 weeks');
SELECT throws_ok($$SELECT omni.contact_pressure(now(), true, now(), '28 days', -1)$$, '22023',
                 'low_volume must be a finite number >= 0, not -1', 'a negative low_volume');
SELECT throws_ok($$SELECT omni.contact_pressure(now(), true, t) FROM (VALUES (timestamptz '2026-01-01'), ('2026-01-02')) v(t)$$, '22023',
                 'as_of, window or low_volume differs within one group', 'as_of differing within a group');
SELECT throws_ok($$SELECT omni.contact_pressure_state_in('\x0104')$$, '22P02', NULL, 'a truncated pressure state is refused');

-- the binary form, through COPY BINARY
CREATE TEMP TABLE copied (customer_id int, s omni.send_time_state);
DO $$
DECLARE f text := '/tmp/omni_sendtime_tap_' || pg_backend_pid() || '.bin';
BEGIN
    EXECUTE format('COPY (SELECT customer_id, s FROM states) TO %L WITH (FORMAT binary)', f);
    EXECUTE format('COPY copied FROM %L WITH (FORMAT binary)', f);
END $$;
SELECT is((SELECT count(*) FROM copied c JOIN states s USING (customer_id) WHERE c.s::text = s.s::text),
          (SELECT count(*) FROM states), 'binary round trip (COPY BINARY) is exact');

SELECT * FROM finish();
ROLLBACK;
