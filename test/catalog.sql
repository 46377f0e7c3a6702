-- Catalog lint: every object omni installs is declared the way DESIGN.md promises.
BEGIN;
SELECT plan(8);

CREATE TEMP VIEW omni_functions AS
SELECT p.oid, p.proname, p.prokind, p.provolatile, p.proparallel, p.prosecdef, p.proisstrict,
       p.oid::regprocedure::text AS signature
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'omni';

CREATE TEMP VIEW omni_aggregates AS
SELECT f.signature, a.*
FROM omni_functions f JOIN pg_aggregate a ON a.aggfnoid = f.oid;

SELECT ok((SELECT count(*) FROM omni_aggregates) >= 3, 'omni installs aggregates');
SELECT is(ARRAY(SELECT signature FROM omni_aggregates WHERE aggcombinefn = 0 ORDER BY 1), '{}'::text[],
          'every aggregate has a combine function');
SELECT is(ARRAY(SELECT signature FROM omni_aggregates WHERE aggtranstype = 'internal'::regtype ORDER BY 1),
          '{}'::text[], 'no aggregate has an internal state (Citus needs concrete types)');
-- identity resolution runs the caller's query text, which may read temporary tables and call
-- volatile functions: those functions are VOLATILE and PARALLEL RESTRICTED, and only they
SELECT is(ARRAY(SELECT signature FROM omni_functions WHERE proparallel <> 's' ORDER BY 1),
          ARRAY['omni.identity_guardrail_report(text,integer,text[],jsonb)',
                'omni.identity_links(text,integer,text[],jsonb)',
                'omni.resolve_identities(text,integer,text[],jsonb,text)'],
          'every function and aggregate is PARALLEL SAFE, but those that run a query');
SELECT is(ARRAY(SELECT signature FROM omni_functions WHERE prosecdef ORDER BY 1), '{}'::text[],
          'no function is SECURITY DEFINER');
-- volatility as documented: the session-time-zone cohort functions are STABLE (they read
-- TimeZone); the identity resolution functions VOLATILE (above); everything else is IMMUTABLE
SELECT is(ARRAY(SELECT signature FROM omni_functions WHERE provolatile = 's' ORDER BY 1),
          ARRAY['omni.cohort_grid(timestamp with time zone,timestamp with time zone,interval,interval,timestamp with time zone)',
                'omni.cohort_period(timestamp with time zone,timestamp with time zone,interval)',
                'omni.cohort_triangle_trans(omni.cohort_triangle,timestamp with time zone,timestamp with time zone,bigint,bigint,interval,interval)',
                'omni.cohort_triangle_trans(omni.cohort_triangle,timestamp with time zone,timestamp with time zone,bigint,bigint,interval,interval,text)',
                'omni.cohort_triangle_trans(omni.cohort_triangle,timestamp with time zone,timestamp with time zone,boolean,interval,interval)',
                'omni.cohort_triangle_trans(omni.cohort_triangle,timestamp with time zone,timestamp with time zone,boolean,interval,interval,text)'],
          'only the session-zone cohort functions are STABLE');
SELECT is(ARRAY(SELECT signature FROM omni_functions WHERE provolatile = 'v' ORDER BY 1),
          ARRAY(SELECT signature FROM omni_functions WHERE proparallel = 'r' ORDER BY 1),
          'only the functions that run a query are VOLATILE');
SELECT is(ARRAY(SELECT signature FROM omni_functions f
                 WHERE f.prokind = 'f' AND f.proname LIKE 'rate\_%trans' AND NOT f.proisstrict ORDER BY 1),
          '{}'::text[], 'rate transition functions are STRICT (NULL inputs skipped by the executor)');

SELECT * FROM finish();
ROLLBACK;
