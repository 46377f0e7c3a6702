-- ---------------------------------------------------------------------------------------
-- Golden profile: survivorship aggregates that merge one person's records into one profile,
-- with the lineage of every value (src/golden.c; docs/golden.md)
--
-- Every function IMMUTABLE and PARALLEL SAFE.  The aggregates take no defaults: one overload
-- per arity.  NULL attrs rows are skipped (a group of only NULLs gives {}); a NULL updated_at
-- ranks as -infinity; a NULL priority as 0; a NULL source shows as null in the lineage;
-- NULL rules means no rules.
-- ---------------------------------------------------------------------------------------

-- omni.profile_state: the surviving candidate of every key path (value, priority, timestamp,
-- source) and the rules.  In memory an expanded object changed in place row by row; its text
-- form is \x and the binary form in hex.
CREATE TYPE @extschema@.profile_state;
CREATE FUNCTION @extschema@.profile_state_in(cstring) RETURNS @extschema@.profile_state
    AS 'MODULE_PATHNAME', 'profile_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.profile_state_out(@extschema@.profile_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'profile_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.profile_state_recv(internal) RETURNS @extschema@.profile_state
    AS 'MODULE_PATHNAME', 'profile_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.profile_state_send(@extschema@.profile_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'profile_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.profile_state (
    INPUT = @extschema@.profile_state_in,
    OUTPUT = @extschema@.profile_state_out,
    RECEIVE = @extschema@.profile_state_recv,
    SEND = @extschema@.profile_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.profile_state IS
    'a golden profile in the making (omni.profile_state_agg): read with omni.golden_profile and omni.profile_lineage, merge with omni.rollup';

-- Transition and combine functions: not strict (they skip NULL rows themselves)
CREATE FUNCTION @extschema@.profile_merge_trans(@extschema@.profile_state, jsonb, timestamptz)
    RETURNS @extschema@.profile_state
    AS 'MODULE_PATHNAME', 'profile_merge_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.profile_merge_trans(@extschema@.profile_state, jsonb, timestamptz, integer)
    RETURNS @extschema@.profile_state
    AS 'MODULE_PATHNAME', 'profile_merge_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.profile_merge_trans(@extschema@.profile_state, jsonb, timestamptz, integer, jsonb)
    RETURNS @extschema@.profile_state
    AS 'MODULE_PATHNAME', 'profile_merge_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.profile_lineage_trans(@extschema@.profile_state, jsonb, timestamptz, text)
    RETURNS @extschema@.profile_state
    AS 'MODULE_PATHNAME', 'profile_lineage_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.profile_lineage_trans(@extschema@.profile_state, jsonb, timestamptz, text, integer)
    RETURNS @extschema@.profile_state
    AS 'MODULE_PATHNAME', 'profile_lineage_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.profile_lineage_trans(@extschema@.profile_state, jsonb, timestamptz, text, integer, jsonb)
    RETURNS @extschema@.profile_state
    AS 'MODULE_PATHNAME', 'profile_lineage_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.profile_state_combine(@extschema@.profile_state, @extschema@.profile_state)
    RETURNS @extschema@.profile_state
    AS 'MODULE_PATHNAME', 'profile_state_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

-- Accessors (also the aggregates' final functions)
CREATE FUNCTION @extschema@.golden_profile(state @extschema@.profile_state) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'golden_profile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.golden_profile(@extschema@.profile_state) IS
    'the golden profile: every key''s surviving value, nested objects merged key by key';
CREATE FUNCTION @extschema@.profile_lineage(state @extschema@.profile_state) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'profile_lineage' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.profile_lineage(@extschema@.profile_state) IS
    'every key''s surviving value with its source, priority, timestamp and rule';

CREATE AGGREGATE @extschema@.merge_profiles(attrs jsonb, updated_at timestamptz) (
    SFUNC = @extschema@.profile_merge_trans, STYPE = @extschema@.profile_state,
    FINALFUNC = @extschema@.golden_profile, COMBINEFUNC = @extschema@.profile_state_combine,
    SSPACE = 2000, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.merge_profiles(jsonb, timestamptz) IS
    'golden profile: per key the most recent non-null value';
CREATE AGGREGATE @extschema@.merge_profiles(attrs jsonb, updated_at timestamptz, priority integer) (
    SFUNC = @extschema@.profile_merge_trans, STYPE = @extschema@.profile_state,
    FINALFUNC = @extschema@.golden_profile, COMBINEFUNC = @extschema@.profile_state_combine,
    SSPACE = 2000, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.merge_profiles(jsonb, timestamptz, integer) IS
    'golden profile: per key the non-null value of the highest priority, then the most recent';
CREATE AGGREGATE @extschema@.merge_profiles(attrs jsonb, updated_at timestamptz, priority integer, rules jsonb) (
    SFUNC = @extschema@.profile_merge_trans, STYPE = @extschema@.profile_state,
    FINALFUNC = @extschema@.golden_profile, COMBINEFUNC = @extschema@.profile_state_combine,
    SSPACE = 2000, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.merge_profiles(jsonb, timestamptz, integer, jsonb) IS
    'golden profile with per-key rules (priority, latest, earliest, max, min, union, any, all)';
CREATE AGGREGATE @extschema@.merge_profiles_lineage(attrs jsonb, updated_at timestamptz, source text) (
    SFUNC = @extschema@.profile_lineage_trans, STYPE = @extschema@.profile_state,
    FINALFUNC = @extschema@.profile_lineage, COMBINEFUNC = @extschema@.profile_state_combine,
    SSPACE = 3000, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.merge_profiles_lineage(jsonb, timestamptz, text) IS
    'merge_profiles(attrs, updated_at) with each value''s source, priority and timestamp';
CREATE AGGREGATE @extschema@.merge_profiles_lineage(attrs jsonb, updated_at timestamptz, source text, priority integer) (
    SFUNC = @extschema@.profile_lineage_trans, STYPE = @extschema@.profile_state,
    FINALFUNC = @extschema@.profile_lineage, COMBINEFUNC = @extschema@.profile_state_combine,
    SSPACE = 3000, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.merge_profiles_lineage(jsonb, timestamptz, text, integer) IS
    'merge_profiles(attrs, updated_at, priority) with each value''s source, priority and timestamp';
CREATE AGGREGATE @extschema@.merge_profiles_lineage(attrs jsonb, updated_at timestamptz, source text, priority integer,
                                                    rules jsonb) (
    SFUNC = @extschema@.profile_lineage_trans, STYPE = @extschema@.profile_state,
    FINALFUNC = @extschema@.profile_lineage, COMBINEFUNC = @extschema@.profile_state_combine,
    SSPACE = 3000, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.merge_profiles_lineage(jsonb, timestamptz, text, integer, jsonb) IS
    'merge_profiles(attrs, updated_at, priority, rules) with each value''s source, priority and timestamp';

-- two-step: states per source or per day, merged later with omni.rollup
CREATE AGGREGATE @extschema@.profile_state_agg(attrs jsonb, updated_at timestamptz, source text, priority integer,
                                               rules jsonb) (
    SFUNC = @extschema@.profile_lineage_trans, STYPE = @extschema@.profile_state,
    COMBINEFUNC = @extschema@.profile_state_combine, SSPACE = 3000, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.profile_state_agg(jsonb, timestamptz, text, integer, jsonb) IS
    'the state of merge_profiles_lineage, to store and merge later (omni.rollup, omni.golden_profile, omni.profile_lineage)';
CREATE AGGREGATE @extschema@.rollup(@extschema@.profile_state) (
    SFUNC = @extschema@.profile_state_combine, STYPE = @extschema@.profile_state,
    COMBINEFUNC = @extschema@.profile_state_combine, SSPACE = 3000, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.profile_state) IS
    'merges profile states of the same rules: the same as merging their rows';

-- omni.pick_state: the surviving value of one typed column, in its type's binary form
CREATE TYPE @extschema@.pick_state;
CREATE FUNCTION @extschema@.pick_state_in(cstring) RETURNS @extschema@.pick_state
    AS 'MODULE_PATHNAME', 'pick_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.pick_state_out(@extschema@.pick_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pick_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.pick_state_recv(internal) RETURNS @extschema@.pick_state
    AS 'MODULE_PATHNAME', 'pick_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.pick_state_send(@extschema@.pick_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'pick_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.pick_state (
    INPUT = @extschema@.pick_state_in,
    OUTPUT = @extschema@.pick_state_out,
    RECEIVE = @extschema@.pick_state_recv,
    SEND = @extschema@.pick_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.pick_state IS
    'the state of omni.latest and omni.by_priority: the surviving value, its rank and type';

CREATE FUNCTION @extschema@.pick_latest_trans(@extschema@.pick_state, anyelement, timestamptz)
    RETURNS @extschema@.pick_state
    AS 'MODULE_PATHNAME', 'pick_latest_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.pick_priority_trans(@extschema@.pick_state, anyelement, integer, timestamptz)
    RETURNS @extschema@.pick_state
    AS 'MODULE_PATHNAME', 'pick_priority_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.pick_state_combine(@extschema@.pick_state, @extschema@.pick_state)
    RETURNS @extschema@.pick_state
    AS 'MODULE_PATHNAME', 'pick_state_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.pick_final(@extschema@.pick_state, anyelement, timestamptz) RETURNS anyelement
    AS 'MODULE_PATHNAME', 'pick_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.pick_final(@extschema@.pick_state, anyelement, integer, timestamptz) RETURNS anyelement
    AS 'MODULE_PATHNAME', 'pick_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.latest(value anyelement, at timestamptz) (
    SFUNC = @extschema@.pick_latest_trans, STYPE = @extschema@.pick_state,
    FINALFUNC = @extschema@.pick_final, FINALFUNC_EXTRA,
    COMBINEFUNC = @extschema@.pick_state_combine, SSPACE = 64, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.latest(anyelement, timestamptz) IS
    'the non-null value with the latest timestamp (ties: the larger binary form)';
CREATE AGGREGATE @extschema@.by_priority(value anyelement, priority integer, at timestamptz) (
    SFUNC = @extschema@.pick_priority_trans, STYPE = @extschema@.pick_state,
    FINALFUNC = @extschema@.pick_final, FINALFUNC_EXTRA,
    COMBINEFUNC = @extschema@.pick_state_combine, SSPACE = 64, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.by_priority(anyelement, integer, timestamptz) IS
    'the non-null value of the highest priority, then the latest timestamp (ties: the larger binary form)';
