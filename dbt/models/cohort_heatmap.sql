-- The cohort x month-since-acquisition x channel open-rate grid, flat and gap-filled, for a
-- BI heat map: one row per cell; observable = the period has started by as_of (a missing
-- figure there is a real zero), complete = the period has ended (the figure is final).
{{ config(materialized='view') }}

WITH cells AS (
    SELECT cohort_start,
           omni.cohort_period(cohort_start, day, '1 month', 'UTC') AS period_number,
           channel,
           omni.rollup(opens) AS opens
    FROM {{ ref('daily_open_states') }}
    GROUP BY 1, 2, 3
),
channels AS (
    SELECT DISTINCT channel FROM {{ ref('daily_open_states') }}
),
grid AS (
    SELECT g.*
    FROM (SELECT min(cohort_start) AS first_cohort, max(cohort_start) AS last_cohort
          FROM {{ ref('daily_open_states') }}) AS bounds
    CROSS JOIN LATERAL omni.cohort_grid(bounds.first_cohort, bounds.last_cohort,
                                        '1 month', '1 month',
                                        timestamptz '{{ var("as_of") }}', 'UTC') AS g
)
SELECT grid.cohort_start,
       grid.period_number,
       channels.channel,
       s.trials AS delivered,
       s.hits AS opens,
       s.value AS open_rate,
       s.ci_lower,
       s.ci_upper,
       grid.observable,
       grid.complete
FROM grid
CROSS JOIN channels
LEFT JOIN cells USING (cohort_start, period_number, channel)
LEFT JOIN LATERAL omni.summary(CASE WHEN grid.observable THEN coalesce(cells.opens, '0/0') END) AS s ON true
