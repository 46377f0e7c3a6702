-- Valid values of every omni base type, the starting points test/fuzz/omni_fuzz.c mutates.
-- One row per value: the type and the value's text form.  The harness refuses to run when an
-- omni base type has no seed here, so a new state type cannot go unfuzzed.
CREATE TEMP TABLE fuzz_seeds (typ text NOT NULL, val text NOT NULL);

INSERT INTO fuzz_seeds
SELECT 'omni.rate', v FROM (VALUES ('0/0'), ('12/340'), ('1/1'), ('0/5'), ('123456789/987654321'),
                                   ('9223372036854775807/9223372036854775807')) t(v);

CREATE TEMP TABLE fuzz_events (customer int, event_type text, occurred_at timestamptz, user_agent text,
                               channel text, engaged boolean, tz text);
INSERT INTO fuzz_events VALUES
    (1, 'send',    '2026-03-01 09:00+00', NULL, 'email', false, 'UTC'),
    (1, 'deliver', '2026-03-01 09:00:05+00', NULL, 'email', false, 'UTC'),
    (1, 'open',    '2026-03-01 09:00:07+00', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)', 'email', false, 'UTC'),
    (1, 'open',    '2026-03-01 18:30+00', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148', 'email', true, 'America/New_York'),
    (1, 'click',   '2026-03-01 18:31+00', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148', 'sms', true, 'America/New_York'),
    (1, 'click',   '2026-03-02 07:12+00', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36', 'push', true, 'Europe/Berlin'),
    (1, 'conversion', '2026-03-03 12:00+00', NULL, 'web', true, 'Europe/Berlin'),
    (1, 'bounce',  '2026-03-04 12:00+00', NULL, 'email', false, 'UTC'),
    (1, 'unsubscribe', '2026-03-05 12:00+00', NULL, 'email', false, 'UTC'),
    (2, 'send',    '2026-03-01 09:00+00', NULL, 'email', false, 'Asia/Tokyo'),
    (2, 'open',    '2026-03-01 10:00+00', NULL, 'email', true, 'Asia/Tokyo');
-- many hours of the week (a dense send-time state) and many entries
INSERT INTO fuzz_events
SELECT 3, CASE WHEN i % 3 = 0 THEN 'click' ELSE 'open' END,
       timestamptz '2026-03-02 00:00+00' + i * interval '97 minutes', NULL,
       (ARRAY['email', 'sms', 'push', 'web'])[1 + i % 4], i % 2 = 0, 'Australia/Sydney'
  FROM generate_series(1, 200) i;

INSERT INTO fuzz_seeds
SELECT 'omni.message_state', omni.message_state_agg(event_type, occurred_at, user_agent)::text
  FROM fuzz_events GROUP BY customer
UNION ALL
SELECT 'omni.message_state', omni.message_state_agg(event_type, occurred_at, user_agent, true)::text
  FROM fuzz_events WHERE customer = 1
UNION ALL
-- states omni 0.1.0 stored (format version 1, from test/fixtures/message_state_v1.csv), still read
SELECT 'omni.message_state', v FROM (VALUES
    ('\x0100080000000000000000000000000000000000000000000000000000000000000000000000020002ef059493a400030002ef066b27480002'),
    ('\x010000000000000000000000000000000000000000000000000000000000000000000000000000'),
    ('\x01007b0002ef0594c16ac0000000000000000500000000000000020002ef062b606080000000050002ef0594d0ad00010002ef05952c3a80030002ef062ca0cfc0020002ef0647640200020002ef064773444002'),
    ('\x0100030002ef0594c16ac0000000000000000400000000000000010002ef062b606080000000050002ef0594d0ad00010002ef05952c3a80030002ef062ca0cfc0020002ef0647640200020002ef064773444002')) t(v);

INSERT INTO fuzz_seeds
SELECT 'omni.engagement_state', omni.engagement_state_agg(event_type, occurred_at, '2026-07-01')::text
  FROM fuzz_events WHERE event_type IN ('open', 'click', 'conversion') GROUP BY customer
UNION ALL
SELECT 'omni.engagement_state',
       omni.engagement_state_agg(event_type, occurred_at, '2026-07-01', '14 days', '{"open": 1, "click": 3, "conversion": 10}')::text
  FROM fuzz_events WHERE event_type IN ('open', 'click', 'conversion');

INSERT INTO fuzz_seeds
SELECT 'omni.channel_prior', omni.channel_prior(channel, engaged)::text FROM fuzz_events
UNION ALL
SELECT 'omni.channel_prior', omni.channel_prior(channel, engaged, 3)::text FROM fuzz_events WHERE customer = 1;

INSERT INTO fuzz_seeds
SELECT 'omni.channel_preference', omni.channel_preference(channel, engaged)::text FROM fuzz_events GROUP BY customer
UNION ALL
SELECT 'omni.channel_preference',
       omni.channel_preference(channel, engaged, occurred_at,
                               (SELECT omni.channel_prior(channel, engaged) FROM fuzz_events),
                               '2026-07-01', '30 days')::text
  FROM fuzz_events GROUP BY customer;

INSERT INTO fuzz_seeds
SELECT 'omni.send_time_state', omni.best_send_time(occurred_at, tz)::text FROM fuzz_events GROUP BY customer, tz
UNION ALL
SELECT 'omni.send_time_state', omni.send_time_prior(occurred_at, 'UTC')::text FROM fuzz_events
UNION ALL
SELECT 'omni.send_time_state',
       omni.best_send_time(occurred_at, 'UTC', (SELECT omni.send_time_prior(occurred_at, 'UTC') FROM fuzz_events))::text
  FROM fuzz_events WHERE customer = 2;

INSERT INTO fuzz_seeds
SELECT 'omni.contact_pressure_state', omni.contact_pressure_state_agg(occurred_at, engaged, '2026-07-01')::text
  FROM fuzz_events GROUP BY customer
UNION ALL
SELECT 'omni.contact_pressure_state', omni.contact_pressure_state_agg(occurred_at, engaged, '2026-03-10', '7 days', 0.5)::text
  FROM fuzz_events;

-- the model states are the aggregates' transition types: built by their transition functions
INSERT INTO fuzz_seeds
SELECT 'omni.btyd_summary_state', v::text FROM (VALUES
    (omni.btyd_summary_trans(omni.btyd_summary_trans(NULL, '2026-01-02', '2026-01-31'), '2026-01-20', '2026-01-31')),
    (omni.btyd_summary_trans(NULL, '2026-01-02 10:00+00', '2026-01-31', '7 days', 'Asia/Tokyo')),
    (omni.bgbb_summary_trans(omni.bgbb_summary_trans(NULL, '2026-01-02', true), '2026-01-09', false))) t(v);

INSERT INTO fuzz_seeds
SELECT 'omni.btyd_fit_state', v::text FROM (VALUES
    (omni.bgnbd_fit_trans(omni.bgnbd_fit_trans(omni.bgnbd_fit_trans(NULL, 2, 30.4, 38.9), 0, 0, 38.9), 1, 2.5, 38.9)),
    (omni.bgnbd_fit_trans(omni.bgnbd_fit_trans(NULL, 3, 20, 30, 0.1), 0, 0, 30, 0.1)),
    (omni.bgbb_fit_trans(omni.bgbb_fit_trans(NULL, 2, 4, 6), 0, 0, 6)),
    (omni.bgbb_fit_trans(NULL, 1, 3, 6, 250)),
    (omni.gamma_gamma_fit_trans(omni.gamma_gamma_fit_trans(NULL, 2, 35.5), 4, 12.25))) t(v);

-- omni.cohort_triangle: counted from the cohort and from the customer, monthly and weekly
-- cohorts, a negative period, several zones
INSERT INTO fuzz_seeds
SELECT 'omni.cohort_triangle', t::text FROM (
    SELECT omni.cohort_triangle(s, a, h, '1 month', '1 month', 'cohort', 'UTC') AS t
      FROM (VALUES (timestamptz '2026-01-05', timestamptz '2026-01-06', true),
                   ('2026-01-07', '2026-03-08', false), ('2026-02-09', '2026-02-10', NULL),
                   ('2026-02-09', '2026-01-10', true)) v(s, a, h)
    UNION ALL
    SELECT omni.cohort_triangle(s, a, h, '7 days', '1 day', 'customer', 'America/New_York')
      FROM (VALUES (timestamptz '2026-03-05 10:00+00', timestamptz '2026-03-09 06:00+00', true),
                   ('2026-03-07 23:00+00', '2026-03-08 07:30+00', false),
                   ('2026-03-20 12:00+00', '2026-04-01 12:00+00', true)) v(s, a, h)
    UNION ALL
    SELECT omni.cohort_triangle(s, a, h, '3 months', '1 month 15 days', 'customer', 'Australia/Lord_Howe')
      FROM (VALUES (timestamptz '2025-11-30 14:00+00', timestamptz '2026-06-01', true)) v(s, a, h)) x;

-- golden profiles (src/golden.c): plain, lineage, with rules (union, any, max), nested objects,
-- numbers, arrays, booleans
CREATE TEMP TABLE fuzz_profiles (uid int, src text, pri int, at timestamptz, attrs jsonb);
INSERT INTO fuzz_profiles VALUES
    (1, 'crm', 2, '2026-01-10', '{"email": "a@x.example", "ltv": 12.5, "tags": ["vip", "b2b"], "opt_out": false, "addr": {"city": "Oslo", "geo": {"lat": 59.9}}}'),
    (1, 'shop', 1, '2026-03-01', '{"email": "b@x.example", "ltv": 7, "tags": ["buyer"], "opt_out": true, "addr": {"zip": "0150"}, "x": null}'),
    (2, NULL, 0, NULL, '{"a": [1, {"b": 2}], "": "empty key", "n": -1e-5}');
INSERT INTO fuzz_seeds
SELECT 'omni.profile_state', omni.profile_state_agg(attrs, at, src, pri, NULL)::text FROM fuzz_profiles GROUP BY uid
UNION ALL
SELECT 'omni.profile_state', omni.profile_state_agg(attrs, at, src, pri, '{"tags": "union", "opt_out": "any", "ltv": "max", "addr": "earliest"}')::text
  FROM fuzz_profiles WHERE uid = 1;
-- omni.pick_state: int4 42 (omni.latest), text 'abc' of priority 2 (omni.by_priority)
INSERT INTO fuzz_seeds VALUES
    ('omni.pick_state', '\x010000000017000000000000000000000000000000040000002a'),
    ('omni.pick_state', '\x010100000019000000020002ea470ae8600000000003616263');
