-- bench/pieces.sql — where the time of the cohort open-rate query goes, piece by piece.
--
--   psql -d omni_cohort_speed -f bench/pieces.sql [-v reps=5]
--                                        (after bench/cohort_speed.sh made the data)
--
-- Serial, no JIT.  Each line is the best of :reps runs; "ns/row" is the time over the
-- baseline of the same group divided by the number of rows, i.e. what that piece costs per
-- message.  The expression pieces run on bench.pieces_joined (messages already joined to their
-- customer's cohort month, made here as an unlogged table and dropped at the end) so that the
-- join does not drown them; the query pieces run on the real tables.
\set ON_ERROR_STOP on
\if :{?reps}
\else
\set reps 5
\endif
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET work_mem = '256MB';
SELECT time_zone AS tz FROM bench.meta \gset
SET timezone = :'tz';

DROP TABLE IF EXISTS bench.pieces_joined;
CREATE UNLOGGED TABLE bench.pieces_joined AS
SELECT m.*, c.first_seen_at, c.cohort_month,
       omni.cohort_period(c.cohort_month, m.sent_at, '1 month') AS period
FROM bench.messages m JOIN bench.customers c USING (customer_id);
VACUUM (FREEZE, ANALYZE) bench.pieces_joined;

CREATE FUNCTION pg_temp.best_ms(q text, reps int) RETURNS float8 LANGUAGE plpgsql AS $f$
DECLARE
    t0   timestamptz;
    r    record;
    best float8 := 'Infinity';
BEGIN
    EXECUTE q INTO r;                                   -- warm-up
    FOR i IN 1 .. reps LOOP
        t0 := clock_timestamp();
        EXECUTE q INTO r;
        best := least(best, 1000 * extract(epoch FROM clock_timestamp() - t0));
    END LOOP;
    RETURN best;
END $f$;

CREATE TEMP TABLE piece (ord int, grp text, piece text, q text, is_base boolean);
INSERT INTO piece VALUES
 -- per-row expressions; count(expr) evaluates expr once per row
 (1, 'expression', 'baseline: count(period), period precomputed',
     'SELECT count(period) FROM bench.pieces_joined', true),
 (2, 'expression', 'omni.cohort_period(cohort, sent_at, ''1 month'')',
     $$SELECT count(omni.cohort_period(cohort_month, sent_at, '1 month')) FROM bench.pieces_joined$$, false),
 (3, 'expression', 'omni.cohort_period(cohort, sent_at, ''1 month'', zone name)',
     format($$SELECT count(omni.cohort_period(cohort_month, sent_at, '1 month', %L)) FROM bench.pieces_joined$$, :'tz'), false),
 (4, 'expression', 'plain: (extract(year from age())*12 + extract(month from age()))::int',
     $$SELECT count((extract(year FROM age(sent_at, cohort_month)) * 12 + extract(month FROM age(sent_at, cohort_month)))::int) FROM bench.pieces_joined$$, false),
 (5, 'expression', '  one age(sent_at, cohort)',
     $$SELECT count(age(sent_at, cohort_month)) FROM bench.pieces_joined$$, false),
 (6, 'expression', '  one extract(month from age())',
     $$SELECT count(extract(month FROM age(sent_at, cohort_month))) FROM bench.pieces_joined$$, false),
 (7, 'expression', '  the same with date_part() (float8, no numeric)',
     $$SELECT count((date_part('year', age(sent_at, cohort_month)) * 12 + date_part('month', age(sent_at, cohort_month)))::int) FROM bench.pieces_joined$$, false),
 (8, 'expression', 'date_trunc(''month'', first_seen_at)',
     $$SELECT count(date_trunc('month', first_seen_at)) FROM bench.pieces_joined$$, false),
 (9, 'expression', 'built-in timestamptz + interval ''1 month'' (one period boundary)',
     $$SELECT count(cohort_month + interval '1 month') FROM bench.pieces_joined$$, false),
 -- aggregates
 (10, 'aggregate', 'baseline: count(*)',
     'SELECT count(*) FROM bench.pieces_joined', true),
 (11, 'aggregate', 'omni.rate_agg(opened) FILTER (WHERE delivered)',
     'SELECT omni.rate_agg(opened) FILTER (WHERE delivered) FROM bench.pieces_joined', false),
 (12, 'aggregate', 'count(*) FILTER (delivered), count(*) FILTER (delivered AND opened)',
     'SELECT count(*) FILTER (WHERE delivered), count(*) FILTER (WHERE delivered AND opened) FROM bench.pieces_joined', false),
 (13, 'aggregate', 'omni.cohort_triangle(cohort, sent_at, opened, ''1 month'', ''1 month'') FILTER (WHERE delivered)',
     $$SELECT omni.cohort_triangle(cohort_month, sent_at, opened, '1 month', '1 month') FILTER (WHERE delivered) FROM bench.pieces_joined$$, false),
 (14, 'aggregate', '  the same from first_seen_at (cohort = its month, truncated per row)',
     $$SELECT omni.cohort_triangle(first_seen_at, sent_at, opened, '1 month', '1 month') FILTER (WHERE delivered) FROM bench.pieces_joined$$, false),
 (15, 'aggregate', '  months since each customer''s own first_seen_at (''customer'')',
     $$SELECT omni.cohort_triangle(first_seen_at, sent_at, opened, '1 month', '1 month', 'customer') FILTER (WHERE delivered) FROM bench.pieces_joined$$, false),
 -- the real query, built up one step at a time (cohort month precomputed: the "pre" shape)
 (20, 'query', 'baseline: nothing (SELECT 1)', 'SELECT 1', true),
 (21, 'query', 'scan messages',
     'SELECT count(*) FROM bench.messages', false),
 (22, 'query', '+ hash join customers',
     'SELECT count(c.cohort_month) FROM bench.messages m JOIN bench.customers c USING (customer_id)', false),
 (23, 'query', '+ hash aggregate on (cohort, int, channel)',
     'SELECT count(*) FROM (SELECT c.cohort_month, (m.customer_id % 18)::int, m.channel, count(*) FROM bench.messages m JOIN bench.customers c USING (customer_id) GROUP BY 1, 2, 3) s', false),
 (24, 'query', '+ rate_agg instead of count(*)',
     'SELECT count(*) FROM (SELECT c.cohort_month, (m.customer_id % 18)::int, m.channel, omni.rate_agg(m.opened) FILTER (WHERE m.delivered) FROM bench.messages m JOIN bench.customers c USING (customer_id) GROUP BY 1, 2, 3) s', false),
 (25, 'query', '+ cohort_period instead of a dummy int = the omni query',
     $$SELECT count(*) FROM (SELECT c.cohort_month, omni.cohort_period(c.cohort_month, m.sent_at, '1 month'), m.channel, omni.rate_agg(m.opened) FILTER (WHERE m.delivered) FROM bench.messages m JOIN bench.customers c USING (customer_id) GROUP BY 1, 2, 3) s$$, false),
 (26, 'query', 'the plain-SQL query (age/extract, two counts)',
     $$SELECT count(*) FROM (SELECT c.cohort_month, (extract(year FROM age(m.sent_at, c.cohort_month)) * 12 + extract(month FROM age(m.sent_at, c.cohort_month)))::int, m.channel, count(*) FILTER (WHERE m.delivered), count(*) FILTER (WHERE m.delivered AND m.opened) FROM bench.messages m JOIN bench.customers c USING (customer_id) GROUP BY 1, 2, 3) s$$, false);

CREATE TEMP TABLE piece_ms AS
SELECT p.*, pg_temp.best_ms(p.q, :reps) AS ms FROM piece p ORDER BY ord;

SELECT format('%s rows, time zone %s, best of %s runs', (SELECT n_messages FROM bench.meta),
              current_setting('TimeZone'), :reps) \g (tuples_only)
SELECT p.grp AS "group", p.piece,
       round(p.ms::numeric, 1) AS ms,
       CASE WHEN p.is_base THEN NULL
            ELSE round((1e6 * (p.ms - CASE WHEN p.grp = 'query' THEN lag(p.ms) OVER w ELSE b.ms END)
                        / (SELECT n_messages FROM bench.meta))::numeric, 1) END AS "ns/row"
FROM piece_ms p JOIN piece_ms b ON b.grp = p.grp AND b.is_base
WINDOW w AS (PARTITION BY p.grp ORDER BY p.ord)
ORDER BY p.ord;
\echo 'ns/row: over the group''s baseline; in the query group over the line before, so the last line is what the plain query costs more than omni''s'

DROP TABLE bench.pieces_joined;
