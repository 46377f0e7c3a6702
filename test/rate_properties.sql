-- Properties of omni.rate and its aggregates: rollups equal raw rows, parallel equals serial,
-- NULLs are not trials, errors are clear.
BEGIN;
SELECT plan(27);

CREATE FUNCTION pg_temp.explain_lines(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        RETURN NEXT line;
    END LOOP;
END $$;

-- 200k message rows over 60 days, 4 channels, seeded
SELECT setseed(0.17);
CREATE TABLE msgs AS
SELECT i AS message_id,
       (ARRAY['email', 'sms', 'push', 'web'])[1 + (i % 4)] AS channel,
       timestamptz '2026-01-01' + (random() * 60) * interval '1 day' AS sent_at,
       random() < 0.97 AS delivered,
       CASE WHEN random() < 0.02 THEN NULL ELSE random() < 0.3 END AS opened
FROM generate_series(1, 200000) AS i;
ANALYZE msgs;

-- daily partial states, as a dbt model would store them
CREATE TABLE daily AS
SELECT date_trunc('day', sent_at, 'UTC') AS day, channel,
       omni.rate_agg(opened) FILTER (WHERE delivered) AS opens
FROM msgs GROUP BY 1, 2;

CREATE TEMP VIEW weekly_from_daily AS
SELECT date_trunc('week', day, 'UTC') AS week, channel, omni.rollup(opens) AS opens
FROM daily GROUP BY 1, 2;
CREATE TEMP VIEW weekly_from_raw AS
SELECT date_trunc('week', sent_at, 'UTC') AS week, channel,
       count(*) FILTER (WHERE delivered AND opened IS NOT NULL) AS trials,
       count(*) FILTER (WHERE delivered AND opened) AS hits
FROM msgs GROUP BY 1, 2;

SELECT is((SELECT count(*) FROM weekly_from_daily d FULL JOIN weekly_from_raw r USING (week, channel)
            WHERE omni.hits(d.opens) IS DISTINCT FROM r.hits
               OR omni.trials(d.opens) IS DISTINCT FROM r.trials), 0::bigint,
          'weekly rollup of daily states equals count FILTER over raw rows, every cell');
SELECT is((SELECT omni.rollup(opens)::text FROM daily),
          (SELECT omni.rate_agg(opened) FILTER (WHERE delivered)::text FROM msgs),
          'rolling all daily states equals aggregating all raw rows');
SELECT is((SELECT omni.rollup(w)::text FROM (SELECT omni.rollup(opens) AS w FROM daily GROUP BY channel) s),
          (SELECT omni.rollup(opens)::text FROM daily),
          'rollup is associative: rollup of rollups equals one rollup');

-- the Wilson bounds from a state equal the textbook formula written in SQL on the counts
SELECT is((SELECT count(*) FROM (
            SELECT omni.ci_lower(opens) AS lo, omni.ci_upper(opens) AS hi,
                   omni.hits(opens)::float8 AS x, omni.trials(opens)::float8 AS n,
                   1.959963984540054::float8 AS z
            FROM weekly_from_daily) s
           WHERE abs(lo - (x / n + z * z / (2 * n) - z * sqrt(x / n * (1 - x / n) / n + z * z / (4 * n * n))) / (1 + z * z / n)) > 1e-12
              OR abs(hi - (x / n + z * z / (2 * n) + z * sqrt(x / n * (1 - x / n) / n + z * z / (4 * n * n))) / (1 + z * z / n)) > 1e-12),
          0::bigint, 'ci_lower/ci_upper equal the Wilson formula in SQL to 1e-12');

-- parallel plans give exactly the serial answer
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_result AS
SELECT channel, omni.rate_agg(opened) FILTER (WHERE delivered)::text AS opens,
       omni.rate_agg(delivered)::text AS delivery
FROM msgs GROUP BY channel;
CREATE TEMP TABLE serial_rollup AS SELECT channel, omni.rollup(opens)::text AS opens FROM daily GROUP BY channel;

SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;
SET LOCAL enable_hashagg = off;

SELECT ok(EXISTS (SELECT 1 FROM pg_temp.explain_lines(
              'SELECT channel, omni.rate_agg(opened) FILTER (WHERE delivered) FROM msgs GROUP BY channel') AS l
          WHERE l LIKE '%Partial GroupAggregate%' OR l LIKE '%Partial HashAggregate%'),
          'the grouped rate_agg plan is a parallel partial aggregate');
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.explain_lines(
              'SELECT omni.rate_agg(opened) FROM msgs') AS l WHERE l LIKE '%Partial Aggregate%'),
          'the plain rate_agg plan is a parallel partial aggregate');
SELECT is((SELECT count(*) FROM serial_result s FULL JOIN (
            SELECT channel, omni.rate_agg(opened) FILTER (WHERE delivered)::text AS opens,
                   omni.rate_agg(delivered)::text AS delivery
            FROM msgs GROUP BY channel) p USING (channel)
           WHERE s.opens IS DISTINCT FROM p.opens OR s.delivery IS DISTINCT FROM p.delivery),
          0::bigint, 'grouped rate_agg: parallel = serial');
SELECT is((SELECT omni.rate_agg(opened)::text FROM msgs),
          (SELECT omni.rate_agg(x)::text FROM (SELECT opened AS x FROM msgs ORDER BY message_id DESC) s),
          'plain rate_agg: parallel = serial (reversed order)');
SELECT is((SELECT count(*) FROM serial_rollup s FULL JOIN (
            SELECT channel, omni.rollup(opens)::text AS opens FROM daily GROUP BY channel) p USING (channel)
           WHERE s.opens IS DISTINCT FROM p.opens), 0::bigint, 'rollup: parallel = serial');
RESET enable_hashagg;
RESET parallel_leader_participation;

-- the in-place transition is safe in window frames and grouping sets
SELECT is((SELECT count(*) FROM (
              SELECT omni.rate_agg(opened) OVER w AS running,
                     count(opened) OVER w AS trials,
                     count(*) FILTER (WHERE opened) OVER w AS hits
              FROM msgs WHERE message_id <= 5000
              WINDOW w AS (ORDER BY message_id)) s
           WHERE omni.trials(running) <> trials OR omni.hits(running) <> hits), 0::bigint,
          'running rate_agg over a window equals running counts, row by row');
SELECT is((SELECT count(*) FROM (
              SELECT channel, delivered, omni.rate_agg(opened) AS r,
                     count(opened) AS trials, count(*) FILTER (WHERE opened) AS hits
              FROM msgs GROUP BY GROUPING SETS ((channel), (channel, delivered), ())) s
           WHERE omni.trials(r) <> trials OR omni.hits(r) <> hits), 0::bigint,
          'rate_agg under GROUPING SETS equals the counts of every set');

-- NULL handling
SELECT is((SELECT omni.rate_agg(x)::text FROM (VALUES (NULL::boolean), (NULL)) v(x)), '0/0',
          'only NULL inputs: 0/0, not NULL');
SELECT is(omni.value('0/0'), NULL, 'value of 0/0 is NULL');
SELECT is(omni.ci_lower(NULL::omni.rate), NULL, 'accessors are STRICT: NULL in, NULL out');
SELECT is((SELECT omni.rollup(r)::text FROM (VALUES ('1/2'::omni.rate), (NULL), ('3/3')) v(r)), '4/5',
          'rollup skips NULL states');

-- text and binary forms round-trip exactly, at the extremes too
SELECT is((SELECT count(*) FROM (VALUES ('0/0'::omni.rate), ('9223372036854775807/9223372036854775807'),
                                         ('0/9223372036854775807'), ('1/1')) v(r)
           WHERE r::text::omni.rate OPERATOR(omni.<>) r), 0::bigint, 'text round-trip is exact');

-- errors
SELECT throws_ok($$SELECT '5/3'::omni.rate$$, '22023', 'omni.rate hits exceed trials: 5/3',
                 'hits > trials is rejected');
SELECT throws_ok($$SELECT '-1/3'::omni.rate$$, '22003', NULL, 'negative counts are rejected');
SELECT throws_ok($$SELECT '3'::omni.rate$$, '22P02', 'invalid input syntax for type omni.rate: "3"',
                 'malformed text is rejected');
SELECT throws_ok($$SELECT '1/9223372036854775808'::omni.rate$$, '22003', NULL, 'bigint overflow in text is rejected');
SELECT throws_ok($$SELECT omni.rate_agg(h, t) FROM (VALUES (5::bigint, 3::bigint)) v(h, t)$$, '22023', NULL,
                 'rate_agg(hits, trials) rejects a row with hits > trials');
SELECT throws_ok($$SELECT omni.rollup(r) FROM (VALUES ('9223372036854775807/9223372036854775807'::omni.rate), ('1/1')) v(r)$$,
                 '22003', NULL, 'rollup overflow is an error, not a wrap-around');
SELECT throws_ok($$SELECT omni.ci_lower('1/2', 1.5)$$, '22023', NULL, 'confidence above 1 is rejected');
SELECT throws_ok($$SELECT omni.ci_upper('1/2', -0.1)$$, '22023', NULL, 'negative confidence is rejected');

-- binary receive (COPY FORMAT binary): a payload of the wrong length is a bad value (22P03),
-- not a protocol violation (08P01), which drivers take for a broken connection
CREATE TEMP TABLE forged_rates (r omni.rate);
CREATE FUNCTION pg_temp.recv_rate(bytes bytea) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE f text := current_setting('data_directory') || '/omni_rate_tap_' || pg_backend_pid() || '.bin';
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', bytes, f);
    EXECUTE format('COPY forged_rates FROM %L (FORMAT binary)', f);
END $f$;
SELECT throws_ok($$SELECT pg_temp.recv_rate('\x01000000000000000c')$$, '22P03',
                 'invalid omni.rate binary value: 8 bytes after the version byte, not 16', 'recv: a truncated rate is 22P03');
SELECT throws_ok($$SELECT pg_temp.recv_rate('\x')$$, '22P03', 'invalid omni.rate binary value: empty', 'recv: an empty rate is 22P03');
SELECT lives_ok($$SELECT pg_temp.recv_rate('\x01000000000000000c0000000000000154')$$, 'recv: 12/340 in its binary form reads');

SELECT * FROM finish();
ROLLBACK;
