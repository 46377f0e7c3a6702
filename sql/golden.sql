-- Golden profiles: the examples of docs/golden.md, with their output.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- one row per contact record: the person's unified_id (from omni.resolve_identities), the
-- source system, its trust (priority) and when the record was last updated
CREATE TABLE contact_records (record_id text, unified_id text, source text, priority int,
                              updated_at timestamptz, attrs jsonb);
INSERT INTO contact_records VALUES
    ('crm:1', 'crm:1', 'crm', 2, '2026-01-10',
     '{"email": "jane.doe@gmail.com", "name": "Jane Doe", "phone": "+14155550100", "ltv": 120,
       "first_seen": "2024-03-01", "email_opt_out": false, "tags": ["vip"],
       "address": {"city": "San Francisco", "zip": "94110"}}'),
    ('shop:77', 'crm:1', 'shop', 1, '2026-03-02',
     '{"email": "janedoe+shop@gmail.com", "name": "Jane D.", "phone": null, "ltv": 340.5,
       "first_seen": "2023-11-30", "email_opt_out": true, "tags": ["buyer", "vip"],
       "address": {"street": "18th St 3301", "zip": "94110-1234"}}'),
    ('support:9', 'crm:1', 'support', 0, '2026-02-14',
     '{"name": "Jane", "phone": "+1 415-555-0100", "language": "en", "tags": "complained"}'),
    ('crm:2', 'crm:2', 'crm', 2, '2025-12-01',
     '{"email": "bob@example.com", "name": "Bob Smith", "email_opt_out": false, "tags": []}');

-- the most recent non-null value of every key
SELECT unified_id, jsonb_pretty(omni.merge_profiles(attrs, updated_at)) AS profile
FROM contact_records GROUP BY unified_id ORDER BY unified_id;

-- the most trusted source first, then the most recent
SELECT unified_id, jsonb_pretty(omni.merge_profiles(attrs, updated_at, priority)) AS profile
FROM contact_records GROUP BY unified_id ORDER BY unified_id;

-- per-key rules: an opt-out anywhere wins, tags add up, first_seen is the earliest,
-- ltv the largest, the email the latest whatever its source
SELECT unified_id, jsonb_pretty(omni.merge_profiles(attrs, updated_at, priority,
           '{"email_opt_out": "any", "tags": "union", "first_seen": "earliest",
             "ltv": "max", "email": "latest"}')) AS profile
FROM contact_records GROUP BY unified_id ORDER BY unified_id;

-- lineage: where each value came from
SELECT jsonb_pretty(omni.merge_profiles_lineage(attrs, updated_at, source, priority,
           '{"email_opt_out": "any", "tags": "union"}')) AS lineage
FROM contact_records WHERE unified_id = 'crm:1';

-- one key's lineage as rows, for an audit
SELECT key, l -> 'value' AS value, l ->> 'source' AS source, l ->> 'at' AS at, l ->> 'rule' AS rule
FROM (SELECT omni.merge_profiles_lineage(attrs, updated_at, source, priority, '{"email_opt_out": "any"}') AS lin
      FROM contact_records WHERE unified_id = 'crm:1') x,
     jsonb_each(lin) AS e(key, l)
WHERE key <> 'address'
ORDER BY key;

-- typed columns
SELECT unified_id,
       omni.latest(attrs ->> 'name', updated_at) AS latest_name,
       omni.by_priority(attrs ->> 'name', priority, updated_at) AS trusted_name,
       omni.by_priority((attrs ->> 'ltv')::numeric, priority, updated_at) AS trusted_ltv
FROM contact_records GROUP BY unified_id ORDER BY unified_id;

-- two steps: one state per source, stored, merged later
CREATE TABLE profile_states AS
SELECT unified_id, source,
       omni.profile_state_agg(attrs, updated_at, source, priority, '{"tags": "union"}') AS state
FROM contact_records GROUP BY unified_id, source;
SELECT unified_id, omni.golden_profile(omni.rollup(state)) -> 'tags' AS tags
FROM profile_states GROUP BY unified_id ORDER BY unified_id;

-- NULLs
SELECT omni.merge_profiles(a, t) AS all_null_rows FROM (VALUES (NULL::jsonb, now())) v(a, t);
SELECT omni.merge_profiles(a, t) AS no_rows FROM (VALUES ('{"a": 1}'::jsonb, now())) v(a, t) WHERE false;

-- bad input
SELECT omni.merge_profiles('["not", "an", "object"]'::jsonb, now());
SELECT omni.merge_profiles('{"a": 1}'::jsonb, now(), 1, '{"a": "newest"}');
SELECT omni.merge_profiles('{"a": 1}'::jsonb, now(), 1, '"latest"');
SELECT omni.merge_profiles('{"optin": "yes"}'::jsonb, now(), 1, '{"optin": "all"}');

-- ---------------------------------------------------------------------------------------
-- Privacy requests (GDPR access and erasure): the recipe of docs/golden.md
-- ---------------------------------------------------------------------------------------
-- the identifiers of every record, normalised as identity resolution reads them, and the
-- unified IDs (in production: the identity_unified dbt model)
CREATE VIEW record_identifiers AS
SELECT record_id, 'email' AS identifier_type, omni.normalize_email(attrs ->> 'email') AS identifier_value
FROM contact_records
UNION ALL
SELECT record_id, 'phone', omni.normalize_phone(attrs ->> 'phone', 'US') FROM contact_records;
CREATE TABLE unified AS
SELECT record_id, unified_id FROM omni.resolve_identities('SELECT * FROM record_identifiers');

-- 1. the request names one email, as the person wrote it
\set request_email '  Jane.Doe+GDPR@GMail.com '
CREATE TEMP TABLE subject AS
SELECT DISTINCT u.unified_id
FROM record_identifiers i JOIN unified u USING (record_id)
WHERE i.identifier_type = 'email' AND i.identifier_value = omni.normalize_email(:'request_email');
SELECT * FROM subject;

-- 2. access: every record of the person in every source system
SELECT c.source, c.record_id, c.updated_at, c.attrs
FROM contact_records c JOIN unified u USING (record_id)
WHERE u.unified_id IN (SELECT unified_id FROM subject)
ORDER BY c.source, c.record_id;

-- 3. access: the golden profile, each value with the system and record date it came from
SELECT l.key, coalesce(k.key, '') AS subkey,
       coalesce(k.v, l.v) -> 'value' AS value,
       coalesce(k.v, l.v) ->> 'source' AS source,
       coalesce(k.v, l.v) ->> 'at' AS updated_at
FROM (SELECT omni.merge_profiles_lineage(c.attrs, c.updated_at, c.source, c.priority,
                                         '{"email_opt_out": "any", "tags": "union"}') AS lin
      FROM contact_records c JOIN unified u USING (record_id)
      WHERE u.unified_id IN (SELECT unified_id FROM subject)) g,
     jsonb_each(g.lin) AS l(key, v)
     LEFT JOIN LATERAL (SELECT key, value FROM jsonb_each(l.v -> 'keys')             -- a nested object's keys
                        UNION ALL
                        SELECT e ->> 'value', e FROM jsonb_array_elements(l.v -> 'elements') e -- a union's elements
                       ) AS k(key, v) ON true
ORDER BY 1, 2;

-- 4. erasure: what the person's records hold, kept only until the check below, then the
-- records deleted at every source, identities resolved again and the profiles rebuilt
CREATE TEMP TABLE erased_values AS
SELECT DISTINCT i.identifier_value AS value
FROM record_identifiers i JOIN unified u USING (record_id)
WHERE u.unified_id IN (SELECT unified_id FROM subject) AND i.identifier_value IS NOT NULL
UNION
SELECT DISTINCT c.attrs ->> 'name'
FROM contact_records c JOIN unified u USING (record_id)
WHERE u.unified_id IN (SELECT unified_id FROM subject) AND c.attrs ? 'name';
DELETE FROM contact_records c USING unified u
WHERE u.record_id = c.record_id AND u.unified_id IN (SELECT unified_id FROM subject);
CREATE TABLE unified_after AS
SELECT record_id, unified_id FROM omni.resolve_identities('SELECT * FROM record_identifiers',
                                                          previous => 'SELECT record_id, unified_id FROM unified');
CREATE TABLE golden_after AS
SELECT u.unified_id, omni.merge_profiles_lineage(c.attrs, c.updated_at, c.source, c.priority,
                                                 '{"email_opt_out": "any", "tags": "union"}') AS lineage
FROM contact_records c JOIN unified_after u USING (record_id) GROUP BY u.unified_id;

-- 5. the checks: no record, no unified ID, and no value of the person in any golden profile
-- (every leaf of every lineage, normalised like the identifiers)
SELECT (SELECT count(*) FROM contact_records c JOIN unified u USING (record_id)
        WHERE u.unified_id IN (SELECT unified_id FROM subject)) AS records_left,
       (SELECT count(*) FROM golden_after WHERE unified_id IN (SELECT unified_id FROM subject)) AS profiles_left,
       (SELECT count(*) FROM golden_after g,
               jsonb_path_query(g.lineage, '$.**.value ? (@.type() == "string")') AS v(j)
        WHERE v.j #>> '{}' IN (SELECT value FROM erased_values)
           OR omni.normalize_email(v.j #>> '{}') IN (SELECT value FROM erased_values)
           OR omni.normalize_phone(v.j #>> '{}', 'US') IN (SELECT value FROM erased_values)) AS values_left,
       (SELECT count(*) FROM golden_after) AS other_profiles;
DROP TABLE erased_values;

DROP VIEW record_identifiers;
DROP TABLE contact_records, unified, unified_after, golden_after, profile_states;
