-- The identity-resolution dbt models (dbt/models/identity_identifiers.sql, identity_unified.sql),
-- rendered as dbt renders them for PostgreSQL (scripts/render-dbt.sh): a first run, then an
-- incremental run after records were added, deleted and edited, which feeds the first run's
-- IDs back as `previous`; a third run on unchanged sources; and a full rebuild.
\! mkdir -p test/.rendered
\! bash scripts/render-dbt.sh dbt/models/identity_identifiers.sql full analytics > test/.rendered/identity_identifiers.sql
\! bash scripts/render-dbt.sh dbt/models/identity_identifiers.sql full analytics_full > test/.rendered/identity_identifiers_full.sql
\! bash scripts/render-dbt.sh dbt/models/identity_unified.sql full analytics > test/.rendered/identity_first.sql
\! bash scripts/render-dbt.sh dbt/models/identity_unified.sql incremental analytics > test/.rendered/identity_incremental.sql
\! bash scripts/render-dbt.sh dbt/models/identity_unified.sql full analytics_full > test/.rendered/identity_full.sql
BEGIN;
SELECT plan(11);
SET LOCAL client_min_messages = warning;

CREATE SCHEMA raw;
CREATE SCHEMA analytics;
CREATE SCHEMA analytics_full;

-- the source: 2,000 contact records of about 1,200 people in the crm, shop and support
-- systems, each with the person's email (written as that system wrote it), phone or loyalty card
SELECT setseed(0.58);
CREATE TABLE raw.contacts AS
SELECT s || '-' || lpad(n::text, 5, '0') AS record_id, email, phone, country, loyalty_id, person
FROM (SELECT n, (ARRAY['crm', 'shop', 'support'])[1 + n % 3] AS s, p AS person,
             CASE WHEN random() < 0.8 THEN
                  (CASE WHEN random() < 0.3 THEN 'J.' ELSE 'j' END) || 'ane' || p
                  || (CASE WHEN random() < 0.2 THEN '+' || n ELSE '' END) || '@gmail.com' END AS email,
             CASE WHEN random() < 0.5 THEN '(415) 555-' || lpad((p % 10000)::text, 4, '0') END AS phone,
             'US' AS country,
             CASE WHEN random() < 0.3 THEN 'L' || p END AS loyalty_id
      FROM (SELECT n, 1 + floor(random() * 1200)::int AS p FROM generate_series(1, 2000) AS n) x) y;

\set identifiers `cat test/.rendered/identity_identifiers.sql`
CREATE VIEW analytics.identity_identifiers AS :identifiers;
\set identifiers `cat test/.rendered/identity_identifiers_full.sql`
CREATE VIEW analytics_full.identity_identifiers AS :identifiers;

-- dbt run #1 (the model does not exist yet: dbt creates it from the full query)
\set model `cat test/.rendered/identity_first.sql`
CREATE TABLE analytics.identity_unified AS :model;
CREATE TABLE run1 AS SELECT * FROM analytics.identity_unified;

-- the sources change: 40 records are deleted; 60 app records arrive ('app-' sorts before
-- every other record_id, so a cluster they join would be renamed without `previous`); 30
-- records get another phone
DELETE FROM raw.contacts WHERE record_id IN (SELECT record_id FROM raw.contacts ORDER BY md5(record_id) LIMIT 40);
INSERT INTO raw.contacts
SELECT 'app-' || lpad(n::text, 5, '0'), 'jane' || p || '@gmail.com', NULL, 'US', NULL, p
FROM (SELECT n, 1 + (n * 37) % 1300 AS p FROM generate_series(1, 60) AS n) x;
UPDATE raw.contacts SET phone = '(212) 555-' || lpad((person % 10000)::text, 4, '0')
WHERE record_id IN (SELECT record_id FROM raw.contacts WHERE phone IS NOT NULL ORDER BY md5(record_id || 'p') LIMIT 30);

-- dbt run #2 (incremental, delete+insert on record_id)
\set model `cat test/.rendered/identity_incremental.sql`
CREATE TEMP TABLE identity_unified__dbt_tmp AS :model;
DELETE FROM analytics.identity_unified AS t USING identity_unified__dbt_tmp AS s WHERE t.record_id = s.record_id;
INSERT INTO analytics.identity_unified SELECT * FROM identity_unified__dbt_tmp;
CREATE TABLE run2 AS SELECT * FROM analytics.identity_unified;

-- dbt run #3 on unchanged sources
DROP TABLE identity_unified__dbt_tmp;
CREATE TEMP TABLE identity_unified__dbt_tmp AS :model;
DELETE FROM analytics.identity_unified AS t USING identity_unified__dbt_tmp AS s WHERE t.record_id = s.record_id;
INSERT INTO analytics.identity_unified SELECT * FROM identity_unified__dbt_tmp;

-- a full rebuild
\set model `cat test/.rendered/identity_full.sql`
CREATE TABLE analytics_full.identity_unified AS :model;

SELECT is((SELECT count(*) FROM run1 WHERE unified_id <> (SELECT min(x.record_id COLLATE "C") FROM run1 x WHERE x.unified_id = run1.unified_id)),
          0::bigint, 'first run: each cluster is named after its smallest record_id');
SELECT is((SELECT count(*) FROM run2 WHERE NOT deleted), (SELECT count(*) FROM raw.contacts),
          'second run: one live row per contact record');
SELECT is((SELECT count(*) FROM run2 WHERE deleted), 40::bigint,
          'second run: the 40 deleted records remain as tombstones');
SELECT is((SELECT count(*) FROM run2 r JOIN run1 o USING (record_id) WHERE r.deleted AND r.unified_id <> o.unified_id),
          0::bigint, 'a tombstone keeps its last unified_id');
SELECT is((SELECT count(*) FROM (
              SELECT record_id, min(record_id COLLATE "C") OVER (PARTITION BY unified_id) FROM run2 WHERE NOT deleted
              EXCEPT
              SELECT record_id, min(record_id COLLATE "C") OVER (PARTITION BY unified_id) FROM analytics_full.identity_unified) d),
          0::bigint, 'the incremental partition equals the full rebuild''s');
-- clusters of run 1 that are still exactly one cluster of run 2 (maybe with new records)
CREATE TEMP TABLE kept AS
SELECT o.unified_id AS old_id, min(n.unified_id) AS new_id
FROM run1 o JOIN run2 n ON n.record_id = o.record_id AND NOT n.deleted
GROUP BY o.unified_id
HAVING count(DISTINCT n.unified_id) = 1
   AND (SELECT count(DISTINCT x.unified_id) FROM run1 x JOIN run2 y ON y.record_id = x.record_id AND NOT y.deleted
        WHERE y.unified_id = min(n.unified_id)) = 1;
SELECT ok((SELECT count(*) FROM kept) > 500, 'most clusters survive the changes');
SELECT is((SELECT count(*) FROM kept WHERE old_id <> new_id), 0::bigint,
          'every surviving cluster keeps its unified_id, whatever records joined it');
SELECT ok((SELECT count(*) FROM kept k JOIN analytics_full.identity_unified f ON f.record_id = k.old_id
           WHERE f.unified_id <> k.old_id) > 0,
          'without previous (the full rebuild) some of those clusters would have been renamed');
SELECT is((SELECT count(*) FROM run2 n WHERE NOT n.deleted AND n.unified_id IN (SELECT unified_id FROM run1)
             AND NOT EXISTS (SELECT FROM run1 o JOIN run2 m ON m.record_id = o.record_id AND NOT m.deleted
                             WHERE o.unified_id = n.unified_id AND m.unified_id = n.unified_id)),
          0::bigint, 'an old ID only goes to a cluster holding records that carried it');
SELECT ok((SELECT count(DISTINCT unified_id) FROM run2 WHERE NOT deleted)
          < (SELECT count(DISTINCT unified_id) FROM run1) + 60,
          'the new records joined existing clusters rather than all starting their own');
SELECT results_eq('SELECT * FROM analytics.identity_unified ORDER BY record_id', 'SELECT * FROM run2 ORDER BY record_id',
                  'a run on unchanged sources changes nothing');

SELECT * FROM finish();
ROLLBACK;
