-- test/citus/fdw_setup.sql — Postgres' own sharding, where Citus is not available: in the
-- single-node database, tables partitioned by hash of customer_id whose two partitions are
-- postgres_fdw foreign tables on two other servers (test/citus/fdw_shard.sql made them).  omni
-- is named in each server's extensions option, so postgres_fdw may send its functions and
-- aggregates to the shards.  psql variables: host, s0, s1 (the shards' ports).
SET client_min_messages = warning;
CREATE SCHEMA fdw;
CREATE SERVER shard0 FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host :'host', port :'s0', dbname 'omni_shard', extensions 'omni', use_remote_estimate 'true', batch_size '1000', fetch_size '10000');
CREATE SERVER shard1 FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host :'host', port :'s1', dbname 'omni_shard', extensions 'omni', use_remote_estimate 'true', batch_size '1000', fetch_size '10000');
CREATE USER MAPPING FOR CURRENT_USER SERVER shard0;
CREATE USER MAPPING FOR CURRENT_USER SERVER shard1;

CREATE TABLE fdw.message_events (
    customer_id      integer     NOT NULL,
    event_id         bigint      NOT NULL,
    message_id       bigint      NOT NULL,
    recipient        text        NOT NULL,
    event_type       text        NOT NULL,
    occurred_at      timestamptz NOT NULL,
    user_agent       text,
    esp_machine_flag boolean
) PARTITION BY HASH (customer_id);
CREATE FOREIGN TABLE fdw.message_events_0 PARTITION OF fdw.message_events
    FOR VALUES WITH (MODULUS 2, REMAINDER 0) SERVER shard0 OPTIONS (schema_name 'shop', table_name 'message_events');
CREATE FOREIGN TABLE fdw.message_events_1 PARTITION OF fdw.message_events
    FOR VALUES WITH (MODULUS 2, REMAINDER 1) SERVER shard1 OPTIONS (schema_name 'shop', table_name 'message_events');

CREATE TABLE fdw.responses (
    customer_id  integer     NOT NULL,
    message_id   bigint      NOT NULL,
    channel      text        NOT NULL,
    sent_at      timestamptz NOT NULL,
    engaged      boolean     NOT NULL,
    engaged_at   timestamptz,
    unsubscribed boolean     NOT NULL
) PARTITION BY HASH (customer_id);
CREATE FOREIGN TABLE fdw.responses_0 PARTITION OF fdw.responses
    FOR VALUES WITH (MODULUS 2, REMAINDER 0) SERVER shard0 OPTIONS (schema_name 'shop', table_name 'responses');
CREATE FOREIGN TABLE fdw.responses_1 PARTITION OF fdw.responses
    FOR VALUES WITH (MODULUS 2, REMAINDER 1) SERVER shard1 OPTIONS (schema_name 'shop', table_name 'responses');

-- rows inserted into a parent go to their shard
INSERT INTO fdw.message_events SELECT * FROM shop.message_events;
INSERT INTO fdw.responses SELECT customer_id, message_id, channel, sent_at, engaged, engaged_at, unsubscribed FROM shop.responses;
ANALYZE fdw.message_events_0, fdw.message_events_1, fdw.responses_0, fdw.responses_1;
