-- demo/sample.sql — a realistic, seeded sample of a marketing data team's tables (schema demo).
--
--   psql -X -v ON_ERROR_STOP=1 -d omni_demo -f demo/sample.sql      (a few seconds)
--
-- An online shop ("Acme Shop") over 8 months: customers first seen 2025-03-01 .. 2025-10-20,
-- and everything they were sent and did until the snapshot, 2025-10-20 12:00 UTC (the moment
-- the data were exported: nothing after it exists).  Monthly cohorts March .. October, October
-- still running.
--
-- demo.customers        2,000  one row per person; customer_id follows first_seen_at
-- demo.contacts        ~4,400  the same people as the crm, ecommerce, support and app systems
--                              hold them: case, whitespace, gmail dots, +tags, googlemail,
--                              "Name <addr>", Apple relay addresses, five phone formats,
--                              nicknames, "LAST, FIRST", duplicates inside the CRM, households
--                              sharing a phone.  customer_id is the hidden truth, for
--                              identity-resolution demos; a real pipeline would not have it.
-- demo.messages        ~63k    one row per sent message: email, sms, push, web
-- demo.message_events  ~168k   the raw event log the ESPs and gateways deliver
--
-- Channels and their event vocabulary (what each provider reports):
--   email  send, deliver | bounce (~3%), open (tracking pixel), click (tracked link),
--          unsubscribe, complaint (feedback loop).  Two ESPs: the marketing ESP (newsletters,
--          promotions) sends esp_machine_flag on opens and clicks (true when it believes a
--          machine made them; it catches most Apple proxy opens and some scanners); the
--          transactional ESP (welcome series, abandoned cart) does not: NULL.  The flag is
--          NULL on every non-engagement event.
--   sms    send, deliver | bounce (undelivered), click (tracked short link), unsubscribe
--          (a STOP reply).  No open signal: SMS has no pixel.  iMessage fetches a link preview
--          the moment a message arrives from a sender in the contacts: those show up as
--          clicks within 1-3 s of delivery with the facebookexternalhit/Twitterbot agent.
--   push   send, deliver | bounce (invalid device token), open = the notification was tapped
--          and opened the app (the app reports it with its own agent).  No clicks.
--   web    browser web-push notifications: send, deliver | bounce (expired subscription),
--          click = the notification was clicked.  No opens.  Launched 2025-07-01; push (the
--          mobile app) launched 2025-05-01, so earlier cohort months have no push or web.
--
-- What makes email opens hard (and what omni.is_machine_open / message_outcome deal with):
--   * Apple Mail Privacy Protection: ~45% of people read mail in Apple Mail with MPP on.
--     Apple's proxy fetches the pixel of ~93% of their delivered emails within seconds to
--     minutes of delivery, with the agent exactly 'Mozilla/5.0', whether anybody reads the
--     message or not (12% get a second proxy fetch hours later).  Their real reads are
--     invisible (the proxy cached the pixel) but their clicks are not.
--   * Human opens from Gmail's image proxy, Outlook, Yahoo's proxy, Thunderbird, Samsung
--     Email and Apple Mail without MPP, minutes to days after delivery, 35% with a repeat open.
--     About 1% of them are logged up to 2 minutes *before* the delivery event (clock skew
--     between the MTA and the tracking server).
--   * Security gateways at ~5% of people (work addresses): within 0.2-2 s of delivery they
--     fetch the pixel and click every link in a burst; three of the five companies' scanners
--     announce themselves ('Barracuda Sentinel (EE)', 'Mimecast URL Protect'), the other two
--     pretend to be desktop Chrome and are only given away by their timing.
--   * Engagement decays with tenure; unsubscribes (~11% of people by the export) and
--     complaints (~1%) stop email; SMS STOPs stop sms.
--   * The autumn_launch email (2025-09-16) is an A/B subject-line test: autumn_launch_A and
--     autumn_launch_B, recipients split at random; B's subject line really is better
--     (x1.8 reads).  Its sms, push and web sends keep the name autumn_launch.
--
-- Deterministic: one setseed(), then random() in a fixed order of statements, each drawing
-- while it scans a temporary staging table written in a fixed order (ORDER BY on a unique key
-- wherever the rows come out of a join), with no parallel plans: every load gives the same
-- rows, whatever plans the joins get.  Timestamps are generated and shown in UTC.

SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET work_mem = '64MB';

DROP SCHEMA IF EXISTS demo CASCADE;
CREATE SCHEMA demo;
COMMENT ON SCHEMA demo IS 'omni demo: a seeded sample of customers, contacts, messages and raw message events (demo/sample.sql)';

CREATE TABLE demo.customers (
    customer_id   integer     NOT NULL,
    first_seen_at timestamptz NOT NULL,
    signup_source text        NOT NULL,
    country       text        NOT NULL,   -- ISO 3166-1 alpha-2
    time_zone     text        NOT NULL    -- IANA name
);
CREATE TABLE demo.contacts (
    record_id     text        NOT NULL,   -- the source system's own key
    source_system text        NOT NULL,   -- crm, ecommerce, support, app
    customer_id   integer     NOT NULL,   -- the hidden truth: who this record really is
    email         text,                   -- as the system holds it: messy
    phone         text,                   -- as the system holds it: messy
    name          text,
    updated_at    timestamptz NOT NULL
);
CREATE TABLE demo.messages (
    message_id   bigint      NOT NULL,
    customer_id  integer     NOT NULL,
    channel      text        NOT NULL,    -- email, sms, push, web
    campaign     text        NOT NULL,
    sent_at      timestamptz NOT NULL,
    delivered_at timestamptz,             -- NULL when bounced
    bounced      boolean     NOT NULL
);
CREATE TABLE demo.message_events (
    event_id         bigint      NOT NULL,   -- in the order the events were logged
    message_id       bigint      NOT NULL,
    recipient        text        NOT NULL,   -- email address, E.164 phone, device token, web-push endpoint
    event_type       text        NOT NULL,   -- send, deliver, bounce, open, click, unsubscribe, complaint
    occurred_at      timestamptz NOT NULL,
    user_agent       text,                   -- opens and clicks only
    esp_machine_flag boolean                 -- the marketing ESP's own machine verdict; NULL when not provided
);

DO $$ BEGIN PERFORM setseed(0.2025); END $$;

-- ---------------------------------------------------------------------------------------
-- Hidden traits of each person (temporary: the analyst never sees them)
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE draws AS
SELECT g,
       random() AS r_seen, random() AS r_src, random() AS r_country, random() AS r_tz,
       random() AS r_client, random() AS r_scanner, random() AS r_company,
       random() AS r_eng, random() AS r_eng2,
       random() AS r_first, random() AS r_last, random() AS r_pattern, random() AS r_domain,
       random() AS r_stop, random() AS r_stop_t,
       random() AS r_sms, random() AS r_sms_stop, random() AS r_sms_stop_t,
       random() AS r_app, random() AS r_app_t, random() AS r_web, random() AS r_web_t,
       random() AS r_household, random() AS r_iphone, random() AS r_cart
FROM generate_series(1, 2000) AS g;

CREATE TEMP TABLE traits AS
WITH firsts(names) AS (
    -- given name | nickname (the nickname is what some systems hold)
    SELECT ARRAY['James|Jim', 'Robert|Bob', 'Michael|Mike', 'William|Bill', 'David|Dave',
                 'Richard|Rick', 'Joseph|Joe', 'Thomas|Tom', 'Christopher|Chris', 'Daniel|Dan',
                 'Matthew|Matt', 'Anthony|Tony', 'Mary', 'Patricia|Pat', 'Jennifer|Jen',
                 'Linda', 'Elizabeth|Liz', 'Barbara|Barb', 'Susan|Sue', 'Jessica|Jess',
                 'Sarah', 'Karen', 'Emma', 'Olivia', 'Sophie', 'Charlotte|Charlie',
                 'Amelia|Millie', 'Oliver|Ollie', 'Harry', 'Jack', 'Noah', 'Liam', 'Lukas',
                 'Maximilian|Max', 'Felix', 'Hannah', 'Lena', 'Léa', 'Chloé', 'Hugo', 'Lucas',
                 'Sofía', 'Mateo', 'Lucía', 'Aoife', 'Seán', 'Saoirse', 'Lars', 'Astrid',
                 'Chiara', 'Mia', 'Zoe', 'Ethan', 'Aarav', 'Priya', 'Wei', 'Mei', 'Yuki',
                 'Omar', 'Fatima']
), lasts(names) AS (
    SELECT ARRAY['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis',
                 'Rodriguez', 'Martinez', 'Wilson', 'Anderson', 'Taylor', 'Thomas', 'Moore',
                 'Jackson', 'Martin', 'Lee', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis',
                 'Walker', 'Hall', 'Young', 'Müller', 'Schmidt', 'Schneider', 'Fischer',
                 'Weber', 'Meyer', 'Wagner', 'Becker', 'Dubois', 'Lefèvre', 'Moreau',
                 'Laurent', 'García', 'Fernández', 'López', 'O''Brien', 'O''Connor', 'Murphy',
                 'Kelly', 'van der Berg', 'de Vries', 'Jansen', 'Andersson', 'Johansson',
                 'Nguyen', 'Patel', 'Singh', 'Chen', 'Wang', 'Kim', 'Tanaka', 'MacDonald',
                 'Smith-Jones', 'Novak']
), base AS (
    SELECT d.*,
           timestamptz '2025-03-01 00:00+00'
             + power(d.r_seen, 0.8) * (timestamptz '2025-10-20 12:00+00' - timestamptz '2025-03-01 00:00+00')
             AS first_seen_at,
           CASE WHEN d.r_src < 0.28 THEN 'organic_search' WHEN d.r_src < 0.52 THEN 'paid_social'
                WHEN d.r_src < 0.70 THEN 'paid_search'    WHEN d.r_src < 0.82 THEN 'referral'
                WHEN d.r_src < 0.92 THEN 'popup_form'     ELSE 'marketplace' END AS signup_source,
           CASE WHEN d.r_country < 0.40 THEN 'US' WHEN d.r_country < 0.55 THEN 'GB'
                WHEN d.r_country < 0.65 THEN 'DE' WHEN d.r_country < 0.73 THEN 'CA'
                WHEN d.r_country < 0.80 THEN 'AU' WHEN d.r_country < 0.86 THEN 'FR'
                WHEN d.r_country < 0.90 THEN 'NL' WHEN d.r_country < 0.94 THEN 'ES'
                WHEN d.r_country < 0.97 THEN 'IE' WHEN d.r_country < 0.99 THEN 'SE'
                ELSE 'NZ' END AS country0,
           -- how a person reads email; security gateways sit in front of work mailboxes
           CASE WHEN d.r_scanner < 0.05 THEN 'outlook'
                WHEN d.r_client < 0.45 THEN 'apple_mpp' WHEN d.r_client < 0.52 THEN 'apple'
                WHEN d.r_client < 0.76 THEN 'gmail'     WHEN d.r_client < 0.88 THEN 'outlook'
                WHEN d.r_client < 0.93 THEN 'yahoo'     ELSE 'other' END AS client,
           CASE WHEN d.r_scanner < 0.05 THEN 1 + floor(d.r_company * 5)::int END AS company,
           f.names[1 + floor(d.r_first * array_length(f.names, 1))::int] AS first_entry,
           l.names[1 + floor(d.r_last * array_length(l.names, 1))::int] AS last_name0
    FROM draws d CROSS JOIN firsts f CROSS JOIN lasts l
), ordered AS (
    SELECT row_number() OVER (ORDER BY b.first_seen_at, b.g)::int AS customer_id, b.*
    FROM base b
), household AS (
    -- ~1.5% live with the previous customer: same surname, country and home phone
    SELECT o.*,
           (o.r_household < 0.015 AND o.customer_id > 1 AND o.company IS NULL
            AND lag(o.company) OVER w IS NULL) AS shares_home,
           lag(o.country0) OVER w AS prev_country, lag(o.last_name0) OVER w AS prev_last
    FROM ordered o
    WINDOW w AS (ORDER BY o.customer_id)
), t AS (
    SELECT h.*,
           CASE WHEN h.shares_home THEN h.prev_country ELSE h.country0 END AS country,
           CASE WHEN h.shares_home THEN h.prev_last ELSE h.last_name0 END AS last_name,
           CASE WHEN h.shares_home THEN h.customer_id - 1 ELSE h.customer_id END AS phone_owner,
           split_part(h.first_entry, '|', 1) AS first_name,
           nullif(split_part(h.first_entry, '|', 2), '') AS nickname,
           -- engagement: a third dormant, half moderate, a fifth fans; referrals engage more
           least(0.95,
                 CASE WHEN h.r_eng < 0.30 THEN 0.02 + 0.05 * h.r_eng2
                      WHEN h.r_eng < 0.80 THEN 0.12 + 0.30 * h.r_eng2
                      ELSE 0.45 + 0.40 * h.r_eng2 END
                 * CASE h.signup_source WHEN 'referral' THEN 1.25 WHEN 'organic_search' THEN 1.1
                        WHEN 'paid_social' THEN 0.8 WHEN 'marketplace' THEN 0.85 ELSE 1.0 END)
             AS engagement
    FROM household h
)
SELECT t.customer_id, t.first_seen_at, t.signup_source, t.country,
       CASE t.country
           WHEN 'US' THEN CASE WHEN t.r_tz < 0.47 THEN 'America/New_York' WHEN t.r_tz < 0.76 THEN 'America/Chicago'
                               WHEN t.r_tz < 0.83 THEN 'America/Denver' ELSE 'America/Los_Angeles' END
           WHEN 'CA' THEN CASE WHEN t.r_tz < 0.6 THEN 'America/Toronto' ELSE 'America/Vancouver' END
           WHEN 'AU' THEN CASE WHEN t.r_tz < 0.7 THEN 'Australia/Sydney' ELSE 'Australia/Perth' END
           WHEN 'GB' THEN 'Europe/London'  WHEN 'DE' THEN 'Europe/Berlin' WHEN 'FR' THEN 'Europe/Paris'
           WHEN 'NL' THEN 'Europe/Amsterdam' WHEN 'ES' THEN 'Europe/Madrid' WHEN 'IE' THEN 'Europe/Dublin'
           WHEN 'SE' THEN 'Europe/Stockholm' ELSE 'Pacific/Auckland' END AS time_zone,
       t.client, t.company, t.engagement, t.first_name, t.nickname, t.last_name, t.phone_owner,
       t.shares_home,
       -- an iPhone owner: Apple Mail users, and a third of the rest
       (t.client IN ('apple_mpp', 'apple') OR t.r_iphone < 0.33) AS iphone,
       -- email stops for good at this moment (unsubscribe, or a complaint for 1 in 20)
       CASE WHEN t.r_stop < 0.16
            THEN t.first_seen_at + (3 + 110 * t.r_stop_t) * interval '1 day' END AS email_stop_at,
       CASE WHEN t.r_stop < 0.008 THEN 'complaint' ELSE 'unsubscribe' END AS email_stop_kind,
       t.r_sms < 0.33 AS sms_opt_in,
       CASE WHEN t.r_sms < 0.33 AND t.r_sms_stop < 0.10
            THEN t.first_seen_at + (7 + 120 * t.r_sms_stop_t) * interval '1 day' END AS sms_stop_at,
       CASE WHEN t.r_app < 0.35
            THEN greatest(t.first_seen_at, timestamptz '2025-05-01 00:00+00') + 30 * t.r_app_t * interval '1 day'
       END AS app_since,
       CASE WHEN t.r_web < 0.07
            THEN greatest(t.first_seen_at, timestamptz '2025-07-01 00:00+00') + 10 * t.r_web_t * interval '1 day'
       END AS web_since,
       floor(t.r_cart * 3.3)::int AS carts,
       t.r_pattern, t.r_domain
FROM t;

-- the addresses and numbers the shop sends to (canonical forms)
CREATE TEMP TABLE people AS
WITH folded AS (
    SELECT t.*,
           regexp_replace(translate(lower(t.first_name), 'áàâäãåçéèêëíìîïñóòôöúùûüý', 'aaaaaaceeeeiiiinooooouuuuy'),
                          '[^a-z]', '', 'g') AS f,
           regexp_replace(translate(lower(replace(t.last_name, 'ü', 'ue')), 'áàâäãåçéèêëíìîïñóòôöúùûüý', 'aaaaaaceeeeiiiinooooouuuuy'),
                          '[^a-z]', '', 'g') AS l,
           ((t.customer_id * 7919) % 10007)::text AS num
    FROM traits t
), emailed AS (
    SELECT fo.*,
           CASE WHEN fo.company IS NOT NULL THEN
                    (ARRAY['northwind-traders.com', 'contoso-logistics.com', 'fabrikam.io',
                           'tailspin-toys.co.uk', 'adventure-works.de'])[fo.company]
                WHEN fo.client = 'gmail' THEN 'gmail.com'
                WHEN fo.client IN ('apple_mpp', 'apple') THEN
                    CASE WHEN fo.r_domain < 0.55 THEN 'icloud.com' WHEN fo.r_domain < 0.65 THEN 'me.com' ELSE 'gmail.com' END
                WHEN fo.client = 'outlook' THEN
                    CASE WHEN fo.r_domain < 0.5 THEN 'outlook.com' WHEN fo.r_domain < 0.85 THEN 'hotmail.com' ELSE 'live.com' END
                WHEN fo.client = 'yahoo' THEN CASE WHEN fo.r_domain < 0.7 THEN 'yahoo.com' ELSE 'yahoo.co.uk' END
                ELSE CASE WHEN fo.r_domain < 0.3 THEN 'gmx.net' WHEN fo.r_domain < 0.55 THEN 'proton.me'
                          WHEN fo.r_domain < 0.8 THEN 'web.de' ELSE 'fastmail.com' END
           END AS domain,
           CASE WHEN fo.company IS NOT NULL THEN fo.f || '.' || fo.l
                WHEN fo.r_pattern < 0.40 THEN fo.f || '.' || fo.l || fo.num
                WHEN fo.r_pattern < 0.65 THEN fo.f || fo.l || fo.num
                WHEN fo.r_pattern < 0.85 THEN left(fo.f, 1) || fo.l || fo.num
                ELSE fo.f || '_' || fo.l || fo.num END AS local0
    FROM folded fo
), uniq AS (
    -- two colleagues with the same name get jane.doe and jane.doe2
    SELECT e.*, row_number() OVER (PARTITION BY e.local0, e.domain ORDER BY e.customer_id) AS nth
    FROM emailed e
), phoned AS (
    SELECT u.*,
           u.local0 || CASE WHEN u.nth > 1 THEN u.nth::text ELSE '' END || '@' || u.domain AS email,
           -- national significant number, unique per phone owner; fictional ranges where they exist
           CASE u.country
               WHEN 'US' THEN (ARRAY['212', '312', '415', '617', '713', '206', '305', '404', '512', '602', '303', '503',
                                     '646', '718', '213', '310', '702', '214', '615', '919', '720', '858'])[1 + u.phone_owner / 100]
                              || '5550' || lpad((100 + u.phone_owner % 100)::text, 3, '0')
               WHEN 'CA' THEN (ARRAY['416', '604', '514', '403', '613', '780', '902', '204', '306', '250', '519', '705',
                                     '647', '778', '438', '587', '343', '825', '782', '431', '639', '236'])[1 + u.phone_owner / 100]
                              || '5550' || lpad((100 + u.phone_owner % 100)::text, 3, '0')
               WHEN 'GB' THEN '77009' || lpad(u.phone_owner::text, 5, '0')
               WHEN 'DE' THEN '15123' || lpad(u.phone_owner::text, 6, '0')
               WHEN 'FR' THEN '612' || lpad(u.phone_owner::text, 6, '0')
               WHEN 'NL' THEN '612' || lpad(u.phone_owner::text, 6, '0')
               WHEN 'ES' THEN '612' || lpad(u.phone_owner::text, 6, '0')
               WHEN 'IE' THEN '871' || lpad(u.phone_owner::text, 6, '0')
               WHEN 'SE' THEN '701' || lpad(u.phone_owner::text, 6, '0')
               WHEN 'AU' THEN '412' || lpad(u.phone_owner::text, 6, '0')
               ELSE '2155' || lpad(u.phone_owner::text, 5, '0') END AS nsn,
           CASE u.country WHEN 'US' THEN '1' WHEN 'CA' THEN '1' WHEN 'GB' THEN '44' WHEN 'DE' THEN '49'
                          WHEN 'FR' THEN '33' WHEN 'NL' THEN '31' WHEN 'ES' THEN '34' WHEN 'IE' THEN '353'
                          WHEN 'SE' THEN '46' WHEN 'AU' THEN '61' ELSE '64' END AS cc
    FROM uniq u
)
SELECT p.*, '+' || p.cc || p.nsn AS e164,
       -- the device token of the app install and the browser's web-push endpoint
       md5('apns:' || p.customer_id) || md5('token:' || p.customer_id) AS device_token,
       'https://fcm.googleapis.com/fcm/send/' || left(md5('web:' || p.customer_id), 22) AS web_endpoint
FROM phoned p;

INSERT INTO demo.customers (customer_id, first_seen_at, signup_source, country, time_zone)
SELECT customer_id, date_trunc('second', first_seen_at), signup_source, country, time_zone
FROM traits ORDER BY customer_id;

-- ---------------------------------------------------------------------------------------
-- Contacts: how each system holds the same person
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE contact_draws AS
SELECT p.customer_id, s.source_system, s.ord, k.copy,
       random() AS r_in, random() AS r_email, random() AS r_email2, random() AS r_phone,
       random() AS r_phone2, random() AS r_name, random() AS r_when
FROM people p
CROSS JOIN (VALUES ('crm', 1), ('ecommerce', 2), ('support', 3), ('app', 4)) AS s(source_system, ord)
CROSS JOIN generate_series(1, 2) AS k(copy)
ORDER BY p.customer_id, s.ord, k.copy;

INSERT INTO demo.contacts (record_id, source_system, customer_id, email, phone, name, updated_at)
SELECT CASE c.source_system
           WHEN 'crm' THEN 'CRM-' || lpad(row_number() OVER w::text, 6, '0')
           WHEN 'ecommerce' THEN (4100000 + 7 * row_number() OVER w)::text
           WHEN 'support' THEN 'ZD' || (88000 + 3 * row_number() OVER w)::text
           ELSE regexp_replace(md5('app-user:' || c.customer_id), '(.{8})(.{4})(.{4})(.{4})(.{12})', '\1-\2-\3-\4-\5')
       END,
       c.source_system, c.customer_id, c.email, c.phone, c.name, c.updated_at
FROM (
    SELECT d.customer_id, d.source_system, d.ord, d.copy,
           date_trunc('second',
               CASE WHEN d.source_system = 'app' THEN p.app_since ELSE p.first_seen_at END
               + d.r_when * (timestamptz '2025-10-20 12:00+00'
                             - CASE WHEN d.source_system = 'app' THEN p.app_since ELSE p.first_seen_at END)) AS updated_at,
           -- email as the system holds it
           CASE d.source_system
               WHEN 'crm' THEN
                   CASE WHEN d.r_email < 0.08 THEN NULL                                   -- lead without email
                        WHEN d.r_email < 0.30 THEN initcap(p.email)                       -- Jane.Doe4821@Gmail.Com
                        WHEN d.r_email < 0.36 THEN ' ' || p.email || '  '                 -- pasted with spaces
                        WHEN d.r_email < 0.40 THEN upper(p.email)
                        ELSE p.email END
               WHEN 'ecommerce' THEN
                   CASE WHEN p.domain = 'gmail.com' AND d.r_email < 0.30 THEN replace(split_part(p.email, '@', 1), '.', '') || '@gmail.com'
                        WHEN p.domain = 'gmail.com' AND d.r_email < 0.45 THEN
                            split_part(p.email, '@', 1) || (ARRAY['+shop', '+orders', '+acme'])[1 + floor(d.r_email2 * 3)::int] || '@gmail.com'
                        WHEN p.domain = 'gmail.com' AND d.r_email < 0.49 THEN split_part(p.email, '@', 1) || '@googlemail.com'
                        WHEN d.r_email < 0.56 THEN upper(p.email)                         -- caps lock on a phone
                        WHEN d.r_email < 0.62 THEN p.email || ' '
                        ELSE p.email END
               WHEN 'support' THEN
                   CASE WHEN d.r_email < 0.15 THEN p.f || p.num || '@outlook.com'         -- wrote from another address
                        WHEN d.r_email < 0.30 THEN p.first_name || ' ' || p.last_name || ' <' || p.email || '>'
                        WHEN d.r_email < 0.55 THEN initcap(p.email)
                        ELSE p.email END
               ELSE
                   CASE WHEN p.iphone AND d.r_email < 0.25 THEN                           -- Sign in with Apple
                            left(md5('relay:' || p.customer_id), 10) || '@privaterelay.appleid.com'
                        WHEN d.r_email < 0.45 THEN NULL
                        ELSE p.email END
           END AS email,
           -- phone as the system holds it: E.164, international with spaces, national, dotted, 00-prefixed
           CASE WHEN d.source_system = 'crm' AND d.r_phone < 0.35 THEN NULL
                WHEN d.source_system = 'ecommerce' AND d.r_phone < 0.20 THEN NULL
                WHEN d.source_system = 'support' AND d.r_phone < 0.55 THEN NULL
                WHEN d.source_system = 'app' AND d.r_phone < 0.60 THEN NULL
                WHEN d.source_system IN ('ecommerce', 'app') AND d.r_phone2 < 0.7 THEN p.e164
                WHEN d.r_phone2 < 0.25 THEN '+' || p.cc || ' ' || CASE WHEN p.cc = '1'
                         THEN substr(p.nsn, 1, 3) || ' ' || substr(p.nsn, 4, 3) || ' ' || substr(p.nsn, 7)
                         ELSE substr(p.nsn, 1, 4) || ' ' || substr(p.nsn, 5) END
                WHEN d.r_phone2 < 0.65 THEN CASE WHEN p.cc = '1'
                         THEN '(' || substr(p.nsn, 1, 3) || ') ' || substr(p.nsn, 4, 3) || '-' || substr(p.nsn, 7)
                         ELSE '0' || substr(p.nsn, 1, 4) || ' ' || substr(p.nsn, 5) END
                WHEN d.r_phone2 < 0.85 THEN CASE WHEN p.cc = '1'
                         THEN substr(p.nsn, 1, 3) || '.' || substr(p.nsn, 4, 3) || '.' || substr(p.nsn, 7)
                         ELSE '0' || substr(p.nsn, 1, 3) || '-' || substr(p.nsn, 4) END
                ELSE CASE WHEN p.cc = '1' THEN '1-' || substr(p.nsn, 1, 3) || '-' || substr(p.nsn, 4, 3) || '-' || substr(p.nsn, 7)
                          ELSE '00' || p.cc || ' ' || p.nsn END
           END AS phone,
           CASE d.source_system
               WHEN 'crm' THEN
                   CASE WHEN d.r_name < 0.62 THEN p.first_name || ' ' || p.last_name
                        WHEN d.r_name < 0.74 THEN upper(p.last_name) || ', ' || upper(p.first_name)
                        WHEN d.r_name < 0.82 THEN lower(p.first_name || ' ' || p.last_name)
                        WHEN d.r_name < 0.86 THEN p.first_name || '  ' || p.last_name
                        ELSE coalesce(p.nickname, p.first_name) || ' ' || p.last_name END
               WHEN 'ecommerce' THEN
                   CASE WHEN d.r_name < 0.60 THEN p.first_name || ' ' || p.last_name
                        WHEN d.r_name < 0.78 THEN lower(p.first_name || ' ' || p.last_name)
                        WHEN d.r_name < 0.86 THEN upper(p.first_name || ' ' || p.last_name)
                        ELSE left(p.first_name, 1) || '. ' || p.last_name END
               WHEN 'support' THEN
                   CASE WHEN d.r_name < 0.40 THEN coalesce(p.nickname, p.first_name)
                        ELSE p.first_name || ' ' || p.last_name END
               ELSE
                   CASE WHEN d.r_name < 0.30 THEN NULL
                        WHEN d.r_name < 0.80 THEN p.first_name
                        ELSE p.first_name || ' ' || p.last_name END
           END AS name
    FROM contact_draws d
    JOIN people p USING (customer_id)
    WHERE CASE d.source_system
              WHEN 'crm' THEN (d.copy = 1 AND d.r_in < 0.86) OR (d.copy = 2 AND d.r_in < 0.06)   -- CRM duplicates
              WHEN 'ecommerce' THEN d.copy = 1 AND d.r_in < 0.74
              WHEN 'support' THEN d.copy = 1 AND d.r_in < 0.22
              ELSE d.copy = 1 AND p.app_since < timestamptz '2025-10-20 12:00+00'
          END
) c
WINDOW w AS (PARTITION BY c.source_system ORDER BY c.updated_at, c.customer_id, c.copy)
ORDER BY c.source_system, c.updated_at, c.customer_id, c.copy;

-- ---------------------------------------------------------------------------------------
-- Messages: the campaign calendar, the audiences, triggered emails
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE campaigns AS
SELECT * FROM (
    -- recurring sends
    SELECT 'weekly_newsletter' AS campaign, 'email' AS channel, s AS sched_at, 0.92 AS audience,
           true AS marketing_esp, 5 AS links, 1.0 AS appeal
    FROM generate_series(timestamptz '2025-03-04 14:00+00', '2025-10-20 00:00+00', '7 days') AS s
    UNION ALL
    SELECT 'weekend_deals', 'email', s, 0.35, true, 4, 0.9
    FROM generate_series(timestamptz '2025-03-07 16:00+00', '2025-10-20 00:00+00', '7 days') AS s
    UNION ALL
    SELECT 'app_digest', 'push', s, 0.90, false, 0, 0.9
    FROM generate_series(timestamptz '2025-05-01 17:00+00', '2025-10-20 00:00+00', '7 days') AS s
    UNION ALL
    SELECT 'sms_flash_sale', 'sms', s, 0.95, false, 1, 1.0
    FROM generate_series(timestamptz '2025-03-14 12:00+00', '2025-10-20 00:00+00', '14 days') AS s
    UNION ALL
    SELECT 'web_new_arrivals', 'web', s, 0.95, false, 1, 1.0
    FROM generate_series(timestamptz '2025-07-02 15:00+00', '2025-10-20 00:00+00', '7 days') AS s
    UNION ALL
    -- promotions, several channels at once
    SELECT v.campaign, v.channel, v.sched_at, v.audience, v.channel = 'email', v.links, v.appeal
    FROM (VALUES
        ('spring_sale',       'email', timestamptz '2025-03-20 15:00+00', 0.90, 6, 1.2),
        ('spring_sale',       'sms',   timestamptz '2025-03-20 15:30+00', 0.95, 1, 1.2),
        ('mothers_day',       'email', timestamptz '2025-05-06 13:00+00', 0.85, 5, 1.1),
        ('mothers_day',       'push',  timestamptz '2025-05-06 13:30+00', 0.95, 0, 1.1),
        ('mothers_day',       'sms',   timestamptz '2025-05-07 12:00+00', 0.95, 1, 1.0),
        ('summer_sale',       'email', timestamptz '2025-07-08 14:00+00', 0.95, 6, 1.0),
        ('back_to_school',    'email', timestamptz '2025-08-19 14:00+00', 0.85, 5, 1.0),
        ('back_to_school',    'push',  timestamptz '2025-08-19 17:00+00', 0.95, 0, 1.0),
        ('back_to_school',    'web',   timestamptz '2025-08-19 17:00+00', 0.95, 1, 1.1),
        ('autumn_launch',     'email', timestamptz '2025-09-16 14:00+00', 0.90, 6, 1.25),
        ('autumn_launch',     'sms',   timestamptz '2025-09-16 14:30+00', 0.95, 1, 1.2),
        ('autumn_launch',     'push',  timestamptz '2025-09-16 17:00+00', 0.95, 0, 1.2),
        ('autumn_launch',     'web',   timestamptz '2025-09-16 17:00+00', 0.95, 1, 1.2),
        ('halloween_preview', 'email', timestamptz '2025-10-14 14:00+00', 0.90, 5, 1.1),
        ('halloween_preview', 'push',  timestamptz '2025-10-14 17:00+00', 0.95, 0, 1.1),
        ('halloween_preview', 'web',   timestamptz '2025-10-14 17:00+00', 0.95, 1, 1.0)
    ) AS v(campaign, channel, sched_at, audience, links, appeal)
) c
ORDER BY sched_at, campaign, channel;

-- everyone who could receive each send (subscribed, reachable on the channel)
CREATE TEMP TABLE candidates AS
SELECT * FROM (
SELECT p.customer_id, c.campaign, c.channel, c.sched_at, c.audience, c.marketing_esp, c.links, c.appeal
FROM campaigns c
JOIN people p ON p.first_seen_at < c.sched_at
WHERE CASE c.channel
          WHEN 'email' THEN c.sched_at < coalesce(p.email_stop_at, 'infinity')
          WHEN 'sms' THEN p.sms_opt_in AND c.sched_at < coalesce(p.sms_stop_at, 'infinity')
          WHEN 'push' THEN c.sched_at >= p.app_since
          ELSE c.sched_at >= p.web_since
      END
UNION ALL
-- the welcome series (transactional ESP): minutes, 2 days and 5 days after signup
SELECT p.customer_id, 'welcome_' || k, 'email',
       p.first_seen_at + (ARRAY[interval '4 minutes', interval '2 days', interval '5 days'])[k],
       1.0, false, 3, 1.8 - 0.25 * k
FROM people p CROSS JOIN generate_series(1, 3) AS k
WHERE p.first_seen_at + (ARRAY[interval '4 minutes', interval '2 days', interval '5 days'])[k]
      < coalesce(p.email_stop_at, 'infinity')
UNION ALL
-- abandoned-cart reminders (transactional ESP), an hour after a cart was left
SELECT p.customer_id, 'abandoned_cart', 'email',
       p.first_seen_at + (k * 23 + (p.customer_id % 17)) * interval '1 day' + interval '1 hour',
       1.0, false, 2, 1.4
FROM people p CROSS JOIN generate_series(1, 3) AS k
WHERE k <= p.carts
  AND p.first_seen_at + (k * 23 + (p.customer_id % 17)) * interval '1 day' < coalesce(p.email_stop_at, 'infinity')
) cd
ORDER BY customer_id, sched_at, campaign, channel;   -- the order the audience draws below are made in

CREATE TEMP TABLE chosen AS
SELECT s.customer_id, s.channel, s.sched_at, s.marketing_esp, s.links, s.jitter,
       CASE WHEN s.campaign = 'autumn_launch' AND s.channel = 'email'
            THEN CASE WHEN s.r_ab < 0.5 THEN 'autumn_launch_A' ELSE 'autumn_launch_B' END
            ELSE s.campaign END AS campaign,
       CASE WHEN s.campaign = 'autumn_launch' AND s.channel = 'email' AND s.r_ab >= 0.5 THEN 1.8 * s.appeal
            ELSE s.appeal END AS appeal
FROM (
    SELECT cd.*, random() AS r_aud, random() AS r_ab, random() AS jitter
    FROM candidates cd
) s
WHERE s.r_aud < s.audience
  AND s.sched_at < timestamptz '2025-10-20 11:00+00';

-- one row per message with everything its events need (hidden; the events are drawn from it)
CREATE TEMP TABLE msg AS
WITH drawn AS (
    SELECT ch.*, random() AS r_bounce, random() AS r_delay, random() AS r_read, random() AS r_read_t,
           random() AS r_click, random() AS r_click_t, random() AS r_mpp, random() AS r_scan,
           random() AS r_flag, random() AS r_skew, random() AS r_repeat, random() AS r_repeat_t,
           random() AS r_preview
    FROM chosen ch
), timed AS (
    SELECT d.*,
           date_trunc('second', d.sched_at
               + CASE WHEN d.campaign LIKE 'welcome%' OR d.campaign = 'abandoned_cart' THEN d.jitter * 60
                      ELSE d.jitter * 1800 END * interval '1 second') AS sent_at
    FROM drawn d
)
SELECT row_number() OVER (ORDER BY tm.sent_at, tm.customer_id, tm.channel, tm.campaign) AS message_id,
       tm.*,
       p.client, p.company, p.iphone, p.email, p.e164, p.device_token, p.web_endpoint,
       p.email_stop_at, p.email_stop_kind, p.sms_stop_at,
       -- would this person act on it?  engagement decays with tenure
       least(0.97, p.engagement * tm.appeal
             * (0.45 + 0.55 * exp(-extract(epoch FROM tm.sent_at - p.first_seen_at) / 86400 / 50))
             * CASE tm.channel WHEN 'email' THEN 1.0 WHEN 'push' THEN 0.35 WHEN 'sms' THEN 0.30 ELSE 0.15 END)
           AS p_act
FROM timed tm
JOIN people p USING (customer_id);

CREATE TEMP TABLE msg2 AS
SELECT m.*,
       NOT m.bounced AND m.r_read < m.p_act AS acted,
       CASE WHEN NOT m.bounced THEN date_trunc('milliseconds', m.sent_at
            + CASE m.channel WHEN 'email' THEN CASE WHEN m.r_delay < 0.03 THEN 300 + m.r_delay / 0.03 * 3300   -- greylisted
                                                    ELSE 1 + 90 * m.r_delay END
                             WHEN 'sms' THEN 2 + 25 * m.r_delay
                             ELSE 1 + 8 * m.r_delay END * interval '1 second') END AS delivered_at
FROM (
    SELECT mm.*,
           mm.r_bounce < CASE mm.channel WHEN 'email' THEN 0.03 WHEN 'sms' THEN 0.035 WHEN 'push' THEN 0.05 ELSE 0.04 END
               AS bounced
    FROM msg mm
) m
ORDER BY m.message_id;

CREATE TEMP TABLE msg3 AS
SELECT m.*,
       -- when the person acted: minutes to days after delivery, mostly early
       CASE WHEN m.acted THEN m.delivered_at
            + CASE m.channel WHEN 'email' THEN 60 * exp(m.r_read_t * 8.2)
                             WHEN 'push' THEN 10 * exp(m.r_read_t * 7.5)
                             ELSE 20 * exp(m.r_read_t * 7.0) END * interval '1 second' END AS acted_at,
       -- the last email before email stopped carries the unsubscribe or complaint
       m.channel = 'email' AND m.email_stop_at < timestamptz '2025-10-20 12:00+00'
           AND m.message_id = max(m.message_id) FILTER (WHERE m.channel = 'email') OVER (PARTITION BY m.customer_id)
           AS stop_email_here,
       m.channel = 'sms' AND m.sms_stop_at < timestamptz '2025-10-20 12:00+00'
           AND m.message_id = max(m.message_id) FILTER (WHERE m.channel = 'sms') OVER (PARTITION BY m.customer_id)
           AS stop_sms_here
FROM msg2 m
ORDER BY m.message_id;                                 -- the order the event draws below are made in

INSERT INTO demo.messages (message_id, customer_id, channel, campaign, sent_at, delivered_at, bounced)
SELECT message_id, customer_id, channel, campaign, sent_at, delivered_at, bounced
FROM msg3 ORDER BY message_id;

-- ---------------------------------------------------------------------------------------
-- The raw event log
-- ---------------------------------------------------------------------------------------
CREATE TEMP TABLE ev (
    message_id bigint, event_type text, occurred_at timestamptz, user_agent text,
    esp_machine_flag boolean, seq int
);

-- send, then deliver or bounce
INSERT INTO ev
SELECT message_id, 'send', sent_at, NULL, NULL::boolean, 0 FROM msg3
UNION ALL
SELECT message_id, CASE WHEN bounced THEN 'bounce' ELSE 'deliver' END,
       coalesce(delivered_at, sent_at + (2 + 30 * r_delay) * interval '1 second'), NULL, NULL::boolean, 0
FROM msg3;

-- Apple Mail Privacy Protection: the proxy fetches the pixel, exactly 'Mozilla/5.0'
INSERT INTO ev
SELECT m.message_id, 'open',
       m.delivered_at + CASE WHEN k = 1 THEN 1 + 1800 * power(x.r_t, 3)          -- seconds to minutes
                             ELSE 3600 * (2 + 20 * x.r_t) END * interval '1 second',
       'Mozilla/5.0',
       CASE WHEN m.marketing_esp THEN x.r_f < 0.97 END, k
FROM msg3 m
CROSS JOIN LATERAL generate_series(1, CASE WHEN m.r_repeat < 0.12 THEN 2 ELSE 1 END) AS k
CROSS JOIN LATERAL (SELECT random() + 0 * k AS r_t, random() + 0 * k AS r_f) AS x
WHERE m.channel = 'email' AND NOT m.bounced AND m.client = 'apple_mpp' AND m.r_mpp < 0.93;

-- people opening email: visible unless Apple's proxy hides them; repeats; 1% clock skew
INSERT INTO ev
SELECT m.message_id, 'open',
       CASE WHEN k = 1 AND m.r_skew < 0.01 THEN m.delivered_at - (5 + 115 * x.r_t) * interval '1 second'
            WHEN k = 1 THEN m.acted_at
            ELSE m.acted_at + (120 + 86400 * power(x.r_t, 2)) * (k - 1) * interval '1 second' END,
       CASE m.client
           WHEN 'apple' THEN CASE WHEN x.r_ua < 0.7
               THEN 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148'
               ELSE 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)' END
           WHEN 'gmail' THEN 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)'
           WHEN 'outlook' THEN CASE WHEN x.r_ua < 0.6
               THEN 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)'
               ELSE 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80' END
           WHEN 'yahoo' THEN 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html'
           ELSE CASE WHEN x.r_ua < 0.5
               THEN 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Thunderbird/115.11.0'
               ELSE 'Mozilla/5.0 (Linux; Android 14; SM-S918B; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36' END
       END,
       CASE WHEN m.marketing_esp THEN false END, k
FROM msg3 m
CROSS JOIN LATERAL generate_series(1, 1 + (m.r_repeat < 0.35)::int + (m.r_repeat < 0.10)::int) AS k
CROSS JOIN LATERAL (SELECT random() + 0 * k AS r_t, random() + 0 * k AS r_ua) AS x
WHERE m.channel = 'email' AND m.acted AND m.client <> 'apple_mpp';

-- push: the notification was tapped
INSERT INTO ev
SELECT message_id, 'open', acted_at,
       CASE WHEN iphone THEN 'AcmeShop/5.4.2 (iPhone; iOS 17.5.1; Scale/3.00)'
            ELSE 'AcmeShop/5.4.2 (Linux; Android 14; Pixel 8 Build/AP2A.240605.024)' END,
       NULL::boolean, 1
FROM msg3 WHERE channel = 'push' AND acted;

-- clicks by people: on email (some of those who read, one or two links), sms links and web pushes
INSERT INTO ev
SELECT m.message_id, 'click',
       CASE WHEN m.channel = 'email' THEN m.acted_at + (8 + 240 * x.r_t + 90 * (k - 1)) * interval '1 second'
            ELSE m.acted_at END,
       CASE WHEN m.channel = 'web' OR (m.channel = 'email' AND m.client IN ('outlook', 'other') AND x.r_ua < 0.7)
                THEN 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
            WHEN m.iphone
                THEN 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'
            ELSE 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.113 Mobile Safari/537.36'
       END,
       CASE WHEN m.marketing_esp THEN false END, k
FROM msg3 m
CROSS JOIN LATERAL generate_series(1, CASE WHEN m.channel = 'email' AND m.r_click < 0.04 THEN 2 ELSE 1 END) AS k
CROSS JOIN LATERAL (SELECT random() + 0 * k AS r_t, random() + 0 * k AS r_ua) AS x
WHERE m.acted AND (m.channel IN ('sms', 'web') OR (m.channel = 'email' AND m.r_click < 0.16 * m.appeal));

-- security gateways: pixel and every link within 0.2-2 s of delivery
INSERT INTO ev
SELECT m.message_id, CASE WHEN k = 0 THEN 'open' ELSE 'click' END,
       m.delivered_at + (0.2 + 0.25 * k + 0.2 * x.r_t) * interval '1 second',
       CASE WHEN m.company <= 2 THEN 'Barracuda Sentinel (EE)'
            WHEN m.company = 3 THEN 'Mimecast URL Protect'
            ELSE 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36'
       END,
       CASE WHEN m.marketing_esp THEN m.r_flag < 0.6 END, k
FROM msg3 m
CROSS JOIN LATERAL generate_series(0, m.links) AS k
CROSS JOIN LATERAL (SELECT random() + 0 * k AS r_t) AS x
WHERE m.channel = 'email' AND NOT m.bounced AND m.company IS NOT NULL AND m.r_scan < 0.95;

-- iMessage link previews of SMS from a sender in the contacts
INSERT INTO ev
SELECT message_id, 'click', delivered_at + (1 + 2 * r_preview) * interval '1 second',
       'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.1.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0',
       NULL::boolean, 9
FROM msg3 WHERE channel = 'sms' AND NOT bounced AND iphone AND r_preview < 0.30;

-- unsubscribes, complaints (feedback loop, no agent) and SMS STOP replies
INSERT INTO ev
SELECT message_id,
       CASE WHEN channel = 'email' THEN email_stop_kind ELSE 'unsubscribe' END,
       delivered_at + (300 + 86400 * power(r_click_t, 2)) * interval '1 second',
       CASE WHEN channel = 'email' AND email_stop_kind = 'unsubscribe' THEN
           CASE WHEN iphone
                THEN 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'
                ELSE 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36' END
       END,
       NULL::boolean, 10
FROM msg3
WHERE NOT bounced AND (stop_email_here OR stop_sms_here);

-- logged in time order, to the millisecond; nothing after the export
INSERT INTO demo.message_events (event_id, message_id, recipient, event_type, occurred_at, user_agent, esp_machine_flag)
SELECT row_number() OVER (ORDER BY e.occurred_at, e.message_id, e.event_type, e.seq),
       e.message_id,
       CASE m.channel WHEN 'email' THEN m.email WHEN 'sms' THEN m.e164
                      WHEN 'push' THEN m.device_token ELSE m.web_endpoint END,
       e.event_type, date_trunc('milliseconds', e.occurred_at), e.user_agent, e.esp_machine_flag
FROM ev e
JOIN msg3 m USING (message_id)
WHERE e.occurred_at < timestamptz '2025-10-20 12:00+00'
ORDER BY 1;

-- ---------------------------------------------------------------------------------------
-- Keys, indexes, statistics
-- ---------------------------------------------------------------------------------------
ALTER TABLE demo.customers ADD PRIMARY KEY (customer_id);
ALTER TABLE demo.contacts ADD PRIMARY KEY (record_id),
    ADD FOREIGN KEY (customer_id) REFERENCES demo.customers,
    ADD CHECK (source_system IN ('crm', 'ecommerce', 'support', 'app'));
ALTER TABLE demo.messages ADD PRIMARY KEY (message_id),
    ADD FOREIGN KEY (customer_id) REFERENCES demo.customers,
    ADD CHECK (channel IN ('email', 'sms', 'push', 'web')),
    ADD CHECK (bounced = (delivered_at IS NULL));
ALTER TABLE demo.message_events ADD PRIMARY KEY (event_id),
    ADD FOREIGN KEY (message_id) REFERENCES demo.messages,
    ADD CHECK (event_type IN ('send', 'deliver', 'bounce', 'open', 'click', 'unsubscribe', 'complaint'));
CREATE INDEX ON demo.contacts (customer_id);
CREATE INDEX ON demo.messages (customer_id);
CREATE INDEX ON demo.message_events (message_id);

COMMENT ON TABLE demo.customers IS 'one row per person, customer_id in order of first_seen_at';
COMMENT ON TABLE demo.contacts IS 'the same people as crm, ecommerce, support and app hold them; customer_id is the hidden truth';
COMMENT ON TABLE demo.messages IS 'one row per sent message (email, sms, push, web)';
COMMENT ON TABLE demo.message_events IS 'the raw event log of the ESPs and gateways, proxy and scanner noise included';

DROP TABLE draws, traits, people, contact_draws, campaigns, candidates, chosen, msg, msg2, msg3, ev;
ANALYZE demo.customers, demo.contacts, demo.messages, demo.message_events;
