-- omni.is_machine_open, omni.is_bot_click and omni.message_outcome: properties.
--
--   pg_prove -d omni_tap test/events.sql        (add -v to see the diagnostics)
--
-- The aggregate is checked against plain SQL built from the scalar functions, serial
-- against parallel and partitionwise plans, partial states against their text and binary
-- round trips and against rollup, and the state decoders against forged bytes.  The event
-- log is generated with a fixed seed, so every run sees the same rows.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(102);

-- ---------------------------------------------------------------------------------------
-- Declarations (what Citus and postgres_fdw rely on)
-- ---------------------------------------------------------------------------------------
SELECT has_function('omni', 'is_machine_open',
                    ARRAY['text', 'timestamp with time zone', 'timestamp with time zone', 'boolean', 'interval'],
                    'is_machine_open(text, timestamptz, timestamptz, boolean, interval) exists');
SELECT has_function('omni', 'is_bot_click',
                    ARRAY['text', 'timestamp with time zone', 'timestamp with time zone',
                          'timestamp with time zone', 'interval', 'interval'],
                    'is_bot_click(text, timestamptz, timestamptz, timestamptz, interval, interval) exists');
SELECT is((SELECT array_agg(DISTINCT p.provolatile::text || p.proparallel::text || p.proisstrict::text)
             FROM pg_proc p WHERE p.oid IN ('omni.is_machine_open'::regproc, 'omni.is_bot_click'::regproc)),
          ARRAY['isfalse'], 'the scalar heuristics are IMMUTABLE, PARALLEL SAFE and not STRICT');
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
            WHERE p.pronamespace = 'omni'::regnamespace
              AND a.aggtranstype = 'omni.message_state'::regtype
              AND a.aggcombinefn <> 0 AND p.proparallel = 's' AND a.aggfinalmodify = 'r'),
          5::bigint,
          'message_outcome x2, message_state_agg x2 and rollup: combine function, parallel safe, read-only final');
SELECT is((SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'omni'::regnamespace
              AND (p.proname LIKE 'message_state%' OR p.proname LIKE 'message_outcome%'
                   OR p.proname IN ('outcome', 'is_machine_open', 'is_bot_click'))
              AND (p.provolatile <> 'i' OR p.proparallel <> 's' OR p.prosecdef)),
          0::bigint, 'every events function is IMMUTABLE, PARALLEL SAFE and not SECURITY DEFINER');

-- ---------------------------------------------------------------------------------------
-- The agent table: every entry fires, and only for the events it is meant for
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE agent_cases (agent text, machine_open boolean, bot_click boolean);
INSERT INTO agent_cases VALUES
    ('Mozilla/5.0', true, false),
    ('  MOZILLA/5.0 ', true, false),
    ('Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', false, false),
    ('Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', false, false),
    ('YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html', false, false),
    ('Mozilla/5.0 (Linux; Android 10; CUBOT KINGKONG 5) AppleWebKit/537.36 Chrome/96.0 Mobile Safari/537.36', false, false),
    ('Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)', false, false),
    ('Barracuda Sentinel (EE)', true, true),
    ('Mimecast URL Protect', true, true),
    ('Proofpoint URL Defense', true, true),
    ('Symantec Email Security.cloud', true, true),
    ('MessageLabs', true, true),
    ('Cisco IronPort', true, true),
    ('Forcepoint', true, true),
    ('Trend Micro Email Security', true, true),
    ('TrendMicro', true, true),
    ('Zscaler', true, true),
    ('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) BingPreview/1.0b', true, true),
    ('facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', true, true),
    ('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', true, true),
    ('Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', true, true),
    ('Mozilla/5.0 (compatible; Cubot-Crawler)', true, true),
    ('SomeCrawler/1.0', true, true),
    ('Baiduspider', true, true),
    ('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36', true, true),
    ('Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1', true, true),
    ('python-requests/2.31.0', true, true),
    ('Python-urllib/3.11', true, true),
    ('curl/8.4.0', true, true),
    ('Wget/1.21.4', true, true),
    ('Go-http-client/2.0', true, true),
    ('okhttp/4.12.0', false, true),
    ('Apache-HttpClient/4.5.14 (Java/17.0.9)', true, true),
    ('Java/1.8.0_392', true, true),
    ('libwww-perl/6.72', true, true),
    ('', false, false);
SELECT is((SELECT string_agg(agent, ' | ') FROM agent_cases
            WHERE omni.is_machine_open(agent, '2026-03-01 12:00+00', NULL) IS DISTINCT FROM machine_open
               OR omni.is_bot_click(agent, '2026-03-01 12:00+00', NULL) IS DISTINCT FROM bot_click),
          NULL, 'each agent is judged as listed in the agent table (opens and clicks)');

-- ---------------------------------------------------------------------------------------
-- Scalar rules and their NULL handling
-- ---------------------------------------------------------------------------------------
SELECT is(omni.is_machine_open('Mozilla/5.0', NULL, '2026-03-01 12:00+00', true), NULL,
          'is_machine_open: NULL opened_at gives NULL whatever else says');
SELECT is(omni.is_machine_open(NULL, '2026-03-01 12:00:05+00', NULL), false,
          'is_machine_open: no agent, no delivery, no flag: not machine');
SELECT is(omni.is_machine_open(NULL, '2026-03-01 12:00:05+00', NULL, true), true,
          'is_machine_open: the ESP flag alone decides');
SELECT is(omni.is_machine_open('Mozilla/5.0', '2026-03-01 12:00:05+00', NULL, false), true,
          'is_machine_open: a false ESP flag does not overrule the agent');
SELECT results_eq(
    $$SELECT omni.is_machine_open(NULL, '2026-03-01 12:00+00'::timestamptz + s * interval '1 second',
                                 '2026-03-01 12:00+00')
        FROM unnest(ARRAY[-60, 0, 1.999999, 2, 3600]::numeric[]) s$$,
    $$VALUES (true), (true), (true), (false), (false)$$,
    'is_machine_open: before delivery and under 2 s are machine, from exactly 2 s on human');
SELECT results_eq(
    $$SELECT omni.is_machine_open(NULL, '2026-03-01 12:00:01+00', '2026-03-01 12:00+00', min_human_delay => d)
        FROM unnest(ARRAY['0 s', '1 s', '1.5 s', '1 day', NULL]::interval[]) d$$,
    $$VALUES (false), (false), (true), (true), (false)$$,
    'is_machine_open: min_human_delay moves the threshold; NULL turns the timing rule off');
SELECT is(omni.is_machine_open(NULL, 'infinity', '2026-03-01 12:00+00'), false,
          'is_machine_open: infinite times do not overflow');
SELECT is(omni.is_machine_open(NULL, '-infinity', '2026-03-01 12:00+00'), true,
          'is_machine_open: -infinity is before delivery');
SELECT is(omni.is_bot_click(NULL, NULL, '2026-03-01 12:00+00'), NULL, 'is_bot_click: NULL clicked_at gives NULL');
SELECT results_eq(
    $$SELECT omni.is_bot_click(NULL, '2026-03-01 12:10:00+00', '2026-03-01 12:00+00', p)
        FROM unnest(ARRAY['2026-03-01 12:09:58.5+00', '2026-03-01 12:09:58+00',
                          '2026-03-01 12:10:01.9+00', '2026-03-01 12:10:00+00', NULL]::timestamptz[]) p$$,
    $$VALUES (true), (false), (true), (true), (false)$$,
    'is_bot_click: burst_window is symmetric (lag or lead), same-instant clicks are a burst, NULL is no burst');
SELECT is(omni.is_bot_click(NULL, '2026-03-01 12:10:00+00', '2026-03-01 12:00+00', '2026-03-01 12:09:59+00',
                            burst_window => NULL), false, 'is_bot_click: NULL burst_window turns the burst rule off');
SELECT is(omni.is_bot_click(NULL, '2026-03-01 12:00:01+00', '2026-03-01 12:00+00'), true,
          'is_bot_click: a click 1 s after delivery is a scanner');
SELECT is(omni.is_bot_click(NULL, '2026-03-01 12:00:01+00', '2026-03-01 12:00+00', min_human_delay => '0 s'), false,
          'is_bot_click: min_human_delay 0 s only catches clicks before delivery');

SELECT throws_ok($$SELECT omni.is_machine_open(NULL, now(), now(), NULL, '-1 second')$$, '22023',
                 'min_human_delay cannot be negative: "-00:00:01"', 'negative min_human_delay is an error');
SELECT throws_ok($$SELECT omni.is_machine_open(NULL, NULL, NULL, NULL, '1 day -25 hours')$$, '22023',
                 'min_human_delay cannot be negative: "1 day -25:00:00"',
                 'the delay is checked even when there is nothing to judge');
SELECT throws_ok($$SELECT omni.is_bot_click(NULL, now(), now(), now(), '2 s', '-2 s')$$, '22023',
                 'burst_window cannot be negative: "-00:00:02"', 'negative burst_window is an error');
SELECT throws_ok($$SELECT omni.is_bot_click(NULL, now(), now(), now(), '178956970 years')$$, '22015',
                 'min_human_delay is out of range: "178956970 years"', 'an interval too long for microseconds is an error');

-- ---------------------------------------------------------------------------------------
-- A generated event log: 5000 messages, about 100k events in random order
-- ---------------------------------------------------------------------------------------
SELECT setseed(0.42);
CREATE TEMP TABLE agents (i int PRIMARY KEY, ua text);
INSERT INTO agents VALUES
    (0, NULL), (1, 'Mozilla/5.0'),
    (2, 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148'),
    (3, 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)'),
    (4, 'Barracuda Sentinel (EE)'),
    (5, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36'),
    (6, 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html'),
    (7, 'python-requests/2.31.0');
-- a regular table: parallel workers cannot scan temporary ones (rolled back at the end)
CREATE TABLE omni_events_tap_log AS
WITH m AS (
    SELECT g AS message_id,
           timestamptz '2026-03-01 00:00+00' + g * interval '37 seconds' AS sent_at,
           random() AS r, (random() * 30)::int AS deliver_delay
    FROM generate_series(1, 5000) g
), raw AS (
    SELECT message_id, 'send' AS event_type, sent_at AS occurred_at, NULL::text AS user_agent,
           NULL::boolean AS flag
    FROM m
    UNION ALL
    SELECT message_id, CASE WHEN r < 0.05 THEN 'bounce' ELSE 'deliver' END,
           sent_at + deliver_delay * interval '1 second', NULL, NULL
    FROM m
    UNION ALL   -- a second, later delivery report for a few
    SELECT message_id, 'deliver', sent_at + (deliver_delay + 5) * interval '1 second', NULL, NULL
    FROM m WHERE r > 0.97
    UNION ALL   -- opens: 40% within [-2 s, 4 s) of delivery, the rest within a day
    SELECT message_id, 'open',
           sent_at + deliver_delay * interval '1 second'
               + CASE WHEN random() < 0.4 THEN random() * 6 - 2 ELSE random() * 86400 END * interval '1 second',
           (SELECT ua FROM agents WHERE i = k),
           CASE WHEN random() < 0.1 THEN random() < 0.5 END
    FROM m, generate_series(1, (random() * 30 + message_id * 0)::int) n,
         LATERAL (SELECT (random() * 7.99)::int + n * 0 AS k) kk
    UNION ALL   -- clicks: half of them in bursts of under 3 s
    SELECT message_id, 'click',
           sent_at + deliver_delay * interval '1 second' + base * interval '1 second'
               + CASE WHEN random() < 0.5 THEN random() * 3 ELSE random() * 600 END * interval '1 second',
           (SELECT ua FROM agents WHERE i = k),
           CASE WHEN random() < 0.05 THEN random() < 0.5 END
    FROM (SELECT message_id, sent_at, deliver_delay, random() * 4000 - 1 AS base
            FROM m WHERE random() < 0.4) mm,
         generate_series(1, (random() * 7 + message_id * 0)::int + 1) n,
         LATERAL (SELECT (random() * 7.99)::int + n * 0 AS k) kk
    UNION ALL
    SELECT message_id, (ARRAY['conversion', 'reply', 'unsubscribe', 'complaint'])[1 + (random() * 3.99)::int],
           sent_at + interval '1 day', NULL, NULL
    FROM m WHERE random() < 0.05
    UNION ALL   -- kinds repeated over several days: each one's first time is the earliest
    SELECT message_id, (ARRAY['send', 'bounce', 'conversion', 'reply', 'unsubscribe', 'complaint'])[1 + (random() * 5.99)::int],
           sent_at + random() * 4 * interval '1 day', NULL, NULL
    FROM m, generate_series(1, 4) n WHERE random() < 0.15 + (message_id + n) * 0  -- per pair, not per n
    UNION ALL   -- rows the aggregate must skip
    SELECT message_id, NULL, sent_at, NULL, NULL FROM m WHERE random() < 0.02
    UNION ALL
    SELECT message_id, 'open', NULL, 'Mozilla/5.0 (iPhone)', NULL FROM m WHERE random() < 0.02
)
SELECT row_number() OVER () AS event_id, * FROM (SELECT * FROM raw ORDER BY random()) shuffled;
ANALYZE omni_events_tap_log;

SELECT cmp_ok((SELECT count(*) FROM omni_events_tap_log), '>', 90000::bigint,
              'the generated log has about 100k events');
SELECT ok((SELECT count(DISTINCT event_type) = 9 AND bool_or(event_type IS NULL) AND bool_or(occurred_at IS NULL)
             FROM omni_events_tap_log),
          'the log has every event type, NULL event types and NULL times');

-- The same outcome in plain SQL, from the scalar functions: opens judged against the
-- message's first delivery; clicks against it and against their neighbours (lag and lead).
CREATE TEMP VIEW reference AS
WITH d AS (
    SELECT message_id,
           min(occurred_at) FILTER (WHERE event_type = 'deliver') AS delivered_at,
           coalesce(bool_or(event_type = 'send') FILTER (WHERE occurred_at IS NOT NULL), false) AS sent,
           coalesce(bool_or(event_type = 'bounce') FILTER (WHERE occurred_at IS NOT NULL), false) AS bounced,
           coalesce(bool_or(event_type = 'conversion') FILTER (WHERE occurred_at IS NOT NULL), false) AS converted,
           coalesce(bool_or(event_type = 'reply') FILTER (WHERE occurred_at IS NOT NULL), false) AS replied,
           coalesce(bool_or(event_type = 'unsubscribe') FILTER (WHERE occurred_at IS NOT NULL), false) AS unsubscribed,
           coalesce(bool_or(event_type = 'complaint') FILTER (WHERE occurred_at IS NOT NULL), false) AS complained,
           min(occurred_at) FILTER (WHERE event_type = 'send') AS first_sent_at,
           min(occurred_at) FILTER (WHERE event_type = 'bounce') AS first_bounced_at,
           min(occurred_at) FILTER (WHERE event_type = 'conversion') AS first_converted_at,
           min(occurred_at) FILTER (WHERE event_type = 'reply') AS first_replied_at,
           min(occurred_at) FILTER (WHERE event_type = 'unsubscribe') AS first_unsubscribed_at,
           min(occurred_at) FILTER (WHERE event_type = 'complaint') AS first_complained_at
    FROM omni_events_tap_log GROUP BY message_id
), o AS (
    SELECT e.message_id, e.occurred_at,
           NOT omni.is_machine_open(e.user_agent, e.occurred_at, d.delivered_at, e.flag) AS human
    FROM omni_events_tap_log e JOIN d USING (message_id)
    WHERE e.event_type = 'open' AND e.occurred_at IS NOT NULL
), c AS (
    SELECT e.message_id, e.occurred_at,
           NOT (coalesce(e.flag, false)
                OR omni.is_bot_click(e.user_agent, e.occurred_at, d.delivered_at, lag(e.occurred_at) OVER w)
                OR omni.is_bot_click(e.user_agent, e.occurred_at, d.delivered_at, lead(e.occurred_at) OVER w)) AS human
    FROM omni_events_tap_log e JOIN d USING (message_id)
    WHERE e.event_type = 'click' AND e.occurred_at IS NOT NULL
    WINDOW w AS (PARTITION BY e.message_id ORDER BY e.occurred_at)
)
SELECT d.message_id, d.sent, d.delivered_at IS NOT NULL AS delivered, d.bounced,
       coalesce(os.opens, 0) > 0 AS opened, coalesce(os.human_opens, 0) > 0 AS human_opened,
       coalesce(os.opens, 0) > 0 AND coalesce(os.human_opens, 0) = 0 AS machine_opened,
       coalesce(cs.clicks, 0) > 0 AS clicked, coalesce(cs.human_clicks, 0) > 0 AS human_clicked,
       d.converted, d.replied, d.unsubscribed, d.complained,
       d.delivered_at AS first_delivered_at, os.first_human_open_at, cs.first_human_click_at,
       coalesce(os.opens, 0) AS opens, coalesce(os.human_opens, 0) AS human_opens,
       coalesce(cs.clicks, 0) AS clicks, coalesce(cs.human_clicks, 0) AS human_clicks,
       d.first_sent_at, d.first_bounced_at, d.first_converted_at, d.first_replied_at,
       d.first_unsubscribed_at, d.first_complained_at
FROM d
LEFT JOIN (SELECT message_id, count(*) AS opens, count(*) FILTER (WHERE human) AS human_opens,
                  min(occurred_at) FILTER (WHERE human) AS first_human_open_at
             FROM o GROUP BY message_id) os USING (message_id)
LEFT JOIN (SELECT message_id, count(*) AS clicks, count(*) FILTER (WHERE human) AS human_clicks,
                  min(occurred_at) FILTER (WHERE human) AS first_human_click_at
             FROM c GROUP BY message_id) cs USING (message_id);

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_outcomes AS
SELECT message_id, (omni.message_outcome(event_type, occurred_at, user_agent, flag)).*
FROM omni_events_tap_log GROUP BY message_id;
CREATE TEMP TABLE ref AS SELECT * FROM reference;

SELECT ok((SELECT count(*) FILTER (WHERE human_opened) > 1000 AND count(*) FILTER (WHERE machine_opened) > 100
                  AND count(*) FILTER (WHERE human_clicked) > 500
                  AND count(*) FILTER (WHERE clicked AND NOT human_clicked) > 200
                  AND count(*) FILTER (WHERE opened AND NOT delivered) > 50
             FROM ref),
          'the log covers human and machine opens and clicks, and opens without delivery');
SELECT is((SELECT count(*) FROM serial_outcomes), 5000::bigint, 'one outcome per message');
SELECT is((SELECT count(*) FROM serial_outcomes s JOIN ref r USING (message_id)
            WHERE s.human_opened IS DISTINCT FROM r.human_opened),
          0::bigint, 'human_opened equals plain SQL over is_machine_open for every message');
SELECT is((SELECT count(*) FROM serial_outcomes s JOIN ref r USING (message_id)
            WHERE s.human_clicked IS DISTINCT FROM r.human_clicked
               OR s.human_clicks IS DISTINCT FROM r.human_clicks
               OR s.first_human_click_at IS DISTINCT FROM r.first_human_click_at),
          0::bigint, 'human clicks equal plain SQL over is_bot_click with lag() and lead()');
SELECT is((SELECT count(*) FROM ((TABLE serial_outcomes EXCEPT ALL TABLE ref) UNION ALL (TABLE ref EXCEPT ALL TABLE serial_outcomes)) x),
          0::bigint, 'every column of every outcome equals the plain SQL computation');
SELECT is((SELECT count(*) FROM serial_outcomes s JOIN ref r USING (message_id)
            WHERE (s.first_sent_at, s.first_bounced_at, s.first_converted_at, s.first_replied_at,
                   s.first_unsubscribed_at, s.first_complained_at)
                  IS DISTINCT FROM
                  (r.first_sent_at, r.first_bounced_at, r.first_converted_at, r.first_replied_at,
                   r.first_unsubscribed_at, r.first_complained_at)),
          0::bigint, 'first_sent_at ... first_complained_at are each kind''s earliest event (plain SQL min)');
SELECT is((SELECT count(*) FROM serial_outcomes
            WHERE (first_sent_at IS NULL) = sent OR (first_bounced_at IS NULL) = bounced
               OR (first_converted_at IS NULL) = converted OR (first_replied_at IS NULL) = replied
               OR (first_unsubscribed_at IS NULL) = unsubscribed OR (first_complained_at IS NULL) = complained),
          0::bigint, 'from events, a first time is NULL exactly when its kind did not happen');

-- ---------------------------------------------------------------------------------------
-- Order and plan do not change the answer
-- ---------------------------------------------------------------------------------------
CREATE FUNCTION pg_temp.plan_of(query text, with_analyze boolean DEFAULT false) RETURNS SETOF text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('EXPLAIN (COSTS OFF%s) %s',
                                CASE WHEN with_analyze THEN ', ANALYZE, TIMING OFF, SUMMARY OFF' ELSE '' END, query);
END $$;

SELECT is((SELECT count(*) FROM (
              SELECT message_id, (omni.message_outcome(event_type, occurred_at, user_agent, flag
                                                       ORDER BY occurred_at DESC, event_id DESC)).*
                FROM omni_events_tap_log GROUP BY message_id
              EXCEPT ALL TABLE serial_outcomes) x),
          0::bigint, 'reversed input order gives the same outcomes');

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.plan_of(
              'SELECT message_id, omni.message_outcome(event_type, occurred_at, user_agent, flag)
                 FROM omni_events_tap_log GROUP BY message_id') l
           WHERE l ~ 'Partial (Hash|Group)Aggregate'),
          'the forced parallel plan aggregates partially in the workers');
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.plan_of(
              'SELECT message_id, omni.message_outcome(event_type, occurred_at, user_agent, flag)
                 FROM omni_events_tap_log GROUP BY message_id') l
           WHERE l ~ 'Finalize (Hash|Group)Aggregate'),
          'and combines the partial states in a Finalize step');
CREATE TEMP TABLE parallel_outcomes AS
SELECT message_id, (omni.message_outcome(event_type, occurred_at, user_agent, flag)).*
FROM omni_events_tap_log GROUP BY message_id;
SELECT is((SELECT count(*) FROM ((TABLE parallel_outcomes EXCEPT ALL TABLE serial_outcomes) UNION ALL (TABLE serial_outcomes EXCEPT ALL TABLE parallel_outcomes)) x),
          0::bigint, 'the parallel plan gives exactly the serial outcomes');
-- workers may all be busy on a shared machine; the partitionwise test below combines anyway
SELECT diag('parallel workers launched: ' ||
            coalesce(string_agg(substring(l FROM 'Workers Launched: (\d+)'), ', '), 'none'))
FROM pg_temp.plan_of('SELECT message_id, omni.message_outcome(event_type, occurred_at, user_agent, flag)
                        FROM omni_events_tap_log GROUP BY message_id', true) l;
SET LOCAL max_parallel_workers_per_gather = 0;

-- partitionwise: partial aggregation per partition, then combine, deterministically serial
CREATE TEMP TABLE split_log (LIKE omni_events_tap_log) PARTITION BY LIST ((event_id % 3));
CREATE TEMP TABLE split_log_0 PARTITION OF split_log FOR VALUES IN (0);
CREATE TEMP TABLE split_log_1 PARTITION OF split_log FOR VALUES IN (1);
CREATE TEMP TABLE split_log_2 PARTITION OF split_log FOR VALUES IN (2);
INSERT INTO split_log SELECT * FROM omni_events_tap_log;
ANALYZE split_log;
SET LOCAL enable_partitionwise_aggregate = on;
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.plan_of(
              'SELECT message_id, omni.message_outcome(event_type, occurred_at, user_agent, flag)
                 FROM split_log GROUP BY message_id') l
           WHERE l ~ 'Partial (Hash|Group)Aggregate'),
          'partitionwise aggregation over a partitioned log aggregates each partition partially');
SELECT is((SELECT count(*) FROM (
              (SELECT message_id, (omni.message_outcome(event_type, occurred_at, user_agent, flag)).*
                 FROM split_log GROUP BY message_id
               EXCEPT ALL TABLE serial_outcomes)
              UNION ALL
              (TABLE serial_outcomes EXCEPT ALL
               SELECT message_id, (omni.message_outcome(event_type, occurred_at, user_agent, flag)).*
                 FROM split_log GROUP BY message_id)) x),
          0::bigint, 'partitionwise partial states combine to exactly the serial outcomes');
RESET enable_partitionwise_aggregate;

-- hash aggregation that spills to disk keeps states of groups still in memory and
-- re-aggregates spilled input rows later: the answer must not change
SET LOCAL work_mem = '64kB';
SET LOCAL hash_mem_multiplier = 1;
SET LOCAL enable_sort = off;
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.plan_of(
              'SELECT message_id, omni.message_outcome(event_type, occurred_at, user_agent, flag)
                 FROM omni_events_tap_log GROUP BY message_id', true) l
           WHERE l ~ 'Batches: ([2-9]|\d\d)'),
          'with 64kB of work_mem the hash aggregate spills to disk');
SELECT is((SELECT count(*) FROM (
              SELECT message_id, (omni.message_outcome(event_type, occurred_at, user_agent, flag)).*
                FROM omni_events_tap_log GROUP BY message_id
              EXCEPT ALL TABLE serial_outcomes) x),
          0::bigint, 'a spilling hash aggregate gives the same outcomes');
RESET work_mem;
RESET hash_mem_multiplier;
RESET enable_sort;

-- as a window aggregate, the running outcome at each message's last event is its outcome
SELECT is((SELECT count(*) FROM (
              (SELECT DISTINCT ON (message_id) message_id, (o).*
                 FROM (SELECT message_id, event_id,
                              omni.message_outcome(event_type, occurred_at, user_agent, flag)
                                  OVER (PARTITION BY message_id ORDER BY event_id) AS o
                         FROM omni_events_tap_log) w
                ORDER BY message_id, event_id DESC)
              EXCEPT ALL TABLE serial_outcomes) x),
          0::bigint, 'the running window aggregate ends at the grouped outcome');

-- ---------------------------------------------------------------------------------------
-- Partial states: rollup, text and binary round trips
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE states AS
SELECT message_id, omni.message_state_agg(event_type, occurred_at, user_agent, flag) AS state
FROM omni_events_tap_log GROUP BY message_id;
-- one state per message and day, as an incremental dbt model would keep them
CREATE TEMP TABLE daily_states AS
SELECT message_id, occurred_at::date AS day,
       omni.message_state_agg(event_type, occurred_at, user_agent, flag) AS state
FROM omni_events_tap_log GROUP BY message_id, occurred_at::date;

SELECT is((SELECT count(*) FROM (SELECT message_id, (omni.outcome(state)).* FROM states
                                   EXCEPT ALL TABLE serial_outcomes) x),
          0::bigint, 'outcome(message_state_agg(...)) equals message_outcome(...)');
SELECT is((SELECT count(*) FROM (SELECT message_id, omni.rollup(state) AS state FROM daily_states GROUP BY message_id) r
             JOIN states s USING (message_id)
            WHERE r.state::text <> s.state::text),
          0::bigint, 'daily states roll up to exactly the state of all events (text form compared)');
SELECT cmp_ok((SELECT count(*) FROM (SELECT message_id, event_type FROM omni_events_tap_log
                                      WHERE event_type IN ('send', 'bounce', 'conversion', 'reply', 'unsubscribe', 'complaint')
                                        AND occurred_at IS NOT NULL
                                      GROUP BY 1, 2
                                     HAVING count(DISTINCT occurred_at::date) > 1) x),
              '>', 200::bigint, 'many kinds recur on several days');
-- latest day first, so the earlier time must replace a later one
SELECT is((SELECT count(*) FROM (SELECT message_id, (omni.outcome(omni.rollup(state ORDER BY day DESC))).*
                                   FROM daily_states GROUP BY message_id
                                 EXCEPT ALL TABLE ref) x),
          0::bigint, 'rolled up in any order, daily states keep each kind''s earliest time across days');
SELECT is((SELECT count(*) FROM states WHERE state::text::omni.message_state::text <> state::text),
          0::bigint, 'text round trip is exact for every state');
SELECT is((SELECT count(*) FROM states
            WHERE omni.outcome(state::text::omni.message_state) IS DISTINCT FROM omni.outcome(state)),
          0::bigint, 'a state read back from text has the same outcome');
SELECT is((SELECT count(*) FROM states
            WHERE encode(omni.message_state_send(state), 'hex') <> substr(state::text, 3)),
          0::bigint, 'the text form is \x and the binary form in hex');
SELECT is((SELECT count(*) FROM states WHERE state::text !~ '^\\x02'), 0::bigint,
          'every state starts with format version 2');
SELECT is((SELECT max(n) FROM (SELECT count(*) AS n FROM omni_events_tap_log
                                 WHERE event_type = 'click' GROUP BY message_id) x),
          (SELECT max((omni.outcome(state)).clicks) FROM states),
          'the busiest message keeps every click');

-- Binary round trip through COPY (server-side files need superuser, as the test suite has).
CREATE TEMP TABLE states_back (LIKE states);
CREATE FUNCTION pg_temp.copy_file() RETURNS text LANGUAGE sql
    AS $$ SELECT current_setting('data_directory') || '/omni_events_tap_' || pg_backend_pid() || '.bin' $$;
DO $$ BEGIN
    EXECUTE format('COPY (SELECT message_id, state FROM states) TO %L (FORMAT binary)', pg_temp.copy_file());
    EXECUTE format('COPY states_back FROM %L (FORMAT binary)', pg_temp.copy_file());
END $$;
SELECT is((SELECT count(*) FROM states s JOIN states_back b USING (message_id)
            WHERE s.state::text = b.state::text),
          5000::bigint, 'binary send/recv round trip is exact for every state');

-- forged binary: a bytea written with binary COPY is read back as a message_state by recv
CREATE TEMP TABLE forged_binary (state omni.message_state);
CREATE FUNCTION pg_temp.recv_bytes(bytes bytea) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', bytes, pg_temp.copy_file());
    EXECUTE format('COPY forged_binary FROM %L (FORMAT binary)', pg_temp.copy_file());
END $$;
SELECT throws_ok($$SELECT pg_temp.recv_bytes('\x03')$$, '22P03',
                 'unsupported omni.message_state format version 3', 'recv rejects an unknown version');
SELECT throws_ok($$SELECT pg_temp.recv_bytes('\x02000200000002eef24d4fe80000000000000000010000000000000000000000000000000000000002')$$,
                 '22P03', 'invalid omni.message_state: 2 entries do not fit the 0 bytes that follow the header',
                 'recv rejects a count of entries that are not there');
SELECT throws_ok($$SELECT pg_temp.recv_bytes('\x0200010001000000000000000000000000000000000000000000000000000000000000000000000000')$$,
                 '22P03', 'invalid omni.message_state: a 41-byte value is shorter than its 49-byte header',
                 'recv rejects a timed kind whose time is not there');
SELECT lives_ok($$SELECT pg_temp.recv_bytes('\x0200000000000000000000000000000000000000000000000000000000000000000000000000000000')$$,
                'recv accepts the empty state');
DO $$ BEGIN EXECUTE format('COPY (SELECT) TO PROGRAM %L', 'rm -f ' || pg_temp.copy_file()); END $$;

-- ---------------------------------------------------------------------------------------
-- Forged text: every field is checked.  The valid state below is: sent 2026-03-01 09:59:58,
-- delivered 10:00:00, one open at 10:00:01 (kept: within 2 s of delivery), one click at
-- 10:00:10.  Format version 2:
--   02 | events 0003 | timed 0001 | delivered 0002eef24d4fe800 | opens 1 | settled 0 |
--   first settled 0 | first send 0002eef24d316380 | 2 entries |
--   0002eef24d5f2a40 01 | 0002eef24de87e80 02
-- (test/events_v1.sql checks the same forgeries in 0.1.0's version-1 form.)
-- ---------------------------------------------------------------------------------------
SELECT is(omni.message_state_agg(e, t, NULL)::text,
          '\x02000300010002eef24d4fe8000000000000000001000000000000000000000000000000000002eef24d316380000000020002eef24d5f2a40010002eef24de87e8002',
          'the valid state that the forgeries below alter')
FROM (VALUES ('deliver', '2026-03-01 10:00:00+00'::timestamptz), ('open', '2026-03-01 10:00:01+00'),
             ('click', '2026-03-01 10:00:10+00'), ('send', '2026-03-01 09:59:58+00')) v(e, t);
SELECT throws_ok($$SELECT 'abc'::omni.message_state$$, '22P02',
                 'invalid input syntax for type omni.message_state: "abc"', 'text without \x is rejected');
SELECT throws_ok($$SELECT '\x020'::omni.message_state$$, '22P02',
                 'invalid input syntax for type omni.message_state: "\x020"', 'an odd number of hex digits is rejected');
SELECT throws_ok($$SELECT '\x02zz'::omni.message_state$$, '22P02',
                 'invalid hexadecimal digit "z" in omni.message_state at position 5', 'a bad hex digit is rejected');
SELECT throws_ok($$SELECT '\x'::omni.message_state$$, '22P02',
                 'invalid omni.message_state: empty value', 'an empty value is rejected');
SELECT throws_ok($$SELECT '\x03'::omni.message_state$$, '22P02',
                 'unsupported omni.message_state format version 3', 'an unknown format version is rejected');
SELECT throws_ok($$SELECT '\x00'::omni.message_state$$, '22P02',
                 'unsupported omni.message_state format version 0', 'version 0 is rejected');
SELECT throws_ok($$SELECT '\x02000300'::omni.message_state$$, '22P02',
                 'invalid omni.message_state: a 4-byte value is shorter than the 41-byte header',
                 'a truncated header is rejected');
SELECT throws_ok($$SELECT '\x02000300010002eef24d4fe80000000000000000010000000000000000000000000000000000000000'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: a 41-byte value is shorter than its 49-byte header',
                 'a header without the time of its timed kind is rejected');
SELECT throws_ok($$SELECT '\x02000300010002eef24d4fe8000000000000000001000000000000000000000000000000000002eef24d316380000000020002eef24d5f2a40010002eef24de87e80'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: 2 entries do not fit the 17 bytes that follow the header',
                 'a truncated entry is rejected');
SELECT throws_ok($$SELECT '\x02000300010002eef24d4fe8000000000000000001000000000000000000000000000000000002eef24d316380000000020002eef24d5f2a40010002eef24de87e800200'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: 2 entries do not fit the 19 bytes that follow the header',
                 'trailing bytes are rejected');
SELECT throws_ok($$SELECT '\x02000300010002eef24d4fe8000000000000000001000000000000000000000000000000000002eef24d3163807fffffff0002eef24d5f2a40010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: 2147483647 entries do not fit the 18 bytes that follow the header',
                 'a huge entry count is rejected before anything is allocated');
SELECT throws_ok($$SELECT '\x02000300010002eef24d4fe8000000000000000001000000000000000000000000000000000002eef24d316380ffffffff0002eef24d5f2a40010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: -1 entries do not fit the 18 bytes that follow the header',
                 'a negative entry count is rejected');
SELECT throws_ok($$SELECT '\x02010300010002eef24d4fe8000000000000000001000000000000000000000000000000000002eef24d316380000000020002eef24d5f2a40010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: unknown event bits 0x0103', 'unknown event bits are rejected');
SELECT throws_ok($$SELECT '\x02000300050002eef24d4fe8000000000000000001000000000000000000000000000000000002eef24d316380000000020002eef24d5f2a40010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: time bits 0x0005 are not all among the event bits 0x0003',
                 'a time for a kind that was not seen is rejected');
SELECT throws_ok($$SELECT '\x02000300030002eef24d4fe8000000000000000001000000000000000000000000000000000002eef24d3163800002eef24d316380000000020002eef24d5f2a40010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: time bits 0x0003 are not all among the event bits 0x0003',
                 'a time bit for delivery (which has its own field) is rejected');
SELECT throws_ok($$SELECT '\x02000300010002eef24d4fe8000000000000000001000000000000000000000000000000007ffffffffffffffe000000020002eef24d5f2a40010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: bad first send time', 'an out-of-range first time is rejected');
SELECT throws_ok($$SELECT '\x02000100010002eef24d4fe8000000000000000001000000000000000000000000000000000002eef24d316380000000020002eef24d5f2a40010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: bad delivery time', 'a delivery time without a delivery is rejected');
SELECT throws_ok($$SELECT '\x02000300017ffffffffffffffe0000000000000001000000000000000000000000000000000002eef24d316380000000020002eef24d5f2a40010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: bad delivery time', 'an out-of-range delivery time is rejected');
SELECT throws_ok($$SELECT '\x0 12'::omni.message_state$$, '22P02',
                 'invalid hexadecimal digit " " in omni.message_state at position 4', 'a space inside the hex is rejected');
SELECT throws_ok($$SELECT '\x02000300010002eef24d4fe800ffffffffffffffff000000000000000000000000000000000002eef24d31638000000000'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: bad open counts -1 and 0', 'a negative open count is rejected');
SELECT throws_ok($$SELECT '\x02000300010002eef24d4fe8000000000000000001000000000000000100000000000000000002eef24d316380000000020002eef24d5f2a40010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: bad first human open', 'a settled open without its time is rejected');
SELECT throws_ok($$SELECT '\x02000300010002eef24d4fe8000000000000000001000000000000000000000000000000000002eef24d316380000000020002eef24d5f2a40010002eef24de87e8009'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: entry 2 has unknown kind 9', 'an unknown entry kind is rejected');
SELECT throws_ok($$SELECT '\x02000300010002eef24d4fe8000000000000000001000000000000000000000000000000000002eef24d316380000000020002eef24d9c3340010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: entry 1 is an open that should be settled',
                 'a kept open that the delivery already settles is rejected');
SELECT throws_ok($$SELECT '\x02000300010002eef24d4fe8000000000000000000000000000000000000000000000000000002eef24d316380000000020002eef24d5f2a40010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: more kept opens than opens', 'kept opens beyond the open count are rejected');
SELECT throws_ok($$SELECT '\x02000300010002eef24d4fe8000000000000000001000000000000000000000000000000000002eef24d316380000000027ffffffffffffffe010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: entry 1 has a bad time', 'an out-of-range entry time is rejected');

-- forged datums (what a binary-coercible cast or a damaged page hands a function): the
-- header checks reject them with 'data corrupted', never read past the value
CREATE SCHEMA omni_tap_raw;
SET LOCAL client_min_messages = warning;   -- not the notices about the shell type
CREATE TYPE omni_tap_raw.datum;
CREATE FUNCTION omni_tap_raw.datum_in(cstring) RETURNS omni_tap_raw.datum AS 'byteain' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION omni_tap_raw.datum_out(omni_tap_raw.datum) RETURNS cstring AS 'byteaout' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE omni_tap_raw.datum (INPUT = omni_tap_raw.datum_in, OUTPUT = omni_tap_raw.datum_out,
                                INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended);
CREATE CAST (omni_tap_raw.datum AS omni.message_state) WITHOUT FUNCTION;
RESET client_min_messages;
-- a raw version-2 datum after its 4-byte length, in the machine's byte order: version,
-- reserved, events (2), n_entries (4), capacity (4), timed (2), 6 reserved bytes, then ten
-- int64 fields and the entries; the empty state is 100 bytes of it
CREATE FUNCTION pg_temp.raw(hex text) RETURNS omni.message_state LANGUAGE sql
    AS $$ SELECT ('\x' || hex)::omni_tap_raw.datum::omni.message_state $$;
SELECT is(omni.outcome(pg_temp.raw('020000000000000000000000' || repeat('00', 88))),
          omni.outcome(omni.message_state_agg(NULL, NULL, NULL)), 'the empty version-2 datum reads');
SELECT is(pg_temp.raw('020000000000000000000000' || repeat('00', 88))::text,
          omni.message_state_agg(NULL, NULL, NULL)::text, 'and is the empty state');
SELECT throws_ok($$SELECT omni.outcome(pg_temp.raw('02'))$$, 'XX001',
                 'corrupt omni.message_state (5 bytes)', 'a datum too short for any header is corrupt');
SELECT throws_ok($$SELECT omni.outcome(pg_temp.raw('020000000000000000000000' || repeat('00', 80)))$$, 'XX001',
                 'corrupt omni.message_state (version 2, 0 of 0 entries, 96 bytes)',
                 'a version-2 datum shorter than its header is corrupt');
SELECT throws_ok($$SELECT omni.outcome(pg_temp.raw('020000000000000001000000' || repeat('00', 88)))$$, 'XX001',
                 'corrupt omni.message_state (version 2, 0 of 1 entries, 104 bytes)',
                 'a version-2 datum whose size does not match its capacity is corrupt');
SELECT throws_ok($$SELECT omni.outcome(pg_temp.raw('020000000000000000000000' || '0100' || repeat('00', 86)))$$, 'XX001',
                 'corrupt omni.message_state (version 2, 0 of 0 entries, 104 bytes)',
                 'a version-2 datum with a time for a kind it has not seen is corrupt');
SELECT throws_ok($$SELECT omni.rollup(s) FROM (VALUES (pg_temp.raw('09' || repeat('00', 16)))) v(s)$$, 'XX001',
                 'corrupt omni.message_state (version 9, 0 of 0 entries, 21 bytes)', 'an unknown datum version is corrupt');

-- random corruption: every mutated state is either rejected cleanly or usable and canonical
CREATE FUNCTION pg_temp.fuzz(rounds int) RETURNS TABLE (rejected int, accepted int, broken int)
LANGUAGE plpgsql AS $$
DECLARE
    originals text[] := ARRAY(SELECT substr(state::text, 3) FROM states ORDER BY message_id LIMIT 200);
    hex text;
    pos int;
    s omni.message_state;
BEGIN
    rejected := 0; accepted := 0; broken := 0;
    FOR i IN 1 .. rounds LOOP
        hex := originals[1 + (i % array_length(originals, 1))];
        pos := 1 + floor(random() * length(hex))::int;
        hex := overlay(hex PLACING substr('0123456789abcdef', 1 + floor(random() * 16)::int, 1) FROM pos FOR 1);
        IF random() < 0.1 THEN
            hex := left(hex, floor(random() * length(hex))::int);
        END IF;
        BEGIN
            s := ('\x' || hex)::omni.message_state;
            PERFORM omni.outcome(s);
            IF s::text::omni.message_state::text = s::text THEN
                accepted := accepted + 1;
            ELSE
                broken := broken + 1;
            END IF;
        EXCEPTION WHEN invalid_text_representation THEN
            rejected := rejected + 1;
        END;
    END LOOP;
    RETURN NEXT;
END $$;
SELECT setseed(0.7);
SELECT is(broken, 0, format('2000 corrupted states: %s rejected with 22P02, %s accepted, none broken', rejected, accepted))
FROM pg_temp.fuzz(2000);

-- ---------------------------------------------------------------------------------------
-- NULL handling and edge cases of the aggregate
-- ---------------------------------------------------------------------------------------
SELECT is((SELECT omni.message_outcome(e, t, ua) FROM (VALUES (NULL::text, now(), NULL::text)) v(e, t, ua)),
          '(f,f,f,f,f,f,f,f,f,f,f,f,,,,0,0,0,0,,,,,,)'::omni.message_outcome,
          'rows with a NULL event_type are skipped: the outcome of no events, not NULL');
SELECT is((SELECT omni.message_outcome(e, t, ua) FROM (VALUES ('open', NULL::timestamptz, NULL::text)) v(e, t, ua)),
          '(f,f,f,f,f,f,f,f,f,f,f,f,,,,0,0,0,0,,,,,,)'::omni.message_outcome,
          'rows with a NULL occurred_at are skipped');
SELECT is((SELECT omni.message_outcome(e, t, ua) FROM (VALUES ('open', now(), NULL::text)) v(e, t, ua) WHERE false),
          '(f,f,f,f,f,f,f,f,f,f,f,f,,,,0,0,0,0,,,,,,)'::omni.message_outcome, 'no rows give the outcome of no events');
SELECT is((SELECT omni.message_state_agg(e, t, ua)::text FROM (VALUES ('open', now(), NULL::text)) v(e, t, ua) WHERE false),
          '\x0200000000000000000000000000000000000000000000000000000000000000000000000000000000',
          'message_state_agg over no rows is the empty state');
SELECT is(omni.outcome(NULL), NULL, 'outcome(NULL) is NULL');
SELECT is((SELECT (omni.message_outcome(e, t, ua, f)).human_opened
             FROM (VALUES ('open', '2026-03-01 12:00+00'::timestamptz, NULL::text, NULL::boolean)) v(e, t, ua, f)),
          true, 'an open with no agent, flag or delivery is human');
SELECT throws_ok($$SELECT omni.message_outcome(e, now(), NULL) FROM (VALUES ('opened')) v(e)$$, '22023',
                 'invalid event_type "opened"', 'an event type outside the vocabulary is an error');
SELECT throws_ok($$SELECT omni.message_outcome(e, NULL, NULL) FROM (VALUES ('Click')) v(e)$$, '22023',
                 'invalid event_type "Click"', 'event types are case-sensitive, even on rows that are skipped');

-- plain calls of the support functions never change their arguments
SELECT is(x.before, x.after, 'message_state_trans called directly leaves its argument alone')
FROM (SELECT s::text AS before,
             omni.message_state_trans(s, 'click', '2026-03-01 12:00+00', NULL) AS changed,
             s::text AS after
        FROM (SELECT state AS s FROM states ORDER BY message_id LIMIT 1) y) x;
SELECT is(x.before, x.after, 'message_state_combine called directly leaves its arguments alone')
FROM (SELECT a::text || b::text AS before, omni.message_state_combine(a, b) AS changed, a::text || b::text AS after
        FROM (SELECT (SELECT state FROM states WHERE message_id = 1) AS a,
                     (SELECT state FROM states WHERE message_id = 2) AS b) y) x;

-- one message with 100k clicks 3 s apart: all human but the pair 1 s apart
SELECT results_eq(
    $$SELECT (o).clicks, (o).human_clicks, (o).first_human_click_at
        FROM (SELECT omni.message_outcome(e, t, NULL ORDER BY random()) AS o
                FROM (SELECT 'click' AS e, '2026-03-01 00:00+00'::timestamptz + g * interval '3 s' AS t
                        FROM generate_series(1, 100000) g
                      UNION ALL SELECT 'click', '2026-03-01 00:00:07+00'
                      UNION ALL SELECT 'deliver', '2026-03-01 00:00+00') v) x$$,
    $$VALUES (100001::bigint, 99999::bigint, '2026-03-01 00:00:03+00'::timestamptz)$$,
    'a message with 100k clicks keeps them all and judges each');

-- many entries: the final sort (a merge sort that answers cancels) gives the canonical order
-- whatever the row order, and the first times are the plain SQL minimum
CREATE TEMP TABLE many_clicks AS
SELECT 'click'::text AS event_type,
       timestamptz '2026-03-01 10:00+00' + ((i * 7919) % 5003) * interval '1 second' AS occurred_at,
       'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'::text AS user_agent
FROM generate_series(1, 5003) i
UNION ALL SELECT 'deliver', '2026-03-01 09:00+00', NULL;
SELECT is((SELECT omni.message_state_agg(event_type, occurred_at, user_agent ORDER BY occurred_at DESC)::text FROM many_clicks),
          (SELECT omni.message_state_agg(event_type, occurred_at, user_agent ORDER BY hashtext(occurred_at::text))::text FROM many_clicks),
          'a state of 5,003 entries has one canonical form whatever the row order');
SELECT is((SELECT (omni.message_outcome(event_type, occurred_at, user_agent)).clicks FROM many_clicks)::bigint, 5003::bigint,
          'every one of the 5,003 clicks is counted');


SELECT * FROM finish();
ROLLBACK;
