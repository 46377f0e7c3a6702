-- Per subscriber, for BI tools: is this subscriber still reading, and how many of the next
-- ten emails will they read?  Plain columns, the model read from its table.
{{ config(materialized='view') }}

SELECT s.customer_id, s.n AS emails_sent, s.frequency AS emails_read, s.recency AS last_read_send,
       omni.p_alive(m.model, s.frequency, s.recency, s.n) AS p_alive,
       omni.expected_events(m.model, 10, s.frequency, s.recency, s.n) AS reads_in_next_10,
       m.fitted_as_of
FROM {{ ref('reading_summaries') }} AS s
CROSS JOIN {{ ref('reading_model') }} AS m
