-- Cancellation: the long loops omni runs inside one call (a model fit's optimiser over a stored
-- state, a cohort grid of millions of cells, an identity resolution over a billion input rows)
-- honour statement_timeout (scripts/test-cancel.sh does the same with pg_cancel_backend from
-- another session): the call ends with the cancel error (57014).  Only that is asserted, never
-- how long it took, so a slow machine cannot flake it.  The inputs are built before the timeout
-- is set, and the work is sized so that the timeout fires inside omni's loops.
-- (EXCEPTION WHEN OTHERS does not catch a cancel, so throws_ok cannot see it: each call runs in a
-- PL/pgSQL block that catches query_canceled and says 'cancelled'.)
BEGIN;
SELECT plan(5);
SET LOCAL client_min_messages = warning;

CREATE FUNCTION pg_temp.cancelled(call text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE call;
    RETURN 'finished';
EXCEPTION WHEN query_canceled THEN
    RETURN 'cancelled';
END $$;

-- a BG/NBD fit state of 400,000 distinct customers: each likelihood evaluation visits all of
-- them, and the fit needs many evaluations
CREATE AGGREGATE pg_temp.fit_state(float8, float8, float8) (
    SFUNC = omni.bgnbd_fit_trans, STYPE = omni.btyd_fit_state, COMBINEFUNC = omni.btyd_fit_combine);
CREATE TABLE states AS
SELECT pg_temp.fit_state(f, CASE WHEN f = 0 THEN 0 ELSE f + g % 1000 * 0.0371 END, 60 + g % 997 * 0.013) AS bgnbd
FROM (SELECT g, (g % 23)::float8 AS f FROM generate_series(1, 400000) g) x;
SELECT cmp_ok((SELECT length(bgnbd::text) FROM states), '>', 1000000, 'the stored fit state holds many distinct customers');

-- (on the development VM the fit takes 0.86 s and the grid 1.2 s; the timeout is far shorter,
-- so it fires inside their loops, not while the state is read)
SET LOCAL statement_timeout = '50ms';
SELECT is(pg_temp.cancelled('SELECT omni.bgnbd_fit_final(bgnbd) FROM states'), 'cancelled',
          'a BG/NBD fit over a stored state stops at statement_timeout');
-- 2,905 hourly cohorts x 2,905 hourly periods = 8.4 million cells, each two calendar additions in a time zone
SELECT is(pg_temp.cancelled($$SELECT count(*) FROM omni.cohort_grid('2026-01-01', '2026-05-01', '1 hour', '1 hour', '2026-05-01 01:00+00', 'Europe/Berlin')$$),
          'cancelled', 'a cohort grid of millions of cells stops at statement_timeout');
SELECT is(pg_temp.cancelled($$SELECT count(*) FROM omni.resolve_identities('SELECT (g % 1000)::text, ''email'', (g % 5000)::text FROM generate_series(1, 1000000000) g')$$),
          'cancelled', 'identity resolution over a billion identifier rows stops at statement_timeout');
SELECT is(pg_temp.cancelled($$SELECT count(*) FROM omni.identity_links('SELECT (g % 1000)::text, ''email'', (g % 5000)::text FROM generate_series(1, 1000000000) g')$$),
          'cancelled', 'identity links over a billion identifier rows stop at statement_timeout');
RESET statement_timeout;

SELECT * FROM finish();
ROLLBACK;
