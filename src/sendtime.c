/*
 * sendtime.c — send time and contact pressure.
 *
 * Send time: omni.send_time_state counts engagements over the 168 hours of the ISO week in
 * the customer's local zone (hour_of_week 0 = Monday 00:00-01:00 local wall-clock time).
 * One type holds two kinds of value: a population prior (omni.send_time_prior, rows in any
 * zones) and a customer's counts (omni.best_send_time, one zone, optionally with the prior's
 * counts embedded).  The posterior is read from the integer counts at read time, so every
 * plan and row order gives the same bits.
 *
 * Contact pressure: omni.contact_pressure_state counts messages and responses per 7-day week
 * counted back from as_of; the final fits how the response rate changes with the week's
 * volume and classifies the customer.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "common/hexform.h"
#include "common/timecalc.h"

PG_FUNCTION_INFO_V1(send_time_state_in);
PG_FUNCTION_INFO_V1(send_time_state_out);
PG_FUNCTION_INFO_V1(send_time_state_recv);
PG_FUNCTION_INFO_V1(send_time_state_send);
PG_FUNCTION_INFO_V1(send_time_prior_trans);
PG_FUNCTION_INFO_V1(best_send_time_trans);
PG_FUNCTION_INFO_V1(send_time_combine);
PG_FUNCTION_INFO_V1(send_time_final);
PG_FUNCTION_INFO_V1(send_time_best_hour_of_week);
PG_FUNCTION_INFO_V1(send_time_best_hour_of_day);
PG_FUNCTION_INFO_V1(send_time_confidence);
PG_FUNCTION_INFO_V1(send_time_scores);
PG_FUNCTION_INFO_V1(send_time_events);
PG_FUNCTION_INFO_V1(send_time_zone);
PG_FUNCTION_INFO_V1(send_time_local_hour_of_week);
PG_FUNCTION_INFO_V1(contact_pressure_state_in);
PG_FUNCTION_INFO_V1(contact_pressure_state_out);
PG_FUNCTION_INFO_V1(contact_pressure_state_recv);
PG_FUNCTION_INFO_V1(contact_pressure_state_send);
PG_FUNCTION_INFO_V1(contact_pressure_trans);
PG_FUNCTION_INFO_V1(contact_pressure_combine);
PG_FUNCTION_INFO_V1(contact_pressure_final);
PG_FUNCTION_INFO_V1(contact_pressure_read);

/* ---------- local hour of the week ---------- */

#define HOURS_PER_WEEK 168

/* the documented strength of the prior: 24 pseudo-events */
#define SEND_TIME_STRENGTH 24.0

/* the longest zone name a state keeps (IANA names are at most 32 bytes) */
#define ZONE_NAME_MAX 63

typedef struct ZoneCache
{
	bool		valid;
	char		key[ZONE_NAME_MAX + 1];	/* the argument as given */
	pg_tz	   *tz;
	char		name[ZONE_NAME_MAX + 1];	/* its canonical name */
	/* best_send_time's prior: the raw bytes last seen and the checked value they gave */
	struct varlena *prior_raw;
	struct SendTime *prior;
} ZoneCache;

/* The zone named by argument argno (absent: UTC), looked up once per distinct name in a row. */
static ZoneCache *
zone_arg(FunctionCallInfo fcinfo, int argno)
{
	ZoneCache  *cache;
	const char *given;
	const char *canonical;

	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ZoneCache));
	cache = (ZoneCache *) fcinfo->flinfo->fn_extra;
	if (PG_NARGS() <= argno)
		given = "UTC";
	else if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tz cannot be NULL"),
				 errhint("Pass the customer's time zone, e.g. 'Europe/Berlin', or leave the argument out for UTC.")));
	else
		given = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (cache->valid && strcmp(cache->key, given) == 0)
		return cache;
	cache->valid = false;
	if (strlen(given) > ZONE_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" not recognized", given),
				 errhint("Use a full zone name from pg_timezone_names, such as 'Europe/Berlin' or 'UTC'.")));
	cache->tz = omni_lookup_zone(given);
	canonical = pg_get_timezone_name(cache->tz);
	if (canonical == NULL || strlen(canonical) > ZONE_NAME_MAX)
		canonical = given;
	strlcpy(cache->key, given, sizeof(cache->key));
	strlcpy(cache->name, canonical, sizeof(cache->name));
	cache->valid = true;
	return cache;
}

/* 0 = Monday 00:00-01:00 local wall-clock time ... 167 = Sunday 23:00-24:00 */
static int
local_hour_of_week(TimestampTz ts, pg_tz *tz)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzoff;
	int			iso_day;

	omni_check_finite(ts, "engaged_at");
	if (timestamp2tm(ts, &tzoff, &tm, &fsec, NULL, tz) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	/* j2day: 0 = Sunday; ISO: Monday first */
	iso_day = (j2day(date2j(tm.tm_year, tm.tm_mon, tm.tm_mday)) + 6) % 7;
	return iso_day * 24 + tm.tm_hour;
}

/* omni.local_hour_of_week(ts, tz): the bucket a timestamp falls in, for checks and joins */
Datum
send_time_local_hour_of_week(PG_FUNCTION_ARGS)
{
	ZoneCache  *zone = zone_arg(fcinfo, 1);

	PG_RETURN_INT32(local_hour_of_week(PG_GETARG_TIMESTAMPTZ(0), zone->tz));
}

/* ---------- omni.send_time_state ---------- */

#define SEND_TIME_VERSION 1

#define KIND_PRIOR		1		/* omni.send_time_prior: population counts, any zones */
#define KIND_CUSTOMER	2		/* omni.best_send_time: one customer, one zone */

#define FLAG_HAS_PRIOR	0x01	/* a customer state with the prior's counts embedded */

/*
 * A state unpacked for reading and merging: every hour's count.  The datum (below) keeps
 * the same content packed.
 */
typedef struct SendTime
{
	uint8		kind;			/* KIND_* */
	uint8		flags;			/* FLAG_* */
	uint8		zone_len;		/* bytes of zone (customer states; 0 for priors) */
	int64		events;			/* sum of counts */
	int64		prior_events;	/* sum of prior_counts */
	int64		counts[HOURS_PER_WEEK];
	int64		prior_counts[HOURS_PER_WEEK];	/* zeros without FLAG_HAS_PRIOR */
	char		zone[ZONE_NAME_MAX + 1];	/* canonical zone name, NUL-terminated */
} SendTime;

/*
 * The datum, sized to its content, because a customer engages in a few hours of the week and
 * millions of states cross from parallel workers and sit in hash tables: the header; the zone
 * name, NUL-terminated and zero-padded to 8 bytes; the hourly counts, either sparse (the
 * nonzero ones: nsparse counts, then their hours in increasing order, zero-padded to 8 bytes)
 * when at most SPARSE_MAX hours are nonzero, or dense (168 counts, nsparse = DENSE) otherwise;
 * then, with FLAG_HAS_PRIOR, the prior's 168 counts.  The form is canonical (one content, one
 * byte string), so equal states compare equal byte for byte.  The text and binary forms are
 * the dense layout of docs/sendtime.md, whatever the datum's.
 */
#define SPARSE_MAX	32
#define DENSE		255

typedef struct PackedSendTime
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* SEND_TIME_VERSION */
	uint8		kind;
	uint8		flags;
	uint8		zone_len;
	uint8		nsparse;		/* 0..SPARSE_MAX nonzero hours stored sparse, or DENSE */
	uint8		reserved[3];	/* zero */
	int64		events;
	int64		prior_events;
	char		data[FLEXIBLE_ARRAY_MEMBER];
} PackedSendTime;

#define PACKED_HEADER	offsetof(PackedSendTime, data)

static inline Size
zone_area(int zone_len)
{
	return TYPEALIGN(8, zone_len + 1);
}

static inline Size
counts_area(int nsparse)
{
	return nsparse == DENSE ? sizeof(int64) * HOURS_PER_WEEK : sizeof(int64) * nsparse + TYPEALIGN(8, nsparse);
}

static inline Size
packed_size(int zone_len, int nsparse, int flags)
{
	return PACKED_HEADER + zone_area(zone_len) + counts_area(nsparse) +
		((flags & FLAG_HAS_PRIOR) ? sizeof(int64) * HOURS_PER_WEEK : 0);
}

static inline int64 *
packed_counts(const PackedSendTime *p)
{
	return (int64 *) (p->data + zone_area(p->zone_len));
}

/* the hours of a sparse state's counts */
static inline uint8 *
packed_hours(const PackedSendTime *p)
{
	return (uint8 *) (packed_counts(p) + p->nsparse);
}

static inline int64 *
packed_prior(const PackedSendTime *p)
{
	return (int64 *) ((char *) packed_counts(p) + counts_area(p->nsparse));
}

static void
report_bad_send_time(int errcode_value, const char *detail)
{
	ereport(ERROR,
			(errcode(errcode_value),
			 errmsg("invalid omni.send_time_state: %s", detail),
			 errhint("A send_time_state comes from omni.send_time_prior(), omni.best_send_time() "
					 "or omni.rollup(), or from its own text or binary output; it cannot be edited.")));
}

/* the datum of an unpacked state, in the current memory context */
static PackedSendTime *
pack_send_time(const SendTime *s)
{
	int			nonzero = 0;
	int			nsparse;
	PackedSendTime *p;
	int64	   *counts;

	for (int h = 0; h < HOURS_PER_WEEK; h++)
		nonzero += s->counts[h] != 0;
	nsparse = nonzero <= SPARSE_MAX ? nonzero : DENSE;
	p = palloc0(packed_size(s->zone_len, nsparse, s->flags));
	SET_VARSIZE(p, packed_size(s->zone_len, nsparse, s->flags));
	p->version = SEND_TIME_VERSION;
	p->kind = s->kind;
	p->flags = s->flags;
	p->zone_len = s->zone_len;
	p->nsparse = nsparse;
	p->events = s->events;
	p->prior_events = s->prior_events;
	memcpy(p->data, s->zone, s->zone_len);
	counts = packed_counts(p);
	if (nsparse == DENSE)
		memcpy(counts, s->counts, sizeof(s->counts));
	else
	{
		uint8	   *hours = packed_hours(p);
		int			i = 0;

		for (int h = 0; h < HOURS_PER_WEEK; h++)
			if (s->counts[h] != 0)
			{
				counts[i] = s->counts[h];
				hours[i++] = (uint8) h;
			}
	}
	if (s->flags & FLAG_HAS_PRIOR)
		memcpy(packed_prior(p), s->prior_counts, sizeof(s->prior_counts));
	return p;
}

/* the unpacked content of a datum whose layout was checked (or that this file built) */
static void
unpack_send_time(const PackedSendTime *p, SendTime *s)
{
	const int64 *counts = packed_counts(p);

	memset(s, 0, sizeof(SendTime));
	s->kind = p->kind;
	s->flags = p->flags;
	s->zone_len = p->zone_len;
	s->events = p->events;
	s->prior_events = p->prior_events;
	memcpy(s->zone, p->data, p->zone_len);
	if (p->nsparse == DENSE)
		memcpy(s->counts, counts, sizeof(s->counts));
	else
	{
		const uint8 *hours = packed_hours(p);

		for (int i = 0; i < p->nsparse; i++)
			s->counts[hours[i]] = counts[i];
	}
	if (p->flags & FLAG_HAS_PRIOR)
		memcpy(s->prior_counts, packed_prior(p), sizeof(s->prior_counts));
}

/* sum of non-negative counts, or -1 when one is negative or the sum overflows */
static int64
sum_counts(const int64 *counts)
{
	int64		total = 0;

	for (int h = 0; h < HOURS_PER_WEEK; h++)
		if (counts[h] < 0 || pg_add_s64_overflow(total, counts[h], &total))
			return -1;
	return total;
}

static void
check_version(int version, int errcode_value)
{
	if (version != SEND_TIME_VERSION)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("unsupported omni.send_time_state format version %d", version),
				 errhint("This omni reads version %d; upgrade omni on the reading side.", SEND_TIME_VERSION)));
}

/* Every invariant of a state's content; forged or damaged bytes fail here. */
static void
check_send_time(const SendTime *state, int errcode_value)
{
	int64		total;

	if (state->kind != KIND_PRIOR && state->kind != KIND_CUSTOMER)
		report_bad_send_time(errcode_value, psprintf("unknown kind %d", state->kind));
	if ((state->flags & ~FLAG_HAS_PRIOR) != 0 ||
		(state->kind == KIND_PRIOR && state->flags != 0))
		report_bad_send_time(errcode_value, psprintf("unknown flags 0x%02x", state->flags));
	total = sum_counts(state->counts);
	if (total < 0 || total != state->events)
		report_bad_send_time(errcode_value, "the hourly counts do not add up to the event count");
	total = sum_counts(state->prior_counts);
	if (total < 0 || total != state->prior_events ||
		(!(state->flags & FLAG_HAS_PRIOR) && total != 0))
		report_bad_send_time(errcode_value, "the prior's hourly counts do not add up to its event count");
	if (state->zone_len > ZONE_NAME_MAX || state->zone[state->zone_len] != '\0' ||
		strlen(state->zone) != state->zone_len ||
		(state->kind == KIND_PRIOR) != (state->zone_len == 0))
		report_bad_send_time(errcode_value, "bad zone name");
	if (state->kind == KIND_CUSTOMER && pg_tzset(state->zone) == NULL)
		report_bad_send_time(errcode_value, psprintf("unknown zone \"%s\"", state->zone));
}

/*
 * The layout of a datum (sizes, the canonical sparse-or-dense choice, hour order, zero
 * padding), then its content; the unpacked content is left in *s.
 */
static void
check_packed(const PackedSendTime *p, SendTime *s, int errcode_value)
{
	Size		size = VARSIZE(p);
	const char *pad;
	Size		npad;

	if (size < PACKED_HEADER)
		report_bad_send_time(errcode_value, "shorter than its header");
	check_version(p->version, errcode_value);
	if (p->reserved[0] != 0 || p->reserved[1] != 0 || p->reserved[2] != 0)
		report_bad_send_time(errcode_value, "reserved bytes are not zero");
	if (p->zone_len > ZONE_NAME_MAX || (p->nsparse > SPARSE_MAX && p->nsparse != DENSE))
		report_bad_send_time(errcode_value, "bad layout");
	if (size != packed_size(p->zone_len, p->nsparse, p->flags))
		report_bad_send_time(errcode_value, psprintf("%zu bytes, not %zu", size,
													 packed_size(p->zone_len, p->nsparse, p->flags)));
	pad = p->data + p->zone_len;
	npad = zone_area(p->zone_len) - p->zone_len;
	for (Size i = 0; i < npad; i++)
		if (pad[i] != '\0')
			report_bad_send_time(errcode_value, "bad zone name");
	if (p->nsparse != DENSE)
	{
		const int64 *counts = packed_counts(p);
		const uint8 *hours = packed_hours(p);

		for (int i = 0; i < p->nsparse; i++)
			if (hours[i] >= HOURS_PER_WEEK || (i > 0 && hours[i] <= hours[i - 1]) || counts[i] <= 0)
				report_bad_send_time(errcode_value, "bad sparse counts");
		pad = (const char *) (hours + p->nsparse);
		npad = TYPEALIGN(8, p->nsparse) - p->nsparse;
		for (Size i = 0; i < npad; i++)
			if (pad[i] != '\0')
				report_bad_send_time(errcode_value, "bad sparse counts");
	}
	unpack_send_time(p, s);
	if (p->nsparse == DENSE)
	{
		int			nonzero = 0;

		for (int h = 0; h < HOURS_PER_WEEK; h++)
			nonzero += s->counts[h] != 0;
		if (nonzero <= SPARSE_MAX)
			report_bad_send_time(errcode_value, "dense counts where sparse ones belong");
	}
	check_send_time(s, errcode_value);
}

/* argument argno, checked; *s receives its unpacked content */
static PackedSendTime *
send_time_arg(FunctionCallInfo fcinfo, int argno, SendTime *s)
{
	PackedSendTime *p = (PackedSendTime *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	check_packed(p, s, ERRCODE_DATA_CORRUPTED);
	return p;
}

/* binary form: version, kind, flags, zone_len, zone bytes, events, 168 counts
 * [, prior_events, 168 prior counts when FLAG_HAS_PRIOR] */
static bytea *
encode_send_time(const SendTime *state)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, SEND_TIME_VERSION);
	pq_sendbyte(&buf, state->kind);
	pq_sendbyte(&buf, state->flags);
	pq_sendbyte(&buf, state->zone_len);
	pq_sendbytes(&buf, state->zone, state->zone_len);
	pq_sendint64(&buf, state->events);
	for (int h = 0; h < HOURS_PER_WEEK; h++)
		pq_sendint64(&buf, state->counts[h]);
	if (state->flags & FLAG_HAS_PRIOR)
	{
		pq_sendint64(&buf, state->prior_events);
		for (int h = 0; h < HOURS_PER_WEEK; h++)
			pq_sendint64(&buf, state->prior_counts[h]);
	}
	return pq_endtypsend(&buf);
}

static PackedSendTime *
decode_send_time(StringInfo buf, int errcode_value)
{
	SendTime   *state = palloc0(sizeof(SendTime));
	int			expected;

	if (buf->len - buf->cursor < 4)
		report_bad_send_time(errcode_value, "shorter than its header");
	check_version(pq_getmsgbyte(buf), errcode_value);
	state->kind = pq_getmsgbyte(buf);
	state->flags = pq_getmsgbyte(buf);
	state->zone_len = pq_getmsgbyte(buf);
	if (state->zone_len > ZONE_NAME_MAX)
		report_bad_send_time(errcode_value, "bad zone name");
	expected = state->zone_len + 8 * (1 + HOURS_PER_WEEK) * ((state->flags & FLAG_HAS_PRIOR) ? 2 : 1);
	if (buf->len - buf->cursor != expected)
		report_bad_send_time(errcode_value, psprintf("%d bytes after the header, not %d",
													 buf->len - buf->cursor, expected));
	pq_copymsgbytes(buf, state->zone, state->zone_len);
	state->events = pq_getmsgint64(buf);
	for (int h = 0; h < HOURS_PER_WEEK; h++)
		state->counts[h] = pq_getmsgint64(buf);
	if (state->flags & FLAG_HAS_PRIOR)
	{
		state->prior_events = pq_getmsgint64(buf);
		for (int h = 0; h < HOURS_PER_WEEK; h++)
			state->prior_counts[h] = pq_getmsgint64(buf);
	}
	pq_getmsgend(buf);
	check_send_time(state, errcode_value);
	return pack_send_time(state);
}

Datum
send_time_state_in(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	omni_hex_parse(PG_GETARG_CSTRING(0), "omni.send_time_state", &buf);
	PG_RETURN_POINTER(decode_send_time(&buf, ERRCODE_INVALID_TEXT_REPRESENTATION));
}

Datum
send_time_state_out(PG_FUNCTION_ARGS)
{
	SendTime	s;
	bytea	   *binary;

	send_time_arg(fcinfo, 0, &s);
	binary = encode_send_time(&s);
	PG_RETURN_CSTRING(omni_hex_text(VARDATA(binary), VARSIZE(binary) - VARHDRSZ));
}

Datum
send_time_state_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(decode_send_time((StringInfo) PG_GETARG_POINTER(0),
									   ERRCODE_INVALID_BINARY_REPRESENTATION));
}

Datum
send_time_state_send(PG_FUNCTION_ARGS)
{
	SendTime	s;

	send_time_arg(fcinfo, 0, &s);
	PG_RETURN_BYTEA_P(encode_send_time(&s));
}

/* ---------- accumulating ---------- */

static void
count_out_of_range(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("omni.send_time_state count out of range")));
}

/*
 * One more event in hour how.  In place when the hour has a count already (or the state is
 * dense); otherwise a new datum with the hour added, in the current (per-row) memory context:
 * the executor copies a new transition value into the aggregate's context and frees the old.
 */
static PackedSendTime *
count_hour(PackedSendTime *p, int how)
{
	int64	   *counts = packed_counts(p);
	SendTime	s;

	if (p->nsparse == DENSE)
	{
		if (pg_add_s64_overflow(counts[how], 1, &counts[how]) ||
			pg_add_s64_overflow(p->events, 1, &p->events))
			count_out_of_range();
		return p;
	}
	for (int i = 0; i < p->nsparse; i++)
		if (packed_hours(p)[i] == how)
		{
			if (pg_add_s64_overflow(counts[i], 1, &counts[i]) ||
				pg_add_s64_overflow(p->events, 1, &p->events))
				count_out_of_range();
			return p;
		}
	unpack_send_time(p, &s);
	s.counts[how] = 1;
	if (pg_add_s64_overflow(s.events, 1, &s.events))
		count_out_of_range();
	return pack_send_time(&s);
}

/*
 * send_time_prior_trans(state, engaged_at [, tz]): each row in its own zone (a population
 * spans zones).  NULL engaged_at rows are skipped.  The group's first state is built in the
 * per-row context: the executor copies it into the aggregate context.
 */
Datum
send_time_prior_trans(PG_FUNCTION_ARGS)
{
	PackedSendTime *state;
	ZoneCache  *zone;
	int			how;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "send_time_prior_trans called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	zone = zone_arg(fcinfo, 2);
	how = local_hour_of_week(PG_GETARG_TIMESTAMPTZ(1), zone->tz);
	if (PG_ARGISNULL(0))
	{
		SendTime	s;

		memset(&s, 0, sizeof(s));
		s.kind = KIND_PRIOR;
		s.counts[how] = 1;
		s.events = 1;
		PG_RETURN_POINTER(pack_send_time(&s));
	}
	state = (PackedSendTime *) PG_GETARG_POINTER(0);
	PG_RETURN_POINTER(count_hour(state, how));
}

/*
 * The prior argument, which must be a population prior, unpacked.  It is usually one value
 * for the whole query (a one-row CTE), so the checked value is kept per call site, keyed by
 * the argument's raw bytes: a compressed prior is not decompressed and checked again per row.
 */
static const SendTime *
prior_arg(FunctionCallInfo fcinfo, int argno)
{
	ZoneCache  *cache = (ZoneCache *) fcinfo->flinfo->fn_extra;	/* set by zone_arg */
	struct varlena *raw;
	SendTime   *prior;
	MemoryContext old;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return NULL;
	raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	if (cache->prior != NULL && !VARATT_IS_EXTERNAL(raw) &&
		VARSIZE_ANY(raw) == VARSIZE_ANY(cache->prior_raw) &&
		memcmp(raw, cache->prior_raw, VARSIZE_ANY(raw)) == 0)
		return cache->prior;
	prior = palloc(sizeof(SendTime));
	send_time_arg(fcinfo, argno, prior);
	if (prior->kind != KIND_PRIOR)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("prior is a customer's send-time state, not a population prior"),
				 errhint("Pass the value of omni.send_time_prior(engaged_at, tz) over the population, or NULL for a uniform prior.")));
	if (VARATT_IS_EXTERNAL(raw))
		return prior;
	if (cache->prior != NULL)
	{
		pfree(cache->prior_raw);
		pfree(cache->prior);
	}
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	cache->prior_raw = palloc(VARSIZE_ANY(raw));
	memcpy(cache->prior_raw, raw, VARSIZE_ANY(raw));
	cache->prior = palloc(sizeof(SendTime));
	memcpy(cache->prior, prior, sizeof(SendTime));
	MemoryContextSwitchTo(old);
	pfree(prior);
	return cache->prior;
}

static bool
same_prior(const PackedSendTime *state, const SendTime *prior)
{
	if (prior == NULL)
		return !(state->flags & FLAG_HAS_PRIOR);
	return (state->flags & FLAG_HAS_PRIOR) && state->prior_events == prior->events &&
		memcmp(packed_prior(state), prior->counts, sizeof(prior->counts)) == 0;
}

/*
 * best_send_time_trans(state, engaged_at [, tz [, prior]]): one customer, one zone, one
 * prior per group (a row that disagrees is an error).  NULL engaged_at rows are skipped.
 */
Datum
best_send_time_trans(PG_FUNCTION_ARGS)
{
	PackedSendTime *state;
	const SendTime *prior;
	ZoneCache  *zone;
	int			how;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "best_send_time_trans called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	zone = zone_arg(fcinfo, 2);
	prior = prior_arg(fcinfo, 3);
	how = local_hour_of_week(PG_GETARG_TIMESTAMPTZ(1), zone->tz);
	if (PG_ARGISNULL(0))
	{
		SendTime	s;

		memset(&s, 0, sizeof(s));
		s.kind = KIND_CUSTOMER;
		s.zone_len = strlen(zone->name);
		memcpy(s.zone, zone->name, s.zone_len);
		if (prior != NULL)
		{
			s.flags |= FLAG_HAS_PRIOR;
			s.prior_events = prior->events;
			memcpy(s.prior_counts, prior->counts, sizeof(s.prior_counts));
		}
		s.counts[how] = 1;
		s.events = 1;
		PG_RETURN_POINTER(pack_send_time(&s));
	}
	state = (PackedSendTime *) PG_GETARG_POINTER(0);
	if (unlikely(state->zone_len != strlen(zone->name) || memcmp(state->data, zone->name, state->zone_len) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone differs within one group: \"%s\" and \"%s\"", state->data, zone->name),
				 errhint("A customer's send time is computed in one zone; pass the customer's own zone for every row.")));
	if (unlikely(!same_prior(state, prior)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("prior differs within one group"),
				 errhint("Pass the same prior (e.g. from a one-row CTE) for every row.")));
	PG_RETURN_POINTER(count_hour(state, how));
}

/*
 * Merge two states (combine function and rollup's transition); neither input is modified:
 * the result is a new datum, which the executor copies into its own context.
 */
Datum
send_time_combine(PG_FUNCTION_ARGS)
{
	SendTime	state;
	SendTime	other;
	PackedSendTime *packed;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(send_time_arg(fcinfo, 0, &state));
	}
	packed = send_time_arg(fcinfo, 1, &other);
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(packed);	/* the executor copies it into its own context */
	send_time_arg(fcinfo, 0, &state);
	if (state.kind != other.kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge a population prior with a customer's send-time state"),
				 errhint("Roll up priors with priors and customer states with customer states.")));
	if (strcmp(state.zone, other.zone) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge send-time states of different time zones: \"%s\" and \"%s\"",
						state.zone, other.zone),
				 errhint("A customer's states must all be computed in the customer's zone.")));
	if ((state.flags != other.flags) ||
		((state.flags & FLAG_HAS_PRIOR) &&
		 (state.prior_events != other.prior_events ||
		  memcmp(state.prior_counts, other.prior_counts, sizeof(state.prior_counts)) != 0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge send-time states with different priors"),
				 errhint("Compute the states to merge with the same prior (or all without one).")));
	for (int h = 0; h < HOURS_PER_WEEK; h++)
		if (pg_add_s64_overflow(state.counts[h], other.counts[h], &state.counts[h]))
			count_out_of_range();
	if (pg_add_s64_overflow(state.events, other.events, &state.events))
		count_out_of_range();
	PG_RETURN_POINTER(pack_send_time(&state));
}

/* the aggregates' final: a checked copy (the state itself stays the executor's) */
Datum
send_time_final(PG_FUNCTION_ARGS)
{
	SendTime	s;
	PackedSendTime *p;
	PackedSendTime *copy;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	p = send_time_arg(fcinfo, 0, &s);
	copy = palloc(VARSIZE(p));
	memcpy(copy, p, VARSIZE(p));
	PG_RETURN_POINTER(copy);
}

/* ---------- the posterior ---------- */

/*
 * Dirichlet-multinomial posterior predictive of the hour of the next engagement, smoothed
 * circularly over neighbouring hours:
 *   alpha_h = S * (prior_h + 1) / (prior_n + 168)   (S/168 without a prior)
 *   m_h     = (alpha_h + c_h) / (S + n)
 *   q_h     = m_{h-1}/4 + m_h/2 + m_{h+1}/4          (indices mod 168)
 * A population prior read as a value uses the uniform prior over its own counts.
 */
static void
posterior(const SendTime *state, double *q)
{
	double		alpha[HOURS_PER_WEEK];
	double		denominator = 4.0 * (SEND_TIME_STRENGTH + (double) state->events);

	for (int h = 0; h < HOURS_PER_WEEK; h++)
	{
		if (state->flags & FLAG_HAS_PRIOR)
			alpha[h] = SEND_TIME_STRENGTH * ((double) state->prior_counts[h] + 1.0) /
				((double) state->prior_events + HOURS_PER_WEEK);
		else
			alpha[h] = SEND_TIME_STRENGTH / HOURS_PER_WEEK;
	}

	/*
	 * q_h = (m_(h-1) + 2 m_h + m_(h+1)) / 4 with m_h = (alpha_h + c_h) / (S + n), summed as
	 * (the prior's part + the counts' part) / (4 (S + n)).  The counts' part is an exact
	 * integer, and the prior's part is computed the same way for every hour, so hours that tie
	 * mathematically (uniform prior, equal smoothed counts) get identical bits and the
	 * documented tie-break (the lowest hour) holds; counts stay exact in a double below 2^53.
	 */
	for (int h = 0; h < HOURS_PER_WEEK; h++)
	{
		int			prev = (h + HOURS_PER_WEEK - 1) % HOURS_PER_WEEK;
		int			next = (h + 1) % HOURS_PER_WEEK;
		double		prior_part = alpha[prev] + 2.0 * alpha[h] + alpha[next];
		double		count_part = (double) state->counts[prev] + 2.0 * (double) state->counts[h] +
			(double) state->counts[next];

		q[h] = (prior_part + count_part) / denominator;
	}
}

/* the posterior of argument 0 */
static void
posterior_arg(FunctionCallInfo fcinfo, double *q)
{
	SendTime	s;

	send_time_arg(fcinfo, 0, &s);
	posterior(&s, q);
}

/* the highest of n scores; ties go to the lowest index */
static int
arg_max(const double *score, int n)
{
	int			best = 0;

	for (int i = 1; i < n; i++)
		if (score[i] > score[best])
			best = i;
	return best;
}

Datum
send_time_best_hour_of_week(PG_FUNCTION_ARGS)
{
	double		q[HOURS_PER_WEEK];

	posterior_arg(fcinfo, q);
	PG_RETURN_INT32(arg_max(q, HOURS_PER_WEEK));
}

/* the hour of the day whose smoothed posterior, summed over the seven days, is highest */
Datum
send_time_best_hour_of_day(PG_FUNCTION_ARGS)
{
	double		q[HOURS_PER_WEEK];
	double		day[24] = {0};

	posterior_arg(fcinfo, q);
	for (int d = 0; d < 7; d++)
		for (int h = 0; h < 24; h++)
			day[h] += q[d * 24 + h];
	PG_RETURN_INT32(arg_max(day, 24));
}

Datum
send_time_confidence(PG_FUNCTION_ARGS)
{
	double		q[HOURS_PER_WEEK];

	posterior_arg(fcinfo, q);
	PG_RETURN_FLOAT8(q[arg_max(q, HOURS_PER_WEEK)]);
}

Datum
send_time_events(PG_FUNCTION_ARGS)
{
	SendTime	s;

	send_time_arg(fcinfo, 0, &s);
	PG_RETURN_INT64(s.events);
}

Datum
send_time_zone(PG_FUNCTION_ARGS)
{
	SendTime	s;

	send_time_arg(fcinfo, 0, &s);
	if (s.kind == KIND_PRIOR)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(s.zone));
}

/* send_time_scores(state): 168 rows (hour_of_week, hour_of_day, day_of_week, events, posterior) */
Datum
send_time_scores(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SendTime	state;
	double		q[HOURS_PER_WEEK];

	send_time_arg(fcinfo, 0, &state);
	InitMaterializedSRF(fcinfo, 0);
	posterior(&state, q);
	for (int h = 0; h < HOURS_PER_WEEK; h++)
	{
		Datum		values[5];
		bool		nulls[5] = {0};

		values[0] = Int32GetDatum(h);
		values[1] = Int32GetDatum(h % 24);
		values[2] = Int32GetDatum(h / 24 + 1);	/* ISO: 1 = Monday ... 7 = Sunday */
		values[3] = Float8GetDatum((double) state.counts[h]);
		values[4] = Float8GetDatum(q[h]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ---------- contact pressure ---------- */

#define PRESSURE_VERSION 1
#define MAX_WEEKS 53
#define USECS_PER_WEEK (7 * USECS_PER_DAY)

/* the documented defaults */
#define DEFAULT_LOW_VOLUME 2.0	/* messages per week below which a customer is undersaturated */
#define MIN_SLOPE_MESSAGES 10	/* fewer messages: no slope */
#define SATURATION_Z (-1.6448536269514722)	/* one-sided 5% */

typedef struct PressureState
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* PRESSURE_VERSION */
	uint8		weeks;			/* 1..MAX_WEEKS: window / 7 days */
	uint16		reserved;		/* zero */
	int32		reserved2;		/* zero */
	TimestampTz as_of;
	Interval	window;
	float8		low_volume;
	int64		sends[MAX_WEEKS];	/* week k: sent in (as_of - (k+1) weeks, as_of - k weeks] */
	int64		responses[MAX_WEEKS];
} PressureState;

static void
report_bad_pressure(int errcode_value, const char *detail)
{
	ereport(ERROR,
			(errcode(errcode_value),
			 errmsg("invalid omni.contact_pressure_state: %s", detail),
			 errhint("A contact_pressure_state comes from omni.contact_pressure's aggregation or from "
					 "its own text or binary output; it cannot be edited.")));
}

/* the number of weeks in a window: a whole number of weeks from 1 to 53 */
static int
window_weeks(const Interval *window)
{
	int64		usecs = omni_duration_usecs(window, "window", "Pass a whole number of weeks, e.g. '28 days'.");

	if (usecs <= 0 || usecs % USECS_PER_WEEK != 0 || usecs / USECS_PER_WEEK > MAX_WEEKS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window must be a whole number of weeks from 1 to %d, not \"%s\"", MAX_WEEKS,
						DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(window)))),
				 errhint("Pass e.g. '28 days' or '12 weeks'; weeks are counted back from as_of.")));
	return (int) (usecs / USECS_PER_WEEK);
}

static void
check_pressure(const PressureState *state, int errcode_value)
{
	if (state->version != PRESSURE_VERSION)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("unsupported omni.contact_pressure_state format version %d", state->version),
				 errhint("This omni reads version %d; upgrade omni on the reading side.", PRESSURE_VERSION)));
	if (state->reserved != 0 || state->reserved2 != 0)
		report_bad_pressure(errcode_value, "reserved bytes are not zero");
	if (state->weeks < 1 || state->weeks > MAX_WEEKS ||
		omni_duration_usecs(&state->window, "window", "") != state->weeks * USECS_PER_WEEK)
		report_bad_pressure(errcode_value, "the window does not match its weeks");
	if (!IS_VALID_TIMESTAMP(state->as_of))
		report_bad_pressure(errcode_value, "bad as_of");
	if (!(state->low_volume >= 0.0 && isfinite(state->low_volume)))
		report_bad_pressure(errcode_value, "bad low_volume");
	for (int k = 0; k < MAX_WEEKS; k++)
		if (state->sends[k] < 0 || state->responses[k] < 0 || state->responses[k] > state->sends[k] ||
			(k >= state->weeks && state->sends[k] != 0))
			report_bad_pressure(errcode_value, psprintf("bad counts in week %d", k));
}

static PressureState *
pressure_arg(FunctionCallInfo fcinfo, int argno)
{
	PressureState *state = (PressureState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (VARSIZE(state) != sizeof(PressureState))
		report_bad_pressure(ERRCODE_DATA_CORRUPTED, "wrong size");
	check_pressure(state, ERRCODE_DATA_CORRUPTED);
	return state;
}

/* binary form: version, weeks, as_of, window (month, day, time), low_volume, weeks x (sends, responses) */
static bytea *
encode_pressure(const PressureState *state)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, PRESSURE_VERSION);
	pq_sendbyte(&buf, state->weeks);
	pq_sendint64(&buf, state->as_of);
	pq_sendint32(&buf, state->window.month);
	pq_sendint32(&buf, state->window.day);
	pq_sendint64(&buf, state->window.time);
	pq_sendfloat8(&buf, state->low_volume);
	for (int k = 0; k < state->weeks; k++)
	{
		pq_sendint64(&buf, state->sends[k]);
		pq_sendint64(&buf, state->responses[k]);
	}
	return pq_endtypsend(&buf);
}

static PressureState *
decode_pressure(StringInfo buf, int errcode_value)
{
	PressureState *state = palloc0(sizeof(PressureState));

	SET_VARSIZE(state, sizeof(PressureState));
	if (buf->len - buf->cursor < 2)
		report_bad_pressure(errcode_value, "shorter than its header");
	state->version = pq_getmsgbyte(buf);
	state->weeks = pq_getmsgbyte(buf);
	if (state->version != PRESSURE_VERSION)
		check_pressure(state, errcode_value);
	if (state->weeks < 1 || state->weeks > MAX_WEEKS)
		report_bad_pressure(errcode_value, "bad number of weeks");
	if (buf->len - buf->cursor != 32 + 16 * state->weeks)
		report_bad_pressure(errcode_value, psprintf("%d bytes after the header, not %d",
													buf->len - buf->cursor, 32 + 16 * state->weeks));
	state->as_of = pq_getmsgint64(buf);
	state->window.month = pq_getmsgint(buf, 4);
	state->window.day = pq_getmsgint(buf, 4);
	state->window.time = pq_getmsgint64(buf);
	state->low_volume = pq_getmsgfloat8(buf);
	for (int k = 0; k < state->weeks; k++)
	{
		state->sends[k] = pq_getmsgint64(buf);
		state->responses[k] = pq_getmsgint64(buf);
	}
	pq_getmsgend(buf);
	check_pressure(state, errcode_value);
	return state;
}

Datum
contact_pressure_state_in(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	omni_hex_parse(PG_GETARG_CSTRING(0), "omni.contact_pressure_state", &buf);
	PG_RETURN_POINTER(decode_pressure(&buf, ERRCODE_INVALID_TEXT_REPRESENTATION));
}

Datum
contact_pressure_state_out(PG_FUNCTION_ARGS)
{
	bytea	   *binary = encode_pressure(pressure_arg(fcinfo, 0));

	PG_RETURN_CSTRING(omni_hex_text(VARDATA(binary), VARSIZE(binary) - VARHDRSZ));
}

Datum
contact_pressure_state_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(decode_pressure((StringInfo) PG_GETARG_POINTER(0),
									  ERRCODE_INVALID_BINARY_REPRESENTATION));
}

Datum
contact_pressure_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(encode_pressure(pressure_arg(fcinfo, 0)));
}

/*
 * contact_pressure_trans(state, sent_at, engaged, as_of [, window [, low_volume]]): NULL
 * sent_at rows are skipped; a NULL engaged is an error (unknown is not "no response");
 * messages outside the window before as_of are not counted.
 */
Datum
contact_pressure_trans(PG_FUNCTION_ARGS)
{
	PressureState *state;
	TimestampTz sent_at;
	TimestampTz as_of;
	Interval	window;
	double		low_volume = DEFAULT_LOW_VOLUME;
	int			weeks;
	int64		age;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "contact_pressure_trans called in non-aggregate context");
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of cannot be NULL"),
				 errhint("Pass the time the classification is made for, e.g. the end of the data.")));
	as_of = PG_GETARG_TIMESTAMPTZ(3);
	omni_check_finite(as_of, "as_of");
	memset(&window, 0, sizeof(window));
	window.day = 28;
	if (PG_NARGS() > 4)
	{
		if (PG_ARGISNULL(4))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("window cannot be NULL"),
					 errhint("Pass a whole number of weeks such as '28 days', or leave the argument out for the default.")));
		window = *PG_GETARG_INTERVAL_P(4);
	}
	weeks = window_weeks(&window);
	if (PG_NARGS() > 5)
	{
		if (PG_ARGISNULL(5))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("low_volume cannot be NULL"),
					 errhint("Pass messages per week, e.g. 2, or leave the argument out for the default.")));
		low_volume = PG_GETARG_FLOAT8(5);
		if (!(low_volume >= 0.0 && isfinite(low_volume)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("low_volume must be a finite number >= 0, not %g", low_volume),
					 errhint("Pass messages per week, e.g. 2.")));
	}
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("engaged cannot be NULL"),
				 errhint("Pass whether the customer responded to the message; coalesce(engaged, false) if no response is recorded.")));
	sent_at = PG_GETARG_TIMESTAMPTZ(1);
	omni_check_finite(sent_at, "sent_at");

	if (PG_ARGISNULL(0))
	{
		/* in the per-row context: the executor copies it into the aggregate context */
		state = palloc0(sizeof(PressureState));
		SET_VARSIZE(state, sizeof(PressureState));
		state->version = PRESSURE_VERSION;
		state->weeks = weeks;
		state->as_of = as_of;
		state->window = window;
		state->low_volume = low_volume;
	}
	else
	{
		state = (PressureState *) PG_GETARG_POINTER(0);
		if (unlikely(state->as_of != as_of || state->weeks != weeks || state->low_volume != low_volume))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("as_of, window or low_volume differs within one group"),
					 errhint("Pass the same as_of, window and low_volume for every row of a group.")));
	}
	if (sent_at <= as_of)
	{
		age = as_of - sent_at;	/* cannot overflow: both finite */
		if (age / USECS_PER_WEEK < weeks)
		{
			int			k = (int) (age / USECS_PER_WEEK);

			state->sends[k]++;
			if (PG_GETARG_BOOL(2))
				state->responses[k]++;
		}
	}
	PG_RETURN_POINTER(state);
}

Datum
contact_pressure_combine(PG_FUNCTION_ARGS)
{
	PressureState *state;
	PressureState *other;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(pressure_arg(fcinfo, 0));
	}
	other = pressure_arg(fcinfo, 1);
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(other);
	state = pressure_arg(fcinfo, 0);
	if (!AggCheckCallContext(fcinfo, NULL))
	{
		PressureState *copy = palloc(sizeof(PressureState));

		memcpy(copy, state, sizeof(PressureState));
		state = copy;
	}
	if (state->as_of != other->as_of || state->weeks != other->weeks ||
		state->low_volume != other->low_volume)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge contact pressure states of different as_of, window or low_volume"),
				 errhint("Merge states computed with the same as_of, window and low_volume.")));
	for (int k = 0; k < state->weeks; k++)
		if (pg_add_s64_overflow(state->sends[k], other->sends[k], &state->sends[k]) ||
			pg_add_s64_overflow(state->responses[k], other->responses[k], &state->responses[k]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("omni.contact_pressure_state count out of range")));
	PG_RETURN_POINTER(state);
}

#define PRESSURE_COLUMNS 11

/*
 * The classification.  x = the number of messages the customer got in the week a message was
 * sent, y = 1 when they responded to it; over every message in the window, the least-squares
 * slope of y on x (a linear probability model: regr_slope(y, x) in SQL) and its usual standard
 * error.  Saturated when the slope is significantly negative (z < -1.645, one-sided 5%) with
 * at least MIN_SLOPE_MESSAGES messages in weeks of at least two different volumes; otherwise
 * undersaturated below low_volume messages per week and on target at or above it.
 */
static Datum pressure_result(FunctionCallInfo fcinfo, const PressureState *state);

Datum
contact_pressure_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	return pressure_result(fcinfo, pressure_arg(fcinfo, 0));
}

/* omni.contact_pressure(state): the classification of a stored state (STRICT) */
Datum
contact_pressure_read(PG_FUNCTION_ARGS)
{
	return pressure_result(fcinfo, pressure_arg(fcinfo, 0));
}

static Datum
pressure_result(FunctionCallInfo fcinfo, const PressureState *state)
{
	TupleDesc	tupdesc;
	Datum		values[PRESSURE_COLUMNS];
	bool		nulls[PRESSURE_COLUMNS] = {0};
	double		n = 0,
				sx = 0,
				sxx = 0,
				sy = 0,
				sxy = 0;
	int			sending_weeks = 0;
	double		mean_volume;
	double		low_sends = 0,
				low_resp = 0,
				high_sends = 0,
				high_resp = 0;
	double		per_week;
	bool		have_slope = false;
	bool		saturated = false;
	double		slope = 0,
				se = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	for (int k = 0; k < state->weeks; k++)
	{
		double		v = (double) state->sends[k];
		double		r = (double) state->responses[k];

		if (state->sends[k] == 0)
			continue;
		sending_weeks++;
		n += v;
		sx += v * v;
		sxx += v * v * v;
		sy += r;
		sxy += v * r;
	}
	per_week = n / state->weeks;
	mean_volume = sending_weeks > 0 ? n / sending_weeks : 0;
	for (int k = 0; k < state->weeks; k++)
	{
		double		v = (double) state->sends[k];

		if (state->sends[k] == 0)
			continue;
		if (v < mean_volume)
		{
			low_sends += v;
			low_resp += (double) state->responses[k];
		}
		else if (v > mean_volume)
		{
			high_sends += v;
			high_resp += (double) state->responses[k];
		}
	}
	if (n >= MIN_SLOPE_MESSAGES)
	{
		double		cxx = sxx - sx * sx / n;

		if (cxx > 0)
		{
			double		cxy = sxy - sx * sy / n;
			double		cyy = sy - sy * sy / n;
			double		rss;

			slope = cxy / cxx;
			rss = Max(cyy - slope * cxy, 0.0);
			se = sqrt(rss / (n - 2) / cxx);
			have_slope = true;
			saturated = slope < 0 && (se == 0 || slope / se < SATURATION_Z);
		}
	}

	values[0] = CStringGetTextDatum(saturated ? "saturated" :
									per_week < state->low_volume ? "undersaturated" : "on_target");
	values[1] = Int32GetDatum(state->weeks);
	values[2] = Int64GetDatum((int64) n);
	values[3] = Int64GetDatum((int64) sy);
	values[4] = Float8GetDatum(per_week);
	values[5] = Float8GetDatum(sy / n);
	nulls[5] = n == 0;
	values[6] = Float8GetDatum(low_resp / low_sends);
	nulls[6] = low_sends == 0;
	values[7] = Float8GetDatum(high_resp / high_sends);
	nulls[7] = high_sends == 0;
	values[8] = Float8GetDatum(slope);
	values[9] = Float8GetDatum(se);
	values[10] = Float8GetDatum(slope / se);
	nulls[8] = nulls[9] = !have_slope;
	nulls[10] = !have_slope || se == 0;
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}
