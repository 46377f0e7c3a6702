-- Calendar week and month open and click rates per channel, rolled up from the daily
-- states with omni.rollup: the same counts as aggregating the raw messages of each week.
{{ config(materialized='table') }}

SELECT grain, period_start, channel,
       omni.trials(opens) AS delivered,
       omni.hits(opens) AS unique_opens,
       omni.value(opens) AS open_rate,
       omni.ci_lower(opens) AS open_rate_ci_lower,
       omni.ci_upper(opens) AS open_rate_ci_upper,
       omni.hits(clicks) AS unique_clicks,
       omni.value(clicks) AS click_rate,
       opens AS open_state,
       clicks AS click_state
FROM (
    SELECT 'week' AS grain, date_trunc('week', day, 'UTC') AS period_start, channel,
           omni.rollup(opens) AS opens, omni.rollup(clicks) AS clicks
    FROM {{ ref('daily_open_states') }}
    GROUP BY 2, 3
    UNION ALL
    SELECT 'month', date_trunc('month', day, 'UTC'), channel,
           omni.rollup(opens), omni.rollup(clicks)
    FROM {{ ref('daily_open_states') }}
    GROUP BY 2, 3
) AS rolled
