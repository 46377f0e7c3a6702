-- The client test's fixture, queries and expectations, shared by clients/jdbc/OmniClientTest.java
-- (pgjdbc) and clients/python/test_psycopg2.py (psycopg2); scripts/test-clients.sh runs both.
--
-- Blocks start with a directive line:
--   -- @session        statements run on every connection before anything else
--   -- @fixture        statements run once by each client (drops and re-creates schema client_test)
--   -- @query NAME     one query (the README's own text where there is one), followed by
--      -- @column NAME JDBC PYTHON   one line per result column, in order: the java.sql.Types name
--                                    pgjdbc must report, and the Python type psycopg2 must return
--                                    (for non-NULL values; NULL must arrive as null / None)
--      -- @row V | V | ...           every expected row, in order
-- Values: NULL is SQL NULL; * is any non-NULL value; booleans t/f; timestamps ISO 8601 with an
-- offset (compared as instants); numbers compared numerically (doubles exactly: both drivers
-- receive the shortest exact text form); anything else compared as text.
-- The Python types: int, float, Decimal, str, bool, date, datetime (which must be tz-aware).

-- @session
SET TimeZone = 'UTC';
SET search_path = client_test, public;

-- @fixture
DROP SCHEMA IF EXISTS client_test CASCADE;
CREATE SCHEMA client_test;
-- the README's triangle data (sql/cohort.sql), with the flags of the other open-rate definitions
CREATE TABLE client_test.customers (customer_id int, first_seen_at timestamptz);
CREATE TABLE client_test.messages (customer_id int, channel text, sent_at timestamptz,
                                   delivered boolean, opened boolean, human_opened boolean,
                                   clicked boolean);
INSERT INTO client_test.customers VALUES
    (1, '2026-01-10'), (2, '2026-01-20'), (3, '2026-02-03'), (4, '2026-03-02');
INSERT INTO client_test.messages VALUES
    (1, 'email', '2026-01-12', true,  true,  true,  true),
    (1, 'email', '2026-02-12', true,  false, false, false),
    (2, 'email', '2026-01-25', true,  false, false, false),
    (2, 'sms',   '2026-03-03', true,  true,  true,  false),
    (3, 'email', '2026-02-04', true,  true,  false, false),
    (3, 'email', '2026-03-05', false, NULL,  NULL,  NULL),
    (4, 'email', '2026-03-04', true,  false, false, false),
    (1, 'sms',   '2026-03-10', true,  false, false, false);
-- daily partial states as dbt/models/daily_open_states.sql stores them (a subset of its columns)
CREATE TABLE client_test.daily_open_states AS
SELECT date_trunc('day', m.sent_at, 'UTC') AS day,
       date_trunc('month', c.first_seen_at, 'UTC') AS cohort_start,
       m.channel,
       omni.rate_agg(m.human_opened) FILTER (WHERE m.delivered) AS opens,
       omni.rate_agg(m.clicked) FILTER (WHERE m.delivered) AS clicks
FROM client_test.messages m JOIN client_test.customers c USING (customer_id)
GROUP BY 1, 2, 3;
-- the BI view of the README ("What BI tools and Python receive")
CREATE VIEW client_test.open_rate_triangle AS
WITH cells AS (
    SELECT date_trunc('month', c.first_seen_at, 'UTC') AS cohort_start,
           omni.cohort_period(date_trunc('month', c.first_seen_at, 'UTC'), m.sent_at, '1 month', 'UTC') AS period_number,
           m.channel,
           omni.rate_agg(m.opened) FILTER (WHERE m.delivered) AS opens
    FROM client_test.messages m JOIN client_test.customers c USING (customer_id)
    GROUP BY 1, 2, 3
)
SELECT g.cohort_start, g.period_number, g.period_start, ch.channel, g.observable, g.complete,
       s.trials AS delivered, s.hits AS opened,
       s.value AS open_rate, s.ci_lower AS open_rate_low, s.ci_upper AS open_rate_high
FROM omni.cohort_grid('2026-01-01', '2026-03-01', '1 month', '1 month', '2026-03-15', 'UTC') g
CROSS JOIN (VALUES ('email'), ('sms')) AS ch(channel)
LEFT JOIN cells USING (cohort_start, period_number, channel)
LEFT JOIN LATERAL omni.summary(CASE WHEN g.observable THEN coalesce(cells.opens, '0/0') END) AS s ON true;
-- four messages of the README's event log: a person; Apple MPP only; a bounce; a scanner and a person
CREATE TABLE client_test.email_events (
    message_id int, recipient text, event_type text, occurred_at timestamptz,
    user_agent text, machine_open boolean
);
INSERT INTO client_test.email_events VALUES
    (1, 'ann@example.com', 'send',    '2026-03-02 09:00:00+00', NULL, NULL),
    (1, 'ann@example.com', 'deliver', '2026-03-02 09:00:03+00', NULL, NULL),
    (1, 'ann@example.com', 'open',    '2026-03-02 09:42:10+00', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', NULL),
    (1, 'ann@example.com', 'click',   '2026-03-02 09:42:31+00', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', NULL),
    (2, 'bob@example.com', 'send',    '2026-03-02 09:00:00+00', NULL, NULL),
    (2, 'bob@example.com', 'deliver', '2026-03-02 09:00:02+00', NULL, NULL),
    (2, 'bob@example.com', 'open',    '2026-03-02 09:03:40+00', 'Mozilla/5.0', NULL),
    (5, 'eve@example.com', 'send',    '2026-03-02 09:00:00+00', NULL, NULL),
    (5, 'eve@example.com', 'bounce',  '2026-03-02 09:00:01+00', NULL, NULL),
    (6, 'fay@example.com', 'send',    '2026-03-02 09:00:00+00', NULL, NULL),
    (6, 'fay@example.com', 'deliver', '2026-03-02 09:00:02+00', NULL, NULL),
    (6, 'fay@example.com', 'click',   '2026-03-02 09:00:09.1+00', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36', NULL),
    (6, 'fay@example.com', 'click',   '2026-03-02 09:00:09.3+00', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36', NULL),
    (6, 'fay@example.com', 'open',    '2026-03-02 10:05:00+00', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)', NULL),
    (6, 'fay@example.com', 'click',   '2026-03-02 10:05:12+00', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15', NULL),
    (6, 'fay@example.com', 'unsubscribe', '2026-03-02 10:06:00+00', NULL, NULL);

-- the event log of docs/engagement.md (sql/engagement.sql): Ann reads; Apple's proxy "opens" Bob's mail
CREATE TABLE client_test.events (customer text, message_id int, event_type text, occurred_at timestamptz, user_agent text);
INSERT INTO client_test.events VALUES
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

-- @query readme_rate_agg
-- @column opens OTHER str
-- @row 2/3
SELECT omni.rate_agg(opened) FILTER (WHERE delivered) AS opens
FROM (VALUES (true, true), (true, false), (false, NULL), (true, NULL), (true, true)) AS m(delivered, opened);

-- @query readme_accessors
-- @column value DOUBLE float
-- @column ci_lower DOUBLE float
-- @column ci_upper DOUBLE float
-- @row 0.03529411764705882 | 0.020302984370968707 | 0.060668806861492425
SELECT omni.value('12/340'), omni.ci_lower('12/340'), omni.ci_upper('12/340');

-- @query rate_column
-- a raw omni.rate reads as its text form; its accessors as numbers; NULL and 0/0 stay NULL
-- @column state OTHER str
-- @column state_text VARCHAR str
-- @column hits BIGINT int
-- @column trials BIGINT int
-- @column value DOUBLE float
-- @column ci_lower DOUBLE float
-- @column ci_upper DOUBLE float
-- @row 12/340 | 12/340 | 12 | 340 | 0.03529411764705882 | 0.020302984370968707 | 0.060668806861492425
-- @row 0/0 | 0/0 | 0 | 0 | NULL | NULL | NULL
-- @row NULL | NULL | NULL | NULL | NULL | NULL | NULL
SELECT r AS state, r::text AS state_text, omni.hits(r), omni.trials(r),
       omni.value(r), omni.ci_lower(r), omni.ci_upper(r)
FROM (VALUES (1, '12/340'::omni.rate), (2, '0/0'), (3, NULL)) AS v(i, r)
ORDER BY i;

-- @query summary
-- @column hits BIGINT int
-- @column trials BIGINT int
-- @column value DOUBLE float
-- @column ci_lower DOUBLE float
-- @column ci_upper DOUBLE float
-- @row 12 | 340 | 0.03529411764705882 | 0.020302984370968707 | 0.060668806861492425
-- @row 0 | 0 | NULL | NULL | NULL
SELECT s.* FROM (VALUES ('12/340'::omni.rate), ('0/0')) AS v(r)
CROSS JOIN LATERAL omni.summary(r) AS s;

-- @query readme_tests
-- @column p_value DOUBLE float
-- @column fisher_p_value DOUBLE float
-- @column shrink DOUBLE float
-- @column shrink DOUBLE float
-- @row 0.049640386865368785 | 0.08355730956350149 | 0.301792828685259 | 0.375
SELECT omni.p_value('120/1000', '150/1000'), omni.fisher_p_value('3/10', '9/12'),
       omni.shrink('3/4', '300/1000'), omni.shrink('3/4', prior_mean => 0.3, prior_strength => 20);

-- @query readme_cohort_period
-- the README's example without its last "-- 0": pgjdbc takes anything after the final semicolon,
-- even a comment, for a second statement ("Multiple ResultSets were returned by the query")
-- @column cohort_period INTEGER int
-- @column cohort_period INTEGER int
-- @row 1 | 0
SELECT omni.cohort_period('2026-01-31', '2026-02-28', '1 month'),  -- 1
       omni.cohort_period('2026-01-31', '2026-02-27', '1 month');

-- @query cohort_grid
-- @column cohort_start TIMESTAMP datetime
-- @column period_number INTEGER int
-- @column period_start TIMESTAMP datetime
-- @column period_end TIMESTAMP datetime
-- @column observable BIT bool
-- @column complete BIT bool
-- @row 2026-01-01T00:00:00+00:00 | 0 | 2026-01-01T00:00:00+00:00 | 2026-02-01T00:00:00+00:00 | t | t
-- @row 2026-01-01T00:00:00+00:00 | 1 | 2026-02-01T00:00:00+00:00 | 2026-03-01T00:00:00+00:00 | t | t
-- @row 2026-01-01T00:00:00+00:00 | 2 | 2026-03-01T00:00:00+00:00 | 2026-04-01T00:00:00+00:00 | t | f
-- @row 2026-02-01T00:00:00+00:00 | 0 | 2026-02-01T00:00:00+00:00 | 2026-03-01T00:00:00+00:00 | t | t
-- @row 2026-02-01T00:00:00+00:00 | 1 | 2026-03-01T00:00:00+00:00 | 2026-04-01T00:00:00+00:00 | t | f
-- @row 2026-02-01T00:00:00+00:00 | 2 | 2026-04-01T00:00:00+00:00 | 2026-05-01T00:00:00+00:00 | f | f
-- @row 2026-03-01T00:00:00+00:00 | 0 | 2026-03-01T00:00:00+00:00 | 2026-04-01T00:00:00+00:00 | t | f
-- @row 2026-03-01T00:00:00+00:00 | 1 | 2026-04-01T00:00:00+00:00 | 2026-05-01T00:00:00+00:00 | f | f
-- @row 2026-03-01T00:00:00+00:00 | 2 | 2026-05-01T00:00:00+00:00 | 2026-06-01T00:00:00+00:00 | f | f
SELECT * FROM omni.cohort_grid('2026-01-01', '2026-03-01', '1 month', '1 month', '2026-03-15');

-- @query readme_triangle
-- the README's cohort x period x channel triangle, verbatim (its output is expected/cohort.out)
-- @column cohort_start DATE date
-- @column period_number INTEGER int
-- @column channel VARCHAR str
-- @column observable BIT bool
-- @column complete BIT bool
-- @column opens OTHER str
-- @column open_rate NUMERIC Decimal
-- @row 2026-01-01 | 0 | email | t | t | 1/2  | 0.500
-- @row 2026-01-01 | 0 | sms   | t | t | 0/0  | NULL
-- @row 2026-01-01 | 1 | email | t | t | 0/1  | 0.000
-- @row 2026-01-01 | 1 | sms   | t | t | 0/0  | NULL
-- @row 2026-01-01 | 2 | email | t | f | 0/0  | NULL
-- @row 2026-01-01 | 2 | sms   | t | f | 1/2  | 0.500
-- @row 2026-02-01 | 0 | email | t | t | 1/1  | 1.000
-- @row 2026-02-01 | 0 | sms   | t | t | 0/0  | NULL
-- @row 2026-02-01 | 1 | email | t | f | 0/0  | NULL
-- @row 2026-02-01 | 1 | sms   | t | f | 0/0  | NULL
-- @row 2026-02-01 | 2 | email | f | f | NULL | NULL
-- @row 2026-02-01 | 2 | sms   | f | f | NULL | NULL
-- @row 2026-03-01 | 0 | email | t | f | 0/1  | 0.000
-- @row 2026-03-01 | 0 | sms   | t | f | 0/0  | NULL
-- @row 2026-03-01 | 1 | email | f | f | NULL | NULL
-- @row 2026-03-01 | 1 | sms   | f | f | NULL | NULL
-- @row 2026-03-01 | 2 | email | f | f | NULL | NULL
-- @row 2026-03-01 | 2 | sms   | f | f | NULL | NULL
WITH cells AS (
    SELECT date_trunc('month', c.first_seen_at) AS cohort_start,
           omni.cohort_period(date_trunc('month', c.first_seen_at), m.sent_at, '1 month') AS period_number,
           m.channel,
           omni.rate_agg(m.opened) FILTER (WHERE m.delivered) AS opens
    FROM messages m JOIN customers c USING (customer_id)
    GROUP BY 1, 2, 3
)
SELECT g.cohort_start::date, g.period_number, ch.channel, g.observable, g.complete,
       CASE WHEN g.observable THEN coalesce(cells.opens, '0/0') END AS opens,
       round(omni.value(cells.opens)::numeric, 3) AS open_rate
FROM omni.cohort_grid('2026-01-01', '2026-03-01', '1 month', '1 month', '2026-03-15') g
CROSS JOIN (VALUES ('email'), ('sms')) AS ch(channel)
LEFT JOIN cells USING (cohort_start, period_number, channel)
ORDER BY 1, 2, 3;

-- @query bi_view
-- the README's BI view (created by the fixture): every column a type BI tools chart
-- @column cohort_start TIMESTAMP datetime
-- @column period_number INTEGER int
-- @column period_start TIMESTAMP datetime
-- @column channel VARCHAR str
-- @column observable BIT bool
-- @column complete BIT bool
-- @column delivered BIGINT int
-- @column opened BIGINT int
-- @column open_rate DOUBLE float
-- @column open_rate_low DOUBLE float
-- @column open_rate_high DOUBLE float
-- @row 2026-01-01T00:00:00+00:00 | 0 | 2026-01-01T00:00:00+00:00 | email | t | t | 2    | 1    | 0.5  | 0.09453120573423081 | 0.9054687942657693
-- @row 2026-01-01T00:00:00+00:00 | 0 | 2026-01-01T00:00:00+00:00 | sms   | t | t | 0    | 0    | NULL | NULL                | NULL
-- @row 2026-01-01T00:00:00+00:00 | 1 | 2026-02-01T00:00:00+00:00 | email | t | t | 1    | 0    | 0    | 0                   | 0.7934506856227626
-- @row 2026-01-01T00:00:00+00:00 | 1 | 2026-02-01T00:00:00+00:00 | sms   | t | t | 0    | 0    | NULL | NULL                | NULL
-- @row 2026-01-01T00:00:00+00:00 | 2 | 2026-03-01T00:00:00+00:00 | email | t | f | 0    | 0    | NULL | NULL                | NULL
-- @row 2026-01-01T00:00:00+00:00 | 2 | 2026-03-01T00:00:00+00:00 | sms   | t | f | 2    | 1    | 0.5  | 0.09453120573423081 | 0.9054687942657693
-- @row 2026-02-01T00:00:00+00:00 | 0 | 2026-02-01T00:00:00+00:00 | email | t | t | 1    | 1    | 1    | 0.20654931437723745 | 1
-- @row 2026-02-01T00:00:00+00:00 | 0 | 2026-02-01T00:00:00+00:00 | sms   | t | t | 0    | 0    | NULL | NULL                | NULL
-- @row 2026-02-01T00:00:00+00:00 | 1 | 2026-03-01T00:00:00+00:00 | email | t | f | 0    | 0    | NULL | NULL                | NULL
-- @row 2026-02-01T00:00:00+00:00 | 1 | 2026-03-01T00:00:00+00:00 | sms   | t | f | 0    | 0    | NULL | NULL                | NULL
-- @row 2026-02-01T00:00:00+00:00 | 2 | 2026-04-01T00:00:00+00:00 | email | f | f | NULL | NULL | NULL | NULL                | NULL
-- @row 2026-02-01T00:00:00+00:00 | 2 | 2026-04-01T00:00:00+00:00 | sms   | f | f | NULL | NULL | NULL | NULL                | NULL
-- @row 2026-03-01T00:00:00+00:00 | 0 | 2026-03-01T00:00:00+00:00 | email | t | f | 1    | 0    | 0    | 0                   | 0.7934506856227626
-- @row 2026-03-01T00:00:00+00:00 | 0 | 2026-03-01T00:00:00+00:00 | sms   | t | f | 0    | 0    | NULL | NULL                | NULL
-- @row 2026-03-01T00:00:00+00:00 | 1 | 2026-04-01T00:00:00+00:00 | email | f | f | NULL | NULL | NULL | NULL                | NULL
-- @row 2026-03-01T00:00:00+00:00 | 1 | 2026-04-01T00:00:00+00:00 | sms   | f | f | NULL | NULL | NULL | NULL                | NULL
-- @row 2026-03-01T00:00:00+00:00 | 2 | 2026-05-01T00:00:00+00:00 | email | f | f | NULL | NULL | NULL | NULL                | NULL
-- @row 2026-03-01T00:00:00+00:00 | 2 | 2026-05-01T00:00:00+00:00 | sms   | f | f | NULL | NULL | NULL | NULL                | NULL
SELECT * FROM open_rate_triangle ORDER BY cohort_start, period_number, channel;

-- @query readme_monthly_model
-- a monthly rollup of the stored daily states, as dbt/models/open_rates_rollup.sql does (ordered)
-- @column month TIMESTAMP datetime
-- @column cohort_start TIMESTAMP datetime
-- @column channel VARCHAR str
-- @column opens OTHER str
-- @column open_rate DOUBLE float
-- @column open_rate_low DOUBLE float
-- @column open_rate_high DOUBLE float
-- @row 2026-01-01T00:00:00+00:00 | 2026-01-01T00:00:00+00:00 | email | 1/2 | 0.5  | 0.09453120573423081 | 0.9054687942657693
-- @row 2026-02-01T00:00:00+00:00 | 2026-01-01T00:00:00+00:00 | email | 0/1 | 0    | 0    | 0.7934506856227626
-- @row 2026-02-01T00:00:00+00:00 | 2026-02-01T00:00:00+00:00 | email | 0/1 | 0    | 0    | 0.7934506856227626
-- @row 2026-03-01T00:00:00+00:00 | 2026-01-01T00:00:00+00:00 | sms   | 1/2 | 0.5  | 0.09453120573423081 | 0.9054687942657693
-- @row 2026-03-01T00:00:00+00:00 | 2026-02-01T00:00:00+00:00 | email | 0/0 | NULL | NULL | NULL
-- @row 2026-03-01T00:00:00+00:00 | 2026-03-01T00:00:00+00:00 | email | 0/1 | 0    | 0    | 0.7934506856227626
SELECT date_trunc('month', day) AS month, cohort_start, channel,
       omni.rollup(opens) AS opens,
       omni.value(omni.rollup(opens)) AS open_rate,
       omni.ci_lower(omni.rollup(opens)) AS open_rate_low,
       omni.ci_upper(omni.rollup(opens)) AS open_rate_high
FROM daily_open_states
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3;

-- @query message_outcome
-- omni.message_outcome expanded with (o).*: flags, first times (NULL when none) and counts
-- @column message_id INTEGER int
-- @column sent BIT bool
-- @column delivered BIT bool
-- @column bounced BIT bool
-- @column opened BIT bool
-- @column human_opened BIT bool
-- @column machine_opened BIT bool
-- @column clicked BIT bool
-- @column human_clicked BIT bool
-- @column converted BIT bool
-- @column replied BIT bool
-- @column unsubscribed BIT bool
-- @column complained BIT bool
-- @column first_delivered_at TIMESTAMP datetime
-- @column first_human_open_at TIMESTAMP datetime
-- @column first_human_click_at TIMESTAMP datetime
-- @column opens BIGINT int
-- @column human_opens BIGINT int
-- @column clicks BIGINT int
-- @column human_clicks BIGINT int
-- @column first_sent_at TIMESTAMP datetime
-- @column first_bounced_at TIMESTAMP datetime
-- @column first_converted_at TIMESTAMP datetime
-- @column first_replied_at TIMESTAMP datetime
-- @column first_unsubscribed_at TIMESTAMP datetime
-- @column first_complained_at TIMESTAMP datetime
-- @row 1 | t | t | f | t | t | f | t | t | f | f | f | f | 2026-03-02T09:00:03+00:00 | 2026-03-02T09:42:10+00:00 | 2026-03-02T09:42:31+00:00 | 1 | 1 | 1 | 1 | 2026-03-02T09:00:00+00:00 | NULL | NULL | NULL | NULL | NULL
-- @row 2 | t | t | f | t | f | t | f | f | f | f | f | f | 2026-03-02T09:00:02+00:00 | NULL | NULL | 1 | 0 | 0 | 0 | 2026-03-02T09:00:00+00:00 | NULL | NULL | NULL | NULL | NULL
-- @row 5 | t | f | t | f | f | f | f | f | f | f | f | f | NULL | NULL | NULL | 0 | 0 | 0 | 0 | 2026-03-02T09:00:00+00:00 | 2026-03-02T09:00:01+00:00 | NULL | NULL | NULL | NULL
-- @row 6 | t | t | f | t | t | f | t | t | f | f | t | f | 2026-03-02T09:00:02+00:00 | 2026-03-02T10:05:00+00:00 | 2026-03-02T10:05:12+00:00 | 1 | 1 | 3 | 1 | 2026-03-02T09:00:00+00:00 | NULL | NULL | NULL | 2026-03-02T10:06:00+00:00 | NULL
SELECT message_id, (o).*
FROM (SELECT message_id, omni.message_outcome(event_type, occurred_at, user_agent, machine_open) AS o
        FROM email_events GROUP BY message_id) AS m
ORDER BY message_id;

-- @query campaign_rates
-- rates over message outcomes: the states as text, the figures as doubles
-- @column any_open OTHER str
-- @column human_open OTHER str
-- @column human_open_rate DOUBLE float
-- @column human_click_rate DOUBLE float
-- @row 3/3 | 2/3 | 0.6666666666666666 | 0.6666666666666666
SELECT omni.rate_agg((o).opened) FILTER (WHERE (o).delivered) AS any_open,
       omni.rate_agg((o).human_opened) FILTER (WHERE (o).delivered) AS human_open,
       omni.value(omni.rate_agg((o).human_opened) FILTER (WHERE (o).delivered)) AS human_open_rate,
       omni.value(omni.rate_agg((o).human_clicked) FILTER (WHERE (o).delivered)) AS human_click_rate
FROM (SELECT omni.message_outcome(event_type, occurred_at, user_agent, machine_open) AS o
        FROM email_events GROUP BY message_id) AS m;

-- @query not_for_bi
-- what a BI tool gets when it is handed omni's composite and state values unexpanded: text
-- @column outcome STRUCT str
-- @column summary STRUCT str
-- @column state OTHER str
-- @column state_prefix VARCHAR str
-- @row (t,t,f,t,t,f,t,t,f,f,f,f,"2026-03-02 09:00:03+00","2026-03-02 09:42:10+00","2026-03-02 09:42:31+00",1,1,1,1,"2026-03-02 09:00:00+00",,,,,) | (12,340,0.03529411764705882,0.020302984370968707,0.060668806861492425) | * | \x02
SELECT omni.message_outcome(event_type, occurred_at, user_agent) AS outcome,
       omni.summary('12/340') AS summary,
       omni.message_state_agg(event_type, occurred_at, user_agent) AS state,
       left(omni.message_state_agg(event_type, occurred_at, user_agent)::text, 4) AS state_prefix
FROM email_events WHERE message_id = 1;

-- @query readme_engagement_human
-- docs/engagement.md and the README: the human score over message outcomes
-- @column customer VARCHAR str
-- @column human_score DOUBLE float
-- @row ann | 6.824983598518402
-- @row bob | -9.502564968702726
SELECT customer, omni.engagement_score(o, '2026-07-01') AS human_score
FROM (SELECT customer, message_id, omni.message_outcome(event_type, occurred_at, user_agent) AS o
      FROM events GROUP BY customer, message_id) m
GROUP BY customer ORDER BY customer;

-- @query engagement_state
-- a stored score state arrives as text; its accessors as a number, a time, a count
-- @column state OTHER str
-- @column score DOUBLE float
-- @column as_of TIMESTAMP datetime
-- @column half_life_text VARCHAR str
-- @column events BIGINT int
-- @column last_engaged_at TIMESTAMP datetime
-- @row * | 6.824983598518402 | 2026-07-01T00:00:00+00:00 | 30 days | 8 | 2026-06-21T08:25:00+00:00
-- @row * | -9.502564968702726 | 2026-07-01T00:00:00+00:00 | 30 days | 5 | NULL
SELECT s AS state, omni.score(s), omni.as_of(s), omni.half_life(s)::text AS half_life_text,
       omni.event_count(s) AS events, omni.last_engaged_at(s)
FROM (SELECT customer, omni.engagement_state_agg(o, '2026-07-01') AS s
      FROM (SELECT customer, message_id, omni.message_outcome(event_type, occurred_at, user_agent) AS o
            FROM events GROUP BY customer, message_id) m
      GROUP BY customer) x
ORDER BY customer;

-- @query engagement_profile
-- the profile expanded for a BI tool: counts, rates as doubles and as omni.rate text, times
-- @column customer VARCHAR str
-- @column deliveries BIGINT int
-- @column human_opens BIGINT int
-- @column human_clicks BIGINT int
-- @column open_rate DOUBLE float
-- @column click_rate DOUBLE float
-- @column click_to_open_rate DOUBLE float
-- @column open_rate_state OTHER str
-- @column click_rate_state OTHER str
-- @column click_to_open_rate_state OTHER str
-- @column last_engaged_at TIMESTAMP datetime
-- @column days_since_engaged DOUBLE float
-- @column score DOUBLE float
-- @row ann | 2 | 2 | 1 | 1 | 0.5 | 0.5 | 2/2 | 1/2 | 1/2 | 2026-06-21T08:25:00+00:00 | 9.649305555555555 | 6.824983598518402
-- @row bob | 2 | 0 | 0 | 0 | 0 | NULL | 0/2 | 0/2 | 0/0 | NULL | NULL | -9.502564968702726
SELECT customer, (p).*
FROM (SELECT customer, omni.engagement_profile(o, '2026-07-01') AS p
      FROM (SELECT customer, message_id, omni.message_outcome(event_type, occurred_at, user_agent) AS o
            FROM events GROUP BY customer, message_id) m
      GROUP BY customer) x
ORDER BY customer;

-- @query persona_and_segment
-- @column persona VARCHAR str
-- @column segment VARCHAR str
-- @row window_shopper | Champions
SELECT omni.engagement_persona(0.55, 0.004, 0.215, 0.012) AS persona, omni.rfm_segment(5, 4, 4) AS segment;

-- @query bgnbd_model_columns
-- a stored customer-base model expands to plain columns; predictions are doubles
-- (a model built from published parameters has no fit statistics: NULL)
-- @column r DOUBLE float
-- @column alpha DOUBLE float
-- @column a DOUBLE float
-- @column b DOUBLE float
-- @column log_likelihood DOUBLE float
-- @column customers BIGINT int
-- @column converged BIT bool
-- @column p_alive DOUBLE float
-- @column next_39_weeks DOUBLE float
-- @row 0.243 | 4.414 | 0.793 | 2.426 | NULL | NULL | NULL | 0.7265785700806728 | 1.2260281747671415
SELECT (m).*, omni.p_alive(m, 2, 30.43, 38.86) AS p_alive,
       omni.expected_events(m, 39, 2, 30.43, 38.86) AS next_39_weeks
FROM (SELECT omni.bgnbd_model(0.243, 4.414, 0.793, 2.426) AS m) x;

-- @query channel_preference
-- docs/channels.md: the preferred channel and its confidence as plain columns, one row per customer
-- (Ann's email 3 of 4 and SMS 1 of 1 tie on the posterior mean 2/3: more evidence wins)
-- @column customer VARCHAR str
-- @column preferred_channel VARCHAR str
-- @column confidence DOUBLE float
-- @column preferred_without_push VARCHAR str
-- @row ann | email | 0.4761904761904758 | email
-- @row bob | push | 0.8857142857142846 | email
WITH m(customer, channel, engaged) AS (VALUES
    ('ann', 'email', true), ('ann', 'email', true), ('ann', 'email', false), ('ann', 'email', true),
    ('ann', 'sms', true),
    ('bob', 'push', true), ('bob', 'push', true), ('bob', 'email', false), ('bob', 'email', false), ('bob', 'email', true))
SELECT customer, omni.preferred_channel(p) AS preferred_channel, omni.channel_confidence(p) AS confidence,
       omni.preferred_channel(p, '{push}') AS preferred_without_push
FROM (SELECT customer, omni.channel_preference(channel, engaged) AS p FROM m GROUP BY customer) x
ORDER BY customer;

-- @query channel_scores_lateral
-- the per-channel ranking a BI tool charts with a LATERAL join: no jsonb to parse
-- @column channel VARCHAR str
-- @column sends DOUBLE float
-- @column responses DOUBLE float
-- @column posterior_mean DOUBLE float
-- @column ci_lower DOUBLE float
-- @column ci_upper DOUBLE float
-- @column p_best DOUBLE float
-- @row email | 4 | 3 | 0.6666666666666666 | 0.28358206388191054 | 0.9472550494736831 | 0.4761904761904758
-- @row sms | 1 | 1 | 0.6666666666666666 | 0.15811388300841897 | 0.9874208829065749 | 0.5238095238095233
WITH m(customer, channel, engaged) AS (VALUES
    ('ann', 'email', true), ('ann', 'email', true), ('ann', 'email', false), ('ann', 'email', true),
    ('ann', 'sms', true))
SELECT s.* FROM (SELECT omni.channel_preference(channel, engaged) AS p FROM m) x,
     LATERAL omni.channel_scores(x.p) s ORDER BY s.channel;

-- @query best_send_time
-- docs/sendtime.md: the best local hour of the week (0 = Monday 00:00) and of the day, as integers;
-- 17:30 UTC on 31 March is 19:30 in Berlin (summer time), like 18:10 UTC on 2 March (winter time);
-- the confidence is (4/7 + 7) / (4 × 29) = 53/812 = 0.0652709359605911… (docs/sendtime.md), to the last bit or so
-- @column best_hour_of_week INTEGER int
-- @column best_hour_of_day INTEGER int
-- @column confidence DOUBLE float
-- @column events BIGINT int
-- @column time_zone VARCHAR str
-- @row 19 | 19 | 0.06527093596059114 | 5 | Europe/Berlin
WITH e(engaged_at) AS (VALUES (timestamptz '2026-03-02 18:10:00+00'), ('2026-03-09 18:40:00+00'), ('2026-03-16 19:05:00+00'),
                              ('2026-03-31 17:30:00+00'), ('2026-04-06 17:50:00+00'))
SELECT omni.best_hour_of_week(s) AS best_hour_of_week, omni.best_hour_of_day(s) AS best_hour_of_day,
       omni.send_time_confidence(s) AS confidence, omni.event_count(s) AS events, omni.time_zone(s) AS time_zone
FROM (SELECT omni.best_send_time(engaged_at, 'Europe/Berlin') AS s FROM e) x;

-- @query contact_pressure
-- docs/sendtime.md's Dee: the pressure class and the figures behind it, expanded to columns
-- @column pressure VARCHAR str
-- @column weeks INTEGER int
-- @column messages BIGINT int
-- @column responses BIGINT int
-- @column messages_per_week DOUBLE float
-- @column response_rate DOUBLE float
-- @column low_volume_rate DOUBLE float
-- @column high_volume_rate DOUBLE float
-- @column slope DOUBLE float
-- @column slope_se DOUBLE float
-- @column slope_z DOUBLE float
-- @row saturated | 8 | 27 | 8 | 3.375 | 0.2962962962962963 | 1 | 0.09523809523809523 | -0.22175141242937862 | 0.029926175564423004 | -7.409948255900842
WITH m(sent_at, engaged) AS (
    SELECT timestamptz '2026-06-01' - (w + 1) * interval '7 days' + k * interval '1 day',
           k <= CASE WHEN v <= 2 THEN v ELSE greatest(3 - v / 2, 0) END
    FROM (VALUES (0, 6), (1, 1), (2, 5), (3, 2), (4, 6), (5, 1), (6, 4), (7, 2)) wv(w, v), generate_series(1, v) k)
SELECT (omni.contact_pressure(sent_at, engaged, '2026-06-01', '56 days')).* FROM m;

-- @query golden_profile_columns
-- docs/golden.md: golden profiles as plain columns a BI tool reads (no jsonb to parse): the
-- surviving email and where it came from, an opt-out in any system, the largest lifetime value,
-- the earliest first-seen date, the trusted name (omni.by_priority) and the latest phone (omni.latest)
-- @column unified_id VARCHAR str
-- @column email VARCHAR str
-- @column email_source VARCHAR str
-- @column email_updated_at TIMESTAMP datetime
-- @column email_opt_out BIT bool
-- @column ltv NUMERIC Decimal
-- @column first_seen DATE date
-- @column trusted_name VARCHAR str
-- @column latest_phone VARCHAR str
-- @column records BIGINT int
-- @row crm:1 | jane.doe@gmail.com | crm | 2026-01-10T00:00:00+00:00 | t | 340.5 | 2023-11-30 | Jane Doe | +1 415-555-0100 | 3
-- @row crm:2 | bob@example.com | crm | 2025-12-01T00:00:00+00:00 | f | NULL | NULL | Bob Smith | NULL | 1
WITH c(record_id, unified_id, source, priority, updated_at, attrs) AS (VALUES
    ('crm:1', 'crm:1', 'crm', 2, timestamptz '2026-01-10',
     '{"email": "jane.doe@gmail.com", "name": "Jane Doe", "phone": "+14155550100", "ltv": 120, "first_seen": "2024-03-01", "email_opt_out": false}'::jsonb),
    ('shop:77', 'crm:1', 'shop', 1, '2026-03-02',
     '{"email": "janedoe+shop@gmail.com", "name": "Jane D.", "phone": null, "ltv": 340.5, "first_seen": "2023-11-30", "email_opt_out": true}'),
    ('support:9', 'crm:1', 'support', 0, '2026-02-14', '{"name": "Jane", "phone": "+1 415-555-0100"}'),
    ('crm:2', 'crm:2', 'crm', 2, '2025-12-01', '{"email": "bob@example.com", "name": "Bob Smith", "email_opt_out": false}'))
SELECT unified_id,
       lineage -> 'email' ->> 'value' AS email,
       lineage -> 'email' ->> 'source' AS email_source,
       (lineage -> 'email' ->> 'at')::timestamptz AS email_updated_at,
       (lineage -> 'email_opt_out' ->> 'value')::boolean AS email_opt_out,
       (lineage -> 'ltv' ->> 'value')::numeric AS ltv,
       (lineage -> 'first_seen' ->> 'value')::date AS first_seen,
       trusted_name, latest_phone, records
FROM (SELECT unified_id,
             omni.merge_profiles_lineage(attrs, updated_at, source, priority,
                                         '{"email_opt_out": "any", "ltv": "max", "first_seen": "earliest"}') AS lineage,
             omni.by_priority(attrs ->> 'name', priority, updated_at) AS trusted_name,
             omni.latest(attrs ->> 'phone', updated_at) AS latest_phone,
             count(*) AS records
      FROM c GROUP BY unified_id) g
ORDER BY unified_id;
