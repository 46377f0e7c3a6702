-- Run under the released version by scripts/test-upgrade.sh: partial states as a data team's
-- tables hold them.  The message_state literals are the text forms 0.1.0 wrote for the events
-- in the comments (recorded with the 0.1.0 build), so they stay the old format whatever the
-- build running the test writes; the same values are also stored as computed here.
SET TimeZone = 'UTC';
CREATE TABLE stored_rates (day int, channel text, opens omni.rate);
INSERT INTO stored_rates VALUES
    (1, 'email', '12/340'), (1, 'sms', '3/40'), (2, 'email', '0/0'), (2, 'email', '150/1000'),
    (3, 'sms', '9223372036854775806/9223372036854775807');
INSERT INTO stored_rates
SELECT 4, 'push', omni.rate_agg(i % 7 = 0) FROM generate_series(1, 1000) AS i;

-- message 1: send, deliver, a human open (day 1); a human click, a conversion (day 2)
-- message 2: Apple's privacy-proxy prefetch only
-- message 3: an open before the delivery report (day 1); delivery, an Outlook open, a scanner
--            click, an unsubscribe (day 2)
-- message 4: bounce (day 1); complaint and reply (day 2)
CREATE TABLE stored_message_states (message_id int, day int, state omni.message_state);
INSERT INTO stored_message_states VALUES
    (1, 1, E'\\x0100030002ef0594c16ac0000000000000000100000000000000010002ef062b60608000000000'),
    (1, 2, E'\\x0100080000000000000000000000000000000000000000000000000000000000000000000000010002ef18dbd7600002'),
    (2, 1, E'\\x0100030002ef0594b2288000000000000000010000000000000000000000000000000000000000'),
    (3, 1, E'\\x0100010000000000000000000000000000000100000000000000000000000000000000000000010002ef0594a2e64001'),
    (3, 2, E'\\x0100220002ef19b26b0400000000000000000100000000000000010002ef1a88fea800000000010002ef1a890dea4003'),
    (4, 1, E'\\x010005000000000000000000000000000000000000000000000000000000000000000000000000'),
    (4, 2, E'\\x010050000000000000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE computed_message_states AS
SELECT message_id, day, omni.message_state_agg(event_type, occurred_at, user_agent) AS state
FROM (VALUES
    (1, 1, 'send', '2026-03-02 09:00:00+00'::timestamptz, NULL),
    (1, 1, 'deliver', '2026-03-02 09:00:03+00', NULL),
    (1, 1, 'open', '2026-03-02 09:42:10+00', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)'),
    (1, 2, 'click', '2026-03-03 08:00:00+00', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Safari'),
    (1, 2, 'conversion', '2026-03-03 08:10:00+00', NULL),
    (2, 1, 'send', '2026-03-02 09:00:00+00', NULL), (2, 1, 'deliver', '2026-03-02 09:00:02+00', NULL),
    (2, 1, 'open', '2026-03-02 09:03:40+00', 'Mozilla/5.0'),
    (3, 1, 'send', '2026-03-02 09:00:00+00', NULL), (3, 1, 'open', '2026-03-02 09:00:01+00', NULL),
    (3, 2, 'deliver', '2026-03-03 09:00:00+00', NULL), (3, 2, 'open', '2026-03-03 10:00:00+00', 'Outlook'),
    (3, 2, 'click', '2026-03-03 10:00:01+00', 'Barracuda'),
    (3, 2, 'unsubscribe', '2026-03-03 10:05:00+00', NULL),
    (4, 1, 'send', '2026-03-02 09:00:00+00', NULL), (4, 1, 'bounce', '2026-03-02 09:00:01+00', NULL),
    (4, 2, 'complaint', '2026-03-03 09:00:01+00', NULL), (4, 2, 'reply', '2026-03-03 09:30:01+00', NULL)
) AS e(message_id, day, event_type, occurred_at, user_agent)
GROUP BY 1, 2;

-- message outcomes as a table holds them: composite values of 0.1.0's 19-column type.  The
-- update appends first_sent_at ... first_complained_at (ALTER TYPE ... ADD ATTRIBUTE); these
-- rows must still read, with NULL in the new columns.
CREATE TABLE stored_outcomes AS
SELECT message_id, day, omni.outcome(state) AS o FROM stored_message_states;
