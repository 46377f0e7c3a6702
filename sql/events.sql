-- Email events: machine-open and bot-click heuristics, and one outcome row per message.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';

-- is_machine_open: the ESP's flag, a known machine agent, or an open under 2 s after delivery
SELECT agent, omni.is_machine_open(agent, '2026-03-02 09:15:00+00', '2026-03-02 09:00:00+00') AS machine
FROM (VALUES ('Mozilla/5.0'),
             ('Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148'),
             ('Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)'),
             ('YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html'),
             ('Barracuda Sentinel (EE)'),
             ('python-requests/2.31.0'),
             (NULL)) AS v(agent);

SELECT opened_at,
       omni.is_machine_open(NULL, opened_at, '2026-03-02 09:00:00+00') AS default_2s,
       omni.is_machine_open(NULL, opened_at, '2026-03-02 09:00:00+00', min_human_delay => '10 seconds') AS delay_10s
FROM (VALUES ('2026-03-02 08:59:59+00'::timestamptz), ('2026-03-02 09:00:01+00'),
             ('2026-03-02 09:00:02+00'), ('2026-03-02 09:00:05+00')) AS v(opened_at);

SELECT omni.is_machine_open(NULL, '2026-03-02 09:15:00+00', NULL, esp_machine_flag => true) AS esp_says_machine,
       omni.is_machine_open(NULL, '2026-03-02 09:15:00+00', NULL) AS nothing_known,
       omni.is_machine_open('Mozilla/5.0', NULL, '2026-03-02 09:00:00+00') AS no_open_time;

-- is_bot_click: a scanner agent, a click under 2 s after delivery, or a burst
SELECT omni.is_bot_click('Mimecast URL Protect', '2026-03-02 10:00:00+00', '2026-03-02 09:00:00+00') AS scanner,
       omni.is_bot_click(NULL, '2026-03-02 09:00:01+00', '2026-03-02 09:00:00+00') AS too_soon,
       omni.is_bot_click(NULL, '2026-03-02 10:00:00+00', '2026-03-02 09:00:00+00',
                         previous_click_at => '2026-03-02 09:59:59.5+00') AS burst,
       omni.is_bot_click('Mozilla/5.0', '2026-03-02 10:00:00+00', '2026-03-02 09:00:00+00') AS bare_mozilla_click;

-- a small event log: one row per event, in no particular order
CREATE TABLE email_events (
    message_id int, recipient text, event_type text, occurred_at timestamptz,
    user_agent text, machine_open boolean
);
INSERT INTO email_events VALUES
    -- 1: a person opens and clicks
    (1, 'ann@example.com', 'send',    '2026-03-02 09:00:00+00', NULL, NULL),
    (1, 'ann@example.com', 'deliver', '2026-03-02 09:00:03+00', NULL, NULL),
    (1, 'ann@example.com', 'open',    '2026-03-02 09:42:10+00', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', NULL),
    (1, 'ann@example.com', 'click',   '2026-03-02 09:42:31+00', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', NULL),
    -- 2: only Apple Mail Privacy Protection's prefetch
    (2, 'bob@example.com', 'send',    '2026-03-02 09:00:00+00', NULL, NULL),
    (2, 'bob@example.com', 'deliver', '2026-03-02 09:00:02+00', NULL, NULL),
    (2, 'bob@example.com', 'open',    '2026-03-02 09:03:40+00', 'Mozilla/5.0', NULL),
    -- 3: a security gateway fetches first, the person opens hours later (through Gmail's proxy)
    (3, 'cy@example.com',  'send',    '2026-03-02 09:00:00+00', NULL, NULL),
    (3, 'cy@example.com',  'deliver', '2026-03-02 09:00:04+00', NULL, NULL),
    (3, 'cy@example.com',  'open',    '2026-03-02 09:00:04.8+00', 'Barracuda Sentinel (EE)', NULL),
    (3, 'cy@example.com',  'open',    '2026-03-02 13:20:00+00', 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', NULL),
    -- 4: an open timestamped before the delivery report, and one the ESP flags
    (4, 'dee@example.com', 'send',    '2026-03-02 09:00:00+00', NULL, NULL),
    (4, 'dee@example.com', 'open',    '2026-03-02 09:00:01+00', NULL, NULL),
    (4, 'dee@example.com', 'deliver', '2026-03-02 09:00:06+00', NULL, NULL),
    (4, 'dee@example.com', 'open',    '2026-03-02 11:00:00+00', NULL, true),
    -- 5: bounced
    (5, 'eve@example.com', 'send',    '2026-03-02 09:00:00+00', NULL, NULL),
    (5, 'eve@example.com', 'bounce',  '2026-03-02 09:00:01+00', NULL, NULL),
    -- 6: a link scanner clicks every link at once; the person clicks one later, then unsubscribes
    (6, 'fay@example.com', 'send',    '2026-03-02 09:00:00+00', NULL, NULL),
    (6, 'fay@example.com', 'deliver', '2026-03-02 09:00:02+00', NULL, NULL),
    (6, 'fay@example.com', 'click',   '2026-03-02 09:00:09.1+00', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36', NULL),
    (6, 'fay@example.com', 'click',   '2026-03-02 09:00:09.3+00', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36', NULL),
    (6, 'fay@example.com', 'click',   '2026-03-02 09:00:09.6+00', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36', NULL),
    (6, 'fay@example.com', 'open',    '2026-03-02 10:05:00+00', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)', NULL),
    (6, 'fay@example.com', 'click',   '2026-03-02 10:05:12+00', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15', NULL),
    (6, 'fay@example.com', 'unsubscribe', '2026-03-02 10:06:00+00', NULL, NULL),
    -- 7: no delivery report; the open cannot be timed, so only its agent is judged
    (7, 'gus@example.com', 'send',    '2026-03-02 09:00:00+00', NULL, NULL),
    (7, 'gus@example.com', 'open',    '2026-03-02 09:30:00+00', 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0 Mobile Safari/537.36', NULL),
    -- 8: rows the aggregate skips: no event type, no time
    (8, 'hal@example.com', 'send',    '2026-03-02 09:00:00+00', NULL, NULL),
    (8, 'hal@example.com', NULL,      '2026-03-02 09:00:01+00', NULL, NULL),
    (8, 'hal@example.com', 'open',    NULL, 'Mozilla/5.0 (iPhone)', NULL),
    (8, 'hal@example.com', 'deliver', '2026-03-02 09:00:02+00', NULL, NULL);

-- one outcome per message, no hand-written dedupe
SELECT message_id, recipient, (o).sent, (o).delivered, (o).bounced, (o).opened, (o).human_opened, (o).machine_opened,
       (o).clicked, (o).human_clicked, (o).unsubscribed
FROM (SELECT message_id, recipient,
             omni.message_outcome(event_type, occurred_at, user_agent, machine_open) AS o
        FROM email_events GROUP BY message_id, recipient) AS m
ORDER BY message_id;

SELECT message_id, (o).first_delivered_at, (o).first_human_open_at, (o).first_human_click_at,
       (o).opens, (o).human_opens, (o).clicks, (o).human_clicks
FROM (SELECT message_id, omni.message_outcome(event_type, occurred_at, user_agent, machine_open) AS o
        FROM email_events GROUP BY message_id) AS m
ORDER BY message_id;

-- the first time of every other kind of event (0.2.0), NULL when it did not happen
SELECT message_id, (o).first_sent_at, (o).first_bounced_at, (o).first_converted_at,
       (o).first_replied_at, (o).first_unsubscribed_at, (o).first_complained_at
FROM (SELECT message_id, omni.message_outcome(event_type, occurred_at, user_agent, machine_open) AS o
        FROM email_events GROUP BY message_id) AS m
ORDER BY message_id;

-- without the ESP flag (three-argument form) message 4's flagged open counts as human
SELECT message_id, (omni.message_outcome(event_type, occurred_at, user_agent)).human_opened
FROM email_events WHERE message_id = 4 GROUP BY message_id;

-- campaign rates over message outcomes
SELECT omni.rate_agg((o).opened) FILTER (WHERE (o).delivered) AS any_open,
       omni.rate_agg((o).human_opened) FILTER (WHERE (o).delivered) AS human_open,
       omni.rate_agg((o).human_clicked) FILTER (WHERE (o).delivered) AS human_click
FROM (SELECT omni.message_outcome(event_type, occurred_at, user_agent, machine_open) AS o
        FROM email_events GROUP BY message_id) AS m;

-- the same judgement row by row, with lag() and lead() for the burst rule
SELECT message_id, occurred_at,
       omni.is_bot_click(user_agent, occurred_at, delivered_at, lag(occurred_at) OVER w)
       OR omni.is_bot_click(user_agent, occurred_at, delivered_at, lead(occurred_at) OVER w) AS bot
FROM (SELECT e.*, min(occurred_at) FILTER (WHERE event_type = 'deliver')
                      OVER (PARTITION BY message_id) AS delivered_at
        FROM email_events e) AS e
WHERE event_type = 'click'
WINDOW w AS (PARTITION BY message_id ORDER BY occurred_at)
ORDER BY message_id, occurred_at;

-- partial states: one per message and day, rolled up later
CREATE TABLE message_days AS
SELECT message_id, occurred_at::date AS day,
       omni.message_state_agg(event_type, occurred_at, user_agent, machine_open) AS state
FROM email_events GROUP BY message_id, occurred_at::date;
SELECT message_id, (omni.outcome(omni.rollup(state))).human_opened,
       (omni.outcome(omni.rollup(state))).human_clicks
FROM message_days GROUP BY message_id ORDER BY message_id;

-- the text form: \x and the binary form in hex (version byte first)
SELECT omni.message_state_agg(event_type, occurred_at, user_agent) AS state
FROM email_events WHERE message_id = 1;
SELECT (omni.outcome(state)).* FROM message_days WHERE message_id = 1;

-- a state that omni 0.1.0 stored (format version 1; the events of message 3 in
-- test/fixtures/message_state_v1_events.csv: a send, an open before the delivery report,
-- delivery, opens, a person's click and a scanner's, an unsubscribe) still reads.  0.1.0 kept
-- no time for the send or the unsubscribe, so their first times are NULL, also after merging
-- a later unsubscribe whose time is known (the unknown one may be earlier); a kind seen only
-- in the newer state has its time
CREATE TABLE stored_states (part text, state omni.message_state);
INSERT INTO stored_states VALUES
    ('0.1.0', '\x0100230002ef19b26b0400000000000000000300000000000000010002ef1a88fea800000000040002ef0594a2e640010002ef05a6754700020002ef19b27a4640010002ef1a890dea4003'),
    ('0.2.0', (SELECT omni.message_state_agg(e, t::timestamptz, NULL)
                 FROM (VALUES ('unsubscribe', '2026-03-04 08:00:00+00'),
                              ('complaint', '2026-03-04 08:00:05+00')) AS v(e, t)));
SELECT part, (o).sent, (o).first_sent_at, (o).unsubscribed, (o).first_unsubscribed_at, (o).complained, (o).first_complained_at,
       (o).first_delivered_at, (o).human_opens, (o).clicks
FROM (SELECT part, omni.outcome(state) AS o FROM stored_states
      UNION ALL
      SELECT 'merged', omni.outcome(omni.rollup(state)) FROM stored_states) AS s
ORDER BY part;
-- read back, it is written as version 2
SELECT left(state::text, 4) AS version FROM stored_states WHERE part = '0.1.0';

-- NULL handling of the aggregate: no rows, or only skipped rows, give the outcome of no events
SELECT omni.message_outcome(event_type, occurred_at, user_agent) FROM email_events WHERE false;
SELECT omni.message_outcome(event_type, occurred_at, user_agent) FROM email_events
WHERE event_type IS NULL OR occurred_at IS NULL;

-- errors
SELECT omni.message_outcome(e, now(), NULL) FROM (VALUES ('opened')) AS v(e);
SELECT omni.message_outcome(e, now(), NULL) FROM (VALUES ('Open')) AS v(e);
SELECT omni.is_machine_open(NULL, now(), now(), min_human_delay => '-2 seconds');
SELECT omni.is_bot_click(NULL, now(), now(), burst_window => '-1 second');
SELECT 'not a state'::omni.message_state;
SELECT '\x03'::omni.message_state;
SELECT '\x0200'::omni.message_state;

DROP TABLE stored_states;
DROP TABLE message_days;
DROP TABLE email_events;
