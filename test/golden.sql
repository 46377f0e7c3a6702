-- Golden profiles (src/golden.c): omni.merge_profiles against the plain-SQL survivorship query
-- (jsonb_each over every nesting level + DISTINCT ON) on generated records, every rule against
-- hand-worked cases and plain SQL, the consent case by name, lineage, serial = parallel,
-- rollups of stored states, text forms, forged states, omni.latest / omni.by_priority against
-- DISTINCT ON, NULLs and every bad input.
BEGIN;
SELECT plan(61);
SET LOCAL TimeZone = 'UTC';

-- ---------------------------------------------------------------------------------------
-- Generated records: 300 people, 1-6 records each from 3 sources, 4-10 keys, nested objects
-- two levels deep, arrays, booleans, JSON nulls; distinct timestamps so no rank ties
-- ---------------------------------------------------------------------------------------
SELECT setseed(0.42);
CREATE TEMP TABLE recs AS
SELECT r AS rid, 1 + (r * 7919) % 300 AS uid,
       (ARRAY['crm', 'shop', 'web'])[1 + r % 3] AS source,
       (r * 31) % 4 AS pri,
       timestamptz '2025-01-01' + r * interval '37 minutes' AS at,
       (SELECT jsonb_object_agg(k, v) FROM (
            SELECT 'k' || i AS k,
                   CASE (r * i) % 7
                        WHEN 0 THEN 'null'::jsonb
                        WHEN 1 THEN to_jsonb((r * i) % 13)
                        WHEN 2 THEN to_jsonb('s' || (r + i) % 9)
                        WHEN 3 THEN to_jsonb((r + i) % 2 = 0)
                        WHEN 4 THEN to_jsonb(((r * i) % 100) / 8.0)
                        ELSE to_jsonb('t' || r % 5)
                   END AS v
            FROM generate_series(1, 4 + r % 7) i
            UNION ALL
            SELECT 'addr', jsonb_build_object('city', (ARRAY['Oslo', 'Bergen', NULL])[1 + r % 3],
                                              'geo', jsonb_build_object('lat', r % 90, 'lon', CASE WHEN r % 4 = 0 THEN NULL ELSE r % 180 END))
            WHERE r % 5 <> 0
            UNION ALL
            SELECT 'tags', jsonb_build_array('a' || r % 4, 'b' || r % 3) WHERE r % 2 = 0) kv) AS attrs
FROM generate_series(1, 1200) r;

-- every leaf of an object: its path of keys and value (objects walked, nulls dropped)
CREATE FUNCTION pg_temp.leaves(j jsonb) RETURNS TABLE (path text[], v jsonb) LANGUAGE sql IMMUTABLE AS $$
    WITH RECURSIVE l(path, v) AS (
        SELECT ARRAY[e.key], e.value FROM jsonb_each(j) e
        UNION ALL
        SELECT l.path || e.key, e.value FROM l, jsonb_each(l.v) e WHERE jsonb_typeof(l.v) = 'object')
    SELECT path, v FROM l WHERE jsonb_typeof(v) NOT IN ('object', 'null')
$$;

-- the survivorship query a data team writes: per person and leaf, the highest priority, then the latest
CREATE TEMP TABLE ref AS
SELECT DISTINCT ON (uid, path) uid, path, v
FROM recs, pg_temp.leaves(attrs)
ORDER BY uid, path, pri DESC, at DESC;
CREATE TEMP TABLE ref_latest AS
SELECT DISTINCT ON (uid, path) uid, path, v
FROM recs, pg_temp.leaves(attrs)
ORDER BY uid, path, at DESC;

CREATE TEMP TABLE omni_gp AS
SELECT uid, omni.merge_profiles(attrs, at, pri) AS p, omni.merge_profiles(attrs, at) AS pl,
       omni.merge_profiles_lineage(attrs, at, source, pri) AS lin
FROM recs GROUP BY uid;

SELECT is((SELECT count(*) FROM omni_gp), 300::bigint, 'one profile a person');
SELECT is((SELECT count(*) FROM (
              (SELECT uid, path, v FROM omni_gp, pg_temp.leaves(p) EXCEPT SELECT * FROM ref)
              UNION ALL
              (SELECT * FROM ref EXCEPT SELECT uid, path, v FROM omni_gp, pg_temp.leaves(p))) d),
          0::bigint, 'merge_profiles(attrs, at, priority) equals plain SQL DISTINCT ON (priority DESC, at DESC) at every leaf');
SELECT is((SELECT count(*) FROM (
              (SELECT uid, path, v FROM omni_gp, pg_temp.leaves(pl) EXCEPT SELECT * FROM ref_latest)
              UNION ALL
              (SELECT * FROM ref_latest EXCEPT SELECT uid, path, v FROM omni_gp, pg_temp.leaves(pl))) d),
          0::bigint, 'merge_profiles(attrs, at) equals plain SQL DISTINCT ON (at DESC) at every leaf');
SELECT ok((SELECT count(*) FROM ref WHERE array_length(path, 1) = 3) > 100,
          'the data has leaves three levels deep (addr.geo.lat)');
SELECT is((SELECT count(*) FROM omni_gp WHERE coalesce(p -> 'addr' -> 'geo' ? 'lon', false) IS DISTINCT FROM
              EXISTS (SELECT FROM recs r WHERE r.uid = omni_gp.uid AND r.attrs -> 'addr' -> 'geo' -> 'lon' <> 'null')),
          0::bigint, 'a nested key is present exactly when some record has it non-null');

-- lineage: the same values, each with the record it came from
CREATE TEMP TABLE lin_leaves AS
WITH RECURSIVE l(uid, path, node) AS (
    SELECT uid, ARRAY[e.key], e.value FROM omni_gp, jsonb_each(lin) e
    UNION ALL
    SELECT l.uid, l.path || e.key, e.value FROM l, jsonb_each(l.node -> 'keys') e WHERE l.node ? 'keys')
SELECT uid, path, node -> 'value' AS v, node ->> 'source' AS source, (node ->> 'priority')::int AS pri,
       (node ->> 'at')::timestamptz AS at, node ->> 'rule' AS rule
FROM l WHERE NOT node ? 'keys';
SELECT is((SELECT count(*) FROM (
              (SELECT uid, path, v FROM lin_leaves EXCEPT SELECT * FROM ref)
              UNION ALL (SELECT * FROM ref EXCEPT SELECT uid, path, v FROM lin_leaves)) d),
          0::bigint, 'merge_profiles_lineage has the same value at every leaf');
SELECT is((SELECT count(*) FROM lin_leaves l
           WHERE NOT EXISTS (SELECT FROM recs r WHERE r.uid = l.uid AND r.source = l.source AND r.pri = l.pri
                                                  AND r.at = l.at AND r.attrs #> l.path = l.v)),
          0::bigint, 'each lineage names a record (source, priority, at) that holds that value');
SELECT is((SELECT count(*) FROM omni_gp WHERE (SELECT jsonb_object_agg(key, value -> 'value') FROM jsonb_each(lin)) <> p),
          0::bigint, 'the lineage''s top-level values make up the golden profile');
SELECT is((SELECT count(DISTINCT rule) FROM lin_leaves WHERE rule = 'priority'), 1::bigint,
          'lineage names the rule');

-- ---------------------------------------------------------------------------------------
-- Order and plan never change the answer
-- ---------------------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM omni_gp g
           JOIN (SELECT uid, omni.merge_profiles(attrs, at, pri ORDER BY rid DESC) AS p2,
                        omni.merge_profiles_lineage(attrs, at, source, pri ORDER BY md5(rid::text)) AS l2
                 FROM recs GROUP BY uid) x USING (uid)
           WHERE g.p <> x.p2 OR g.lin <> x.l2), 0::bigint, 'any order of rows gives the same profile and lineage');

CREATE TEMP TABLE ties (uid int, src text, attrs jsonb);
INSERT INTO ties VALUES (1, 'a', '{"x": "apple", "n": 2}'), (1, 'b', '{"x": "pear", "n": 10}'),
                        (1, 'c', '{"x": "fig", "n": 9.5}');
SELECT is((SELECT omni.merge_profiles(attrs, '2026-01-01', 1) FROM ties),
          '{"n": 10, "x": "pear"}'::jsonb,
          'a tie of priority and timestamp goes to the larger value (numbers numerically, strings in byte order)');
SELECT is((SELECT omni.merge_profiles_lineage(attrs, '2026-01-01', src, 1) -> 'n' ->> 'source' FROM ties), 'b',
          'lineage follows the tie-break');

-- serial = parallel, for every aggregate
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL force_parallel_mode = on;
-- every record forty times (a repeated record changes no answer): enough rows per group for
-- the planner to aggregate in the workers
CREATE TABLE golden_recs10 AS SELECT recs.* FROM recs, generate_series(1, 40);  -- not TEMP: workers cannot read temp tables
ANALYZE golden_recs10;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; out text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP out := out || r || E'\n'; END LOOP;
    RETURN out;
END $$;
SELECT ok(pg_temp.plan_of('SELECT uid, omni.merge_profiles(attrs, at, pri) FROM golden_recs10 GROUP BY uid') ~ 'Partial'
          AND pg_temp.plan_of('SELECT omni.merge_profiles(attrs, at, pri) FROM golden_recs10') ~ 'Partial',
          'the planner runs merge_profiles in parallel workers (Partial Aggregate), grouped and over all rows');
CREATE TEMP TABLE par AS
SELECT uid, omni.merge_profiles(attrs, at, pri) AS p, omni.merge_profiles(attrs, at) AS pl,
       omni.merge_profiles_lineage(attrs, at, source, pri) AS lin,
       omni.merge_profiles_lineage(attrs, at, source, pri, '{"tags": "union", "k1": "max", "k2": "min", "k3": "earliest", "k4": "latest"}') AS rl,
       omni.profile_state_agg(attrs, at, source, pri, '{"tags": "union"}')::text AS st
FROM golden_recs10 GROUP BY uid;
CREATE TEMP TABLE one_total AS
SELECT omni.merge_profiles(attrs, at, pri) AS p, omni.merge_profiles_lineage(attrs, at, source, pri, '{"tags": "union"}') AS l
FROM golden_recs10;
CREATE TEMP TABLE one_per_uid AS
SELECT omni.latest(attrs ->> 'k1', at) AS lt, omni.by_priority(attrs -> 'k2', pri, at) AS bp FROM golden_recs10;
RESET force_parallel_mode;
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT is((SELECT count(*) FROM par s
           JOIN (SELECT uid, omni.merge_profiles(attrs, at, pri) AS p, omni.merge_profiles(attrs, at) AS pl,
                        omni.merge_profiles_lineage(attrs, at, source, pri) AS lin,
                        omni.merge_profiles_lineage(attrs, at, source, pri, '{"tags": "union", "k1": "max", "k2": "min", "k3": "earliest", "k4": "latest"}') AS rl,
                        omni.profile_state_agg(attrs, at, source, pri, '{"tags": "union"}')::text AS st
                 FROM golden_recs10 GROUP BY uid) x USING (uid)
           WHERE s.p = x.p AND s.pl = x.pl AND s.lin = x.lin AND s.rl = x.rl AND s.st = x.st), 300::bigint,
          'serial = parallel: every profile, lineage and state byte for byte');
SELECT is((SELECT p FROM one_total), (SELECT omni.merge_profiles(attrs, at, pri) FROM golden_recs10),
          'serial = parallel over all rows at once (combine of big states)');
SELECT is((SELECT l FROM one_total), (SELECT omni.merge_profiles_lineage(attrs, at, source, pri, '{"tags": "union"}') FROM golden_recs10),
          'serial = parallel lineage with a union over all rows');
SELECT is((SELECT (lt, bp)::text FROM one_per_uid),
          (SELECT (omni.latest(attrs ->> 'k1', at), omni.by_priority(attrs -> 'k2', pri, at))::text FROM golden_recs10),
          'serial = parallel for omni.latest and omni.by_priority');

-- two-step: states per source, stored as text, merged later = one pass over all rows
SELECT is((SELECT count(*) FROM (
              SELECT uid, omni.golden_profile(omni.rollup(st::omni.profile_state)) AS p,
                     omni.profile_lineage(omni.rollup(st::omni.profile_state)) AS l
              FROM (SELECT uid, source, omni.profile_state_agg(attrs, at, source, pri, '{"tags": "union"}')::text AS st
                    FROM recs GROUP BY uid, source) s GROUP BY uid) r
           JOIN (SELECT uid, omni.merge_profiles(attrs, at, pri, '{"tags": "union"}') AS p,
                        omni.merge_profiles_lineage(attrs, at, source, pri, '{"tags": "union"}') AS l
                 FROM recs GROUP BY uid) d USING (uid)
           WHERE r.p = d.p AND r.l = d.l), 300::bigint,
          'omni.rollup of per-source states (through their text form) equals merging all rows');
SELECT is((SELECT count(*) FROM par WHERE st::omni.profile_state::text <> st), 0::bigint,
          'the text form reads back to the same text');
SELECT is((SELECT count(*) FROM par WHERE omni.profile_state_send(st::omni.profile_state) <>
                                          decode(substr(st, 3), 'hex')), 0::bigint,
          'the binary form is the text form''s bytes');

-- ---------------------------------------------------------------------------------------
-- Rules
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE people (uid int, source text, pri int, at timestamptz, attrs jsonb);
INSERT INTO people VALUES
    (1, 'crm',  2, '2026-01-10', '{"email": "ann@corp.example", "ltv": 9,  "first_seen": "2024-03-01", "email_opt_out": false, "email_consent": true,  "tags": ["vip", "b2b"], "score": 0.5}'),
    (1, 'shop', 1, '2026-03-01', '{"email": "ann@home.example", "ltv": 10, "first_seen": "2025-07-15", "email_opt_out": true,  "email_consent": false, "tags": ["buyer", "vip"], "score": 0.25}'),
    (1, 'web',  1, '2026-02-01', '{"email": "ann@web.example",  "ltv": 2,  "first_seen": "2023-11-30", "email_opt_out": false, "email_consent": true,  "tags": "newsletter", "score": null}'),
    (2, 'crm',  2, '2026-01-10', '{"email_opt_out": false, "email_consent": true}'),
    (2, 'shop', 1, '2026-03-01', '{"email_opt_out": false, "email_consent": true}');
CREATE TEMP VIEW ruled AS
SELECT uid, omni.merge_profiles(attrs, at, pri,
                                '{"email": "latest", "ltv": "max", "first_seen": "earliest", "email_opt_out": "any",
                                  "email_consent": "all", "tags": "union", "score": "min"}') AS p,
       omni.merge_profiles(attrs, at, pri) AS d
FROM people GROUP BY uid;
SELECT is((SELECT d ->> 'email' FROM ruled WHERE uid = 1), 'ann@corp.example', 'default rule priority: the CRM (priority 2) wins');
SELECT is((SELECT p ->> 'email' FROM ruled WHERE uid = 1), 'ann@home.example', 'latest: the most recent record, whatever its priority');
SELECT is((SELECT p -> 'ltv' FROM ruled WHERE uid = 1), '10'::jsonb, 'max compares numbers numerically (10 > 9)');
SELECT is((SELECT p -> 'score' FROM ruled WHERE uid = 1), '0.25'::jsonb, 'min: the smallest non-null value');
SELECT is((SELECT p ->> 'first_seen' FROM ruled WHERE uid = 1), '2023-11-30', 'earliest: the earliest first-seen date of any system');
SELECT is((SELECT p -> 'tags' FROM ruled WHERE uid = 1), '["b2b", "buyer", "newsletter", "vip"]'::jsonb,
          'union: every distinct tag of every record (a bare string is one tag), in byte order');
SELECT is((SELECT p -> 'email_opt_out' FROM ruled WHERE uid = 1), 'true'::jsonb,
          'consent: opted out in any system means opted out (email_opt_out: any)');
SELECT is((SELECT p -> 'email_consent' FROM ruled WHERE uid = 1), 'false'::jsonb,
          'consent: consent holds only if every system has it (email_consent: all)');
SELECT is((SELECT p -> 'email_opt_out' FROM ruled WHERE uid = 2), 'false'::jsonb,
          'consent: no system opted out, so not opted out');
SELECT is((SELECT d -> 'email_opt_out' FROM ruled WHERE uid = 1), 'false'::jsonb,
          'why the rule matters: priority alone keeps the CRM''s stale false');
SELECT is((SELECT omni.merge_profiles_lineage(attrs, at, source, pri, '{"email_opt_out": "any"}') -> 'email_opt_out'
           FROM people WHERE uid = 1),
          '{"at": "2026-03-01T00:00:00+00:00", "rule": "any", "value": true, "source": "shop", "priority": 1}'::jsonb,
          'the lineage of an opt-out names the system it came from');
SELECT is((SELECT omni.merge_profiles(attrs, at, pri, '{"tags": "priority"}') -> 'tags' FROM people WHERE uid = 1),
          '["vip", "b2b"]'::jsonb, 'an array without the union rule is one value');
SELECT is((SELECT count(*) FROM (
              SELECT uid, omni.merge_profiles(attrs, at, pri, '{"k1": "max", "k2": "min"}') AS p FROM recs GROUP BY uid) o
           JOIN (SELECT uid, max((CASE WHEN jsonb_typeof(attrs -> 'k1') = 'number' THEN attrs ->> 'k1' END)::numeric) AS mx,
                        min((CASE WHEN jsonb_typeof(attrs -> 'k2') = 'number' THEN attrs ->> 'k2' END)::numeric) AS mn
                 FROM recs GROUP BY uid) r USING (uid)
           WHERE jsonb_typeof(p -> 'k1') = 'number' AND (p ->> 'k1')::numeric <> r.mx
              OR jsonb_typeof(p -> 'k2') = 'number' AND (p ->> 'k2')::numeric <> r.mn), 0::bigint,
          'max and min over generated numbers equal plain SQL max and min');
SELECT is((SELECT count(*) FROM (
              SELECT uid, omni.merge_profiles(attrs, at, pri, '{"tags": "union"}') -> 'tags' AS t FROM recs GROUP BY uid) o
           WHERE t IS DISTINCT FROM (SELECT jsonb_agg(DISTINCT e ORDER BY e) FROM recs r, jsonb_array_elements_text(r.attrs -> 'tags') e
                                     WHERE r.uid = o.uid)), 0::bigint,
          'union over generated tags equals plain SQL DISTINCT');
SELECT is((SELECT omni.merge_profiles(attrs, at, pri, '{"addr": "latest"}') -> 'addr' FROM recs WHERE uid = 7),
          (SELECT jsonb_strip_nulls(jsonb_build_object('city', (SELECT attrs #> '{addr,city}' FROM recs WHERE uid = 7 AND attrs #> '{addr,city}' <> 'null' ORDER BY at DESC LIMIT 1),
                                     'geo', jsonb_strip_nulls(jsonb_build_object(
                                         'lat', (SELECT attrs #> '{addr,geo,lat}' FROM recs WHERE uid = 7 AND attrs ? 'addr' ORDER BY at DESC LIMIT 1),
                                         'lon', (SELECT attrs #> '{addr,geo,lon}' FROM recs WHERE uid = 7 AND attrs #> '{addr,geo,lon}' <> 'null' ORDER BY at DESC LIMIT 1)))))),
          'a rule on a top-level key applies to every key nested under it');

-- a key that is an object in one record and a value in another: the stronger record's side
SELECT is((SELECT omni.merge_profiles(a, t, p) FROM (VALUES ('{"addr": "Main St 1"}'::jsonb, timestamptz '2026-02-01', 1),
                                                            ('{"addr": {"city": "Oslo"}}', '2026-01-01', 1)) v(a, t, p)),
          '{"addr": "Main St 1"}'::jsonb, 'object against value: the more recent record''s side');
SELECT is((SELECT omni.merge_profiles(a, t, p) FROM (VALUES ('{"addr": "Main St 1"}'::jsonb, timestamptz '2026-02-01', 1),
                                                            ('{"addr": {"city": "Oslo"}}', '2026-01-01', 2)) v(a, t, p)),
          '{"addr": {"city": "Oslo"}}'::jsonb, 'object against value: the higher priority''s side');

-- ---------------------------------------------------------------------------------------
-- NULLs
-- ---------------------------------------------------------------------------------------
SELECT is((SELECT omni.merge_profiles(a, now()) FROM (VALUES (NULL::jsonb), (NULL)) v(a)), '{}'::jsonb,
          'a group of only NULL profiles gives {}');
SELECT is((SELECT omni.merge_profiles('{"a": 1}'::jsonb, now()) WHERE false), NULL::jsonb, 'no rows give NULL');
SELECT is((SELECT omni.merge_profiles(a, t) FROM (VALUES ('{"a": 1, "b": null}'::jsonb, NULL::timestamptz),
                                                       ('{"a": 2, "b": {}}', '2020-01-01')) v(a, t)),
          '{"a": 2}'::jsonb, 'a NULL updated_at ranks as -infinity; JSON nulls and empty objects contribute nothing');
SELECT is((SELECT omni.merge_profiles(a, '2026-01-01', p) FROM (VALUES ('{"a": 1}'::jsonb, NULL::int), ('{"a": 2}', -1)) v(a, p)),
          '{"a": 1}'::jsonb, 'a NULL priority is 0');
SELECT is((SELECT omni.merge_profiles(a, '2026-01-01', 0, NULL) FROM (VALUES ('{"t": [1]}'::jsonb), ('{"t": [2]}')) v(a)),
          '{"t": [2]}'::jsonb, 'NULL rules are no rules');
SELECT is((SELECT omni.merge_profiles_lineage(a, '2026-01-01', NULL) -> 'a' ->> 'source' FROM (VALUES ('{"a": 1}'::jsonb)) v(a)),
          NULL, 'a NULL source shows as null in the lineage');

-- ---------------------------------------------------------------------------------------
-- omni.latest and omni.by_priority against DISTINCT ON
-- ---------------------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM (
              SELECT uid, omni.latest(attrs ->> 'k1', at) AS l, omni.by_priority(attrs ->> 'k1', pri, at) AS b,
                     omni.latest(rid, at) AS lr, omni.by_priority(at::date, pri, at) AS bd
              FROM recs WHERE attrs ->> 'k1' IS NOT NULL GROUP BY uid) o
           JOIN (SELECT DISTINCT ON (uid) uid, attrs ->> 'k1' AS l, rid AS lr FROM recs WHERE attrs ->> 'k1' IS NOT NULL ORDER BY uid, at DESC) rl USING (uid)
           JOIN (SELECT DISTINCT ON (uid) uid, attrs ->> 'k1' AS b, at::date AS bd FROM recs WHERE attrs ->> 'k1' IS NOT NULL ORDER BY uid, pri DESC, at DESC) rb USING (uid)
           WHERE o.l IS DISTINCT FROM rl.l OR o.lr IS DISTINCT FROM rl.lr OR o.b IS DISTINCT FROM rb.b OR o.bd IS DISTINCT FROM rb.bd),
          0::bigint, 'latest and by_priority equal DISTINCT ON for text, integer and date columns');
SELECT is((SELECT omni.latest(v, t) FROM (VALUES (1.5, timestamptz '2026-01-01'), (NULL, '2026-02-01'), (2.5, '2025-01-01')) x(v, t)),
          1.5, 'latest skips NULL values');
SELECT is((SELECT omni.by_priority(v, p, t) FROM (VALUES ('a', 1, timestamptz '2026-01-01'), ('b', 2, '2025-01-01'), ('c', 2, '2024-01-01')) x(v, p, t)),
          'b', 'by_priority: the highest priority, then the latest');
SELECT is((SELECT omni.latest(v, t) FROM (VALUES (NULL::int, now())) x(v, t)), NULL::int, 'latest of only NULLs is NULL');
SELECT is((SELECT omni.latest(v, '2026-01-01') FROM (VALUES ('x'), ('y')) x(v)), 'y', 'a tie goes to the larger binary form');

-- ---------------------------------------------------------------------------------------
-- Bad input
-- ---------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT omni.merge_profiles('[1, 2]'::jsonb, now())$$, '22023',
                 'a profile must be a jsonb object, not [1, 2]', 'an array profile is an error');
SELECT throws_ok($$SELECT omni.merge_profiles('"x"'::jsonb, now())$$, '22023', NULL, 'a scalar profile is an error');
SELECT throws_ok($$SELECT omni.merge_profiles('{"a": 1'::jsonb, now())$$, '22P02', NULL,
                 'malformed jsonb is refused by jsonb''s own input');
SELECT throws_ok($$SELECT omni.merge_profiles('{"a": 1}', now(), 1, '{"a": "newest"}')$$, '22023',
                 'unknown survivorship rule "newest" for key "a"', 'an unknown rule name is an error naming it');
SELECT throws_ok($$SELECT omni.merge_profiles('{"a": 1}', now(), 1, '["latest"]')$$, '22023',
                 'survivorship rules must be a jsonb object, not ["latest"]', 'rules that are not an object');
SELECT throws_ok($$SELECT omni.merge_profiles('{"a": 1}', now(), 1, '{"a": 1}')$$, '22023',
                 'the survivorship rule for key "a" must be a string', 'a rule that is not a string');
SELECT throws_ok($$SELECT omni.merge_profiles('{"optout": "Y"}', now(), 1, '{"optout": "any"}')$$, '22023',
                 'rule "any" for key "optout" needs boolean values, not a string', 'any and all need booleans');
SELECT throws_ok($$SELECT omni.merge_profiles(a, now(), 1, r) FROM (VALUES ('{"a": 1}'::jsonb, '{"a": "max"}'::jsonb), ('{"a": 2}', '{"a": "min"}')) v(a, r)$$,
                 '22023', 'survivorship rules differ between the rows or partial states of one profile',
                 'different rules within one group are an error');
SELECT throws_ok($$SELECT 'abc'::omni.profile_state$$, '22P02', NULL, 'text that is not \x hex');
SELECT throws_ok($$SELECT '\x02'::omni.profile_state$$, '22P02', 'unsupported omni.profile_state format version 2',
                 'an unknown format version');
SELECT throws_ok($$SELECT '\x0100000000000000000001'::omni.profile_state$$, '22P02', NULL, 'a forged state (trailing bytes)');
SELECT throws_ok($$SELECT omni.rollup(s) FROM (VALUES ((SELECT omni.profile_state_agg('{"a": 1}', now(), 's', 1, NULL))),
                                                    ((SELECT omni.profile_state_agg('{"a": 1}', now(), 's', 1, '{"a": "max"}')))) v(s)$$,
                 '22023', NULL, 'states of different rules do not merge');
SELECT throws_ok($$SELECT 'x'::omni.pick_state$$, '22P02', NULL, 'pick_state text must be \x hex');

SELECT * FROM finish();
ROLLBACK;
