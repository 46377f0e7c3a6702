-- demo/demo.sql — what omni does for a marketing analyst, on the sample of demo/sample.sql.
--
--   psql -X -v ON_ERROR_STOP=1 -P pager=off -d omni_demo -f demo/demo.sql
--
-- Everything is computed as of the export, 2025-10-20 12:00 UTC (never now()), so every run
-- prints the same tables.
\set QUIET 1
\pset footer off
\pset null ''
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET client_min_messages = warning;

-- One row per message: its outcome, judged from the raw event log by omni.message_outcome
-- (with the ESP's own machine flag where it sent one).  "hit" is the channel's engagement
-- signal: an open for email and push, a click for sms and web (they have no open pixel);
-- raw_hit counts every event, human_hit only those of people (no Apple proxy, no scanner,
-- no link preview).
CREATE TEMP TABLE facts AS
SELECT m.message_id, m.customer_id, m.channel, m.campaign, m.sent_at, NOT m.bounced AS delivered,
       date_trunc('month', c.first_seen_at) AS cohort_month, c.country,
       CASE WHEN m.channel IN ('email', 'push') THEN (x.o).opened ELSE (x.o).clicked END AS raw_hit,
       CASE WHEN m.channel IN ('email', 'push') THEN (x.o).human_opened ELSE (x.o).human_clicked END AS human_hit,
       (x.o).human_clicked
FROM demo.messages m
JOIN demo.customers c USING (customer_id)
JOIN (SELECT message_id, omni.message_outcome(event_type, occurred_at, user_agent, esp_machine_flag) AS o
      FROM demo.message_events GROUP BY message_id) x USING (message_id);

SELECT count(*) AS customers FROM demo.customers \gset
SELECT count(*) AS messages FROM demo.messages \gset
SELECT count(*) AS events FROM demo.message_events \gset
\echo
\echo 'omni demo: Acme Shop, ':customers' customers (monthly cohorts 2025-03 .. 2025-10), ':messages' messages, ':events' raw events, as of 2025-10-20 12:00 UTC'

-- ---------------------------------------------------------------------------------------
\echo '(1) Open rate per delivered message by channel, raw vs. people only, Wilson 95% CI: Apple MPP and scanners inflate raw email opens ~5x'
SELECT channel,
       CASE WHEN channel IN ('email', 'push') THEN 'open' ELSE 'click' END AS signal,
       omni.trials(raw) AS delivered,
       round(omni.value(raw)::numeric, 3) AS raw_rate,
       format('[%s, %s]', round(omni.ci_lower(raw)::numeric, 3), round(omni.ci_upper(raw)::numeric, 3)) AS raw_95ci,
       round(omni.value(human)::numeric, 3) AS human_rate,
       format('[%s, %s]', round(omni.ci_lower(human)::numeric, 3), round(omni.ci_upper(human)::numeric, 3)) AS human_95ci,
       round((omni.value(raw) / nullif(omni.value(human), 0))::numeric, 1) AS inflation
FROM (SELECT channel,
             omni.rate_agg(raw_hit) FILTER (WHERE delivered) AS raw,
             omni.rate_agg(human_hit) FILTER (WHERE delivered) AS human
      FROM facts GROUP BY channel) r
ORDER BY array_position(ARRAY['email', 'push', 'sms', 'web'], channel);

-- ---------------------------------------------------------------------------------------
\echo '(2) Human open rate by signup month x months since signup x channel, gap-filled by omni.cohort_grid: decay is real, gaps are not zeros'
\echo '    blank = not observable yet, - = observable but nothing delivered (push from May, web from July), 0.000 = a real zero, * = month still running'
WITH cells AS (
    SELECT cohort_month AS cohort_start,
           omni.cohort_period(cohort_month, sent_at, '1 month') AS period_number,
           channel,
           omni.rate_agg(human_hit) FILTER (WHERE delivered) AS hits
    FROM facts
    GROUP BY 1, 2, 3
), grid AS (
    SELECT g.cohort_start, g.period_number, ch.channel, ch.ord,
           CASE WHEN NOT g.observable THEN ''
                WHEN omni.trials(coalesce(cells.hits, '0/0')) = 0 THEN '-'
                ELSE to_char(omni.value(cells.hits), 'FM0.000') || CASE WHEN g.complete THEN '' ELSE '*' END
           END AS cell
    FROM omni.cohort_grid('2025-03-01 00:00+00', '2025-10-01 00:00+00', '1 month', '1 month',
                          '2025-10-20 12:00+00') AS g
    CROSS JOIN (VALUES ('email', 1), ('push', 2), ('web', 3)) AS ch(channel, ord)
    LEFT JOIN cells USING (cohort_start, period_number, channel)
)
SELECT to_char(cohort_start, 'YYYY-MM') AS cohort,
       CASE channel WHEN 'web' THEN 'web (click)' ELSE channel || ' (open)' END AS channel,
       max(cell) FILTER (WHERE period_number = 0) AS "m0",
       max(cell) FILTER (WHERE period_number = 1) AS "m1",
       max(cell) FILTER (WHERE period_number = 2) AS "m2",
       max(cell) FILTER (WHERE period_number = 3) AS "m3",
       max(cell) FILTER (WHERE period_number = 4) AS "m4",
       max(cell) FILTER (WHERE period_number = 5) AS "m5",
       max(cell) FILTER (WHERE period_number = 6) AS "m6",
       max(cell) FILTER (WHERE period_number = 7) AS "m7"
FROM grid
GROUP BY cohort_start, channel, ord
ORDER BY cohort_start, ord;

\echo '(2b) The newest web cells in long form: the observable/complete flags of omni.cohort_grid and the hits/trials behind each cell'
WITH cells AS (
    SELECT cohort_month AS cohort_start,
           omni.cohort_period(cohort_month, sent_at, '1 month') AS period_number,
           omni.rate_agg(human_hit) FILTER (WHERE delivered) AS hits
    FROM facts
    WHERE channel = 'web'
    GROUP BY 1, 2
)
SELECT to_char(g.cohort_start, 'YYYY-MM') AS cohort, g.period_number AS month, g.period_start::date,
       g.observable, g.complete,
       CASE WHEN g.observable THEN coalesce(cells.hits, '0/0') END AS clicks,
       round(omni.value(cells.hits)::numeric, 3) AS click_rate
FROM omni.cohort_grid('2025-09-01 00:00+00', '2025-10-01 00:00+00', '1 month', '1 month',
                      '2025-10-20 12:00+00') AS g
LEFT JOIN cells USING (cohort_start, period_number)
ORDER BY g.cohort_start, g.period_number;

-- ---------------------------------------------------------------------------------------
-- Daily partial states: what a dashboard stores once per day and never recomputes.
CREATE TEMP TABLE daily AS
SELECT (sent_at AT TIME ZONE 'UTC')::date AS day, channel,
       omni.rate_agg(human_hit) FILTER (WHERE delivered) AS opens
FROM facts
GROUP BY 1, 2;

\echo '(3) Daily email states rolled up to months with omni.rollup equal the raw-row figures exactly; averaging the daily rates does not'
WITH from_daily AS (
    SELECT date_trunc('month', day)::date AS month, count(*) AS days,
           omni.rollup(opens) AS opens, avg(omni.value(opens)) AS mean_of_daily_rates
    FROM daily WHERE channel = 'email' GROUP BY 1
), from_raw AS (
    SELECT (date_trunc('month', sent_at AT TIME ZONE 'UTC'))::date AS month,
           omni.rate_agg(human_hit) FILTER (WHERE delivered) AS opens
    FROM facts WHERE channel = 'email' GROUP BY 1
)
SELECT d.month, d.days, d.opens AS rolled_up, r.opens AS from_raw_rows, d.opens OPERATOR(omni.=) r.opens AS equal,
       round(omni.value(d.opens)::numeric, 4) AS open_rate,
       round(d.mean_of_daily_rates::numeric, 4) AS mean_of_daily_rates
FROM from_daily d JOIN from_raw r USING (month)
ORDER BY d.month;

\echo '(3b) The same check for every channel at week and month grain: rolled-up daily states vs. raw rows'
WITH grains(grain) AS (VALUES ('week'), ('month')),
rolled AS (
    SELECT g.grain, date_trunc(g.grain, d.day::timestamp) AS bucket, d.channel, omni.rollup(d.opens) AS opens
    FROM daily d CROSS JOIN grains g GROUP BY 1, 2, 3
), raw AS (
    SELECT g.grain, date_trunc(g.grain, f.sent_at AT TIME ZONE 'UTC') AS bucket, f.channel,
           omni.rate_agg(f.human_hit) FILTER (WHERE f.delivered) AS opens
    FROM facts f CROSS JOIN grains g GROUP BY 1, 2, 3
)
SELECT grain, count(*) AS cells, count(*) FILTER (WHERE rolled.opens OPERATOR(omni.=) raw.opens) AS equal_cells,
       sum(omni.trials(rolled.opens)) AS delivered, sum(omni.hits(rolled.opens)) AS engaged
FROM rolled FULL JOIN raw USING (grain, bucket, channel)
GROUP BY grain
ORDER BY grain = 'month', grain;

-- ---------------------------------------------------------------------------------------
\echo '(4) A/B test of the autumn_launch subject line, z-test vs. Fisher exact p: MPP noise hides the lift; on small cohorts trust Fisher only'
WITH ab AS (
    SELECT right(campaign, 1) AS variant, country, raw_hit, human_hit, human_clicked
    FROM facts
    WHERE campaign IN ('autumn_launch_A', 'autumn_launch_B') AND delivered
), metrics AS (
    SELECT 1 AS ord, 'everyone' AS segment, 'raw opens' AS metric,
           omni.rate_agg(raw_hit) FILTER (WHERE variant = 'A') AS a, omni.rate_agg(raw_hit) FILTER (WHERE variant = 'B') AS b
    FROM ab
    UNION ALL
    SELECT 2, 'everyone', 'human opens',
           omni.rate_agg(human_hit) FILTER (WHERE variant = 'A'), omni.rate_agg(human_hit) FILTER (WHERE variant = 'B')
    FROM ab
    UNION ALL
    SELECT 3, 'everyone', 'human clicks',
           omni.rate_agg(human_clicked) FILTER (WHERE variant = 'A'), omni.rate_agg(human_clicked) FILTER (WHERE variant = 'B')
    FROM ab
    UNION ALL
    SELECT 3 + c.n + m.k, c.country || ' customers', m.metric,
           omni.rate_agg(CASE m.metric WHEN 'human opens' THEN ab.human_hit ELSE ab.human_clicked END)
               FILTER (WHERE ab.variant = 'A'),
           omni.rate_agg(CASE m.metric WHEN 'human opens' THEN ab.human_hit ELSE ab.human_clicked END)
               FILTER (WHERE ab.variant = 'B')
    FROM (VALUES ('GB', 1), ('IE', 3)) AS c(country, n)
    CROSS JOIN (VALUES ('human opens', 0), ('human clicks', 1)) AS m(metric, k)
    JOIN ab ON ab.country = c.country
    GROUP BY c.country, c.n, m.metric, m.k
)
SELECT segment, metric, a, round(omni.value(a)::numeric, 3) AS rate_a, b, round(omni.value(b)::numeric, 3) AS rate_b,
       round((omni.value(b) / nullif(omni.value(a), 0))::numeric, 2) AS lift,
       CASE WHEN omni.p_value(a, b) < 0.0001 THEN '<0.0001' ELSE round(omni.p_value(a, b)::numeric, 4)::text END AS z_test_p,
       CASE WHEN omni.fisher_p_value(a, b) < 0.0001 THEN '<0.0001' ELSE round(omni.fisher_p_value(a, b)::numeric, 4)::text END AS fisher_p
FROM metrics
ORDER BY ord;

-- ---------------------------------------------------------------------------------------
SELECT round(omni.value(omni.rate_agg(human_hit) FILTER (WHERE delivered))::numeric, 3) AS population_rate
FROM facts WHERE campaign = 'welcome_1' \gset
\echo '(5) Welcome-email human open rate by country, shrunk toward the population (':population_rate', weight 50) by omni.shrink: small cohorts stop winning by luck'
WITH by_country AS (
    SELECT country, omni.rate_agg(human_hit) FILTER (WHERE delivered) AS opens
    FROM facts WHERE campaign = 'welcome_1' GROUP BY country
), pop AS (
    SELECT omni.value(omni.rollup(opens)) AS mean FROM by_country
)
SELECT country, omni.trials(opens) AS recipients, omni.hits(opens) AS human_opens,
       round(omni.value(opens)::numeric, 3) AS raw_rate,
       format('[%s, %s]', round(omni.ci_lower(opens)::numeric, 3), round(omni.ci_upper(opens)::numeric, 3)) AS raw_95ci,
       round(omni.shrink(opens, pop.mean, 50)::numeric, 3) AS shrunk_rate,
       rank() OVER (ORDER BY omni.value(opens) DESC) AS raw_rank,
       rank() OVER (ORDER BY omni.shrink(opens, pop.mean, 50) DESC) AS shrunk_rank
FROM by_country CROSS JOIN pop
ORDER BY omni.value(opens) DESC, country COLLATE "C";

-- ---------------------------------------------------------------------------------------
\echo '(6) omni.message_outcome: each message''s raw events become one row saying who really opened or clicked (#5: a pre-delivery open counts as machine)'
CREATE TEMP TABLE examples AS
WITH per_message AS (
    SELECT e.message_id, m.channel,
           bool_and(e.user_agent = 'Mozilla/5.0') FILTER (WHERE e.event_type IN ('open', 'click')) AS only_proxy,
           count(*) FILTER (WHERE e.event_type = 'open' AND e.user_agent LIKE '%GoogleImageProxy%') AS gmail_opens,
           bool_or(e.event_type = 'click') AS clicked,
           bool_or(e.user_agent LIKE 'Barracuda%') AS barracuda,
           bool_or(e.user_agent LIKE 'Microsoft Office%') AS outlook,
           bool_or(e.event_type = 'click' AND e.user_agent LIKE '%Chrome/118.%') AS chrome_118_click,
           bool_or(e.esp_machine_flag) AS esp_flagged,
           bool_or(e.event_type = 'open' AND e.occurred_at < m.delivered_at) AS open_before_delivery,
           bool_or(e.user_agent LIKE '%facebookexternalhit%') AS link_preview,
           bool_or(e.event_type = 'click' AND e.user_agent LIKE '%iPhone%') AS iphone_click,
           bool_or(e.event_type = 'open') AS opened
    FROM demo.message_events e JOIN demo.messages m USING (message_id)
    GROUP BY e.message_id, m.channel
)
SELECT 1 AS ord, 'Apple MPP proxy open only' AS story, min(message_id) AS message_id
FROM per_message WHERE channel = 'email' AND only_proxy
UNION ALL
SELECT 2, 'Gmail reader: 2 opens, a click', min(message_id)
FROM per_message WHERE channel = 'email' AND gmail_opens = 2 AND clicked
UNION ALL
SELECT 3, 'Barracuda scanner + Outlook reader', min(message_id)
FROM per_message WHERE barracuda AND outlook
UNION ALL
SELECT 4, 'scanner posing as Chrome, ESP fooled', min(message_id)
FROM per_message WHERE chrome_118_click AND NOT esp_flagged
UNION ALL
SELECT 5, 'open logged before delivery (skew)', min(message_id)
FROM per_message WHERE channel = 'email' AND open_before_delivery
UNION ALL
SELECT 6, 'sms: iMessage preview, then a tap', min(message_id)
FROM per_message WHERE channel = 'sms' AND link_preview AND iphone_click
UNION ALL
SELECT 7, 'push notification opened', min(message_id)
FROM per_message WHERE channel = 'push' AND opened;

SELECT x.ord AS "#", x.story, x.message_id, m.channel,
       (o).opens, (o).human_opens, (o).clicks, (o).human_clicks,
       (o).human_opened, (o).machine_opened AS machine_opens_only,
       round(extract(epoch FROM (o).first_human_open_at - (o).first_delivered_at) / 3600, 1) AS first_human_open_h
FROM examples x
JOIN demo.messages m USING (message_id)
JOIN LATERAL (SELECT omni.message_outcome(e.event_type, e.occurred_at, e.user_agent, e.esp_machine_flag) AS o
              FROM demo.message_events e WHERE e.message_id = x.message_id) AS agg ON true
ORDER BY x.ord;

\echo '(6b) Messages 2-5 event by event with omni.is_machine_open / omni.is_bot_click: under 2 s after delivery, or a click burst, is a machine'
WITH ev AS (
    SELECT x.ord, e.event_id, e.message_id, e.event_type, e.occurred_at, e.user_agent, e.esp_machine_flag,
           m.delivered_at,
           lag(e.occurred_at) OVER clicks AS prev_click_at,
           lead(e.occurred_at) OVER clicks AS next_click_at
    FROM examples x
    JOIN demo.message_events e USING (message_id)
    JOIN demo.messages m USING (message_id)
    WHERE x.ord BETWEEN 2 AND 5
    WINDOW clicks AS (PARTITION BY e.message_id, e.event_type = 'click' ORDER BY e.occurred_at, e.event_id)
)
SELECT ord AS "#", event_type AS event,
       round(extract(epoch FROM occurred_at - delivered_at), 1) AS secs_after_delivery,
       CASE WHEN length(user_agent) > 56 THEN rtrim(left(user_agent, 24)) || ' .. ' || ltrim(right(user_agent, 28))
            ELSE user_agent END AS user_agent,
       esp_machine_flag AS esp_flag,
       CASE WHEN event_type = 'open'
            THEN omni.is_machine_open(user_agent, occurred_at, delivered_at, esp_machine_flag) END AS machine_open,
       CASE WHEN event_type = 'click'
            THEN omni.is_bot_click(user_agent, occurred_at, delivered_at, prev_click_at)
                 OR omni.is_bot_click(user_agent, occurred_at, delivered_at, next_click_at) END AS bot_click
FROM ev
WHERE event_type IN ('open', 'click')
ORDER BY ord, occurred_at, event_id;

\echo '(6c) The marketing ESP''s machine flag vs. omni, per email open: the flag misses scanners posing as browsers; the transactional ESP sends none'
SELECT CASE e.esp_machine_flag WHEN true THEN 'ESP says machine' WHEN false THEN 'ESP says human'
                               ELSE 'no flag (transactional ESP)' END AS esp_flag,
       count(*) FILTER (WHERE omni.is_machine_open(e.user_agent, e.occurred_at, m.delivered_at)) AS omni_machine,
       count(*) FILTER (WHERE NOT omni.is_machine_open(e.user_agent, e.occurred_at, m.delivered_at)) AS omni_human,
       count(*) AS opens
FROM demo.message_events e JOIN demo.messages m USING (message_id)
WHERE e.event_type = 'open' AND m.channel = 'email'
GROUP BY e.esp_machine_flag
ORDER BY e.esp_machine_flag DESC NULLS LAST;

\echo '(6d) Per-message, per-day omni.message_state_agg states merged with omni.rollup equal message_outcome over all events: summarise incrementally'
WITH per_day AS (
    SELECT message_id, (occurred_at AT TIME ZONE 'UTC')::date AS day,
           omni.message_state_agg(event_type, occurred_at, user_agent, esp_machine_flag) AS state
    FROM demo.message_events GROUP BY 1, 2
), merged AS (
    SELECT message_id, count(*) AS days, omni.outcome(omni.rollup(state)) AS o FROM per_day GROUP BY 1
), direct AS (
    SELECT message_id, omni.message_outcome(event_type, occurred_at, user_agent, esp_machine_flag) AS o
    FROM demo.message_events GROUP BY 1
)
SELECT count(*) AS messages, count(*) FILTER (WHERE merged.days > 1) AS spanning_days,
       count(*) FILTER (WHERE merged.o = direct.o) AS identical_outcomes
FROM merged JOIN direct USING (message_id);

-- ---------------------------------------------------------------------------------------
-- Engagement: time-decayed scores (30-day half-life, default weights), as of the export.
-- The raw form scores every logged event; the human form scores message outcomes, so an
-- Apple proxy prefetch or a scanner's click never counts as engagement.
CREATE TEMP TABLE outcomes AS
SELECT m.customer_id, m.channel, m.message_id,
       omni.message_outcome(e.event_type, e.occurred_at, e.user_agent, e.esp_machine_flag) AS o
FROM demo.message_events e JOIN demo.messages m USING (message_id)
GROUP BY 1, 2, 3;
CREATE TEMP TABLE scores AS
SELECT c.customer_id, c.country, r.raw_score, h.human_score, h.profile
FROM demo.customers c
LEFT JOIN (SELECT m.customer_id,
                  omni.engagement_score(e.event_type, e.occurred_at, timestamptz '2025-10-20 12:00+00') AS raw_score
             FROM demo.message_events e JOIN demo.messages m USING (message_id) GROUP BY 1) r USING (customer_id)
LEFT JOIN (SELECT customer_id, omni.engagement_score(o, timestamptz '2025-10-20 12:00+00') AS human_score,
                  omni.engagement_profile(o, timestamptz '2025-10-20 12:00+00') FILTER (WHERE channel = 'email') AS profile
             FROM outcomes GROUP BY 1) h USING (customer_id);

\echo '(7) The most engaged customers now: decayed human score (message outcomes) vs. the raw-event score, with their last 90 days of email'
SELECT customer_id, country, round(human_score::numeric, 2) AS human_score, round(raw_score::numeric, 2) AS raw_score,
       (profile).deliveries AS emails_90d, (profile).human_opens AS opened, (profile).human_clicks AS clicked,
       round((profile).open_rate::numeric, 3) AS open_rate, round((profile).days_since_engaged::numeric, 1) AS days_since_engaged
FROM scores
ORDER BY human_score DESC NULLS LAST, customer_id
LIMIT 8;

\echo '(7b) Where machines inflate a raw score most: Apple''s proxy "opens" every email, security scanners click every link'
SELECT s.customer_id, round(s.raw_score::numeric, 2) AS raw_score, round(s.human_score::numeric, 2) AS human_score,
       count(*) FILTER (WHERE (o.o).delivered AND o.channel = 'email') AS emails_delivered,
       count(*) FILTER (WHERE (o.o).opened AND o.channel = 'email') AS raw_opens,
       count(*) FILTER (WHERE (o.o).human_opened AND o.channel = 'email') AS human_opens,
       sum((o.o).opens - (o.o).human_opens) AS machine_open_events,
       sum((o.o).clicks - (o.o).human_clicks) AS machine_click_events
FROM scores s JOIN outcomes o USING (customer_id)
GROUP BY s.customer_id, s.raw_score, s.human_score
ORDER BY s.raw_score - s.human_score DESC, s.customer_id
LIMIT 3;

\echo '(7c) Email personas: 90-day human open and click rates against the whole list''s (pooled with omni.rollup)'
WITH profiles AS (
    SELECT customer_id, profile FROM scores WHERE (profile).deliveries >= 3
), thresholds AS (
    SELECT omni.value(omni.rollup((profile).open_rate_state)) AS open_threshold,
           omni.value(omni.rollup((profile).click_rate_state)) AS click_threshold
    FROM profiles
)
SELECT omni.engagement_persona((p.profile).open_rate, (p.profile).click_rate,
                               t.open_threshold, t.click_threshold) AS persona,
       count(*) AS customers, round(avg((p.profile).open_rate)::numeric, 3) AS avg_open_rate,
       round(avg((p.profile).click_rate)::numeric, 3) AS avg_click_rate,
       round(t.open_threshold::numeric, 3) AS open_threshold, round(t.click_threshold::numeric, 3) AS click_threshold
FROM profiles p CROSS JOIN thresholds t
GROUP BY 1, t.open_threshold, t.click_threshold
ORDER BY customers DESC;

\echo '(7d) Incremental scoring as a dbt model does it: October 19''s stored states aged to October 20 plus that day''s outcomes equal a full recomputation'
WITH stored AS (
    SELECT customer_id, omni.engagement_state_agg(o, timestamptz '2025-10-19 12:00+00') AS state
    FROM outcomes GROUP BY 1
), today AS (
    -- the outcomes of the messages with events in the last day; only events after the stored
    -- as_of count (a message sent on the 18th and opened on the 20th adds just its open)
    SELECT customer_id, omni.engagement_state_agg(o, timestamptz '2025-10-20 12:00+00', '30 days', NULL,
                                                  timestamptz '2025-10-19 12:00+00') AS state
    FROM outcomes
    WHERE message_id IN (SELECT message_id FROM demo.message_events WHERE occurred_at > '2025-10-19 12:00+00')
    GROUP BY 1
)
SELECT count(*) AS customers,
       count(*) FILTER (WHERE abs(omni.score(i.state) - coalesce(s.human_score, 0)) <= 1e-9 * abs(s.human_score)) AS equal_to_1e9,
       max(abs(omni.score(i.state) - s.human_score) / nullif(abs(s.human_score), 0)) AS max_relative_difference
FROM (SELECT customer_id, omni.age_to(omni.rollup(state), '2025-10-20 12:00+00') AS state
      FROM (TABLE stored UNION ALL TABLE today) x GROUP BY 1) i
JOIN scores s USING (customer_id);

-- ---------------------------------------------------------------------------------------
-- Who has stopped reading: BG/BB (each email sent is one chance to respond) fitted to every
-- subscriber's sends and human responses, then P(alive) per subscriber.
CREATE TEMP TABLE reading AS
SELECT m.customer_id,
       omni.bgbb_summary(m.sent_at, coalesce((o.o).human_opened OR (o.o).human_clicked, false)) AS s,
       max(greatest((o.o).first_human_open_at, (o.o).first_human_click_at)) AS last_read_at
FROM demo.messages m JOIN outcomes o USING (message_id)
WHERE m.channel = 'email'
GROUP BY m.customer_id;
CREATE TEMP TABLE reading_model AS
SELECT omni.bgbb_fit((s).frequency, (s).recency, (s).n) AS model FROM reading;

\echo '(7e) Who has stopped reading email: a BG/BB model of sends and human opens or clicks, fitted once in SQL'
SELECT round((model).alpha::numeric, 3) AS alpha, round((model).beta::numeric, 3) AS beta,
       round((model).gamma::numeric, 3) AS gamma, round((model).delta::numeric, 3) AS delta,
       round((model).log_likelihood::numeric, 1) AS log_likelihood, (model).customers, (model).converged
FROM reading_model;

\echo '(7f) Readers most likely to have lapsed: they used to read (5+ emails read), P(alive) is lowest now'
SELECT r.customer_id, (r.s).n::int AS emails_sent, (r.s).frequency::int AS emails_read,
       (r.s).recency::int AS last_read_send, round(extract(epoch FROM timestamptz '2025-10-20 12:00+00' - r.last_read_at)::numeric / 86400, 1) AS days_since_read,
       round(omni.p_alive(m.model, (r.s).frequency, (r.s).recency, (r.s).n)::numeric, 3) AS p_alive,
       round(omni.expected_events(m.model, 10, (r.s).frequency, (r.s).recency, (r.s).n)::numeric, 2) AS reads_in_next_10
FROM reading r CROSS JOIN reading_model m
WHERE (r.s).frequency >= 5
ORDER BY omni.p_alive(m.model, (r.s).frequency, (r.s).recency, (r.s).n), r.customer_id
LIMIT 8;

\echo '(7g) How many subscribers are still reading, by P(alive)'
SELECT CASE WHEN p < 0.2 THEN '1. lapsed (< 0.2)' WHEN p < 0.5 THEN '2. at risk (0.2-0.5)'
            WHEN p < 0.8 THEN '3. cooling (0.5-0.8)' ELSE '4. reading (>= 0.8)' END AS status,
       count(*) AS subscribers, round(avg(p)::numeric, 3) AS avg_p_alive
FROM (SELECT omni.p_alive(m.model, (r.s).frequency, (r.s).recency, (r.s).n) AS p
      FROM reading r CROSS JOIN reading_model m) x
GROUP BY 1 ORDER BY 1;

-- ---------------------------------------------------------------------------------------
-- Where and when to reach each customer.  One row per delivered message: did the person respond
-- (the channel's human signal: an open for email and push, a click for sms and web) and when,
-- and did they unsubscribe from that channel.
CREATE TEMP TABLE responses AS
SELECT f.customer_id, f.channel, f.sent_at, coalesce(f.human_hit, false) AS engaged,
       CASE WHEN f.channel IN ('email', 'push') THEN (o.o).first_human_open_at ELSE (o.o).first_human_click_at END AS engaged_at,
       coalesce((o.o).unsubscribed, false) AS unsubscribed
FROM facts f JOIN outcomes o USING (message_id)
WHERE f.delivered;
-- the population's priors, computed once: each channel's response rate (strength 10) and the
-- local hours of the week people respond at
CREATE TEMP TABLE priors AS
SELECT (SELECT omni.channel_prior(channel, engaged) FROM responses) AS channel_prior,
       (SELECT omni.send_time_prior(r.engaged_at, c.time_zone) FROM responses r JOIN demo.customers c USING (customer_id)) AS send_time_prior;
CREATE TEMP TABLE reach AS
SELECT r.customer_id, c.time_zone, count(*) AS messages,
       omni.channel_preference(r.channel, r.engaged, r.sent_at, (SELECT channel_prior FROM priors),
                               timestamptz '2025-10-20 12:00+00', interval '90 days') AS pref,
       coalesce(array_agg(DISTINCT r.channel) FILTER (WHERE r.unsubscribed), '{}') AS opted_out,
       omni.best_send_time(r.engaged_at, c.time_zone, (SELECT send_time_prior FROM priors)) AS send_time,
       omni.contact_pressure(r.sent_at, r.engaged, timestamptz '2025-10-20 12:00+00', interval '8 weeks') AS pressure
FROM responses r JOIN demo.customers c USING (customer_id)
GROUP BY 1, 2;

\echo '(8) Where and when to reach them: each channel''s posterior response rate (90-day half-life, shrunk to the population), the preferred one'
\echo '    among those not unsubscribed with P(it truly is the best), the best local hour, and the contact pressure of the last 8 weeks'
SELECT r.customer_id, r.messages,
       (SELECT string_agg(s.channel || ' ' || round(s.posterior_mean::numeric, 2) || ' (' || round(s.responses::numeric, 1)
                          || '/' || round(s.sends::numeric, 1) || ')', ', ' ORDER BY s.posterior_mean DESC, s.channel)
          FROM omni.channel_scores(r.pref) s) AS ranking,
       r.opted_out, omni.preferred_channel(r.pref, r.opted_out) AS preferred,
       round(omni.channel_confidence(r.pref, r.opted_out)::numeric, 2) AS confidence,
       (ARRAY['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'])[omni.best_hour_of_week(r.send_time) / 24 + 1]
           || ' ' || lpad(omni.best_hour_of_day(r.send_time)::text, 2, '0') || ':00 ' || r.time_zone AS best_time,
       round(omni.send_time_confidence(r.send_time)::numeric, 2) AS time_confidence,
       (r.pressure).pressure
FROM reach r
WHERE r.customer_id IN (SELECT customer_id FROM reach ORDER BY messages DESC, customer_id LIMIT 4)
   OR r.customer_id IN (SELECT customer_id FROM reach WHERE opted_out <> '{}' ORDER BY messages DESC, customer_id LIMIT 1)
   OR r.customer_id IN (SELECT customer_id FROM reach WHERE (pressure).pressure = 'saturated' ORDER BY messages DESC, customer_id LIMIT 1)
ORDER BY r.messages DESC, r.customer_id;

\echo '(8b) How many customers prefer each channel, among those who responded at least once: omni (posterior, confidence) vs. the naive'
\echo '     "highest raw response rate" rule, which crowns a channel answered 1 of 1 times and ignores opt-outs'
WITH naive AS (
    SELECT DISTINCT ON (customer_id) customer_id, channel
    FROM responses GROUP BY customer_id, channel
    HAVING customer_id IN (SELECT customer_id FROM responses WHERE engaged)
    ORDER BY customer_id, avg(engaged::int) DESC, channel
)
SELECT coalesce(o.channel, n.channel) AS channel, o.customers AS omni_prefers, o.avg_confidence,
       n.customers AS naive_prefers
FROM (SELECT omni.preferred_channel(pref, opted_out) AS channel, count(*) AS customers,
             round(avg(omni.channel_confidence(pref, opted_out))::numeric, 2) AS avg_confidence
        FROM reach WHERE customer_id IN (SELECT customer_id FROM responses WHERE engaged) GROUP BY 1) o
FULL JOIN (SELECT channel, count(*) AS customers FROM naive GROUP BY 1) n USING (channel)
ORDER BY 2 DESC NULLS LAST, 1;

\echo '(8c) Contact pressure over the last 8 weeks: response rate in light vs. heavy weeks'
SELECT (pressure).pressure, count(*) AS customers,
       round(avg((pressure).messages_per_week)::numeric, 2) AS messages_per_week,
       round(avg((pressure).low_volume_rate)::numeric, 3) AS rate_light_weeks,
       round(avg((pressure).high_volume_rate)::numeric, 3) AS rate_heavy_weeks
FROM reach WHERE pressure IS NOT NULL
GROUP BY 1 ORDER BY 1;

-- ---------------------------------------------------------------------------------------
-- One customer, one profile: the contact records of the crm, ecommerce, support and app
-- systems resolved to unified IDs (omni.resolve_identities, docs/identity.md), then merged
-- into golden profiles (omni.merge_profiles_lineage, docs/golden.md).  The crm is trusted
-- most (priority 3), then ecommerce, app and support; within a priority the newest wins.
CREATE TEMP VIEW contact_identifiers AS
SELECT record_id, 'email' AS identifier_type, omni.normalize_email(email) AS identifier_value FROM demo.contacts
UNION ALL
SELECT c.record_id, 'phone', omni.normalize_phone(c.phone, cu.country)
FROM demo.contacts c JOIN demo.customers cu USING (customer_id)
-- the regions omni.normalize_phone knows (docs/identity.md); other countries' phones link nothing
WHERE cu.country IN ('US', 'CA', 'PR', 'GB', 'DE', 'FR', 'IT', 'ES', 'NL', 'JP', 'AU', 'IN', 'BR');
CREATE TEMP TABLE unified AS
SELECT * FROM omni.resolve_identities('SELECT * FROM contact_identifiers');
CREATE TEMP TABLE golden AS
SELECT u.unified_id, count(*) AS records,
       omni.merge_profiles_lineage(jsonb_build_object('email', c.email, 'phone', c.phone, 'name', c.name),
                                   c.updated_at, c.source_system,
                                   CASE c.source_system WHEN 'crm' THEN 3 WHEN 'ecommerce' THEN 2 WHEN 'app' THEN 1 ELSE 0 END) AS lineage
FROM demo.contacts c JOIN unified u USING (record_id)
GROUP BY u.unified_id;
SELECT unified_id AS demo_cluster FROM unified
WHERE cluster_size >= 3 ORDER BY cluster_size DESC, unified_id LIMIT 1 \gset

\echo '(9) Identity resolution: ':demo_cluster', one of the largest clusters, record by record, as each system holds it'
SELECT c.source_system, c.record_id, c.email, c.phone, c.name, c.updated_at
FROM demo.contacts c JOIN unified u USING (record_id)
WHERE u.unified_id = :'demo_cluster'
ORDER BY c.updated_at, c.record_id;

\echo '(9b) The links that joined it (omni.identity_links): two records and the identifier they share'
SELECT l.record_id, l.linked_record_id, l.identifier_type, l.identifier_value
FROM omni.identity_links('SELECT * FROM contact_identifiers') l
JOIN unified u USING (record_id)
WHERE u.unified_id = :'demo_cluster'
ORDER BY 1, 2;

\echo '(9c) The identifiers the guardrails ignored (omni.identity_guardrail_report): shared by too many records to be one person'
SELECT * FROM omni.identity_guardrail_report('SELECT * FROM contact_identifiers')
ORDER BY records DESC, identifier_type, identifier_value LIMIT 5;

\echo '(9d) Its golden profile: every value with the system and the record date it came from (crm trusted most, then the newest)'
SELECT key, value -> 'value' AS value, value ->> 'source' AS source, value ->> 'at' AS updated_at
FROM golden, jsonb_each(lineage)
WHERE unified_id = :'demo_cluster'
ORDER BY key;

\echo '(9e) All customers: how many golden profiles took each field from each system'
SELECT key, value ->> 'source' AS source, count(*) AS profiles
FROM golden, jsonb_each(lineage)
GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2;


\echo '(9f) Checked against the sample''s hidden truth (each contact''s real customer): a phone shared by a household joins'
\echo '     two people. max_per_type => {"email": 1} refuses links that would give a cluster a second email: fewer clusters'
\echo '     mixing people, at the price of more people split (a work and a personal address)'
WITH runs AS (
    SELECT 'none' AS guardrail, u.* FROM omni.resolve_identities('SELECT * FROM contact_identifiers') u
    UNION ALL
    SELECT 'max_per_type {"email": 1}', u.*
    FROM omni.resolve_identities('SELECT * FROM contact_identifiers', max_per_type => '{"email": 1}') u
), joined AS (
    SELECT r.guardrail, r.unified_id, c.customer_id FROM runs r JOIN demo.contacts c USING (record_id)
)
SELECT guardrail, count(DISTINCT unified_id) AS clusters,
       (SELECT count(*) FROM (SELECT 1 FROM joined m WHERE m.guardrail = j.guardrail
                              GROUP BY m.unified_id HAVING count(DISTINCT m.customer_id) > 1) x) AS clusters_mixing_people,
       (SELECT count(*) FROM (SELECT 1 FROM joined s WHERE s.guardrail = j.guardrail
                              GROUP BY s.customer_id HAVING count(DISTINCT s.unified_id) > 1) y) AS people_split
FROM joined j
GROUP BY guardrail ORDER BY 1 DESC;
