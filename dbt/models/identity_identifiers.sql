-- One row per identifier of every contact record, normalised, the input of identity_unified.
-- Emails through omni.normalize_email (Gmail dots and +tags, case, spaces), phones to E.164
-- in the contact's country; values that are not an email or a phone come out NULL and link
-- nothing (the record still gets a unified ID of its own).
{{ config(materialized='view') }}

SELECT record_id, 'email' AS identifier_type, omni.normalize_email(email) AS identifier_value
FROM {{ source('crm', 'contacts') }}
UNION ALL
SELECT record_id, 'phone', omni.normalize_phone(phone, coalesce(country, 'US'))
FROM {{ source('crm', 'contacts') }}
UNION ALL
SELECT record_id, 'loyalty', loyalty_id
FROM {{ source('crm', 'contacts') }}
