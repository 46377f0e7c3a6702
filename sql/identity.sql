-- Identity resolution: the normalisers on real-world writings, Jaro-Winkler's published
-- examples, and a small resolution with its links, guardrail report and stable IDs
-- (the examples of docs/identity.md).

-- normalize_email: trimmed, lower-cased, provider rules; NULL for what is not an address
SELECT email, omni.normalize_email(email) AS normalized, omni.is_valid_email(email) AS valid
FROM (VALUES ('Jane.Doe@Example.com'),
             ('  jane.doe@example.com '),
             ('J.A.N.E.D.O.E+newsletter@GMail.com'),
             ('janedoe@googlemail.com'),
             ('jane.doe+shop@outlook.com'),
             ('jane.doe+shop@yahoo.com'),
             ('jane.doe+shop@company.com'),
             ('Jane Doe <jane.doe@example.com>'),
             ('mailto:jane.doe@example.com'),
             ('jane.doe@example.com.'),
             ('jane.doe@mail.example.co.uk'),
             ('o''brien@example.ie'),
             ('josé@example.es'),
             ('jane.doe@example'),
             ('jane..doe@example.com'),
             ('.jane@example.com'),
             ('jane@@example.com'),
             ('jane doe@example.com'),
             ('jane@-example.com'),
             ('jane@192.168.0.1'),
             ('+newsletter@gmail.com'),
             ('n/a'),
             ('')) AS v(email);

-- normalize_phone: E.164 from national and international writings
SELECT phone, region, omni.normalize_phone(phone, region) AS e164
FROM (VALUES ('(415) 555-0100', 'US'),
             ('415.555.0100', 'US'),
             ('1-415-555-0100', 'US'),
             ('+1 415 555 0100', 'CA'),
             ('415-555-0100 ext. 23', 'US'),
             ('011 44 20 7946 0958', 'US'),
             ('1-800-FLOWERS', 'US'),
             ('555-0100', 'US'),
             ('(111) 555-0100', 'US'),
             ('020 7946 0958', 'GB'),
             ('+44 (0)20 7946 0958', 'GB'),
             ('07700 900123', 'uk'),
             ('0044 7700 900123', 'DE'),
             ('44 7700 900123', 'GB'),
             ('030 1234567', 'DE'),
             ('+49 (0)171 1234567', 'DE'),
             ('0171/1234567', 'DE'),
             ('01 23 45 67 89', 'FR'),
             ('06.12.34.56.78', 'FR'),
             ('+33 6 12 34 56 78', 'FR'),
             ('06 1234 5678', 'IT'),
             ('347 123 4567', 'IT'),
             ('+39 347 123 4567', 'IT'),
             ('612 34 56 78', 'ES'),
             ('+34 912 345 678', 'ES'),
             ('020 123 4567', 'NL'),
             ('06-12345678', 'NL'),
             ('03-1234-5678', 'JP'),
             ('090-1234-5678', 'JP'),
             ('+81 90 1234 5678', 'JP'),
             ('(02) 9876 5432', 'AU'),
             ('0412 345 678', 'AU'),
             ('1300 123 456', 'AU'),
             ('0011 1 415 555 0100', 'AU'),
             ('098765 43210', 'IN'),
             ('+91-98765-43210', 'IN'),
             ('91 98765 43210', 'IN'),
             ('(11) 91234-5678', 'BR'),
             ('(21) 3456-7890', 'BR'),
             ('0 21 11 91234-5678', 'BR'),
             ('+55 11 91234 5678', 'BR'),
             ('+7 495 123-45-67', 'US'),
             ('+44 20 7946', 'GB'),
             ('tel:+1-415-555-0100', 'US'),
             ('call me', 'US'),
             ('', 'US')) AS v(phone, region);

SELECT omni.normalize_phone('020 7946 0958', 'ZZ');

-- jaro_winkler: the published examples, and what lower() changes
SELECT a, b, round(omni.jaro_winkler(a, b)::numeric, 3) AS similarity
FROM (VALUES ('MARTHA', 'MARHTA'), ('DWAYNE', 'DUANE'), ('DIXON', 'DICKSONX'),
             ('Katherine', 'Catherine'), ('Jon', 'John'), ('Müller', 'Mueller'),
             ('Smith', 'SMITH'), ('', '')) AS v(a, b);
SELECT round(omni.jaro_winkler(lower('Smith'), lower('SMITH'))::numeric, 3) AS folded;

-- resolve_identities: contacts from three systems
CREATE TABLE contacts (record_id text, email text, phone text, country text);
INSERT INTO contacts VALUES
    ('crm:1',     'Jane.Doe@gmail.com',       '(415) 555-0100',  'US'),
    ('shop:77',   'janedoe+shop@gmail.com',    NULL,              'US'),
    ('support:9', NULL,                        '+1 415-555-0100', 'US'),
    ('crm:2',     'bob@example.com',           '020 7946 0958',   'GB'),
    ('shop:78',   'test@test.com',             '+44 20 7946 0958','GB'),
    ('shop:79',   'test@test.com',             NULL,              'US'),
    ('app:5',     'not an email',              NULL,              'US');
CREATE VIEW contact_identifiers AS
SELECT record_id, 'email' AS identifier_type, omni.normalize_email(email) AS identifier_value FROM contacts
UNION ALL
SELECT record_id, 'phone', omni.normalize_phone(phone, country) FROM contacts;

SELECT * FROM omni.resolve_identities('SELECT * FROM contact_identifiers',
                                      blocklist => '{test@test.com}')
ORDER BY unified_id, record_id;

SELECT * FROM omni.identity_links('SELECT * FROM contact_identifiers', blocklist => '{test@test.com}')
ORDER BY record_id, linked_record_id;

SELECT * FROM omni.identity_guardrail_report('SELECT * FROM contact_identifiers', blocklist => '{test@test.com}');

-- without the blocklist, test@test.com joins two strangers: shop:79 lands in Bob's cluster
SELECT * FROM omni.resolve_identities('SELECT * FROM contact_identifiers') ORDER BY unified_id, record_id;

-- max_per_type: a household shares a landline; at most one email per person
CREATE TABLE household (record_id text, identifier_type text, identifier_value text);
INSERT INTO household VALUES
    ('crm:10',  'email', 'ann@example.com'), ('crm:10', 'phone', '+493012345678'),
    ('crm:11',  'email', 'tom@example.com'), ('crm:11', 'phone', '+493012345678'),
    ('shop:12', 'email', 'ann@example.com');
SELECT * FROM omni.resolve_identities('SELECT * FROM household', max_per_type => '{"email": 1}')
ORDER BY unified_id, record_id;
SELECT * FROM omni.identity_guardrail_report('SELECT * FROM household', max_per_type => '{"email": 1}');

-- stable IDs: store a run, change the data, resolve again with previous
CREATE TABLE unified AS
SELECT * FROM omni.resolve_identities('SELECT * FROM contact_identifiers', blocklist => '{test@test.com}');
INSERT INTO contacts VALUES ('app:0', 'JANE.DOE@GMAIL.COM', NULL, 'US'),
                            ('app:6', 'bob@example.com', NULL, 'GB');
-- without previous, Jane's cluster would now be named after app:0, its smallest record_id
SELECT * FROM omni.resolve_identities('SELECT * FROM contact_identifiers', blocklist => '{test@test.com}')
ORDER BY unified_id, record_id;
-- with previous, every cluster keeps its ID
SELECT * FROM omni.resolve_identities('SELECT * FROM contact_identifiers',
                                      blocklist => '{test@test.com}',
                                      previous => 'SELECT record_id, unified_id FROM unified')
ORDER BY unified_id, record_id;

-- bad input
SELECT * FROM omni.resolve_identities('SELECT record_id, email FROM contacts');
SELECT * FROM omni.resolve_identities('SELECT 1, ''email'', ''a@b.c''');
SELECT * FROM omni.resolve_identities('SELECT * FROM contact_identifiers', max_per_type => '{"email": 0}');
DROP VIEW contact_identifiers;
DROP TABLE contacts, unified, household;
