-- Channel preferences: the examples of docs/channels.md, with their output.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 0;

-- one row per message sent: ann reads email (40 of 50) and answered her only text; bob ignores
-- email and answers push; cat answered email until the autumn, then only push
CREATE TABLE messages (customer text, channel text, engaged boolean, sent_at timestamptz);
INSERT INTO messages
SELECT 'ann', 'email', g <= 40, timestamptz '2026-01-01' + g * interval '3 days' FROM generate_series(1, 50) g
UNION ALL SELECT 'ann', 'sms', true, timestamptz '2026-04-01'
UNION ALL SELECT 'bob', 'email', g <= 2, timestamptz '2026-01-01' + g * interval '7 days' FROM generate_series(1, 20) g
UNION ALL SELECT 'bob', 'push', g <= 6, timestamptz '2026-01-01' + g * interval '14 days' FROM generate_series(1, 10) g
UNION ALL SELECT 'bob', 'sms', false, timestamptz '2026-02-01' + g * interval '30 days' FROM generate_series(1, 3) g
UNION ALL SELECT 'cat', 'email', g <= 15, timestamptz '2025-01-01' + g * interval '7 days' FROM generate_series(1, 20) g
UNION ALL SELECT 'cat', 'email', false, timestamptz '2025-10-01' + g * interval '8 days' FROM generate_series(1, 10) g
UNION ALL SELECT 'cat', 'push', g <= 2, timestamptz '2025-01-01' + g * interval '7 days' FROM generate_series(1, 20) g
UNION ALL SELECT 'cat', 'push', g <= 7, timestamptz '2025-10-01' + g * interval '8 days' FROM generate_series(1, 10) g;

-- the preferred channel and how sure omni is, next to the naive highest raw rate
SELECT customer,
       omni.preferred_channel(p) AS preferred,
       round(omni.channel_confidence(p)::numeric, 4) AS confidence
FROM (SELECT customer, omni.channel_preference(channel, engaged) AS p
      FROM messages GROUP BY customer) x
ORDER BY customer;

SELECT DISTINCT ON (customer) customer, channel AS naive_pick,
       count(*) FILTER (WHERE engaged) || '/' || count(*) AS raw
FROM messages GROUP BY customer, channel
ORDER BY customer, avg(engaged::int) DESC;

-- every channel's figures, for a BI tool (LATERAL)
SELECT x.customer, s.channel, s.sends, s.responses,
       round(s.posterior_mean::numeric, 4) AS mean,
       round(s.ci_lower::numeric, 4) AS ci_lower, round(s.ci_upper::numeric, 4) AS ci_upper,
       round(s.p_best::numeric, 4) AS p_best
FROM (SELECT customer, omni.channel_preference(channel, engaged) AS p
      FROM messages GROUP BY customer) x,
     LATERAL omni.channel_scores(x.p) s
ORDER BY x.customer, s.channel;

-- the population's prior (empirical Bayes), computed once and passed to the next call
CREATE TABLE prior AS SELECT omni.channel_prior(channel, engaged) AS prior FROM messages;
SELECT jsonb_pretty(omni.channel_prior_json(prior)) FROM prior;

SELECT customer,
       omni.preferred_channel(p) AS preferred,
       round(omni.channel_confidence(p)::numeric, 4) AS confidence
FROM (SELECT customer, omni.channel_preference(channel, engaged, sent_at, (SELECT prior FROM prior)) AS p
      FROM messages GROUP BY customer) x
ORDER BY customer;

-- a channel the customer never received has the prior's mean
SELECT channel, sends, round(posterior_mean::numeric, 4) AS mean
FROM omni.channel_scores((SELECT omni.channel_preference(channel, engaged, sent_at, (SELECT prior FROM prior))
                          FROM messages WHERE customer = 'ann'));

-- opted out: skip the channels a customer unsubscribed from
SELECT omni.preferred_channel(p) AS preferred,
       omni.preferred_channel(p, '{push}') AS without_push,
       round(omni.channel_confidence(p, '{push}')::numeric, 4) AS confidence_without_push,
       omni.preferred_channel(p, '{push,email,sms}') AS nothing_left
FROM (SELECT omni.channel_preference(channel, engaged) AS p FROM messages WHERE customer = 'bob') x;

-- behaviour changes: cat moved from email to push; a 30-day half-life sees it
SELECT omni.preferred_channel(omni.channel_preference(channel, engaged)) AS all_time,
       omni.preferred_channel(omni.channel_preference(channel, engaged, sent_at, NULL,
                                                      '2026-01-01', '30 days')) AS recent
FROM messages WHERE customer = 'cat';

SELECT channel, round(sends::numeric, 3) AS decayed_sends, round(responses::numeric, 3) AS decayed_responses,
       round(posterior_mean::numeric, 4) AS mean, round(p_best::numeric, 4) AS p_best
FROM omni.channel_scores((SELECT omni.channel_preference(channel, engaged, sent_at, NULL, '2026-01-01', '30 days')
                          FROM messages WHERE customer = 'cat'));

-- the jsonb form, for storage
SELECT jsonb_pretty(omni.channel_scores_json(omni.channel_preference(channel, engaged)))
FROM messages WHERE customer = 'ann';

-- states are values: keep them per month, roll them up later (the same bits as all at once)
CREATE TABLE monthly AS
SELECT customer, date_trunc('month', sent_at) AS month, omni.channel_preference(channel, engaged) AS p
FROM messages GROUP BY 1, 2;
SELECT m.customer, omni.preferred_channel(omni.rollup(m.p)) AS preferred,
       omni.rollup(m.p)::text = (SELECT omni.channel_preference(channel, engaged)::text
                                   FROM messages a WHERE a.customer = m.customer) AS same_bits
FROM monthly m GROUP BY m.customer ORDER BY 1;

-- bad input
SELECT omni.channel_preference(NULL, true);
SELECT omni.channel_preference('sms', NULL);
SELECT omni.channel_preference('fax', true, NULL, (SELECT prior FROM prior));
SELECT omni.channel_preference('sms', true, now(), NULL, NULL, '30 days');
SELECT omni.rollup(p) FROM (SELECT omni.channel_preference('sms', true)
                            UNION ALL SELECT omni.channel_preference('sms', true, NULL, (SELECT prior FROM prior))) v(p);

DROP TABLE monthly, prior, messages;
