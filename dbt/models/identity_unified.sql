-- The unified ID of every contact record, stable from run to run: each run resolves all the
-- identifiers again (omni.resolve_identities) and feeds the IDs this model stored last time
-- in as `previous`, so surviving clusters keep their IDs, merged clusters keep the larger
-- one's and new clusters get new ones (docs/identity.md, "Stable IDs").
-- Incremental with delete+insert on record_id: every current record is rewritten; a record
-- deleted from the sources stays as a tombstone (deleted = true, its last unified_id), which
-- also keeps its ID from ever being handed to another person.  Downstream models read
-- WHERE NOT deleted.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='record_id') }}

WITH previous AS (
    SELECT NULL::text AS query
{% if is_incremental() %}
    UNION ALL
    SELECT 'SELECT record_id, unified_id FROM {{ this }}'
{% endif %}
), resolved AS (
    SELECT *
    FROM omni.resolve_identities(
        $q$SELECT record_id, identifier_type, identifier_value FROM {{ ref('identity_identifiers') }}$q$,
        max_shared => 50,
        blocklist => ARRAY['test@test.com', 'noreply@example.com', '+15555550100'],
        max_per_type => '{"email": 5}',
        previous => (SELECT max(query) FROM previous))
)
SELECT record_id, unified_id, cluster_size, false AS deleted
FROM resolved
{% if is_incremental() %}
UNION ALL
SELECT t.record_id, t.unified_id, 0, true
FROM {{ this }} AS t
WHERE NOT EXISTS (SELECT FROM resolved AS r WHERE r.record_id = t.record_id)
{% endif %}
