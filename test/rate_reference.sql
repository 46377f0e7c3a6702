-- omni.rate statistics against independent reference values.
--
-- The CSVs under test/fixtures/ are written by test/fixtures/make_fixtures.py (statsmodels
-- 0.13.5 / scipy 1.10.1, each value also cross-checked there against mpmath at 60 digits or
-- exact rational arithmetic); see that script's header for the exact call behind each column.
-- pg_prove runs this file from the repository root, so the \copy paths are relative to it:
--     pg_prove -d omni_tap test/rate_reference.sql      (add -v to see the diagnostics)
--
-- Every comparison is written "(abs(omni - ref) <= tol) IS NOT TRUE" so that a NULL or NaN
-- from omni counts as a failure, and every failing comparison is listed by a diag() line.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(24);

-- have within rel * |want| of want, or within 1e-300 absolute for p-values that underflow.
-- Written without rel * want, which PostgreSQL reports as an underflow error for a
-- subnormal want.  NULL or NaN in have gives false or NULL, never true.
CREATE FUNCTION pg_temp.close_rel(have float8, want float8, rel float8) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT abs(have - want) <= 1e-300 OR abs(have - want) / rel <= abs(want) $$;

-- ---------------------------------------------------------------------------------------
-- Fixtures
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE wilson_ref (hits bigint, trials bigint, confidence float8,
                              lower float8, upper float8);
\copy wilson_ref FROM 'test/fixtures/wilson.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE ztest_ref (hits1 bigint, trials1 bigint, hits2 bigint, trials2 bigint,
                             p_value float8, p_exact float8);
\copy ztest_ref FROM 'test/fixtures/ztest.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE ztest_huge_ref (hits1 bigint, trials1 bigint, hits2 bigint, trials2 bigint,
                                  p_exact float8);
\copy ztest_huge_ref FROM 'test/fixtures/ztest_huge.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE fisher_ref (hits1 bigint, trials1 bigint, hits2 bigint, trials2 bigint,
                              p_value float8);
\copy fisher_ref FROM 'test/fixtures/fisher.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE quantile_ref (confidence float8, p float8, z float8);
\copy quantile_ref FROM 'test/fixtures/norm_quantile.csv' WITH (FORMAT csv, HEADER true)

-- the tests below must not pass vacuously on a truncated or empty fixture
SELECT is((SELECT count(*) FROM wilson_ref), 168::bigint, 'wilson.csv: 168 reference rows loaded');
SELECT is((SELECT count(*) FROM ztest_ref), 30::bigint, 'ztest.csv: 30 reference rows loaded');
SELECT is((SELECT count(*) FROM ztest_huge_ref), 120::bigint, 'ztest_huge.csv: 120 reference rows loaded');
SELECT is((SELECT count(*) FROM fisher_ref), 30::bigint, 'fisher.csv: 30 reference rows loaded');
SELECT is((SELECT count(*) FROM quantile_ref), 28::bigint, 'norm_quantile.csv: 28 reference rows loaded');

-- ---------------------------------------------------------------------------------------
-- Wilson score interval vs statsmodels proportion_confint(method='wilson'): 1e-12 absolute
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE wilson_cmp AS
SELECT w.*,
       omni.ci_lower(omni.rate(hits, trials), confidence) AS o_lower,
       omni.ci_upper(omni.rate(hits, trials), confidence) AS o_upper
  FROM wilson_ref w;

SELECT is((SELECT count(*) FROM wilson_cmp WHERE (abs(o_lower - lower) <= 1e-12) IS NOT TRUE),
          0::bigint, 'every Wilson lower bound within 1e-12 of statsmodels');
SELECT diag(format('ci_lower(%s/%s, %s) = %s, statsmodels %s, diff %s',
                   hits, trials, confidence, o_lower, lower, o_lower - lower))
  FROM wilson_cmp WHERE (abs(o_lower - lower) <= 1e-12) IS NOT TRUE
 ORDER BY abs(o_lower - lower) DESC NULLS FIRST LIMIT 20;

SELECT is((SELECT count(*) FROM wilson_cmp WHERE (abs(o_upper - upper) <= 1e-12) IS NOT TRUE),
          0::bigint, 'every Wilson upper bound within 1e-12 of statsmodels');
SELECT diag(format('ci_upper(%s/%s, %s) = %s, statsmodels %s, diff %s',
                   hits, trials, confidence, o_upper, upper, o_upper - upper))
  FROM wilson_cmp WHERE (abs(o_upper - upper) <= 1e-12) IS NOT TRUE
 ORDER BY abs(o_upper - upper) DESC NULLS FIRST LIMIT 20;

SELECT diag(format('Wilson vs statsmodels: max abs error lower %s, upper %s over %s rows',
                   max(abs(o_lower - lower)), max(abs(o_upper - upper)), count(*)))
  FROM wilson_cmp;

-- Newcombe (1998) worked examples at the default confidence, to 4 decimals
SELECT is((SELECT array_agg(format('%s: %s-%s', r,
                                   round(omni.ci_lower(r::omni.rate)::numeric, 4),
                                   round(omni.ci_upper(r::omni.rate)::numeric, 4)) ORDER BY ord)
             FROM unnest(ARRAY['81/263', '15/148', '0/20', '1/29']) WITH ORDINALITY AS t(r, ord)),
          ARRAY['81/263: 0.2553-0.3662', '15/148: 0.0624-0.1605', '0/20: 0.0000-0.1611',
                '1/29: 0.0061-0.1718'],
          'Newcombe (1998) Wilson examples at the default 95% confidence');

-- ---------------------------------------------------------------------------------------
-- The normal quantile behind the Wilson z.  omni exposes no quantile function, but with
-- 0 hits out of n the upper bound is z^2 / (n + z^2), so z = sqrt(n u / (1 - u)).  With
-- n = 1024 the inversion is well conditioned (u <= 0.07) and costs a few ulps; 1e-13
-- relative is about what Wilson's 1e-12 absolute needs at n = 1.
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE quantile_cmp AS
SELECT q.*, sqrt(1024 * u / (1 - u)) AS o_z
  FROM quantile_ref q,
       LATERAL (SELECT omni.ci_upper(omni.rate(0, 1024), q.confidence) AS u) s;

SELECT is((SELECT count(*) FROM quantile_cmp WHERE (abs(o_z - z) <= 1e-13 * z) IS NOT TRUE),
          0::bigint, 'the z implied by every Wilson interval within 1e-13 relative of scipy norm.isf');
SELECT diag(format('confidence %s (p = %s): omni z = %s, scipy %s, relative diff %s',
                   confidence, p, o_z, z, (o_z - z) / z))
  FROM quantile_cmp WHERE (abs(o_z - z) <= 1e-13 * z) IS NOT TRUE
 ORDER BY abs(o_z - z) / z DESC NULLS FIRST LIMIT 20;
SELECT diag(format('normal quantile (via Wilson) vs scipy: max relative error %s over %s rows',
                   max(abs(o_z - z) / z), count(*)))
  FROM quantile_cmp;

-- ---------------------------------------------------------------------------------------
-- Closed forms of the Wilson interval, with scipy's z from norm_quantile.csv, over a grid
-- of trials x confidences x hits.  The bounds are the roots of
--     (n + z^2) p^2 - (2x + z^2) p + x^2/n = 0,
-- so at x = 0 they are 0 and z^2/(n + z^2), at x = n they are n/(n + z^2) and 1, and their
-- midpoint is (x + z^2/2) / (n + z^2).
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE wilson_grid AS
SELECT n, x, q.confidence, q.z,
       omni.ci_lower(omni.rate(x, n), q.confidence) AS lo,
       omni.ci_upper(omni.rate(x, n), q.confidence) AS hi,
       omni.ci_lower(omni.rate(n - x, n), q.confidence) AS mirror_lo,
       omni.ci_upper(omni.rate(n - x, n), q.confidence) AS mirror_hi
  FROM unnest(ARRAY[1, 2, 3, 7, 20, 29, 100, 1000, 1000000, 987654321,
                    4000000000000000]::bigint[]) AS n,
       LATERAL unnest(ARRAY[0, 1, n / 3, n / 2, n - 1, n]) AS x,
       quantile_ref q;

SELECT is((SELECT count(*) FROM wilson_grid WHERE x = 0 AND lo IS DISTINCT FROM 0::float8),
          0::bigint, 'Wilson lower bound is exactly 0 with 0 hits');
SELECT is((SELECT count(*) FROM wilson_grid
            WHERE x = 0 AND (abs(hi - z * z / (n + z * z)) <= 1e-12) IS NOT TRUE),
          0::bigint, 'Wilson upper bound with 0 hits is z^2/(n + z^2) within 1e-12');
SELECT diag(format('0/%s at %s: upper %s, z^2/(n+z^2) = %s', n, confidence, hi, z * z / (n + z * z)))
  FROM wilson_grid WHERE x = 0 AND (abs(hi - z * z / (n + z * z)) <= 1e-12) IS NOT TRUE LIMIT 20;

SELECT is((SELECT count(*) FROM wilson_grid WHERE x = n AND hi IS DISTINCT FROM 1::float8),
          0::bigint, 'Wilson upper bound is exactly 1 when every trial is a hit');
SELECT is((SELECT count(*) FROM wilson_grid
            WHERE x = n AND (abs(lo - n / (n + z * z)) <= 1e-12) IS NOT TRUE),
          0::bigint, 'Wilson lower bound with n hits is n/(n + z^2) within 1e-12');
SELECT diag(format('%s/%s at %s: lower %s, n/(n+z^2) = %s', n, n, confidence, lo, n / (n + z * z)))
  FROM wilson_grid WHERE x = n AND (abs(lo - n / (n + z * z)) <= 1e-12) IS NOT TRUE LIMIT 20;

SELECT is((SELECT count(*) FROM wilson_grid
            WHERE (abs((lo + hi) / 2 - (x + z * z / 2) / (n + z * z)) <= 1e-12) IS NOT TRUE),
          0::bigint, 'Wilson midpoint is (x + z^2/2)/(n + z^2) within 1e-12');
SELECT diag(format('%s/%s at %s: midpoint %s, (x+z^2/2)/(n+z^2) = %s',
                   x, n, confidence, (lo + hi) / 2, (x + z * z / 2) / (n + z * z)))
  FROM wilson_grid
 WHERE (abs((lo + hi) / 2 - (x + z * z / 2) / (n + z * z)) <= 1e-12) IS NOT TRUE LIMIT 20;

SELECT is((SELECT count(*) FROM wilson_grid
            WHERE (abs(lo - (1 - mirror_hi)) <= 1e-12) IS NOT TRUE
               OR (abs(hi - (1 - mirror_lo)) <= 1e-12) IS NOT TRUE),
          0::bigint, 'Wilson interval of x/n mirrors that of (n-x)/n within 1e-12');
SELECT diag(format('%s/%s at %s: [%s, %s] but (n-x)/n gives [%s, %s]',
                   x, n, confidence, lo, hi, mirror_lo, mirror_hi))
  FROM wilson_grid
 WHERE (abs(lo - (1 - mirror_hi)) <= 1e-12) IS NOT TRUE
    OR (abs(hi - (1 - mirror_lo)) <= 1e-12) IS NOT TRUE LIMIT 20;

SELECT is((SELECT count(*) FROM wilson_grid
            WHERE (0 <= lo AND lo <= x::float8 / n AND x::float8 / n <= hi AND hi <= 1) IS NOT TRUE),
          0::bigint, 'Wilson interval lies in [0, 1] and contains hits/trials');
SELECT diag(format('%s/%s at %s: [%s, %s] vs %s', x, n, confidence, lo, hi, x::float8 / n))
  FROM wilson_grid
 WHERE (0 <= lo AND lo <= x::float8 / n AND x::float8 / n <= hi AND hi <= 1) IS NOT TRUE LIMIT 20;

-- ---------------------------------------------------------------------------------------
-- Two-proportion z-test vs statsmodels proportions_ztest (two-sided, pooled): 1e-10
-- relative, because statsmodels subtracts two rounded proportions and is itself off by up
-- to 2.5e-11 at 1e12-scale counts (omni forms x1*n2 - x2*n1 exactly); the exact value of
-- the counts (mpmath) below is held to 1e-12.  Below 1e-300 (where scipy's erfc flushes to 0 and glibc's returns a
-- subnormal) 1e-300 absolute.  Also vs the exact p-value of the integer counts (mpmath).
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE ztest_cmp AS
SELECT z.*,
       omni.p_value(omni.rate(hits1, trials1), omni.rate(hits2, trials2)) AS o_p,
       omni.p_value(omni.rate(hits2, trials2), omni.rate(hits1, trials1)) AS o_p_swapped
  FROM ztest_ref z;

SELECT is((SELECT count(*) FROM ztest_cmp
            WHERE pg_temp.close_rel(o_p, p_value, 1e-10) IS NOT TRUE),
          0::bigint, 'every z-test p-value within 1e-10 relative of statsmodels');
SELECT diag(format('p_value(%s/%s, %s/%s) = %s, statsmodels %s, relative diff %s',
                   hits1, trials1, hits2, trials2, o_p, p_value, (o_p - p_value) / nullif(p_value, 0)))
  FROM ztest_cmp WHERE pg_temp.close_rel(o_p, p_value, 1e-10) IS NOT TRUE
 ORDER BY abs(o_p - p_value) / nullif(p_value, 0) DESC NULLS FIRST LIMIT 20;
SELECT diag(format('z-test vs statsmodels: max relative error %s over %s rows with p >= 1e-300',
                   max(abs(o_p - p_value) / p_value), count(*)))
  FROM ztest_cmp WHERE p_value >= 1e-300;

SELECT is((SELECT count(*) FROM ztest_cmp
            WHERE pg_temp.close_rel(o_p, p_exact, 1e-12) IS NOT TRUE),
          0::bigint, 'every z-test p-value within 1e-12 relative of the exact value of its counts');
SELECT diag(format('p_value(%s/%s, %s/%s) = %s, exact %s, relative diff %s',
                   hits1, trials1, hits2, trials2, o_p, p_exact, (o_p - p_exact) / nullif(p_exact, 0)))
  FROM ztest_cmp WHERE pg_temp.close_rel(o_p, p_exact, 1e-12) IS NOT TRUE
 ORDER BY abs(o_p - p_exact) / nullif(p_exact, 0) DESC NULLS FIRST LIMIT 20;
SELECT diag(format('z-test vs exact: max relative error %s over %s rows with p >= 1e-300',
                   max(abs(o_p - p_exact) / p_exact), count(*)))
  FROM ztest_cmp WHERE p_exact >= 1e-300;

SELECT is((SELECT count(*) FROM ztest_cmp WHERE o_p IS DISTINCT FROM o_p_swapped),
          0::bigint, 'z-test p-value is symmetric in its two rates');

-- pooled trials of 2^53 and more with few pooled hits or misses: the totals no longer fit a
-- double, and 0.1.0 answered 1 where the exact value is 0.0833 (the first fixture row)
CREATE TEMP TABLE ztest_huge_cmp AS
SELECT z.*, omni.p_value(omni.rate(hits1, trials1), omni.rate(hits2, trials2)) AS o_p
  FROM ztest_huge_ref z;
SELECT is((SELECT count(*) FROM ztest_huge_cmp
            WHERE pg_temp.close_rel(o_p, p_exact, 1e-12) IS NOT TRUE),
          0::bigint, 'z-test p-values at pooled trials >= 2^53 within 1e-12 relative of the exact value');
SELECT diag(format('p_value(%s/%s, %s/%s) = %s, exact %s, relative diff %s',
                   hits1, trials1, hits2, trials2, o_p, p_exact, (o_p - p_exact) / nullif(p_exact, 0)))
  FROM ztest_huge_cmp WHERE pg_temp.close_rel(o_p, p_exact, 1e-12) IS NOT TRUE
 ORDER BY abs(o_p - p_exact) / nullif(p_exact, 0) DESC NULLS FIRST LIMIT 20;
SELECT diag(format('z-test at pooled trials >= 2^53 vs exact: max relative error %s over %s rows with p >= 1e-300',
                   max(abs(o_p - p_exact) / p_exact), count(*)))
  FROM ztest_huge_cmp WHERE p_exact >= 1e-300;
SELECT is(round(omni.p_value('100000000000000000/100000000000000000',
                             '99999999999999997/100000000000000000')::numeric, 4), 0.0833,
          'the reported case: 10^17 trials each, 3 pooled misses, p = 0.0833');

-- statsmodels gives nan when the pooled proportion is 0 or 1; omni documents 1.0
SELECT is(ARRAY[omni.p_value('0/10', '0/20'), omni.p_value('7/7', '3/3'),
                omni.p_value('0/1', '0/1'), omni.p_value('1/1', '1/1'),
                omni.p_value('9223372036854775807/9223372036854775807', '5/5'),
                omni.p_value('0/9223372036854775807', '0/5')],
          ARRAY[1, 1, 1, 1, 1, 1]::float8[],
          'z-test p-value is 1 when the pooled proportion is 0 or 1');

SELECT is(ARRAY[omni.p_value('0/0', '1/2'), omni.p_value('1/2', '0/0'),
                omni.fisher_p_value('0/0', '1/2'), omni.fisher_p_value('1/2', '0/0'),
                omni.ci_lower('0/0'), omni.ci_upper('0/0', 0.5)],
          ARRAY[NULL, NULL, NULL, NULL, NULL, NULL]::float8[],
          'p-values and Wilson bounds are NULL for a rate with no trials');

-- ---------------------------------------------------------------------------------------
-- Fisher's exact test vs scipy.stats.fisher_exact (two-sided): 1e-9 relative
-- (1e-300 absolute for a p-value that underflows)
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE fisher_cmp AS
SELECT f.*, omni.fisher_p_value(omni.rate(hits1, trials1), omni.rate(hits2, trials2)) AS o_p
  FROM fisher_ref f;

SELECT is((SELECT count(*) FROM fisher_cmp
            WHERE pg_temp.close_rel(o_p, p_value, 1e-9) IS NOT TRUE),
          0::bigint, 'every Fisher exact p-value within 1e-9 relative of scipy');
SELECT diag(format('fisher_p_value(%s/%s, %s/%s) = %s, scipy %s, relative diff %s',
                   hits1, trials1, hits2, trials2, o_p, p_value, (o_p - p_value) / nullif(p_value, 0)))
  FROM fisher_cmp WHERE pg_temp.close_rel(o_p, p_value, 1e-9) IS NOT TRUE
 ORDER BY abs(o_p - p_value) / nullif(p_value, 0) DESC NULLS FIRST LIMIT 20;
SELECT diag(format('Fisher vs scipy: max relative error %s over %s rows with p > 0',
                   max(abs(o_p - p_value) / p_value), count(*)))
  FROM fisher_cmp WHERE p_value > 0;

SELECT * FROM finish();
ROLLBACK;
