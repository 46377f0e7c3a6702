-- ---------------------------------------------------------------------------------------
-- Identity resolution: which records are one person, with guardrails, stable unified IDs,
-- the links that explain each cluster and a report of what the guardrails removed
-- (src/identity.c; docs/identity.md)
--
-- VOLATILE and PARALLEL RESTRICTED because they run the caller's query text, which may read
-- anything (temporary tables included) and call volatile functions.  Not strict: query must
-- not be NULL (an error); a NULL option means "none" (no max_shared limit, no blocklist, no
-- caps, no previous run).
-- ---------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.resolve_identities(query text,
                                               max_shared integer DEFAULT 50,
                                               blocklist text[] DEFAULT '{}',
                                               max_per_type jsonb DEFAULT NULL,
                                               previous text DEFAULT NULL)
    RETURNS TABLE (record_id text, unified_id text, cluster_size integer)
    AS 'MODULE_PATHNAME', 'resolve_identities' LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL RESTRICTED
    ROWS 1000;
COMMENT ON FUNCTION @extschema@.resolve_identities(text, integer, text[], jsonb, text) IS
    'one row per record of query (record_id, identifier_type, identifier_value): its cluster''s unified_id and size; records sharing an identifier are one person';

CREATE FUNCTION @extschema@.identity_links(query text,
                                           max_shared integer DEFAULT 50,
                                           blocklist text[] DEFAULT '{}',
                                           max_per_type jsonb DEFAULT NULL)
    RETURNS TABLE (record_id text, linked_record_id text, identifier_type text, identifier_value text)
    AS 'MODULE_PATHNAME', 'identity_links' LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL RESTRICTED
    ROWS 1000;
COMMENT ON FUNCTION @extschema@.identity_links(text, integer, text[], jsonb) IS
    'the links that joined each cluster of omni.resolve_identities (a spanning forest): two records and the identifier they share';

CREATE FUNCTION @extschema@.identity_guardrail_report(query text,
                                                      max_shared integer DEFAULT 50,
                                                      blocklist text[] DEFAULT '{}',
                                                      max_per_type jsonb DEFAULT NULL)
    RETURNS TABLE (identifier_type text, identifier_value text, records integer, reason text)
    AS 'MODULE_PATHNAME', 'identity_guardrail_report' LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL RESTRICTED
    ROWS 100;
COMMENT ON FUNCTION @extschema@.identity_guardrail_report(text, integer, text[], jsonb) IS
    'the identifier values omni.resolve_identities ignored (blocklist, max_shared) or whose links it refused (max_per_type), with the records holding them';
