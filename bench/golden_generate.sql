-- bench/golden_generate.sql — contact records for the golden-profile benchmark (bench/golden.sh).
-- psql -v scale=1 -v seed=42: scale 1 = 2,000,000 records of ~800,000 people from four source
-- systems, stored in a random order.  Every record has 10-20 attributes drawn from a realistic
-- mix: strings (email, names, phone, city, language...), numbers (lifetime value, orders),
-- dates as strings, consent booleans, a tag array, nested objects (address, preferences) and
-- JSON nulls.  updated_at is distinct for every record (a microsecond per record_id), so no two
-- records of a person tie and the survivors are unique.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_golden CASCADE;
CREATE SCHEMA bench_golden;
SELECT setseed(:seed / 1000.0);

CREATE TABLE bench_golden.meta AS SELECT :scale::numeric AS scale, :seed::int AS seed;

-- people get 1 to 5 records (mean 2.5): record r belongs to person r * 0.4
CREATE UNLOGGED TABLE bench_golden.contacts AS
WITH r AS (
    SELECT g AS record_id, (g * 2 / 5) AS unified_id, random() AS u1, random() AS u2, random() AS u3,
           random() AS u4, random() AS u5
    FROM generate_series(1, (2000000 * :scale)::bigint) g
)
SELECT record_id, unified_id,
       (ARRAY['crm', 'shop', 'support', 'events'])[1 + (record_id % 4)::int] AS source,
       (ARRAY[3, 2, 1, 0])[1 + (record_id % 4)::int] AS priority,
       timestamptz '2022-01-01' + floor(u1 * 1000) * interval '1 day' + record_id * interval '1 microsecond' AS updated_at,
       jsonb_build_object(
           'email', 'person' || unified_id || (ARRAY['@gmail.com', '@corp.example', '@mail.example'])[1 + (u2 * 3)::int % 3],
           'first_name', (ARRAY['Ann', 'Bob', 'Cat', 'Dan', 'Eve', 'Finn', 'Gus', 'Hanna', NULL])[1 + (u3 * 9)::int % 9],
           'last_name', 'Name' || (unified_id % 5000),
           'phone', CASE WHEN u4 < 0.6 THEN '+47' || (40000000 + unified_id % 9999999) END,
           'city', (ARRAY['Oslo', 'Bergen', 'Trondheim', 'Stavanger', NULL])[1 + (u5 * 5)::int % 5],
           'country', 'NO',
           'language', (ARRAY['no', 'en', 'sv'])[1 + (u1 * 3)::int % 3],
           'ltv', round((u2 * 2000)::numeric, 2),
           'orders', (u3 * 40)::int,
           'email_opt_out', u4 < 0.15,
           'sms_consent', u5 < 0.7,
           'last_order_at', CASE WHEN u1 < 0.8 THEN to_char(date '2022-01-01' + (u2 * 1000)::int, 'YYYY-MM-DD') END)
       || CASE WHEN u2 < 0.7 THEN jsonb_build_object('tags', (ARRAY['["vip"]', '["vip", "b2b"]', '["newsletter"]', '["buyer", "newsletter"]', '[]'])[1 + (u3 * 5)::int % 5]::jsonb) ELSE '{}' END
       || CASE WHEN u3 < 0.6 THEN jsonb_build_object('address', jsonb_build_object(
               'street', 'Street ' || (record_id % 997), 'zip', lpad((unified_id % 9999)::text, 4, '0'),
               'city', (ARRAY['Oslo', 'Bergen', NULL])[1 + (u4 * 3)::int % 3])) ELSE '{}' END
       || CASE WHEN u4 < 0.5 THEN jsonb_build_object('preferences', jsonb_build_object(
               'channel', (ARRAY['email', 'sms', 'push'])[1 + (u5 * 3)::int % 3], 'frequency', (ARRAY['daily', 'weekly', NULL])[1 + (u1 * 3)::int % 3])) ELSE '{}' END
       || CASE WHEN u5 < 0.5 THEN jsonb_build_object('birth_date', to_char(date '1950-01-01' + (u3 * 20000)::int, 'YYYY-MM-DD'), 'gender', (ARRAY['f', 'm', 'x'])[1 + (u4 * 3)::int % 3]) ELSE '{}' END
       || CASE WHEN u1 < 0.4 THEN jsonb_build_object('loyalty_tier', (ARRAY['gold', 'silver', 'bronze'])[1 + (u2 * 3)::int % 3], 'points', (u5 * 10000)::int) ELSE '{}' END
       || CASE WHEN u2 < 0.3 THEN jsonb_build_object('company', 'Company ' || (unified_id % 777), 'title', NULL) ELSE '{}' END
       AS attrs
FROM r
ORDER BY md5(record_id::text);
ALTER TABLE bench_golden.contacts SET LOGGED;
VACUUM ANALYZE bench_golden.contacts;
SELECT count(*) AS records, count(DISTINCT unified_id) AS people,
       round(avg((SELECT count(*) FROM jsonb_object_keys(attrs))), 1) AS avg_keys,
       min((SELECT count(*) FROM jsonb_object_keys(attrs))) AS min_keys,
       max((SELECT count(*) FROM jsonb_object_keys(attrs))) AS max_keys,
       pg_size_pretty(pg_total_relation_size('bench_golden.contacts')) AS size
FROM bench_golden.contacts;
