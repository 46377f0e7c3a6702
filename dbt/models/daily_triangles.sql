-- One omni.cohort_triangle per day and channel: the whole cohort x month-since-acquisition
-- table of open rates sent that day, in one stored value.  omni.rollup over any range of days
-- gives exactly the triangle of the raw rows of those days (counts are added).  Incremental
-- like daily_open_states: the last stored days are recomputed and replaced whole.
{{ config(materialized='incremental', incremental_strategy='delete+insert',
          unique_key=['day', 'channel']) }}

SELECT date_trunc('day', m.sent_at, 'UTC') AS day,
       m.channel,
       omni.cohort_triangle(c.first_seen_at, m.sent_at, m.opened, '1 month', '1 month', 'cohort', 'UTC')
           FILTER (WHERE m.delivered) AS opens
FROM {{ source('crm', 'messages') }} AS m
JOIN {{ source('crm', 'customers') }} AS c USING (customer_id)
{% if is_incremental() %}
WHERE m.sent_at >= (SELECT max(day) - interval '2 days' FROM {{ this }})
{% endif %}
GROUP BY 1, 2
