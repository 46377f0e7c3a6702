-- The README's dbt engagement model (dbt/models/engagement_states.sql), rendered as dbt
-- renders it for PostgreSQL (scripts/render-dbt.sh): a first run as of June 20, an
-- incremental run as of July 1 that ages the stored states and adds the new outcome events,
-- and a full rebuild as of July 1 must agree to 1e-9; the scores must equal a plain SQL
-- computation over human opens and clicks.
\! mkdir -p test/.rendered
\! bash scripts/render-dbt.sh dbt/models/engagement_states.sql full analytics '2026-06-20 00:00:00+00' > test/.rendered/engagement_first.sql
\! bash scripts/render-dbt.sh dbt/models/engagement_states.sql incremental analytics '2026-07-01 00:00:00+00' > test/.rendered/engagement_incremental.sql
\! bash scripts/render-dbt.sh dbt/models/engagement_states.sql full analytics_full '2026-07-01 00:00:00+00' > test/.rendered/engagement_full.sql
\! bash scripts/render-dbt.sh dbt/models/reading_summaries.sql full analytics '2026-07-01 00:00:00+00' > test/.rendered/reading_summaries.sql
\! bash scripts/render-dbt.sh dbt/models/reading_model.sql full analytics '2026-07-01 00:00:00+00' > test/.rendered/reading_model.sql
\! bash scripts/render-dbt.sh dbt/models/subscriber_p_alive.sql full analytics '2026-07-01 00:00:00+00' > test/.rendered/subscriber_p_alive.sql
BEGIN;
SELECT plan(11);
SET LOCAL TimeZone = 'UTC';

CREATE SCHEMA raw;
CREATE SCHEMA analytics;
CREATE SCHEMA analytics_full;

-- the source: 500 customers, 6,000 emails over May and June 2026; a person opens some (each
-- subscriber at a rate of their own, a quarter of them stopping in June) up to three days later and clicks some of those; Apple's proxy prefetches a third within seconds
SELECT setseed(0.77);
CREATE TABLE raw.messages AS
SELECT i AS message_id, 1 + (i * 7919) % 500 AS customer_id,
       timestamptz '2026-05-01 00:00+00' + random() * interval '61 days' AS sent_at,
       random() AS r1, random() AS r2, random() AS r3, random() AS r4
FROM generate_series(1, 6000) AS i;
-- as BG/BB has it: each subscriber reads each email with a probability of their own while
-- alive, and before each email drops out with a probability of their own (0 to 20%)
ALTER TABLE raw.messages ADD COLUMN read_p float8;
CREATE TABLE lives AS
SELECT customer_id,
       floor(ln(((customer_id * 7919) % 1000 + 0.5) / 1000.0) / ln(1 - (customer_id % 5) * 0.05 + 1e-12)) AS sends_alive
FROM generate_series(1, 500) AS customer_id;
UPDATE raw.messages m SET read_p = CASE WHEN x.k <= l.sends_alive THEN (1 + m.customer_id % 9) / 12.0 ELSE 0 END
FROM (SELECT message_id, row_number() OVER (PARTITION BY customer_id ORDER BY sent_at, message_id) AS k
        FROM raw.messages) x, lives l
WHERE x.message_id = m.message_id AND l.customer_id = m.customer_id;
CREATE TABLE raw.message_events AS
SELECT row_number() OVER (ORDER BY message_id, occurred_at, event_type) AS event_id, *
FROM (
    SELECT message_id, 'send' AS event_type, sent_at AS occurred_at, NULL::text AS user_agent FROM raw.messages
    UNION ALL
    SELECT message_id, 'deliver', sent_at + interval '5 seconds', NULL FROM raw.messages
    UNION ALL
    SELECT message_id, 'open', sent_at + interval '40 seconds', 'Mozilla/5.0' FROM raw.messages WHERE r1 < 0.33
    UNION ALL
    SELECT message_id, 'open', sent_at + r2 * interval '3 days' + interval '1 minute',
           'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)'
    FROM raw.messages WHERE r3 < read_p
    UNION ALL
    SELECT message_id, 'click', sent_at + r2 * interval '3 days' + interval '2 minutes',
           'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15'
    FROM raw.messages WHERE r3 < read_p AND r4 < 0.3
    UNION ALL
    SELECT message_id, 'unsubscribe', sent_at + interval '1 day', NULL FROM raw.messages WHERE r4 > 0.995
) e;

-- what exists at the first run: events up to June 20
CREATE TABLE later AS SELECT * FROM raw.message_events WHERE occurred_at > '2026-06-20 00:00+00';
DELETE FROM raw.message_events WHERE occurred_at > '2026-06-20 00:00+00';

-- dbt run #1 (the model does not exist yet: dbt creates it from the full query)
\set model `cat test/.rendered/engagement_first.sql`
CREATE TABLE analytics.engagement_states AS :model;

-- the rest of June arrives, including opens and clicks of messages sent before June 20
INSERT INTO raw.message_events SELECT * FROM later;

-- dbt run #2 (incremental, delete+insert on customer_id)
\set model `cat test/.rendered/engagement_incremental.sql`
CREATE TEMP TABLE engagement_states__dbt_tmp AS :model;
DELETE FROM analytics.engagement_states AS t USING engagement_states__dbt_tmp AS s WHERE t.customer_id = s.customer_id;
INSERT INTO analytics.engagement_states SELECT * FROM engagement_states__dbt_tmp;

-- a full rebuild
\set model `cat test/.rendered/engagement_full.sql`
CREATE TABLE analytics_full.engagement_states AS :model;

SELECT ok((SELECT count(*) FROM later l JOIN raw.messages m USING (message_id)
            WHERE l.event_type IN ('open', 'click') AND m.sent_at < '2026-06-20') > 10,
          'the incremental run adds opens and clicks of messages sent before the last run');
SELECT is((SELECT count(*) FROM analytics.engagement_states), 500::bigint, 'one state per customer');
SELECT is((SELECT count(*) FROM analytics.engagement_states WHERE omni.as_of(state) <> '2026-07-01'), 0::bigint,
          'every stored state was aged to the new as_of');
SELECT is((SELECT count(*) FROM analytics.engagement_states i
             FULL JOIN analytics_full.engagement_states f USING (customer_id)
            WHERE NOT (abs(i.score - f.score) <= 1e-9 * abs(f.score))
               OR i.last_engaged_at IS DISTINCT FROM f.last_engaged_at
               OR omni.event_count(i.state) <> omni.event_count(f.state)),
          0::bigint, 'incremental = full rebuild: scores to 1e-9 relative, counts and last engagement exactly');
-- the definition in plain SQL: a person's first open (not Apple's bare agent, not within 2 s of
-- delivery) weighs 1, a first click 3, an unsubscribe -10, each at its own time
SELECT is((SELECT count(*) FROM analytics_full.engagement_states s
             JOIN (SELECT m.customer_id,
                          sum(w * power(2::float8, -date_part('epoch', timestamptz '2026-07-01' - at) / (30 * 86400))) AS score
                     FROM (SELECT message_id, event_type,
                                  CASE event_type WHEN 'open' THEN 1 WHEN 'click' THEN 3 WHEN 'unsubscribe' THEN -10 ELSE 0 END AS w,
                                  min(occurred_at) AS at
                             FROM raw.message_events
                            WHERE coalesce(user_agent, '') <> 'Mozilla/5.0'
                            GROUP BY 1, 2) e
                     JOIN raw.messages m USING (message_id)
                    WHERE at <= '2026-07-01'
                    GROUP BY 1) ref USING (customer_id)
            WHERE abs(s.score - ref.score) > 1e-12 * greatest(1, abs(ref.score))),
          0::bigint, 'the scores equal the human-only definition in plain SQL (1e-12)');
SELECT cmp_ok((SELECT count(*) FROM raw.message_events WHERE user_agent = 'Mozilla/5.0'), '>', 1500::bigint,
              'the data hold many privacy-proxy prefetches that the score ignores');

-- the BG/BB model table, fitted once, and the per-subscriber P(alive) view that reads it
\set model `cat test/.rendered/reading_summaries.sql`
CREATE TABLE analytics.reading_summaries AS :model;
\set model `cat test/.rendered/reading_model.sql`
CREATE TABLE analytics.reading_model AS :model;
\set model `cat test/.rendered/subscriber_p_alive.sql`
CREATE VIEW analytics.subscriber_p_alive AS :model;

SELECT is((SELECT count(*) FROM analytics.reading_summaries s
             JOIN (SELECT m.customer_id, count(*) AS n,
                          count(*) FILTER (WHERE x.read) AS frequency
                     FROM raw.messages m
                     JOIN (SELECT message_id,
                                  bool_or(event_type IN ('open', 'click') AND coalesce(user_agent, '') <> 'Mozilla/5.0'
                                          AND occurred_at <= '2026-07-01') AS read
                             FROM raw.message_events GROUP BY 1) x USING (message_id)
                    GROUP BY 1) ref USING (customer_id)
            WHERE s.n <> ref.n OR s.frequency <> ref.frequency),
          0::bigint, 'the summaries count sends and human-read sends as plain SQL does');
SELECT ok((SELECT (model).converged AND (model).customers = 500 FROM analytics.reading_model),
          'the model table holds one converged fit over every subscriber');
SELECT is((SELECT count(*) FROM analytics.subscriber_p_alive v
             JOIN analytics.reading_summaries s USING (customer_id), analytics.reading_model m
            WHERE v.p_alive IS DISTINCT FROM omni.p_alive(m.model, s.frequency, s.recency, s.n)
               OR NOT (v.p_alive BETWEEN 0 AND 1) OR NOT (v.reads_in_next_10 BETWEEN 0 AND 10)),
          0::bigint, 'the view gives each subscriber P(alive) and expected reads from the stored model');
SELECT is((SELECT count(*) FROM analytics.subscriber_p_alive), 500::bigint, 'one row per subscriber');
SELECT ok((SELECT avg(v.p_alive) FILTER (WHERE l.sends_alive < v.emails_sent - 3) + 0.2
                  < avg(v.p_alive) FILTER (WHERE l.sends_alive >= v.emails_sent)
             FROM analytics.subscriber_p_alive v JOIN lives l USING (customer_id)),
          'subscribers who dropped out have a clearly lower P(alive) than those still reading');

SELECT * FROM finish();
ROLLBACK;
