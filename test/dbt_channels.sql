-- The README's dbt channel models (dbt/models/message_responses.sql, contact_priors.sql,
-- customer_channels.sql), rendered as dbt renders them for PostgreSQL (scripts/render-dbt.sh),
-- on generated data where each customer's best channel and hour are known: the responses must
-- equal the generated truth (machine opens never count), the priors and preferred channels must
-- equal a plain SQL computation of the same posterior, unsubscribed channels must never be
-- picked, and the stored pressure state must read as the aggregate does.
\! mkdir -p test/.rendered
\! bash scripts/render-dbt.sh dbt/models/message_responses.sql full analytics '2026-07-01 00:00:00+00' > test/.rendered/message_responses.sql
\! bash scripts/render-dbt.sh dbt/models/contact_priors.sql full analytics '2026-07-01 00:00:00+00' > test/.rendered/contact_priors.sql
\! bash scripts/render-dbt.sh dbt/models/customer_channels.sql full analytics '2026-07-01 00:00:00+00' > test/.rendered/customer_channels.sql
BEGIN;
SELECT plan(10);
SET LOCAL TimeZone = 'UTC';

CREATE SCHEMA raw;
CREATE SCHEMA analytics;

-- 450 customers over the 16 weeks before July 1: a best channel each (customer % 3) that they
-- answer 35% of the time against 12% elsewhere; email twice a week, SMS and push every other
-- week; a human opens at the customer's own hour of the day (7:00 to 22:00 UTC); Apple's proxy
-- prefetches a third of all email; every 17th customer unsubscribes from their best channel.
SELECT setseed(0.31);
CREATE TABLE truth AS
SELECT c AS customer_id, (ARRAY['email', 'sms', 'push'])[1 + c % 3] AS best_channel, 7 + (c * 5) % 16 AS best_hour
FROM generate_series(1, 450) c;
CREATE TABLE raw.messages AS
SELECT row_number() OVER (ORDER BY t.customer_id, s.channel, s.k) AS message_id, t.customer_id, s.channel,
       timestamptz '2026-03-11 06:00+00' + s.k * interval '1 day' AS sent_at,
       random() < CASE WHEN s.channel = t.best_channel THEN 0.35 ELSE 0.12 END AS responded,
       random() < 0.33 AS prefetched,
       random() AS minutes
FROM truth t,
     LATERAL (SELECT 'email' AS channel, k FROM generate_series(0, 111) k WHERE k % 7 IN (1, 4)
              UNION ALL SELECT 'sms', k FROM generate_series(0, 111) k WHERE k % 14 = 2
              UNION ALL SELECT 'push', k FROM generate_series(0, 111) k WHERE k % 14 = 9) s;
CREATE TABLE raw.message_events AS
SELECT row_number() OVER (ORDER BY message_id, occurred_at, event_type) AS event_id, *
FROM (
    SELECT message_id, 'send' AS event_type, sent_at AS occurred_at, NULL::text AS user_agent FROM raw.messages
    UNION ALL
    SELECT message_id, 'deliver', sent_at + interval '5 seconds', NULL FROM raw.messages
    UNION ALL
    SELECT message_id, 'open', sent_at + interval '40 seconds', 'Mozilla/5.0' FROM raw.messages
    WHERE channel = 'email' AND prefetched
    UNION ALL
    SELECT m.message_id, 'open', date_trunc('day', m.sent_at) + t.best_hour * interval '1 hour' + m.minutes * interval '50 minutes',
           'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148'
    FROM raw.messages m JOIN truth t USING (customer_id) WHERE m.responded
    UNION ALL
    SELECT message_id, 'unsubscribe', sent_at + interval '3 hours', NULL
    FROM (SELECT m.*, row_number() OVER (PARTITION BY m.customer_id ORDER BY m.sent_at) AS k
            FROM raw.messages m JOIN truth t USING (customer_id)
           WHERE t.customer_id % 17 = 0 AND m.channel = t.best_channel) x
    WHERE k = 4
) e;
-- a message sent after the models' as_of, and an open after it: neither counts
INSERT INTO raw.messages VALUES (1000000, 1, 'email', '2026-07-02 06:00+00', true, false, 0.5);
INSERT INTO raw.message_events VALUES (1000000, 1, 'open', '2026-07-01 12:00+00', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)');
ANALYZE raw.messages, raw.message_events;

\set model `cat test/.rendered/message_responses.sql`
CREATE TABLE analytics.message_responses AS :model;
\set model `cat test/.rendered/contact_priors.sql`
CREATE TABLE analytics.contact_priors AS :model;
\set model `cat test/.rendered/customer_channels.sql`
CREATE TABLE analytics.customer_channels AS :model;

SELECT is((SELECT count(*) FROM analytics.message_responses r JOIN raw.messages m USING (message_id)
             JOIN truth t ON t.customer_id = m.customer_id
            WHERE r.engaged <> m.responded
               OR r.engaged_at IS DISTINCT FROM CASE WHEN m.responded THEN
                      date_trunc('day', m.sent_at) + t.best_hour * interval '1 hour' + m.minutes * interval '50 minutes' END),
          0::bigint, 'engaged and engaged_at are the generated human responses; proxy prefetches never count');
SELECT ok((SELECT count(*) FROM analytics.message_responses) = (SELECT count(*) FROM raw.messages) - 1
          AND (SELECT count(*) FROM raw.message_events WHERE user_agent = 'Mozilla/5.0') > 3000,
          'every message up to as_of, none after; the data hold thousands of machine opens');
-- the prior in plain SQL: each channel's mean (responses + 1) / (sends + 2), strength 10
SELECT is((SELECT count(*) FROM analytics.contact_priors p,
                  LATERAL jsonb_each(omni.channel_prior_json(p.channel_prior) -> 'channels') j(channel, v)
             JOIN (SELECT channel, count(*) AS n, count(*) FILTER (WHERE engaged) AS r
                     FROM analytics.message_responses GROUP BY 1) ref USING (channel)
            WHERE (v ->> 'sends')::bigint <> ref.n OR (v ->> 'responses')::bigint <> ref.r
               OR abs((v ->> 'alpha0')::float8 - 10.0 * (ref.r + 1) / (ref.n + 2)) > 1e-12
               OR abs((v ->> 'alpha0')::float8 + (v ->> 'beta0')::float8 - 10) > 1e-12),
          0::bigint, 'the channel prior: population counts, mean (r+1)/(n+2) at strength 10, as plain SQL');
SELECT is((SELECT count(*) FROM analytics.customer_channels), 450::bigint, 'one row per customer');

-- the preferred channel in plain SQL: decayed sends and responses per channel (90-day half-life
-- from July 1), posterior mean (alpha0 + r) / (alpha0 + beta0 + n) with the prior's parameters,
-- unsubscribed channels skipped, the highest mean first, then more evidence, then the name
CREATE TEMP TABLE ref_pick AS
WITH prior AS (
    SELECT channel, (v ->> 'alpha0')::float8 AS a0, (v ->> 'beta0')::float8 AS b0
    FROM analytics.contact_priors p, LATERAL jsonb_each(omni.channel_prior_json(p.channel_prior) -> 'channels') j(channel, v)
), counts AS (
    SELECT customer_id, channel,
           sum(power(2::float8, -date_part('epoch', timestamptz '2026-07-01' - sent_at) / (90 * 86400))) AS n,
           sum(power(2::float8, -date_part('epoch', timestamptz '2026-07-01' - sent_at) / (90 * 86400)))
               FILTER (WHERE engaged) AS r,
           bool_or(unsubscribed) AS unsubscribed
    FROM analytics.message_responses GROUP BY 1, 2
), ranked AS (
    SELECT t.customer_id, p.channel, (p.a0 + coalesce(c.r, 0)) / (p.a0 + p.b0 + coalesce(c.n, 0)) AS mean,
           p.a0 + p.b0 + coalesce(c.n, 0) AS evidence
    FROM truth t CROSS JOIN prior p
    LEFT JOIN counts c ON c.customer_id = t.customer_id AND c.channel = p.channel
    WHERE NOT coalesce(c.unsubscribed, false)
)
SELECT customer_id,
       (array_agg(channel ORDER BY mean DESC, evidence DESC, channel COLLATE "C"))[1] AS channel,
       (array_agg(mean ORDER BY mean DESC))[1] - (array_agg(mean ORDER BY mean DESC))[2] AS gap
FROM ranked GROUP BY 1;
SELECT is((SELECT count(*) FROM analytics.customer_channels c JOIN ref_pick r USING (customer_id)
            WHERE c.preferred_channel IS DISTINCT FROM r.channel AND r.gap > 1e-9),
          0::bigint, 'preferred_channel = the plain SQL posterior pick (decay, prior, unsubscribes)');
SELECT is((SELECT count(*) FROM analytics.customer_channels c JOIN truth t USING (customer_id)
            WHERE t.customer_id % 17 = 0 AND (c.preferred_channel = t.best_channel
                                              OR NOT (t.best_channel = ANY (c.unsubscribed_channels)))),
          0::bigint, 'a channel the customer unsubscribed from is never preferred');
-- the naive rule: the channel with the highest raw response rate (ties: the name)
CREATE TEMP TABLE naive AS
SELECT DISTINCT ON (customer_id) customer_id, channel
FROM analytics.message_responses GROUP BY customer_id, channel
ORDER BY customer_id, avg(engaged::int) DESC, channel;
SELECT diag('best channel recovered: omni ' || round(avg((c.preferred_channel = t.best_channel)::int), 3) ||
            ', the highest raw rate ' || round(avg((n.channel = t.best_channel)::int), 3) ||
            ' (customers who did not unsubscribe from it)')
FROM analytics.customer_channels c JOIN truth t USING (customer_id) JOIN naive n USING (customer_id)
WHERE t.customer_id % 17 <> 0;
SELECT ok((SELECT avg((c.preferred_channel = t.best_channel)::int) >= 0.8
                  AND avg((c.preferred_channel = t.best_channel)::int) >= avg((n.channel = t.best_channel)::int)
             FROM analytics.customer_channels c JOIN truth t USING (customer_id) JOIN naive n USING (customer_id)
            WHERE t.customer_id % 17 <> 0),
          'omni recovers the generated best channel for at least 80% of customers, and no less often than the raw rate');
SELECT ok((SELECT avg((abs(c.best_hour_of_day - t.best_hour) <= 1)::int) >= 0.95
             FROM analytics.customer_channels c JOIN truth t USING (customer_id)),
          'the best hour of the day is the generated one (within an hour) for at least 95% of customers');
SELECT is((SELECT count(*) FROM analytics.customer_channels
            WHERE NOT (channel_confidence BETWEEN 0 AND 1) OR NOT (send_time_confidence BETWEEN 0 AND 1)
               OR best_hour_of_week <> (best_hour_of_week / 24) * 24 + best_hour_of_day),
          0::bigint, 'confidences are probabilities; the hour of the day is the hour of the week mod 24');
SELECT is((SELECT count(*) FROM analytics.customer_channels c
             JOIN (SELECT customer_id, (omni.contact_pressure(sent_at, engaged, '2026-07-01', '84 days')).pressure AS p
                     FROM analytics.message_responses GROUP BY 1) a USING (customer_id)
            WHERE c.contact_pressure IS DISTINCT FROM a.p),
          0::bigint, 'the stored pressure state reads as the aggregate over the same rows');

SELECT * FROM finish();
ROLLBACK;
