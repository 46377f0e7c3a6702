-- Engagement scores: the README's examples (docs/engagement.md), with their output.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET extra_float_digits = 0;

-- two subscribers' raw email events: Ann reads and clicks; Bob reads Apple Mail with Privacy
-- Protection on, so Apple's proxy "opens" every message seconds after delivery
CREATE TABLE events (customer text, message_id int, event_type text, occurred_at timestamptz, user_agent text);
INSERT INTO events VALUES
    ('ann', 1, 'send',    '2026-06-01 09:00:00+00', NULL),
    ('ann', 1, 'deliver', '2026-06-01 09:00:03+00', NULL),
    ('ann', 1, 'open',    '2026-06-01 12:30:00+00', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148'),
    ('ann', 1, 'click',   '2026-06-01 12:30:40+00', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'),
    ('ann', 2, 'send',    '2026-06-20 09:00:00+00', NULL),
    ('ann', 2, 'deliver', '2026-06-20 09:00:02+00', NULL),
    ('ann', 2, 'open',    '2026-06-21 08:10:00+00', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36'),
    ('ann', 2, 'conversion', '2026-06-21 08:25:00+00', NULL),
    ('bob', 3, 'send',    '2026-06-01 09:00:00+00', NULL),
    ('bob', 3, 'deliver', '2026-06-01 09:00:04+00', NULL),
    ('bob', 3, 'open',    '2026-06-01 09:01:10+00', 'Mozilla/5.0'),
    ('bob', 4, 'send',    '2026-06-20 09:00:00+00', NULL),
    ('bob', 4, 'deliver', '2026-06-20 09:00:03+00', NULL),
    ('bob', 4, 'open',    '2026-06-20 09:00:50+00', 'Mozilla/5.0'),
    ('bob', 4, 'open',    '2026-06-20 15:42:00+00', 'Mozilla/5.0'),
    ('bob', 4, 'unsubscribe', '2026-06-28 19:00:00+00', NULL);

-- the raw-event score: every logged event counts, Apple's prefetches too
SELECT customer, omni.engagement_score(event_type, occurred_at, '2026-07-01') AS raw_score
FROM events GROUP BY customer ORDER BY customer;

-- the human score: message outcomes, so only people's opens and clicks count (use this for email)
SELECT customer, omni.engagement_score(o, '2026-07-01') AS human_score
FROM (SELECT customer, message_id, omni.message_outcome(event_type, occurred_at, user_agent) AS o
      FROM events GROUP BY customer, message_id) m
GROUP BY customer ORDER BY customer;

-- a shorter half-life and weights of your own (the map is the whole vocabulary)
SELECT customer,
       omni.engagement_score(event_type, occurred_at, '2026-07-01', '7 days',
                             '{"send": 0, "deliver": 0, "open": 1, "click": 5, "conversion": 20, "unsubscribe": -5}') AS score
FROM events GROUP BY customer ORDER BY customer;

-- backtesting: the score as of any earlier date counts only what had happened by then
SELECT customer, omni.engagement_score(event_type, occurred_at, '2026-06-15') AS score_june_15
FROM events GROUP BY customer ORDER BY customer;

-- incremental: the state as of June 15, aged to July 1, plus the events after June 15
WITH stored AS (
    SELECT customer, omni.engagement_state_agg(event_type, occurred_at, '2026-06-15') AS state
    FROM events WHERE occurred_at <= '2026-06-15' GROUP BY customer
), today AS (
    SELECT customer, omni.engagement_state_agg(event_type, occurred_at, '2026-07-01') AS state
    FROM events WHERE occurred_at > '2026-06-15' GROUP BY customer
)
SELECT customer, omni.as_of(s) AS as_of, omni.score(s) AS score, omni.event_count(s) AS events,
       omni.last_engaged_at(s) AS last_engaged_at
FROM (SELECT customer, omni.age_to(omni.rollup(state), '2026-07-01') AS s
      FROM (TABLE stored UNION ALL TABLE today) x GROUP BY customer) merged
ORDER BY customer;

-- a stored state reads as text, and gives its score later without new events
SELECT omni.engagement_state_agg('open'::text, '2026-06-30', '2026-07-01');
SELECT omni.score(omni.engagement_state_agg('open'::text, '2026-06-30', '2026-07-01'), '2026-07-31') AS a_month_later;

-- the engagement profile: the last 90 days of email, rates as numbers and as omni.rate states
SELECT customer, (p).deliveries, (p).human_opens, (p).human_clicks, (p).open_rate, (p).click_rate,
       (p).click_to_open_rate, (p).open_rate_state, (p).last_engaged_at, (p).days_since_engaged,
       round((p).score::numeric, 6) AS score
FROM (SELECT customer, omni.engagement_profile(o, '2026-07-01') AS p
      FROM (SELECT customer, message_id, omni.message_outcome(event_type, occurred_at, user_agent) AS o
            FROM events GROUP BY customer, message_id) m
      GROUP BY customer) x
ORDER BY customer;

-- personas: the four quadrants, thresholds from the population's medians in one query
WITH profiles (customer, open_rate, click_rate) AS (
    VALUES ('ann', 0.62, 0.081), ('bob', 0.0, 0.0), ('cy', 0.55, 0.004), ('dee', 0.08, 0.05),
           ('eve', 0.31, 0.02), ('fay', 0.12, 0.0)
), thresholds AS (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY open_rate) AS open_median,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY click_rate) AS click_median
    FROM profiles
)
SELECT customer, open_rate, click_rate,
       omni.engagement_persona(open_rate, click_rate, open_median, click_median) AS persona
FROM profiles, thresholds ORDER BY customer;

-- RFM segments from quintile scores
WITH customers (customer, days_since_order, orders, revenue) AS (
    VALUES ('ann', 3, 14, 1210.0), ('bob', 200, 1, 25.0), ('cy', 12, 6, 480.0), ('dee', 95, 9, 900.0),
           ('eve', 30, 2, 60.0), ('fay', 160, 12, 1500.0), ('gus', 8, 1, 40.0), ('hal', 60, 3, 150.0),
           ('ivy', 240, 2, 35.0), ('jo', 45, 5, 310.0)
), scored AS (
    SELECT customer,
           ntile(5) OVER (ORDER BY days_since_order DESC) AS r,
           ntile(5) OVER (ORDER BY orders) AS f,
           ntile(5) OVER (ORDER BY revenue) AS m
    FROM customers
)
SELECT customer, r, f, m, omni.rfm_segment(r, f, m) AS segment FROM scored ORDER BY customer;

-- errors say what is allowed
SELECT omni.engagement_score('pageview'::text, '2026-06-01', '2026-07-01');
SELECT omni.engagement_score('click'::text, '2026-06-01', '2026-07-01', '30 days', '{"open": 1}');
SELECT omni.engagement_score('open'::text, '2026-06-01', '2026-07-01', '-30 days');
SELECT omni.age_to(omni.engagement_state_agg('open'::text, '2026-06-01', '2026-07-01'), '2026-06-01');
