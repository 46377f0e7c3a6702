-- One omni.rate partial state per day, cohort and channel: the table everything rolls up from.
-- Incremental: each run recomputes the last stored days (late events land there) and
-- replaces them whole (delete+insert on the key), so an incremental table always equals a
-- full rebuild over the same source rows.
{{ config(materialized='incremental', incremental_strategy='delete+insert',
          unique_key=['day', 'cohort_start', 'channel']) }}

SELECT date_trunc('day', m.sent_at, 'UTC') AS day,
       date_trunc('month', c.first_seen_at, 'UTC') AS cohort_start,
       m.channel,
       omni.rate_agg(m.opened) FILTER (WHERE m.delivered) AS opens,
       omni.rate_agg(m.clicked) FILTER (WHERE m.delivered) AS clicks,
       omni.rate_agg(m.delivered) AS deliveries
FROM {{ source('crm', 'messages') }} AS m
JOIN {{ source('crm', 'customers') }} AS c USING (customer_id)
{% if is_incremental() %}
WHERE m.sent_at >= (SELECT max(day) - interval '2 days' FROM {{ this }})
{% endif %}
GROUP BY 1, 2, 3
