-- The stored-triangle dbt model (dbt/models/daily_triangles.sql), rendered as dbt renders it
-- (scripts/render-dbt.sh): a first run, an incremental run over new and late days and a full
-- rebuild agree exactly, and the rollup of the stored days equals the GROUP BY form over the
-- raw messages, cell for cell.
\! mkdir -p test/.rendered
\! bash scripts/render-dbt.sh dbt/models/daily_triangles.sql full analytics > test/.rendered/triangles_first.sql
\! bash scripts/render-dbt.sh dbt/models/daily_triangles.sql incremental analytics > test/.rendered/triangles_incremental.sql
\! bash scripts/render-dbt.sh dbt/models/daily_triangles.sql full analytics_full > test/.rendered/triangles_full.sql
BEGIN;
SELECT plan(3);

CREATE SCHEMA raw;
CREATE SCHEMA analytics;
CREATE SCHEMA analytics_full;

SELECT setseed(0.53);
CREATE TABLE raw.customers AS
SELECT i AS customer_id, timestamptz '2026-01-01 00:00+00' + random() * interval '180 days' AS first_seen_at
FROM generate_series(1, 2000) AS i;
CREATE TABLE raw.messages AS
SELECT i AS message_id, c.customer_id,
       (ARRAY['email', 'sms', 'push'])[1 + (i % 3)] AS channel,
       c.first_seen_at + random() * (timestamptz '2026-06-30 23:59+00' - c.first_seen_at) AS sent_at,
       random() < 0.96 AS delivered,
       random() < 0.3 AS opened
FROM generate_series(1, 40000) AS i
JOIN raw.customers c ON c.customer_id = 1 + (i * 7919) % 2000;

CREATE TABLE held_back AS
SELECT * FROM raw.messages
WHERE sent_at >= '2026-06-20 00:00+00' OR (sent_at >= '2026-06-18 00:00+00' AND message_id % 10 = 0);
DELETE FROM raw.messages m USING held_back h WHERE m.message_id = h.message_id;

\set model `cat test/.rendered/triangles_first.sql`
CREATE TABLE analytics.daily_triangles AS :model;
INSERT INTO raw.messages SELECT * FROM held_back;
\set model `cat test/.rendered/triangles_incremental.sql`
CREATE TEMP TABLE daily_triangles__dbt_tmp AS :model;
DELETE FROM analytics.daily_triangles AS t USING daily_triangles__dbt_tmp AS s
WHERE t.day = s.day AND t.channel = s.channel;
INSERT INTO analytics.daily_triangles SELECT * FROM daily_triangles__dbt_tmp;
\set model `cat test/.rendered/triangles_full.sql`
CREATE TABLE analytics_full.daily_triangles AS :model;

SELECT ok((SELECT count(*) FROM daily_triangles__dbt_tmp WHERE day < '2026-06-20') > 0,
          'the incremental run reprocessed the late-arriving days');
SELECT is((SELECT count(*) FROM analytics.daily_triangles a FULL JOIN analytics_full.daily_triangles f USING (day, channel)
           WHERE a.opens::text IS DISTINCT FROM f.opens::text), 0::bigint,
          'incremental stored triangles equal a full rebuild, byte for byte');
SELECT is((SELECT count(*) FROM
              (SELECT r.channel, c.cohort_start, c.period_number, c.rate::text AS rate
                 FROM (SELECT channel, omni.rollup(opens) AS tri FROM analytics.daily_triangles GROUP BY channel) r,
                      omni.cohort_cells(r.tri) c) t
              FULL JOIN
              (SELECT m.channel, date_trunc('month', cu.first_seen_at, 'UTC') AS cohort_start,
                      omni.cohort_period(date_trunc('month', cu.first_seen_at, 'UTC'), m.sent_at, '1 month', 'UTC') AS period_number,
                      omni.rate_agg(m.opened) FILTER (WHERE m.delivered)::text AS rate
                 FROM raw.messages m JOIN raw.customers cu USING (customer_id) GROUP BY 1, 2, 3
                HAVING count(*) FILTER (WHERE m.delivered) > 0) g
              USING (channel, cohort_start, period_number)
           WHERE t.rate IS DISTINCT FROM g.rate), 0::bigint,
          'the rollup of the stored days per channel equals the GROUP BY form over the raw messages');

SELECT * FROM finish();
ROLLBACK;
