-- bench/channels_generate.sql — seeded, deterministic message log for the channel-preference
-- benchmark (bench/channels.sh).
--
--   psql -v scale=10 [-v seed=42] -f bench/channels_generate.sql
--
-- scale 1 = 100,000 messages for 10,000 customers; scale 100 = 10M messages, 1M customers.
-- Every random draw is a hash of (row number, stream) with hashint8extended(), so the data
-- depend only on scale and seed, not on the plan or the order rows are produced.
--
-- bench_channels.messages (customer_id, channel, engaged, sent_at), message grain:
--   customer_id uniform over 1..n_customers (10 messages a customer on average)
--   channel     email 60%, push 25%, sms 15%
--   engaged     with probability base(channel) * (0.2 + 1.6 * affinity(customer, channel)):
--               base email 0.20, push 0.12, sms 0.30; affinity a per-customer uniform draw
--   sent_at     the year before 2024-07-01 00:00 UTC, in time order (a log loaded daily)
-- bench_channels.engagements (customer_id, tz, engaged_at): see below (the send-time workload)
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

SELECT (:scale)::numeric * 100000 AS n_messages, (:scale)::numeric * 10000 AS n_customers \gset
SELECT round(:n_messages)::bigint AS n_messages, greatest(round(:n_customers), 1)::bigint AS n_customers \gset
\echo generating :n_messages messages for :n_customers customers (scale :scale, seed :seed)

DROP SCHEMA IF EXISTS bench_channels CASCADE;
CREATE SCHEMA bench_channels;

CREATE FUNCTION bench_channels.u(i bigint, stream bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (hashint8extended(i, stream * 1000003 + :seed) & 4503599627370495)::double precision
           / 4503599627370496.0;

CREATE TABLE bench_channels.meta (
    scale        numeric     NOT NULL,
    seed         bigint      NOT NULL,
    as_of        timestamptz NOT NULL,
    n_customers  bigint      NOT NULL,
    n_messages   bigint      NOT NULL,
    load_seconds double precision
);

SELECT clock_timestamp() AS t0 \gset

CREATE TABLE bench_channels.messages (
    customer_id bigint      NOT NULL,
    channel     text        NOT NULL,
    engaged     boolean     NOT NULL,
    sent_at     timestamptz NOT NULL
);

INSERT INTO bench_channels.messages
SELECT c, ch,
       bench_channels.u(j, 4) < CASE ch WHEN 'email' THEN 0.20 WHEN 'push' THEN 0.12 ELSE 0.30 END
                                * (0.2 + 1.6 * bench_channels.u(c, 10 + length(ch))),
       timestamptz '2023-07-02 00:00:00+00'
         + floor((j - 1 + bench_channels.u(j, 3)) / :n_messages * 31536000e6)::bigint
           * interval '1 microsecond'
FROM (SELECT j, 1 + least(floor(bench_channels.u(j, 1) * :n_customers)::bigint, :n_customers::bigint - 1) AS c,
             CASE WHEN bench_channels.u(j, 2) < 0.60 THEN 'email'
                  WHEN bench_channels.u(j, 2) < 0.85 THEN 'push' ELSE 'sms' END AS ch
      FROM generate_series(1, :n_messages::bigint) AS j) AS g;

VACUUM (FREEZE, ANALYZE) bench_channels.messages;

-- bench_channels.engagements (customer_id, tz, engaged_at), for the send-time workload: one row
-- per engaged message, at the customer's own local hour two times in three (a per-customer hour
-- from 06:00 to 22:59) and at any hour otherwise, on the local day the message was sent, in one
-- of six zones per customer (three with DST in different weeks, Tokyo without, Sydney southern).
CREATE TABLE bench_channels.engagements AS
SELECT customer_id, tz,
       (date_trunc('day', sent_at AT TIME ZONE tz)
        + CASE WHEN bench_channels.u(i, 22) < 0.67 THEN 6 + floor(bench_channels.u(customer_id, 21) * 17)
               ELSE floor(bench_channels.u(i, 23) * 24) END * interval '1 hour'
        + floor(bench_channels.u(i, 24) * 3600) * interval '1 second') AT TIME ZONE tz AS engaged_at
FROM (SELECT customer_id, sent_at, (extract(epoch FROM sent_at) * 1000000)::bigint AS i,
             (ARRAY['America/New_York', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin',
                    'Asia/Tokyo', 'Australia/Sydney'])[1 + floor(bench_channels.u(customer_id, 20) * 6)::int] AS tz
      FROM bench_channels.messages WHERE engaged) AS e;
VACUUM (FREEZE, ANALYZE) bench_channels.engagements;

INSERT INTO bench_channels.meta
SELECT :scale, :seed, timestamptz '2024-07-01 00:00:00+00',
       (SELECT count(DISTINCT customer_id) FROM bench_channels.messages),
       (SELECT count(*) FROM bench_channels.messages),
       extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT format('loaded %s messages for %s customers in %s s', n_messages, n_customers,
              round(load_seconds::numeric, 1))
FROM bench_channels.meta \g (tuples_only)
