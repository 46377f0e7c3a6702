-- test/citus/identity_sharded.sql — identity resolution for contacts beyond one node's memory,
-- on Citus: resolve each shard on its worker, then merge the shards' clusters through the
-- identifiers they share.  The answer (record_id, unified_id, cluster_size) is the one
-- omni.resolve_identities gives on all the records at once with the same max_shared and
-- blocklist (scripts/test-citus.sh checks it row for row); docs/scaling.md shows these steps.
-- psql variables: max_shared (an integer), blocklist (a text[] literal).
SET client_min_messages = warning;

-- 1. The identifiers, materialised and distributed like the contacts (by record_id), so that
--    every shard holds all the identifiers of its records.
CREATE TABLE shop.identifiers (record_id text NOT NULL, identifier_type text NOT NULL, identifier_value text);
SELECT create_distributed_table('shop.identifiers', 'record_id', colocate_with => 'shop.contacts');
INSERT INTO shop.identifiers SELECT record_id, identifier_type, identifier_value FROM shop.contact_identifiers;

-- 2. The guardrails that count across all records, decided once, globally: an identifier held
--    by more than max_shared distinct records, or on the blocklist, links nothing.  A
--    reference table, so every worker sees it.
CREATE TABLE shop.identity_ignored (identifier_type text NOT NULL, identifier_value text NOT NULL);
SELECT create_reference_table('shop.identity_ignored');
INSERT INTO shop.identity_ignored
SELECT identifier_type, identifier_value
FROM shop.identifiers
WHERE identifier_value IS NOT NULL
GROUP BY identifier_type, identifier_value
HAVING count(DISTINCT record_id) > :max_shared OR identifier_value = ANY (:'blocklist'::text[]);

-- 3. Each shard resolved on its worker, in parallel, into a colocated table: record_id and the
--    shard-local cluster's id (its smallest record_id).  Ignored identifiers become NULL (the
--    record stays, the value links nothing); the guardrails are already applied, so none here.
CREATE TABLE shop.local_clusters (record_id text NOT NULL, local_id text NOT NULL);
SELECT create_distributed_table('shop.local_clusters', 'record_id', colocate_with => 'shop.identifiers');
SELECT bool_and(success) AS every_shard_resolved, count(*) AS shards
FROM run_command_on_colocated_placements('shop.identifiers', 'shop.local_clusters', $cmd$
    INSERT INTO %2$s (record_id, local_id)
    SELECT record_id, unified_id
    FROM omni.resolve_identities(
        'SELECT i.record_id, i.identifier_type,
                CASE WHEN x.identifier_value IS NULL THEN i.identifier_value END
         FROM %1$s i
         LEFT JOIN shop.identity_ignored x USING (identifier_type, identifier_value)',
        max_shared => NULL)
$cmd$);

-- 4. The merge: a graph whose nodes are the shard-local clusters and whose identifiers are
--    those held by more than one of them (an identifier inside one local cluster has done all
--    its linking already).  Resolved on the coordinator: its size is the number of
--    (local cluster, shared identifier) pairs, not the number of records.  The merged
--    cluster's id is the smallest local id, which is the smallest record_id of all its
--    records: the id the single-node run gives.
CREATE TABLE shop.cluster_links (local_id text NOT NULL, identifier_type text NOT NULL, identifier_value text NOT NULL);
SELECT create_distributed_table('shop.cluster_links', 'local_id', colocate_with => 'none');
INSERT INTO shop.cluster_links
SELECT DISTINCT l.local_id, i.identifier_type, i.identifier_value
FROM shop.identifiers i
JOIN shop.local_clusters l USING (record_id)
LEFT JOIN shop.identity_ignored x USING (identifier_type, identifier_value)
WHERE i.identifier_value IS NOT NULL AND x.identifier_value IS NULL;
CREATE TABLE shop.merged_clusters (local_id text PRIMARY KEY, unified_id text NOT NULL);
SELECT create_reference_table('shop.merged_clusters');
INSERT INTO shop.merged_clusters
SELECT record_id, unified_id
FROM omni.resolve_identities(
    'SELECT local_id, identifier_type, identifier_value
     FROM shop.cluster_links
     WHERE (identifier_type, identifier_value) IN (SELECT identifier_type, identifier_value
                                                   FROM shop.cluster_links
                                                   GROUP BY 1, 2 HAVING count(*) > 1)',
    max_shared => NULL)
WHERE record_id <> unified_id;

-- 5. Every record's unified id (a distributed table again) and its cluster's size.
CREATE TABLE shop.unified (record_id text NOT NULL, unified_id text NOT NULL);
SELECT create_distributed_table('shop.unified', 'record_id', colocate_with => 'shop.contacts');
INSERT INTO shop.unified
SELECT l.record_id, coalesce(m.unified_id, l.local_id)
FROM shop.local_clusters l LEFT JOIN shop.merged_clusters m USING (local_id);
