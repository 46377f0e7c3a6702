-- The BG/BB model, fitted once per run over every subscriber (one row); views read it.
{{ config(materialized='table') }}

SELECT timestamptz '{{ var("as_of") }}' AS fitted_as_of,
       omni.bgbb_fit(frequency, recency, n) AS model
FROM {{ ref('reading_summaries') }}
