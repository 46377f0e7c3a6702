-- The golden-profile dbt model (dbt/models/golden_profiles.sql) on top of identity_unified,
-- rendered as dbt renders them (scripts/render-dbt.sh): a first run, then an incremental
-- identity run after records were deleted and added and a rebuild of the profiles.
\! mkdir -p test/.rendered
\! bash scripts/render-dbt.sh dbt/models/identity_identifiers.sql full analytics > test/.rendered/golden_identifiers.sql
\! bash scripts/render-dbt.sh dbt/models/identity_unified.sql full analytics > test/.rendered/golden_unified_first.sql
\! bash scripts/render-dbt.sh dbt/models/identity_unified.sql incremental analytics > test/.rendered/golden_unified_incremental.sql
\! bash scripts/render-dbt.sh dbt/models/golden_profiles.sql full analytics > test/.rendered/golden_profiles.sql
BEGIN;
SELECT plan(7);
SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

CREATE SCHEMA raw;
CREATE SCHEMA analytics;

-- 1,500 records of about 900 people in three systems; the attributes of each record
SELECT setseed(0.71);
CREATE TABLE raw.contacts AS
SELECT s || '-' || lpad(n::text, 5, '0') AS record_id,
       CASE WHEN random() < 0.85 THEN 'jane' || p || '@gmail.com' END AS email,
       CASE WHEN random() < 0.4 THEN '(415) 555-' || lpad((p % 10000)::text, 4, '0') END AS phone,
       'US' AS country, NULL::text AS loyalty_id, p AS person, s AS system, n
FROM (SELECT n, (ARRAY['crm', 'shop', 'support'])[1 + n % 3] AS s, 1 + floor(random() * 900)::int AS p
      FROM generate_series(1, 1500) AS n) x;
CREATE TABLE raw.contact_attributes AS
SELECT record_id, system AS source_system, (ARRAY[2, 1, 0])[1 + n % 3] AS priority,
       timestamptz '2025-01-01' + n * interval '1 hour' AS updated_at,
       jsonb_build_object('email', email, 'phone', phone, 'name', 'Person ' || person,
                          'email_opt_out', random() < 0.1, 'sms_consent', random() < 0.8,
                          'tags', jsonb_build_array(system), 'ltv', n % 500,
                          'first_seen', (date '2020-01-01' + n)::text) AS attrs
FROM raw.contacts;

\set identifiers `cat test/.rendered/golden_identifiers.sql`
CREATE VIEW analytics.identity_identifiers AS :identifiers;
\set unified `cat test/.rendered/golden_unified_first.sql`
CREATE TABLE analytics.identity_unified AS :unified;
\set golden `cat test/.rendered/golden_profiles.sql`
CREATE TABLE analytics.golden_profiles AS :golden;
CREATE TABLE run1 AS SELECT * FROM analytics.golden_profiles;

CREATE VIEW direct AS
SELECT u.unified_id,
       omni.merge_profiles(a.attrs, a.updated_at, a.priority,
                           '{"email_opt_out": "any", "sms_consent": "all", "tags": "union", "first_seen": "earliest", "ltv": "max"}') AS profile,
       count(*) AS records
FROM analytics.identity_unified u JOIN raw.contact_attributes a USING (record_id)
WHERE NOT u.deleted GROUP BY u.unified_id;

SELECT is((SELECT count(*) FROM analytics.golden_profiles),
          (SELECT count(DISTINCT unified_id) FROM analytics.identity_unified WHERE NOT deleted),
          'one golden profile per unified_id');
SELECT is((SELECT count(*) FROM analytics.golden_profiles g JOIN direct d USING (unified_id)
           WHERE g.profile = d.profile AND g.records = d.records),
          (SELECT count(*) FROM analytics.golden_profiles), 'the model equals the aggregates run directly');
SELECT is((SELECT count(*) FROM analytics.golden_profiles g
           WHERE (g.profile -> 'email_opt_out')::boolean IS DISTINCT FROM
                 (SELECT bool_or((a.attrs ->> 'email_opt_out')::boolean) FROM analytics.identity_unified u
                  JOIN raw.contact_attributes a USING (record_id) WHERE u.unified_id = g.unified_id AND NOT u.deleted)),
          0::bigint, 'an opt-out in any system is an opt-out in the golden profile');

-- the sources change: 30 people are erased (all their records), 40 records arrive
CREATE TEMP TABLE erased AS SELECT DISTINCT person FROM raw.contacts ORDER BY person LIMIT 30;
DELETE FROM raw.contact_attributes a USING raw.contacts c
WHERE a.record_id = c.record_id AND c.person IN (SELECT person FROM erased);
DELETE FROM raw.contacts WHERE person IN (SELECT person FROM erased);
INSERT INTO raw.contacts
SELECT 'app-' || lpad(n::text, 5, '0'), 'jane' || p || '@gmail.com', NULL, 'US', NULL, p, 'app', 2000 + n
FROM (SELECT n, 31 + (n * 37) % 800 AS p FROM generate_series(1, 40) AS n) x;
INSERT INTO raw.contact_attributes
SELECT record_id, 'app', 1, timestamptz '2026-06-01' + n * interval '1 minute',
       jsonb_build_object('email', email, 'tags', '["app"]'::jsonb, 'email_opt_out', false)
FROM raw.contacts WHERE system = 'app';

-- dbt run #2: identity_unified incrementally (previous = its last run), the profiles rebuilt
\set unified `cat test/.rendered/golden_unified_incremental.sql`
CREATE TEMP TABLE identity_unified__dbt_tmp AS :unified;
DELETE FROM analytics.identity_unified AS t USING identity_unified__dbt_tmp AS s WHERE t.record_id = s.record_id;
INSERT INTO analytics.identity_unified SELECT * FROM identity_unified__dbt_tmp;
DROP TABLE analytics.golden_profiles;
CREATE TABLE analytics.golden_profiles AS :golden;

SELECT is((SELECT count(*) FROM analytics.golden_profiles g JOIN direct d USING (unified_id)
           WHERE g.profile = d.profile AND g.records = d.records),
          (SELECT count(*) FROM analytics.golden_profiles), 'after the incremental run the model still equals the aggregates');
SELECT ok((SELECT count(*) FROM analytics.golden_profiles g JOIN run1 r USING (unified_id)
           WHERE g.profile -> 'tags' ? 'app') > 10,
          'people who gained an app record keep their unified_id, and their profile gains its tag');
SELECT is((SELECT count(*) FROM analytics.golden_profiles g, jsonb_path_query(g.lineage, '$.**.value') v(j)
           WHERE v.j #>> '{}' IN (SELECT 'jane' || person || '@gmail.com' FROM erased UNION ALL
                                   SELECT 'Person ' || person FROM erased)),
          0::bigint, 'nothing of an erased person survives in any profile or lineage');
SELECT is((SELECT count(*) FROM analytics.golden_profiles g JOIN run1 r USING (unified_id)
           WHERE r.profile ->> 'email' IN (SELECT 'jane' || person || '@gmail.com' FROM erased)),
          0::bigint, 'the erased people''s unified IDs have no profile any more');

SELECT * FROM finish();
ROLLBACK;
