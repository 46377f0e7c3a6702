-- Engagement scores (src/engagement.c): the decayed score against the same sum in plain SQL,
-- incremental scoring (stored states aged and merged) against full recomputation, serial =
-- parallel to the bit, states through text and binary, forged states, every bad input, the
-- score of message outcomes (machine opens excluded), profiles, personas and RFM segments.
BEGIN;
SELECT plan(63);
SET LOCAL TimeZone = 'UTC';
SET LOCAL extra_float_digits = 3;

-- a regular table: parallel workers cannot scan temporary ones (rolled back at the end)
SELECT setseed(0.6);
CREATE TABLE omni_engagement_tap_events AS
SELECT g AS event_id, 1 + (g * 7919) % 400 AS customer_id,
       (ARRAY['send','deliver','bounce','open','open','open','click','conversion','reply',
              'unsubscribe','complaint'])[1 + floor(random() * 11)::int] AS event_type,
       timestamptz '2025-06-01 00:00+00' + random() * interval '400 days' AS occurred_at
FROM generate_series(1, 20000) AS g;
ANALYZE omni_engagement_tap_events;

-- the reference: the definition, in float8 plain SQL
CREATE FUNCTION pg_temp.reference(as_of timestamptz, half_life_days float8, weights jsonb)
RETURNS TABLE (customer_id int, score float8) LANGUAGE sql AS $$
    SELECT customer_id,
           sum((weights ->> event_type)::float8
               * power(2::float8, -date_part('epoch', as_of - occurred_at) / (half_life_days * 86400)))
             FILTER (WHERE occurred_at <= as_of)
    FROM omni_engagement_tap_events GROUP BY customer_id
$$;
CREATE TEMP TABLE default_weights AS
SELECT '{"send":0,"deliver":0,"bounce":0,"open":1,"click":3,"conversion":5,"reply":5,"unsubscribe":-10,"complaint":-20}'::jsonb AS w;

-- ---------------------------------------------------------------------------------------
-- The score is the definition
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE omni_default AS
SELECT customer_id, omni.engagement_score(event_type, occurred_at, '2026-06-01') AS score
FROM omni_engagement_tap_events GROUP BY customer_id;
SELECT is((SELECT count(*) FROM omni_default o
             JOIN pg_temp.reference('2026-06-01', 30, (SELECT w FROM default_weights)) r USING (customer_id)
            WHERE abs(o.score - coalesce(r.score, 0)) > 1e-12 * greatest(1, abs(r.score))),
          0::bigint, 'default weights, 30-day half-life: equal to the plain SQL sum for all 400 customers (1e-12)');
SELECT cmp_ok((SELECT count(*) FROM omni_engagement_tap_events WHERE occurred_at > '2026-06-01'), '>', 1000::bigint,
              'some events lie after as_of');
SELECT is((SELECT count(*) FROM (
             SELECT customer_id, omni.engagement_score(event_type, occurred_at, '2026-06-01') AS score
               FROM omni_engagement_tap_events WHERE occurred_at <= '2026-06-01' GROUP BY 1) f
             JOIN omni_default o USING (customer_id) WHERE f.score <> o.score),
          0::bigint, 'events after as_of are not counted: the same bits as filtering them out');
SELECT is((SELECT count(*) FROM (
             SELECT customer_id, omni.engagement_score(event_type, occurred_at, '2026-06-01', '30 days') AS a,
                    omni.engagement_score(event_type, occurred_at, '2026-06-01', '30 days', NULL) AS b,
                    omni.engagement_score(event_type, occurred_at, '2026-06-01', '720 hours',
                                          (SELECT w FROM default_weights)) AS c
               FROM omni_engagement_tap_events GROUP BY 1) x
             JOIN omni_default o USING (customer_id) WHERE a <> o.score OR b <> o.score OR c <> o.score),
          0::bigint, 'the defaults are half_life 30 days and the documented weights (NULL weights = defaults)');

CREATE TEMP TABLE custom_weights AS
SELECT '{"send":0.1,"deliver":0,"bounce":-2,"open":0.5,"click":4,"conversion":25,"reply":7.5,"unsubscribe":-30,"complaint":-100}'::jsonb AS w;
SELECT is((SELECT count(*) FROM (
             SELECT customer_id, omni.engagement_score(event_type, occurred_at, '2026-03-15 12:00', '7 days',
                                                       (SELECT w FROM custom_weights)) AS score
               FROM omni_engagement_tap_events GROUP BY 1) o
             JOIN pg_temp.reference('2026-03-15 12:00', 7, (SELECT w FROM custom_weights)) r USING (customer_id)
            WHERE abs(o.score - coalesce(r.score, 0)) > 1e-12 * greatest(1, abs(r.score))),
          0::bigint, 'custom weights and a 7-day half-life: equal to the plain SQL sum (1e-12)');
SELECT is(omni.engagement_score(t, at, '2026-01-31', '1 day', '{"page_view": 2, "login": 0.5}'),
          2 * power(2::float8, -2) + 0.5 * power(2::float8, -0.5),
          'a custom map defines its own vocabulary')
FROM (VALUES ('page_view', timestamptz '2026-01-29'), ('login', '2026-01-30 12:00')) v(t, at);
SELECT is(array_agg(score ORDER BY g), ARRAY[2, 5, 3]::float8[],
          'weights may differ between groups (each group parses its own map)')
FROM (SELECT g, omni.engagement_score(t, at, '2026-01-31', '1 day', w) AS score
      FROM (VALUES (1, 'open', timestamptz '2026-01-31', '{"open": 2}'::jsonb),
                   (2, 'open', '2026-01-31', '{"open": 5}'),
                   (3, 'open', '2026-01-31', '{"open": 3, "click": 1}')) v(g, t, at, w)
      GROUP BY g) x;
SELECT is(omni.engagement_score(t, at, '2026-01-31', '2 days'), (1 + 3 * 0.5 - 10 * 0.25)::float8,
          'a 2-day half-life: an event 2 days old weighs half, 4 days a quarter')
FROM (VALUES ('open', timestamptz '2026-01-31'), ('click', '2026-01-29'), ('unsubscribe', '2026-01-27')) v(t, at);

-- ---------------------------------------------------------------------------------------
-- Incremental scoring: yesterday's stored state, aged, plus today's events = recomputation
-- ---------------------------------------------------------------------------------------
-- day 0: the full state as of 2026-05-01; then seven daily runs, each adding one day's events
CREATE TEMP TABLE stored AS
SELECT customer_id, omni.engagement_state_agg(event_type, occurred_at, '2026-05-01') AS state
FROM omni_engagement_tap_events WHERE occurred_at <= '2026-05-01' GROUP BY 1;
DO $$
DECLARE d timestamptz;
BEGIN
    FOR i IN 1..7 LOOP
        d := timestamptz '2026-05-01' + i * interval '1 day';
        CREATE TEMP TABLE next_stored AS
        SELECT customer_id, omni.age_to(omni.rollup(state), d) AS state
        FROM (SELECT customer_id, state FROM stored
              UNION ALL
              SELECT customer_id, omni.engagement_state_agg(event_type, occurred_at, d)
                FROM omni_engagement_tap_events
               WHERE occurred_at > d - interval '1 day' AND occurred_at <= d GROUP BY 1) s
        GROUP BY customer_id;
        DROP TABLE stored;
        ALTER TABLE next_stored RENAME TO stored;
    END LOOP;
END $$;
CREATE TEMP TABLE full_recompute AS
SELECT customer_id, omni.engagement_score(event_type, occurred_at, '2026-05-08') AS score
FROM omni_engagement_tap_events GROUP BY 1;
SELECT is((SELECT count(*) FROM stored WHERE omni.as_of(state) <> '2026-05-08'), 0::bigint,
          'every stored state is as of the last run');
SELECT is((SELECT count(*) FROM stored s JOIN full_recompute f USING (customer_id)
            WHERE abs(omni.score(s.state) - f.score) > 1e-9 * abs(f.score)),
          0::bigint, 'seven incremental runs equal the full recomputation to 1e-9 relative');
SELECT diag('incremental vs full: max relative difference ' ||
            (SELECT max(abs(omni.score(s.state) - f.score) / abs(f.score))
               FROM stored s JOIN full_recompute f USING (customer_id) WHERE f.score <> 0));
SELECT is((SELECT count(*) FROM stored s JOIN full_recompute f USING (customer_id)), 400::bigint,
          'and cover every customer');
SELECT is((SELECT count(*) FROM stored s
             JOIN (SELECT customer_id, omni.engagement_state_agg(event_type, occurred_at, '2026-05-08') AS st
                     FROM omni_engagement_tap_events GROUP BY 1) f USING (customer_id)
            WHERE omni.event_count(s.state) <> omni.event_count(f.st)
               OR omni.last_engaged_at(s.state) IS DISTINCT FROM omni.last_engaged_at(f.st)),
          0::bigint, 'event counts and last engagement match exactly');
SELECT is((SELECT count(*) FROM stored s JOIN full_recompute f USING (customer_id)
            WHERE abs(omni.score(s.state, '2026-06-01')
                      - f.score * power(2::float8, -24::float8 / 30)) > 1e-9 * abs(f.score)),
          0::bigint, 'score(state, later as_of) decays the score by 2^(-elapsed/half_life)');
SELECT is((SELECT count(*) FROM stored WHERE omni.score(state, '2026-06-01') <> omni.score(omni.age_to(state, '2026-06-01'))),
          0::bigint, 'score(state, as_of) = score(age_to(state, as_of))');
SELECT is((SELECT omni.score(omni.rollup(state)) FROM (
              SELECT omni.engagement_state_agg(event_type, occurred_at, '2026-05-08') AS state
                FROM omni_engagement_tap_events WHERE occurred_at <= '2026-05-01'
              UNION ALL
              SELECT omni.engagement_state_agg(event_type, occurred_at, '2026-05-08')
                FROM omni_engagement_tap_events WHERE occurred_at > '2026-05-01') x),
          (SELECT omni.engagement_score(event_type, occurred_at, '2026-05-08') FROM omni_engagement_tap_events),
          'states of one as_of merge to exactly the bits of the whole (fixed-point sums)');

-- ---------------------------------------------------------------------------------------
-- Order and plan never change an answer
-- ---------------------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM (
             SELECT customer_id, omni.engagement_score(event_type, occurred_at, '2026-06-01' ORDER BY occurred_at DESC) AS a,
                    omni.engagement_score(event_type, occurred_at, '2026-06-01' ORDER BY event_type, occurred_at) AS b
               FROM omni_engagement_tap_events GROUP BY 1) x
             JOIN omni_default o USING (customer_id) WHERE a <> o.score OR b <> o.score),
          0::bigint, 'any row order gives the same bits');
CREATE FUNCTION pg_temp.plan_of(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || query; END $$;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.plan_of(
              $q$SELECT customer_id % 7, omni.engagement_score(event_type, occurred_at, '2026-06-01')
                 FROM omni_engagement_tap_events GROUP BY 1$q$) l WHERE l ~ 'Partial (Hash|Group)Aggregate'),
          'a forced parallel plan aggregates partially in the workers');
CREATE TEMP TABLE parallel_scores AS
SELECT customer_id % 7 AS k, omni.engagement_score(event_type, occurred_at, '2026-06-01') AS score,
       omni.engagement_state_agg(event_type, occurred_at, '2026-06-01', '7 days', (SELECT w FROM custom_weights))::text AS state
FROM omni_engagement_tap_events GROUP BY 1;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_scores AS
SELECT customer_id % 7 AS k, omni.engagement_score(event_type, occurred_at, '2026-06-01') AS score,
       omni.engagement_state_agg(event_type, occurred_at, '2026-06-01', '7 days', (SELECT w FROM custom_weights))::text AS state
FROM omni_engagement_tap_events GROUP BY 1;
SELECT is((SELECT count(*) FROM parallel_scores p JOIN serial_scores s USING (k)
            WHERE p.score = s.score AND p.state = s.state),
          7::bigint, 'the parallel plan gives the serial scores and states bit for bit');

-- ---------------------------------------------------------------------------------------
-- The state: text and binary forms, forgeries
-- ---------------------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM stored WHERE state::text::omni.engagement_state::text <> state::text),
          0::bigint, 'text round trip is exact for every state');
SELECT is((SELECT count(*) FROM stored WHERE encode(omni.engagement_state_send(state), 'hex') <> substr(state::text, 3)),
          0::bigint, 'the text form is \x and the binary form in hex');
CREATE TEMP TABLE states_back (customer_id int, state omni.engagement_state);
CREATE FUNCTION pg_temp.copy_file() RETURNS text LANGUAGE sql
    AS $$ SELECT current_setting('data_directory') || '/omni_engagement_tap_' || pg_backend_pid() || '.bin' $$;
DO $$ BEGIN
    EXECUTE format('COPY (SELECT customer_id, state FROM stored) TO %L (FORMAT binary)', pg_temp.copy_file());
    EXECUTE format('COPY states_back FROM %L (FORMAT binary)', pg_temp.copy_file());
END $$;
SELECT is((SELECT count(*) FROM stored s JOIN states_back b USING (customer_id) WHERE s.state::text = b.state::text),
          400::bigint, 'binary send/recv round trip is exact for every state');
CREATE TEMP TABLE forged_binary (state omni.engagement_state);
CREATE FUNCTION pg_temp.recv_bytes(bytes bytea) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', bytes, pg_temp.copy_file());
    EXECUTE format('COPY forged_binary FROM %L (FORMAT binary)', pg_temp.copy_file());
END $$;
SELECT throws_ok($$SELECT pg_temp.recv_bytes('\x02')$$, '22P03',
                 'unsupported omni.engagement_state format version 2', 'recv rejects an unknown version');
SELECT throws_ok($$SELECT pg_temp.recv_bytes('\x0100')$$, '22P03',
                 'invalid omni.engagement_state: 2 bytes, not 114', 'recv rejects a truncated state');
DO $$ BEGIN EXECUTE format('COPY (SELECT) TO PROGRAM %L', 'rm -f ' || pg_temp.copy_file()); END $$;

-- a valid state: as of 2026-05-08, half-life 30 days, one open at 2026-05-08 (score 1)
CREATE TEMP TABLE one AS
SELECT omni.engagement_state_agg('open'::text, '2026-05-08', '2026-05-08')::text AS t;
SELECT is(omni.score((SELECT t FROM one)::omni.engagement_state), 1::float8, 'the valid state reads');
SELECT throws_ok(format('SELECT %L::omni.engagement_state', overlay(t PLACING '02' FROM 3 FOR 2)), '22P02',
                 'unsupported omni.engagement_state format version 2', 'text input rejects an unknown version')
FROM one;
SELECT throws_ok(format('SELECT %L::omni.engagement_state', overlay(t PLACING '80' FROM 5 FOR 2)), '22P02',
                 'invalid omni.engagement_state: unknown flags 0x80', 'text input rejects unknown flags')
FROM one;
SELECT throws_ok(format('SELECT %L::omni.engagement_state', overlay(t PLACING '00000000' FROM 15 FOR 8)), '22P02',
                 'invalid omni.engagement_state: zero half_life', 'text input rejects a zero half-life')
FROM one;
SELECT throws_ok(format('SELECT %L::omni.engagement_state', overlay(t PLACING 'ffffffff' FROM 15 FOR 8)), '22023',
                 'half_life cannot be negative: "-1 days"', 'text input rejects a negative half-life')
FROM one;
SELECT throws_ok(format('SELECT %L::omni.engagement_state', overlay(t PLACING '7fffffffffffffff' FROM 39 FOR 16)), '22P02',
                 'invalid omni.engagement_state: bad as_of', 'text input rejects an infinite as_of')
FROM one;
SELECT throws_ok(format('SELECT %L::omni.engagement_state', t || '00'), '22P02', NULL,
                 'text input rejects trailing bytes') FROM one;
SELECT throws_ok($$SELECT 'abc'::omni.engagement_state$$, '22P02', NULL, 'text input rejects garbage');

-- ---------------------------------------------------------------------------------------
-- Bad input: clear errors, documented NULLs
-- ---------------------------------------------------------------------------------------
SELECT is(omni.engagement_score(t, at, '2026-01-31'), 1::float8,
          'rows with a NULL event_type or occurred_at are skipped')
FROM (VALUES ('open', timestamptz '2026-01-31'), (NULL, '2026-01-30'), ('click', NULL)) v(t, at);
SELECT is(omni.engagement_score(t, at, '2026-01-31'), NULL::float8, 'a group of only such rows scores NULL')
FROM (VALUES (NULL::text, timestamptz '2026-01-30'), ('click', NULL)) v(t, at);
SELECT is(omni.engagement_score(t, at, '2026-01-31'), NULL::float8, 'no rows score NULL, as sum() does')
FROM (VALUES ('open', timestamptz '2026-01-31')) v(t, at) WHERE false;
SELECT is(omni.engagement_score(t, at, '2026-01-31'), 0::float8, 'a customer whose events all follow as_of scores 0')
FROM (VALUES ('open', timestamptz '2026-02-01')) v(t, at);
SELECT throws_ok($$SELECT omni.engagement_score('open'::text, now(), NULL::timestamptz)$$, '22004', 'as_of cannot be NULL', 'NULL as_of');
SELECT throws_ok($$SELECT omni.engagement_score('open'::text, now(), 'infinity'::timestamptz)$$, '22008', NULL, 'infinite as_of');
SELECT throws_ok($$SELECT omni.engagement_score('open', '-infinity', now())$$, '22008', NULL, 'infinite occurred_at');
SELECT throws_ok($$SELECT omni.engagement_score('open', now(), now(), NULL)$$, '22004', 'half_life cannot be NULL', 'NULL half_life');
SELECT throws_ok($$SELECT omni.engagement_score('open', now(), now(), '0 days')$$, '22023',
                 'half_life must be positive, not "00:00:00"', 'zero half-life');
SELECT throws_ok($$SELECT omni.engagement_score('open', now(), now(), '-30 days')$$, '22023',
                 'half_life cannot be negative: "-30 days"', 'negative half-life');
SELECT throws_ok($$SELECT omni.engagement_score('pageview', now(), now())$$, '22023',
                 'invalid event_type "pageview"', 'an event type outside the vocabulary');
SELECT throws_ok($$SELECT omni.engagement_score('Open', now(), now())$$, '22023',
                 'invalid event_type "Open"', 'case matters (the hint says lower())');
SELECT throws_ok($$SELECT omni.engagement_score('click', now(), now(), '1 day', '{"open": 1}')$$, '22023',
                 'event_type "click" has no weight in weights', 'a custom map is the whole vocabulary');
SELECT throws_ok($$SELECT omni.engagement_score('open', now(), now(), '1 day', '[1, 2]')$$, '22023',
                 'invalid weights: not a jsonb object', 'weights must be an object');
SELECT throws_ok($$SELECT omni.engagement_score('open', now(), now(), '1 day', '3')$$, '22023',
                 'invalid weights: not a jsonb object', 'not a scalar');
SELECT throws_ok($$SELECT omni.engagement_score('open', now(), now(), '1 day', '{}')$$, '22023',
                 'invalid weights: the object is empty', 'not empty');
SELECT throws_ok($$SELECT omni.engagement_score('open', now(), now(), '1 day', '{"open": {"x": 1}}')$$, '22023',
                 'invalid weights: the weight of "open" is not a number', 'flat: no nested objects');
SELECT throws_ok($$SELECT omni.engagement_score('open', now(), now(), '1 day', '{"open": "1"}')$$, '22023',
                 'invalid weights: the weight of "open" is not a number', 'numbers, not strings');
SELECT throws_ok($$SELECT omni.engagement_score('open', now(), now(), '1 day', '{"open": 1e400}')$$, '22023',
                 'invalid weights: the weight of "open" is Infinity', 'finite numbers');
SELECT throws_ok($$SELECT omni.engagement_score('open', now(), now(), '1 day', '{"open": -2e6}')$$, '22023',
                 'invalid weights: the weight of "open" is -2e+06', 'at most 1e6 in absolute value');
SELECT throws_ok($$SELECT omni.engagement_score(t, now(), a) FROM (VALUES ('open', timestamptz '2026-01-01'), ('open', '2026-01-02')) v(t, a)$$,
                 '22023', NULL, 'one as_of per group');
SELECT throws_ok($$SELECT omni.age_to(omni.engagement_state_agg('open'::text, '2026-01-01', '2026-01-02'), '2026-01-01')$$,
                 '22023', NULL, 'a state cannot be aged backwards');
SELECT throws_ok($$SELECT omni.rollup(s) FROM (SELECT omni.engagement_state_agg('open'::text, '2026-01-01', '2026-01-02', '1 day')
                                         UNION ALL
                                         SELECT omni.engagement_state_agg('open'::text, '2026-01-01', '2026-01-02', '2 days')) v(s)$$,
                 '22023', 'cannot merge engagement states with different half-lives or weights', 'half-lives must match to merge');
SELECT throws_ok($$SELECT omni.rollup(s) FROM (SELECT omni.engagement_state_agg('open'::text, '2026-01-01', '2026-01-02', '1 day', '{"open": 1}')
                                         UNION ALL
                                         SELECT omni.engagement_state_agg('open'::text, '2026-01-01', '2026-01-02', '1 day', '{"open": 2}')) v(s)$$,
                 '22023', 'cannot merge engagement states with different half-lives or weights', 'weights must match to merge');

-- ---------------------------------------------------------------------------------------
-- Personas and RFM segments
-- ---------------------------------------------------------------------------------------
SELECT is(ARRAY[omni.engagement_persona(0.4, 0.05, 0.2, 0.02), omni.engagement_persona(0.4, 0.01, 0.2, 0.02),
                omni.engagement_persona(0.1, 0.05, 0.2, 0.02), omni.engagement_persona(0.1, 0.01, 0.2, 0.02),
                omni.engagement_persona(0.2, 0.02, 0.2, 0.02)],
          ARRAY['loyalist', 'window_shopper', 'selective_subscriber', 'dormant', 'loyalist'],
          'the four quadrants; a rate at the threshold is high');
SELECT throws_ok($$SELECT omni.engagement_persona(1.5, 0.1, 0.2, 0.02)$$, '22023',
                 'open_rate must be between 0 and 1, not 1.5', 'rates are proportions');
SELECT throws_ok($$SELECT omni.engagement_persona(0.5, 'NaN', 0.2, 0.02)$$, '22023',
                 'click_rate must be between 0 and 1, not NaN', 'NaN is refused');
SELECT is(omni.engagement_persona(NULL, 0.1, 0.2, 0.02), NULL, 'NULL in, NULL out');
-- the map of the R package rfm, written again as a CASE over its published ranges
SELECT is((SELECT count(*) FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m
            WHERE omni.rfm_segment(r, f, m) IS DISTINCT FROM
                  CASE WHEN r BETWEEN 4 AND 5 AND f BETWEEN 4 AND 5 AND m BETWEEN 4 AND 5 THEN 'Champions'
                       WHEN r BETWEEN 2 AND 5 AND f BETWEEN 3 AND 5 AND m BETWEEN 3 AND 5 THEN 'Loyal Customers'
                       WHEN r BETWEEN 3 AND 5 AND f BETWEEN 1 AND 3 AND m BETWEEN 1 AND 3 THEN 'Potential Loyalist'
                       WHEN r BETWEEN 4 AND 5 AND f = 1 AND m = 1 THEN 'New Customers'
                       WHEN r BETWEEN 3 AND 4 AND f = 1 AND m = 1 THEN 'Promising'
                       WHEN r BETWEEN 2 AND 3 AND f BETWEEN 2 AND 3 AND m BETWEEN 2 AND 3 THEN 'Need Attention'
                       WHEN r BETWEEN 2 AND 3 AND f BETWEEN 1 AND 2 AND m BETWEEN 1 AND 2 THEN 'About To Sleep'
                       WHEN r BETWEEN 1 AND 2 AND f BETWEEN 2 AND 5 AND m BETWEEN 2 AND 5 THEN 'At Risk'
                       WHEN r = 1 AND f BETWEEN 4 AND 5 AND m BETWEEN 4 AND 5 THEN 'Can''t Lose Them'
                       WHEN r BETWEEN 1 AND 2 AND f BETWEEN 1 AND 2 AND m BETWEEN 1 AND 2 THEN 'Lost'
                       ELSE 'Others' END),
          0::bigint, 'all 125 score combinations follow the published rule order');
SELECT throws_ok($$SELECT omni.rfm_segment(0, 3, 3)$$, '22023', 'recency_score must be between 1 and 5, not 0',
                 'scores are 1 to 5');
SELECT throws_ok(format('SELECT omni.engagement_profile_final(%L::omni.engagement_state)', t), '22023',
                 'engagement state has no profile counts',
                 'the profile final on a score-only state is a clear error, not an internal one')
FROM one;
SELECT throws_ok($$SELECT omni.rfm_segment(3, 3, 6)$$, '22023', 'monetary_score must be between 1 and 5, not 6',
                 'all three are checked');

SELECT * FROM finish();
ROLLBACK;
