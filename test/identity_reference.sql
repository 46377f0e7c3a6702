-- The normalisers against independent references: omni.normalize_phone against Google's
-- libphonenumber (Debian's python3-phonenumbers 8.12.57) on 1,376 writings of numbers of
-- every covered region (test/fixtures/make_phone_fixtures.py), omni.jaro_winkler against a
-- plain transcription of Jaro's and Winkler's definitions (make_jaro_winkler_fixtures.py),
-- and the properties normalisers must have (idempotent, region-free on E.164, NULL-safe).
-- pg_prove runs this from the repository root, so the \copy paths are relative to it.
BEGIN;
SELECT plan(16);
SET LOCAL client_min_messages = warning;

CREATE TEMP TABLE phone_ref (writing text, region text, e164 text, kind text);
\copy phone_ref FROM 'test/fixtures/phone_writings.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE jw_ref (a text, b text, similarity float8);
\copy jw_ref FROM 'test/fixtures/jaro_winkler.csv' WITH (FORMAT csv, HEADER true)

CREATE TEMP TABLE phone_cmp AS
SELECT writing, region, nullif(e164, '') AS reference, omni.normalize_phone(writing, region) AS omni, kind
FROM phone_ref;

-- ---------- telephone numbers vs libphonenumber ----------
SELECT is((SELECT count(*) FROM phone_cmp), 1376::bigint, 'the fixture holds 1,376 writings');
SELECT is((SELECT count(DISTINCT region) FROM phone_cmp), 13::bigint,
          'every documented region is in the fixture (US CA PR GB DE FR IT ES NL JP AU IN BR)');
SELECT ok((SELECT count(*) FILTER (WHERE reference IS NULL) FROM phone_cmp) >= 200
          AND (SELECT count(*) FILTER (WHERE reference IS NOT NULL) FROM phone_cmp) >= 1000,
          'the fixture has both numbers and non-numbers');

-- the one known difference, by design: libphonenumber reads a number with trailing letters
-- as the digits before them ("030 1234AB" -> +49301234); omni refuses letters (vanity numbers
-- are not converted, and a half-read number is not one to link records on)
SELECT is((SELECT count(*) FROM phone_cmp WHERE omni IS DISTINCT FROM reference AND kind NOT LIKE '%/letters'),
          0::bigint, 'every writing but those with letters: the E.164 form libphonenumber gives, or NULL where it finds no valid number');
SELECT is((SELECT count(*) FROM phone_cmp WHERE kind LIKE '%/letters' AND omni IS NOT NULL), 0::bigint,
          'writings with letters: NULL');
SELECT is((SELECT string_agg(writing || ' (' || region || '): omni ' || coalesce(omni, 'NULL') || ', libphonenumber ' || coalesce(reference, 'NULL'), '; ' ORDER BY region, writing)
           FROM phone_cmp WHERE omni IS DISTINCT FROM reference AND kind NOT LIKE '%/letters'),
          NULL, 'no writing differs (listed here when one does)');
SELECT is((SELECT count(*) FROM phone_cmp WHERE kind LIKE '%/national' AND omni IS NOT NULL), 
          (SELECT count(*) FROM phone_cmp WHERE kind LIKE '%/national'),
          'every national writing of a valid number is read');

-- ---------- properties ----------
SELECT is((SELECT count(*) FROM phone_cmp c CROSS JOIN (VALUES ('US'), ('GB'), ('JP'), ('BR')) r(region)
           WHERE c.omni IS NOT NULL AND omni.normalize_phone(c.omni, r.region) IS DISTINCT FROM c.omni),
          0::bigint, 'normalize_phone of its own E.164 answer gives it back, whatever the default region');
-- (German freephone numbers run to 15 digits after the country code, 17 in all, past
-- E.164's 15; libphonenumber accepts them too)
SELECT is((SELECT count(*) FROM phone_cmp WHERE omni IS NOT NULL AND omni !~ '^\+[1-9][0-9]{6,14}$'
                                            AND NOT (omni ~ '^\+49800[0-9]{7,12}$')),
          0::bigint, 'every answer is +, a country code and the number, at most 15 digits (German 0800 numbers aside)');
CREATE TEMP TABLE emails AS
SELECT e FROM (VALUES ('Jane.Doe@Example.com'), ('  J.A.N.E.D.O.E+news@GMail.com '), ('jane+x@outlook.com'),
                      ('Jane Doe <jane@example.com>'), ('mailto:jane@example.com'), ('jane@example.com.'),
                      ('josé@example.es'), ('x@y'), ('a..b@example.com'), ('+tag@gmail.com'), (''),
                      ('ＪＡＮＥ@example.com'), ('jane@EXAMPLE.COM'), ('jane.doe@googlemail.com')) v(e);
SELECT is((SELECT count(*) FROM emails WHERE omni.normalize_email(omni.normalize_email(e)) IS DISTINCT FROM omni.normalize_email(e)),
          0::bigint, 'normalize_email is idempotent');
SELECT is((SELECT count(*) FROM emails WHERE omni.is_valid_email(e) <> (omni.normalize_email(e) IS NOT NULL)),
          0::bigint, 'is_valid_email is true exactly where normalize_email gives an address');
SELECT is((SELECT count(*) FROM emails WHERE omni.normalize_email(e) ~ '[A-Z]'), 0::bigint,
          'normalised addresses hold no ASCII capital');
SELECT is(omni.normalize_email(NULL), NULL, 'normalize_email(NULL) is NULL (strict)');
SELECT is(omni.normalize_phone(NULL, 'US'), NULL, 'normalize_phone(NULL, region) is NULL (strict)');

-- ---------- Jaro-Winkler vs the definition ----------
SELECT is((SELECT count(*) FROM jw_ref WHERE abs(omni.jaro_winkler(a, b) - similarity) > 1e-12), 0::bigint,
          'jaro_winkler equals the transcription of the definition on every fixture pair (1e-12)');
SELECT is((SELECT count(*) FROM jw_ref WHERE omni.jaro_winkler(a, b) <> omni.jaro_winkler(b, a)
                                             AND abs(omni.jaro_winkler(a, b) - omni.jaro_winkler(b, a)) > 1e-12), 0::bigint,
          'jaro_winkler is symmetric');

SELECT * FROM finish();
ROLLBACK;
