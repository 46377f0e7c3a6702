-- Where and when to reach each customer, as plain columns a BI tool charts: the preferred
-- channel among those the customer has not unsubscribed from (recent behaviour weighs more: a
-- 90-day half-life) with the posterior probability that it truly is the best, the best local
-- hour of the week and of the day with its confidence, and the contact-pressure class over the
-- last 12 weeks.  The states are kept beside them, so other rankings (another exclude list,
-- omni.channel_scores through a LATERAL join) need no re-aggregation.
-- Send times are read in UTC here; with a time zone per customer pass it instead of 'UTC'.
{{ config(materialized='table') }}

WITH priors AS (
    SELECT channel_prior, send_time_prior FROM {{ ref('contact_priors') }}
), per_customer AS (
    SELECT r.customer_id,
           omni.channel_preference(r.channel, r.engaged, r.sent_at, (SELECT channel_prior FROM priors),
                                   timestamptz '{{ var("as_of") }}', interval '90 days') AS preference,
           coalesce(array_agg(DISTINCT r.channel) FILTER (WHERE r.unsubscribed), '{}') AS unsubscribed_channels,
           omni.best_send_time(r.engaged_at, 'UTC', (SELECT send_time_prior FROM priors)) AS send_time,
           omni.contact_pressure_state_agg(r.sent_at, r.engaged, timestamptz '{{ var("as_of") }}',
                                           interval '84 days') AS pressure_state
    FROM {{ ref('message_responses') }} AS r
    GROUP BY r.customer_id
)
SELECT customer_id,
       omni.preferred_channel(preference, unsubscribed_channels) AS preferred_channel,
       omni.channel_confidence(preference, unsubscribed_channels) AS channel_confidence,
       omni.best_hour_of_week(send_time) AS best_hour_of_week,
       omni.best_hour_of_day(send_time) AS best_hour_of_day,
       omni.send_time_confidence(send_time) AS send_time_confidence,
       (omni.contact_pressure(pressure_state)).pressure AS contact_pressure,
       unsubscribed_channels, preference, send_time, pressure_state
FROM per_customer
