-- omni.rate: text form, constructor, accessors, aggregates, and what users see on bad input.
SET extra_float_digits = 0;

-- text form and accessors
SELECT r, omni.hits(r), omni.trials(r), omni.value(r)
FROM (VALUES ('12/340'::omni.rate), ('0/0'), ('0/25'), ('25/25'), (' 7 / 9 ')) AS v(r);

-- the operators live in schema omni: qualify them, or put omni on the search_path
SELECT omni.rate(3, 4) OPERATOR(omni.=) '3/4' AS qualified;
SET search_path = public, omni;
SELECT omni.rate(3, 4), omni.rate(3, 4) = '3/4', omni.rate(3, 4) <> '3/5', '1/2'::omni.rate + '3/4';
RESET search_path;
-- equality is hashable: DISTINCT, GROUP BY and UNION work on rate columns
SELECT r::text, count(*) FROM (VALUES ('1/2'::omni.rate), ('1/2'), ('2/4')) AS v(r) GROUP BY r ORDER BY 1;
SELECT count(*) AS distinct_states FROM (SELECT DISTINCT r FROM (VALUES ('1/2'::omni.rate), ('1/2'), ('2/4')) AS v(r)) d;

-- Wilson score interval: 95% by default, any confidence in (0, 1)
SELECT r,
       round(omni.ci_lower(r)::numeric, 6) AS lower_95,
       round(omni.ci_upper(r)::numeric, 6) AS upper_95,
       round(omni.ci_lower(r, 0.99)::numeric, 6) AS lower_99,
       round(omni.ci_upper(r, confidence => 0.99)::numeric, 6) AS upper_99
FROM (VALUES ('12/340'::omni.rate), ('0/20'), ('20/20'), ('1/1'), ('0/0')) AS v(r);

-- every figure of a state as flat columns, for views that BI tools chart
SELECT s.* FROM (VALUES ('12/340'::omni.rate), ('0/0')) AS v(r)
CROSS JOIN LATERAL omni.summary(r) AS s;
SELECT (omni.summary('12/340', 0.99)).ci_upper AS upper_99;

-- significance of a difference between two rates
SELECT round(omni.p_value('12/340', '30/350')::numeric, 6) AS z_test,
       round(omni.fisher_p_value('12/340', '30/350')::numeric, 6) AS fisher,
       omni.p_value('0/10', '0/20') AS both_zero,
       omni.p_value('0/0', '1/2') AS no_trials;

-- shrinkage toward a population rate
SELECT round(omni.shrink('3/4', '300/1000')::numeric, 6) AS beta_300_700,
       round(omni.shrink('3/4', prior_mean => 0.3, prior_strength => 20)::numeric, 6) AS mean_strength,
       omni.shrink('0/0', '0/0') AS improper;

-- aggregates: NULL is not a trial; no rows give 0/0
CREATE TABLE deliveries (day date, channel text, delivered boolean, opened boolean);
INSERT INTO deliveries VALUES
    ('2026-03-01', 'email', true, true), ('2026-03-01', 'email', true, false),
    ('2026-03-01', 'email', false, NULL), ('2026-03-01', 'sms', true, true),
    ('2026-03-02', 'email', true, NULL), ('2026-03-02', 'email', true, true),
    ('2026-03-02', 'sms', true, false), ('2026-03-02', 'sms', true, false);

SELECT channel, omni.rate_agg(opened) FILTER (WHERE delivered) AS unique_opens
FROM deliveries GROUP BY channel ORDER BY channel;

SELECT omni.rate_agg(opened) AS no_rows FROM deliveries WHERE false;
SELECT omni.rate_agg(hits, trials) FROM (VALUES (3::bigint, 10::bigint), (NULL, 5), (2, 4)) AS v(hits, trials);

-- daily states roll up to the same figure as raw rows
CREATE TABLE daily AS
SELECT day, channel, omni.rate_agg(opened) FILTER (WHERE delivered) AS opens
FROM deliveries GROUP BY day, channel;
SELECT channel, omni.rollup(opens) AS from_daily,
       (SELECT omni.rate_agg(d.opened) FILTER (WHERE d.delivered) FROM deliveries d
         WHERE d.channel = daily.channel) AS from_raw
FROM daily GROUP BY channel ORDER BY channel;
SELECT omni.rollup(opens) FROM daily WHERE false;

-- binary form: a version byte, then hits and trials as big-endian int64; it round-trips
SELECT omni.rate_send('12/340');
CREATE TABLE binary_in (r omni.rate);
-- (through a file in the server's own data directory, so concurrent runs cannot collide)
DO $$
DECLARE
    path text := current_setting('data_directory') || '/omni_rate_regress.bin';
BEGIN
    EXECUTE format('COPY (SELECT r FROM (VALUES (%L::omni.rate), (%L), (%L)) AS v(r)) TO %L (FORMAT binary)',
                   '12/340', '0/0', '9223372036854775807/9223372036854775807', path);
    EXECUTE format('COPY binary_in FROM %L (FORMAT binary)', path);
END $$;
SELECT r FROM binary_in;

-- errors name the value and say what is allowed
SELECT '5/3'::omni.rate;
SELECT '-1/3'::omni.rate;
SELECT '1/2/3'::omni.rate;
SELECT 'abc'::omni.rate;
SELECT ''::omni.rate;
SELECT '99999999999999999999/1'::omni.rate;
SELECT omni.rate(4, 3);
SELECT omni.ci_lower('1/2', 1.0);
SELECT omni.ci_upper('1/2', 0);
SELECT omni.ci_upper('1/2', 'NaN');
SELECT omni.summary('1/2', 2);
SELECT omni.shrink('1/2', 1.5, 10);
SELECT omni.shrink('1/2', 0.5, -1);
SELECT '9223372036854775807/9223372036854775807'::omni.rate OPERATOR(omni.+) '0/1';
SELECT omni.fisher_p_value('40000000000000/90000000000000', '40000000000000/90000000000000');
SELECT omni.fisher_p_value(omni.rate(1152921504606846776, 1152921504606846976), omni.rate(1152921504606846664, 1152921504606846976));
