-- One row per message sent up to var("as_of"), with whether and when the customer responded:
-- a human open or click (never a privacy-proxy prefetch or a link scanner), a conversion or a
-- reply, judged by omni.message_outcome from the message's events up to var("as_of").  The
-- base of the channel, send-time and contact-pressure models.
{{ config(materialized='table') }}

SELECT m.message_id, m.customer_id, m.channel, m.sent_at,
       coalesce((e.o).human_opened OR (e.o).human_clicked OR (e.o).converted OR (e.o).replied, false) AS engaged,
       least((e.o).first_human_open_at, (e.o).first_human_click_at,
             (e.o).first_converted_at, (e.o).first_replied_at) AS engaged_at,
       coalesce((e.o).unsubscribed, false) AS unsubscribed
FROM {{ source('crm', 'messages') }} AS m
LEFT JOIN (SELECT message_id, omni.message_outcome(event_type, occurred_at, user_agent) AS o
           FROM {{ source('crm', 'message_events') }}
           WHERE occurred_at <= timestamptz '{{ var("as_of") }}'
           GROUP BY message_id) AS e USING (message_id)
WHERE m.sent_at <= timestamptz '{{ var("as_of") }}'
