-- test/citus/load.sql — fills schema shop from the demo sample (schema demo), then the derived
-- tables, in the single-node database and on Citus alike.  On Citus the derived tables are
-- INSERT ... SELECTs between colocated tables: each worker computes its shards' rows.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
INSERT INTO shop.channels VALUES ('email', 'open'), ('push', 'open'), ('sms', 'click'), ('web', 'click');
INSERT INTO shop.campaigns
SELECT DISTINCT campaign,
       CASE WHEN campaign LIKE 'welcome%' OR campaign = 'abandoned_cart' THEN 'lifecycle' ELSE 'marketing' END
FROM demo.messages;
INSERT INTO shop.customers SELECT * FROM demo.customers;
INSERT INTO shop.messages
SELECT customer_id, message_id, channel, campaign, sent_at, delivered_at, bounced FROM demo.messages;
INSERT INTO shop.message_events
SELECT m.customer_id, e.event_id, e.message_id, e.recipient, e.event_type, e.occurred_at, e.user_agent, e.esp_machine_flag
FROM demo.message_events e JOIN demo.messages m USING (message_id);
INSERT INTO shop.contacts SELECT * FROM demo.contacts;

INSERT INTO shop.outcomes
SELECT m.customer_id, m.message_id, m.channel, m.campaign, m.sent_at, NOT m.bounced, x.o
FROM shop.messages m
JOIN (SELECT customer_id, message_id,
             omni.message_outcome(event_type, occurred_at, user_agent, esp_machine_flag) AS o
      FROM shop.message_events GROUP BY customer_id, message_id) x USING (customer_id, message_id);

INSERT INTO shop.daily_rates
SELECT r.customer_id, (r.sent_at AT TIME ZONE 'UTC')::date, r.channel, omni.rate_agg(r.engaged)
FROM shop.responses r
GROUP BY 1, 2, 3;

INSERT INTO shop.daily_message_states
SELECT customer_id, message_id, (occurred_at AT TIME ZONE 'UTC')::date,
       omni.message_state_agg(event_type, occurred_at, user_agent, esp_machine_flag)
FROM shop.message_events
GROUP BY 1, 2, 3;

INSERT INTO shop.priors
SELECT (SELECT omni.channel_prior(channel, engaged) FROM shop.responses),
       (SELECT omni.send_time_prior(r.engaged_at, c.time_zone)
          FROM shop.responses r JOIN shop.customers c USING (customer_id));
