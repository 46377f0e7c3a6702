-- bench/identity_generate.sql — contacts from several systems for bench/identity.sh.
--   psql -v scale=1 -v seed=42 -f bench/identity_generate.sql
-- scale 1 = 2,000,000 contact records (~6M identifier rows) of ~1.25M people; scale 0.1 = 200k.
--
-- Each record belongs to a person drawn at random (so a person has 1.6 records on average,
-- Poisson-like, across the crm, shop, email, app and support systems) and carries that
-- person's identifiers as that system wrote them:
--   email    85%: the person's address with case, spaces, and for Gmail dots moved and +tags
--                 added; 12% of those a work address of their own instead; 0.3% of records
--                 'test@test.com', and 0.2% 'noreply@example.com' (junk shared by thousands)
--   phone    75%: the person's number in one of four national or international writings,
--                 in the person's country (US, GB, DE, FR, IN); 0.3% the call centre's number
--   loyalty  50%: the person's loyalty card number
--   device   90%: one of the person's two device ids
-- The identifier query (bench/identity.sh) normalises emails and phones with omni's
-- normalisers, so every side resolves the same ~6M identifier rows.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_identity CASCADE;
CREATE SCHEMA bench_identity;
SELECT setseed(:seed / 1000.0);

CREATE TABLE bench_identity.meta AS
SELECT :scale::numeric AS scale, :seed::int AS seed,
       round(2000000 * :scale::numeric)::int AS n_records,
       round(1250000 * :scale::numeric)::int AS n_people;

CREATE TABLE bench_identity.contacts AS
WITH r AS (
    SELECT g AS n,
           1 + floor(random() * (SELECT n_people FROM bench_identity.meta))::int AS person,
           random() AS u_email, random() AS u_email2, random() AS u_phone, random() AS u_phone2,
           random() AS u_loyalty, random() AS u_device, random() AS u_junk, random() AS u_var
    FROM generate_series(1, (SELECT n_records FROM bench_identity.meta)) AS g
), p AS (
    SELECT r.*,
           (ARRAY['anna','ben','carla','david','emma','felix','grace','hugo','ines','jon',
                  'kim','leo','maria','nils','olga','paul','rosa','sam','tara','yusuf'])[1 + person % 20] AS first_name,
           (ARRAY['smith','jones','müller','martin','rossi','garcia','tanaka','patel','silva',
                  'brown','schmidt','dubois','kumar','lee','walker','nguyen'])[1 + (person / 20) % 16] AS last_name,
           (ARRAY['gmail.com','gmail.com','gmail.com','gmail.com','outlook.com','hotmail.com',
                  'yahoo.com','web.de','orange.fr','icloud.com'])[1 + (person * 7) % 10] AS domain,
           (ARRAY['US','US','US','US','GB','GB','DE','FR','IN','US'])[1 + (person * 3) % 10] AS country,
           (ARRAY['crm','shop','email','app','support'])[1 + n % 5] AS source
    FROM r
)
SELECT source || '-' || lpad(n::text, 8, '0') AS record_id,
       source,
       person AS true_person,
       CASE
           WHEN u_junk < 0.003 THEN 'test@test.com'
           WHEN u_junk < 0.005 THEN 'noreply@example.com'
           WHEN u_email >= 0.85 THEN NULL
           WHEN u_email2 < 0.12 THEN first_name || '.' || last_name || '@company' || (person % 5000) || '.com'
           ELSE (CASE WHEN u_var < 0.15 THEN '  ' ELSE '' END)
                || (CASE WHEN u_var < 0.3 THEN upper(first_name) ELSE first_name END)
                || (CASE WHEN domain = 'gmail.com' AND u_var > 0.6 THEN '' ELSE '.' END)
                || last_name || person
                || (CASE WHEN domain IN ('gmail.com', 'outlook.com') AND u_var > 0.8 THEN '+' || source ELSE '' END)
                || '@' || (CASE WHEN u_var BETWEEN 0.3 AND 0.4 THEN upper(domain) ELSE domain END)
       END AS email,
       CASE
           WHEN u_junk BETWEEN 0.005 AND 0.008 THEN '1-800-555-0199'
           WHEN u_phone >= 0.75 THEN NULL
           ELSE (SELECT CASE country
                   WHEN 'US' THEN (ARRAY['(' || a || ') ' || b || '-' || c, '+1 ' || a || ' ' || b || ' ' || c,
                                         a || b || c, '1-' || a || '-' || b || '-' || c])[1 + floor(u_phone2 * 4)::int]
                   WHEN 'GB' THEN (ARRAY['07' || substr(d, 1, 3) || ' ' || substr(d, 4), '+44 7' || substr(d, 1, 3) || ' ' || substr(d, 4),
                                         '+44 (0)7' || d, '00447' || d])[1 + floor(u_phone2 * 4)::int]
                   WHEN 'DE' THEN (ARRAY['0171 ' || substr(d, 1, 7), '+49 171 ' || substr(d, 1, 7),
                                         '0171/' || substr(d, 1, 7), '+49 (0)171 ' || substr(d, 1, 7)])[1 + floor(u_phone2 * 4)::int]
                   WHEN 'FR' THEN (ARRAY['06 ' || substr(d, 1, 2) || ' ' || substr(d, 3, 2) || ' ' || substr(d, 5, 2) || ' ' || substr(d, 7, 2),
                                         '+33 6 ' || substr(d, 1, 8), '06' || substr(d, 1, 8), '0033 6' || substr(d, 1, 8)])[1 + floor(u_phone2 * 4)::int]
                   ELSE (ARRAY['098' || substr(d, 1, 4) || ' ' || substr(d, 5, 4), '+91 98' || substr(d, 1, 8),
                               '91 98' || substr(d, 1, 8), '+91-98' || substr(d, 1, 4) || '-' || substr(d, 5, 4)])[1 + floor(u_phone2 * 4)::int]
                 END
                 FROM (SELECT (200 + person % 700)::text AS a,
                              (200 + (person / 700) % 700)::text AS b,
                              lpad((person % 10000)::text, 4, '0') AS c,
                              lpad(((person::bigint * 7919) % 100000000)::text, 8, '0') AS d) AS parts)
       END AS phone,
       country,
       CASE WHEN u_loyalty < 0.5 THEN 'L' || lpad(person::text, 9, '0') END AS loyalty_id,
       CASE WHEN u_device < 0.9 THEN 'dev-' || md5(person::text || '/' || floor(u_device * 2.2)::int) END AS device_id
FROM p;
ANALYZE bench_identity.contacts;
