-- bench/generate.sql — seeded, deterministic test data for the cohort open-rate benchmark.
--
--   psql -v scale=10 [-v seed=42] [-v tz=UTC] [-v customers_per_message=0.025] -f bench/generate.sql
--
-- scale 1 = 100,000 messages and 2,500 customers; scale 100 = 10M messages, 250,000 customers
-- (customers_per_message = 0.1: 1M customers at scale 100, as bench/cohort_speed.sh uses).
-- Every random draw is a hash of (row number, stream) with hashint8extended(), so the data
-- depend only on scale and seed: not on the plan, parallelism, or the order rows are produced.
--
-- bench.customers: one row per customer, acquired over 18 months (2023-01-01 .. 2024-07-01 UTC)
--   with acquisitions growing over time; customer_id follows acquisition order.
--   cohort_month = date_trunc('month', first_seen_at) in time zone :tz (the precomputed variant).
-- bench.messages: one row per sent message, always after the customer's first_seen_at and
--   before 2024-07-01; older customers get more messages.
--   channel   email 55% / push 20% / sms 15% / web 10%
--   delivered email 97%, sms 98.5%, push 95%, web 97%                      (~97% overall)
--   opened    only if delivered; email ~35% overall: 25% of customers are behind Apple Mail
--             Privacy Protection (apple_mpp) and "open" 95% of emails (machine opens, no
--             decay), the others 17% decaying with tenure; sms 30%, push 8%, web 12%, decaying
--             (x 0.6 + 0.4 exp(-months/6)).
--   clicked   only if opened (never a machine open): email 12%, sms 25%, push 20%, web 30%.
\set ON_ERROR_STOP on
\if :{?scale}
\else
\set scale 1
\endif
\if :{?seed}
\else
\set seed 42
\endif
\if :{?tz}
\else
\set tz UTC
\endif
-- customers per message: 0.025 (the default, 40 messages a customer) or e.g. 0.1 (10 a customer)
\if :{?customers_per_message}
\else
\set customers_per_message 0.025
\endif

SET client_min_messages = warning;
SET timezone = :'tz';
SET work_mem = '256MB';
SET maintenance_work_mem = '1GB';
SET synchronous_commit = off;

SELECT (:scale)::numeric * 100000 AS n_messages,
       (:scale)::numeric * 100000 * (:customers_per_message)::numeric AS n_customers \gset
SELECT :n_messages::bigint AS n_messages, :n_customers::bigint AS n_customers \gset
\echo generating :n_messages messages for :n_customers customers (scale :scale, seed :seed, time zone :tz)

DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

-- uniform [0, 1) from (row number, stream); 52 bits of a seeded 64-bit hash.  An inlinable
-- SQL function: the generator's cost is one hashint8extended per draw.
CREATE FUNCTION bench.u(i bigint, stream bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (hashint8extended(i, stream * 1000003 + :seed) & 4503599627370495)::double precision
           / 4503599627370496.0;

CREATE TABLE bench.meta (
    scale        numeric     NOT NULL,
    seed         bigint      NOT NULL,
    time_zone    text        NOT NULL,
    n_customers  bigint      NOT NULL,
    n_messages   bigint      NOT NULL,
    generated_at timestamptz NOT NULL DEFAULT now(),
    load_seconds double precision
);

SELECT clock_timestamp() AS t0 \gset

CREATE TABLE bench.customers (
    customer_id        bigint      NOT NULL,
    first_seen_at      timestamptz NOT NULL,
    cohort_month       timestamptz NOT NULL,   -- date_trunc('month', first_seen_at) in :tz
    acquisition_source text        NOT NULL,
    country            text        NOT NULL,
    apple_mpp          boolean     NOT NULL    -- email opens are machine opens
);

-- Acquisition density grows linearly (x3 from first to last month): CDF F(t) = (t + t^2)/2 on
-- [0, 1), inverted as t = (sqrt(1 + 8x) - 1)/2.  x is stratified by customer_id, so
-- first_seen_at increases with customer_id.
INSERT INTO bench.customers
SELECT id,
       first_seen,
       date_trunc('month', first_seen),
       CASE WHEN bench.u(id, 2) < 0.40 THEN 'organic'
            WHEN bench.u(id, 2) < 0.65 THEN 'paid_search'
            WHEN bench.u(id, 2) < 0.85 THEN 'social'
            ELSE 'referral' END,
       CASE WHEN bench.u(id, 3) < 0.50 THEN 'US'
            WHEN bench.u(id, 3) < 0.70 THEN 'GB'
            WHEN bench.u(id, 3) < 0.85 THEN 'DE'
            ELSE 'FR' END,
       bench.u(id, 4) < 0.25
FROM (SELECT id,
             timestamptz '2023-01-01 00:00:00+00'
               + floor((sqrt(1 + 8 * ((id - 1 + bench.u(id, 1)) / :n_customers)) - 1) / 2
                       * 47174400)::bigint * interval '1 second' AS first_seen   -- 546 days
      FROM generate_series(1, :n_customers::bigint) AS id) AS s;

CREATE TABLE bench.messages (
    message_id  bigint      NOT NULL,
    customer_id bigint      NOT NULL,
    channel     text        NOT NULL,
    sent_at     timestamptz NOT NULL,
    delivered   boolean     NOT NULL,
    opened      boolean     NOT NULL,
    clicked     boolean     NOT NULL
);

INSERT INTO bench.messages
SELECT g.j,
       c.customer_id,
       d.channel,
       d.sent_at,
       d.delivered,
       d.opened,
       d.opened AND NOT d.machine_open
           AND bench.u(g.j, 16) < CASE d.channel WHEN 'email' THEN 0.12 WHEN 'sms' THEN 0.25
                                                 WHEN 'push' THEN 0.20 ELSE 0.30 END
FROM (SELECT j,
             -- skewed towards low ids = older customers (more tenure, more messages)
             1 + least(floor(power(bench.u(j, 10), 1.6) * :n_customers)::bigint,
                       :n_customers::bigint - 1) AS cid
      FROM generate_series(1, :n_messages::bigint) AS j) AS g
JOIN bench.customers AS c ON c.customer_id = g.cid
CROSS JOIN LATERAL (
    SELECT t.channel, t.sent_at, t.delivered,
           t.delivered AND bench.u(g.j, 15) < t.p_open AS opened,
           t.machine_open
    FROM (SELECT ch.channel, ch.sent_at, ch.delivered,
                 ch.channel = 'email' AND c.apple_mpp AS machine_open,
                 CASE WHEN ch.channel = 'email' AND c.apple_mpp THEN 0.95
                      ELSE CASE ch.channel WHEN 'email' THEN 0.17 WHEN 'sms' THEN 0.30
                                           WHEN 'push' THEN 0.08 ELSE 0.12 END
                           * (0.6 + 0.4 * exp(-ch.tenure_months / 6)) END AS p_open
          FROM (SELECT sc.channel,
                       c.first_seen_at + (sc.offset_s + 1) * interval '1 second' AS sent_at,
                       sc.offset_s / 2629800.0::float8 AS tenure_months,             -- 30.4375 days
                       bench.u(g.j, 14) < CASE sc.channel WHEN 'email' THEN 0.97
                                                          WHEN 'sms' THEN 0.985
                                                          WHEN 'push' THEN 0.95 ELSE 0.97 END
                           AS delivered
                FROM (SELECT CASE WHEN bench.u(g.j, 11) < 0.55 THEN 'email'
                                  WHEN bench.u(g.j, 11) < 0.75 THEN 'push'
                                  WHEN bench.u(g.j, 11) < 0.90 THEN 'sms'
                                  ELSE 'web' END AS channel,
                             -- sending thins out with tenure; +1 s: strictly after first_seen_at
                             floor(power(bench.u(g.j, 12), 1.3)
                                   * (extract(epoch FROM timestamptz '2024-07-01 00:00:00+00'
                                                         - c.first_seen_at) - 2))::bigint AS offset_s
                     ) AS sc
               ) AS ch
         ) AS t
) AS d;

ALTER TABLE bench.customers ADD PRIMARY KEY (customer_id);
ALTER TABLE bench.messages ADD PRIMARY KEY (message_id);

-- Set hint bits and the visibility map now, so the first timed scan does not pay for them.
VACUUM (FREEZE, ANALYZE) bench.customers;
VACUUM (FREEZE, ANALYZE) bench.messages;

INSERT INTO bench.meta (scale, seed, time_zone, n_customers, n_messages, load_seconds)
SELECT :scale, :seed, :'tz', (SELECT count(*) FROM bench.customers),
       (SELECT count(*) FROM bench.messages),
       extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT format('loaded %s customers and %s messages in %s s', n_customers, n_messages,
              round(load_seconds::numeric, 1))
FROM bench.meta \g (tuples_only)
