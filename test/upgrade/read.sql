-- Run before and after ALTER EXTENSION omni UPDATE by scripts/test-upgrade.sh: the output
-- must not change.  Only what the released version could already read is selected.
SET TimeZone = 'UTC';
SET extra_float_digits = 3;
SELECT day, channel, opens::text, omni.hits(opens), omni.trials(opens), omni.value(opens),
       omni.ci_lower(opens), omni.ci_upper(opens)
FROM stored_rates ORDER BY 1, 2, 3;
SELECT channel, omni.rollup(opens)::text FROM stored_rates WHERE day < 3 GROUP BY 1 ORDER BY 1;
SELECT omni.p_value('120/1000', opens) FROM stored_rates WHERE day = 4;
SELECT 'stored' AS source, message_id, day, (o).sent, (o).delivered, (o).bounced, (o).opened,
       (o).human_opened, (o).machine_opened, (o).clicked, (o).human_clicked, (o).converted,
       (o).replied, (o).unsubscribed, (o).complained, (o).first_delivered_at,
       (o).first_human_open_at, (o).first_human_click_at, (o).opens, (o).human_opens, (o).clicks,
       (o).human_clicks
FROM (SELECT message_id, day, omni.outcome(state) AS o FROM stored_message_states) s
UNION ALL
SELECT 'merged', message_id, NULL, (o).sent, (o).delivered, (o).bounced, (o).opened,
       (o).human_opened, (o).machine_opened, (o).clicked, (o).human_clicked, (o).converted,
       (o).replied, (o).unsubscribed, (o).complained, (o).first_delivered_at,
       (o).first_human_open_at, (o).first_human_click_at, (o).opens, (o).human_opens, (o).clicks,
       (o).human_clicks
FROM (SELECT message_id, omni.outcome(omni.rollup(state)) AS o
      FROM stored_message_states GROUP BY 1) m
ORDER BY 1, 2, 3;
SELECT 'stored outcome' AS source, message_id, day, (o).sent, (o).delivered, (o).bounced, (o).opened,
       (o).human_opened, (o).machine_opened, (o).clicked, (o).human_clicked, (o).converted,
       (o).replied, (o).unsubscribed, (o).complained, (o).first_delivered_at,
       (o).first_human_open_at, (o).first_human_click_at, (o).opens, (o).human_opens, (o).clicks,
       (o).human_clicks
FROM stored_outcomes ORDER BY 2, 3;
-- before the update the keys do not exist, after it they hold JSON null: either way ->> gives
-- NULL, and no stored outcome may have a time in them
SELECT count(*) AS stored_outcomes_with_new_times FROM stored_outcomes
WHERE num_nonnulls(to_jsonb(o) ->> 'first_sent_at', to_jsonb(o) ->> 'first_bounced_at',
                   to_jsonb(o) ->> 'first_converted_at', to_jsonb(o) ->> 'first_replied_at',
                   to_jsonb(o) ->> 'first_unsubscribed_at', to_jsonb(o) ->> 'first_complained_at') > 0;
