/*
 * engagement.c — how engaged each customer is now: time-decayed engagement scores over raw
 * events or over message outcomes (human opens and clicks only), their partial state
 * omni.engagement_state (mergeable, and ageable to a later as_of so dbt models score
 * incrementally), per-customer engagement profiles, the four engagement personas and the
 * RFM segment map.
 *
 * A score is the sum of weight(event) * 2^(-(as_of - occurred_at) / half_life) over the
 * events at or before as_of.  The sum is kept exactly in fixed point (src/common/decay.h),
 * so any plan or order of rows gives the same bits.  A state remembers what its score means
 * (as_of, half_life, which weights) and refuses to merge with a state that means something
 * else; merging states of different as_of ages the older one first.
 *
 * Weights: the shared vocabulary's defaults, or a flat jsonb object that replaces them and
 * defines the vocabulary.  A parsed map is cached per call site in fn_extra, keyed by the
 * jsonb's bytes, so a constant map is parsed once per query.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "common/decay.h"
#include "common/hexform.h"
#include "common/timecalc.h"
#include "common/vocabulary.h"
#include "rate.h"

PG_FUNCTION_INFO_V1(engagement_state_in);
PG_FUNCTION_INFO_V1(engagement_state_out);
PG_FUNCTION_INFO_V1(engagement_state_recv);
PG_FUNCTION_INFO_V1(engagement_state_send);
PG_FUNCTION_INFO_V1(engagement_event_trans);
PG_FUNCTION_INFO_V1(engagement_outcome_trans);
PG_FUNCTION_INFO_V1(engagement_profile_trans);
PG_FUNCTION_INFO_V1(engagement_state_combine);
PG_FUNCTION_INFO_V1(engagement_score_final);
PG_FUNCTION_INFO_V1(engagement_state_final);
PG_FUNCTION_INFO_V1(engagement_profile_final);
PG_FUNCTION_INFO_V1(engagement_state_score);
PG_FUNCTION_INFO_V1(engagement_state_score_at);
PG_FUNCTION_INFO_V1(engagement_state_age_to);
PG_FUNCTION_INFO_V1(engagement_state_as_of);
PG_FUNCTION_INFO_V1(engagement_state_half_life);
PG_FUNCTION_INFO_V1(engagement_state_events);
PG_FUNCTION_INFO_V1(engagement_state_last_engaged_at);
PG_FUNCTION_INFO_V1(engagement_persona);
PG_FUNCTION_INFO_V1(engagement_rfm_segment);

/* ---------- weights ---------- */

/*
 * The documented defaults for the shared vocabulary: responses positive (stronger the more
 * effort they take), opt-outs negative, delivery mechanics zero.  In vocabulary order.
 */
static const double default_weights[] = {
	0.0,						/* send */
	0.0,						/* deliver */
	0.0,						/* bounce */
	1.0,						/* open */
	3.0,						/* click */
	5.0,						/* conversion */
	5.0,						/* reply */
	-10.0,						/* unsubscribe */
	-20.0,						/* complaint */
};

#define N_VOCABULARY lengthof(default_weights)
StaticAssertDecl(lengthof(default_weights) == NUM_EVENT_TYPES, "a default weight for every event type");

/* weights_id of the default weights; a custom map's id is a hash, never this */
#define DEFAULT_WEIGHTS_ID UINT64CONST(0)

typedef struct WeightMap
{
	bool		is_default;
	uint64		id;				/* DEFAULT_WEIGHTS_ID, or a hash of the (key, weight) pairs */
	int			n;
	char	  **names;			/* not NUL-terminated; lengths in name_lens */
	int		   *name_lens;
	double	   *weights;
	double		vocabulary[N_VOCABULARY];	/* by EventType, for message outcomes */
	bool		in_map[N_VOCABULARY];
} WeightMap;

static void
report_bad_weights(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid weights: %s", detail),
			 errhint("Pass a flat jsonb object of finite numbers, e.g. "
					 "'{\"open\": 1, \"click\": 3, \"unsubscribe\": -10}', with |weight| <= %g; "
					 "NULL means the default weights.", DECAY_MAX_TERM)));
}

/* Parse a custom weight map into map (allocated in cxt). */
static void
parse_weights(Jsonb *jb, WeightMap *map, MemoryContext cxt)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken token;
	int			capacity;
	int			i;
	char	   *key = NULL;
	int			key_len = 0;
	uint64		hash = UINT64CONST(0x9e3779b97f4a7c15);

	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		report_bad_weights("not a jsonb object");
	capacity = Max(JB_ROOT_COUNT(jb), 1);
	if (JB_ROOT_COUNT(jb) == 0)
		report_bad_weights("the object is empty");

	map->is_default = false;
	map->n = 0;
	map->names = MemoryContextAlloc(cxt, capacity * sizeof(char *));
	map->name_lens = MemoryContextAlloc(cxt, capacity * sizeof(int));
	map->weights = MemoryContextAlloc(cxt, capacity * sizeof(double));
	memset(map->vocabulary, 0, sizeof(map->vocabulary));
	memset(map->in_map, 0, sizeof(map->in_map));

	it = JsonbIteratorInit(&jb->root);
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		double		weight;
		int			e;

		if (token == WJB_KEY)
		{
			key = v.val.string.val;
			key_len = v.val.string.len;
			continue;
		}
		if (token != WJB_VALUE)
			continue;
		if (v.type != jbvNumeric)
			report_bad_weights(psprintf("the weight of \"%.*s\" is not a number", key_len, key));
		/* beyond float8's range this gives an infinity, reported below */
		weight = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
													NumericGetDatum(v.val.numeric)));
		if (!isfinite(weight) || fabs(weight) > DECAY_MAX_TERM)
			report_bad_weights(psprintf("the weight of \"%.*s\" is %g", key_len, key, weight));
		i = map->n++;
		map->names[i] = MemoryContextAlloc(cxt, Max(key_len, 1));
		memcpy(map->names[i], key, key_len);
		map->name_lens[i] = key_len;
		map->weights[i] = weight;
		/* jsonb keeps keys unique and in one canonical order, so the id is canonical too */
		hash = hash_combine64(hash, hash_bytes_extended((const unsigned char *) key, key_len, 0));
		hash = hash_combine64(hash, hash_bytes_extended((const unsigned char *) &weight,
														sizeof(weight), 0));
		if ((e = FindEventType(key, key_len)) >= 0)
		{
			map->vocabulary[e] = weight;
			map->in_map[e] = true;
		}
	}
	map->id = hash == DEFAULT_WEIGHTS_ID ? 1 : hash;
}

static void
default_weight_map(WeightMap *map)
{
	memset(map, 0, sizeof(*map));
	map->is_default = true;
	map->id = DEFAULT_WEIGHTS_ID;
	memcpy(map->vocabulary, default_weights, sizeof(default_weights));
	for (int e = 0; e < (int) N_VOCABULARY; e++)
		map->in_map[e] = true;
}

/* weight of a raw event's type: the vocabulary's (errors via CheckEventType) or the map's */
static double
event_weight(const WeightMap *map, const text *event_type)
{
	const char *name;
	int			len;
	int			i;
	char	   *shown;
	StringInfoData keys;

	if (map->is_default)
		return map->vocabulary[CheckEventType(event_type)];

	name = VARDATA_ANY(event_type);
	len = VARSIZE_ANY_EXHDR(event_type);
	for (i = 0; i < map->n; i++)
		if (map->name_lens[i] == len && memcmp(map->names[i], name, len) == 0)
			return map->weights[i];

	shown = text_to_cstring(event_type);
	initStringInfo(&keys);
	for (i = 0; i < map->n; i++)
		appendStringInfo(&keys, "%s\"%.*s\"", i > 0 ? ", " : "", map->name_lens[i], map->names[i]);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("event_type \"%s\" has no weight in weights", shown),
			 errhint("The weights map defines the vocabulary: %s.  Add the type (with weight 0 "
					 "to ignore it) or map it with CASE.", keys.data)));
	pg_unreachable();
}

/* ---------- per-call-site cache ---------- */

typedef struct EngagementCache
{
	bool		have_weights;
	bool		weights_null;
	MemoryContext weights_cxt;	/* the parsed map and its key; reset when weights change */
	Jsonb	   *weights_key;	/* copy of the jsonb the map was parsed from */
	WeightMap	map;
	bool		have_span;
	Interval	span_key;
	int64		span_usecs;
} EngagementCache;

static EngagementCache *
get_cache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
														  sizeof(EngagementCache));
	return (EngagementCache *) fcinfo->flinfo->fn_extra;
}

/* The weight map of argument argno (absent or NULL: the defaults). */
static const WeightMap *
weights_arg(FunctionCallInfo fcinfo, int argno)
{
	EngagementCache *cache = get_cache(fcinfo);
	bool		null = PG_NARGS() <= argno || PG_ARGISNULL(argno);
	Jsonb	   *jb = null ? NULL : PG_GETARG_JSONB_P(argno);

	if (cache->have_weights)
	{
		if (null && cache->weights_null)
			return &cache->map;
		if (!null && !cache->weights_null &&
			VARSIZE(jb) == VARSIZE(cache->weights_key) &&
			memcmp(jb, cache->weights_key, VARSIZE(jb)) == 0)
			return &cache->map;
	}
	cache->have_weights = false;
	if (null)
		default_weight_map(&cache->map);
	else
	{
		/* weights that change from row to row reuse one context rather than piling up */
		if (cache->weights_cxt == NULL)
			cache->weights_cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "omni weights",
													   ALLOCSET_SMALL_SIZES);
		else
			MemoryContextReset(cache->weights_cxt);
		parse_weights(jb, &cache->map, cache->weights_cxt);
		cache->weights_key = MemoryContextAlloc(cache->weights_cxt, VARSIZE(jb));
		memcpy(cache->weights_key, jb, VARSIZE(jb));
	}
	cache->weights_null = null;
	cache->have_weights = true;
	return &cache->map;
}

#define DURATION_HINT "Pass a positive duration such as '30 days'."

/* A strictly positive fixed-length interval argument, in microseconds. */
static int64
CheckPositiveSpan(const Interval *span, const char *argname)
{
	int64		usecs = omni_duration_usecs(span, argname, DURATION_HINT);

	if (usecs <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive, not \"%s\"", argname,
						DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(span)))),
				 errhint("Pass a duration such as '30 days'.")));
	return usecs;
}

static int64
half_life_arg(FunctionCallInfo fcinfo, int argno, Interval *half_life)
{
	EngagementCache *cache = get_cache(fcinfo);
	Interval   *span;

	if (PG_NARGS() <= argno)
	{
		/* the documented default: 30 days */
		memset(half_life, 0, sizeof(*half_life));
		half_life->day = 30;
		return 30 * USECS_PER_DAY;
	}
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("half_life cannot be NULL"),
				 errhint("Pass a duration such as '30 days', or leave the argument out for the default.")));
	span = PG_GETARG_INTERVAL_P(argno);
	*half_life = *span;
	if (!cache->have_span || memcmp(&cache->span_key, span, sizeof(Interval)) != 0)
	{
		cache->span_usecs = CheckPositiveSpan(span, "half_life");
		cache->span_key = *span;
		cache->have_span = true;
	}
	return cache->span_usecs;
}

static TimestampTz
as_of_arg(FunctionCallInfo fcinfo, int argno)
{
	TimestampTz as_of;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of cannot be NULL"),
				 errhint("Pass the time the score is computed for, e.g. the end of the data.")));
	as_of = PG_GETARG_TIMESTAMPTZ(argno);
	omni_check_finite(as_of, "as_of");
	return as_of;
}

/* ---------- omni.engagement_state ---------- */

#define ENGAGEMENT_STATE_VERSION 1

/* flags */
#define STATE_PROFILE		0x01	/* carries window counts (engagement_profile) */
#define STATE_ALL_FLAGS		0x01

/*
 * The state in memory and on disk: a varlena with a version byte so later versions can grow
 * it and still read this one.  Score states end before the profile counts (96 bytes, so a
 * million of them in a hash aggregate take 128-byte chunks, not 256); profile states carry
 * them.  The text and binary forms are one fixed size for both.
 */
typedef struct EngagementState
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* ENGAGEMENT_STATE_VERSION */
	uint8		flags;			/* STATE_* */
	uint16		reserved;		/* zero */
	int32		reserved2;		/* zero */
	Interval	half_life;		/* as given; compared by half_life_usecs */
	int64		half_life_usecs;
	TimestampTz as_of;			/* the score's reference time: events after it are not counted */
	uint64		weights_id;		/* DEFAULT_WEIGHTS_ID or the custom map's hash */
	DecaySum	sum;			/* sum of weight * 2^(-(as_of - t) / half_life) */
	int64		events;			/* events (or outcome events) counted */
	TimestampTz last_engaged_at;	/* latest counted event with a positive weight */
	/* engagement_profile only (STATE_PROFILE), for messages delivered in the window */
	Interval	window;
	int64		window_usecs;
	int64		deliveries;
	int64		opens;			/* delivered messages a person opened or clicked by as_of */
	int64		clicks;			/* delivered messages a person clicked by as_of */
} EngagementState;

#define NO_TIME DT_NOBEGIN		/* last_engaged_at when nothing engaged */

#define SCORE_STATE_SIZE	offsetof(EngagementState, window)
#define PROFILE_STATE_SIZE	sizeof(EngagementState)

static inline Size
state_size(uint8 flags)
{
	return (flags & STATE_PROFILE) ? PROFILE_STATE_SIZE : SCORE_STATE_SIZE;
}

/* binary form: version, flags, half_life (month, day, time), as_of, weights_id, 3 limbs,
 * events, last_engaged_at, window (month, day, time), deliveries, opens, clicks */
#define ENGAGEMENT_WIRE_SIZE (1 + 1 + 16 + 8 + 8 + 24 + 8 + 8 + 16 + 8 + 8 + 8)

/* An empty state in the current memory context. */
static EngagementState *
new_engagement_state(uint8 flags)
{
	EngagementState *state = palloc0(state_size(flags));

	SET_VARSIZE(state, state_size(flags));
	state->version = ENGAGEMENT_STATE_VERSION;
	state->flags = flags;
	state->last_engaged_at = NO_TIME;
	return state;
}

static EngagementState *
copy_engagement_state(const EngagementState *state)
{
	EngagementState *copy = palloc(VARSIZE(state));

	memcpy(copy, state, VARSIZE(state));
	return copy;
}

static void
report_corrupt(int errcode_value, const char *detail)
{
	ereport(ERROR,
			(errcode(errcode_value),
			 errmsg("invalid omni.engagement_state: %s", detail),
			 errhint("An engagement_state comes from omni.engagement_state_agg() or from its "
					 "own text or binary output; it cannot be edited.")));
}

static bool
valid_time(TimestampTz t)
{
	return IS_VALID_TIMESTAMP(t);
}

/* Every invariant a state keeps; forged or damaged bytes fail here. */
static void
check_state(const EngagementState *state, int errcode_value)
{
	if (state->version != ENGAGEMENT_STATE_VERSION)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("unsupported omni.engagement_state format version %d", state->version),
				 errhint("This omni reads version %d; upgrade omni on the reading side.",
						 ENGAGEMENT_STATE_VERSION)));
	if ((state->flags & ~STATE_ALL_FLAGS) != 0 || state->reserved != 0 || state->reserved2 != 0)
		report_corrupt(errcode_value, psprintf("unknown flags 0x%02x", state->flags));
	if (state->half_life_usecs <= 0 ||
		state->half_life_usecs != omni_duration_usecs(&state->half_life, "half_life", DURATION_HINT))
		report_corrupt(errcode_value, "half_life does not match its length");
	if (!valid_time(state->as_of))
		report_corrupt(errcode_value, "bad as_of");
	if (state->events < 0)
		report_corrupt(errcode_value, "negative event count");
	if (state->last_engaged_at != NO_TIME &&
		(!valid_time(state->last_engaged_at) || state->last_engaged_at > state->as_of))
		report_corrupt(errcode_value, "last_engaged_at is not before as_of");
	/* the profile counts exist only in profile states */
	if (state->flags & STATE_PROFILE)
	{
		if (state->window_usecs <= 0 ||
			state->window_usecs != omni_duration_usecs(&state->window, "window", DURATION_HINT))
			report_corrupt(errcode_value, "window does not match its length");
		if (state->deliveries < 0 || state->opens < 0 || state->clicks < 0 ||
			state->opens > state->deliveries || state->clicks > state->opens)
			report_corrupt(errcode_value, "bad window counts");
	}
}

static EngagementState *
engagement_state_arg(FunctionCallInfo fcinfo, int argno)
{
	EngagementState *state = (EngagementState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (VARSIZE(state) < SCORE_STATE_SIZE || VARSIZE(state) != state_size(state->flags))
		report_corrupt(ERRCODE_DATA_CORRUPTED,
					   psprintf("%u bytes for flags 0x%02x", (unsigned int) VARSIZE(state),
								state->flags));
	check_state(state, ERRCODE_DATA_CORRUPTED);
	return state;
}

static bytea *
encode_engagement_state(const EngagementState *state)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, ENGAGEMENT_STATE_VERSION);
	pq_sendbyte(&buf, state->flags);
	pq_sendint32(&buf, state->half_life.month);
	pq_sendint32(&buf, state->half_life.day);
	pq_sendint64(&buf, state->half_life.time);
	pq_sendint64(&buf, state->as_of);
	pq_sendint64(&buf, (int64) state->weights_id);
	for (int i = 0; i < 3; i++)
		pq_sendint64(&buf, (int64) state->sum.limb[i]);
	pq_sendint64(&buf, state->events);
	pq_sendint64(&buf, state->last_engaged_at);
	if (state->flags & STATE_PROFILE)
	{
		pq_sendint32(&buf, state->window.month);
		pq_sendint32(&buf, state->window.day);
		pq_sendint64(&buf, state->window.time);
		pq_sendint64(&buf, state->deliveries);
		pq_sendint64(&buf, state->opens);
		pq_sendint64(&buf, state->clicks);
	}
	else
	{
		/* score states have no profile: zeros, so both kinds have one wire size */
		pq_sendint32(&buf, 0);
		pq_sendint32(&buf, 0);
		for (int i = 0; i < 4; i++)
			pq_sendint64(&buf, 0);
	}
	return pq_endtypsend(&buf);
}

static EngagementState *
decode_engagement_state(StringInfo buf, int errcode_value)
{
	EngagementState fields;
	EngagementState *state = &fields;
	EngagementState *result;
	int			version;

	memset(&fields, 0, sizeof(fields));

	if (buf->len - buf->cursor < 1)
		report_corrupt(errcode_value, "empty value");
	version = pq_getmsgbyte(buf);
	if (version != ENGAGEMENT_STATE_VERSION)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("unsupported omni.engagement_state format version %d", version),
				 errhint("This omni reads version %d; upgrade omni on the reading side.",
						 ENGAGEMENT_STATE_VERSION)));
	if (buf->len - buf->cursor != ENGAGEMENT_WIRE_SIZE - 1)
		report_corrupt(errcode_value, psprintf("%d bytes, not %d", buf->len - buf->cursor + 1,
											   ENGAGEMENT_WIRE_SIZE));
	state->flags = pq_getmsgbyte(buf);
	state->half_life.month = pq_getmsgint(buf, 4);
	state->half_life.day = pq_getmsgint(buf, 4);
	state->half_life.time = pq_getmsgint64(buf);
	state->as_of = pq_getmsgint64(buf);
	state->weights_id = (uint64) pq_getmsgint64(buf);
	for (int i = 0; i < 3; i++)
		state->sum.limb[i] = (uint64) pq_getmsgint64(buf);
	state->events = pq_getmsgint64(buf);
	state->last_engaged_at = pq_getmsgint64(buf);
	state->window.month = pq_getmsgint(buf, 4);
	state->window.day = pq_getmsgint(buf, 4);
	state->window.time = pq_getmsgint64(buf);
	state->deliveries = pq_getmsgint64(buf);
	state->opens = pq_getmsgint64(buf);
	state->clicks = pq_getmsgint64(buf);
	pq_getmsgend(buf);

	/* lengths are derived, so a forged half-life cannot disagree with its own length */
	if (state->half_life.month == 0 && state->half_life.day == 0 && state->half_life.time == 0)
		report_corrupt(errcode_value, "zero half_life");
	state->half_life_usecs = omni_duration_usecs(&state->half_life, "half_life", DURATION_HINT);
	if (state->flags & STATE_PROFILE)
		state->window_usecs = omni_duration_usecs(&state->window, "window", DURATION_HINT);
	else if (state->window.month != 0 || state->window.day != 0 || state->window.time != 0 ||
			 state->deliveries != 0 || state->opens != 0 || state->clicks != 0)
		report_corrupt(errcode_value, "window counts without the profile flag");
	state->version = ENGAGEMENT_STATE_VERSION;
	check_state(state, errcode_value);

	result = palloc(state_size(state->flags));
	memcpy(result, state, state_size(state->flags));
	SET_VARSIZE(result, state_size(state->flags));
	return result;
}

Datum
engagement_state_in(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	omni_hex_parse(PG_GETARG_CSTRING(0), "omni.engagement_state", &buf);
	PG_RETURN_POINTER(decode_engagement_state(&buf, ERRCODE_INVALID_TEXT_REPRESENTATION));
}

Datum
engagement_state_out(PG_FUNCTION_ARGS)
{
	bytea	   *binary = encode_engagement_state(engagement_state_arg(fcinfo, 0));

	PG_RETURN_CSTRING(omni_hex_text(VARDATA(binary), VARSIZE(binary) - VARHDRSZ));
}

Datum
engagement_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);

	PG_RETURN_POINTER(decode_engagement_state(buf, ERRCODE_INVALID_BINARY_REPRESENTATION));
}

Datum
engagement_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(encode_engagement_state(engagement_state_arg(fcinfo, 0)));
}

/* ---------- accumulating ---------- */

/*
 * The state to update for this row: the current one, or a new one in the aggregate's
 * context for the group's first counted row.  A group has one as_of, one half-life and one
 * weight map; a row that disagrees is an error rather than a silently mixed score.
 */
static EngagementState *
state_for_row(FunctionCallInfo fcinfo, uint8 flags, TimestampTz as_of, const Interval *half_life,
			  int64 half_life_usecs, uint64 weights_id)
{
	EngagementState *state;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "engagement transition function called in non-aggregate context");
	if (PG_ARGISNULL(0))
	{
		/*
		 * In the per-row context: the executor copies a new transition value into the
		 * aggregate's context itself, so allocating it there would leave a dead copy per group.
		 */
		state = new_engagement_state(flags);
		state->half_life = *half_life;
		state->half_life_usecs = half_life_usecs;
		state->as_of = as_of;
		state->weights_id = weights_id;
		return state;
	}
	state = (EngagementState *) PG_GETARG_POINTER(0);
	if (unlikely(state->as_of != as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of differs within one group: %s and %s",
						pstrdup(timestamptz_to_str(state->as_of)), pstrdup(timestamptz_to_str(as_of))),
				 errhint("A score is computed as of one time; pass the same as_of for every row "
						 "of a group.")));
	if (unlikely(state->half_life_usecs != half_life_usecs || state->weights_id != weights_id))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("half_life or weights differ within one group"),
				 errhint("Pass the same half_life and weights for every row of a group.")));
	return state;
}

/* count one event of weight w at time t into the state (t <= as_of) */
static inline void
count_event(EngagementState *state, double weight, TimestampTz at)
{
	if (weight != 0.0)
		omni_decay_add_term(&state->sum,
							weight * omni_decay_factor(state->as_of - at, state->half_life_usecs));
	state->events++;
	if (weight > 0.0 && at > state->last_engaged_at)
		state->last_engaged_at = at;
}

/*
 * engagement_state_trans(state, event_type, occurred_at, as_of [, half_life [, weights]]):
 * rows with a NULL event_type or occurred_at are skipped (as message_outcome skips them);
 * events after as_of are not counted; an unknown event type is an error.
 */
Datum
engagement_event_trans(PG_FUNCTION_ARGS)
{
	TimestampTz as_of = as_of_arg(fcinfo, 3);
	Interval	half_life;
	int64		half_life_usecs = half_life_arg(fcinfo, 4, &half_life);
	const WeightMap *map = weights_arg(fcinfo, 5);
	EngagementState *state;
	TimestampTz at;
	double		weight;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	at = PG_GETARG_TIMESTAMPTZ(2);
	omni_check_finite(at, "occurred_at");
	weight = event_weight(map, PG_GETARG_TEXT_PP(1));
	state = state_for_row(fcinfo, 0, as_of, &half_life, half_life_usecs, map->id);
	if (at <= as_of)
		count_event(state, weight, at);
	PG_RETURN_POINTER(state);
}

/* omni.message_outcome's attributes that engagement reads (1-based; 0.2.0's layout) */
#define OUTCOME_DELIVERED			2
#define OUTCOME_HUMAN_OPENED		5
#define OUTCOME_HUMAN_CLICKED		8
#define OUTCOME_FIRST_DELIVERED_AT	13
#define OUTCOME_FIRST_HUMAN_OPEN_AT 14
#define OUTCOME_FIRST_HUMAN_CLICK_AT 15

/* the flag and first-time attributes of each vocabulary event in an outcome */
static const struct
{
	int			flag;
	int			time;
} outcome_columns[N_VOCABULARY] = {
	{1, 20},					/* send: sent, first_sent_at */
	{2, 13},					/* deliver: delivered, first_delivered_at */
	{3, 21},					/* bounce: bounced, first_bounced_at */
	{5, 14},					/* open: human_opened, first_human_open_at */
	{8, 15},					/* click: human_clicked, first_human_click_at */
	{9, 22},					/* conversion: converted, first_converted_at */
	{10, 23},					/* reply: replied, first_replied_at */
	{11, 24},					/* unsubscribe: unsubscribed, first_unsubscribed_at */
	{12, 25},					/* complaint: complained, first_complained_at */
};

/* omni.message_outcome has 25 attributes since 0.2.0; older values read as NULL beyond 19 */
#define OUTCOME_COLUMNS 25

typedef struct Outcome
{
	Datum		values[OUTCOME_COLUMNS];
	bool		nulls[OUTCOME_COLUMNS];
} Outcome;

static void
deform_outcome(HeapTupleHeader header, Outcome *outcome)
{
	TupleDesc	tupdesc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(header),
												 HeapTupleHeaderGetTypMod(header));
	HeapTupleData tuple;

	if (tupdesc->natts != OUTCOME_COLUMNS)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("omni.message_outcome has %d attributes, not %d", tupdesc->natts,
						OUTCOME_COLUMNS),
				 errhint("Run ALTER EXTENSION omni UPDATE.")));
	tuple.t_len = HeapTupleHeaderGetDatumLength(header);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = header;
	heap_deform_tuple(&tuple, tupdesc, outcome->values, outcome->nulls);
	ReleaseTupleDesc(tupdesc);
}

static inline bool
outcome_flag(const Outcome *outcome, int attno)
{
	return !outcome->nulls[attno - 1] && DatumGetBool(outcome->values[attno - 1]);
}

static inline bool
outcome_time(const Outcome *outcome, int attno, TimestampTz *at)
{
	if (outcome->nulls[attno - 1])
		return false;
	*at = DatumGetTimestampTz(outcome->values[attno - 1]);
	return true;
}

/*
 * Count a message outcome's events: each kind that happened once, at its first time; opens
 * and clicks only when a person made them.  A kind that happened without a known time (a
 * state stored by omni 0.1.0, which kept no times) cannot be decayed: an error if it weighs
 * anything.
 */
static void
count_outcome(EngagementState *state, const WeightMap *map, const Outcome *outcome,
			  TimestampTz after)
{
	for (int e = 0; e < (int) N_VOCABULARY; e++)
	{
		TimestampTz at;

		if (!outcome_flag(outcome, outcome_columns[e].flag))
			continue;
		if (!map->in_map[e])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("event type \"%s\" of a message outcome has no weight in weights",
							EventTypeName((EventType) e)),
					 errhint("The weights map defines the vocabulary; add \"%s\" (with weight 0 to "
							 "ignore it).", EventTypeName((EventType) e))));
		if (!outcome_time(outcome, outcome_columns[e].time, &at))
		{
			if (map->vocabulary[e] == 0.0)
				continue;
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a message outcome has a %s without a time", EventTypeName((EventType) e)),
					 errhint("Outcomes of states stored by omni 0.1.0 carry no event times; "
							 "recompute them from the events with omni.message_outcome().")));
		}
		if (at <= state->as_of && at > after)
			count_event(state, map->vocabulary[e], at);
	}
}

/*
 * engagement_outcome_trans(state, outcome, as_of [, half_life [, weights [, after]]]): NULL
 * outcomes are skipped.  With after (not NULL), only events later than after are counted: an
 * incremental run adds the outcome events of (after, as_of] to the state stored as of after.
 */
Datum
engagement_outcome_trans(PG_FUNCTION_ARGS)
{
	TimestampTz as_of = as_of_arg(fcinfo, 2);
	Interval	half_life;
	int64		half_life_usecs = half_life_arg(fcinfo, 3, &half_life);
	const WeightMap *map = weights_arg(fcinfo, 4);
	EngagementState *state;
	Outcome		outcome;
	TimestampTz after = DT_NOBEGIN;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	if (PG_NARGS() > 5 && !PG_ARGISNULL(5))
		after = PG_GETARG_TIMESTAMPTZ(5);
	state = state_for_row(fcinfo, 0, as_of, &half_life, half_life_usecs, map->id);
	deform_outcome(PG_GETARG_HEAPTUPLEHEADER(1), &outcome);
	count_outcome(state, map, &outcome, after);
	PG_RETURN_POINTER(state);
}

/*
 * engagement_profile_trans(state, outcome, as_of [, window [, half_life]]): the default-weight
 * score of engagement_state_agg plus, for messages first delivered in (as_of - window, as_of],
 * deliveries, opened (a person opened or clicked by as_of) and clicked (a person clicked by
 * as_of) messages.
 */
Datum
engagement_profile_trans(PG_FUNCTION_ARGS)
{
	TimestampTz as_of = as_of_arg(fcinfo, 2);
	Interval	window;
	int64		window_usecs;
	Interval	half_life;
	int64		half_life_usecs;
	const WeightMap *map;
	EngagementState *state;
	Outcome		row;
	const Outcome *outcome = &row;
	TimestampTz delivered_at;

	memset(&window, 0, sizeof(window));
	window.day = 90;			/* the documented default */
	if (PG_NARGS() > 3)
	{
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("window cannot be NULL"),
					 errhint("Pass a duration such as '90 days', or leave the argument out for the default.")));
		window = *PG_GETARG_INTERVAL_P(3);
	}
	window_usecs = CheckPositiveSpan(&window, "window");
	half_life_usecs = half_life_arg(fcinfo, 4, &half_life);
	map = weights_arg(fcinfo, 5);	/* no weights argument: the cached defaults */

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	state = state_for_row(fcinfo, STATE_PROFILE, as_of, &half_life, half_life_usecs, map->id);
	if (state->window_usecs == 0)
	{
		/* the group's first row */
		state->window = window;
		state->window_usecs = window_usecs;
	}
	else if (state->window_usecs != window_usecs)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window differs within one group"),
				 errhint("Pass the same window for every row of a group.")));

	deform_outcome(PG_GETARG_HEAPTUPLEHEADER(1), &row);
	count_outcome(state, map, outcome, DT_NOBEGIN);

	if (outcome_flag(outcome, OUTCOME_DELIVERED) &&
		outcome_time(outcome, OUTCOME_FIRST_DELIVERED_AT, &delivered_at) &&
		delivered_at <= as_of && as_of - delivered_at < window_usecs)
	{
		TimestampTz opened_at = 0;
		TimestampTz clicked_at = 0;
		bool		clicked = outcome_flag(outcome, OUTCOME_HUMAN_CLICKED) &&
			outcome_time(outcome, OUTCOME_FIRST_HUMAN_CLICK_AT, &clicked_at) &&
			clicked_at <= as_of;
		bool		opened = clicked ||
			(outcome_flag(outcome, OUTCOME_HUMAN_OPENED) &&
			 outcome_time(outcome, OUTCOME_FIRST_HUMAN_OPEN_AT, &opened_at) &&
			 opened_at <= as_of);

		state->deliveries++;
		state->opens += opened ? 1 : 0;
		state->clicks += clicked ? 1 : 0;
	}
	PG_RETURN_POINTER(state);
}

/* state *= 2^(-(as_of - state's as_of) / half_life); as_of must not be earlier */
static void
age_state(EngagementState *state, TimestampTz as_of)
{
	if (as_of < state->as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot age an engagement state from %s back to %s",
						pstrdup(timestamptz_to_str(state->as_of)), pstrdup(timestamptz_to_str(as_of))),
				 errhint("A state can only be aged forward: it may hold events up to its own as_of.")));
	if (as_of == state->as_of)
		return;
	if (state->flags & STATE_PROFILE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("an engagement profile state cannot be aged"),
				 errhint("Its window counts depend on as_of; recompute the profile for the new as_of.")));
	omni_decay_scale(&state->sum, omni_decay_factor(as_of - state->as_of, state->half_life_usecs));
	state->as_of = as_of;
}

/*
 * Merge two states (the combine function, and rollup's transition).  Not strict; a NULL side
 * is nothing.  States of different as_of merge at the later one.  The second state is never
 * modified.
 */
Datum
engagement_state_combine(PG_FUNCTION_ARGS)
{
	EngagementState *state;
	EngagementState *other;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(engagement_state_arg(fcinfo, 0));
	}
	other = engagement_state_arg(fcinfo, 1);
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(other);	/* the executor copies it into its own context */
	state = engagement_state_arg(fcinfo, 0);
	if (!AggCheckCallContext(fcinfo, NULL))
		state = copy_engagement_state(state);

	if (state->half_life_usecs != other->half_life_usecs || state->weights_id != other->weights_id)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge engagement states with different half-lives or weights"),
				 errhint("Only states computed with the same half_life and weights add up to a score.")));
	if (state->flags != other->flags ||
		((state->flags & STATE_PROFILE) && state->window_usecs != other->window_usecs))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge an engagement profile state with a state of another window"),
				 errhint("Merge profile states of the same window and as_of only.")));

	if (other->as_of > state->as_of)
		age_state(state, other->as_of);
	if (other->as_of < state->as_of)
	{
		EngagementState *aged = copy_engagement_state(other);

		age_state(aged, state->as_of);
		other = aged;
	}
	omni_decay_add(&state->sum, &other->sum);
	if (pg_add_s64_overflow(state->events, other->events, &state->events) ||
		((state->flags & STATE_PROFILE) &&
		 (pg_add_s64_overflow(state->deliveries, other->deliveries, &state->deliveries) ||
		  pg_add_s64_overflow(state->opens, other->opens, &state->opens) ||
		  pg_add_s64_overflow(state->clicks, other->clicks, &state->clicks))))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("omni.engagement_state count out of range")));
	if (other->last_engaged_at > state->last_engaged_at)
		state->last_engaged_at = other->last_engaged_at;
	PG_RETURN_POINTER(state);
}

/* ---------- finals and accessors ---------- */

/* engagement_score's final: the score, NULL when the group had no counted rows at all */
Datum
engagement_score_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(omni_decay_value(&engagement_state_arg(fcinfo, 0)->sum));
}

/* engagement_state_agg's and rollup's final: a copy (the state itself stays the executor's) */
Datum
engagement_state_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(copy_engagement_state(engagement_state_arg(fcinfo, 0)));
}

Datum
engagement_state_score(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(omni_decay_value(&engagement_state_arg(fcinfo, 0)->sum));
}

Datum
engagement_state_score_at(PG_FUNCTION_ARGS)
{
	EngagementState *state = copy_engagement_state(engagement_state_arg(fcinfo, 0));
	TimestampTz as_of = PG_GETARG_TIMESTAMPTZ(1);

	omni_check_finite(as_of, "as_of");
	age_state(state, as_of);
	PG_RETURN_FLOAT8(omni_decay_value(&state->sum));
}

Datum
engagement_state_age_to(PG_FUNCTION_ARGS)
{
	EngagementState *state = copy_engagement_state(engagement_state_arg(fcinfo, 0));
	TimestampTz as_of = PG_GETARG_TIMESTAMPTZ(1);

	omni_check_finite(as_of, "as_of");
	age_state(state, as_of);
	PG_RETURN_POINTER(state);
}

Datum
engagement_state_as_of(PG_FUNCTION_ARGS)
{
	PG_RETURN_TIMESTAMPTZ(engagement_state_arg(fcinfo, 0)->as_of);
}

Datum
engagement_state_half_life(PG_FUNCTION_ARGS)
{
	Interval   *result = palloc(sizeof(Interval));

	*result = engagement_state_arg(fcinfo, 0)->half_life;
	PG_RETURN_INTERVAL_P(result);
}

Datum
engagement_state_events(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(engagement_state_arg(fcinfo, 0)->events);
}

Datum
engagement_state_last_engaged_at(PG_FUNCTION_ARGS)
{
	EngagementState *state = engagement_state_arg(fcinfo, 0);

	if (state->last_engaged_at == NO_TIME)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(state->last_engaged_at);
}

#define PROFILE_COLUMNS 12

/* the omni.engagement_profile row of a profile state */
static Datum
profile_datum(FunctionCallInfo fcinfo, const EngagementState *state)
{
	TupleDesc	tupdesc;
	Datum		values[PROFILE_COLUMNS];
	bool		nulls[PROFILE_COLUMNS] = {0};
	Rate	   *rates[3];

	if (!(state->flags & STATE_PROFILE))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("engagement state has no profile counts"),
				 errdetail("States of omni.engagement_state_agg keep the decayed score only."),
				 errhint("Read it with omni.score(); for opens, clicks and rates aggregate message outcomes with omni.engagement_profile.")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	rates[0] = omni_make_rate(state->opens, state->deliveries);
	rates[1] = omni_make_rate(state->clicks, state->deliveries);
	rates[2] = omni_make_rate(state->clicks, state->opens);
	values[0] = Int64GetDatum(state->deliveries);
	values[1] = Int64GetDatum(state->opens);
	values[2] = Int64GetDatum(state->clicks);
	for (int i = 0; i < 3; i++)
	{
		values[3 + i] = Float8GetDatum((double) rates[i]->hits / (double) rates[i]->trials);
		nulls[3 + i] = rates[i]->trials == 0;
		values[6 + i] = RatePGetDatum(rates[i]);
	}
	if (state->last_engaged_at == NO_TIME)
		nulls[9] = nulls[10] = true;
	else
	{
		values[9] = TimestampTzGetDatum(state->last_engaged_at);
		values[10] = Float8GetDatum((double) (state->as_of - state->last_engaged_at) /
									(double) USECS_PER_DAY);
	}
	values[11] = Float8GetDatum(omni_decay_value(&state->sum));
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* engagement_profile's final; no rows: NULL */
Datum
engagement_profile_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(profile_datum(fcinfo, engagement_state_arg(fcinfo, 0)));
}

/* ---------- personas and RFM segments ---------- */

static inline void
CheckProportion(double value, const char *argname)
{
	if (!(value >= 0.0 && value <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 0 and 1, not %g", argname, value),
				 errhint("Rates and thresholds are proportions, e.g. 0.25 for 25%%.")));
}

/*
 * engagement_persona(open_rate, click_rate, open_threshold, click_threshold): the quadrant.
 * "High" means at or above the threshold.
 */
Datum
engagement_persona(PG_FUNCTION_ARGS)
{
	double		open_rate = PG_GETARG_FLOAT8(0);
	double		click_rate = PG_GETARG_FLOAT8(1);
	double		open_threshold = PG_GETARG_FLOAT8(2);
	double		click_threshold = PG_GETARG_FLOAT8(3);
	bool		high_open;
	bool		high_click;

	CheckProportion(open_rate, "open_rate");
	CheckProportion(click_rate, "click_rate");
	CheckProportion(open_threshold, "open_threshold");
	CheckProportion(click_threshold, "click_threshold");
	high_open = open_rate >= open_threshold;
	high_click = click_rate >= click_threshold;
	PG_RETURN_TEXT_P(cstring_to_text(high_open ? (high_click ? "loyalist" : "window_shopper")
									 : (high_click ? "selective_subscriber" : "dormant")));
}

/*
 * The RFM segment map of the R package rfm (Hebbali; CRAN, rfm_segment() documentation and
 * its tests): the first rule whose recency, frequency and monetary ranges all hold wins;
 * scores that no rule covers are "Others".
 */
static const struct
{
	const char *name;
	int8		r_lo,
				r_hi,
				f_lo,
				f_hi,
				m_lo,
				m_hi;
} rfm_rules[] = {
	{"Champions", 4, 5, 4, 5, 4, 5},
	{"Loyal Customers", 2, 5, 3, 5, 3, 5},
	{"Potential Loyalist", 3, 5, 1, 3, 1, 3},
	{"New Customers", 4, 5, 1, 1, 1, 1},
	{"Promising", 3, 4, 1, 1, 1, 1},
	{"Need Attention", 2, 3, 2, 3, 2, 3},
	{"About To Sleep", 2, 3, 1, 2, 1, 2},
	{"At Risk", 1, 2, 2, 5, 2, 5},
	{"Can't Lose Them", 1, 1, 4, 5, 4, 5},
	{"Lost", 1, 2, 1, 2, 1, 2},
};

static inline void
CheckScore(int32 score, const char *argname)
{
	if (score < 1 || score > 5)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 1 and 5, not %d", argname, score),
				 errhint("RFM scores are quintiles: ntile(5) OVER (ORDER BY ...), 5 the best.")));
}

Datum
engagement_rfm_segment(PG_FUNCTION_ARGS)
{
	int32		r = PG_GETARG_INT32(0);
	int32		f = PG_GETARG_INT32(1);
	int32		m = PG_GETARG_INT32(2);

	CheckScore(r, "recency_score");
	CheckScore(f, "frequency_score");
	CheckScore(m, "monetary_score");
	for (int i = 0; i < (int) lengthof(rfm_rules); i++)
		if (r >= rfm_rules[i].r_lo && r <= rfm_rules[i].r_hi &&
			f >= rfm_rules[i].f_lo && f <= rfm_rules[i].f_hi &&
			m >= rfm_rules[i].m_lo && m <= rfm_rules[i].m_hi)
			PG_RETURN_TEXT_P(cstring_to_text(rfm_rules[i].name));
	PG_RETURN_TEXT_P(cstring_to_text("Others"));
}
