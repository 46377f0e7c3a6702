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
