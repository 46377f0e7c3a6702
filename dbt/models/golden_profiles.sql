-- One golden profile per person: the attributes of every current record of a unified_id
-- (identity_unified, whose IDs stay stable from run to run because it feeds its own last run
-- in as `previous`) merged by survivorship rules (docs/golden.md): per key the value of the
-- most trusted system, then the most recent; an opt-out in any system wins; tags add up;
-- first-seen dates are the earliest; lifetime value the largest.  The lineage column says
-- where every value came from (audits, privacy requests).  Rebuilt in full on every run: a
-- person's profile changes whenever any of their records does, and an erased record must
-- leave no trace.
{{ config(materialized='table') }}

SELECT u.unified_id,
       omni.merge_profiles(a.attrs, a.updated_at, a.priority,
                           '{"email_opt_out": "any", "sms_consent": "all", "tags": "union",
                             "first_seen": "earliest", "ltv": "max"}') AS profile,
       omni.merge_profiles_lineage(a.attrs, a.updated_at, a.source_system, a.priority,
                                   '{"email_opt_out": "any", "sms_consent": "all", "tags": "union",
                                     "first_seen": "earliest", "ltv": "max"}') AS lineage,
       count(*) AS records
FROM {{ ref('identity_unified') }} AS u
JOIN {{ source('crm', 'contact_attributes') }} AS a USING (record_id)
WHERE NOT u.deleted
GROUP BY u.unified_id
