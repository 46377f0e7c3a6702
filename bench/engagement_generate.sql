-- bench/engagement_generate.sql — seeded, deterministic event log for the engagement-score
-- benchmark (bench/engagement.sh).
--
--   psql -v scale=10 [-v seed=42] -f bench/engagement_generate.sql
--
-- scale 1 = 200,000 events and 10,000 customers; scale 100 = 20M events, 1M customers.
-- Every random draw is a hash of (row number, stream) with hashint8extended(), so the data
-- depend only on scale and seed: not on the plan, parallelism, or the order rows are produced.
-- Lives in its own schema, bench_engagement, so it sits beside bench/generate.sql's data.
--
-- bench_engagement.events: an append-only event log (customer_id, event_type, occurred_at)
--   over the year before 2024-07-01 00:00 UTC (bench_engagement.meta.as_of), in time order
--   (row j is stratified into the j-th slice of the year, as a log loaded daily would be),
--   so every event is at or before as_of.
--   customers skewed: customer_id = 1 + floor(u^1.6 * n_customers): the most active customer
--     has a few thousand events at scale 100, the least active around a dozen; nearly every
--     customer has at least one event.
--   event_type  send 40%, deliver 30%, bounce 1%, open 25%, click 3%, conversion 0.5%,
--               reply 0.2%, unsubscribe 0.25%, complaint 0.05%
--   (the shared vocabulary, so omni.engagement_score's default weights apply to every row)
\set ON_ERROR_STOP on
\if :{?scale}
\else
\set scale 1
\endif
\if :{?seed}
\else
\set seed 42
\endif

SET client_min_messages = warning;
SET timezone = 'UTC';
SET work_mem = '256MB';
SET maintenance_work_mem = '1GB';
SET synchronous_commit = off;

SELECT (:scale)::numeric * 200000 AS n_events, (:scale)::numeric * 10000 AS n_customers \gset
SELECT round(:n_events)::bigint AS n_events, greatest(round(:n_customers), 1)::bigint AS n_customers \gset
\echo generating :n_events events for :n_customers customers (scale :scale, seed :seed)

DROP SCHEMA IF EXISTS bench_engagement CASCADE;
CREATE SCHEMA bench_engagement;

-- uniform [0, 1) from (row number, stream); 52 bits of a seeded 64-bit hash
CREATE FUNCTION bench_engagement.u(i bigint, stream bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (hashint8extended(i, stream * 1000003 + :seed) & 4503599627370495)::double precision
           / 4503599627370496.0;

CREATE TABLE bench_engagement.meta (
    scale        numeric     NOT NULL,
    seed         bigint      NOT NULL,
    as_of        timestamptz NOT NULL,
    n_customers  bigint      NOT NULL,     -- customers with at least one event
    n_events     bigint      NOT NULL,
    generated_at timestamptz NOT NULL DEFAULT now(),
    load_seconds double precision
);

SELECT clock_timestamp() AS t0 \gset

CREATE TABLE bench_engagement.events (
    customer_id bigint      NOT NULL,
    event_type  text        NOT NULL,
    occurred_at timestamptz NOT NULL
);

INSERT INTO bench_engagement.events
SELECT 1 + least(floor(power(bench_engagement.u(j, 1), 1.6) * :n_customers)::bigint,
                 :n_customers::bigint - 1),
       CASE WHEN t < 0.40   THEN 'send'
            WHEN t < 0.70   THEN 'deliver'
            WHEN t < 0.71   THEN 'bounce'
            WHEN t < 0.96   THEN 'open'
            WHEN t < 0.99   THEN 'click'
            WHEN t < 0.995  THEN 'conversion'
            WHEN t < 0.997  THEN 'reply'
            WHEN t < 0.9995 THEN 'unsubscribe'
            ELSE 'complaint' END,
       -- microseconds into the year (365 days = 31,536,000 s) before as_of; never as_of itself
       timestamptz '2023-07-02 00:00:00+00'
         + floor((j - 1 + bench_engagement.u(j, 3)) / :n_events * 31536000e6)::bigint
           * interval '1 microsecond'
FROM (SELECT j, bench_engagement.u(j, 2) AS t
      FROM generate_series(1, :n_events::bigint) AS j) AS g;

-- Set hint bits and the visibility map now, so the first timed scan does not pay for them.
VACUUM (FREEZE, ANALYZE) bench_engagement.events;

INSERT INTO bench_engagement.meta (scale, seed, as_of, n_customers, n_events, load_seconds)
SELECT :scale, :seed, timestamptz '2024-07-01 00:00:00+00',
       (SELECT count(DISTINCT customer_id) FROM bench_engagement.events),
       (SELECT count(*) FROM bench_engagement.events),
       extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT format('loaded %s events for %s customers in %s s', n_events, n_customers,
              round(load_seconds::numeric, 1))
FROM bench_engagement.meta \g (tuples_only)
