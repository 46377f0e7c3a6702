-- test/citus/fdw_shard.sql — on each postgres_fdw shard (a plain PostgreSQL with omni): the
-- tables that hold its part of the data.  test/citus/fdw_setup.sql makes them the partitions
-- of hash-partitioned parents.
SET client_min_messages = warning;
CREATE SCHEMA shop;
CREATE TABLE shop.message_events (
    customer_id      integer     NOT NULL,
    event_id         bigint      NOT NULL,
    message_id       bigint      NOT NULL,
    recipient        text        NOT NULL,
    event_type       text        NOT NULL,
    occurred_at      timestamptz NOT NULL,
    user_agent       text,
    esp_machine_flag boolean
);
CREATE TABLE shop.responses (
    customer_id  integer     NOT NULL,
    message_id   bigint      NOT NULL,
    channel      text        NOT NULL,
    sent_at      timestamptz NOT NULL,
    engaged      boolean     NOT NULL,
    engaged_at   timestamptz,
    unsubscribed boolean     NOT NULL
);
