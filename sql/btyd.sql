-- Customer-base models: summaries from transaction and send logs, BG/NBD, BG/BB and
-- Gamma-Gamma fits, per-customer predictions, lifetime value, and what users see on bad
-- input.  The examples of docs/btyd.md, on the CDNOW data (read from test/data/cdnow,
-- relative to the repository root where `make installcheck` runs).
SET extra_float_digits = 0;

-- ---------- btyd_summary: a transaction log to (frequency, recency, t) ----------
CREATE TEMP TABLE orders (customer_id int, ordered_at timestamptz);
INSERT INTO orders VALUES
    (1, '2026-01-01 09:00+00'), (1, '2026-01-01 17:00+00'), (1, '2026-01-05 12:00+00'),
    (1, '2026-01-20 23:30+00'), (1, '2026-02-03 10:00+00'),
    (2, '2026-01-15 08:00+00'),
    (3, '2026-02-10 08:00+00');
-- days (UTC), as of the end of January: customer 3 has not bought yet, so NULL
SELECT customer_id, (omni.btyd_summary(ordered_at, '2026-01-31 12:00+00')).*
FROM orders GROUP BY customer_id ORDER BY customer_id;
-- weeks, and days in a local calendar
SELECT customer_id,
       omni.btyd_summary(ordered_at, '2026-01-31 12:00+00', '7 days') AS weeks,
       omni.btyd_summary(ordered_at, '2026-01-31 12:00+00', '1 day', 'Asia/Tokyo') AS tokyo_days
FROM orders GROUP BY customer_id ORDER BY customer_id;

-- CDNOW's published summary (weeks, distinct purchase days) from its transaction log
CREATE TEMP TABLE cdnow_lines (line text);
\copy cdnow_lines FROM 'test/data/cdnow/CDNOW_sample.txt'
CREATE TEMP TABLE cdnow_tx AS
SELECT f[2]::int AS id, to_date(f[3], 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC' AS occurred_at, f[5]::numeric AS dollars
FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') AS f FROM cdnow_lines) s;
CREATE TEMP TABLE cdnow AS
SELECT id, (s).frequency, round((s).recency::numeric / 7, 2)::float8 AS recency,
       round((s).t::numeric / 7, 2)::float8 AS t
FROM (SELECT id, omni.btyd_summary(occurred_at, '1997-09-30 00:00+00', '1 day') AS s
      FROM cdnow_tx GROUP BY id) g;
SELECT * FROM cdnow WHERE id <= 5 ORDER BY id;

-- ---------- BG/NBD ----------
CREATE TEMP TABLE bgnbd AS SELECT omni.bgnbd_fit(frequency, recency, t) AS model FROM cdnow;
SELECT round((model).r::numeric, 4) AS r, round((model).alpha::numeric, 4) AS alpha,
       round((model).a::numeric, 4) AS a, round((model).b::numeric, 4) AS b,
       round((model).log_likelihood::numeric, 2) AS log_likelihood, (model).customers, (model).converged
FROM bgnbd;
-- who is still active, and how many purchases to expect in the next 39 weeks
SELECT c.id, c.frequency, c.recency, c.t,
       round(omni.p_alive(b.model, c.frequency, c.recency, c.t)::numeric, 4) AS p_alive,
       round(omni.expected_events(b.model, 39, c.frequency, c.recency, c.t)::numeric, 4) AS next_39_weeks
FROM cdnow c, bgnbd b WHERE c.id IN (1, 2, 3, 6, 9) ORDER BY c.id;
-- a model from published parameters (FHL 2005), and a per-customer log-likelihood
SELECT omni.bgnbd_model(0.243, 4.414, 0.793, 2.426) AS published;
SELECT round(omni.expected_events(omni.bgnbd_model(0.243, 4.414, 0.793, 2.426), 39, 2, 30.43, 38.86)::numeric, 6) AS customer_1,
       round(omni.log_likelihood(omni.bgnbd_model(0.243, 4.414, 0.793, 2.426), 2, 30.43, 38.86)::numeric, 6) AS ln_l_customer_1;
-- the regularised fit: a normal prior of precision 1 on each log-parameter
SELECT round((m).r::numeric, 4) AS r, round((m).alpha::numeric, 4) AS alpha,
       round((m).a::numeric, 4) AS a, round((m).b::numeric, 4) AS b
FROM (SELECT omni.bgnbd_fit(frequency, recency, t, 1.0) AS m FROM cdnow) f;

-- ---------- BG/BB ----------
-- one subscriber's sends: engaged on sends 2 and 4 of 6
SELECT (omni.bgbb_summary(sent_at, engaged)).*
FROM (SELECT timestamptz '2026-03-01' + d * interval '1 day' AS sent_at, d IN (2, 4) AS engaged
      FROM generate_series(1, 6) d) s;
-- the donations data of FHS (2010): patterns with counts
CREATE TEMP TABLE donations (frequency float8, recency float8, n float8, donors bigint);
\copy donations FROM 'test/data/cdnow/donations.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE bgbb AS SELECT omni.bgbb_fit(frequency, recency, n, donors) AS model FROM donations;
SELECT round((model).alpha::numeric, 4) AS alpha, round((model).beta::numeric, 4) AS beta,
       round((model).gamma::numeric, 4) AS gamma, round((model).delta::numeric, 4) AS delta,
       round((model).log_likelihood::numeric, 2) AS log_likelihood, (model).customers, (model).converged
FROM bgbb;
SELECT x, t_x, round(omni.p_alive(b.model, x, t_x, 6)::numeric, 4) AS p_alive,
       round(omni.expected_events(b.model, 5, x, t_x, 6)::numeric, 4) AS next_5
FROM bgbb b, (VALUES (0, 0), (2, 4), (6, 6)) v(x, t_x) ORDER BY x;

-- ---------- Gamma-Gamma and lifetime value ----------
CREATE TEMP TABLE spend AS
SELECT c.id, c.frequency, c.recency, c.t, coalesce(m.mean_repeat, 0)::float8 AS monetary_value
FROM cdnow c LEFT JOIN (
    -- the mean value of repeat purchase days in the calibration period
    SELECT id, avg(day_total) AS mean_repeat
    FROM (SELECT id, occurred_at, sum(dollars) AS day_total,
                 row_number() OVER (PARTITION BY id ORDER BY occurred_at) AS k
          FROM cdnow_tx WHERE occurred_at <= '1997-09-30 00:00+00' GROUP BY id, occurred_at) d
    WHERE k > 1 GROUP BY id) m USING (id);
CREATE TEMP TABLE gg AS SELECT omni.gamma_gamma_fit(frequency, monetary_value) AS model FROM spend;
SELECT round((model).p::numeric, 4) AS p, round((model).q::numeric, 4) AS q, round((model).gamma::numeric, 4) AS gamma,
       round((model).log_likelihood::numeric, 2) AS log_likelihood, (model).customers FROM gg;
SELECT s.id, s.frequency, round(s.monetary_value::numeric, 2) AS monetary_value,
       round(omni.expected_spend(g.model, s.frequency, s.monetary_value)::numeric, 2) AS expected_spend,
       round(omni.clv(b.model, g.model, s.frequency, s.recency, s.t, s.monetary_value, 52)::numeric, 2) AS value_52_weeks,
       round(omni.clv(b.model, g.model, s.frequency, s.recency, s.t, s.monetary_value,
                      horizon => 52, discount_rate => 0.01, discount_period => 52.0 / 12)::numeric, 2) AS discounted
FROM spend s, gg g, bgnbd b WHERE s.id <= 6 ORDER BY s.id;

-- a model stored in a table and read back
CREATE TEMP TABLE models (name text, model omni.bgnbd_model);
INSERT INTO models SELECT 'cdnow', model FROM bgnbd;
SELECT name, round(omni.p_alive(model, 2, 30.43, 38.86)::numeric, 4) FROM models;

-- ---------- bad input ----------
SELECT omni.bgnbd_fit(frequency, recency, t) FROM (VALUES (1.0, 10.0, 5.0)) v(frequency, recency, t);
SELECT omni.bgnbd_fit(0, 0, t) FROM generate_series(1, 10) t;
SELECT omni.p_alive(ROW(0.243, -1, 0.793, 2.426, NULL, NULL, NULL)::omni.bgnbd_model, 1, 1, 2);
SELECT omni.bgbb_fit(3, 2, 6);
SELECT omni.btyd_summary(ordered_at, ordered_at) FROM orders;
SELECT '\x02'::omni.btyd_fit_state;
