-- Identity resolution (src/identity.c): the partition against pgRouting's
-- pgr_connectedComponents and a plain-SQL label propagation on the same identifiers, the
-- guardrails, the spanning forest of links, the stable-ID rules across two runs, order
-- independence, bad input and limits.
BEGIN;
SELECT plan(71);
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE;

-- ---------- a random identity graph ----------
-- 3,000 records with one to three identifiers each, drawn from pools of emails, phones and
-- devices, so clusters of all sizes appear; plus a junk value shared by 80 records, a value
-- repeated within one record, rows with NULL parts and records with no identifier at all.
SELECT setseed(0.42);
CREATE TABLE idrows AS
SELECT 'r' || lpad(r::text, 5, '0') AS record_id, t.identifier_type,
       t.identifier_type || '-' || floor(random() * 2600)::int AS identifier_value
FROM generate_series(1, 3000) AS r
CROSS JOIN LATERAL (SELECT (ARRAY['email', 'phone', 'device'])[1 + floor(random() * 3)::int] AS identifier_type
                    FROM generate_series(1, 1 + floor(random() * 3)::int + r * 0)) AS t;
INSERT INTO idrows SELECT 'r' || lpad(r::text, 5, '0'), 'email', 'test@test.com' FROM generate_series(1, 3000, 37) AS r;
INSERT INTO idrows VALUES ('r00005', 'phone', 'phone-7'), ('r00005', 'phone', 'phone-7'),
                          ('r09001', NULL, 'x'), ('r09002', 'email', NULL), (NULL, 'email', 'email-1');

-- the identifiers pgRouting and the label propagation see: one node per record, a star of
-- edges per identifier value (its first record to each other), values over max_shared removed
CREATE TABLE nodes AS
SELECT record_id, row_number() OVER (ORDER BY record_id) AS node
FROM (SELECT DISTINCT record_id FROM idrows WHERE record_id IS NOT NULL) r;
CREATE FUNCTION pg_temp.edges(max_shared int) RETURNS TABLE (id bigint, source bigint, target bigint, cost float8, reverse_cost float8)
LANGUAGE sql AS $$
    SELECT row_number() OVER (), source, target, 1, 1
    FROM (SELECT min(n.node) OVER w AS source, n.node AS target, count(*) OVER w AS shared
          FROM (SELECT DISTINCT record_id, identifier_type, identifier_value FROM idrows
                WHERE record_id IS NOT NULL AND identifier_type IS NOT NULL AND identifier_value IS NOT NULL) i
          JOIN nodes n USING (record_id)
          WINDOW w AS (PARTITION BY identifier_type, identifier_value)) s
    WHERE source <> target AND (max_shared IS NULL OR shared <= max_shared)
$$;
CREATE TABLE edges_all AS SELECT * FROM pg_temp.edges(NULL);
CREATE TABLE edges_50 AS SELECT * FROM pg_temp.edges(50);

-- a partition as (record_id, the smallest record_id of its part), whatever the labels were
CREATE FUNCTION pg_temp.canonical(q text) RETURNS TABLE (record_id text, label text)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE
        'SELECT record_id::text, (min(record_id COLLATE "C") OVER (PARTITION BY label))::text FROM (' || q || ') p(record_id, label)';
END $$;
CREATE FUNCTION pg_temp.pgr_partition(edges text) RETURNS TABLE (record_id text, label bigint)
LANGUAGE sql AS $$
    SELECT n.record_id, coalesce(c.component, n.node)
    FROM nodes n
    LEFT JOIN pgr_connectedComponents('SELECT id, source, target, cost, reverse_cost FROM ' || edges) c ON c.node = n.node
$$;
-- plain-SQL min-label propagation over the same edges, until no label changes
CREATE FUNCTION pg_temp.label_propagation(edges text) RETURNS TABLE (record_id text, label bigint)
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
BEGIN
    CREATE TEMP TABLE lp AS SELECT node, node AS label FROM nodes;
    LOOP
        EXECUTE format($q$
            WITH e AS (SELECT source AS a, target AS b FROM %1$s UNION ALL SELECT target, source FROM %1$s),
                 best AS (SELECT e.a AS node, min(l.label) AS label FROM e JOIN lp l ON l.node = e.b GROUP BY 1)
            UPDATE lp SET label = best.label FROM best WHERE lp.node = best.node AND best.label < lp.label$q$, edges);
        GET DIAGNOSTICS changed = ROW_COUNT;
        EXIT WHEN changed = 0;
    END LOOP;
    RETURN QUERY SELECT n.record_id, lp.label FROM nodes n JOIN lp USING (node);
    DROP TABLE lp;
END $$;

CREATE TABLE omni_all AS SELECT * FROM omni.resolve_identities('SELECT * FROM idrows', max_shared => NULL);
CREATE TABLE omni_50 AS SELECT * FROM omni.resolve_identities('SELECT * FROM idrows');

SELECT ok((SELECT count(DISTINCT unified_id) FROM omni_50) BETWEEN 200 AND 2900
          AND (SELECT max(cluster_size) FROM omni_50) >= 10,
          'the random graph has clusters of many sizes');
SELECT is((SELECT count(*) FROM omni_50), (SELECT count(*) FROM nodes),
          'one row per record with a non-NULL record_id');
SELECT is((SELECT count(*) FROM omni_50), (SELECT count(DISTINCT record_id) FROM omni_50),
          'no record appears twice');
SELECT is((SELECT count(*) FROM omni_50 WHERE record_id IS NULL OR unified_id IS NULL OR cluster_size IS NULL),
          0::bigint, 'no NULL in the result (rows with a NULL record_id are skipped)');
SELECT ok(EXISTS (SELECT FROM omni_50 WHERE record_id = 'r09001' AND cluster_size = 1)
          AND EXISTS (SELECT FROM omni_50 WHERE record_id = 'r09002' AND cluster_size = 1),
          'a record whose only row has a NULL type or value is its own cluster');

SELECT is((SELECT count(*) FROM (
              (SELECT * FROM pg_temp.canonical('SELECT record_id, unified_id FROM omni_all')
               EXCEPT SELECT * FROM pg_temp.canonical('SELECT * FROM pg_temp.pgr_partition(''edges_all'')'))
              UNION ALL
              (SELECT * FROM pg_temp.canonical('SELECT * FROM pg_temp.pgr_partition(''edges_all'')')
               EXCEPT SELECT * FROM pg_temp.canonical('SELECT record_id, unified_id FROM omni_all'))) d),
          0::bigint, 'no guardrail: the partition equals pgr_connectedComponents''');
SELECT is((SELECT count(*) FROM (
              (SELECT * FROM pg_temp.canonical('SELECT record_id, unified_id FROM omni_50')
               EXCEPT SELECT * FROM pg_temp.canonical('SELECT * FROM pg_temp.pgr_partition(''edges_50'')'))
              UNION ALL
              (SELECT * FROM pg_temp.canonical('SELECT * FROM pg_temp.pgr_partition(''edges_50'')')
               EXCEPT SELECT * FROM pg_temp.canonical('SELECT record_id, unified_id FROM omni_50'))) d),
          0::bigint, 'max_shared 50: the partition equals pgr_connectedComponents'' without the values shared by more than 50');
SELECT is((SELECT count(*) FROM (
              (SELECT * FROM pg_temp.canonical('SELECT record_id, unified_id FROM omni_50')
               EXCEPT SELECT * FROM pg_temp.canonical('SELECT * FROM pg_temp.label_propagation(''edges_50'')'))
              UNION ALL
              (SELECT * FROM pg_temp.canonical('SELECT * FROM pg_temp.label_propagation(''edges_50'')')
               EXCEPT SELECT * FROM pg_temp.canonical('SELECT record_id, unified_id FROM omni_50'))) d),
          0::bigint, 'max_shared 50: the partition equals plain-SQL label propagation''s');
SELECT ok((SELECT count(DISTINCT unified_id) FROM omni_all) < (SELECT count(DISTINCT unified_id) FROM omni_50),
          'the junk value, shared by 82 records, merges clusters only without the guardrail');
SELECT is((SELECT count(*) FROM omni_50 o
           WHERE o.unified_id <> (SELECT min(x.record_id COLLATE "C") FROM omni_50 x WHERE x.unified_id = o.unified_id)),
          0::bigint, 'without previous, the unified_id is the cluster''s smallest record_id (byte order)');
SELECT is((SELECT count(*) FROM omni_50 o
           WHERE o.cluster_size <> (SELECT count(*) FROM omni_50 x WHERE x.unified_id = o.unified_id)),
          0::bigint, 'cluster_size counts the cluster''s records');

-- ---------- order independence ----------
SELECT results_eq(
    $$SELECT * FROM omni.resolve_identities('SELECT * FROM idrows ORDER BY random()') ORDER BY 1$$,
    $$SELECT * FROM omni_50 ORDER BY 1$$,
    'rows in another order: the same result');
SELECT results_eq(
    $$SELECT * FROM omni.resolve_identities('SELECT * FROM idrows ORDER BY identifier_value DESC, record_id DESC',
                                            max_per_type => '{"email": 1, "phone": 2}') ORDER BY 1$$,
    $$SELECT * FROM omni.resolve_identities('SELECT * FROM idrows ORDER BY random()',
                                            max_per_type => '{"email": 1, "phone": 2}') ORDER BY 1$$,
    'with per-type caps too: the same result in any row order');
SELECT results_eq(
    $$SELECT * FROM omni.identity_links('SELECT * FROM idrows ORDER BY record_id DESC') ORDER BY 1, 2$$,
    $$SELECT * FROM omni.identity_links('SELECT * FROM idrows ORDER BY random()') ORDER BY 1, 2$$,
    'identity_links: the same links in any row order');
SELECT results_eq(
    $$SELECT * FROM omni.identity_guardrail_report('SELECT * FROM idrows ORDER BY random()', max_per_type => '{"email": 1}') ORDER BY 1, 2$$,
    $$SELECT * FROM omni.identity_guardrail_report('SELECT * FROM idrows ORDER BY record_id DESC', max_per_type => '{"email": 1}') ORDER BY 1, 2$$,
    'identity_guardrail_report: the same report in any row order');

-- ---------- links: a spanning forest of the clusters ----------
CREATE TABLE links AS SELECT * FROM omni.identity_links('SELECT * FROM idrows');
SELECT is((SELECT count(*) FROM links),
          (SELECT count(*) - count(DISTINCT unified_id) FROM omni_50),
          'as many links as records minus clusters');
SELECT is((SELECT count(*) FROM links l JOIN omni_50 a ON a.record_id = l.record_id
           JOIN omni_50 b ON b.record_id = l.linked_record_id WHERE a.unified_id <> b.unified_id),
          0::bigint, 'every link joins two records of one cluster');
SELECT is((SELECT count(*) FROM links l
           WHERE NOT EXISTS (SELECT FROM idrows i WHERE i.record_id = l.record_id AND i.identifier_type = l.identifier_type
                                                   AND i.identifier_value = l.identifier_value)
              OR NOT EXISTS (SELECT FROM idrows i WHERE i.record_id = l.linked_record_id AND i.identifier_type = l.identifier_type
                                                   AND i.identifier_value = l.identifier_value)),
          0::bigint, 'both records of a link hold its identifier');
CREATE TABLE link_edges AS
SELECT row_number() OVER () AS id, a.node AS source, b.node AS target, 1::float8 AS cost, 1::float8 AS reverse_cost
FROM links l JOIN nodes a ON a.record_id = l.record_id JOIN nodes b ON b.record_id = l.linked_record_id;
SELECT is((SELECT count(*) FROM (
              (SELECT * FROM pg_temp.canonical('SELECT record_id, unified_id FROM omni_50')
               EXCEPT SELECT * FROM pg_temp.canonical('SELECT * FROM pg_temp.pgr_partition(''link_edges'')'))) d),
          0::bigint, 'the links alone connect every cluster (pgr_connectedComponents over them)');
SELECT is((SELECT count(*) FROM links WHERE identifier_value = 'test@test.com'), 0::bigint,
          'no link through a value over max_shared');

-- ---------- guardrails ----------
SELECT results_eq(
    $$SELECT * FROM omni.identity_guardrail_report('SELECT * FROM idrows')$$,
    $$VALUES ('email', 'test@test.com', 82, 'max_shared')$$,
    'the report names the value over max_shared and the records holding it');
SELECT results_eq(
    $$SELECT * FROM omni.identity_guardrail_report('SELECT * FROM idrows', max_shared => NULL, blocklist => '{test@test.com, phone-7, nowhere}') ORDER BY 2$$,
    $$SELECT 'phone', 'phone-7', count(DISTINCT record_id)::int, 'blocklist' FROM idrows WHERE identifier_value = 'phone-7'
      UNION ALL VALUES ('email', 'test@test.com', 82, 'blocklist')$$,
    'blocklisted values are reported with their records (a value seen nowhere is not)');
SELECT is((SELECT count(*) FROM omni.identity_links('SELECT * FROM idrows', blocklist => '{phone-7}') WHERE identifier_value = 'phone-7'),
          0::bigint, 'no link through a blocklisted value');
SELECT is((SELECT count(*) FROM omni.identity_guardrail_report('SELECT * FROM idrows', max_shared => NULL)), 0::bigint,
          'max_shared NULL: no limit');
SELECT is((SELECT count(DISTINCT unified_id) FROM omni.resolve_identities('SELECT * FROM idrows', max_shared => 1)),
          (SELECT count(*) FROM nodes), 'max_shared 1: every record is its own cluster');

-- per-type caps refuse the weaker link: the identifier shared by more records
CREATE TABLE capped (record_id text, identifier_type text, identifier_value text);
INSERT INTO capped VALUES ('a', 'email', 'e1'), ('a', 'phone', 'p1'),
                          ('b', 'email', 'e1'),
                          ('c', 'email', 'e2'), ('c', 'phone', 'p1'),
                          ('d', 'email', 'e3'), ('d', 'phone', 'p1');
SELECT results_eq(
    $$SELECT record_id, unified_id, cluster_size FROM omni.resolve_identities('SELECT * FROM capped', max_per_type => '{"email": 2}') ORDER BY 1$$,
    $$VALUES ('a', 'a', 3), ('b', 'a', 3), ('c', 'a', 3), ('d', 'd', 1)$$,
    'max_per_type email 2: e1 (2 records) links first, then p1 links a to c, and refuses d, whose e3 would be a third email');
SELECT results_eq(
    $$SELECT record_id, unified_id, cluster_size FROM omni.resolve_identities('SELECT * FROM capped ORDER BY record_id DESC', max_per_type => '{"email": 2}') ORDER BY 1$$,
    $$VALUES ('a', 'a', 3), ('b', 'a', 3), ('c', 'a', 3), ('d', 'd', 1)$$,
    'max_per_type: the same refusal with the rows reversed');
SELECT results_eq(
    $$SELECT * FROM omni.identity_guardrail_report('SELECT * FROM capped', max_per_type => '{"email": 2}')$$,
    $$VALUES ('phone', 'p1', 3, 'max_per_type')$$,
    'max_per_type: the report names the identifier whose link was refused');
SELECT results_eq(
    $$SELECT * FROM omni.identity_links('SELECT * FROM capped', max_per_type => '{"email": 2}') ORDER BY 2$$,
    $$VALUES ('a', 'b', 'email', 'e1'), ('a', 'c', 'phone', 'p1')$$,
    'max_per_type: the links of the capped cluster');
SELECT results_eq(
    $$SELECT count(DISTINCT unified_id) FROM omni.resolve_identities('SELECT * FROM capped', max_per_type => '{"email": 1, "fax": 1}')$$,
    $$VALUES (3::bigint)$$,
    'max_per_type email 1: records sharing their one email join, no others (a type absent from the data is fine)');
SELECT results_eq(
    $$SELECT count(DISTINCT unified_id) FROM omni.resolve_identities('SELECT * FROM capped', max_per_type => '{"email": 3}')$$,
    $$VALUES (1::bigint)$$,
    'max_per_type email 3: everything joins');

-- ---------- stable IDs across runs ----------
-- run 1: x = {x1,x2}, y = {y1,y2,y3}, z = {z1,z2}, t = {t1,t2}, s = {s1,s2},
-- w = {w1,w2,w3,w4} (w3-w4 linked only by 'w-34'), u = {u1,u2,u3,u4} ('u-23' joins halves),
-- k = {k1,k2,k3} ('k-12' is k1's only link), d = {d1,d2,d3}, v = {v1}
CREATE TABLE run1 (record_id text, identifier_type text, identifier_value text);
INSERT INTO run1 VALUES
    ('x1', 'email', 'x'), ('x2', 'email', 'x'),
    ('y1', 'email', 'y'), ('y2', 'email', 'y'), ('y3', 'email', 'y'),
    ('z1', 'email', 'z'), ('z2', 'email', 'z'),
    ('t1', 'email', 't'), ('t2', 'email', 't'),
    ('s1', 'email', 's'), ('s2', 'email', 's'),
    ('w1', 'email', 'w'), ('w2', 'email', 'w'), ('w3', 'email', 'w'), ('w3', 'phone', 'w-34'), ('w4', 'phone', 'w-34'),
    ('u1', 'email', 'u-12'), ('u2', 'email', 'u-12'), ('u2', 'phone', 'u-23'), ('u3', 'phone', 'u-23'),
    ('u3', 'email', 'u-34'), ('u4', 'email', 'u-34'),
    ('k1', 'phone', 'k-12'), ('k2', 'phone', 'k-12'), ('k2', 'email', 'k'), ('k3', 'email', 'k'),
    ('d1', 'email', 'd'), ('d2', 'email', 'd'), ('d3', 'email', 'd'),
    ('v1', 'email', 'v');
-- what the last run stored, its IDs renamed so that carrying them over is visible
-- (k keeps the ID a first run gives, its smallest record_id 'k1')
CREATE TABLE stored AS
SELECT record_id, CASE WHEN unified_id = 'k1' THEN 'k1' ELSE 'id-' || unified_id END AS unified_id
FROM omni.resolve_identities('SELECT * FROM run1');
-- run 2: x gains x3; a new record m joins y and z; a new record j joins t and s; w3-w4's
-- link is gone (w splits 3 + 1); u2-u3's link is gone (u splits 2 + 2); k1-k2's link is gone
-- (k splits into {k1} and {k2,k3}); d3 and v1 are deleted; n1, n2 are new
CREATE TABLE run2 AS
SELECT * FROM run1
WHERE record_id NOT IN ('d3', 'v1') AND identifier_value NOT IN ('w-34', 'u-23', 'k-12');
INSERT INTO run2 VALUES ('w4', 'phone', 'w-4'), ('k1', 'phone', 'k-1'), ('x3', 'email', 'x'),
    ('m', 'email', 'y'), ('m', 'phone', 'z-tel'), ('z1', 'phone', 'z-tel'),
    ('j', 'email', 't'), ('j', 'phone', 's-tel'), ('s1', 'phone', 's-tel'),
    ('n1', 'email', 'n'), ('n2', 'email', 'n');
CREATE TABLE second AS
SELECT * FROM omni.resolve_identities('SELECT * FROM run2', previous => 'SELECT record_id, unified_id FROM stored');

SELECT results_eq($$SELECT DISTINCT unified_id FROM second WHERE record_id IN ('x1', 'x2', 'x3')$$,
                  $$VALUES ('id-x1')$$, 'survivor: a cluster keeps its ID, and a new record joining it takes that ID');
SELECT results_eq($$SELECT DISTINCT unified_id FROM second WHERE record_id IN ('y1', 'y2', 'y3', 'z1', 'z2', 'm')$$,
                  $$VALUES ('id-y1')$$, 'merge: the merged cluster keeps the ID of the larger (y, 3 records, over z, 2)');
SELECT results_eq($$SELECT DISTINCT unified_id FROM second WHERE record_id IN ('t1', 't2', 's1', 's2', 'j')$$,
                  $$VALUES ('id-s1')$$, 'merge of equal sizes: the older ID, i.e. the smaller in byte order (id-s1 over id-t1)');
SELECT is((SELECT count(*) FROM second WHERE unified_id IN ('id-z1', 'id-t1')), 0::bigint,
          'merge: the losing IDs are retired');
SELECT results_eq($$SELECT record_id, unified_id FROM second WHERE record_id LIKE 'w%' ORDER BY 1$$,
                  $$VALUES ('w1', 'id-w1'), ('w2', 'id-w1'), ('w3', 'id-w1'), ('w4', 'w4')$$,
                  'split: the bigger part keeps the ID, the other part gets a new one (its smallest record_id)');
SELECT results_eq($$SELECT record_id, unified_id FROM second WHERE record_id LIKE 'u%' ORDER BY 1$$,
                  $$VALUES ('u1', 'id-u1'), ('u2', 'id-u1'), ('u3', 'u3'), ('u4', 'u3')$$,
                  'split in equal parts: the part with the smaller record_id keeps the ID');
SELECT results_eq($$SELECT record_id, unified_id FROM second WHERE record_id LIKE 'k%' ORDER BY 1$$,
                  $$VALUES ('k1', 'k1~2'), ('k2', 'k1'), ('k3', 'k1')$$,
                  'split: a new ID never repeats an ID of the previous run (k1 was one: k1~2)');
SELECT results_eq($$SELECT record_id, unified_id, cluster_size FROM second WHERE record_id LIKE 'd%' ORDER BY 1$$,
                  $$VALUES ('d1', 'id-d1', 2), ('d2', 'id-d1', 2)$$,
                  'deleted record: its cluster keeps its ID and shrinks');
SELECT is((SELECT count(*) FROM second WHERE record_id = 'v1' OR unified_id = 'id-v1'), 0::bigint,
          'deleted cluster: its records are gone and its ID is not reused');
SELECT results_eq($$SELECT DISTINCT unified_id FROM second WHERE record_id IN ('n1', 'n2')$$,
                  $$VALUES ('n1')$$, 'new cluster: a deterministic new ID, its smallest record_id');
SELECT is((SELECT count(*) FROM second), (SELECT count(DISTINCT record_id) FROM run2),
          'every record of the second run, once');
SELECT results_eq(
    $$SELECT * FROM omni.resolve_identities('SELECT * FROM run2 ORDER BY random()', previous => 'SELECT * FROM stored ORDER BY random()') ORDER BY 1$$,
    $$SELECT * FROM second ORDER BY 1$$,
    'with previous: the same IDs in any row order');
SELECT results_eq(
    $$SELECT * FROM omni.resolve_identities('SELECT * FROM run2', previous => 'SELECT record_id, unified_id FROM second') ORDER BY 1$$,
    $$SELECT * FROM second ORDER BY 1$$,
    'a third run on unchanged input keeps every ID');

-- ---------- bad input and limits ----------
SELECT throws_ok($$SELECT * FROM omni.resolve_identities('SELECT * FROM no_such_table')$$, '42P01', NULL,
                 'a failing query: its own error');
SELECT throws_ok($$SELECT * FROM omni.resolve_identities('SELECT record_id, identifier_value FROM idrows')$$, '42804',
                 'omni.resolve_identities: query returns 2 columns, not 3', 'two columns: an error naming the count');
SELECT throws_ok($$SELECT * FROM omni.resolve_identities('SELECT 1, ''email'', ''a''')$$, '42804',
                 'omni.resolve_identities: column 1 (record_id) of query is integer, not text', 'an integer record_id: an error naming the column and type');
SELECT throws_ok($$SELECT * FROM omni.resolve_identities(NULL)$$, '22004',
                 'omni.resolve_identities: query must not be NULL', 'a NULL query: an error');
SELECT throws_ok($$SELECT * FROM omni.resolve_identities('SELECT * FROM idrows', max_shared => 0)$$, '22023',
                 'omni.resolve_identities: max_shared must be at least 1, not 0', 'max_shared 0: an error');
SELECT throws_ok($$SELECT * FROM omni.resolve_identities('SELECT * FROM idrows', max_per_type => '{"email": 1.5}')$$, '22023',
                 'omni.resolve_identities: max_per_type of "email" must be a positive integer', 'a fractional cap: an error');
SELECT throws_ok($$SELECT * FROM omni.identity_links('SELECT * FROM idrows', max_per_type => '"email"')$$, '22023',
                 'omni.identity_links: max_per_type must be a jsonb object, not "email"', 'a cap that is not an object: an error');
SELECT throws_ok($$SELECT * FROM omni.resolve_identities('SELECT * FROM idrows', previous => 'SELECT record_id FROM stored')$$, '42804',
                 'omni.resolve_identities: previous returns 1 column, not 2', 'previous with one column: an error');
SELECT throws_ok($$SELECT * FROM omni.resolve_identities('SELECT * FROM run2', previous => 'SELECT * FROM stored UNION ALL VALUES (''x1'', ''other'')')$$, '21000',
                 'omni.resolve_identities: record_id "x1" has two unified_ids in previous, "id-x1" and "other"', 'a record with two previous IDs: an error');
SELECT throws_ok($$SELECT * FROM omni.resolve_identities('SELECT * FROM idrows; SELECT * FROM idrows')$$, '22023',
                 'omni.resolve_identities: query must be one statement', 'two statements: an error');
SELECT throws_ok($$SELECT * FROM omni.resolve_identities('CREATE TEMP TABLE nothing_returned (a int)')$$, '22023',
                 'omni.resolve_identities: query returns no rows', 'a statement that returns no rows: an error');
SELECT is((SELECT count(*) FROM omni.resolve_identities('SELECT * FROM idrows WHERE false')), 0::bigint,
          'empty input: no rows');
SELECT is((SELECT count(*) FROM omni.resolve_identities('SELECT * FROM idrows', previous => 'SELECT * FROM stored WHERE false')),
          (SELECT count(*) FROM omni_50), 'empty previous: every cluster is new');
SELECT results_eq(
    $$SELECT count(*), count(DISTINCT unified_id), min(cluster_size), max(unified_id)
      FROM omni.resolve_identities('SELECT g::text, ''chain'', (g / 2)::text FROM generate_series(1, 20000) g
                                    UNION ALL SELECT g::text, ''chain'', ((g + 1) / 2)::text || ''b'' FROM generate_series(1, 20000) g')$$,
    $$VALUES (20000::bigint, 1::bigint, 20000, '1')$$,
    'one giant component: a chain of 20,000 records is one cluster');
SELECT is((SELECT count(*) FROM omni.identity_links('SELECT g::text, ''star'', ''hub'' FROM generate_series(1, 20000) g', max_shared => NULL)),
          19999::bigint, 'one giant component: a star of 20,000 records has 19,999 links');
-- long values: rows are interned in batches of at most 64 kB of keys, and a batch buffer grown
-- past 1 MB by one key is freed; 60 records, 6 distinct values of 300 kB or 1.5 MB, 10 records each
SELECT results_eq(
    $$SELECT count(*), count(DISTINCT unified_id), min(cluster_size), max(cluster_size)
      FROM omni.resolve_identities('SELECT g::text, ''blob'', repeat(chr(65 + g % 3), CASE WHEN g % 2 = 0 THEN 300000 ELSE 1500000 END)
                                    FROM generate_series(1, 60) g')$$,
    $$VALUES (60::bigint, 6::bigint, 10, 10)$$,
    'long identifier values (300 kB and 1.5 MB): 6 values of 10 records each, 6 clusters');
-- with previous, each new cluster's ID is its smallest record id, copied within the string
-- arena: 100,000 records without identifiers make the arena grow (and move) while it copies
SELECT results_eq(
    $$SELECT count(*), count(DISTINCT unified_id), max(cluster_size)
      FROM omni.resolve_identities('SELECT repeat(md5(g::text), 2) || g, NULL::text, NULL::text FROM generate_series(1, 100000) g',
                                   previous => 'SELECT ''a''::text, ''b''::text WHERE false')$$,
    $$VALUES (100000::bigint, 100000::bigint, 1)$$,
    'with previous: 100,000 new clusters named while the string arena grows');
SET LOCAL omni.identity_memory_limit = '2MB';
SELECT throws_like($$SELECT count(*) FROM omni.resolve_identities('SELECT g::text, ''e'', g::text FROM generate_series(1, 200000) g')$$,
                   'omni.resolve_identities needs more than omni.identity_memory_limit (2048 kB) for this input',
                   'past omni.identity_memory_limit: a clear error, not the machine''s memory');
RESET omni.identity_memory_limit;
-- ---------- long values: out of line (EXTERNAL storage) and compressed in line ----------
-- A value of more than about 2 kB is stored out of line or compressed, and reaches omni's
-- scan as a TOAST pointer or a compressed datum: it must compare by its bytes like any other.
CREATE TABLE toast_ext (r text, t text, v text);
ALTER TABLE toast_ext ALTER COLUMN r SET STORAGE EXTERNAL, ALTER COLUMN t SET STORAGE EXTERNAL,
                      ALTER COLUMN v SET STORAGE EXTERNAL;
CREATE TABLE toast_cmp (r text, t text, v text);
-- 3,200 incompressible bytes (out of line), a long record id, and a long identifier type
INSERT INTO toast_ext
SELECT x.r || (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 60) i), 'email',
       (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 100) i)
FROM (VALUES ('a'), ('b')) x(r);
INSERT INTO toast_ext VALUES ('c', repeat(md5('type'), 80), 'same'), ('d', repeat(md5('type'), 80), 'same');
-- compressible values (compressed in line)
INSERT INTO toast_cmp SELECT x.r || repeat('x', 5000), 'email', repeat('ab', 4000) FROM (VALUES ('a'), ('b')) x(r);
SELECT is((SELECT count(*) FROM toast_ext WHERE pg_column_size(v) < octet_length(v) AND pg_column_size(r) < octet_length(r))::int,
          0, 'toast_ext holds its long values uncompressed');
SELECT cmp_ok((SELECT max(pg_column_size(v)) FROM toast_cmp), '<', 8000, 'toast_cmp holds its long values compressed');
SELECT is((SELECT array_agg(cluster_size ORDER BY record_id) FROM omni.resolve_identities('SELECT r, t, v FROM toast_ext')),
          ARRAY[2, 2, 2, 2], 'out-of-line values and types: records sharing a 3,200-byte email are one cluster, and so are two sharing a long type''s value');
SELECT set_eq($$SELECT md5(record_id) AS r, md5(unified_id) AS u FROM omni.resolve_identities('SELECT r, t, v FROM toast_ext')$$,
              $$SELECT md5(r) AS r, md5(min(r) OVER (PARTITION BY t, v)) AS u FROM toast_ext$$,
              'out-of-line record ids come back byte for byte, the smallest one naming the cluster');
SELECT is((SELECT count(*) FROM omni.identity_links('SELECT r, t, v FROM toast_ext') l
           JOIN toast_ext e ON e.r = l.record_id JOIN toast_ext f ON f.r = l.linked_record_id
           WHERE l.identifier_value = e.v AND l.identifier_type = e.t AND f.v = e.v)::int,
          2, 'identity_links names both links with their long record ids, type and value');
SELECT is((SELECT array_agg(cluster_size ORDER BY record_id) FROM omni.resolve_identities('SELECT r, t, v FROM toast_cmp')),
          ARRAY[2, 2], 'compressed values: one cluster');
SELECT set_eq($$SELECT md5(record_id) FROM omni.resolve_identities('SELECT r, t, v FROM toast_cmp')$$,
              $$SELECT md5(r) FROM toast_cmp$$, 'compressed record ids come back whole');
-- previous with long record ids and a long old unified id, both out of line
CREATE TABLE toast_prev (record_id text, unified_id text);
ALTER TABLE toast_prev ALTER COLUMN record_id SET STORAGE EXTERNAL, ALTER COLUMN unified_id SET STORAGE EXTERNAL;
INSERT INTO toast_prev SELECT r, 'old-' || repeat(md5('id'), 100) FROM toast_ext WHERE t = 'email';
SELECT is((SELECT array_agg(DISTINCT md5(unified_id)) FROM omni.resolve_identities('SELECT r, t, v FROM toast_ext WHERE t = ''email''',
                                                                                previous => 'SELECT record_id, unified_id FROM toast_prev')),
          ARRAY[md5('old-' || repeat(md5('id'), 100))], 'previous read out of line: the cluster keeps its long old id');

-- (EXCEPTION WHEN OTHERS does not catch a cancel, so throws_ok cannot see it)
CREATE FUNCTION pg_temp.cancelled() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    -- a billion rows of 1,000 records without identifiers: long, in constant memory
    PERFORM count(*) FROM omni.resolve_identities('SELECT (g % 1000)::text, NULL::text, NULL::text FROM generate_series(1, 1000000000) g');
    RETURN 'finished';
EXCEPTION WHEN query_canceled THEN
    RETURN 'cancelled';
END $$;
SET LOCAL statement_timeout = '200ms';
SELECT is(pg_temp.cancelled(), 'cancelled', 'a long call can be cancelled (statement_timeout)');
RESET statement_timeout;

SELECT * FROM finish();
ROLLBACK;
