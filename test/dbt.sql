-- The README's dbt models (dbt/models/*.sql), rendered the way dbt renders them for
-- PostgreSQL (scripts/render-dbt.sh) and run here: a first run, an incremental run over new
-- and late-arriving days, and a full rebuild over the same source rows must agree exactly,
-- and the rolled-up figures must equal those computed from the raw messages.
\! mkdir -p test/.rendered
\! bash scripts/render-dbt.sh dbt/models/daily_open_states.sql full analytics > test/.rendered/daily_first.sql
\! bash scripts/render-dbt.sh dbt/models/daily_open_states.sql incremental analytics > test/.rendered/daily_incremental.sql
\! bash scripts/render-dbt.sh dbt/models/daily_open_states.sql full analytics_full > test/.rendered/daily_full.sql
\! bash scripts/render-dbt.sh dbt/models/open_rates_rollup.sql full analytics > test/.rendered/rollup.sql
\! bash scripts/render-dbt.sh dbt/models/open_rates_rollup.sql full analytics_full > test/.rendered/rollup_full.sql
\! bash scripts/render-dbt.sh dbt/models/cohort_heatmap.sql full analytics > test/.rendered/heatmap.sql
\! bash scripts/render-dbt.sh dbt/models/cohort_heatmap.sql full analytics_full > test/.rendered/heatmap_full.sql
BEGIN;
SELECT plan(10);

CREATE SCHEMA raw;
CREATE SCHEMA analytics;
CREATE SCHEMA analytics_full;

-- the source: 3,000 customers acquired Jan-Jun 2026, 60,000 messages (seeded)
SELECT setseed(0.31);
CREATE TABLE raw.customers AS
SELECT i AS customer_id, timestamptz '2026-01-01 00:00+00' + random() * interval '180 days' AS first_seen_at
FROM generate_series(1, 3000) AS i;
CREATE TABLE raw.messages AS
SELECT i AS message_id, c.customer_id,
       (ARRAY['email', 'sms', 'push'])[1 + (i % 3)] AS channel,
       c.first_seen_at + random() * (timestamptz '2026-06-30 23:59+00' - c.first_seen_at) AS sent_at,
       random() < 0.96 AS delivered,
       random() < 0.3 AS opened,
       random() < 0.05 AS clicked
FROM generate_series(1, 60000) AS i
JOIN raw.customers c ON c.customer_id = 1 + (i * 7919) % 3000;

-- what has arrived by the first run: everything sent before June 20, minus a few late
-- events from June 18-19 that the ESP delivers afterwards
CREATE TABLE held_back AS
SELECT * FROM raw.messages
WHERE sent_at >= '2026-06-20 00:00+00'
   OR (sent_at >= '2026-06-18 00:00+00' AND message_id % 10 = 0);
DELETE FROM raw.messages m USING held_back h WHERE m.message_id = h.message_id;

-- dbt run #1: the incremental model does not exist yet, so dbt creates it from the full query
\set model `cat test/.rendered/daily_first.sql`
CREATE TABLE analytics.daily_open_states AS :model;

-- new days arrive, and the late events of June 18-19
INSERT INTO raw.messages SELECT * FROM held_back;

-- dbt run #2 (incremental, delete+insert on the unique key), as dbt-postgres issues it
\set model `cat test/.rendered/daily_incremental.sql`
CREATE TEMP TABLE daily_open_states__dbt_tmp AS :model;
DELETE FROM analytics.daily_open_states AS t
USING daily_open_states__dbt_tmp AS s
WHERE t.day = s.day AND t.cohort_start = s.cohort_start AND t.channel = s.channel;
INSERT INTO analytics.daily_open_states SELECT * FROM daily_open_states__dbt_tmp;

-- a full rebuild over the same source rows
\set model `cat test/.rendered/daily_full.sql`
CREATE TABLE analytics_full.daily_open_states AS :model;

SELECT ok((SELECT count(*) FROM daily_open_states__dbt_tmp) > 0
          AND (SELECT count(*) FROM daily_open_states__dbt_tmp WHERE day < '2026-06-20') > 0,
          'the incremental run reprocessed new days and the late-arriving ones');
SELECT is((SELECT count(*) FROM (
              (SELECT day, cohort_start, channel, opens::text, clicks::text, deliveries::text FROM analytics.daily_open_states
               EXCEPT ALL
               SELECT day, cohort_start, channel, opens::text, clicks::text, deliveries::text FROM analytics_full.daily_open_states)
              UNION ALL
              (SELECT day, cohort_start, channel, opens::text, clicks::text, deliveries::text FROM analytics_full.daily_open_states
               EXCEPT ALL
               SELECT day, cohort_start, channel, opens::text, clicks::text, deliveries::text FROM analytics.daily_open_states)) d),
          0::bigint, 'incremental daily states equal a full rebuild, row for row');

-- downstream: week and month rollups
\set model `cat test/.rendered/rollup.sql`
CREATE TABLE analytics.open_rates_rollup AS :model;
\set model `cat test/.rendered/rollup_full.sql`
CREATE TABLE analytics_full.open_rates_rollup AS :model;

SELECT is((SELECT count(*) FROM analytics.open_rates_rollup a
           FULL JOIN analytics_full.open_rates_rollup f USING (grain, period_start, channel)
           WHERE a.open_state::text IS DISTINCT FROM f.open_state::text
              OR a.click_state::text IS DISTINCT FROM f.click_state::text
              OR a.open_rate IS DISTINCT FROM f.open_rate
              OR a.open_rate_ci_lower IS DISTINCT FROM f.open_rate_ci_lower
              OR a.open_rate_ci_upper IS DISTINCT FROM f.open_rate_ci_upper),
          0::bigint, 'week and month rollups: incremental path = full rebuild, every figure');
SELECT is((SELECT count(*) FROM analytics.open_rates_rollup r
           FULL JOIN (SELECT 'month' AS grain, date_trunc('month', sent_at, 'UTC') AS period_start, channel,
                             count(*) FILTER (WHERE delivered) AS delivered,
                             count(*) FILTER (WHERE delivered AND opened) AS unique_opens,
                             count(*) FILTER (WHERE delivered AND clicked) AS unique_clicks
                      FROM raw.messages GROUP BY 2, 3
                      UNION ALL
                      SELECT 'week', date_trunc('week', sent_at, 'UTC'), channel,
                             count(*) FILTER (WHERE delivered),
                             count(*) FILTER (WHERE delivered AND opened),
                             count(*) FILTER (WHERE delivered AND clicked)
                      FROM raw.messages GROUP BY 2, 3) raw USING (grain, period_start, channel)
           WHERE r.delivered IS DISTINCT FROM raw.delivered
              OR r.unique_opens IS DISTINCT FROM raw.unique_opens
              OR r.unique_clicks IS DISTINCT FROM raw.unique_clicks),
          0::bigint, 'week and month rollups of daily states equal count FILTER over the raw messages');
SELECT ok((SELECT count(DISTINCT grain) FROM analytics.open_rates_rollup) = 2
          AND (SELECT count(*) FROM analytics.open_rates_rollup WHERE grain = 'week') > 20,
          'the rollup model has both grains');

-- the BI heat map view
\set model `cat test/.rendered/heatmap.sql`
CREATE VIEW analytics.cohort_heatmap AS :model;
\set model `cat test/.rendered/heatmap_full.sql`
CREATE VIEW analytics_full.cohort_heatmap AS :model;

SELECT is((SELECT count(*) FROM analytics.cohort_heatmap a
           FULL JOIN analytics_full.cohort_heatmap f USING (cohort_start, period_number, channel)
           WHERE (a.delivered, a.opens, a.open_rate, a.ci_lower, a.ci_upper, a.observable, a.complete)
                 IS DISTINCT FROM (f.delivered, f.opens, f.open_rate, f.ci_lower, f.ci_upper, f.observable, f.complete)),
          0::bigint, 'heat map: incremental path = full rebuild');
SELECT is((SELECT count(*) FROM analytics.cohort_heatmap), (6 * 6 * 3)::bigint,
          'heat map is gap-filled: 6 cohorts x 6 periods x 3 channels');
SELECT is((SELECT count(*) FROM analytics.cohort_heatmap h
           LEFT JOIN (SELECT date_trunc('month', c.first_seen_at, 'UTC') AS cohort_start,
                             omni.cohort_period(date_trunc('month', c.first_seen_at, 'UTC'), m.sent_at, '1 month', 'UTC') AS period_number,
                             m.channel,
                             count(*) FILTER (WHERE m.delivered) AS delivered,
                             count(*) FILTER (WHERE m.delivered AND m.opened) AS opens
                      FROM raw.messages m JOIN raw.customers c USING (customer_id)
                      GROUP BY 1, 2, 3) raw USING (cohort_start, period_number, channel)
           WHERE h.observable AND (h.delivered, h.opens) IS DISTINCT FROM (coalesce(raw.delivered, 0), coalesce(raw.opens, 0))),
          0::bigint, 'observable heat map cells equal the counts from raw messages (missing = real zero)');
SELECT is((SELECT count(*) FROM analytics.cohort_heatmap
           WHERE NOT observable AND (delivered IS NOT NULL OR open_rate IS NOT NULL)), 0::bigint,
          'cells after as_of are NULL, told apart from real zeros');
SELECT is((SELECT count(*) FROM analytics.cohort_heatmap
           WHERE observable AND delivered > 0
             AND NOT (ci_lower <= open_rate AND open_rate <= ci_upper AND ci_lower >= 0 AND ci_upper <= 1)),
          0::bigint, 'every observable cell has a Wilson interval around its rate');

SELECT * FROM finish();
ROLLBACK;
