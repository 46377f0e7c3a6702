-- Properties of the customer-base models: parallel = serial to the bit, any row order, the
-- state types through text and binary, forged states and edited models, every bad input,
-- NULL handling, the summaries' definitions and the prior.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(107);

CREATE FUNCTION pg_temp.explain_lines(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        RETURN NEXT line;
    END LOOP;
END $$;

-- aggregates that stop at the partial state, so tests can hold states
CREATE AGGREGATE pg_temp.bgnbd_state(float8, float8, float8) (
    SFUNC = omni.bgnbd_fit_trans, STYPE = omni.btyd_fit_state, COMBINEFUNC = omni.btyd_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE pg_temp.bgnbd_state(float8, float8, float8, float8) (
    SFUNC = omni.bgnbd_fit_trans, STYPE = omni.btyd_fit_state, COMBINEFUNC = omni.btyd_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE pg_temp.bgbb_state(float8, float8, float8, bigint) (
    SFUNC = omni.bgbb_fit_trans, STYPE = omni.btyd_fit_state, COMBINEFUNC = omni.btyd_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE pg_temp.spend_state(float8, float8) (
    SFUNC = omni.gamma_gamma_fit_trans, STYPE = omni.btyd_fit_state, COMBINEFUNC = omni.btyd_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE pg_temp.summary_state(timestamptz, timestamptz, interval) (
    SFUNC = omni.btyd_summary_trans, STYPE = omni.btyd_summary_state, COMBINEFUNC = omni.btyd_summary_combine, PARALLEL = SAFE);
CREATE AGGREGATE pg_temp.sends_state(timestamptz, boolean) (
    SFUNC = omni.bgbb_summary_trans, STYPE = omni.btyd_summary_state, COMBINEFUNC = omni.btyd_summary_combine, PARALLEL = SAFE);

CREATE TEMP TABLE cdnow_csv (id int, frequency float8, recency float8, t float8);
\copy cdnow_csv FROM 'test/data/cdnow/cdnow_customers_summary.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE spend_csv (id int, x float8, t_x float8, t float8, zbar float8);
\copy spend_csv FROM 'test/data/cdnow/cdnow_customers_summary_with_transactions.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE donations (frequency float8, recency float8, periods float8, weights bigint);
\copy donations FROM 'test/data/cdnow/donations.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE sample_lines (line text);
\copy sample_lines FROM 'test/data/cdnow/CDNOW_sample.txt'

-- ---------------------------------------------------------------------------------------
-- Parallel = serial, to the bit.  Regular tables (parallel workers cannot read temp ones):
-- CDNOW 100 times over in four cohorts, spend likewise, donations per donor 10 times, and
-- the sample's transactions for 20 copies of each customer.
-- ---------------------------------------------------------------------------------------
CREATE TABLE btyd_par AS
SELECT c.id + 10000 * k AS id, k % 4 AS cohort, c.frequency, c.recency, c.t, s.zbar
  FROM cdnow_csv c JOIN spend_csv s USING (id), generate_series(0, 99) k;
CREATE TABLE btyd_par_bgbb AS
SELECT d.frequency, d.recency, d.periods, k % 3 AS cohort
  FROM donations d, generate_series(1, d.weights), generate_series(0, 9) k;
CREATE TABLE btyd_par_tx AS
SELECT f[2]::int + 10000 * k AS id, to_date(f[3], 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC' AS occurred_at,
       (f[4]::int % 2 = 0) AS engaged
  FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') AS f FROM sample_lines) s, generate_series(0, 19) k;
ANALYZE btyd_par;
ANALYZE btyd_par_bgbb;
ANALYZE btyd_par_tx;

CREATE TEMP VIEW fits AS
SELECT 'bgnbd' AS what, omni.bgnbd_fit(frequency, recency, t)::text AS v FROM btyd_par
UNION ALL SELECT 'bgnbd penalized', omni.bgnbd_fit(frequency, recency, t, 0.5)::text FROM btyd_par
UNION ALL SELECT 'gamma-gamma', omni.gamma_gamma_fit(frequency, zbar)::text FROM btyd_par
UNION ALL SELECT 'bgbb', omni.bgbb_fit(frequency, recency, periods)::text FROM btyd_par_bgbb;
CREATE TEMP VIEW grouped_fits AS
SELECT cohort, omni.bgnbd_fit(frequency, recency, t)::text AS v FROM btyd_par GROUP BY cohort;
CREATE TEMP VIEW one_customer AS
SELECT omni.btyd_summary(occurred_at, '1998-06-30 00:00+00', '1 day')::text AS s,
       omni.bgbb_summary(occurred_at, engaged)::text AS b FROM btyd_par_tx;
CREATE TEMP VIEW summaries AS
SELECT id, omni.btyd_summary(occurred_at, '1997-09-30 00:00+00', '1 day')::text AS s,
       omni.bgbb_summary(occurred_at, engaged)::text AS b
  FROM btyd_par_tx GROUP BY id;

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_fits AS SELECT * FROM fits;
CREATE TEMP TABLE serial_grouped AS SELECT * FROM grouped_fits;
CREATE TEMP TABLE serial_summaries AS SELECT * FROM summaries;
CREATE TEMP TABLE serial_one_customer AS SELECT * FROM one_customer;
-- the same rows in another order
CREATE TEMP TABLE reversed_fit AS
SELECT omni.bgnbd_fit(frequency, recency, t)::text AS v
  FROM (SELECT * FROM btyd_par ORDER BY id DESC, t DESC OFFSET 0) r;

SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.explain_lines('SELECT omni.bgnbd_fit(frequency, recency, t) FROM btyd_par') AS l
                  WHERE l LIKE '%Partial Aggregate%'), 'bgnbd_fit runs as a parallel partial aggregate');
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.explain_lines('SELECT omni.bgbb_fit(frequency, recency, periods) FROM btyd_par_bgbb') AS l
                  WHERE l LIKE '%Partial Aggregate%'), 'bgbb_fit runs as a parallel partial aggregate');
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.explain_lines('SELECT cohort, omni.bgnbd_fit(frequency, recency, t) FROM btyd_par GROUP BY cohort') AS l
                  WHERE l LIKE '%Partial%Aggregate%'), 'grouped bgnbd_fit runs as a parallel partial aggregate');
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.explain_lines('SELECT * FROM one_customer') AS l
                  WHERE l LIKE '%Partial Aggregate%'), 'btyd_summary and bgbb_summary run as parallel partial aggregates');
SELECT is((SELECT s || b FROM one_customer), (SELECT s || b FROM serial_one_customer),
          'btyd_summary and bgbb_summary over 138380 rows as one customer: parallel = serial');
SELECT is((SELECT count(*) FROM fits p JOIN serial_fits s USING (what) WHERE p.v = s.v), 4::bigint,
          'bgnbd_fit (plain and penalised), gamma_gamma_fit and bgbb_fit: parallel = serial, every bit');
SELECT is((SELECT count(*) FROM grouped_fits p JOIN serial_grouped s USING (cohort) WHERE p.v = s.v), 4::bigint,
          'grouped bgnbd_fit: parallel = serial for every cohort');
SELECT is((SELECT count(*) FROM summaries p JOIN serial_summaries s USING (id) WHERE p.s = s.s AND p.b = s.b),
          (SELECT count(*) FROM serial_summaries), 'btyd_summary and bgbb_summary by customer (whatever the plan): parallel settings = serial for all 47140 customers');
SELECT is((SELECT v FROM reversed_fit), (SELECT v FROM serial_fits WHERE what = 'bgnbd'),
          'bgnbd_fit over the rows in reverse order gives the same bits');
-- every cohort is CDNOW itself, so every cohort's fit is the CDNOW MLE (counts x25)
SELECT ok((SELECT bool_and(abs((v::omni.bgnbd_model).alpha - 4.4135316) < 1e-6) FROM serial_grouped),
          'each cohort (25 copies of CDNOW) fits the CDNOW MLE');
RESET parallel_leader_participation;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET max_parallel_workers_per_gather;

-- ---------------------------------------------------------------------------------------
-- omni.btyd_fit_state: text and binary forms
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE states AS
SELECT 'bgnbd' AS what, pg_temp.bgnbd_state(frequency, recency, t) AS s FROM cdnow_csv
UNION ALL SELECT 'penalized', pg_temp.bgnbd_state(frequency, recency, t, 2.5) FROM cdnow_csv
UNION ALL SELECT 'bgbb', pg_temp.bgbb_state(frequency, recency, periods, weights) FROM donations
UNION ALL SELECT 'spend', pg_temp.spend_state(x, zbar) FROM spend_csv
UNION ALL SELECT 'bits', pg_temp.bgnbd_state(f, r, t)
  FROM (VALUES (1::float8, 0.1::float8 + 0.2::float8, 1::float8 / 3), (2, '5e-324', '1e-300'),
               (3, '1.7976931348623157e308', '1.7976931348623157e308'), (0, 0, '2.2250738585072014e-308'),
               (4, exp(1::float8), pi())) v(f, r, t);
SELECT is((SELECT count(*) FROM states WHERE s::text::omni.btyd_fit_state::text = s::text), 5::bigint,
          'text round trip is exact for every kind of fit state');
SELECT is((SELECT count(*) FROM states WHERE omni.btyd_fit_state_send(s) = omni.btyd_fit_state_send(s::text::omni.btyd_fit_state)),
          5::bigint, 'the binary form survives the text round trip byte for byte');
SELECT is((SELECT s::text FROM states WHERE what = 'bits'),
          '\x010100' || '0000000000000000' || '00000005'
          || '0000000000000000' || '0000000000000000' || '0010000000000000' || '0000000000000001'
          || '3ff0000000000000' || '3fd3333333333334' || '3fd5555555555555' || '0000000000000001'
          || '4000000000000000' || '0000000000000001' || '01a56e1fc2f8f359' || '0000000000000001'
          || '4008000000000000' || '7fefffffffffffff' || '7fefffffffffffff' || '0000000000000001'
          || '4010000000000000' || '4005bf0a8b145769' || '400921fb54442d18' || '0000000000000001',
          'the text form: version, kind, flags, penalizer, count, then sorted (x, t_x, T, count) with every float8 bit');
SELECT is((SELECT omni.bgnbd_fit_final(s::text::omni.btyd_fit_state)::text FROM states WHERE what = 'bgnbd'),
          (SELECT omni.bgnbd_fit(frequency, recency, t)::text FROM cdnow_csv),
          'a stored state read back fits the same model as the aggregate');
SELECT is((SELECT omni.bgnbd_fit_final(omni.btyd_fit_combine(a.s, a.s))::text FROM states a WHERE what = 'bgnbd'),
          (SELECT omni.bgnbd_fit(frequency, recency, t)::text FROM cdnow_csv, generate_series(1, 2)),
          'combining two states as a plain function equals aggregating both row sets');
SELECT is((SELECT s::text FROM states WHERE what = 'bgnbd'),
          (SELECT pg_temp.bgnbd_state(frequency, recency, t)::text FROM cdnow_csv),
          'the plain combine call left its input unchanged');
CREATE TEMP TABLE states_back (what text, s omni.btyd_fit_state);
CREATE FUNCTION pg_temp.copy_file() RETURNS text LANGUAGE sql
    AS $$ SELECT current_setting('data_directory') || '/omni_btyd_tap_' || pg_backend_pid() || '.bin' $$;
DO $$ BEGIN
    EXECUTE format('COPY (SELECT what, s FROM states) TO %L (FORMAT binary)', pg_temp.copy_file());
    EXECUTE format('COPY states_back FROM %L (FORMAT binary)', pg_temp.copy_file());
END $$;
SELECT is((SELECT count(*) FROM states a JOIN states_back b USING (what) WHERE a.s::text = b.s::text), 5::bigint,
          'binary send/recv round trip is exact for every fit state');
CREATE TEMP TABLE forged_binary (s omni.btyd_fit_state);
CREATE FUNCTION pg_temp.recv_fit(bytes bytea) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', bytes, pg_temp.copy_file());
    EXECUTE format('COPY forged_binary FROM %L (FORMAT binary)', pg_temp.copy_file());
END $$;
SELECT throws_ok($$SELECT pg_temp.recv_fit('\x020100')$$, '22P03',
                 'unsupported omni.btyd_fit_state format version 2', 'recv rejects an unknown version');
SELECT throws_ok($$SELECT pg_temp.recv_fit('\x0101')$$, '22P03',
                 'invalid omni.btyd_fit_state: 2 bytes is shorter than its header', 'recv rejects a truncated state');
SELECT throws_ok($$SELECT pg_temp.recv_fit('\x010100000000000000000000000001')$$, '22P03',
                 'invalid omni.btyd_fit_state: 1 patterns do not match its length of 15 bytes', 'recv rejects a missing pattern');

-- forged text: a valid one-pattern BG/NBD state (1, 10, 20) x 1, then one field wrong at a time
CREATE FUNCTION pg_temp.fit_hex(x text, r text, t text, n text DEFAULT '0000000000000001',
                                head text DEFAULT '010100' || '0000000000000000' || '00000001') RETURNS text
    LANGUAGE sql AS $$ SELECT '\x' || head || x || r || t || n $$;
SELECT is(omni.bgnbd_fit_final(omni.btyd_fit_combine(pg_temp.fit_hex('3ff0000000000000', '4024000000000000', '4034000000000000')::omni.btyd_fit_state,
                               (SELECT s FROM states WHERE what = 'bgnbd')))::text,
          (SELECT omni.bgnbd_fit(frequency, recency, t)::text FROM (SELECT frequency, recency, t FROM cdnow_csv UNION ALL SELECT 1, 10, 20) u),
          'the hand-written valid state reads and merges');
SELECT throws_ok(format('SELECT %L::omni.btyd_fit_state', pg_temp.fit_hex('3ff0000000000000', '4024000000000000', '4014000000000000')),
                 '22P02', 'recency 10 exceeds t 5', 'a forged pattern with recency > T is rejected');
SELECT throws_ok(format('SELECT %L::omni.btyd_fit_state', pg_temp.fit_hex('3ff0000000000000', '7ff8000000000000', '4014000000000000')),
                 '22P02', 'recency must be a finite number, not NaN', 'a forged NaN is rejected');
SELECT throws_ok(format('SELECT %L::omni.btyd_fit_state', pg_temp.fit_hex('3ff8000000000000', '4000000000000000', '4014000000000000')),
                 '22P02', 'frequency must be a whole number >= 0, not 1.5', 'a forged fractional frequency is rejected');
SELECT throws_ok(format('SELECT %L::omni.btyd_fit_state', pg_temp.fit_hex('0000000000000000', '8000000000000000', '4014000000000000')),
                 '22P02', 'invalid omni.btyd_fit_state: a negative zero', 'a forged negative zero (a second spelling of a pattern) is rejected');
SELECT throws_ok(format('SELECT %L::omni.btyd_fit_state', pg_temp.fit_hex('3ff0000000000000', '4024000000000000', '4034000000000000', '0000000000000000')),
                 '22P02', 'invalid omni.btyd_fit_state: pattern 1 has count 0', 'a forged zero count is rejected');
SELECT throws_ok(format('SELECT %L::omni.btyd_fit_state', pg_temp.fit_hex('3ff0000000000000', '4024000000000000', '4034000000000000', '0000000000000001',
                                                                         '010900' || '0000000000000000' || '00000001')),
                 '22P02', 'invalid omni.btyd_fit_state: unknown model kind 9', 'a forged model kind is rejected');
SELECT throws_ok(format('SELECT %L::omni.btyd_fit_state', pg_temp.fit_hex('3ff0000000000000', '4024000000000000', '4034000000000000', '0000000000000001',
                                                                         '010201' || '3ff0000000000000' || '00000001')),
                 '22P02', 'invalid omni.btyd_fit_state: invalid flags 1', 'a forged penalized flag on a BG/BB state is rejected');
SELECT throws_ok(format('SELECT %L::omni.btyd_fit_state', pg_temp.fit_hex('3ff0000000000000', '4024000000000000', '4034000000000000', '0000000000000001',
                                                                         '010101' || 'bff0000000000000' || '00000001')),
                 '22P02', 'penalizer must be a finite number >= 0, not -1', 'a forged negative penalizer is rejected');
SELECT throws_ok(format('SELECT %L::omni.btyd_fit_state', pg_temp.fit_hex('3ff0000000000000', '4024000000000000', '4034000000000000') || '00'),
                 '22P02', 'invalid omni.btyd_fit_state: 1 patterns do not match its length of 48 bytes', 'trailing bytes are rejected');
SELECT throws_ok(format('SELECT %L::omni.btyd_fit_state',
                        '\x010100' || '0000000000000000' || '00000002'
                        || '4000000000000000' || '4024000000000000' || '4034000000000000' || '0000000000000001'
                        || '3ff0000000000000' || '4024000000000000' || '4034000000000000' || '0000000000000001'),
                 '22P02', 'invalid omni.btyd_fit_state: patterns out of order at 2', 'unsorted (non-canonical) patterns are rejected');
SELECT throws_ok($$SELECT '\x0101zz'::omni.btyd_fit_state$$, '22P02',
                 'invalid hexadecimal digit "z" in omni.btyd_fit_state at position 7', 'a bad hex digit is rejected');
SELECT throws_ok($$SELECT 'hello'::omni.btyd_fit_state$$, '22P02',
                 'invalid input syntax for type omni.btyd_fit_state: "hello"', 'text without \x is rejected');
SELECT throws_ok($$SELECT omni.bgbb_fit_final(s) FROM states WHERE what = 'bgnbd'$$, '22023',
                 'cannot use a state of omni.bgnbd_fit in omni.bgbb_fit', 'a state of another model is refused');
SELECT throws_ok($$SELECT omni.btyd_fit_combine(a.s, b.s) FROM states a, states b WHERE a.what = 'bgnbd' AND b.what = 'penalized'$$, '22023',
                 'penalizer differs between rows or states of one fit: 2.5 and 0', 'states with different penalizers do not combine');

-- ---------------------------------------------------------------------------------------
-- Model values: storable, exact through text, checked when read
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE models AS
SELECT omni.bgnbd_fit(frequency, recency, t) AS bg FROM cdnow_csv;
SELECT is((SELECT bg::text::omni.bgnbd_model::text FROM models), (SELECT bg::text FROM models), 'a model''s text form round-trips');
SELECT ok((SELECT (bg::text::omni.bgnbd_model).alpha = (bg).alpha AND (bg::text::omni.bgnbd_model).r = (bg).r FROM models),
          'every float8 bit of a model survives its text form');
SELECT is(omni.bgnbd_model(0.243, 4.414, 0.793, 2.426)::text, '(0.243,4.414,0.793,2.426,,,)',
          'bgnbd_model(r, alpha, a, b) builds a model with NULL fit statistics');
SELECT is(omni.bgbb_model(1.204, 0.75, 0.657, 2.783)::text, '(1.204,0.75,0.657,2.783,,,)', 'bgbb_model builds a model');
SELECT is(omni.gamma_gamma_model(6.25, 3.74, 15.44)::text, '(6.25,3.74,15.44,,,)', 'gamma_gamma_model builds a model');
SELECT throws_ok($$SELECT omni.p_alive(ROW(0.243, -1, 0.793, 2.426, NULL, NULL, NULL)::omni.bgnbd_model, 1, 1, 2)$$, '22023',
                 'omni.bgnbd_model parameter alpha must be a positive finite number, not -1', 'an edited model with alpha < 0 is refused');
SELECT throws_ok($$SELECT omni.expected_events(ROW(0.243, 4.414, 'NaN', 2.426, NULL, NULL, NULL)::omni.bgnbd_model, 1, 1, 1, 2)$$, '22023',
                 'omni.bgnbd_model parameter a must be a positive finite number, not NaN', 'an edited model with a NaN is refused');
SELECT throws_ok($$SELECT omni.p_alive(ROW(NULL, 4.414, 0.793, 2.426, NULL, NULL, NULL)::omni.bgnbd_model, 1, 1, 2)$$, '22004',
                 'omni.bgnbd_model parameter r is NULL', 'a model with a NULL parameter is refused');
SELECT throws_ok($$SELECT omni.p_alive(ROW(1, 1, 1, 0, NULL, NULL, NULL)::omni.bgbb_model, 1, 1, 2)$$, '22023',
                 'omni.bgbb_model parameter delta must be a positive finite number, not 0', 'an edited BG/BB model is refused');
SELECT throws_ok($$SELECT omni.bgnbd_model(0.243, 'Infinity', 0.793, 2.426)$$, '22023',
                 'omni.bgnbd_model parameter alpha must be a positive finite number, not Infinity', 'a model cannot be built from an infinite parameter');
SELECT throws_ok($$SELECT omni.expected_spend(omni.gamma_gamma_model(6.25, 0.9, 15.44), 2, 20)$$, '22023',
                 'omni.gamma_gamma_model parameter q must exceed 1 for a mean spend, not 0.9', 'expected spend needs q > 1');

-- ---------------------------------------------------------------------------------------
-- Bad inputs: each one an error naming the value
-- ---------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT omni.bgnbd_fit(-1, 0, 5)$$, '22023', 'frequency must be a whole number >= 0, not -1', 'negative frequency');
SELECT throws_ok($$SELECT omni.bgnbd_fit(1.5, 2, 5)$$, '22023', 'frequency must be a whole number >= 0, not 1.5', 'fractional frequency');
SELECT throws_ok($$SELECT omni.bgnbd_fit(1, 10, 5)$$, '22023', 'recency 10 exceeds t 5', 'recency > T');
SELECT throws_ok($$SELECT omni.bgnbd_fit(0, 0, -1)$$, '22023', 'recency and t cannot be negative: recency 0, t -1', 'negative T');
SELECT throws_ok($$SELECT omni.bgnbd_fit(2, 0, 5)$$, '22023', 'frequency 2 with recency 0', 'frequency > 0 with recency 0');
SELECT throws_ok($$SELECT omni.bgnbd_fit(0, 3, 5)$$, '22023', 'frequency 0 with recency 3', 'frequency 0 with recency > 0');
SELECT throws_ok($$SELECT omni.bgnbd_fit(1, 'NaN', 5)$$, '22023', 'recency must be a finite number, not NaN', 'NaN recency');
SELECT throws_ok($$SELECT omni.bgnbd_fit(1, 2, 'Infinity')$$, '22023', 't must be a finite number, not Infinity', 'infinite T');
SELECT throws_ok($$SELECT omni.bgnbd_fit(1, 2, 5, -0.5)$$, '22023', 'penalizer must be a finite number >= 0, not -0.5', 'negative penalizer');
SELECT throws_ok($$SELECT omni.bgnbd_fit(frequency, recency, t, frequency) FROM cdnow_csv$$, '22023', NULL, 'a penalizer that varies between rows');
SELECT throws_ok($$SELECT omni.bgnbd_fit(0, 0, t) FROM generate_series(1, 50) t$$, '22023',
                 'every one of the 50 customers has frequency 0', 'all frequency 0: no maximum');
SELECT throws_ok($$SELECT omni.bgnbd_fit(f, r, 10) FROM (VALUES (1, 2), (0, 0), (3, 9)) v(f, r)$$, '22023',
                 'omni.bgnbd_fit needs at least 5 customers, not 3', 'too few customers');
SELECT throws_ok($$SELECT omni.bgbb_fit(3, 2, 6)$$, '22023', 'frequency 3, recency 2 and n 6 are inconsistent', 'BG/BB x > t_x');
SELECT throws_ok($$SELECT omni.bgbb_fit(1, 7, 6)$$, '22023', 'frequency 1, recency 7 and n 6 are inconsistent', 'BG/BB t_x > n');
SELECT throws_ok($$SELECT omni.bgbb_fit(0, 2, 6)$$, '22023', 'frequency 0 with recency 2', 'BG/BB x = 0 with t_x > 0');
SELECT throws_ok($$SELECT omni.bgbb_fit(1, 2, 6.5)$$, '22023', 'n must be a whole number >= 0, not 6.5', 'BG/BB fractional n');
SELECT throws_ok($$SELECT omni.bgbb_fit(1, 2, 6, -3)$$, '22023', 'customers count cannot be negative: -3', 'BG/BB negative count');
SELECT throws_ok($$SELECT omni.bgbb_fit(6, 6, 6, 100)$$, '22023', 'every one of the 100 customers transacted at every opportunity',
                 'BG/BB: everyone transacted every time');
SELECT throws_ok($$SELECT omni.gamma_gamma_fit(2, 0)$$, '22023',
                 'monetary_value must be > 0 for a customer with repeat transactions, not 0', 'Gamma-Gamma zero spend');
SELECT throws_ok($$SELECT omni.gamma_gamma_fit(1, -5)$$, '22023',
                 'monetary_value must be > 0 for a customer with repeat transactions, not -5', 'Gamma-Gamma negative spend');
SELECT throws_ok($$SELECT omni.gamma_gamma_fit(0, 0) FROM generate_series(1, 10)$$, '22023',
                 'omni.gamma_gamma_fit needs at least 4 customers with frequency > 0, not 0', 'Gamma-Gamma without repeat customers');
SELECT throws_ok($$SELECT omni.expected_events(omni.bgnbd_model(1, 1, 1, 1), -1, 1, 1, 2)$$, '22023',
                 'horizon must be a finite number >= 0, not -1', 'negative horizon');
SELECT throws_ok($$SELECT omni.expected_events(omni.bgbb_model(1, 1, 1, 1), 2.5, 1, 1, 2)$$, '22023',
                 'horizon must be a finite whole number >= 0, not 2.5', 'BG/BB horizon counts opportunities');
SELECT throws_ok($$SELECT omni.clv(omni.bgnbd_model(0.243, 4.414, 0.793, 2.426), omni.gamma_gamma_model(6.25, 3.74, 15.44), 2, 30, 38, 20, 10, 0.01, 4)$$,
                 '22023', 'horizon 10 is not a whole number (at most 100000) of discount periods of 4', 'clv horizon not a multiple of the discount period');
SELECT throws_ok($$SELECT omni.clv(omni.bgnbd_model(0.243, 4.414, 0.793, 2.426), omni.gamma_gamma_model(6.25, 3.74, 15.44), 2, 30, 38, 20, 12, -0.1, 4)$$,
                 '22023', 'discount_rate must be a finite number >= 0, not -0.1', 'negative discount rate');
SELECT throws_ok($$SELECT omni.hyp2f1(1, 1, 2, 1)$$, '22023', 'hyp2f1 is defined here for z < 1 and c not 0, -1, -2, ...: z = 1, c = 2', 'hyp2f1 at z = 1');

-- ---------------------------------------------------------------------------------------
-- NULLs, skipped rows, the prior
-- ---------------------------------------------------------------------------------------
SELECT is((SELECT omni.bgnbd_fit(frequency, recency, t)::text
             FROM (SELECT frequency, recency, t FROM cdnow_csv UNION ALL SELECT NULL, 1, 2 UNION ALL SELECT 1, NULL, 2
                   UNION ALL SELECT 1, 1, NULL) u),
          (SELECT omni.bgnbd_fit(frequency, recency, t)::text FROM cdnow_csv), 'rows with a NULL argument are skipped');
SELECT ok((SELECT omni.bgnbd_fit(frequency, recency, t) IS NULL FROM cdnow_csv WHERE false), 'a fit over no rows is NULL');
SELECT is((SELECT omni.gamma_gamma_fit(x, zbar)::text FROM spend_csv WHERE x > 0),
          (SELECT omni.gamma_gamma_fit(x, zbar)::text FROM spend_csv), 'Gamma-Gamma skips customers with frequency 0');
SELECT ok(omni.p_alive(omni.bgnbd_model(1, 1, 1, 1), NULL, 1, 2) IS NULL AND omni.p_alive(NULL::omni.bgnbd_model, 1, 1, 2) IS NULL,
          'the per-customer functions are STRICT: a NULL argument gives NULL');
SELECT is(omni.p_alive(omni.bgnbd_model(0.243, 4.414, 0.793, 2.426), 0, 0, 38.86), 1::float8,
          'BG/NBD: a customer without repeat purchases has P(alive) = 1 (dropout follows a purchase)');
SELECT is(omni.expected_events(omni.bgnbd_model(0.243, 4.414, 0.793, 2.426), 0, 2, 30.43, 38.86), 0::float8, 'no expected events in no time');
SELECT ok(omni.expected_events(omni.bgnbd_model(0.243, 4.414, 0.793, 2.426), 52, 2, 30.43, 38.86) >
          omni.expected_events(omni.bgnbd_model(0.243, 4.414, 0.793, 2.426), 39, 2, 30.43, 38.86),
          'expected events grow with the horizon');
-- the time unit does not matter: a model fitted in days predicts the same purchases over 7 x the horizon
SELECT ok((SELECT abs(omni.expected_events(d, 273, 2, 30.43 * 7, 38.86 * 7) - omni.expected_events(w, 39, 2, 30.43, 38.86)) < 1e-7
             FROM (SELECT omni.bgnbd_fit(frequency, recency * 7, t * 7) AS d, omni.bgnbd_fit(frequency, recency, t) AS w FROM cdnow_csv) f),
          'fitted in days or in weeks, the model predicts the same expected purchases');
SELECT is((SELECT omni.bgnbd_fit(frequency, recency, t, 0)::text FROM cdnow_csv) ,
          (SELECT omni.bgnbd_fit(frequency, recency, t)::text FROM cdnow_csv), 'penalizer 0 is the plain maximum likelihood fit');
SELECT ok((SELECT (p).log_likelihood < (m).log_likelihood AND (p).r > (m).r
             FROM (SELECT omni.bgnbd_fit(frequency, recency, t, 10) AS p, omni.bgnbd_fit(frequency, recency, t) AS m FROM cdnow_csv) f),
          'a penalised fit has a lower likelihood than the MLE and is pulled toward the prior (r toward 1)');
SELECT ok((SELECT abs(omni.clv(m, g, 2, 30.43, 38.86, 22.35, 52) - omni.expected_spend(g, 2, 22.35) * omni.expected_events(m, 52, 2, 30.43, 38.86)) < 1e-12
             FROM (SELECT omni.bgnbd_model(0.243, 4.414, 0.793, 2.426) AS m, omni.gamma_gamma_model(6.25, 3.74, 15.44) AS g) x),
          'undiscounted clv is expected spend times expected events');

-- ---------------------------------------------------------------------------------------
-- btyd_summary and bgbb_summary: the definitions, on hand-computed cases
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE buys (occurred_at timestamptz);
INSERT INTO buys VALUES ('2026-01-01 09:00+00'), ('2026-01-01 17:00+00'), ('2026-01-05 12:00+00'),
                        ('2026-01-20 23:30+00'), ('2026-02-03 10:00+00');
SELECT is((SELECT omni.btyd_summary(occurred_at, '2026-01-31 12:00+00')::text FROM buys), '(2,19,30)',
          'days: 3 distinct purchase days by as_of (frequency 2), last - first 19 days, as_of - first 30 days; the February purchase is after as_of');
SELECT is((SELECT omni.btyd_summary(occurred_at, '2026-01-31 12:00+00', '1 day', 'Asia/Tokyo')::text FROM buys), '(3,20,30)',
          'days in Tokyo (UTC+9): the 17:00 UTC purchase is on 2 January there, the 23:30 UTC one on 21 January');
SELECT is((SELECT omni.btyd_summary(occurred_at, '2026-01-31 12:00+00', '7 days')::text FROM buys), '(2,3,4)',
          'weeks (Monday to Sunday, from 2001-01-01): 29 Dec, 5 Jan and 19 Jan weeks; as_of in the 26 Jan week');
SELECT is((SELECT omni.btyd_summary(occurred_at, '2026-03-15', '1 month')::text FROM buys), '(1,1,2)',
          'calendar months: January and February; as_of in March');
SELECT ok((SELECT omni.btyd_summary(occurred_at, '2025-12-31') IS NULL FROM buys), 'no purchase by as_of: NULL (not yet a customer)');
SELECT is((SELECT omni.btyd_summary(occurred_at, '2026-01-31 12:00+00')::text
             FROM (SELECT occurred_at FROM buys UNION ALL SELECT NULL) u), '(2,19,30)', 'NULL occurred_at is skipped');
SELECT throws_ok($$SELECT omni.btyd_summary(occurred_at, occurred_at) FROM buys$$, '22023', NULL, 'as_of must be constant within a customer');
SELECT throws_ok($$SELECT omni.btyd_summary('infinity', '2026-01-31')$$, '22008', 'occurred_at must be a finite timestamp, not infinity',
                 'an infinite transaction time is refused');
SELECT throws_ok($$SELECT omni.btyd_summary(now(), '2026-01-31', '0 days')$$, '22023', NULL, 'a zero period is refused');
SELECT throws_ok($$SELECT omni.btyd_summary(now(), '2026-01-31', '1 day', 'Mars/Olympus')$$, '22023',
                 'time zone "Mars/Olympus" not recognized', 'an unknown zone is refused');
CREATE TEMP TABLE summary_states AS SELECT pg_temp.summary_state(occurred_at, '2026-01-31 12:00+00', '1 day') AS s FROM buys;
SELECT is((SELECT omni.btyd_summary_final(s::text::omni.btyd_summary_state)::text FROM summary_states), '(2,19,30)',
          'a btyd_summary state read back from text gives the same summary');
SELECT is((SELECT s::text::omni.btyd_summary_state::text FROM summary_states), (SELECT s::text FROM summary_states),
          'btyd_summary state text round trip is exact (canonical: sorted distinct periods)');
SELECT throws_ok(format('SELECT %L::omni.btyd_summary_state', overlay(s::text PLACING '07' FROM 3 FOR 2)), '22P02',
                 'unsupported omni.btyd_summary_state format version 7', 'a forged summary state version is rejected') FROM summary_states;
SELECT throws_ok(format('SELECT %L::omni.btyd_summary_state', left(s::text, -2)), '22P02', NULL,
                 'a truncated summary state is rejected') FROM summary_states;
SELECT throws_ok(format('SELECT %L::omni.btyd_summary_state', overlay(s::text PLACING '03' FROM 5 FOR 2)), '22P02',
                 'invalid omni.btyd_summary_state: unknown kind 3', 'a forged summary kind is rejected') FROM summary_states;

-- sends on days 1..6, engaged on days 2 and 4: x = 2, t_x = 4, n = 6
CREATE TEMP TABLE sends (sent_at timestamptz, engaged boolean);
INSERT INTO sends SELECT timestamptz '2026-03-01' + d * interval '1 day', d IN (2, 4) FROM generate_series(1, 6) d;
SELECT is((SELECT omni.bgbb_summary(sent_at, engaged)::text FROM sends), '(2,4,6)',
          'bgbb_summary: 2 engaged sends of 6, the last at send 4');
SELECT is((SELECT omni.bgbb_summary(sent_at, engaged)::text FROM (SELECT * FROM sends ORDER BY sent_at DESC OFFSET 0) r), '(2,4,6)',
          'bgbb_summary does not depend on row order');
SELECT is((SELECT omni.bgbb_summary(sent_at, engaged)::text
             FROM (SELECT * FROM sends UNION ALL SELECT '2026-03-05', NULL UNION ALL SELECT NULL, true) u), '(2,5,7)',
          'a NULL engaged is a send without engagement; one at the same time as the last engaged send counts before it; a NULL sent_at is skipped');
SELECT is((SELECT omni.bgbb_summary(sent_at, engaged)::text
             FROM (SELECT * FROM sends UNION ALL SELECT '2026-03-05 12:00', false) u), '(2,4,7)',
          'a later send without engagement raises n, not recency');
SELECT is((SELECT omni.bgbb_summary(sent_at, false)::text FROM sends), '(0,0,6)', 'never engaged: frequency 0, recency 0');
CREATE TEMP TABLE send_states AS SELECT pg_temp.sends_state(sent_at, engaged) AS s FROM sends;
SELECT is((SELECT omni.bgbb_summary_final(s::text::omni.btyd_summary_state)::text FROM send_states), '(2,4,6)',
          'a bgbb_summary state read back from text gives the same summary');
SELECT throws_ok($$SELECT omni.btyd_summary_final(s) FROM send_states$$, '22023', NULL,
                 'a bgbb_summary state is refused by btyd_summary''s final function');

-- a fit that drifts to a near-homogeneous dropout (huge gamma and delta, as a data set
-- without dropout heterogeneity gives) must still give finite expectations, converging to
-- the homogeneous-dropout limit as gamma and delta grow with their ratio fixed
SELECT ok(e BETWEEN 0 AND 10, 'BG/BB expected_events stays finite for gamma 1.4e6, delta 4.5e7 (was NaN)')
FROM (SELECT omni.expected_events(omni.bgbb_model(2.176, 2.899, 1421418.42, 44846808.5), 10, 2, 11, 12) AS e) x;
SELECT ok(abs(a - b) <= 1e-4 * b, 'and equals the value at twice gamma and delta to 1e-4 (the homogeneous limit)')
FROM (SELECT omni.expected_events(omni.bgbb_model(2.176, 2.899, 1421418.42, 44846808.5), 10, 2, 11, 12) AS a,
             omni.expected_events(omni.bgbb_model(2.176, 2.899, 2842836.84, 89693617.0), 10, 2, 11, 12) AS b) x;

SELECT * FROM finish();
ROLLBACK;
