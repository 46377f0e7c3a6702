-- test/citus/queries.sql — every capability's main queries, run by scripts/test-citus.sh on the
-- single-node database and on the Citus cluster: the two outputs must be identical, byte for
-- byte, and EXPLAIN VERBOSE on Citus must show where the aggregate ran.
--
-- Each query is a block that starts with two comment lines:
--   -- name: <unique name>
--   -- expect: whole <aggregate>   grouped by the distribution column: the aggregate runs whole
--                                  inside the worker tasks (the task's SQL calls it), and no
--                                  worker_partial_agg / coord_combine_agg is needed
--   -- expect: partial <aggregate> grouped by anything else: the workers compute partial states
--                                  (worker_partial_agg(<aggregate>, ...)), the coordinator merges
--                                  them (coord_combine_agg)
-- followed by one SELECT ending in ';' with an ORDER BY that fixes the row order.  Adding a
-- capability is adding blocks here.  All times are UTC; as_of is the sample's export moment.

-- ---------------------------------------------------------------------------- rates, cohorts
-- name: rate_per_customer
-- expect: whole omni.rate_agg
SELECT customer_id, omni.rate_agg(engaged) AS hits, omni.value(omni.rate_agg(engaged)),
       omni.ci_lower(omni.rate_agg(engaged)), omni.ci_upper(omni.rate_agg(engaged))
FROM shop.responses
WHERE channel = 'email'
GROUP BY customer_id
ORDER BY customer_id;

-- name: rate_per_channel
-- expect: partial omni.rate_agg
SELECT o.channel, ch.signal,
       omni.rate_agg(CASE ch.signal WHEN 'open' THEN (o.o).opened ELSE (o.o).clicked END) FILTER (WHERE o.delivered) AS raw,
       omni.rate_agg(CASE ch.signal WHEN 'open' THEN (o.o).human_opened ELSE (o.o).human_clicked END) FILTER (WHERE o.delivered) AS human
FROM shop.outcomes o JOIN shop.channels ch USING (channel)
GROUP BY o.channel, ch.signal
ORDER BY o.channel;

-- name: rate_per_cohort_period_channel
-- expect: partial omni.rate_agg
SELECT date_trunc('month', c.first_seen_at AT TIME ZONE 'UTC') AS cohort_month,
       omni.cohort_period(date_trunc('month', c.first_seen_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', r.sent_at, '1 month', 'UTC') AS period,
       r.channel, omni.rate_agg(r.engaged) AS hits
FROM shop.responses r JOIN shop.customers c USING (customer_id)
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3;

-- name: cohort_grid_gap_filled
-- expect: partial omni.rate_agg
WITH cells AS (
    SELECT date_trunc('month', c.first_seen_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS cohort_start,
           omni.cohort_period(date_trunc('month', c.first_seen_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', r.sent_at, '1 month', 'UTC') AS period_number,
           r.channel, omni.rate_agg(r.engaged) AS hits
    FROM shop.responses r JOIN shop.customers c USING (customer_id)
    GROUP BY 1, 2, 3
)
SELECT g.cohort_start, g.period_number, ch.channel, g.observable, g.complete, cells.hits, omni.value(cells.hits)
FROM omni.cohort_grid('2025-03-01 00:00+00', '2025-10-01 00:00+00', '1 month', '1 month', '2025-10-20 12:00+00', 'UTC') AS g
CROSS JOIN (VALUES ('email'), ('push'), ('sms'), ('web')) AS ch(channel)
LEFT JOIN cells USING (cohort_start, period_number, channel)
ORDER BY 1, 2, 3;

-- name: cohort_triangle_per_channel
-- expect: partial omni.cohort_triangle
SELECT t.channel, cell.cohort_start, cell.period_number, cell.rate, cell.observable, cell.complete
FROM (SELECT r.channel, omni.cohort_triangle(c.first_seen_at, r.sent_at, r.engaged, '1 month', '1 month', 'cohort', 'UTC') AS tri
      FROM shop.responses r JOIN shop.customers c USING (customer_id)
      GROUP BY r.channel) t,
     omni.cohort_cells(t.tri, '2025-10-20 12:00+00') AS cell
ORDER BY 1, 2, 3;

-- name: cohort_triangle_since_signup_per_customer
-- expect: whole omni.cohort_triangle
SELECT r.customer_id, omni.cohort_triangle(c.first_seen_at, r.sent_at, r.engaged, '1 month', '1 week', 'customer', 'Europe/Dublin')::text
FROM shop.responses r JOIN shop.customers c USING (customer_id)
GROUP BY r.customer_id
ORDER BY 1;

-- name: rate_per_campaign_kind_ab_test
-- expect: partial omni.rate_agg
SELECT k.kind, omni.rate_agg(r.engaged) FILTER (WHERE o.campaign = 'autumn_launch_A') AS a,
       omni.rate_agg(r.engaged) FILTER (WHERE o.campaign = 'autumn_launch_B') AS b,
       omni.p_value(omni.rate_agg(r.engaged) FILTER (WHERE o.campaign = 'autumn_launch_A'),
                    omni.rate_agg(r.engaged) FILTER (WHERE o.campaign = 'autumn_launch_B')) AS z_p,
       omni.fisher_p_value(omni.rate_agg(r.engaged) FILTER (WHERE o.campaign = 'autumn_launch_A'),
                           omni.rate_agg(r.engaged) FILTER (WHERE o.campaign = 'autumn_launch_B')) AS fisher_p,
       omni.rate_agg(r.engaged) AS everyone
FROM shop.responses r
JOIN shop.outcomes o USING (customer_id, message_id)
JOIN shop.campaigns k ON k.campaign = o.campaign
GROUP BY k.kind
ORDER BY k.kind;

-- name: rate_per_country_shrunk
-- expect: partial omni.rate_agg
SELECT c.country, omni.rate_agg(r.engaged) AS hits,
       omni.shrink(omni.rate_agg(r.engaged), 0.3, 50) AS shrunk
FROM shop.responses r JOIN shop.customers c USING (customer_id)
WHERE r.channel = 'email'
GROUP BY c.country
ORDER BY c.country COLLATE "C";

-- ------------------------------------------------- stored states: daily omni.rate, rolled up
-- name: daily_rates_rolled_up_per_channel_month
-- expect: partial omni.rollup
SELECT channel, date_trunc('month', day::timestamp) AS month, omni.rollup(hits) AS hits, count(*) AS stored_rows
FROM shop.daily_rates
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: daily_rates_rolled_up_per_week
-- expect: partial omni.rollup
SELECT date_trunc('week', day::timestamp) AS week, omni.rollup(hits) AS hits, omni.value(omni.rollup(hits))
FROM shop.daily_rates
GROUP BY 1
ORDER BY 1;

-- name: cohort_triangle_from_daily_counts_per_channel
-- expect: partial omni.cohort_triangle
SELECT t.channel, cell.cohort_start, cell.period_number, cell.rate
FROM (SELECT d.channel, omni.cohort_triangle(c.first_seen_at, d.day::timestamp AT TIME ZONE 'UTC',
                                             omni.hits(d.hits), omni.trials(d.hits),
                                             '1 month', '1 month', 'cohort', 'UTC') AS tri
      FROM shop.daily_rates d JOIN shop.customers c USING (customer_id)
      GROUP BY d.channel) t,
     omni.cohort_cells(t.tri) AS cell
ORDER BY 1, 2, 3;

-- name: daily_rates_rolled_up_per_customer
-- expect: whole omni.rollup
SELECT customer_id, channel, omni.rollup(hits) AS hits
FROM shop.daily_rates
GROUP BY 1, 2
ORDER BY 1, 2;

-- ----------------------------------------------------------------------- message outcomes
-- name: message_outcome_per_message
-- expect: whole omni.message_outcome
SELECT customer_id, message_id, omni.message_outcome(event_type, occurred_at, user_agent, esp_machine_flag) AS o
FROM shop.message_events
GROUP BY customer_id, message_id
ORDER BY customer_id, message_id;

-- name: message_outcome_grouped_by_message_id_only
-- expect: partial omni.message_outcome
SELECT message_id, omni.message_outcome(event_type, occurred_at, user_agent, esp_machine_flag) AS o
FROM shop.message_events
GROUP BY message_id
ORDER BY message_id;

-- name: message_outcome_per_campaign_channel
-- expect: partial omni.message_state_agg
SELECT m.campaign, m.channel, omni.message_state_agg(e.event_type, e.occurred_at, e.user_agent, e.esp_machine_flag) AS state
FROM shop.message_events e JOIN shop.messages m USING (customer_id, message_id)
GROUP BY 1, 2
ORDER BY 1, 2;

-- ------------------------------------------- stored states: daily omni.message_state, rolled up
-- name: daily_message_states_rolled_up_per_message
-- expect: whole omni.rollup
SELECT customer_id, message_id, count(*) AS days, omni.outcome(omni.rollup(state)) AS o
FROM shop.daily_message_states
GROUP BY customer_id, message_id
ORDER BY customer_id, message_id;

-- name: daily_message_states_rolled_up_per_day_across_nodes
-- expect: partial omni.rollup
SELECT day, omni.rollup(state) AS state
FROM shop.daily_message_states
GROUP BY day
ORDER BY day;

-- name: outcomes_table
-- expect: whole omni.rollup
SELECT s.customer_id, s.message_id, o.o, omni.outcome(omni.rollup(s.state)) = o.o AS equal_to_rollup
FROM shop.daily_message_states s JOIN shop.outcomes o USING (customer_id, message_id)
GROUP BY s.customer_id, s.message_id, o.o
ORDER BY s.customer_id, s.message_id;

-- ---------------------------------------------------------------------------- engagement
-- name: engagement_score_raw_events_per_customer
-- expect: whole omni.engagement_score
SELECT customer_id, omni.engagement_score(event_type, occurred_at, timestamptz '2025-10-20 12:00+00') AS score
FROM shop.message_events
GROUP BY customer_id
ORDER BY customer_id;

-- name: engagement_score_and_profile_per_customer
-- expect: whole omni.engagement_profile
SELECT customer_id, omni.engagement_score(o, timestamptz '2025-10-20 12:00+00') AS score,
       omni.engagement_profile(o, timestamptz '2025-10-20 12:00+00') FILTER (WHERE channel = 'email') AS profile
FROM shop.outcomes
GROUP BY customer_id
ORDER BY customer_id;

-- name: engagement_state_per_country
-- expect: partial omni.engagement_state_agg
SELECT c.country, omni.engagement_state_agg(o.o, timestamptz '2025-10-20 12:00+00') AS state
FROM shop.outcomes o JOIN shop.customers c USING (customer_id)
GROUP BY c.country
ORDER BY c.country COLLATE "C";

-- name: engagement_states_rolled_up_and_aged
-- expect: partial omni.rollup
SELECT s.country, omni.score(omni.age_to(omni.rollup(s.state), '2025-10-20 12:00+00')) AS score
FROM (SELECT o.customer_id, c.country, omni.engagement_state_agg(o.o, timestamptz '2025-10-19 12:00+00') AS state
      FROM shop.outcomes o JOIN shop.customers c USING (customer_id)
      GROUP BY o.customer_id, c.country) s
GROUP BY s.country
ORDER BY s.country COLLATE "C";

-- ---------------------------------------------------------------------------------- btyd
-- name: bgbb_summary_per_customer
-- expect: whole omni.bgbb_summary
SELECT customer_id, omni.bgbb_summary(sent_at, engaged) AS s
FROM shop.responses
WHERE channel = 'email'
GROUP BY customer_id
ORDER BY customer_id;

-- name: btyd_summary_per_customer
-- expect: whole omni.btyd_summary
SELECT customer_id, omni.btyd_summary(engaged_at, timestamptz '2025-10-20 12:00+00', '1 day', 'UTC') AS s
FROM shop.responses
WHERE engaged
GROUP BY customer_id
ORDER BY customer_id;

-- name: bgbb_summary_per_country
-- expect: partial omni.bgbb_summary
SELECT c.country, omni.bgbb_summary(r.sent_at, r.engaged) AS s
FROM shop.responses r JOIN shop.customers c USING (customer_id)
WHERE r.channel = 'email'
GROUP BY c.country
ORDER BY c.country COLLATE "C";

-- name: bgbb_fit_per_signup_source
-- expect: partial omni.bgbb_fit
SELECT signup_source, omni.bgbb_fit((s).frequency, (s).recency, (s).n) AS model
FROM (SELECT r.customer_id, c.signup_source, omni.bgbb_summary(r.sent_at, r.engaged) AS s
      FROM shop.responses r JOIN shop.customers c USING (customer_id)
      WHERE r.channel = 'email'
      GROUP BY r.customer_id, c.signup_source) x
GROUP BY signup_source
ORDER BY signup_source;

-- name: bgnbd_fit_all_customers
-- expect: partial omni.bgnbd_fit
SELECT omni.bgnbd_fit((s).frequency, (s).recency, (s).t) AS model
FROM (SELECT customer_id, omni.btyd_summary(engaged_at, timestamptz '2025-10-20 12:00+00', '1 day', 'UTC') AS s
      FROM shop.responses WHERE engaged
      GROUP BY customer_id) x;

-- ---------------------------------------------------------------------- channel preference
-- name: channel_preference_prior_as_scalar_subquery
-- expect: whole omni.channel_preference
SELECT customer_id,
       omni.channel_preference(channel, engaged, sent_at, (SELECT channel_prior FROM shop.priors),
                               timestamptz '2025-10-20 12:00+00', interval '90 days') AS pref
FROM shop.responses
GROUP BY customer_id
ORDER BY customer_id;

-- name: channel_prior_population
-- expect: partial omni.channel_prior
SELECT omni.channel_prior(channel, engaged) AS prior, omni.channel_prior_json(omni.channel_prior(channel, engaged)) AS json
FROM shop.responses;

-- name: channel_preference_per_customer
-- expect: whole omni.channel_preference
SELECT r.customer_id,
       omni.channel_preference(r.channel, r.engaged, r.sent_at, p.channel_prior, timestamptz '2025-10-20 12:00+00', interval '90 days') AS pref,
       omni.preferred_channel(omni.channel_preference(r.channel, r.engaged, r.sent_at, p.channel_prior,
                                                      timestamptz '2025-10-20 12:00+00', interval '90 days')) AS preferred,
       omni.channel_confidence(omni.channel_preference(r.channel, r.engaged, r.sent_at, p.channel_prior,
                                                       timestamptz '2025-10-20 12:00+00', interval '90 days')) AS confidence
FROM shop.responses r CROSS JOIN shop.priors p
GROUP BY r.customer_id
ORDER BY r.customer_id;

-- name: channel_scores_per_customer_lateral
-- expect: whole omni.channel_preference
SELECT p.customer_id, s.*
FROM (SELECT customer_id, omni.channel_preference(channel, engaged, sent_at, (SELECT channel_prior FROM shop.priors),
                                                  timestamptz '2025-10-20 12:00+00', interval '90 days') AS pref
      FROM shop.responses GROUP BY customer_id) p
CROSS JOIN LATERAL omni.channel_scores(p.pref) s
ORDER BY p.customer_id, s.channel;

-- one customer: Citus routes the whole query to the one shard that holds the customer
-- name: one_customer_routed_to_its_shard
-- expect: whole omni.channel_preference
SELECT customer_id, omni.channel_preference(channel, engaged, sent_at, (SELECT channel_prior FROM shop.priors),
                                            timestamptz '2025-10-20 12:00+00', interval '90 days') AS pref
FROM shop.responses
WHERE customer_id = 42
GROUP BY customer_id
ORDER BY customer_id;

-- name: channel_preference_per_country
-- expect: partial omni.channel_preference
SELECT c.country, omni.channel_preference(r.channel, r.engaged) AS pref
FROM shop.responses r JOIN shop.customers c USING (customer_id)
GROUP BY c.country
ORDER BY c.country COLLATE "C";

-- ------------------------------------------------------------------- send time, pressure
-- name: send_time_prior_population
-- expect: partial omni.send_time_prior
SELECT omni.send_time_prior(r.engaged_at, c.time_zone) AS prior
FROM shop.responses r JOIN shop.customers c USING (customer_id);

-- name: best_send_time_per_customer
-- expect: whole omni.best_send_time
SELECT r.customer_id, omni.best_send_time(r.engaged_at, c.time_zone, p.send_time_prior) AS state,
       omni.best_hour_of_week(omni.best_send_time(r.engaged_at, c.time_zone, p.send_time_prior)) AS best_hour,
       omni.send_time_confidence(omni.best_send_time(r.engaged_at, c.time_zone, p.send_time_prior)) AS confidence
FROM shop.responses r JOIN shop.customers c USING (customer_id) CROSS JOIN shop.priors p
GROUP BY r.customer_id
ORDER BY r.customer_id;

-- name: best_send_time_per_time_zone
-- expect: partial omni.best_send_time
SELECT c.time_zone, omni.best_send_time(r.engaged_at, c.time_zone) AS state
FROM shop.responses r JOIN shop.customers c USING (customer_id)
GROUP BY c.time_zone
ORDER BY c.time_zone COLLATE "C";

-- name: contact_pressure_per_customer
-- expect: whole omni.contact_pressure
SELECT customer_id, omni.contact_pressure(sent_at, engaged, timestamptz '2025-10-20 12:00+00', interval '8 weeks') AS pressure
FROM shop.responses
GROUP BY customer_id
ORDER BY customer_id;

-- name: contact_pressure_states_per_channel
-- expect: partial omni.contact_pressure_state_agg
SELECT channel, omni.contact_pressure(omni.contact_pressure_state_agg(sent_at, engaged, timestamptz '2025-10-20 12:00+00')) AS pressure
FROM shop.responses
GROUP BY channel
ORDER BY channel;

-- ------------------------------------------------------------------------- golden profiles
-- contacts are distributed by record_id, so grouping by the sample's customer id (standing in
-- for the unified id) merges partial profile states from both workers on the coordinator
-- name: golden_profile_per_person
-- expect: partial omni.merge_profiles
SELECT customer_id,
       omni.merge_profiles(jsonb_build_object('email', email, 'phone', phone, 'name', name), updated_at,
                           CASE source_system WHEN 'crm' THEN 3 WHEN 'ecommerce' THEN 2 WHEN 'app' THEN 1 ELSE 0 END) AS profile
FROM shop.contacts
GROUP BY customer_id
ORDER BY customer_id;

-- name: golden_profile_lineage_with_rules
-- expect: partial omni.merge_profiles_lineage
SELECT customer_id,
       omni.merge_profiles_lineage(jsonb_build_object('email', email, 'phone', phone, 'name', name,
                                                      'first_seen', updated_at::date, 'sources', jsonb_build_array(source_system)),
                                   updated_at, source_system, 0,
                                   '{"first_seen": "earliest", "sources": "union", "email": "latest"}') AS lineage
FROM shop.contacts
GROUP BY customer_id
ORDER BY customer_id;

-- omni.latest and omni.by_priority are polymorphic (anyelement): Citus 13.2 cannot compute a
-- polymorphic aggregate as worker_partial_agg states ("worker_partial_agg_sfunc could not
-- confirm type correctness"), so they are tested grouped by the distribution column, where the
-- whole aggregate runs in the worker tasks (docs/scaling.md says what to do otherwise)
-- name: golden_latest_typed_per_customer
-- expect: whole omni.latest
SELECT customer_id, omni.latest(channel, sent_at) AS last_channel,
       omni.by_priority(message_id, CASE WHEN engaged THEN 1 ELSE 0 END, sent_at) AS last_engaged_message
FROM shop.responses
GROUP BY customer_id
ORDER BY customer_id;

-- name: golden_profile_per_record_whole
-- expect: whole omni.merge_profiles
SELECT record_id, omni.merge_profiles(jsonb_build_object('email', email, 'name', name), updated_at) AS profile
FROM shop.contacts
GROUP BY record_id
ORDER BY record_id;
