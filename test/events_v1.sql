-- omni.message_state written by omni 0.1.0 (format version 1): read, merged and answered.
--
--   pg_prove -d omni_tap test/events_v1.sql        (run from the repository root: \copy)
--
-- test/fixtures/message_state_v1.csv holds, for the events in message_state_v1_events.csv,
-- the raw datums that a real 0.1.0 build stored (the in-memory struct after the varlena
-- header), its text and binary outputs and the outcomes it answered; message_state_v1.sh
-- rebuilds it from the release commit.  Here the raw bytes are put back into a table through
-- a binary-coercible cast, exactly as 0.1.0 left them on disk, and read by this build.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(36);
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';

-- a varlena with bytea's I/O and message_state's alignment: the raw bytes of a state, both ways
CREATE SCHEMA omni_tap_v1;
SET LOCAL client_min_messages = warning;   -- not the notices about the shell type
CREATE TYPE omni_tap_v1.datum;
CREATE FUNCTION omni_tap_v1.datum_in(cstring) RETURNS omni_tap_v1.datum AS 'byteain' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION omni_tap_v1.datum_out(omni_tap_v1.datum) RETURNS cstring AS 'byteaout' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE omni_tap_v1.datum (INPUT = omni_tap_v1.datum_in, OUTPUT = omni_tap_v1.datum_out,
                               INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended);
CREATE CAST (omni_tap_v1.datum AS omni.message_state) WITHOUT FUNCTION;
RESET client_min_messages;
CREATE CAST (omni.message_state AS omni_tap_v1.datum) WITHOUT FUNCTION;
CREATE FUNCTION omni_tap_v1.raw(hex text) RETURNS omni.message_state LANGUAGE sql IMMUTABLE
    AS $$ SELECT ('\x' || hex)::omni_tap_v1.datum::omni.message_state $$;

-- omni.message_outcome as 0.1.0 declared it, and the same columns of today's outcome
CREATE TYPE omni_tap_v1.outcome_v1 AS (
    sent boolean, delivered boolean, bounced boolean, opened boolean, human_opened boolean,
    machine_opened boolean, clicked boolean, human_clicked boolean, converted boolean,
    replied boolean, unsubscribed boolean, complained boolean, first_delivered_at timestamptz,
    first_human_open_at timestamptz, first_human_click_at timestamptz, opens bigint,
    human_opens bigint, clicks bigint, human_clicks bigint);
CREATE FUNCTION omni_tap_v1.old_columns(o omni.message_outcome) RETURNS omni_tap_v1.outcome_v1
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(o.sent, o.delivered, o.bounced, o.opened, o.human_opened, o.machine_opened, o.clicked,
               o.human_clicked, o.converted, o.replied, o.unsubscribed, o.complained,
               o.first_delivered_at, o.first_human_open_at, o.first_human_click_at, o.opens,
               o.human_opens, o.clicks, o.human_clicks)::omni_tap_v1.outcome_v1 $$;
-- the six times 0.2.0 added, as one row value
CREATE FUNCTION omni_tap_v1.times(o omni.message_outcome) RETURNS timestamptz[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY[o.first_sent_at, o.first_bounced_at, o.first_converted_at, o.first_replied_at,
                 o.first_unsubscribed_at, o.first_complained_at] $$;

CREATE TABLE omni_tap_v1.fixture (name text PRIMARY KEY, datum text, text text, send text,
                                  outcome omni_tap_v1.outcome_v1);
\copy omni_tap_v1.fixture FROM 'test/fixtures/message_state_v1.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE omni_tap_v1.events (message_id int, part int, event_type text, occurred_at timestamptz,
                                 user_agent text, flag boolean);
\copy omni_tap_v1.events FROM 'test/fixtures/message_state_v1_events.csv' WITH (FORMAT csv, HEADER true)

-- the raw 0.1.0 datums stored in a table, untouched (nothing validates a binary-coercible cast)
CREATE TABLE omni_tap_v1.stored AS
SELECT name, omni_tap_v1.raw(datum) AS state FROM omni_tap_v1.fixture;
-- 0.1.0's text and binary forms read by this build's input and receive functions
CREATE TABLE omni_tap_v1.from_text AS
SELECT name, text::omni.message_state AS state FROM omni_tap_v1.fixture;
CREATE TABLE omni_tap_v1.sent_bytes AS SELECT name, decode(send, 'hex') AS bytes FROM omni_tap_v1.fixture;
CREATE TABLE omni_tap_v1.from_binary (name text, state omni.message_state);
CREATE FUNCTION pg_temp.copy_file() RETURNS text LANGUAGE sql
    AS $$ SELECT current_setting('data_directory') || '/omni_events_v1_tap_' || pg_backend_pid() || '.bin' $$;
DO $$ BEGIN
    EXECUTE format('COPY omni_tap_v1.sent_bytes TO %L (FORMAT binary)', pg_temp.copy_file());
    EXECUTE format('COPY omni_tap_v1.from_binary FROM %L (FORMAT binary)', pg_temp.copy_file());
END $$;

-- ---------------------------------------------------------------------------------------
-- The fixture is what it claims to be
-- ---------------------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM omni_tap_v1.fixture
            WHERE left(datum, 2) = '01' AND left(text, 4) = '\x01' AND left(send, 2) = '01'), 16::bigint,
          'the fixture holds 16 states, all in format version 1');
SELECT is((SELECT count(*) FROM omni_tap_v1.stored s JOIN omni_tap_v1.fixture f USING (name)
            WHERE substr(s.state::omni_tap_v1.datum::text, 3) = f.datum), 16::bigint,
          'the table holds the raw 0.1.0 bytes (a state is upgraded only when read)');
SELECT is((SELECT length(datum) / 2 FROM omni_tap_v1.fixture WHERE name = 'direct'), 44 + 4 * 16,
          'the direct state is a 44-byte header and 4 entry slots, of which it uses 2 (a spare slot)');
SELECT is((SELECT outcome FROM omni_tap_v1.fixture WHERE name = 'direct'),
          '(f,f,f,f,f,f,t,t,t,f,f,f,,,"2026-03-02 10:00:00+00",0,0,2,1)'::omni_tap_v1.outcome_v1,
          'and 0.1.0 judged its two clicks (the scanner''s and a person''s) and its conversion');
SELECT ok((SELECT count(outcome) = 16 AND count(*) FILTER (WHERE (outcome).converted) >= 4
                  AND count(*) FILTER (WHERE (outcome).human_opened) >= 4
                  AND count(*) FILTER (WHERE (outcome).machine_opened) >= 2
                  AND count(*) FILTER (WHERE (outcome).clicks > (outcome).human_clicks) >= 3
                  AND count(*) FILTER (WHERE (outcome).bounced AND (outcome).complained AND (outcome).replied) >= 1
             FROM omni_tap_v1.fixture),
          'the states cover conversions, human and machine opens, machine clicks, bounces, complaints, replies');

-- ---------------------------------------------------------------------------------------
-- Raw datums, text and binary forms read as 0.1.0 read them
-- ---------------------------------------------------------------------------------------
SELECT is((SELECT string_agg(name, ', ') FROM omni_tap_v1.stored s JOIN omni_tap_v1.fixture f USING (name)
            WHERE omni_tap_v1.old_columns(omni.outcome(s.state)) IS DISTINCT FROM f.outcome),
          NULL, 'every raw 0.1.0 datum gives the outcome 0.1.0 gave, column for column');
SELECT is((SELECT string_agg(name, ', ') FROM omni_tap_v1.stored
            WHERE omni_tap_v1.times(omni.outcome(state)) <> ARRAY[NULL, NULL, NULL, NULL, NULL, NULL]::timestamptz[]
               OR omni_tap_v1.times(omni.outcome(state)) IS NULL),
          NULL, 'a 0.1.0 datum has no first_sent_at ... first_complained_at: 0.1.0 kept no such times');
SELECT is((SELECT string_agg(name, ', ') FROM omni_tap_v1.from_text s JOIN omni_tap_v1.fixture f USING (name)
            WHERE omni_tap_v1.old_columns(omni.outcome(s.state)) IS DISTINCT FROM f.outcome
               OR omni_tap_v1.times(omni.outcome(s.state)) <> ARRAY[NULL, NULL, NULL, NULL, NULL, NULL]::timestamptz[]),
          NULL, 'every 0.1.0 text form reads to the outcome 0.1.0 gave, without times');
SELECT is((SELECT string_agg(name, ', ') FROM omni_tap_v1.from_binary s JOIN omni_tap_v1.fixture f USING (name)
            WHERE omni_tap_v1.old_columns(omni.outcome(s.state)) IS DISTINCT FROM f.outcome
               OR omni_tap_v1.times(omni.outcome(s.state)) <> ARRAY[NULL, NULL, NULL, NULL, NULL, NULL]::timestamptz[]),
          NULL, 'every 0.1.0 binary form received gives the outcome 0.1.0 gave, without times');
SELECT is((SELECT count(*) FROM omni_tap_v1.stored d JOIN omni_tap_v1.from_text t USING (name)
             JOIN omni_tap_v1.from_binary b USING (name)
            WHERE d.state::text = t.state::text AND t.state::text = b.state::text), 16::bigint,
          'a raw datum, its text form and its binary form read as the same state');
SELECT is((SELECT count(*) FROM omni_tap_v1.stored WHERE state::text ~ '^\\x02' AND substr(state::text, 9, 4) = '0000'),
          16::bigint, 'written back, an upgraded state is format version 2 with no timed kinds');
SELECT is((SELECT count(*) FROM omni_tap_v1.stored
            WHERE state::text::omni.message_state::text = state::text
              AND omni.message_state_send(state::text::omni.message_state) = omni.message_state_send(state)),
          16::bigint, 'the version-2 text of an upgraded state round-trips exactly');
SELECT is((SELECT state::text FROM omni_tap_v1.stored WHERE name = 'direct'),
          '\x02' || '0008' || '0000' || substr((SELECT text FROM omni_tap_v1.fixture WHERE name = 'direct'), 9),
          'the direct state: a conversion without a time, its spare slot dropped, its entries sorted');
SELECT is(omni.outcome(omni_tap_v1.raw((SELECT datum FROM omni_tap_v1.fixture WHERE name = 'empty'))),
          '(f,f,f,f,f,f,f,f,f,f,f,f,,,,0,0,0,0,,,,,,)'::omni.message_outcome,
          'the empty 0.1.0 state is the outcome of no events');
SELECT is((SELECT state::text FROM omni_tap_v1.stored WHERE name = 'empty'),
          omni.message_state_agg(NULL, NULL, NULL)::text, 'and upgrades to the empty state');

-- ---------------------------------------------------------------------------------------
-- The same events through this build: same old columns, and the times
-- ---------------------------------------------------------------------------------------
CREATE TABLE omni_tap_v1.now_states AS
SELECT format('m%s/p%s', message_id, part) AS name, message_id, part,
       omni.message_state_agg(event_type, occurred_at, user_agent, flag) AS state
FROM omni_tap_v1.events GROUP BY message_id, part
UNION ALL
SELECT format('m%s/all', message_id), message_id, NULL,
       omni.message_state_agg(event_type, occurred_at, user_agent, flag)
FROM omni_tap_v1.events GROUP BY message_id;
CREATE TABLE omni_tap_v1.first_times AS
SELECT message_id, part,
       ARRAY[min(occurred_at) FILTER (WHERE event_type = 'send'),
             min(occurred_at) FILTER (WHERE event_type = 'bounce'),
             min(occurred_at) FILTER (WHERE event_type = 'conversion'),
             min(occurred_at) FILTER (WHERE event_type = 'reply'),
             min(occurred_at) FILTER (WHERE event_type = 'unsubscribe'),
             min(occurred_at) FILTER (WHERE event_type = 'complaint')] AS times
FROM omni_tap_v1.events GROUP BY GROUPING SETS ((message_id, part), (message_id));

SELECT is((SELECT string_agg(name, ', ') FROM omni_tap_v1.now_states n JOIN omni_tap_v1.fixture f USING (name)
            WHERE omni_tap_v1.old_columns(omni.outcome(n.state)) IS DISTINCT FROM f.outcome),
          NULL, 'from the same events, this build answers the 0.1.0 columns as 0.1.0 did');
SELECT is((SELECT count(*) FROM omni_tap_v1.now_states n JOIN omni_tap_v1.first_times t
                                ON t.message_id = n.message_id AND t.part IS NOT DISTINCT FROM n.part
            WHERE omni_tap_v1.times(omni.outcome(n.state)) IS NOT DISTINCT FROM t.times), 14::bigint,
          'and each kind''s first time is its earliest event');
SELECT is((SELECT omni_tap_v1.times(omni.outcome(state)) FROM omni_tap_v1.now_states WHERE name = 'm1/all'),
          ARRAY['2026-03-02 09:00:00+00', NULL, '2026-03-03 08:05:00+00', '2026-03-03 08:20:00+00',
                '2026-03-04 07:00:00+00', '2026-03-04 07:00:05+00']::timestamptz[],
          'message 1: the earlier of two conversions, the first send of two days');

-- ---------------------------------------------------------------------------------------
-- Merging 0.1.0 states, alone and with 0.2.0 ones
-- ---------------------------------------------------------------------------------------
-- the parts of each message, raw from 0.1.0
CREATE TABLE omni_tap_v1.stored_parts AS
SELECT split_part(name, '/', 1) AS message, state FROM omni_tap_v1.stored WHERE name ~ '/p\d$';
SELECT is((SELECT count(*) FROM (SELECT message, omni.rollup(state) AS state FROM omni_tap_v1.stored_parts GROUP BY 1) r
             JOIN omni_tap_v1.stored s ON s.name = r.message || '/all'
            WHERE r.state::text = s.state::text), 5::bigint,
          'raw 0.1.0 parts roll up to exactly the state 0.1.0 computed from all events');
SELECT is((SELECT string_agg(r.message, ', ') FROM
             (SELECT message, omni.outcome(omni.rollup(state)) AS o FROM omni_tap_v1.stored_parts GROUP BY 1) r
             JOIN omni_tap_v1.fixture f ON f.name = r.message || '/all'
            WHERE omni_tap_v1.old_columns(r.o) IS DISTINCT FROM f.outcome
               OR omni_tap_v1.times(r.o) <> ARRAY[NULL, NULL, NULL, NULL, NULL, NULL]::timestamptz[]),
          NULL, 'and give 0.1.0''s outcome of all events, without times');

-- one part stored by 0.1.0, the other computed now: the flags and counts of all events; a
-- kind the 0.1.0 part saw has no time (its time is unknown and may be the earliest), a kind
-- only the new part saw has the new part's earliest time
CREATE FUNCTION omni_tap_v1.mixed_expected(old_part int) RETURNS TABLE (message text, times timestamptz[])
LANGUAGE sql STABLE AS $$
    SELECT 'm' || message_id,
           ARRAY(SELECT CASE WHEN bool_or(e.part = old_part AND e.event_type = k) THEN NULL
                             ELSE min(e.occurred_at) FILTER (WHERE e.part <> old_part AND e.event_type = k) END
                   FROM omni_tap_v1.events e, unnest(ARRAY['send', 'bounce', 'conversion', 'reply',
                                                           'unsubscribe', 'complaint']) WITH ORDINALITY AS u(k, i)
                  WHERE e.message_id = m.message_id GROUP BY i ORDER BY i)
    FROM (SELECT DISTINCT message_id FROM omni_tap_v1.events) m $$;
CREATE FUNCTION omni_tap_v1.mixed(old_part int, old_first boolean) RETURNS TABLE (message text, o omni.message_outcome)
LANGUAGE sql STABLE AS $$
    SELECT message, omni.outcome(omni.rollup(state ORDER BY is_old = old_first DESC))
    FROM (SELECT split_part(name, '/', 1) AS message, state, true AS is_old
            FROM omni_tap_v1.stored WHERE name ~ ('/p' || old_part || '$')
          UNION ALL
          SELECT split_part(name, '/', 1), state, false
            FROM omni_tap_v1.now_states WHERE part IS NOT NULL AND part <> old_part) p
    GROUP BY message $$;
SELECT ok((SELECT count(*) FROM omni_tap_v1.mixed_expected(1) x, unnest(x.times) t WHERE t IS NOT NULL) >= 4
          AND (SELECT count(*) FROM omni_tap_v1.mixed_expected(2) x, unnest(x.times) t WHERE t IS NOT NULL) >= 3,
          'the mixed merges below expect both timed and untimed kinds');
SELECT is((SELECT string_agg(m.message || ' ' || old_part || ' ' || old_first, ', ')
             FROM unnest(ARRAY[1, 2]) old_part, unnest(ARRAY[true, false]) old_first,
                  omni_tap_v1.mixed(old_part, old_first) m
             JOIN omni_tap_v1.fixture f ON f.name = m.message || '/all'
            WHERE omni_tap_v1.old_columns(m.o) IS DISTINCT FROM f.outcome),
          NULL, 'a 0.1.0 part merged with a 0.2.0 part, in either order: the flags and counts of all events');
SELECT is((SELECT string_agg(m.message || ' ' || old_part || ' ' || old_first, ', ')
             FROM unnest(ARRAY[1, 2]) old_part, unnest(ARRAY[true, false]) old_first,
                  omni_tap_v1.mixed(old_part, old_first) m
             JOIN omni_tap_v1.mixed_expected(old_part) x USING (message)
            WHERE omni_tap_v1.times(m.o) IS DISTINCT FROM x.times),
          NULL, 'and a kind the 0.1.0 part saw has no time, one only the 0.2.0 part saw keeps its earliest');
SELECT is(omni_tap_v1.times(m.o),
          ARRAY[NULL, NULL, NULL, NULL, NULL, NULL]::timestamptz[],
          'message 1, 0.1.0 day 2 with 0.2.0 day 1: day 1''s send time is not trusted, day 2 also sent')
FROM omni_tap_v1.mixed(2, true) m WHERE m.message = 'm1';
SELECT is(omni_tap_v1.times(m.o),
          ARRAY[NULL, NULL, '2026-03-03 08:05:00+00', '2026-03-03 08:20:00+00',
                '2026-03-04 07:00:00+00', '2026-03-04 07:00:05+00']::timestamptz[],
          'message 1, 0.1.0 day 1 with 0.2.0 day 2: day 2''s conversion, reply, unsubscribe, complaint times')
FROM omni_tap_v1.mixed(1, false) m WHERE m.message = 'm1';
SELECT is(omni.message_state_combine(v1.state, v2.state)::text, omni.message_state_combine(v2.state, v1.state)::text,
          'combine called directly: a 0.1.0 state and a 0.2.0 one merge the same either way round')
FROM omni_tap_v1.stored v1, omni_tap_v1.now_states v2 WHERE v1.name = 'm3/p1' AND v2.name = 'm3/p2';

-- the transition function continues a 0.1.0 state: a kind it saw stays untimed
SELECT is(omni_tap_v1.times(omni.outcome(omni.message_state_trans(omni.message_state_trans(
              state, 'send', '2026-03-05 00:00+00', NULL), 'conversion', '2026-03-05 01:00+00', NULL))),
          ARRAY[NULL, NULL, '2026-03-05 01:00+00', NULL, NULL, NULL]::timestamptz[],
          'a send after a 0.1.0 send has no first time; a first conversion has its time')
FROM omni_tap_v1.stored WHERE name = 'm1/p1';

-- ---------------------------------------------------------------------------------------
-- Damaged 0.1.0 datums are corrupt data, not a crash
-- ---------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT omni.outcome(omni_tap_v1.raw(left(datum, -32))) FROM omni_tap_v1.fixture WHERE name = 'direct'$$,
                 'XX001', 'corrupt omni.message_state (version 1, 2 of 4 entries, 96 bytes)',
                 'a 0.1.0 datum shorter than its capacity says is corrupt');
SELECT throws_ok($$SELECT omni.outcome(omni_tap_v1.raw(left(datum, 40))) FROM omni_tap_v1.fixture WHERE name = 'empty'$$,
                 'XX001', 'corrupt omni.message_state (version 1, 0 of 0 entries, 24 bytes)',
                 'a 0.1.0 datum shorter than its header is corrupt');
SELECT throws_ok($$SELECT omni.rollup(omni_tap_v1.raw('01000001' || substr(datum, 9))) FROM omni_tap_v1.fixture WHERE name = 'empty'$$,
                 'XX001', 'corrupt omni.message_state (version 1, 0 of 0 entries, 48 bytes)',
                 'a 0.1.0 datum with unknown event bits is corrupt');
SELECT throws_ok($$SELECT omni.outcome(omni_tap_v1.raw('0100000005000000' || substr(datum, 17))) FROM omni_tap_v1.fixture WHERE name = 'direct'$$,
                 'XX001', 'corrupt omni.message_state (version 1, 5 of 4 entries, 112 bytes)',
                 'a 0.1.0 datum with more entries than slots is corrupt');

-- ---------------------------------------------------------------------------------------
-- Forged 0.1.0 text and binary forms: the version-1 decoder checks what version 2's does
-- ---------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT '\x01000200'::omni.message_state$$, '22P02',
                 'invalid omni.message_state: a 4-byte value is shorter than the 39-byte header',
                 'a truncated version-1 header is rejected');
SELECT throws_ok($$SELECT '\x0100020002eef24d4fe800000000000000000100000000000000000000000000000000000000020002eef24d5f2a40010002eef24de87e80'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: 2 entries do not fit the 17 bytes that follow the header',
                 'a truncated version-1 entry is rejected');
SELECT throws_ok($$SELECT '\x0101020002eef24d4fe800000000000000000100000000000000000000000000000000000000020002eef24d5f2a40010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: unknown event bits 0x0102', 'unknown version-1 event bits are rejected');
SELECT throws_ok($$SELECT '\x0100020002eef24d4fe800000000000000000100000000000000000000000000000000000000020002eef24d9c3340010002eef24de87e8002'::omni.message_state$$,
                 '22P02', 'invalid omni.message_state: entry 1 is an open that should be settled',
                 'a version-1 kept open that the delivery already settles is rejected');
CREATE TEMP TABLE forged_binary (state omni.message_state);
CREATE FUNCTION pg_temp.recv_bytes(bytes bytea) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', bytes, pg_temp.copy_file());
    EXECUTE format('COPY forged_binary FROM %L (FORMAT binary)', pg_temp.copy_file());
END $$;
SELECT throws_ok($$SELECT pg_temp.recv_bytes(decode(send || '00', 'hex')) FROM omni_tap_v1.fixture WHERE name = 'm1/all'$$,
                 '22P03', 'invalid omni.message_state: 5 entries do not fit the 46 bytes that follow the header',
                 'recv rejects a version-1 form with a trailing byte');
DO $$ BEGIN EXECUTE format('COPY (SELECT) TO PROGRAM %L', 'rm -f ' || pg_temp.copy_file()); END $$;

SELECT * FROM finish();
ROLLBACK;
