-- Channel preferences (src/channels.c): posterior means, credible intervals and the probability
-- of being best against scipy (test/fixtures/channels_reference.csv), decayed counts against
-- plain SQL, serial = parallel to the bit, rollups, text and binary forms, forged values,
-- recovery of each customer's true best channel on generated data, a customer who moved from
-- email to push, excluded channels and every bad input.
BEGIN;
SELECT plan(63);
SET LOCAL TimeZone = 'UTC';
SET LOCAL extra_float_digits = 3;

-- ---------------------------------------------------------------------------------------
-- Against scipy: posterior means, 95% intervals and p_best of ten customers
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE ref (case_id int, channel text, strength float8, pop_sends int, pop_responses int,
                       sends int, responses int, posterior_mean float8, ci_lower float8, ci_upper float8,
                       p_best float8);
\copy ref FROM 'test/fixtures/channels_reference.csv' WITH (FORMAT csv, HEADER true)
SELECT is((SELECT count(*) FROM ref), 26::bigint, 'the scipy fixture has 26 rows of 10 cases');

CREATE TEMP TABLE ref_priors AS
SELECT case_id, omni.channel_prior(channel, g <= pop_responses, strength) AS prior
FROM ref, generate_series(1, pop_sends) AS g WHERE strength > 0 GROUP BY case_id;
CREATE TEMP TABLE ref_prefs AS
SELECT r.case_id, omni.channel_preference(r.channel, g <= r.responses, NULL::timestamptz, p.prior) AS pref
FROM ref r LEFT JOIN ref_priors p USING (case_id), generate_series(1, r.sends) AS g
GROUP BY r.case_id;
CREATE TEMP TABLE ref_scores AS
SELECT p.case_id, s.* FROM ref_prefs p, omni.channel_scores(p.pref) s;

SELECT is((SELECT count(*) FROM ref_scores), 26::bigint,
          'every channel has a row, also the prior''s channels without data (cases 7, 8)');
SELECT is((SELECT count(*) FROM ref r JOIN ref_scores s USING (case_id, channel)
            WHERE s.sends <> r.sends OR s.responses <> r.responses), 0::bigint, 'sends and responses');
SELECT is((SELECT count(*) FROM ref r JOIN ref_scores s USING (case_id, channel)
            WHERE abs(s.posterior_mean - r.posterior_mean) > 1e-14 * r.posterior_mean), 0::bigint,
          'posterior means equal scipy''s beta.mean (1e-14 relative)');
SELECT is((SELECT count(*) FROM ref r JOIN ref_scores s USING (case_id, channel)
            WHERE abs(s.ci_lower - r.ci_lower) > 1e-10 * greatest(r.ci_lower, 1e-300)
               OR abs(s.ci_upper - r.ci_upper) > 1e-10 * r.ci_upper), 0::bigint,
          '95% credible intervals equal scipy''s beta.ppf(0.025), ppf(0.975) (1e-10 relative)');
SELECT is((SELECT count(*) FROM ref r JOIN ref_scores s USING (case_id, channel)
            WHERE abs(s.p_best - r.p_best) > 1e-9), 0::bigint,
          'p_best equals scipy.integrate.quad over scipy.stats.beta (1e-9)');
SELECT is((SELECT count(*) FROM (SELECT case_id, sum(p_best) AS t FROM ref_scores GROUP BY 1) x
            WHERE abs(t - 1) > 1e-12), 0::bigint, 'each case''s p_best add up to 1 (1e-12)');
SELECT is((SELECT count(*) FROM ref_prefs p
             JOIN LATERAL (SELECT channel, p_best FROM ref r WHERE r.case_id = p.case_id
                           ORDER BY posterior_mean DESC, channel LIMIT 1) best ON true
            WHERE omni.preferred_channel(p.pref) IS DISTINCT FROM best.channel
               OR abs(omni.channel_confidence(p.pref) - best.p_best) > 1e-9), 0::bigint,
          'preferred_channel is the highest posterior mean and channel_confidence its p_best');
SELECT is((SELECT omni.preferred_channel(pref) FROM ref_prefs WHERE case_id = 1), 'email',
          'email 40/50 beats SMS 1/1 (the naive raw rate picks SMS)');
SELECT is((SELECT omni.preferred_channel(pref) FROM ref_prefs WHERE case_id = 3), 'email',
          'a tie of posterior means and evidence goes to the first name in byte order');
SELECT is((SELECT omni.channel_scores_json(pref) -> 'channels' -> 'sms' ->> 'p_best' FROM ref_prefs WHERE case_id = 1)::float8,
          (SELECT p_best FROM ref_scores WHERE case_id = 1 AND channel = 'sms'),
          'channel_scores_json carries the same figures');
SELECT is((SELECT omni.channel_prior_json(prior) -> 'channels' -> 'email' ->> 'alpha0' FROM ref_priors WHERE case_id = 8)::float8,
          10 * 21 / 1002::float8, 'the prior is Beta(strength (R+1)/(S+2), strength (S-R+1)/(S+2))');
SELECT is((SELECT posterior_mean FROM ref_scores WHERE case_id = 8 AND channel = 'push'),
          101 / 1002::float8, 'a channel without data has the prior''s mean');

-- ---------------------------------------------------------------------------------------
-- Excluded (opted-out) channels
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE c2 AS SELECT pref FROM ref_prefs WHERE case_id = 2;  -- sms > email > push
SELECT is((SELECT omni.preferred_channel(pref) FROM c2), 'sms', 'case 2 prefers sms');
SELECT is((SELECT omni.preferred_channel(pref, '{sms}') FROM c2), 'email', 'sms opted out: email');
SELECT is((SELECT omni.preferred_channel(pref, '{sms,email,fax}') FROM c2), 'push',
          'channels the customer never got may be in the list');
SELECT is((SELECT omni.preferred_channel(pref, '{sms,email,push}') FROM c2), NULL, 'all excluded: NULL');
SELECT is((SELECT omni.channel_confidence(pref, '{sms,email,push}') FROM c2), NULL, 'all excluded: confidence NULL');
SELECT is((SELECT omni.channel_confidence(pref, '{sms,email}') FROM c2), 1::float8, 'one channel left: confidence 1');
SELECT is((SELECT omni.preferred_channel(pref, '{}') = omni.preferred_channel(pref)
                  AND omni.preferred_channel(pref, NULL) = omni.preferred_channel(pref)
                  AND omni.preferred_channel(pref, ARRAY[NULL]::text[]) = omni.preferred_channel(pref) FROM c2),
          true, 'an empty or NULL exclude list, or NULL elements, exclude nothing');
SELECT cmp_ok((SELECT omni.channel_confidence(pref, '{sms}') FROM c2), '>', 0.999::float8,
              'without sms, email (40/50) beats push (2/10) almost surely');
SELECT is((SELECT omni.preferred_channel(NULL::omni.channel_preference)), NULL, 'NULL preference: NULL');

-- ---------------------------------------------------------------------------------------
-- Decay: exact counts against plain SQL; a customer who moved from email to push
-- ---------------------------------------------------------------------------------------
CREATE TABLE omni_channels_tap_messages AS
SELECT g AS message_id, 1 + (g * 7919) % 500 AS customer_id,
       (ARRAY['email','email','email','sms','push','push','web'])[1 + (g * 31) % 7] AS channel,
       (g * 2654435761) % 100 < 15 + (g % 7) * 5 AS engaged,
       timestamptz '2025-06-01 00:00+00' + ((g * 40503) % 400) * interval '1 day' + (g % 86400) * interval '1 second' AS sent_at
FROM generate_series(1, 40000) AS g;
ANALYZE omni_channels_tap_messages;

CREATE TEMP TABLE pop AS SELECT omni.channel_prior(channel, engaged) AS prior FROM omni_channels_tap_messages;
CREATE TEMP TABLE decayed AS
SELECT customer_id, s.* FROM (
    SELECT customer_id, omni.channel_preference(channel, engaged, sent_at, NULL, '2026-05-01', '30 days') AS pref
    FROM omni_channels_tap_messages GROUP BY 1) p, omni.channel_scores(pref) s;
CREATE TEMP TABLE decayed_sql AS
SELECT customer_id, channel,
       sum(power(2::float8, -date_part('epoch', '2026-05-01'::timestamptz - sent_at) / (30 * 86400))) AS sends,
       coalesce(sum(power(2::float8, -date_part('epoch', '2026-05-01'::timestamptz - sent_at) / (30 * 86400)))
                FILTER (WHERE engaged), 0) AS responses
FROM omni_channels_tap_messages WHERE sent_at <= '2026-05-01' GROUP BY 1, 2;
SELECT is((SELECT count(*) FROM decayed d FULL JOIN decayed_sql s USING (customer_id, channel)
            WHERE d.sends IS NULL OR s.sends IS NULL
               OR abs(d.sends - s.sends) > 1e-12 * s.sends OR abs(d.responses - s.responses) > 1e-12 * greatest(s.responses, 1e-300)
               OR abs(d.posterior_mean - (1 + s.responses) / (2 + s.sends)) > 1e-13),
          0::bigint, 'decayed sends and responses equal the plain SQL sums of 2^(-age/half_life), rows after as_of left out (1e-12)');

CREATE TEMP TABLE mover AS
SELECT ch AS channel, g <= r AS engaged, t0 + g * step AS sent_at
FROM (VALUES ('email', 20, 15, timestamptz '2025-01-01', interval '7 days'),   -- engaged with email early
             ('email', 10, 0,  timestamptz '2025-10-01', interval '8 days'),   -- then stopped
             ('push',  20, 2,  timestamptz '2025-01-01', interval '7 days'),
             ('push',  10, 7,  timestamptz '2025-10-01', interval '8 days'))   -- and answers push now
     v(ch, n, r, t0, step), generate_series(1, n) AS g;
SELECT is((SELECT omni.preferred_channel(omni.channel_preference(channel, engaged)) FROM mover), 'email',
          'the mover, undecayed: email (15/30 vs 9/30)');
SELECT is((SELECT omni.preferred_channel(omni.channel_preference(channel, engaged, sent_at, NULL, '2026-01-01', '30 days')) FROM mover),
          'push', 'the mover with a 30-day half-life: push');
SELECT cmp_ok((SELECT omni.channel_confidence(omni.channel_preference(channel, engaged, sent_at, NULL, '2026-01-01', '30 days')) FROM mover),
              '>', 0.9::float8, 'and confidently so');
SELECT is((SELECT omni.preferred_channel(omni.channel_preference(channel, engaged, sent_at, NULL, '2025-07-01', '30 days')) FROM mover),
          'email', 'as of July 2025 (later rows not counted) it was email');

-- ---------------------------------------------------------------------------------------
-- Serial = parallel, rollups, text and binary forms
-- ---------------------------------------------------------------------------------------
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE FUNCTION pg_temp.plan(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q; END $$;
SELECT ok((SELECT bool_or(l ~ 'Partial (Hash|Group)Aggregate') FROM pg_temp.plan(
             $q$SELECT customer_id, omni.channel_preference(channel, engaged, sent_at, NULL, '2026-05-01', '30 days')
                FROM omni_channels_tap_messages GROUP BY 1$q$) l),
          'a forced parallel plan aggregates partially in the workers');
SELECT ok((SELECT bool_or(l ~ 'Partial Aggregate') FROM pg_temp.plan(
             $q$SELECT omni.channel_prior(channel, engaged) FROM omni_channels_tap_messages$q$) l),
          'and so does channel_prior');
CREATE TEMP TABLE par AS
SELECT customer_id,
       omni.channel_preference(channel, engaged)::text AS a,
       omni.channel_preference(channel, engaged, sent_at, (SELECT prior FROM pop), '2026-05-01', '30 days')::text AS b,
       omni.channel_preference(channel, engaged, sent_at, (SELECT prior FROM pop), '2026-01-01')::text AS c
FROM omni_channels_tap_messages GROUP BY 1;
CREATE TEMP TABLE par_prior AS SELECT omni.channel_prior(channel, engaged, 25)::text AS p FROM omni_channels_tap_messages;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE ser AS
SELECT customer_id,
       omni.channel_preference(channel, engaged)::text AS a,
       omni.channel_preference(channel, engaged, sent_at, (SELECT prior FROM pop), '2026-05-01', '30 days')::text AS b,
       omni.channel_preference(channel, engaged, sent_at, (SELECT prior FROM pop), '2026-01-01')::text AS c
FROM omni_channels_tap_messages GROUP BY 1;
SELECT is((SELECT count(*) FROM par JOIN ser USING (customer_id) WHERE par.a = ser.a AND par.b = ser.b AND par.c = ser.c),
          500::bigint, 'the parallel plan gives the serial states bit for bit (uniform, prior + decay, prior + as_of)');
SELECT is((SELECT p FROM par_prior), (SELECT omni.channel_prior(channel, engaged, 25)::text FROM omni_channels_tap_messages),
          'channel_prior: parallel = serial');
SELECT is((SELECT count(*) FROM ser s JOIN (
             SELECT customer_id, omni.channel_preference(channel, engaged)::text AS a
             FROM (SELECT * FROM omni_channels_tap_messages ORDER BY sent_at DESC, message_id) o GROUP BY 1) r
             USING (customer_id) WHERE s.a = r.a), 500::bigint, 'row order does not change a bit');

CREATE TEMP TABLE monthly AS
SELECT customer_id, date_trunc('month', sent_at) AS month,
       omni.channel_preference(channel, engaged, sent_at, (SELECT prior FROM pop), '2026-05-01', '30 days') AS pref
FROM omni_channels_tap_messages GROUP BY 1, 2;
SELECT is((SELECT count(*) FROM (SELECT customer_id, omni.rollup(pref)::text AS b FROM monthly GROUP BY 1) r
             JOIN ser USING (customer_id) WHERE r.b = ser.b), 500::bigint,
          'monthly states rolled up equal the states computed at once, bit for bit');
SELECT is((SELECT count(*) FROM ser WHERE a::omni.channel_preference::text = a AND b::omni.channel_preference::text = b),
          500::bigint, 'text round trip is exact');
SELECT is((SELECT count(*) FROM ser WHERE encode(omni.channel_preference_send(b::omni.channel_preference), 'hex') = substr(b, 3)),
          500::bigint, 'the binary form is the text form''s bytes');
SELECT is((SELECT omni.rollup(p)::text FROM (VALUES (NULL::omni.channel_preference)) v(p)), NULL, 'rollup of NULLs is NULL');
SELECT is((SELECT (SELECT omni.rollup(prior) FROM (SELECT omni.channel_prior(channel, engaged) AS prior
                    FROM omni_channels_tap_messages GROUP BY customer_id % 7) x)::text), (SELECT prior::text FROM pop),
          'priors roll up too');

-- ---------------------------------------------------------------------------------------
-- Recovery of the true best channel on generated data
-- ---------------------------------------------------------------------------------------
-- each channel's true rates spread log-normally around a population mean (email 20%, push 12%,
-- sms 8%); email is sent often, push sometimes, sms rarely: the setting where a raw rate of 1/1
-- on a rarely used channel misleads
SELECT setseed(0.42);
CREATE TEMP TABLE truth AS
SELECT customer_id, channel,
       least(0.95, m * exp(0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) - 0.32)) AS rate,
       CASE channel WHEN 'email' THEN 1 + floor(random() * 40)::int WHEN 'push' THEN floor(random() * 10)::int
                    ELSE floor(random() * 5)::int END AS n
FROM generate_series(1, 4000) AS customer_id,
     (VALUES ('email', 0.20), ('push', 0.12), ('sms', 0.08)) AS v(channel, m);
CREATE TEMP TABLE sim AS SELECT customer_id, channel, random() < rate AS engaged
FROM truth, generate_series(1, n) AS g;
-- each customer's rows found by index, not by a scan of all customers' (quadratic under valgrind)
CREATE INDEX ON sim (customer_id);
ANALYZE sim;
CREATE TEMP TABLE sim_prior AS SELECT omni.channel_prior(channel, engaged) AS prior FROM sim;
CREATE TEMP TABLE picks AS
SELECT t.customer_id, t.best,
       (SELECT omni.preferred_channel(omni.channel_preference(channel, engaged, NULL, (SELECT prior FROM sim_prior)))
          FROM sim s WHERE s.customer_id = t.customer_id) AS omni_pick,
       (SELECT omni.preferred_channel(omni.channel_preference(channel, engaged))
          FROM sim s WHERE s.customer_id = t.customer_id) AS uniform_pick,
       (SELECT channel FROM sim s WHERE s.customer_id = t.customer_id GROUP BY channel
         ORDER BY avg(engaged::int) DESC, count(*) DESC, channel LIMIT 1) AS naive_pick
FROM (SELECT DISTINCT ON (customer_id) customer_id, channel AS best FROM truth ORDER BY customer_id, rate DESC) t;
SELECT diag(format('recovery of the true best channel, 4000 customers: omni with the population prior %s%%, omni uniform %s%%, naive highest raw rate %s%%',
                   round(100 * avg((omni_pick = best)::int), 1), round(100 * avg((uniform_pick = best)::int), 1),
                   round(100 * avg((naive_pick = best)::int), 1))) FROM picks;
SELECT cmp_ok((SELECT avg((omni_pick = best)::int) - avg((naive_pick = best)::int) FROM picks), '>', 0.05::numeric,
              'omni with the population prior recovers the true best channel at least 5 points more often than the naive rule');
SELECT diag(format('where omni and the naive rule disagree (%s customers): omni right %s, naive right %s',
                   count(*), count(*) FILTER (WHERE omni_pick = best), count(*) FILTER (WHERE naive_pick = best)))
FROM picks WHERE omni_pick IS DISTINCT FROM naive_pick;

-- ---------------------------------------------------------------------------------------
-- Bad input
-- ---------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT omni.channel_preference(NULL, true)$$, '22004', 'channel cannot be NULL', 'NULL channel');
SELECT throws_ok($$SELECT omni.channel_preference('', true)$$, '22023', 'channel cannot be empty', 'empty channel');
SELECT throws_ok($$SELECT omni.channel_preference('sms', NULL)$$, '22004', 'engaged cannot be NULL', 'NULL engaged');
SELECT throws_ok($$SELECT omni.channel_prior(NULL, true)$$, '22004', 'channel cannot be NULL', 'NULL channel in a prior');
SELECT throws_ok($$SELECT omni.channel_preference('sms', true, now(), NULL, NULL, '1 day')$$, '22023',
                 'half_life needs as_of', 'half_life without as_of');
SELECT throws_ok($$SELECT omni.channel_preference('sms', true, now(), NULL, now(), '-1 day')$$, '22023', NULL,
                 'a negative half_life');
SELECT throws_ok($$SELECT omni.channel_preference('sms', true, NULL, NULL, now())$$, '22004',
                 'sent_at cannot be NULL when as_of is given', 'NULL sent_at with as_of');
SELECT throws_ok($$SELECT omni.channel_preference('sms', true, 'infinity', NULL, now())$$, '22008', NULL, 'infinite sent_at');
SELECT throws_ok($$SELECT omni.channel_preference('fax', true, NULL, (SELECT prior FROM pop))$$, '22023',
                 'channel "fax" is not in the prior', 'a channel outside the prior');
SELECT throws_ok($$SELECT omni.channel_prior('sms', true, 0)$$, '22023', NULL, 'strength 0');
SELECT throws_ok($$SELECT omni.channel_prior('sms', true, 'NaN')$$, '22023', NULL, 'strength NaN');
SELECT throws_ok($$SELECT omni.channel_prior('sms', true, NULL)$$, '22004', 'strength cannot be NULL', 'NULL strength');
SELECT throws_ok($$SELECT omni.rollup(p) FROM (SELECT omni.channel_preference('sms', true) UNION ALL
                   SELECT omni.channel_preference('sms', true, NULL, (SELECT prior FROM pop))) v(p)$$, '22023',
                 'cannot merge channel preferences computed with different priors', 'merging states of different priors');
SELECT throws_ok($$SELECT omni.rollup(p) FROM (SELECT omni.channel_preference('sms', true, now(), NULL, '2026-01-01') UNION ALL
                   SELECT omni.channel_preference('sms', true, now(), NULL, '2026-02-01')) v(p)$$, '22023',
                 'cannot merge channel preferences of different as_of or half_life', 'merging states of different as_of');
SELECT throws_ok($$SELECT omni.channel_preference(channel, engaged, sent_at, NULL, sent_at) FROM omni_channels_tap_messages$$,
                 '22023', 'prior, as_of or half_life differ within one group', 'as_of varying within a group');

-- forged values
CREATE TEMP TABLE forge AS SELECT omni.channel_preference(channel, engaged)::text AS t
FROM omni_channels_tap_messages WHERE customer_id = 1;
SELECT throws_ok(format('SELECT %L::omni.channel_preference', overlay(t PLACING '02' FROM 3 FOR 2)), '22P02',
                 'unsupported omni.channel_preference format version 2', 'an unknown version') FROM forge;
SELECT throws_ok(format('SELECT %L::omni.channel_preference', overlay(t PLACING '80' FROM 5 FOR 2)), '22P02',
                 'invalid omni.channel_preference: bad flags 0x80', 'unknown flags') FROM forge;
SELECT throws_ok(format('SELECT %L::omni.channel_prior', t), '22P02',
                 'invalid omni.channel_prior: bad flags 0x00', 'a preference is not a prior') FROM forge;
SELECT throws_ok(format('SELECT %L::omni.channel_preference', overlay(t PLACING 'ffffffff' FROM 71 FOR 8)), '22P02',
                 'invalid omni.channel_preference: -1 channels', 'a negative channel count') FROM forge;
SELECT throws_ok(format('SELECT %L::omni.channel_preference', overlay(t PLACING '7fffffffffffffff' FROM 113 FOR 16)), '22P02',
                 'invalid omni.channel_preference: bad counts', 'more responses than sends') FROM forge;
SELECT throws_ok(format('SELECT %L::omni.channel_preference', t || '00'), '22P02', NULL, 'trailing bytes') FROM forge;
SELECT throws_ok($$SELECT '\x01'::omni.channel_preference$$, '22P02', 'invalid omni.channel_preference: too short', 'truncated');
SELECT throws_ok($$SELECT 'abc'::omni.channel_preference$$, '22P02', NULL, 'garbage');
-- decayed sums without as_of (flags 0x08), with no channel and with one: found by make fuzz,
-- this value once reached a write into the read-only empty meta section and crashed the backend
SELECT throws_ok($$SELECT ('\x0108' || repeat('00', 36))::omni.channel_preference$$, '22P02',
                 'invalid omni.channel_preference: bad header', 'decayed sums without as_of, no channel');
SELECT throws_ok($$SELECT '\x010800000000000000000000000000000000000000000000000000000000000000000000000100000005656d616964000000000000000200000000000000010000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000000003ff00000000000003ff0000000000000'::omni.channel_preference$$,
                 '22P02', 'invalid omni.channel_preference: bad header', 'decayed sums without as_of, the fuzzed value');

SELECT * FROM finish();
ROLLBACK;
