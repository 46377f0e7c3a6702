-- ---------------------------------------------------------------------------------------
-- Email events: machine-open and bot-click heuristics, and message_outcome, the aggregate
-- that turns a raw event log into one row per message (src/events.c)
-- ---------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.is_machine_open(user_agent text, opened_at timestamptz,
                                            delivered_at timestamptz,
                                            esp_machine_flag boolean DEFAULT NULL,
                                            min_human_delay interval DEFAULT '2 seconds')
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'events_is_machine_open' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_machine_open(text, timestamptz, timestamptz, boolean, interval) IS
    'true for an open by a privacy proxy, security scanner or script: ESP flag, known agent, or sooner than min_human_delay after delivery; NULL when opened_at is NULL';

CREATE FUNCTION @extschema@.is_bot_click(user_agent text, clicked_at timestamptz,
                                         delivered_at timestamptz,
                                         previous_click_at timestamptz DEFAULT NULL,
                                         min_human_delay interval DEFAULT '2 seconds',
                                         burst_window interval DEFAULT '2 seconds')
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'events_is_bot_click' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_bot_click(text, timestamptz, timestamptz, timestamptz, interval, interval) IS
    'true for a click by a link scanner or script: known agent, sooner than min_human_delay after delivery, or within burst_window of previous_click_at; NULL when clicked_at is NULL';

-- omni.message_state: the partial state of message_outcome.  Text form: \x and the binary
-- form in hex.  Format version 2 since 0.2.0; version-1 states (0.1.0) are read and merged.
-- SSPACE: a state is 104 bytes plus 16 per kept click or unsettled open; 136 allows two.
CREATE TYPE @extschema@.message_state;

CREATE FUNCTION @extschema@.message_state_in(cstring) RETURNS @extschema@.message_state
    AS 'MODULE_PATHNAME', 'message_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.message_state_out(@extschema@.message_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'message_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.message_state_recv(internal) RETURNS @extschema@.message_state
    AS 'MODULE_PATHNAME', 'message_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.message_state_send(@extschema@.message_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'message_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.message_state (
    INPUT = @extschema@.message_state_in,
    OUTPUT = @extschema@.message_state_out,
    RECEIVE = @extschema@.message_state_recv,
    SEND = @extschema@.message_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.message_state IS
    'partial state of omni.message_outcome: what a message''s events have shown so far (mergeable with omni.rollup)';

CREATE TYPE @extschema@.message_outcome AS (
    sent boolean,
    delivered boolean,
    bounced boolean,
    opened boolean,
    human_opened boolean,
    machine_opened boolean,
    clicked boolean,
    human_clicked boolean,
    converted boolean,
    replied boolean,
    unsubscribed boolean,
    complained boolean,
    first_delivered_at timestamptz,
    first_human_open_at timestamptz,
    first_human_click_at timestamptz,
    opens bigint,
    human_opens bigint,
    clicks bigint,
    human_clicks bigint,
    -- 0.2.0: the first time of each other event kind, appended so the columns above keep
    -- their positions; NULL when the event did not happen, or when its time is unknown
    -- (a state stored by omni 0.1.0, which kept no such times)
    first_sent_at timestamptz,
    first_bounced_at timestamptz,
    first_converted_at timestamptz,
    first_replied_at timestamptz,
    first_unsubscribed_at timestamptz,
    first_complained_at timestamptz
);
COMMENT ON TYPE @extschema@.message_outcome IS
    'one message''s outcome: which events happened, whether a person (not a proxy or scanner) opened or clicked, the first time of each kind of event, counts';

-- Support functions.  Not strict: they skip rows with a NULL event_type or occurred_at
-- themselves, and start from a NULL state (no rows yet).
CREATE FUNCTION @extschema@.message_state_trans(@extschema@.message_state, text, timestamptz, text)
    RETURNS @extschema@.message_state
    AS 'MODULE_PATHNAME', 'message_state_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.message_state_trans(@extschema@.message_state, text, timestamptz, text, boolean)
    RETURNS @extschema@.message_state
    AS 'MODULE_PATHNAME', 'message_state_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.message_state_combine(@extschema@.message_state, @extschema@.message_state)
    RETURNS @extschema@.message_state
    AS 'MODULE_PATHNAME', 'message_state_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION @extschema@.message_state_final(@extschema@.message_state)
    RETURNS @extschema@.message_state
    AS 'MODULE_PATHNAME', 'message_state_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
-- the aggregate's final function: no rows give the outcome of no events, not NULL
CREATE FUNCTION @extschema@.message_outcome_final(@extschema@.message_state)
    RETURNS @extschema@.message_outcome
    AS 'MODULE_PATHNAME', 'message_outcome_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.message_outcome(event_type text, occurred_at timestamptz, user_agent text) (
    SFUNC = @extschema@.message_state_trans,
    STYPE = @extschema@.message_state,
    FINALFUNC = @extschema@.message_outcome_final,
    COMBINEFUNC = @extschema@.message_state_combine,
    SSPACE = 136,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.message_outcome(text, timestamptz, text) IS
    'one message''s outcome from its raw events (GROUP BY message): human vs machine opens and clicks, first times, counts';

CREATE AGGREGATE @extschema@.message_outcome(event_type text, occurred_at timestamptz, user_agent text,
                                             esp_machine_flag boolean) (
    SFUNC = @extschema@.message_state_trans,
    STYPE = @extschema@.message_state,
    FINALFUNC = @extschema@.message_outcome_final,
    COMBINEFUNC = @extschema@.message_state_combine,
    SSPACE = 136,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.message_outcome(text, timestamptz, text, boolean) IS
    'message_outcome with the ESP''s own machine flag: true marks that open or click as machine-made';

CREATE AGGREGATE @extschema@.message_state_agg(event_type text, occurred_at timestamptz, user_agent text) (
    SFUNC = @extschema@.message_state_trans,
    STYPE = @extschema@.message_state,
    FINALFUNC = @extschema@.message_state_final,
    COMBINEFUNC = @extschema@.message_state_combine,
    SSPACE = 136,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.message_state_agg(text, timestamptz, text) IS
    'the partial state behind message_outcome, to store (e.g. per day) and merge later with omni.rollup';

CREATE AGGREGATE @extschema@.message_state_agg(event_type text, occurred_at timestamptz, user_agent text,
                                               esp_machine_flag boolean) (
    SFUNC = @extschema@.message_state_trans,
    STYPE = @extschema@.message_state,
    FINALFUNC = @extschema@.message_state_final,
    COMBINEFUNC = @extschema@.message_state_combine,
    SSPACE = 136,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.message_state_agg(text, timestamptz, text, boolean) IS
    'message_state_agg with the ESP''s own machine flag';

CREATE AGGREGATE @extschema@.rollup(@extschema@.message_state) (
    SFUNC = @extschema@.message_state_combine,
    STYPE = @extschema@.message_state,
    FINALFUNC = @extschema@.message_state_final,
    COMBINEFUNC = @extschema@.message_state_combine,
    SSPACE = 136,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.message_state) IS
    'merges partial states of one message: daily states roll up to the state of all its events';

CREATE FUNCTION @extschema@.outcome(state @extschema@.message_state) RETURNS @extschema@.message_outcome
    AS 'MODULE_PATHNAME', 'message_outcome_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.outcome(@extschema@.message_state) IS
    'the message_outcome that a partial state stands for';
