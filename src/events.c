/*
 * events.c — judging raw email events: is an open or a click the work of a person or of a
 * machine (Apple Mail Privacy Protection, security gateways, link scanners, scripts), and
 * the message-grain aggregate that turns a raw event log into one outcome row per message.
 *
 * The heuristics live in one place so that the scalar functions (is_machine_open,
 * is_bot_click) and the aggregate (message_outcome) judge every event identically.
 *
 * The aggregate's state, omni.message_state, is a concrete varlena type rather than
 * `internal`, so Citus can run the aggregate on its workers and ship partial states through
 * the type's text form.  Opens are mostly settled as they arrive; opens that cannot be
 * judged yet (no delivery seen, or within the human delay of the earliest delivery seen so
 * far) and every click are kept as (time, kind) entries, because a later or earlier row may
 * change their verdict.  The final function decides them; it never modifies the state.
 *
 * Format version 2 (omni 0.2.0) also keeps the first time of every other event kind, for
 * engagement scores that count each event at its own time.  States written by omni 0.1.0
 * (version 1: the datum on disk, and the text and binary forms) are still read and merged:
 * they are upgraded on read into version 2 with those kinds "seen, time unknown" (see timed).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/scansup.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "common/hexform.h"
#include "common/timecalc.h"
#include "common/vocabulary.h"

PG_FUNCTION_INFO_V1(events_is_machine_open);
PG_FUNCTION_INFO_V1(events_is_bot_click);
PG_FUNCTION_INFO_V1(message_state_in);
PG_FUNCTION_INFO_V1(message_state_out);
PG_FUNCTION_INFO_V1(message_state_recv);
PG_FUNCTION_INFO_V1(message_state_send);
PG_FUNCTION_INFO_V1(message_state_trans);
PG_FUNCTION_INFO_V1(message_state_combine);
PG_FUNCTION_INFO_V1(message_state_final);
PG_FUNCTION_INFO_V1(message_outcome_final);

/* ---------- user agents ---------- */

/* which events an agent pattern marks as machine-made */
#define AGENT_OPENS		0x01
#define AGENT_CLICKS	0x02
#define AGENT_BOTH		(AGENT_OPENS | AGENT_CLICKS)

typedef struct MachineAgent
{
	const char *pattern;		/* lowercase ASCII */
	bool		exact;			/* whole (trimmed) agent equals pattern, else substring */
	uint8		applies;		/* AGENT_OPENS, AGENT_CLICKS or both */
	const char *unless_after;	/* a substring hit preceded by this is not a hit (NULL: none) */
} MachineAgent;

/*
 * Matched case-insensitively (ASCII) against the user agent.  Agents that fetch on behalf of
 * a person who is reading the message are deliberately absent: Gmail's GoogleImageProxy and
 * YahooMailProxy load images when a human opens the message, so their opens are human.
 */
static const MachineAgent machine_agents[] = {
	/*
	 * Apple Mail Privacy Protection: Apple's proxy prefetches every image of every message
	 * with the bare agent "Mozilla/5.0" and nothing else, whether or not anybody reads it.
	 * Real browsers and mail clients always add platform details.  Opens only: MPP does
	 * not follow links.
	 */
	{"mozilla/5.0", true, AGENT_OPENS, NULL},

	/* Security gateways: they fetch images and follow links to scan them. */
	/* Barracuda Email Security / Sentinel */
	{"barracuda", false, AGENT_BOTH, NULL},
	/* Mimecast URL Protect */
	{"mimecast", false, AGENT_BOTH, NULL},
	/* Proofpoint URL Defense / TAP */
	{"proofpoint", false, AGENT_BOTH, NULL},
	/* Symantec (Broadcom) Email Security.cloud */
	{"symantec", false, AGENT_BOTH, NULL},
	/* MessageLabs, its former name */
	{"messagelabs", false, AGENT_BOTH, NULL},
	/* Cisco Secure Email, formerly IronPort */
	{"ironport", false, AGENT_BOTH, NULL},
	/* Forcepoint Email Security */
	{"forcepoint", false, AGENT_BOTH, NULL},
	/* Trend Micro Email Security, written with and without the space */
	{"trend micro", false, AGENT_BOTH, NULL},
	{"trendmicro", false, AGENT_BOTH, NULL},
	/* Zscaler cloud proxy scans */
	{"zscaler", false, AGENT_BOTH, NULL},
	/* Microsoft's link previews (Outlook, Teams) */
	{"bingpreview", false, AGENT_BOTH, NULL},
	/* link unfurling when a link is shared in Facebook or Messenger */
	{"facebookexternalhit", false, AGENT_BOTH, NULL},

	/* Generic automation: crawlers, headless browsers and HTTP libraries, not people. */
	/* Googlebot, Slackbot, LinkedInBot...; but Cubot is an Android phone brand */
	{"bot", false, AGENT_BOTH, "cu"},
	{"crawler", false, AGENT_BOTH, NULL},
	{"spider", false, AGENT_BOTH, NULL},
	/* Chrome driven by Puppeteer or Selenium, and an older headless browser */
	{"headlesschrome", false, AGENT_BOTH, NULL},
	{"phantomjs", false, AGENT_BOTH, NULL},
	/* HTTP libraries and command-line tools */
	{"python-requests", false, AGENT_BOTH, NULL},
	{"python-urllib", false, AGENT_BOTH, NULL},
	{"curl/", false, AGENT_BOTH, NULL},
	{"wget", false, AGENT_BOTH, NULL},
	{"go-http-client", false, AGENT_BOTH, NULL},
	/*
	 * Java/Android HTTP library.  Clicks only: Android mail apps load images with it when a
	 * person opens the message, but a person's click opens a browser with its own agent.
	 */
	{"okhttp", false, AGENT_CLICKS, NULL},
	{"apache-httpclient", false, AGENT_BOTH, NULL},
	/* the JDK's own HTTP client: "Java/1.8.0_392" */
	{"java/", false, AGENT_BOTH, NULL},
	{"libwww-perl", false, AGENT_BOTH, NULL},
};

/* Agents longer than this are lowercased into palloc'd memory instead of on the stack. */
#define AGENT_STACK_BUFFER 512

static bool
agent_matches(const char *lower, size_t len, const MachineAgent *agent)
{
	const char *hit;

	if (agent->exact)
	{
		const char *start = lower;
		const char *end = lower + len;

		while (start < end && scanner_isspace(*start))
			start++;
		while (end > start && scanner_isspace(end[-1]))
			end--;
		return (size_t) (end - start) == strlen(agent->pattern) &&
			memcmp(start, agent->pattern, end - start) == 0;
	}

	for (hit = strstr(lower, agent->pattern); hit != NULL; hit = strstr(hit + 1, agent->pattern))
	{
		size_t		guard;

		if (agent->unless_after == NULL)
			return true;
		guard = strlen(agent->unless_after);
		if ((size_t) (hit - lower) < guard || memcmp(hit - guard, agent->unless_after, guard) != 0)
			return true;
	}
	return false;
}

/* Is this user agent a known machine for this kind of event (AGENT_OPENS or AGENT_CLICKS)? */
static bool
agent_is_machine(const text *user_agent, uint8 event)
{
	size_t		len = VARSIZE_ANY_EXHDR(user_agent);
	const char *src = VARDATA_ANY(user_agent);
	char		stack_buffer[AGENT_STACK_BUFFER];
	char	   *lower = len < sizeof(stack_buffer) ? stack_buffer : palloc(len + 1);
	bool		machine = false;
	size_t		i;

	/* ASCII folding only: every pattern is ASCII and multibyte bytes are left alone */
	for (i = 0; i < len; i++)
		lower[i] = pg_ascii_tolower((unsigned char) src[i]);
	lower[len] = '\0';

	for (i = 0; i < lengthof(machine_agents) && !machine; i++)
		if ((machine_agents[i].applies & event) != 0)
			machine = agent_matches(lower, len, &machine_agents[i]);

	if (lower != stack_buffer)
		pfree(lower);
	return machine;
}

/* ---------- time ---------- */

/* The aggregate's fixed rules: the scalar functions' defaults. */
#define MESSAGE_HUMAN_DELAY_USECS	(2 * USECS_PER_SEC)
#define MESSAGE_BURST_WINDOW_USECS	(2 * USECS_PER_SEC)

/*
 * An interval as a fixed length in microseconds, so the functions stay IMMUTABLE
 * (src/common/timecalc.h); negative lengths are an error naming the argument.
 */
static int64
CheckDuration(const Interval *span, const char *argname)
{
	return omni_duration_usecs(span, argname,
							   "Pass a duration such as '2 seconds', or NULL to turn the rule off.");
}

/* at - since < window (window >= 0), without overflow: true for every at before since */
static inline bool
sooner_than(TimestampTz at, TimestampTz since, int64 window)
{
	int64		elapsed;

	if (pg_sub_s64_overflow(at, since, &elapsed))
		return at < since;
	return elapsed < window;
}

/* |a - b| < window (window >= 0), without overflow */
static inline bool
closer_than(TimestampTz a, TimestampTz b, int64 window)
{
	return a >= b ? sooner_than(a, b, window) : sooner_than(b, a, window);
}

/* ---------- scalar heuristics ---------- */

/*
 * is_machine_open(user_agent, opened_at, delivered_at, esp_machine_flag, min_human_delay):
 * true when the ESP says so, when the agent is a known machine for opens, or when the open
 * came less than min_human_delay after delivery (or before it).  Each NULL argument turns
 * off the rule that needs it; a NULL opened_at gives NULL.
 */
Datum
events_is_machine_open(PG_FUNCTION_ARGS)
{
	bool		timing = !PG_ARGISNULL(4);
	int64		min_delay = timing ? CheckDuration(PG_GETARG_INTERVAL_P(4), "min_human_delay") : 0;
	TimestampTz opened_at;

	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	opened_at = PG_GETARG_TIMESTAMPTZ(1);

	if (!PG_ARGISNULL(3) && PG_GETARG_BOOL(3))
		PG_RETURN_BOOL(true);
	if (!PG_ARGISNULL(0) && agent_is_machine(PG_GETARG_TEXT_PP(0), AGENT_OPENS))
		PG_RETURN_BOOL(true);
	if (timing && !PG_ARGISNULL(2) && sooner_than(opened_at, PG_GETARG_TIMESTAMPTZ(2), min_delay))
		PG_RETURN_BOOL(true);
	PG_RETURN_BOOL(false);
}

/*
 * is_bot_click(user_agent, clicked_at, delivered_at, previous_click_at, min_human_delay,
 * burst_window): true for a known scanner agent, a click less than min_human_delay after
 * delivery (or before it), or one less than burst_window away from previous_click_at (in
 * either direction, so lead() works as well as lag()).  NULLs as for is_machine_open.
 */
Datum
events_is_bot_click(PG_FUNCTION_ARGS)
{
	bool		timing = !PG_ARGISNULL(4);
	bool		bursts = !PG_ARGISNULL(5);
	int64		min_delay = timing ? CheckDuration(PG_GETARG_INTERVAL_P(4), "min_human_delay") : 0;
	int64		burst = bursts ? CheckDuration(PG_GETARG_INTERVAL_P(5), "burst_window") : 0;
	TimestampTz clicked_at;

	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	clicked_at = PG_GETARG_TIMESTAMPTZ(1);

	if (!PG_ARGISNULL(0) && agent_is_machine(PG_GETARG_TEXT_PP(0), AGENT_CLICKS))
		PG_RETURN_BOOL(true);
	if (timing && !PG_ARGISNULL(2) && sooner_than(clicked_at, PG_GETARG_TIMESTAMPTZ(2), min_delay))
		PG_RETURN_BOOL(true);
	if (bursts && !PG_ARGISNULL(3) && closer_than(clicked_at, PG_GETARG_TIMESTAMPTZ(3), burst))
		PG_RETURN_BOOL(true);
	PG_RETURN_BOOL(false);
}

/* ---------- omni.message_state ---------- */

#define MESSAGE_STATE_VERSION	2
#define MESSAGE_STATE_VERSION_1 1	/* omni 0.1.0: no times but the first delivery's */

/* bits of MessageState.events: event types that only need "did it happen" */
#define SEEN_SEND			0x0001
#define SEEN_DELIVER		0x0002
#define SEEN_BOUNCE			0x0004
#define SEEN_CONVERSION		0x0008
#define SEEN_REPLY			0x0010
#define SEEN_UNSUBSCRIBE	0x0020
#define SEEN_COMPLAINT		0x0040
#define SEEN_ALL			0x007F

/*
 * The kinds whose first time the state keeps besides delivery (which has its own field), in
 * the order of their first_*_at columns in omni.message_outcome.
 */
typedef enum TimedKind
{
	TIMED_SEND,
	TIMED_BOUNCE,
	TIMED_CONVERSION,
	TIMED_REPLY,
	TIMED_UNSUBSCRIBE,
	TIMED_COMPLAINT,
	N_TIMED
} TimedKind;

static const uint16 timed_bit[N_TIMED] = {
	SEEN_SEND, SEEN_BOUNCE, SEEN_CONVERSION, SEEN_REPLY, SEEN_UNSUBSCRIBE, SEEN_COMPLAINT
};

static const char *const timed_kind_name[N_TIMED] = {
	"send", "bounce", "conversion", "reply", "unsubscribe", "complaint"
};

/* the SEEN_* bits that a timed bit may stand for */
#define SEEN_TIMED_KINDS	(SEEN_ALL & ~SEEN_DELIVER)

/* kinds of kept entries */
#define ENTRY_OPEN			1	/* an open not machine by agent or flag, not yet settled */
#define ENTRY_CLICK			2	/* a click not machine by agent or flag */
#define ENTRY_MACHINE_CLICK 3	/* a click by a scanner agent or flagged by the ESP */

typedef struct MessageEntry
{
	TimestampTz at;
	int32		kind;
	int32		reserved;		/* zero */
} MessageEntry;

/*
 * The state in memory and on disk (format version 2).  Invariants (checked by the decoder,
 * kept by every function that builds a state):
 *   - settled_opens counts opens that are human whatever else arrives: not machine by agent
 *     or flag, and at least the human delay after first_delivered_at (so SEEN_DELIVER is set);
 *     first_settled_open_at is the earliest of them (0 when there are none);
 *   - ENTRY_OPEN entries are the other non-machine opens: no delivery seen yet, or sooner
 *     than the human delay after first_delivered_at.  A delivery that arrives later can only
 *     move first_delivered_at earlier, so a settled open never becomes machine again;
 *   - opens counts every open event, machine ones included: opens >= settled + kept opens;
 *   - timed is a subset of events' SEEN_TIMED_KINDS bits: the kinds whose first time is
 *     known, in first_at[kind] (0 for every other kind).  A kind is seen but untimed only
 *     when some part merged into the state came from a version-1 state, which knew that the
 *     event happened but not when.  Merging keeps it untimed: the unknown time may be earlier
 *     than any known one, so no first time is better than a wrong one.  Merging two timed
 *     parts keeps the earlier time.  Delivery is always timed (version 1 kept its time).
 * capacity slots follow the header (VARSIZE covers them all); the ones past n_entries are
 * zero.  Inside an aggregate, entries are appended in place while there is room.  Growing
 * builds a larger copy in the per-call memory context and returns it: for a by-reference
 * transition value the executor copies whatever new pointer it gets into the aggregate
 * context and pfrees the old value itself, so repalloc'ing the state there would free it
 * twice.  Because VARSIZE includes the spare slots, the executor's copy keeps the room.
 */
typedef struct MessageState
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* MESSAGE_STATE_VERSION */
	uint8		reserved;		/* zero */
	uint16		events;			/* SEEN_* bits */
	int32		n_entries;
	int32		capacity;
	uint16		timed;			/* SEEN_* bits of the kinds whose first_at is known */
	uint16		reserved2;		/* zero */
	int32		reserved3;		/* zero */
	TimestampTz first_delivered_at; /* when SEEN_DELIVER, else 0 */
	int64		opens;
	int64		settled_opens;
	TimestampTz first_settled_open_at;
	TimestampTz first_at[N_TIMED];	/* by TimedKind: when its timed bit is set, else 0 */
	MessageEntry entries[FLEXIBLE_ARRAY_MEMBER];
} MessageState;

#define MESSAGE_STATE_HEADER offsetof(MessageState, entries)
#define MESSAGE_STATE_MAX_ENTRIES \
	((int32) ((MaxAllocSize - MESSAGE_STATE_HEADER) / sizeof(MessageEntry)))
#define MESSAGE_STATE_SIZE(capacity) \
	(MESSAGE_STATE_HEADER + (Size) (capacity) * sizeof(MessageEntry))

/*
 * The state omni 0.1.0 kept in memory and on disk (format version 1), frozen: datums stored
 * by 0.1.0 are read through it and upgraded (upgrade_state).  version, n_entries and capacity
 * sit where version 2 has them, so one look at the version tells the layouts apart.
 */
typedef struct MessageStateV1
{
	int32		vl_len_;
	uint8		version;		/* MESSAGE_STATE_VERSION_1 */
	uint8		reserved;
	uint16		events;
	int32		n_entries;
	int32		capacity;
	TimestampTz first_delivered_at;
	int64		opens;
	int64		settled_opens;
	TimestampTz first_settled_open_at;
	MessageEntry entries[FLEXIBLE_ARRAY_MEMBER];
} MessageStateV1;

#define MESSAGE_STATE_V1_HEADER offsetof(MessageStateV1, entries)
#define MESSAGE_STATE_V1_SIZE(capacity) \
	(MESSAGE_STATE_V1_HEADER + (Size) (capacity) * sizeof(MessageEntry))

StaticAssertDecl(MESSAGE_STATE_V1_HEADER == 48, "the 0.1.0 datum layout is frozen");
StaticAssertDecl(sizeof(MessageEntry) == 16, "entries are 16 bytes in both versions");
StaticAssertDecl(offsetof(MessageState, version) == offsetof(MessageStateV1, version) &&
				 offsetof(MessageState, n_entries) == offsetof(MessageStateV1, n_entries) &&
				 offsetof(MessageState, capacity) == offsetof(MessageStateV1, capacity),
				 "both versions keep version, n_entries and capacity in the same place");

/*
 * binary form, version 2: version, events, timed, four int64s, the first time of each timed
 * kind (int64, in TimedKind order), entry count, then (int64 at, byte kind) each.  Version 1
 * (0.1.0, read only) has neither timed nor the times.
 */
#define MESSAGE_WIRE_HEADER		(1 + 2 + 2 + 4 * 8 + 4)
#define MESSAGE_WIRE_HEADER_V1	(1 + 2 + 4 * 8 + 4)
#define MESSAGE_WIRE_ENTRY		(8 + 1)

static inline bool
delivered(const MessageState *state)
{
	return (state->events & SEEN_DELIVER) != 0;
}

/* A zeroed state with room for capacity entries, in the current memory context. */
static MessageState *
new_state(int32 capacity)
{
	MessageState *state;

	if (capacity < 0 || capacity > MESSAGE_STATE_MAX_ENTRIES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a message cannot keep more than %d opens and clicks",
						MESSAGE_STATE_MAX_ENTRIES),
				 errhint("Check that the aggregate is grouped by message.")));
	state = (MessageState *) palloc0(MESSAGE_STATE_SIZE(capacity));
	SET_VARSIZE(state, MESSAGE_STATE_SIZE(capacity));
	state->version = MESSAGE_STATE_VERSION;
	state->capacity = capacity;
	return state;
}

/* A copy with room for at least capacity entries. */
static MessageState *
copy_state(const MessageState *state, int32 capacity)
{
	MessageState *copy = new_state(Max(capacity, state->n_entries));

	memcpy(copy, state, MESSAGE_STATE_SIZE(state->n_entries));
	copy->capacity = Max(capacity, state->n_entries);
	SET_VARSIZE(copy, MESSAGE_STATE_SIZE(copy->capacity));
	return copy;
}

/*
 * Room for `more` further entries: the state itself when it has the room, else a larger
 * copy (doubling, so appends stay amortised O(1)).
 */
static MessageState *
reserve_entries(MessageState *state, int32 more)
{
	int64		needed = (int64) state->n_entries + more;
	int64		capacity;

	if (needed <= state->capacity)
		return state;
	capacity = Max(Max(needed, 4), 2 * (int64) state->capacity);
	if (capacity > MESSAGE_STATE_MAX_ENTRIES)
		capacity = Max(needed, MESSAGE_STATE_MAX_ENTRIES);	/* new_state reports it */
	return copy_state(state, (int32) Min(capacity, (int64) PG_INT32_MAX));
}

static void
report_corrupt_state(const MessageState *state)
{
	if (VARSIZE(state) < offsetof(MessageState, capacity) + sizeof(int32))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt omni.message_state (%u bytes)", (unsigned int) VARSIZE(state)),
				 errhint("Recompute the state from its events with omni.message_state_agg().")));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("corrupt omni.message_state (version %d, %d of %d entries, %u bytes)",
					state->version, state->n_entries, state->capacity,
					(unsigned int) VARSIZE(state)),
			 errhint("Recompute the state from its events with omni.message_state_agg().")));
}

/*
 * A datum stored by omni 0.1.0 as a version-2 state, in the current memory context: the same
 * events, opens and entries, and every kind but delivery seen without a time (timed = 0).
 * Spare entry slots are dropped.
 */
static MessageState *
upgrade_state(const MessageStateV1 *old)
{
	MessageState *state;

	if (VARSIZE(old) < MESSAGE_STATE_V1_HEADER ||
		old->n_entries < 0 || old->capacity < old->n_entries ||
		old->capacity > MESSAGE_STATE_MAX_ENTRIES ||
		VARSIZE(old) != MESSAGE_STATE_V1_SIZE(old->capacity) ||
		(old->events & ~SEEN_ALL) != 0)
		report_corrupt_state((const MessageState *) old);
	state = new_state(old->n_entries);
	state->events = old->events;
	state->first_delivered_at = old->first_delivered_at;
	state->opens = old->opens;
	state->settled_opens = old->settled_opens;
	state->first_settled_open_at = old->first_settled_open_at;
	memcpy(state->entries, old->entries, old->n_entries * sizeof(MessageEntry));
	state->n_entries = old->n_entries;
	return state;
}

/*
 * The state handed to any function as argument argno, with cheap header checks (corruption,
 * not forgery).  A version-1 datum (stored by omni 0.1.0) comes back upgraded, as a new
 * version-2 state in the current memory context; callers never modify a state they did not
 * build, so either kind of result is safe to read.
 */
static MessageState *
state_arg(FunctionCallInfo fcinfo, int argno)
{
	MessageState *state = (MessageState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (VARSIZE(state) < offsetof(MessageState, capacity) + sizeof(int32))
		report_corrupt_state(state);
	if (state->version == MESSAGE_STATE_VERSION_1)
		return upgrade_state((const MessageStateV1 *) state);
	if (state->version != MESSAGE_STATE_VERSION ||
		VARSIZE(state) < MESSAGE_STATE_HEADER ||
		state->n_entries < 0 || state->capacity < state->n_entries ||
		state->capacity > MESSAGE_STATE_MAX_ENTRIES ||
		VARSIZE(state) != MESSAGE_STATE_SIZE(state->capacity) ||
		(state->timed & ~(state->events & SEEN_TIMED_KINDS)) != 0)
		report_corrupt_state(state);
	return state;
}

/* An event of a timed kind at this time: seen, and the earlier first time if it is known. */
static inline void
note_event(MessageState *state, TimedKind kind, TimestampTz at)
{
	uint16		bit = timed_bit[kind];

	if ((state->events & bit) == 0)
	{
		state->events |= bit;
		state->timed |= bit;
		state->first_at[kind] = at;
	}
	else if ((state->timed & bit) != 0 && at < state->first_at[kind])
		state->first_at[kind] = at;
}

/*
 * Merge other's timed kinds into state: seen if seen in either; the earlier first time when
 * both parts that saw a kind know its time; no time (untimed) when either does not.
 */
static void
merge_timed_kinds(MessageState *state, const MessageState *other)
{
	int			kind;

	for (kind = 0; kind < N_TIMED; kind++)
	{
		uint16		bit = timed_bit[kind];

		if ((other->events & bit) == 0)
			continue;
		if ((state->events & bit) == 0)
		{
			state->events |= bit;
			state->timed |= other->timed & bit;
			state->first_at[kind] = other->first_at[kind];	/* 0 when untimed */
		}
		else if ((other->timed & bit) == 0)
		{
			state->timed &= ~bit;
			state->first_at[kind] = 0;
		}
		else if ((state->timed & bit) != 0 && other->first_at[kind] < state->first_at[kind])
			state->first_at[kind] = other->first_at[kind];
	}
}

static inline bool
settles(const MessageState *state, TimestampTz opened_at)
{
	return delivered(state) &&
		!sooner_than(opened_at, state->first_delivered_at, MESSAGE_HUMAN_DELAY_USECS);
}

static void
add_settled_opens(MessageState *state, int64 count, TimestampTz first)
{
	if (count == 0)
		return;
	if (state->settled_opens == 0 || first < state->first_settled_open_at)
		state->first_settled_open_at = first;
	if (pg_add_s64_overflow(state->settled_opens, count, &state->settled_opens))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("omni.message_state open count out of range")));
}

/* After first_delivered_at was set or moved earlier: settle the kept opens that now can be. */
static void
settle_kept_opens(MessageState *state)
{
	int32		kept = 0;
	int32		i;

	if (!delivered(state))
		return;
	for (i = 0; i < state->n_entries; i++)
	{
		MessageEntry *entry = &state->entries[i];

		CHECK_FOR_INTERRUPTS();
		if (entry->kind == ENTRY_OPEN && settles(state, entry->at))
			add_settled_opens(state, 1, entry->at);
		else
			state->entries[kept++] = *entry;
	}
	if (kept < state->n_entries)
		memset(&state->entries[kept], 0, (state->n_entries - kept) * sizeof(MessageEntry));
	state->n_entries = kept;
}

static void
note_delivery(MessageState *state, TimestampTz at)
{
	if (delivered(state) && state->first_delivered_at <= at)
		return;
	state->events |= SEEN_DELIVER;
	state->first_delivered_at = at;
	settle_kept_opens(state);
}

static int
entry_cmp(const void *a, const void *b)
{
	const MessageEntry *x = (const MessageEntry *) a;
	const MessageEntry *y = (const MessageEntry *) b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return (x->kind > y->kind) - (x->kind < y->kind);
}

#define SORT_RUN 32

/*
 * Sort n entries by entry_cmp, answering a cancel: qsort cannot be interrupted, and a message
 * can hold millions of entries (a scanner clicking for hours).  A bottom-up merge sort over
 * insertion-sorted runs of SORT_RUN, checking for interrupts after every run and every merge;
 * O(n log n) time and n entries of scratch space.  Equal entries are equal bytes, so the
 * result does not depend on stability.
 */
static void
sort_entries(MessageEntry *entries, int32 n)
{
	MessageEntry *scratch;
	MessageEntry *src = entries;
	MessageEntry *dst;

	for (int32 start = 0; start < n; start += SORT_RUN)
	{
		int32		end = Min(start + SORT_RUN, n);

		for (int32 i = start + 1; i < end; i++)
		{
			MessageEntry key = entries[i];
			int32		j = i - 1;

			while (j >= start && entry_cmp(&entries[j], &key) > 0)
			{
				entries[j + 1] = entries[j];
				j--;
			}
			entries[j + 1] = key;
		}
		CHECK_FOR_INTERRUPTS();
	}
	if (n <= SORT_RUN)
		return;
	scratch = palloc(n * sizeof(MessageEntry));
	dst = scratch;
	for (int64 width = SORT_RUN; width < n; width *= 2)
	{
		for (int64 lo = 0; lo < n; lo += 2 * width)
		{
			int64		mid = Min(lo + width, n);
			int64		hi = Min(lo + 2 * width, n);
			int64		i = lo,
						j = mid,
						k = lo;

			while (i < mid && j < hi)
				dst[k++] = entry_cmp(&src[j], &src[i]) < 0 ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
			CHECK_FOR_INTERRUPTS();
		}
		{
			MessageEntry *swap = src;

			src = dst;
			dst = swap;
		}
	}
	if (src != entries)
		memcpy(entries, src, n * sizeof(MessageEntry));
	pfree(scratch);
}

/* The entries in canonical (time, kind) order, as a palloc'd copy: states stay untouched. */
static MessageEntry *
sorted_entries(const MessageState *state)
{
	MessageEntry *entries = palloc(Max(state->n_entries, 1) * sizeof(MessageEntry));

	memcpy(entries, state->entries, state->n_entries * sizeof(MessageEntry));
	sort_entries(entries, state->n_entries);
	return entries;
}

/* ---------- binary and text forms ---------- */

/* The canonical binary form (entries sorted), used by send and, in hex, by out. */
static bytea *
encode_state(const MessageState *state)
{
	StringInfoData buf;
	MessageEntry *entries = sorted_entries(state);
	int32		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, MESSAGE_STATE_VERSION);
	pq_sendint16(&buf, state->events);
	pq_sendint16(&buf, state->timed);
	pq_sendint64(&buf, state->first_delivered_at);
	pq_sendint64(&buf, state->opens);
	pq_sendint64(&buf, state->settled_opens);
	pq_sendint64(&buf, state->first_settled_open_at);
	for (i = 0; i < N_TIMED; i++)
		if ((state->timed & timed_bit[i]) != 0)
			pq_sendint64(&buf, state->first_at[i]);
	pq_sendint32(&buf, state->n_entries);
	for (i = 0; i < state->n_entries; i++)
	{
		pq_sendint64(&buf, entries[i].at);
		pq_sendbyte(&buf, (uint8) entries[i].kind);
	}
	pfree(entries);
	return pq_endtypsend(&buf);
}

static inline bool
valid_timestamp(TimestampTz at)
{
	return IS_VALID_TIMESTAMP(at) || TIMESTAMP_NOT_FINITE(at);
}

static void
report_bad_state(int errcode_value, const char *detail)
{
	ereport(ERROR,
			(errcode(errcode_value),
			 errmsg("invalid omni.message_state: %s", detail),
			 errhint("A message_state comes from omni.message_state_agg() or from its own "
					 "text or binary output; it cannot be edited.")));
}

/*
 * Decode the binary form, checking everything against the message before trusting it:
 * version, sizes, flag bits, counts, timestamps and the settled/kept split.  Used by recv
 * and, after hex decoding, by the text input, so both reject the same forgeries.
 */
static MessageState *
decode_state(StringInfo buf, int errcode_value)
{
	MessageState *state;
	int			version;
	uint16		events;
	uint16		timed = 0;
	int			header;
	TimestampTz first_at[N_TIMED] = {0};
	TimestampTz first_delivered_at;
	int64		opens;
	int64		settled_opens;
	TimestampTz first_settled_open_at;
	int32		n_entries;
	int64		kept_opens = 0;
	int32		i;

	if (buf->len - buf->cursor < 1)
		report_bad_state(errcode_value, "empty value");
	version = pq_getmsgbyte(buf);
	if (version != MESSAGE_STATE_VERSION && version != MESSAGE_STATE_VERSION_1)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("unsupported omni.message_state format version %d", version),
				 errhint("This omni reads versions %d and %d; upgrade omni on the receiving side.",
						 MESSAGE_STATE_VERSION_1, MESSAGE_STATE_VERSION)));
	header = version == MESSAGE_STATE_VERSION_1 ? MESSAGE_WIRE_HEADER_V1 : MESSAGE_WIRE_HEADER;
	if (buf->len - buf->cursor < header - 1)
		report_bad_state(errcode_value, psprintf("a %d-byte value is shorter than the %d-byte header",
												 buf->len, header));
	events = (uint16) pq_getmsgint(buf, 2);
	if (version != MESSAGE_STATE_VERSION_1)
		timed = (uint16) pq_getmsgint(buf, 2);
	first_delivered_at = pq_getmsgint64(buf);
	opens = pq_getmsgint64(buf);
	settled_opens = pq_getmsgint64(buf);
	first_settled_open_at = pq_getmsgint64(buf);

	if ((events & ~SEEN_ALL) != 0)
		report_bad_state(errcode_value, psprintf("unknown event bits 0x%04x", events));
	if ((timed & ~(events & SEEN_TIMED_KINDS)) != 0)
		report_bad_state(errcode_value,
						 psprintf("time bits 0x%04x are not all among the event bits 0x%04x",
								  timed, events));
	/* a version-1 value has no times: its kinds stay seen without one (timed = 0) */
	for (i = 0; i < N_TIMED; i++)
	{
		if ((timed & timed_bit[i]) == 0)
			continue;
		header += 8;
		if (buf->len - buf->cursor < 8 + 4)
			report_bad_state(errcode_value,
							 psprintf("a %d-byte value is shorter than its %d-byte header",
									  buf->len, header));
		first_at[i] = pq_getmsgint64(buf);
		if (!valid_timestamp(first_at[i]))
			report_bad_state(errcode_value, psprintf("bad first %s time", timed_kind_name[i]));
	}
	n_entries = (int32) pq_getmsgint(buf, 4);

	if (n_entries < 0 || n_entries > MESSAGE_STATE_MAX_ENTRIES ||
		(int64) (buf->len - buf->cursor) != (int64) n_entries * MESSAGE_WIRE_ENTRY)
		report_bad_state(errcode_value,
						 psprintf("%d entries do not fit the %d bytes that follow the header",
								  n_entries, buf->len - buf->cursor));
	if ((events & SEEN_DELIVER) ? !valid_timestamp(first_delivered_at) : first_delivered_at != 0)
		report_bad_state(errcode_value, "bad delivery time");
	if (opens < 0 || settled_opens < 0 || settled_opens > opens)
		report_bad_state(errcode_value,
						 psprintf("bad open counts " INT64_FORMAT " and " INT64_FORMAT,
								  opens, settled_opens));
	if (settled_opens == 0 ? first_settled_open_at != 0 :
		!(events & SEEN_DELIVER) || !valid_timestamp(first_settled_open_at) ||
		sooner_than(first_settled_open_at, first_delivered_at, MESSAGE_HUMAN_DELAY_USECS))
		report_bad_state(errcode_value, "bad first human open");

	state = new_state(n_entries);
	state->events = events;
	state->timed = timed;
	memcpy(state->first_at, first_at, sizeof(first_at));
	state->first_delivered_at = first_delivered_at;
	state->opens = opens;
	state->settled_opens = settled_opens;
	state->first_settled_open_at = first_settled_open_at;
	for (i = 0; i < n_entries; i++)
	{
		MessageEntry *entry = &state->entries[i];

		CHECK_FOR_INTERRUPTS();
		entry->at = pq_getmsgint64(buf);
		entry->kind = pq_getmsgbyte(buf);
		if (!valid_timestamp(entry->at))
			report_bad_state(errcode_value, psprintf("entry %d has a bad time", i + 1));
		if (entry->kind == ENTRY_OPEN)
		{
			if (settles(state, entry->at))
				report_bad_state(errcode_value,
								 psprintf("entry %d is an open that should be settled", i + 1));
			kept_opens++;
		}
		else if (entry->kind != ENTRY_CLICK && entry->kind != ENTRY_MACHINE_CLICK)
			report_bad_state(errcode_value,
							 psprintf("entry %d has unknown kind %d", i + 1, entry->kind));
	}
	if (kept_opens > opens - settled_opens)
		report_bad_state(errcode_value, "more kept opens than opens");
	state->n_entries = n_entries;
	pq_getmsgend(buf);
	return state;
}

/* text form: \x followed by the binary form in hex, like bytea's hex output */
Datum
message_state_in(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	omni_hex_parse(PG_GETARG_CSTRING(0), "omni.message_state", &buf);
	PG_RETURN_POINTER(decode_state(&buf, ERRCODE_INVALID_TEXT_REPRESENTATION));
}

Datum
message_state_out(PG_FUNCTION_ARGS)
{
	bytea	   *binary = encode_state(state_arg(fcinfo, 0));

	PG_RETURN_CSTRING(omni_hex_text(VARDATA(binary), VARSIZE(binary) - VARHDRSZ));
}

Datum
message_state_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(decode_state((StringInfo) PG_GETARG_POINTER(0),
								   ERRCODE_INVALID_BINARY_REPRESENTATION));
}

Datum
message_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(encode_state(state_arg(fcinfo, 0)));
}

/* ---------- the aggregate ---------- */

/*
 * message_state_trans(state, event_type, occurred_at, user_agent [, esp_machine_flag]).
 * Not strict: a NULL event_type or occurred_at leaves the state as it is; a NULL agent or
 * flag only turns off its rule.  Any other event_type outside the vocabulary is an error.
 */
Datum
message_state_trans(PG_FUNCTION_ARGS)
{
	MessageState *state = PG_ARGISNULL(0) ? NULL : state_arg(fcinfo, 0);
	bool		flagged = PG_NARGS() > 4 && !PG_ARGISNULL(4) && PG_GETARG_BOOL(4);
	EventType	type;
	TimestampTz at;

	if (PG_ARGISNULL(1))
		goto unchanged;
	type = CheckEventType(PG_GETARG_TEXT_PP(1));
	if (PG_ARGISNULL(2))
		goto unchanged;
	at = PG_GETARG_TIMESTAMPTZ(2);

	if (state == NULL)
		state = new_state(0);
	else if (!AggCheckCallContext(fcinfo, NULL))
		state = copy_state(state, state->n_entries);	/* never change a plain argument */

	switch (type)
	{
		case EVENT_SEND:
			note_event(state, TIMED_SEND, at);
			break;
		case EVENT_DELIVER:
			note_delivery(state, at);
			break;
		case EVENT_BOUNCE:
			note_event(state, TIMED_BOUNCE, at);
			break;
		case EVENT_OPEN:
			if (pg_add_s64_overflow(state->opens, 1, &state->opens))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("omni.message_state open count out of range")));
			if (flagged || (!PG_ARGISNULL(3) && agent_is_machine(PG_GETARG_TEXT_PP(3), AGENT_OPENS)))
				break;
			if (settles(state, at))
				add_settled_opens(state, 1, at);
			else
			{
				state = reserve_entries(state, 1);
				state->entries[state->n_entries].at = at;
				state->entries[state->n_entries].kind = ENTRY_OPEN;
				state->n_entries++;
			}
			break;
		case EVENT_CLICK:
			state = reserve_entries(state, 1);
			state->entries[state->n_entries].at = at;
			state->entries[state->n_entries].kind =
				flagged || (!PG_ARGISNULL(3) &&
							agent_is_machine(PG_GETARG_TEXT_PP(3), AGENT_CLICKS)) ?
				ENTRY_MACHINE_CLICK : ENTRY_CLICK;
			state->n_entries++;
			break;
		case EVENT_CONVERSION:
			note_event(state, TIMED_CONVERSION, at);
			break;
		case EVENT_REPLY:
			note_event(state, TIMED_REPLY, at);
			break;
		case EVENT_UNSUBSCRIBE:
			note_event(state, TIMED_UNSUBSCRIBE, at);
			break;
		case EVENT_COMPLAINT:
			note_event(state, TIMED_COMPLAINT, at);
			break;
	}
	PG_RETURN_POINTER(state);

unchanged:
	if (state == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(state);
}

/*
 * Merge two states: the combine function, and the transition of rollup(message_state).
 * Not strict; a NULL side is no events.  The second state is never modified.
 */
Datum
message_state_combine(PG_FUNCTION_ARGS)
{
	MessageState *state;
	MessageState *other;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state_arg(fcinfo, 0));
	}
	other = state_arg(fcinfo, 1);
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(other);	/* the executor copies it into its own context */

	state = state_arg(fcinfo, 0);
	if (!AggCheckCallContext(fcinfo, NULL))
		state = copy_state(state, state->n_entries + other->n_entries);
	else
		state = reserve_entries(state, other->n_entries);

	merge_timed_kinds(state, other);
	if (pg_add_s64_overflow(state->opens, other->opens, &state->opens))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("omni.message_state open count out of range")));
	add_settled_opens(state, other->settled_opens, other->first_settled_open_at);
	memcpy(&state->entries[state->n_entries], other->entries,
		   other->n_entries * sizeof(MessageEntry));
	state->n_entries += other->n_entries;

	/* the other side's kept opens may settle against either side's delivery */
	if (delivered(other))
		note_delivery(state, other->first_delivered_at);
	settle_kept_opens(state);
	PG_RETURN_POINTER(state);
}

/*
 * Final function of message_state_agg and rollup: a compact, canonically ordered copy
 * (never the state itself), and an empty state for no rows.
 */
Datum
message_state_final(PG_FUNCTION_ARGS)
{
	MessageState *state;
	MessageState *result;
	MessageEntry *entries;

	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(new_state(0));
	state = state_arg(fcinfo, 0);
	result = copy_state(state, 0);
	entries = sorted_entries(state);
	memcpy(result->entries, entries, state->n_entries * sizeof(MessageEntry));
	pfree(entries);
	PG_RETURN_POINTER(result);
}

/*
 * omni.message_outcome's columns: 0.1.0's 19, then first_sent_at ... first_complained_at
 * (0.2.0), appended so that the old columns keep their positions.  The 0.1.0 layout is still
 * filled (its first columns) for a database that runs this library before its
 * ALTER EXTENSION omni UPDATE.
 */
#define OUTCOME_COLUMNS		25
#define OUTCOME_COLUMNS_V1	19
#define OUTCOME_FIRST_TIMED 19	/* 0-based column of first_sent_at, then TimedKind order */

StaticAssertDecl(OUTCOME_FIRST_TIMED + N_TIMED == OUTCOME_COLUMNS,
				 "one first_*_at column per timed kind, at the end");

static TupleDesc
outcome_tupdesc(FunctionCallInfo fcinfo)
{
	TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;

	if (tupdesc == NULL)
	{
		TupleDesc	result;
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &result) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "omni.message_outcome must return a composite type");
		if (result->natts != OUTCOME_COLUMNS && result->natts != OUTCOME_COLUMNS_V1)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("omni.message_outcome has %d columns, expected %d",
							result->natts, OUTCOME_COLUMNS),
					 errhint("Reinstall the extension: ALTER EXTENSION omni UPDATE.")));
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(result));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	return tupdesc;
}

/*
 * The outcome of one message: final function of message_outcome, and outcome(state).
 * Kept opens are human when no delivery was seen (the timing rule cannot apply).  A click
 * is human when neither its agent nor the ESP marks it, it is not sooner than the human
 * delay after the first delivery, and no other click on the message (of any kind) lies
 * within the burst window on either side.
 */
Datum
message_outcome_final(PG_FUNCTION_ARGS)
{
	MessageState *state = PG_ARGISNULL(0) ? new_state(0) : state_arg(fcinfo, 0);
	TupleDesc	tupdesc = outcome_tupdesc(fcinfo);
	Datum		values[OUTCOME_COLUMNS];
	bool		nulls[OUTCOME_COLUMNS];
	MessageEntry *entries = sorted_entries(state);
	int64		human_opens = state->settled_opens;
	TimestampTz first_human_open = state->first_settled_open_at;
	int64		clicks = 0;
	int64		human_clicks = 0;
	TimestampTz first_human_click = 0;
	int32		n_clicks = 0;
	int32		i;

	/* clicks to the front (still in time order), human opens counted on the way */
	for (i = 0; i < state->n_entries; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (entries[i].kind == ENTRY_OPEN)
		{
			if (!delivered(state) || settles(state, entries[i].at))
			{
				if (human_opens == 0 || entries[i].at < first_human_open)
					first_human_open = entries[i].at;
				human_opens++;
			}
		}
		else
			entries[n_clicks++] = entries[i];
	}
	clicks = n_clicks;
	for (i = 0; i < n_clicks; i++)
	{
		TimestampTz at = entries[i].at;

		CHECK_FOR_INTERRUPTS();
		if (entries[i].kind != ENTRY_CLICK)
			continue;
		if (delivered(state) &&
			sooner_than(at, state->first_delivered_at, MESSAGE_HUMAN_DELAY_USECS))
			continue;
		if (i > 0 && closer_than(at, entries[i - 1].at, MESSAGE_BURST_WINDOW_USECS))
			continue;
		if (i + 1 < n_clicks && closer_than(at, entries[i + 1].at, MESSAGE_BURST_WINDOW_USECS))
			continue;
		if (human_clicks == 0)
			first_human_click = at; /* entries are in time order */
		human_clicks++;
	}
	pfree(entries);

	memset(nulls, 0, sizeof(nulls));
	values[0] = BoolGetDatum((state->events & SEEN_SEND) != 0);	/* sent */
	values[1] = BoolGetDatum(delivered(state)); /* delivered */
	values[2] = BoolGetDatum((state->events & SEEN_BOUNCE) != 0);	/* bounced */
	values[3] = BoolGetDatum(state->opens > 0); /* opened */
	values[4] = BoolGetDatum(human_opens > 0);	/* human_opened */
	values[5] = BoolGetDatum(state->opens > 0 && human_opens == 0);	/* machine_opened */
	values[6] = BoolGetDatum(clicks > 0);	/* clicked */
	values[7] = BoolGetDatum(human_clicks > 0); /* human_clicked */
	values[8] = BoolGetDatum((state->events & SEEN_CONVERSION) != 0);	/* converted */
	values[9] = BoolGetDatum((state->events & SEEN_REPLY) != 0);	/* replied */
	values[10] = BoolGetDatum((state->events & SEEN_UNSUBSCRIBE) != 0);	/* unsubscribed */
	values[11] = BoolGetDatum((state->events & SEEN_COMPLAINT) != 0);	/* complained */
	values[12] = TimestampTzGetDatum(state->first_delivered_at);	/* first_delivered_at */
	nulls[12] = !delivered(state);
	values[13] = TimestampTzGetDatum(first_human_open); /* first_human_open_at */
	nulls[13] = human_opens == 0;
	values[14] = TimestampTzGetDatum(first_human_click);	/* first_human_click_at */
	nulls[14] = human_clicks == 0;
	values[15] = Int64GetDatum(state->opens);	/* opens */
	values[16] = Int64GetDatum(human_opens);	/* human_opens */
	values[17] = Int64GetDatum(clicks); /* clicks */
	values[18] = Int64GetDatum(human_clicks);	/* human_clicks */
	for (i = 0; i < N_TIMED; i++)	/* first_sent_at ... first_complained_at */
	{
		values[OUTCOME_FIRST_TIMED + i] = TimestampTzGetDatum(state->first_at[i]);
		nulls[OUTCOME_FIRST_TIMED + i] = (state->timed & timed_bit[i]) == 0;
	}

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
