-- test/citus/fdw.sql — per-customer queries on the postgres_fdw shards (schema fdw, see
-- fdw_setup.sql) and on the single node (schema shop): scripts/test-citus.sh replaces ":s."
-- by either schema and requires identical outputs, with enable_partitionwise_aggregate on and
-- off.  "-- pushdown: yes <aggregate>" asserts that with enable_partitionwise_aggregate = on
-- the aggregate runs on both shards (in each foreign scan's Remote SQL); "no" that it runs on
-- the parent over the rows the shards send (PostgreSQL 15's postgres_fdw ships no partial
-- aggregates, so a grouping without the partition key is computed locally).

-- name: rate_per_customer
-- pushdown: yes omni.rate_agg
SELECT customer_id, omni.rate_agg(engaged) AS hits
FROM :s.responses WHERE channel = 'email'
GROUP BY customer_id ORDER BY customer_id;

-- name: message_outcome_per_message
-- pushdown: yes omni.message_outcome
SELECT customer_id, message_id, omni.message_outcome(event_type, occurred_at, user_agent, esp_machine_flag) AS o
FROM :s.message_events
GROUP BY customer_id, message_id ORDER BY customer_id, message_id;

-- name: engagement_score_per_customer
-- pushdown: yes omni.engagement_score
SELECT customer_id, omni.engagement_score(event_type, occurred_at, timestamptz '2025-10-20 12:00+00') AS score
FROM :s.message_events
GROUP BY customer_id ORDER BY customer_id;

-- name: channel_preference_per_customer
-- pushdown: yes omni.channel_preference
SELECT customer_id, omni.channel_preference(channel, engaged, sent_at) AS pref
FROM :s.responses
GROUP BY customer_id ORDER BY customer_id;

-- name: bgbb_summary_per_customer
-- pushdown: yes omni.bgbb_summary
SELECT customer_id, omni.bgbb_summary(sent_at, engaged) AS s
FROM :s.responses WHERE channel = 'email'
GROUP BY customer_id ORDER BY customer_id;

-- name: best_send_time_per_customer
-- pushdown: yes omni.best_send_time
SELECT customer_id, omni.best_send_time(engaged_at) AS state
FROM :s.responses
GROUP BY customer_id ORDER BY customer_id;

-- a text constant among the arguments (here the time zone) keeps postgres_fdw from shipping the
-- call: it cannot prove the constant's collation the same on the remote side; a text column
-- (like channel above) is shipped
-- name: best_send_time_zone_constant
-- pushdown: no omni.best_send_time
SELECT customer_id, omni.best_send_time(engaged_at, 'Europe/Dublin') AS state
FROM :s.responses
GROUP BY customer_id ORDER BY customer_id;

-- name: contact_pressure_per_customer
-- pushdown: yes omni.contact_pressure
SELECT customer_id, omni.contact_pressure(sent_at, engaged, timestamptz '2025-10-20 12:00+00', interval '8 weeks') AS pressure
FROM :s.responses
GROUP BY customer_id ORDER BY customer_id;

-- name: rate_per_channel
-- pushdown: no omni.rate_agg
SELECT channel, omni.rate_agg(engaged) AS hits
FROM :s.responses
GROUP BY channel ORDER BY channel;
