-- Each subscriber's BG/BB input as of var("as_of"): every email sent is one chance to
-- respond; a response is a person's open or click (message outcomes, so Apple's proxy
-- prefetches never make a lapsed subscriber look alive).
{{ config(materialized='table') }}

WITH outcomes AS (
    SELECT m.customer_id, m.message_id, m.sent_at,
           omni.message_outcome(e.event_type, e.occurred_at, e.user_agent) AS o
    FROM {{ source('crm', 'messages') }} AS m
    JOIN {{ source('crm', 'message_events') }} AS e USING (message_id)
    WHERE m.sent_at <= timestamptz '{{ var("as_of") }}'
      AND e.occurred_at <= timestamptz '{{ var("as_of") }}'
    GROUP BY 1, 2, 3
)
SELECT customer_id,
       (omni.bgbb_summary(sent_at, (o).human_opened OR (o).human_clicked)).*
FROM outcomes
GROUP BY customer_id
