-- omni.cohort_triangle: equal to the GROUP BY form cell for cell (cohort and customer
-- counting, several zones and intervals, serial and parallel), rollup, text round trip,
-- gap filling against omni.cohort_grid, the form over pre-counted rows, NULLs and errors.
BEGIN;
SELECT plan(37);

SELECT setseed(0.2718);
CREATE TABLE tri_customers (customer_id int PRIMARY KEY, signup_at timestamptz);
INSERT INTO tri_customers
SELECT i, timestamptz '2024-01-01 00:00+00' + random() * interval '600 days'
FROM generate_series(1, 3000) AS i;
-- every message after its customer's signup but a few before it (negative periods)
CREATE TABLE tri_messages (customer_id int, channel text, sent_at timestamptz, delivered boolean, opened boolean);
INSERT INTO tri_messages
SELECT c.customer_id, (ARRAY['email', 'sms', 'push'])[1 + (random() * 2)::int],
       c.signup_at + (CASE WHEN random() < 0.02 THEN -40 ELSE 0 END + random() * 500) * interval '1 day',
       random() < 0.95,
       CASE WHEN random() < 0.05 THEN NULL ELSE random() < 0.3 END
FROM tri_customers c, generate_series(1, 12) AS j;
ANALYZE tri_customers;
ANALYZE tri_messages;

-- the two forms, cell for cell; cells with trials only (a cell whose rows are all filtered
-- or NULL is 0/0 in the GROUP BY form and absent from the triangle's cells)
CREATE FUNCTION pg_temp.cell_diff(q_triangle text, q_group text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format($q$
        SELECT count(*) FROM (SELECT * FROM (%s) t) a
        FULL JOIN (SELECT * FROM (%s) g WHERE omni.trials(rate) > 0) b
          ON a.cohort_start = b.cohort_start AND a.period_number = b.period_number
             AND a.channel IS NOT DISTINCT FROM b.channel
        WHERE a.rate::text IS DISTINCT FROM b.rate::text$q$, q_triangle, q_group) INTO n;
    RETURN n;
END $$;

CREATE FUNCTION pg_temp.triangle_q(args text, zone_arg text DEFAULT '') RETURNS text LANGUAGE sql AS $$
    SELECT format($q$SELECT c.cohort_start, c.period_number, t.channel, c.rate
        FROM (SELECT m.channel, omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, %s) FILTER (WHERE m.delivered) AS tri
              FROM tri_messages m JOIN tri_customers cu USING (customer_id) GROUP BY m.channel) t,
             omni.cohort_cells(t.tri) c$q$, args)
$$;
CREATE FUNCTION pg_temp.group_q(cohort_expr text, period_expr text) RETURNS text LANGUAGE sql AS $$
    SELECT format($q$SELECT %s AS cohort_start, %s AS period_number, m.channel,
               omni.rate_agg(m.opened) FILTER (WHERE m.delivered) AS rate
        FROM tri_messages m JOIN tri_customers cu USING (customer_id) GROUP BY 1, 2, 3$q$,
        cohort_expr, replace(period_expr, 'COHORT', cohort_expr))
$$;

CREATE TEMP TABLE diffs (zone text, form text, cells bigint, differ bigint);
DO $$
DECLARE z text;
BEGIN
    FOR z IN SELECT unnest(ARRAY['UTC', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata']) LOOP
        PERFORM set_config('TimeZone', z, true);
        INSERT INTO diffs SELECT z, 'month/month from cohort', 0,
            pg_temp.cell_diff(pg_temp.triangle_q($a$'1 month', '1 month'$a$),
                              pg_temp.group_q($e$date_trunc('month', cu.signup_at)$e$,
                                              $e$omni.cohort_period(COHORT, m.sent_at, '1 month')$e$));
        INSERT INTO diffs SELECT z, 'month/month from customer', 0,
            pg_temp.cell_diff(pg_temp.triangle_q($a$'1 month', '1 month', 'customer'$a$),
                              pg_temp.group_q($e$date_trunc('month', cu.signup_at)$e$,
                                              $e$omni.cohort_period(cu.signup_at, m.sent_at, '1 month')$e$));
        INSERT INTO diffs SELECT z, 'week/day from cohort', 0,
            pg_temp.cell_diff(pg_temp.triangle_q($a$'7 days', '1 day', 'cohort'$a$),
                              pg_temp.group_q($e$date_trunc('week', cu.signup_at)$e$,
                                              $e$omni.cohort_period(COHORT, m.sent_at, '1 day')$e$));
        INSERT INTO diffs SELECT z, 'quarter/week from customer', 0,
            pg_temp.cell_diff(pg_temp.triangle_q($a$'3 months', '7 days', 'customer'$a$),
                              pg_temp.group_q($e$date_trunc('quarter', cu.signup_at)$e$,
                                              $e$omni.cohort_period(cu.signup_at, m.sent_at, '7 days')$e$));
        INSERT INTO diffs SELECT z, 'day/1 month 15 days from customer', 0,
            pg_temp.cell_diff(pg_temp.triangle_q($a$'1 day', '1 month 15 days', 'customer'$a$),
                              pg_temp.group_q($e$date_trunc('day', cu.signup_at)$e$,
                                              $e$omni.cohort_period(cu.signup_at, m.sent_at, '1 month 15 days')$e$));
        -- the zone argument, from another session zone
        PERFORM set_config('TimeZone', 'Pacific/Chatham', true);
        INSERT INTO diffs SELECT z, 'zone argument, month/month from cohort', 0,
            pg_temp.cell_diff(pg_temp.triangle_q(format($a$'1 month', '1 month', 'cohort', %L$a$, z)),
                              pg_temp.group_q(format($e$date_trunc('month', cu.signup_at, %L)$e$, z),
                                              format($e$omni.cohort_period(COHORT, m.sent_at, '1 month', %L)$e$, z)));
        INSERT INTO diffs SELECT z, 'zone argument, month/week from customer', 0,
            pg_temp.cell_diff(pg_temp.triangle_q(format($a$'1 month', '7 days', 'customer', %L$a$, z)),
                              pg_temp.group_q(format($e$date_trunc('month', cu.signup_at, %L)$e$, z),
                                              format($e$omni.cohort_period(cu.signup_at, m.sent_at, '7 days', %L)$e$, z)));
    END LOOP;
END $$;
RESET TimeZone;

SELECT is((SELECT count(*) FROM diffs), 28::bigint, '7 forms in 4 zones compared');
SELECT is((SELECT string_agg(zone || ': ' || form, '; ') FROM diffs WHERE differ > 0), NULL,
          'every triangle equals its GROUP BY form cell for cell (cohort and customer counting, 4 zones)');
SELECT ok((SELECT count(*) FROM (SELECT * FROM omni.cohort_cells(
               (SELECT omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, '1 month', '1 month', 'customer', 'UTC')
                  FROM tri_messages m JOIN tri_customers cu USING (customer_id)))) c
            WHERE period_number < 0) > 0, 'the data include negative periods (events before the start)');
SELECT ok((SELECT count(*) FROM omni.cohort_cells(
               (SELECT omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, '1 month', '1 month', 'cohort', 'UTC')
                  FROM tri_messages m JOIN tri_customers cu USING (customer_id)))) > 300,
          'a month x month triangle has hundreds of cells');

-- serial = parallel, grouped by channel and by nothing
CREATE TEMP TABLE serial_tri AS
SELECT m.channel, omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, '1 month', '1 month', 'customer', 'America/New_York')
           FILTER (WHERE m.delivered) AS tri
FROM tri_messages m JOIN tri_customers cu USING (customer_id) GROUP BY m.channel;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
CREATE FUNCTION pg_temp.plan_has(q text, pattern text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        IF line ~ pattern THEN RETURN true; END IF;
    END LOOP;
    RETURN false;
END $$;
SELECT ok(pg_temp.plan_has($q$SELECT m.channel, omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, '1 month', '1 month', 'customer', 'America/New_York')
           FILTER (WHERE m.delivered) FROM tri_messages m JOIN tri_customers cu USING (customer_id) GROUP BY m.channel$q$,
                          'Partial (Hash|Group)?Aggregate'),
          'grouped by channel, the triangle is a parallel partial aggregate');
CREATE TEMP TABLE parallel_tri AS
SELECT m.channel, omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, '1 month', '1 month', 'customer', 'America/New_York')
           FILTER (WHERE m.delivered) AS tri
FROM tri_messages m JOIN tri_customers cu USING (customer_id) GROUP BY m.channel;
SELECT is((SELECT count(*) FROM serial_tri s JOIN parallel_tri p USING (channel) WHERE s.tri::text = p.tri::text),
          3::bigint, 'parallel triangles per channel equal the serial ones, byte for byte');
SELECT ok(pg_temp.plan_has($q$SELECT omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, '1 month', '1 month')
           FROM tri_messages m JOIN tri_customers cu USING (customer_id)$q$, 'Partial Aggregate'),
          'over all rows, too');
CREATE TEMP TABLE parallel_all AS
SELECT omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, '1 month', '1 month') AS tri
FROM tri_messages m JOIN tri_customers cu USING (customer_id);
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT is((SELECT tri::text FROM parallel_all),
          (SELECT omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, '1 month', '1 month')::text
             FROM tri_messages m JOIN tri_customers cu USING (customer_id)),
          'parallel over all rows equals serial');
RESET max_parallel_workers_per_gather;

-- rollup: daily triangles per channel merge to the triangle of all rows
CREATE TEMP TABLE daily AS
SELECT date_trunc('day', m.sent_at, 'UTC') AS day, m.channel,
       omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, '1 month', '1 month', 'cohort', 'UTC')
           FILTER (WHERE m.delivered) AS tri
FROM tri_messages m JOIN tri_customers cu USING (customer_id) GROUP BY 1, 2;
SELECT is((SELECT omni.rollup(tri)::text FROM daily),
          (SELECT omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, '1 month', '1 month', 'cohort', 'UTC')
                      FILTER (WHERE m.delivered)::text
             FROM tri_messages m JOIN tri_customers cu USING (customer_id)),
          'rollup of daily per-channel triangles equals the triangle of all rows');
SELECT is((SELECT count(*) FROM (SELECT channel, omni.rollup(tri) AS tri FROM daily GROUP BY channel) r
             JOIN serial_tri s USING (channel) WHERE r.tri::text = s.tri::text), 0::bigint,
          'triangles of different zones or counting are different values');
SELECT is((SELECT count(*) FROM daily WHERE tri::text::omni.cohort_triangle::text <> tri::text), 0::bigint,
          'text round trip is exact');
SELECT is((SELECT count(*) FROM daily WHERE '\x' || encode(omni.cohort_triangle_send(tri), 'hex') <> tri::text),
          0::bigint, 'the text form is the binary form in hex');

-- gap filling: the cells of omni.cohort_grid with its observable/complete flags
CREATE TEMP TABLE whole AS
SELECT omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, '1 month', '1 month', 'cohort', 'UTC')
           FILTER (WHERE m.delivered) AS tri
FROM tri_messages m JOIN tri_customers cu USING (customer_id);
SET LOCAL TimeZone = 'UTC';
-- as_of after the last message: every cell with data is observable
SELECT max(sent_at) + interval '1 second' AS as_of FROM tri_messages \gset
CREATE TEMP TABLE filled AS SELECT * FROM omni.cohort_cells((SELECT tri FROM whole), :'as_of');
CREATE TEMP TABLE grid AS
SELECT * FROM omni.cohort_grid((SELECT min(cohort_start) FROM omni.cohort_cells((SELECT tri FROM whole))),
                               (SELECT max(cohort_start) FROM omni.cohort_cells((SELECT tri FROM whole))),
                               '1 month', '1 month', :'as_of');
SELECT is((SELECT count(*) FROM grid g LEFT JOIN filled f USING (cohort_start, period_number)
            WHERE f.observable IS DISTINCT FROM g.observable OR f.complete IS DISTINCT FROM g.complete), 0::bigint,
          'gap-filled cells cover the cohort grid with its observable and complete flags');
SELECT is((SELECT count(*) FROM filled f JOIN grid g USING (cohort_start, period_number)
            WHERE (g.observable AND f.rate IS NULL) OR (NOT g.observable AND f.rate IS NOT NULL)), 0::bigint,
          'observable cells have a rate (0/0 without trials), unobservable ones NULL');
SELECT is((SELECT count(*) FROM omni.cohort_cells((SELECT tri FROM whole)) c
             LEFT JOIN filled f USING (cohort_start, period_number) WHERE f.rate::text IS DISTINCT FROM c.rate::text), 0::bigint,
          'every cell with trials is in the gap-filled form with its rate (also outside the grid)');
SELECT ok((SELECT count(*) FROM filled WHERE omni.trials(rate) = 0) > 0, 'some observable cells are 0/0');
RESET TimeZone;

-- from counts: a daily rollup table (cohort month, day, channel, opens, sends), as a dbt model
-- or an ESP's report keeps it, gives the triangle of the raw rows
SET LOCAL TimeZone = 'America/New_York';
CREATE TABLE tri_daily AS
SELECT date_trunc('month', cu.signup_at) AS cohort_month, date_trunc('day', m.sent_at) AS day, m.channel,
       count(*) FILTER (WHERE m.delivered AND m.opened) AS opens,
       count(m.opened) FILTER (WHERE m.delivered) AS sends
FROM tri_messages m JOIN tri_customers cu USING (customer_id) GROUP BY 1, 2, 3;
ANALYZE tri_daily;
CREATE TEMP TABLE raw_tri AS
SELECT m.channel, omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, '1 month', '1 month') FILTER (WHERE m.delivered) AS tri
FROM tri_messages m JOIN tri_customers cu USING (customer_id) GROUP BY m.channel;
CREATE TEMP TABLE counted_tri AS
SELECT channel, omni.cohort_triangle(cohort_month, day, opens, sends, '1 month', '1 month') AS tri
FROM tri_daily GROUP BY channel;
SELECT is((SELECT count(*) FROM raw_tri r JOIN counted_tri c USING (channel) WHERE r.tri::text = c.tri::text),
          3::bigint, 'triangles from daily counts equal the triangles of the raw rows, byte for byte');
SELECT is(pg_temp.cell_diff(
            $q$SELECT c.cohort_start, c.period_number, t.channel, c.rate FROM counted_tri t, omni.cohort_cells(t.tri) c$q$,
            $q$SELECT cohort_month AS cohort_start, omni.cohort_period(cohort_month, day, '1 month') AS period_number, channel,
                      omni.rate_agg(opens, sends) AS rate
               FROM tri_daily GROUP BY 1, 2, 3$q$),
          0::bigint, 'its cells equal the GROUP BY form with rate_agg(hits, trials)');
SELECT is((SELECT omni.cohort_triangle(cohort_month, day, opens, sends, '1 month', '1 month', 'cohort', 'America/New_York')::text
             FROM tri_daily),
          (SELECT omni.rollup(tri)::text FROM counted_tri),
          'with the zone given (IMMUTABLE form): the same value as in that session zone');
SELECT is((SELECT omni.cohort_triangle(signup_at, sent_at, opens, sends, '1 month', '1 month', 'customer')::text
             FROM (SELECT cu.signup_at, m.sent_at, count(*) FILTER (WHERE m.opened) AS opens, count(m.opened) AS sends
                   FROM tri_messages m JOIN tri_customers cu USING (customer_id) GROUP BY 1, 2) g),
          (SELECT omni.cohort_triangle(cu.signup_at, m.sent_at, m.opened, '1 month', '1 month', 'customer')::text
             FROM tri_messages m JOIN tri_customers cu USING (customer_id)),
          'counted from each customer''s start: counts per (start, time) give the raw rows'' triangle');
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SELECT ok(pg_temp.plan_has($q$SELECT channel, omni.cohort_triangle(cohort_month, day, opens, sends, '1 month', '1 month')
                              FROM tri_daily GROUP BY channel$q$, 'Partial (Hash|Group)?Aggregate'),
          'from counts, grouped by channel: a parallel partial aggregate');
CREATE TEMP TABLE counted_parallel AS
SELECT channel, omni.cohort_triangle(cohort_month, day, opens, sends, '1 month', '1 month') AS tri
FROM tri_daily GROUP BY channel;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
SELECT is((SELECT count(*) FROM counted_parallel p JOIN counted_tri c USING (channel) WHERE p.tri::text = c.tri::text),
          3::bigint, 'from counts, parallel equals serial');
RESET TimeZone;
SELECT is((SELECT string_agg(rate::text, ',' ORDER BY cohort_start)
             FROM omni.cohort_cells((SELECT omni.cohort_triangle(s, a, h, t, '1 month', '1 month', 'cohort', 'UTC')
             FROM (VALUES (timestamptz '2026-01-05', timestamptz '2026-01-06', 3::bigint, 10::bigint),
                          ('2026-01-07', '2026-01-08', NULL, 5),
                          ('2026-01-07', '2026-01-08', 2, NULL),
                          ('2026-02-07', '2026-02-08', 0, 0),
                          ('2026-01-09', '2026-01-10', 1, 4)) v(s, a, h, t)))),
          '4/14', 'from counts: NULL hits or trials are not counted, 0/0 makes no cell');
SELECT throws_ok($$SELECT omni.cohort_triangle(now(), now(), 5, 3, '1 month', '1 month')$$, '22023',
                 'omni.rate hits exceed trials: 5/3', 'from counts: hits above trials are refused');
SELECT throws_ok($$SELECT omni.cohort_triangle(now(), now(), -1, 3, '1 month', '1 month')$$, '22003',
                 'omni.rate cannot be negative: -1/3', 'from counts: negative counts are refused');
SELECT throws_ok($$SELECT omni.cohort_triangle(s, s, h, h, '1 month', '1 month', 'cohort', 'UTC')
                   FROM (VALUES (timestamptz '2026-01-05', 9223372036854775807), ('2026-01-05', 1)) v(s, h)$$,
                 '22003', 'omni.cohort_triangle count out of range', 'from counts: a cell past bigint is an error');
SELECT throws_ok($$SELECT omni.cohort_triangle(now(), now(), NULL, '1 month', '1 month', 'cohort')$$, '42725', NULL,
                 'an untyped literal as the hit of the 6- and 7-argument forms is ambiguous (documented: cast it)');

-- NULLs
SELECT ok((SELECT omni.cohort_triangle(s, a, h, '1 month', '1 month') FROM (VALUES (NULL::timestamptz, now(), true)) v(s, a, h)) IS NULL,
          'rows with a NULL start only: NULL (no triangle)');
SELECT is((SELECT rate::text FROM omni.cohort_cells((SELECT omni.cohort_triangle(s, a, h, '1 month', '1 month', 'cohort', 'UTC')
             FROM (VALUES (timestamptz '2026-01-05', timestamptz '2026-01-06', true),
                          ('2026-01-07', '2026-01-08', NULL),
                          ('2026-01-07', NULL, true),
                          ('2026-01-09', '2026-01-10', false)) v(s, a, h)))),
          '1/2', 'a NULL hit is not a trial, a NULL at skips the row');
SELECT is((SELECT count(*) FROM omni.cohort_cells((SELECT omni.cohort_triangle(s, a, NULL::boolean, '1 month', '1 month', 'cohort', 'UTC')
             FROM (VALUES (timestamptz '2026-01-05', timestamptz '2026-01-06')) v(s, a)))), 0::bigint,
          'a triangle without trials has no cells');

-- errors
SELECT throws_ok($$SELECT omni.cohort_triangle(now(), now(), true, '1 month 2 days', '1 month')$$, '22023', NULL,
                 'a cohort interval mixing months and days is refused');
SELECT throws_ok($$SELECT omni.cohort_triangle(now(), now(), true, '1 month', '1 month', 'signup')$$, '22023',
                 'counted_from must be ''cohort'' or ''customer'', not "signup"', 'counted_from is checked');
SELECT throws_ok($$SELECT omni.cohort_triangle(now(), now(), true, '1 month', '0 days')$$, '22023', NULL,
                 'a zero period is refused');
SELECT throws_ok($$SELECT omni.rollup(t) FROM (VALUES
                     ((SELECT omni.cohort_triangle(now(), now(), true, '1 month', '1 month', 'cohort', 'UTC'))),
                     ((SELECT omni.cohort_triangle(now(), now(), true, '1 month', '1 month', 'cohort', 'Europe/Berlin')))) v(t)$$,
                 '22023', NULL, 'triangles of different zones are not merged');
SELECT throws_ok($$SELECT 'hello'::omni.cohort_triangle$$, '22P02', NULL, 'malformed text is 22P02');
SELECT throws_ok($$SELECT '\x02'::omni.cohort_triangle$$, '22P02', NULL, 'an unknown version is 22P02');
SELECT throws_ok($$SELECT omni.cohort_triangle(now(), 'infinity', true, '1 month', '1 month')$$, '22008', NULL,
                 'an infinite time is refused');

SELECT * FROM finish();
ROLLBACK;
