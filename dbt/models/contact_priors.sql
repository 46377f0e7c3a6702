-- The population's priors, one row: each channel's response rate as a Beta prior of strength 10
-- (omni.channel_prior) and the population's engagement over the 168 local hours of the week
-- (omni.send_time_prior, in UTC here: use the zone your audience lives in).  Customers with
-- little history are shrunk toward these in customer_channels.
{{ config(materialized='table') }}

SELECT (SELECT omni.channel_prior(channel, engaged) FROM {{ ref('message_responses') }}) AS channel_prior,
       (SELECT omni.send_time_prior(engaged_at, 'UTC') FROM {{ ref('message_responses') }}) AS send_time_prior,
       timestamptz '{{ var("as_of") }}' AS fitted_as_of
