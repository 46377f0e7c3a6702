-- test/citus/schema.sql — the demo sample (demo/sample.sql, loaded first into schema demo) as
-- a team on Citus keeps it, in schema shop: every large table carries the customer id, the
-- distribution column, so a customer's messages and events live on one node; the small
-- dimension tables are copied to every node.  scripts/test-citus.sh runs this file in the
-- single-node database and in the Citus coordinator's; on Citus, distribute.sql then
-- distributes the tables, and load.sql fills them in both.
SET client_min_messages = warning;
CREATE SCHEMA shop;

-- dimensions (reference tables on Citus)
CREATE TABLE shop.channels (
    channel text PRIMARY KEY,
    signal  text NOT NULL        -- the channel's engagement signal: open (email, push) or click (sms, web)
);
CREATE TABLE shop.campaigns (
    campaign text PRIMARY KEY,
    kind     text NOT NULL       -- lifecycle (triggered) or marketing (scheduled)
);

-- facts (distributed by customer_id on Citus, colocated)
CREATE TABLE shop.customers (
    customer_id   integer     NOT NULL PRIMARY KEY,
    first_seen_at timestamptz NOT NULL,
    signup_source text        NOT NULL,
    country       text        NOT NULL,
    time_zone     text        NOT NULL
);
CREATE TABLE shop.messages (
    customer_id  integer     NOT NULL,
    message_id   bigint      NOT NULL,
    channel      text        NOT NULL,
    campaign     text        NOT NULL,
    sent_at      timestamptz NOT NULL,
    delivered_at timestamptz,
    bounced      boolean     NOT NULL,
    PRIMARY KEY (customer_id, message_id)
);
-- the raw event log with the customer id added (joined from messages when loading), so that
-- events and messages are colocated
CREATE TABLE shop.message_events (
    customer_id      integer     NOT NULL,
    event_id         bigint      NOT NULL,
    message_id       bigint      NOT NULL,
    recipient        text        NOT NULL,
    event_type       text        NOT NULL,
    occurred_at      timestamptz NOT NULL,
    user_agent       text,
    esp_machine_flag boolean,
    PRIMARY KEY (customer_id, event_id)
);
-- contacts are keyed by each source system's record id: which records are one person is what
-- identity resolution finds out, so on Citus they are distributed by record_id, and one
-- person's records land on different nodes
CREATE TABLE shop.contacts (
    record_id     text        NOT NULL PRIMARY KEY,
    source_system text        NOT NULL,
    customer_id   integer     NOT NULL,   -- the hidden truth of the sample, unused by resolution
    email         text,
    phone         text,
    name          text,
    updated_at    timestamptz NOT NULL
);

-- derived tables a dbt project materialises (distributed by customer_id on Citus)
-- one row per message: its outcome, judged from the raw events
CREATE TABLE shop.outcomes (
    customer_id integer     NOT NULL,
    message_id  bigint      NOT NULL,
    channel     text        NOT NULL,
    campaign    text        NOT NULL,
    sent_at     timestamptz NOT NULL,
    delivered   boolean     NOT NULL,
    o           omni.message_outcome,
    PRIMARY KEY (customer_id, message_id)
);
-- stored states: per customer, UTC day and channel, the human engagement rate of the messages
-- sent that day and each message's event state of that day
CREATE TABLE shop.daily_rates (
    customer_id integer   NOT NULL,
    day         date      NOT NULL,
    channel     text      NOT NULL,
    hits        omni.rate NOT NULL,
    PRIMARY KEY (customer_id, day, channel)
);
CREATE TABLE shop.daily_message_states (
    customer_id integer            NOT NULL,
    message_id  bigint             NOT NULL,
    day         date               NOT NULL,
    state       omni.message_state NOT NULL,
    PRIMARY KEY (customer_id, message_id, day)
);
-- the population's priors, computed once and copied to every node (a reference table)
CREATE TABLE shop.priors (
    channel_prior   omni.channel_prior   NOT NULL,
    send_time_prior omni.send_time_state NOT NULL
);

-- one row per delivered message: did the person respond on the channel's signal, when, and
-- did they unsubscribe from the channel
CREATE VIEW shop.responses AS
SELECT o.customer_id, o.message_id, o.channel, o.sent_at,
       coalesce(CASE ch.signal WHEN 'open' THEN (o.o).human_opened ELSE (o.o).human_clicked END, false) AS engaged,
       CASE ch.signal WHEN 'open' THEN (o.o).first_human_open_at ELSE (o.o).first_human_click_at END AS engaged_at,
       coalesce((o.o).unsubscribed, false) AS unsubscribed
FROM shop.outcomes o JOIN shop.channels ch USING (channel)
WHERE o.delivered;

-- every contact record's identifiers, normalised: the input of identity resolution (a record
-- whose email or phone is not one has a NULL value there, which links nothing)
CREATE VIEW shop.contact_identifiers AS
SELECT record_id, 'email' AS identifier_type, omni.normalize_email(email) AS identifier_value FROM shop.contacts
UNION ALL
SELECT record_id, 'phone', omni.normalize_phone(phone, 'US') FROM shop.contacts;
