-- ---------------------------------------------------------------------------------------
-- Normalisers for identity resolution: e-mail addresses, telephone numbers (E.164) and the
-- Jaro-Winkler similarity (src/normalize.c; rules and coverage in docs/identity.md)
-- ---------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.normalize_email(email text) RETURNS text
    AS 'MODULE_PATHNAME', 'normalize_email' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normalize_email(text) IS
    'the address trimmed and lower-cased, with the documented provider rules applied (Gmail: dots and +tags; Outlook.com, Fastmail, Proton: +tags); NULL when the text is not an address';

CREATE FUNCTION @extschema@.is_valid_email(email text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'is_valid_email' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_valid_email(text) IS
    'true when omni.normalize_email accepts the text as an address';

CREATE FUNCTION @extschema@.normalize_phone(phone text, default_region text) RETURNS text
    AS 'MODULE_PATHNAME', 'normalize_phone' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normalize_phone(text, text) IS
    'the number in E.164 (+14155550100) from national writings of default_region or international ones; NULL when it cannot be a number of that plan (regions: US CA PR GB DE FR IT ES NL JP AU IN BR)';

CREATE FUNCTION @extschema@.jaro_winkler(a text, b text) RETURNS double precision
    AS 'MODULE_PATHNAME', 'jaro_winkler' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.jaro_winkler(text, text) IS
    'Jaro-Winkler similarity of two strings, by character, case-sensitive: 1 identical, 0 nothing in common (prefix scale 0.1, prefix up to 4)';
