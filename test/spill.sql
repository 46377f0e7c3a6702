-- Hash aggregation spilling to disk, for every aggregate state type omni ships: with work_mem
-- at 64kB PostgreSQL's hash aggregate must write batches to disk (its memory accounting sees
-- the states, which live in the aggregate context), stay near work_mem, and give exactly the
-- answers of a sorted aggregation with plenty of memory.  Each aggregate is read as text, so
-- states compare bit for bit.
BEGIN;
SELECT plan(45);
SET LOCAL client_min_messages = warning;

-- 20,000 customers (omni_test.customers, which make valgrind lowers to 2,000: still far past
-- 64kB), 1 to 9 messages each over three channels, with opens, clicks and unsubscribes
SELECT setseed(0.17);
CREATE TABLE ev AS
SELECT m.customer_id, m.message_id, m.channel, e.event_type,
       m.sent_at + e.lag AS occurred_at,
       e.event_type IN ('open', 'click') AS engaged,
       CASE WHEN e.event_type = 'open' AND random() < 0.2
            THEN 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)'
            ELSE 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)' END AS user_agent
FROM (SELECT c AS customer_id, c * 10 + k AS message_id,
             (ARRAY['email', 'sms', 'push'])[1 + (c * 7 + k) % 3] AS channel,
             timestamptz '2026-01-01 00:00+00' + (random() * 180) * interval '1 day' AS sent_at
      FROM generate_series(1, coalesce(nullif(current_setting('omni_test.customers', true), ''), '20000')::int) c,
           generate_series(1, 1 + (c % 9)) k) m
CROSS JOIN LATERAL (
    SELECT 'send' AS event_type, interval '0' AS lag
    UNION ALL SELECT 'deliver', interval '1 minute'
    UNION ALL SELECT 'open', interval '2 hours' WHERE random() < 0.45 + m.customer_id % 5 * 0.05
    UNION ALL SELECT 'click', interval '3 hours' WHERE random() < 0.1
    UNION ALL SELECT 'unsubscribe', interval '4 hours' WHERE random() < 0.01) e;
ANALYZE ev;

CREATE AGGREGATE pg_temp.fit_state(float8, float8, float8) (
    SFUNC = omni.bgnbd_fit_trans, STYPE = omni.btyd_fit_state, COMBINEFUNC = omni.btyd_fit_combine,
    PARALLEL = SAFE);

-- 'same' when the hashed plan spilled, stayed within 4 MB and equals the sorted plan
CREATE FUNCTION pg_temp.spill_check(agg text, source text DEFAULT 'ev') RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    q text := format('SELECT customer_id AS g, (%s)::text AS v FROM %s GROUP BY customer_id', agg, source);
    plan json;
    node json;
    differ bigint;
    n_a bigint;
    n_b bigint;
BEGIN
    PERFORM set_config('max_parallel_workers_per_gather', '0', true);
    PERFORM set_config('work_mem', '64kB', true);
    PERFORM set_config('hash_mem_multiplier', '1', true);
    PERFORM set_config('enable_sort', 'off', true);
    PERFORM set_config('enable_hashagg', 'on', true);
    EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, FORMAT JSON) ' || q INTO plan;
    node := plan -> 0 -> 'Plan';
    IF node ->> 'Strategy' IS DISTINCT FROM 'Hashed' THEN
        RETURN 'not a hashed aggregate: ' || (node ->> 'Node Type');
    END IF;
    IF (node ->> 'HashAgg Batches')::int <= 1 THEN
        RETURN 'did not spill (peak ' || (node ->> 'Peak Memory Usage') || ' kB)';
    END IF;
    IF (node ->> 'Peak Memory Usage')::int > 4096 THEN
        RETURN 'peak memory ' || (node ->> 'Peak Memory Usage') || ' kB over 4 MB';
    END IF;
    EXECUTE 'CREATE TEMP TABLE spill_hashed AS ' || q;
    PERFORM set_config('work_mem', '256MB', true);
    PERFORM set_config('enable_sort', 'on', true);
    PERFORM set_config('enable_hashagg', 'off', true);
    EXECUTE 'CREATE TEMP TABLE spill_sorted AS ' || q;
    PERFORM set_config('enable_hashagg', 'on', true);
    SELECT count(*) INTO n_a FROM spill_hashed;
    SELECT count(*) INTO n_b FROM spill_sorted;
    SELECT count(*) INTO differ FROM ((TABLE spill_hashed EXCEPT TABLE spill_sorted)
                                      UNION ALL (TABLE spill_sorted EXCEPT TABLE spill_hashed)) d;
    DROP TABLE spill_hashed, spill_sorted;
    IF n_a <> n_b OR differ <> 0 THEN
        RETURN format('differ: %s vs %s groups, %s rows unequal', n_a, n_b, differ);
    END IF;
    RETURN 'same';
END $$;

-- stored daily states, for the rollup aggregates
CREATE TABLE daily AS
SELECT customer_id, date_trunc('day', occurred_at) AS day,
       omni.rate_agg(engaged) AS rate,
       omni.message_state_agg(event_type, occurred_at, user_agent) AS message_state,
       omni.engagement_state_agg(event_type, occurred_at, '2026-07-01') AS engagement,
       omni.channel_preference(channel, engaged) AS preference,
       omni.channel_prior(channel, engaged) AS prior,
       omni.send_time_prior(occurred_at) FILTER (WHERE engaged) AS send_time,
       omni.contact_pressure_state_agg(occurred_at, engaged, '2026-07-01') FILTER (WHERE event_type = 'send') AS pressure,
       omni.cohort_triangle(timestamptz '2025-06-01 00:00+00' + customer_id * interval '7 minutes', occurred_at, engaged,
                            '1 month', '1 week', 'customer', 'Europe/Paris') FILTER (WHERE event_type = 'deliver') AS triangle,
       omni.profile_state_agg(jsonb_build_object('channel', channel, 'event', event_type, 'n', message_id % 7, 'tags', jsonb_build_array(channel)), occurred_at, channel, 0, NULL) AS profile
FROM ev GROUP BY 1, 2;
ANALYZE daily;

SELECT is(pg_temp.spill_check(a), 'same', 'spills and equals the sorted plan: ' || a)
FROM unnest(ARRAY[
    'omni.rate_agg(engaged)',
    'omni.rate_agg(engaged::int::bigint, 1::bigint)',
    'omni.message_state_agg(event_type, occurred_at, user_agent)',
    'omni.message_outcome(event_type, occurred_at, user_agent)',
    'omni.engagement_score(event_type, occurred_at, ''2026-07-01'')',
    'omni.engagement_score(event_type, occurred_at, ''2026-07-01'', ''14 days'')',
    'omni.engagement_state_agg(event_type, occurred_at, ''2026-07-01'')',
    'omni.btyd_summary(occurred_at, ''2026-07-01'') FILTER (WHERE engaged)',
    'omni.btyd_summary(occurred_at, ''2026-07-01'', ''1 day'', ''Europe/Paris'') FILTER (WHERE engaged)',
    'omni.bgbb_summary(occurred_at, engaged) FILTER (WHERE event_type = ''send'')',
    'pg_temp.fit_state((customer_id % 5)::float8, ((customer_id % 5) * (1 + message_id % 7))::float8, 40)',
    'omni.channel_preference(channel, engaged)',
    'omni.channel_preference(channel, engaged, occurred_at)',
    'omni.channel_prior(channel, engaged)',
    'omni.send_time_prior(occurred_at) FILTER (WHERE engaged)',
    'omni.best_send_time(occurred_at, ''America/New_York'') FILTER (WHERE engaged)',
    'omni.contact_pressure(occurred_at, engaged, ''2026-07-01'') FILTER (WHERE event_type = ''send'')',
    'omni.contact_pressure_state_agg(occurred_at, engaged, ''2026-07-01'') FILTER (WHERE event_type = ''send'')',
    'omni.cohort_triangle(timestamptz ''2025-06-01 00:00+00'' + customer_id * interval ''7 minutes'', occurred_at, engaged, ''1 month'', ''1 month'')',
    'omni.cohort_triangle(timestamptz ''2025-06-01 00:00+00'' + customer_id * interval ''7 minutes'', occurred_at, engaged, ''1 month'', ''1 week'', ''customer'', ''Europe/Paris'')',
    'omni.merge_profiles(jsonb_build_object(''channel'', channel, ''event'', event_type, ''n'', message_id % 7, ''tags'', jsonb_build_array(channel)), occurred_at, (message_id % 3)::int)',
    'omni.merge_profiles_lineage(jsonb_build_object(''channel'', channel, ''event'', event_type, ''n'', message_id % 7, ''tags'', jsonb_build_array(channel)), occurred_at, channel, 0, ''{"tags": "union", "n": "max"}'')',
    'omni.latest(event_type, occurred_at)',
    'omni.by_priority(message_id, (message_id % 3)::int, occurred_at)'
]) AS a;

SELECT is(pg_temp.spill_check(a, 'daily'), 'same', 'spills and equals the sorted plan: ' || a)
FROM unnest(ARRAY[
    'omni.rollup(rate)',
    'omni.rollup(message_state)',
    'omni.rollup(engagement)',
    'omni.rollup(preference)',
    'omni.rollup(prior)',
    'omni.rollup(send_time)',
    'omni.rollup(pressure)',
    'omni.rollup(triangle)',
    'omni.golden_profile(omni.rollup(profile))'
]) AS a;

-- the same states with the hashed aggregate in two parallel workers, combined by the leader
CREATE FUNCTION pg_temp.parallel_spill_check(agg text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    q text := format('SELECT customer_id %% 997 AS g, (%s)::text AS v FROM ev GROUP BY 1', agg);
    serial_rows text;
    parallel_rows text;
    plan text;
    line text;
BEGIN
    PERFORM set_config('work_mem', '64kB', true);
    PERFORM set_config('hash_mem_multiplier', '1', true);
    PERFORM set_config('enable_sort', 'off', true);
    PERFORM set_config('max_parallel_workers_per_gather', '0', true);
    EXECUTE format('SELECT string_agg(g || '':'' || v, '','' ORDER BY g) FROM (%s) x', q) INTO serial_rows;
    PERFORM set_config('max_parallel_workers_per_gather', '2', true);
    PERFORM set_config('parallel_setup_cost', '0', true);
    PERFORM set_config('parallel_tuple_cost', '0', true);
    PERFORM set_config('min_parallel_table_scan_size', '0', true);
    plan := '';
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        plan := plan || line || E'\n';
    END LOOP;
    IF plan NOT LIKE '%Partial HashAggregate%' OR plan NOT LIKE '%Gather%' THEN
        RETURN 'not a parallel hashed plan: ' || plan;
    END IF;
    EXECUTE format('SELECT string_agg(g || '':'' || v, '','' ORDER BY g) FROM (%s) x', q) INTO parallel_rows;
    PERFORM set_config('max_parallel_workers_per_gather', '0', true);
    PERFORM set_config('enable_sort', 'on', true);
    RETURN CASE WHEN serial_rows IS NOT DISTINCT FROM parallel_rows THEN 'same' ELSE 'differ' END;
END $$;

SELECT is(pg_temp.parallel_spill_check(a), 'same', 'parallel partial aggregation under 64kB equals serial: ' || a)
FROM unnest(ARRAY[
    'omni.rate_agg(engaged)',
    'omni.message_state_agg(event_type, occurred_at, user_agent)',
    'omni.engagement_state_agg(event_type, occurred_at, ''2026-07-01'')',
    'omni.btyd_summary(occurred_at, ''2026-07-01'') FILTER (WHERE engaged)',
    'omni.channel_preference(channel, engaged, occurred_at)',
    'omni.send_time_prior(occurred_at) FILTER (WHERE engaged)',
    'omni.contact_pressure_state_agg(occurred_at, engaged, ''2026-07-01'') FILTER (WHERE event_type = ''send'')',
    'pg_temp.fit_state((customer_id % 5)::float8, ((customer_id % 5) * (1 + message_id % 7))::float8, 40)',
    'omni.channel_prior(channel, engaged)',
    'omni.cohort_triangle(timestamptz ''2025-06-01 00:00+00'' + customer_id * interval ''7 minutes'', occurred_at, engaged, ''1 month'', ''1 week'', ''customer'', ''Europe/Paris'')',
    'omni.merge_profiles_lineage(jsonb_build_object(''channel'', channel, ''event'', event_type, ''n'', message_id % 7, ''tags'', jsonb_build_array(channel)), occurred_at, channel, 0, ''{"tags": "union", "n": "max"}'')',
    'omni.by_priority(message_id, (message_id % 3)::int, occurred_at)'
]) AS a;

SELECT * FROM finish();
ROLLBACK;
