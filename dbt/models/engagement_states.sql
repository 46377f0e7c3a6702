-- One decayed engagement state per customer (30-day half-life, default weights), scored on
-- message outcomes so privacy-proxy prefetches and scanner clicks never count.
-- Incremental: each run ages the stored states to var("as_of") and adds only the outcome
-- events after the last run's as_of (messages touched since then are re-judged from all
-- their events, so an open's verdict still sees its delivery); the result equals a full
-- rebuild (tested to 1e-9).  Events that arrive late, timed before the last run, are not
-- added: run a full refresh after a backfill.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='customer_id') }}

WITH last_run AS (
    SELECT NULL::timestamptz AS as_of
{% if is_incremental() %}
    UNION ALL
    SELECT max(omni.as_of(state)) FROM {{ this }}
{% endif %}
), outcomes AS (
    SELECT m.customer_id, e.message_id,
           omni.message_outcome(e.event_type, e.occurred_at, e.user_agent) AS o
    FROM {{ source('crm', 'message_events') }} AS e
    JOIN {{ source('crm', 'messages') }} AS m USING (message_id)
    WHERE e.message_id IN (SELECT message_id FROM {{ source('crm', 'message_events') }}
                           WHERE occurred_at > coalesce((SELECT max(as_of) FROM last_run), '-infinity'))
    GROUP BY 1, 2
), added AS (
    SELECT customer_id,
           omni.engagement_state_agg(o, timestamptz '{{ var("as_of") }}', interval '30 days', NULL,
                                     (SELECT max(as_of) FROM last_run)) AS state
    FROM outcomes
    GROUP BY 1
), merged AS (
    SELECT customer_id, omni.age_to(omni.rollup(state), timestamptz '{{ var("as_of") }}') AS state
    FROM (SELECT customer_id, state FROM added
{% if is_incremental() %}
          UNION ALL
          SELECT customer_id, state FROM {{ this }}
{% endif %}
         ) s
    GROUP BY 1
)
SELECT customer_id, state, omni.score(state) AS score, omni.last_engaged_at(state) AS last_engaged_at
FROM merged
