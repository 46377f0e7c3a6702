/*
 * channels.c — channel preference inference: which channel each customer responds to, how
 * sure we are, and how that changes over time.
 *
 * omni.channel_prior aggregates a population's sends and responses per channel into a prior:
 * channel c gets Beta(alpha0, beta0) with alpha0 + beta0 = strength and mean
 * (responses + 1) / (sends + 2).  omni.channel_preference aggregates one customer's
 * message-grain rows into per-channel counts (exact integers, plus exact fixed-point decayed
 * sums from src/common/decay.h when a half-life is given); the posterior of channel c is
 * Beta(alpha0 + responses, beta0 + sends - responses).  Accessors pick the channel with the
 * highest posterior mean and integrate the posteriors numerically (tanh-sinh quadrature
 * over the regularised incomplete beta function) for the probability that it truly is best.
 *
 * Both values share one C representation (ChannelState), a versioned varlena whose channels
 * are kept sorted by name in byte order, so a state's bytes depend only on the rows it saw,
 * never on their order or on the plan.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "common/decay.h"
#include "common/hexform.h"
#include "common/special.h"
#include "common/timecalc.h"

PG_FUNCTION_INFO_V1(channel_prior_in);
PG_FUNCTION_INFO_V1(channel_prior_out);
PG_FUNCTION_INFO_V1(channel_prior_recv);
PG_FUNCTION_INFO_V1(channel_prior_send);
PG_FUNCTION_INFO_V1(channel_preference_in);
PG_FUNCTION_INFO_V1(channel_preference_out);
PG_FUNCTION_INFO_V1(channel_preference_recv);
PG_FUNCTION_INFO_V1(channel_preference_send);
PG_FUNCTION_INFO_V1(channel_prior_trans);
PG_FUNCTION_INFO_V1(channel_prior_combine);
PG_FUNCTION_INFO_V1(channel_preference_trans);
PG_FUNCTION_INFO_V1(channel_preference_combine);
PG_FUNCTION_INFO_V1(channel_preferred);
PG_FUNCTION_INFO_V1(channel_confidence);
PG_FUNCTION_INFO_V1(channel_scores);
PG_FUNCTION_INFO_V1(channel_scores_json);
PG_FUNCTION_INFO_V1(channel_prior_json);

#define CHANNEL_STATE_VERSION 1

/* flags */
#define CH_KIND_PRIOR	0x01		/* an omni.channel_prior (else an omni.channel_preference) */
#define CH_HAS_PRIOR	0x02		/* preference computed with a prior */
#define CH_HAS_AS_OF	0x04		/* rows after as_of were not counted */
#define CH_DECAYED		0x08		/* decayed sums with half_life (needs CH_HAS_AS_OF) */
#define CH_ALL_FLAGS	0x0f

#define DEFAULT_STRENGTH 10.0
#define MAX_STRENGTH 1.0e9
#define MAX_CHANNELS 1000
#define MAX_NAME_LEN 1000

typedef struct ChannelEntry
{
	int64		sends;			/* counted rows (at or before as_of) */
	int64		responses;		/* of which engaged */
	int32		name_off;		/* into the names */
	int32		name_len;
} ChannelEntry;

/* what a value means beyond its counts; absent (all zero) in a plain preference */
typedef struct ChannelMeta
{
	double		strength;		/* prior kind: alpha0 + beta0 of every channel; else 0 */
	TimestampTz as_of;			/* CH_HAS_AS_OF; else 0 */
	Interval	half_life;		/* CH_DECAYED; else zero */
	int64		half_life_usecs;
	uint64		prior_id;		/* CH_HAS_PRIOR: hash of the prior's channels and parameters */
} ChannelMeta;

/*
 * The value in memory: this header, then only what the value needs, so that the common
 * state (no prior, no decay) of a customer with two or three channels fits a 128-byte
 * allocation and a million-customer hash aggregate stays small:
 *   ChannelMeta                     unless the value is a preference without prior and as_of
 *   ChannelEntry[n]                 counts and name positions, channels in name order
 *   double[2n]                      CH_HAS_PRIOR: alpha0, beta0 of each channel
 *   DecaySum[2n]                    CH_DECAYED: decayed sums of sends and responses
 *   char[names_len]                 the channel names, concatenated
 * Without a prior every channel has Beta(1, 1).
 */
typedef struct ChannelState
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* CHANNEL_STATE_VERSION */
	uint8		flags;			/* CH_* */
	uint16		reserved;		/* zero */
	int32		nchannels;
	int32		names_len;
} ChannelState;

#define CH_HEADER_SIZE		sizeof(ChannelState)
StaticAssertDecl(sizeof(ChannelState) % 8 == 0, "entries stay 8-byte aligned");

static const ChannelMeta no_meta;

static inline bool
has_meta(uint8 flags)
{
	return (flags & (CH_KIND_PRIOR | CH_HAS_PRIOR | CH_HAS_AS_OF)) != 0;
}

static inline Size
meta_size(uint8 flags)
{
	return has_meta(flags) ? sizeof(ChannelMeta) : 0;
}

/* the meta section (read-only zeros when the value has none) */
#define META(s) (has_meta((s)->flags) ? (ChannelMeta *) ((char *) (s) + CH_HEADER_SIZE) : (ChannelMeta *) &no_meta)
#define ENTRIES(s) ((ChannelEntry *) ((char *) (s) + CH_HEADER_SIZE + meta_size((s)->flags)))

static inline Size
params_size(uint8 flags, int n)
{
	return (flags & CH_HAS_PRIOR) ? 2 * n * sizeof(double) : 0;
}

static inline Size
decay_size(uint8 flags, int n)
{
	return (flags & CH_DECAYED) ? 2 * n * sizeof(DecaySum) : 0;
}

#define STATE_SIZE(flags, n, names) \
	(CH_HEADER_SIZE + meta_size(flags) + (n) * sizeof(ChannelEntry) + params_size(flags, n) + \
	 decay_size(flags, n) + (names))
#define STATE_PARAMS(s) ((double *) (ENTRIES(s) + (s)->nchannels))
#define STATE_DECAY(s) ((DecaySum *) ((char *) STATE_PARAMS(s) + params_size((s)->flags, (s)->nchannels)))
#define STATE_NAMES(s) ((char *) STATE_DECAY(s) + decay_size((s)->flags, (s)->nchannels))
#define ENTRY_NAME(s, i) (STATE_NAMES(s) + ENTRIES((s))[i].name_off)
#define DSENDS(s, i) (&STATE_DECAY(s)[2 * (i)])
#define DRESPONSES(s, i) (&STATE_DECAY(s)[2 * (i) + 1])

/* a preference's prior for channel i (Beta(1, 1) without a prior); 0, 0 in the prior kind */
static inline void
entry_prior(const ChannelState *s, int i, double *alpha0, double *beta0)
{
	if (s->flags & CH_HAS_PRIOR)
	{
		*alpha0 = STATE_PARAMS(s)[2 * i];
		*beta0 = STATE_PARAMS(s)[2 * i + 1];
	}
	else if (s->flags & CH_KIND_PRIOR)
		*alpha0 = *beta0 = 0.0;
	else
		*alpha0 = *beta0 = 1.0;
}

static const char *
kind_name(uint8 flags)
{
	return (flags & CH_KIND_PRIOR) ? "omni.channel_prior" : "omni.channel_preference";
}

static void
report_corrupt(uint8 flags, int errcode_value, const char *detail)
{
	ereport(ERROR,
			(errcode(errcode_value),
			 errmsg("invalid %s: %s", kind_name(flags), detail),
			 errhint("Values of %s come from its aggregate or from its own text or binary "
					 "output; they cannot be edited.", kind_name(flags))));
}

/* byte order, then length: the one order channels are kept in */
static int
name_cmp(const char *a, int alen, const char *b, int blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

/* the prior kind's Beta parameters of channel i: mean (R + 1) / (S + 2), total strength */
static void
prior_params(const ChannelState *prior, int i, double *alpha0, double *beta0)
{
	const ChannelEntry *e = &ENTRIES(prior)[i];
	double		n = (double) e->sends + 2.0;

	*alpha0 = META(prior)->strength * (((double) e->responses + 1.0) / n);
	*beta0 = META(prior)->strength * (((double) (e->sends - e->responses) + 1.0) / n);
}

static uint64
preference_prior_id(const ChannelState *state)
{
	uint64		hash = UINT64CONST(0x2545f4914f6cdd1d);

	for (int i = 0; i < state->nchannels; i++)
	{
		double		ab[2];

		entry_prior(state, i, &ab[0], &ab[1]);

		hash = hash_combine64(hash, hash_bytes_extended((const unsigned char *) ENTRY_NAME(state, i),
														ENTRIES(state)[i].name_len, 0));
		hash = hash_combine64(hash, hash_bytes_extended((const unsigned char *) ab, sizeof(ab), 0));
	}
	return hash == 0 ? 1 : hash;
}

/*
 * The flag combinations a value may have: known bits, the kind it is read as, a prior with no
 * other flag, decayed sums only with as_of.  The layout (the meta section included) follows
 * from the flags, so the decoder checks them before it writes anything; check_state checks
 * them again for values that arrive as datums.
 */
static void
check_flags(uint8 flags, uint8 kind, int errcode_value)
{
	if ((flags & ~CH_ALL_FLAGS) != 0 || (flags & CH_KIND_PRIOR) != (kind & CH_KIND_PRIOR))
		report_corrupt(kind, errcode_value, psprintf("bad flags 0x%02x", flags));
	if ((kind & CH_KIND_PRIOR) ? (flags & ~CH_KIND_PRIOR) != 0
		: (flags & CH_DECAYED) && !(flags & CH_HAS_AS_OF))
		report_corrupt(kind, errcode_value, "bad header");
}

/* Every invariant a value keeps; forged or damaged bytes fail here. */
static void
check_state(const ChannelState *s, Size size, uint8 kind, int errcode_value)
{
	int64		names_end = 0;

	if (size < CH_HEADER_SIZE)
		report_corrupt(kind, errcode_value, "too short");
	if (s->version != CHANNEL_STATE_VERSION)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("unsupported %s format version %d", kind_name(kind), s->version),
				 errhint("This omni reads version %d; upgrade omni on the reading side.",
						 CHANNEL_STATE_VERSION)));
	if (s->reserved != 0)
		report_corrupt(kind, errcode_value, psprintf("bad flags 0x%02x", s->flags));
	check_flags(s->flags, kind, errcode_value);
	if (s->nchannels < 0 || s->nchannels > MAX_CHANNELS || s->names_len < 0 ||
		size != STATE_SIZE(s->flags, s->nchannels, s->names_len))
		report_corrupt(kind, errcode_value, "length does not match its channels");
	if (kind & CH_KIND_PRIOR)
	{
		if (!(META(s)->strength > 0.0 && META(s)->strength <= MAX_STRENGTH) ||
			META(s)->as_of != 0 || META(s)->half_life_usecs != 0 || META(s)->prior_id != 0)
			report_corrupt(kind, errcode_value, "bad header");
	}
	else
	{
		if (META(s)->strength != 0.0)
			report_corrupt(kind, errcode_value, "bad header");
		if ((s->flags & CH_HAS_AS_OF) ? !IS_VALID_TIMESTAMP(META(s)->as_of) : META(s)->as_of != 0)
			report_corrupt(kind, errcode_value, "bad as_of");
		if ((s->flags & CH_DECAYED) ?
			(META(s)->half_life_usecs <= 0 ||
			 META(s)->half_life_usecs != omni_duration_usecs(&META(s)->half_life, "half_life", "")) :
			(META(s)->half_life_usecs != 0 || META(s)->half_life.month != 0 || META(s)->half_life.day != 0 ||
			 META(s)->half_life.time != 0))
			report_corrupt(kind, errcode_value, "bad half_life");
	}
	for (int i = 0; i < s->nchannels; i++)
	{
		const ChannelEntry *e = &ENTRIES(s)[i];

		if (e->name_off != names_end || e->name_len <= 0 || e->name_len > MAX_NAME_LEN ||
			(int64) e->name_off + e->name_len > s->names_len)
			report_corrupt(kind, errcode_value, "bad channel name");
		names_end += e->name_len;
		if (i > 0 && name_cmp(ENTRY_NAME(s, i - 1), e[-1].name_len, ENTRY_NAME(s, i), e->name_len) >= 0)
			report_corrupt(kind, errcode_value, "channels out of order");
		if (e->sends < 0 || e->responses < 0 || e->responses > e->sends)
			report_corrupt(kind, errcode_value, "bad counts");
		if (s->flags & CH_DECAYED)
		{
			double		ds = omni_decay_value(DSENDS(s, i));
			double		dr = omni_decay_value(DRESPONSES(s, i));

			if (!(dr >= 0.0) || !(ds >= dr) || ds > (double) e->sends)
				report_corrupt(kind, errcode_value, "bad decayed sums");
		}
		if (s->flags & CH_HAS_PRIOR)
		{
			double		a0,
						b0;

			entry_prior(s, i, &a0, &b0);
			if (!(a0 > 0.0 && b0 > 0.0 && a0 + b0 <= MAX_STRENGTH))
				report_corrupt(kind, errcode_value, "bad prior parameters");
		}
	}
	if (names_end != s->names_len)
		report_corrupt(kind, errcode_value, "bad channel names");
	if ((s->flags & CH_HAS_PRIOR) ? META(s)->prior_id != preference_prior_id(s) :
		(!(kind & CH_KIND_PRIOR) && META(s)->prior_id != 0))
		report_corrupt(kind, errcode_value, "prior does not match its channels");
}

static ChannelState *
state_arg(FunctionCallInfo fcinfo, int argno, uint8 kind)
{
	ChannelState *s = (ChannelState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	check_state(s, VARSIZE(s), kind, ERRCODE_DATA_CORRUPTED);
	return s;
}

/* ---------- text and binary forms ---------- */

static bytea *
encode_state(const ChannelState *s)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CHANNEL_STATE_VERSION);
	pq_sendbyte(&buf, s->flags);
	pq_sendfloat8(&buf, META(s)->strength);
	pq_sendint64(&buf, META(s)->as_of);
	pq_sendint32(&buf, META(s)->half_life.month);
	pq_sendint32(&buf, META(s)->half_life.day);
	pq_sendint64(&buf, META(s)->half_life.time);
	pq_sendint32(&buf, s->nchannels);
	for (int i = 0; i < s->nchannels; i++)
	{
		const ChannelEntry *e = &ENTRIES(s)[i];
		double		a0,
					b0;

		pq_sendint32(&buf, e->name_len);
		pq_sendbytes(&buf, ENTRY_NAME(s, i), e->name_len);
		pq_sendint64(&buf, e->sends);
		pq_sendint64(&buf, e->responses);
		/* one wire layout for every kind: zeros where a state has no decayed sums */
		for (int k = 0; k < 3; k++)
			pq_sendint64(&buf, (s->flags & CH_DECAYED) ? (int64) DSENDS(s, i)->limb[k] : 0);
		for (int k = 0; k < 3; k++)
			pq_sendint64(&buf, (s->flags & CH_DECAYED) ? (int64) DRESPONSES(s, i)->limb[k] : 0);
		entry_prior(s, i, &a0, &b0);
		pq_sendfloat8(&buf, a0);
		pq_sendfloat8(&buf, b0);
	}
	return pq_endtypsend(&buf);
}

static ChannelState *
decode_state(StringInfo buf, uint8 kind, int errcode_value)
{
	uint8		flags;
	ChannelMeta head;
	ChannelState *s;
	int			version;
	int			n;
	int			start;
	int			names_len = 0;

	memset(&head, 0, sizeof(head));
	if (buf->len - buf->cursor < 1)
		report_corrupt(kind, errcode_value, "empty value");
	version = pq_getmsgbyte(buf);
	if (version != CHANNEL_STATE_VERSION)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("unsupported %s format version %d", kind_name(kind), version),
				 errhint("This omni reads version %d; upgrade omni on the reading side.",
						 CHANNEL_STATE_VERSION)));
	if (buf->len - buf->cursor < 1 + 8 + 8 + 16 + 4)
		report_corrupt(kind, errcode_value, "too short");
	flags = pq_getmsgbyte(buf);
	head.strength = pq_getmsgfloat8(buf);
	head.as_of = pq_getmsgint64(buf);
	head.half_life.month = pq_getmsgint(buf, 4);
	head.half_life.day = pq_getmsgint(buf, 4);
	head.half_life.time = pq_getmsgint64(buf);
	n = pq_getmsgint(buf, 4);
	if (n < 0 || n > MAX_CHANNELS)
		report_corrupt(kind, errcode_value, psprintf("%d channels", n));
	/* first pass: the names' total length, every length checked against the message */
	start = buf->cursor;
	for (int i = 0; i < n; i++)
	{
		int			len;

		if (buf->len - buf->cursor < 4)
			report_corrupt(kind, errcode_value, "truncated");
		len = pq_getmsgint(buf, 4);
		if (len <= 0 || len > MAX_NAME_LEN || buf->len - buf->cursor < len + 8 * 10)
			report_corrupt(kind, errcode_value, "bad channel name length");
		buf->cursor += len + 8 * 10;
		names_len += len;
	}
	if (buf->cursor != buf->len)
		report_corrupt(kind, errcode_value, "trailing bytes");
	buf->cursor = start;

	/* before anything is written: without a meta section META() is the read-only no_meta */
	check_flags(flags, kind, errcode_value);
	if (!has_meta(flags) && (head.strength != 0.0 || head.as_of != 0 || head.half_life.month != 0 ||
							 head.half_life.day != 0 || head.half_life.time != 0))
		report_corrupt(kind, errcode_value, "bad header");
	s = palloc0(STATE_SIZE(flags, n, names_len));
	SET_VARSIZE(s, STATE_SIZE(flags, n, names_len));
	s->version = CHANNEL_STATE_VERSION;
	s->flags = flags;
	if (has_meta(flags))
	{
		META(s)->strength = head.strength;
		META(s)->as_of = head.as_of;
		META(s)->half_life = head.half_life;
	}
	s->nchannels = n;
	s->names_len = names_len;
	names_len = 0;
	for (int i = 0; i < n; i++)
	{
		ChannelEntry *e = &ENTRIES(s)[i];
		DecaySum	d[2];
		double		a0,
					b0;
		double		want_a0,
					want_b0;

		e->name_len = pq_getmsgint(buf, 4);
		e->name_off = names_len;
		pq_copymsgbytes(buf, STATE_NAMES(s) + names_len, e->name_len);
		names_len += e->name_len;
		e->sends = pq_getmsgint64(buf);
		e->responses = pq_getmsgint64(buf);
		for (int k = 0; k < 2; k++)
			for (int l = 0; l < 3; l++)
				d[k].limb[l] = (uint64) pq_getmsgint64(buf);
		a0 = pq_getmsgfloat8(buf);
		b0 = pq_getmsgfloat8(buf);
		if (s->flags & CH_DECAYED)
		{
			*DSENDS(s, i) = d[0];
			*DRESPONSES(s, i) = d[1];
		}
		else if (d[0].limb[0] | d[0].limb[1] | d[0].limb[2] | d[1].limb[0] | d[1].limb[1] | d[1].limb[2])
			report_corrupt(kind, errcode_value, "decayed sums without a half_life");
		if (s->flags & CH_HAS_PRIOR)
		{
			STATE_PARAMS(s)[2 * i] = a0;
			STATE_PARAMS(s)[2 * i + 1] = b0;
		}
		else
		{
			entry_prior(s, i, &want_a0, &want_b0);
			if (a0 != want_a0 || b0 != want_b0)
				report_corrupt(kind, errcode_value, "bad prior parameters");
		}
	}
	pq_getmsgend(buf);
	/* derived fields are recomputed, so forged bytes cannot disagree with them */
	if (s->flags & CH_DECAYED)
	{
		if (META(s)->half_life.month < 0 || META(s)->half_life.day < 0 || META(s)->half_life.time < 0)
			report_corrupt(kind, errcode_value, "bad half_life");
		META(s)->half_life_usecs = omni_duration_usecs(&META(s)->half_life, "half_life", "");
	}
	if (s->flags & CH_HAS_PRIOR)
		META(s)->prior_id = preference_prior_id(s);
	check_state(s, VARSIZE(s), kind, errcode_value);
	return s;
}

Datum
channel_prior_in(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	omni_hex_parse(PG_GETARG_CSTRING(0), "omni.channel_prior", &buf);
	PG_RETURN_POINTER(decode_state(&buf, CH_KIND_PRIOR, ERRCODE_INVALID_TEXT_REPRESENTATION));
}

Datum
channel_prior_out(PG_FUNCTION_ARGS)
{
	bytea	   *b = encode_state(state_arg(fcinfo, 0, CH_KIND_PRIOR));

	PG_RETURN_CSTRING(omni_hex_text(VARDATA(b), VARSIZE(b) - VARHDRSZ));
}

Datum
channel_prior_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(decode_state((StringInfo) PG_GETARG_POINTER(0), CH_KIND_PRIOR,
								   ERRCODE_INVALID_BINARY_REPRESENTATION));
}

Datum
channel_prior_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(encode_state(state_arg(fcinfo, 0, CH_KIND_PRIOR)));
}

Datum
channel_preference_in(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	omni_hex_parse(PG_GETARG_CSTRING(0), "omni.channel_preference", &buf);
	PG_RETURN_POINTER(decode_state(&buf, 0, ERRCODE_INVALID_TEXT_REPRESENTATION));
}

Datum
channel_preference_out(PG_FUNCTION_ARGS)
{
	bytea	   *b = encode_state(state_arg(fcinfo, 0, 0));

	PG_RETURN_CSTRING(omni_hex_text(VARDATA(b), VARSIZE(b) - VARHDRSZ));
}

Datum
channel_preference_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(decode_state((StringInfo) PG_GETARG_POINTER(0), 0,
								   ERRCODE_INVALID_BINARY_REPRESENTATION));
}

Datum
channel_preference_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(encode_state(state_arg(fcinfo, 0, 0)));
}

/* ---------- building ---------- */

static ChannelState *
new_state(uint8 flags, int n, int names_len)
{
	ChannelState *s = palloc0(STATE_SIZE(flags, n, names_len));

	SET_VARSIZE(s, STATE_SIZE(flags, n, names_len));
	s->version = CHANNEL_STATE_VERSION;
	s->flags = flags;
	s->nchannels = n;
	s->names_len = names_len;
	return s;
}

/* copy of s's header (not its channels) with room for n channels and names_len bytes */
static ChannelState *
resized_state(const ChannelState *s, int n, int names_len)
{
	ChannelState *r = new_state(s->flags, n, names_len);

	if (has_meta(s->flags))
		*META(r) = *META(s);
	return r;
}

/* the position of a channel, or -(insertion point) - 1 */
static int
find_channel(const ChannelState *s, const char *name, int len)
{
	int			lo = 0;
	int			hi = s->nchannels - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = name_cmp(ENTRY_NAME(s, mid), ENTRIES(s)[mid].name_len, name, len);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -lo - 1;
}

/* a new state (current context) with channel name inserted at pos with zero counts */
static ChannelState *
insert_channel(const ChannelState *s, int pos, const char *name, int len)
{
	ChannelState *r;
	int			off = 0;

	if (s->nchannels >= MAX_CHANNELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more than %d channels", MAX_CHANNELS),
				 errhint("Map channel names to a few channels with CASE.")));
	Assert(!(s->flags & CH_HAS_PRIOR));	/* a prior fixes the channels */
	r = resized_state(s, s->nchannels + 1, s->names_len + len);
	for (int i = 0, j = 0; i < r->nchannels; i++)
	{
		ChannelEntry *e = &ENTRIES(r)[i];

		if (i == pos)
		{
			e->name_len = len;
			memcpy(STATE_NAMES(r) + off, name, len);
		}
		else
		{
			*e = ENTRIES(s)[j];
			memcpy(STATE_NAMES(r) + off, ENTRY_NAME(s, j), e->name_len);
			if (s->flags & CH_DECAYED)
			{
				*DSENDS(r, i) = *DSENDS(s, j);
				*DRESPONSES(r, i) = *DRESPONSES(s, j);
			}
			j++;
		}
		e->name_off = off;
		off += e->name_len;
	}
	return r;
}

static ChannelState *
copy_state(const ChannelState *s)
{
	ChannelState *r = palloc(VARSIZE(s));

	memcpy(r, s, VARSIZE(s));
	return r;
}

/* The channel argument: not NULL, not empty. */
static text *
channel_arg(FunctionCallInfo fcinfo, int argno)
{
	text	   *t;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("channel cannot be NULL"),
				 errhint("Filter out rows without a channel, or map them to a name with coalesce().")));
	t = PG_GETARG_TEXT_PP(argno);
	if (VARSIZE_ANY_EXHDR(t) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("channel cannot be empty"),
				 errhint("Channel names are free text such as 'email', 'sms' or 'push', but not ''.")));
	if (VARSIZE_ANY_EXHDR(t) > MAX_NAME_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("channel name longer than %d bytes", MAX_NAME_LEN)));
	return t;
}

static bool
engaged_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("engaged cannot be NULL"),
				 errhint("Pass true when the customer responded to the message and false when not, "
						 "e.g. coalesce(engaged, false).")));
	return PG_GETARG_BOOL(argno);
}

static void
check_agg_context(FunctionCallInfo fcinfo, const char *what)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "%s called in non-aggregate context", what);
}

/*
 * channel_prior_trans(state, channel, engaged [, strength]): one population row.
 */
Datum
channel_prior_trans(PG_FUNCTION_ARGS)
{
	text	   *channel = channel_arg(fcinfo, 1);
	bool		engaged = engaged_arg(fcinfo, 2);
	double		strength = DEFAULT_STRENGTH;
	ChannelState *s;
	int			pos;
	ChannelEntry *e;

	check_agg_context(fcinfo, "channel_prior_trans");
	if (PG_NARGS() > 3)
	{
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("strength cannot be NULL"),
					 errhint("Pass the prior's weight in pseudo-messages, e.g. 10 (the default).")));
		strength = PG_GETARG_FLOAT8(3);
		if (!(strength > 0.0 && strength <= MAX_STRENGTH))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("strength must be positive and at most %g, not %g", MAX_STRENGTH, strength),
					 errhint("strength is alpha0 + beta0: how many messages the prior weighs, e.g. 10.")));
	}
	if (PG_ARGISNULL(0))
	{
		/* in the per-row context: the executor copies a new transition value itself */
		s = new_state(CH_KIND_PRIOR, 0, 0);
		META(s)->strength = strength;
	}
	else
	{
		s = (ChannelState *) PG_GETARG_POINTER(0);
		if (unlikely(META(s)->strength != strength))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("strength differs within one group: %g and %g", META(s)->strength, strength),
					 errhint("Pass one strength for the whole population.")));
	}
	pos = find_channel(s, VARDATA_ANY(channel), VARSIZE_ANY_EXHDR(channel));
	if (pos < 0)
	{
		pos = -pos - 1;
		s = insert_channel(s, pos, VARDATA_ANY(channel), VARSIZE_ANY_EXHDR(channel));
	}
	e = &ENTRIES(s)[pos];
	if (unlikely(e->sends == PG_INT64_MAX))
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("too many sends")));
	e->sends++;
	if (engaged)
		e->responses++;
	PG_RETURN_POINTER(s);
}

/* ---------- merging ---------- */

/* channel i of to += channel j of from */
static void
add_entry(ChannelState *to, int i, const ChannelState *from, int j)
{
	ChannelEntry *e = &ENTRIES(to)[i];

	if (pg_add_s64_overflow(e->sends, ENTRIES(from)[j].sends, &e->sends) ||
		pg_add_s64_overflow(e->responses, ENTRIES(from)[j].responses, &e->responses))
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("too many sends")));
	if (to->flags & CH_DECAYED)
	{
		omni_decay_add(DSENDS(to, i), DSENDS(from, j));
		omni_decay_add(DRESPONSES(to, i), DRESPONSES(from, j));
	}
}

/* state + other: in place when other's channels are all in state, else a new value */
static ChannelState *
merge_states(ChannelState *state, const ChannelState *other)
{
	int			i,
				j,
				n = 0,
				names = 0,
				off = 0;
	ChannelState *r;

	for (i = 0, j = 0; i < state->nchannels || j < other->nchannels; n++)
	{
		int			c = i >= state->nchannels ? 1 : j >= other->nchannels ? -1 :
			name_cmp(ENTRY_NAME(state, i), ENTRIES(state)[i].name_len,
					 ENTRY_NAME(other, j), ENTRIES(other)[j].name_len);

		if (c <= 0)
			names += ENTRIES(state)[i++].name_len;
		else
			names += ENTRIES(other)[j].name_len;
		if (c >= 0)
			j++;
	}
	if (n == state->nchannels)
	{
		for (j = 0; j < other->nchannels; j++)
			add_entry(state, find_channel(state, ENTRY_NAME(other, j), ENTRIES(other)[j].name_len),
					  other, j);
		return state;
	}
	if (n > MAX_CHANNELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more than %d channels", MAX_CHANNELS)));
	Assert(!(state->flags & CH_HAS_PRIOR));
	r = resized_state(state, n, names);
	for (i = 0, j = 0, n = 0; i < state->nchannels || j < other->nchannels; n++)
	{
		int			c = i >= state->nchannels ? 1 : j >= other->nchannels ? -1 :
			name_cmp(ENTRY_NAME(state, i), ENTRIES(state)[i].name_len,
					 ENTRY_NAME(other, j), ENTRIES(other)[j].name_len);
		ChannelEntry *e = &ENTRIES(r)[n];

		/* (states with a prior have its channels, so only prior-less ones come here) */
		if (c <= 0)
		{
			*e = ENTRIES(state)[i];
			memcpy(STATE_NAMES(r) + off, ENTRY_NAME(state, i), e->name_len);
			if (r->flags & CH_DECAYED)
			{
				*DSENDS(r, n) = *DSENDS(state, i);
				*DRESPONSES(r, n) = *DRESPONSES(state, i);
			}
			if (c == 0)
				add_entry(r, n, other, j);
			i++;
		}
		else
		{
			*e = ENTRIES(other)[j];
			memcpy(STATE_NAMES(r) + off, ENTRY_NAME(other, j), e->name_len);
			if (r->flags & CH_DECAYED)
			{
				*DSENDS(r, n) = *DSENDS(other, j);
				*DRESPONSES(r, n) = *DRESPONSES(other, j);
			}
		}
		if (c >= 0)
			j++;
		e->name_off = off;
		off += e->name_len;
	}
	return r;
}

static Datum
combine_common(FunctionCallInfo fcinfo, uint8 kind)
{
	ChannelState *state;
	ChannelState *other;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state_arg(fcinfo, 0, kind));
	}
	other = state_arg(fcinfo, 1, kind);
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(other);	/* the executor copies it into its own context */
	state = state_arg(fcinfo, 0, kind);
	if (!AggCheckCallContext(fcinfo, NULL))
		state = copy_state(state);

	if (kind & CH_KIND_PRIOR)
	{
		if (META(state)->strength != META(other)->strength)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot merge channel priors of different strengths (%g and %g)",
							META(state)->strength, META(other)->strength),
					 errhint("Compute every part of a prior with one strength.")));
	}
	else
	{
		if ((state->flags & CH_HAS_PRIOR) != (other->flags & CH_HAS_PRIOR) ||
			META(state)->prior_id != META(other)->prior_id)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot merge channel preferences computed with different priors"),
					 errhint("Compute every part with the same omni.channel_prior value (or none).")));
		if ((state->flags & (CH_HAS_AS_OF | CH_DECAYED)) != (other->flags & (CH_HAS_AS_OF | CH_DECAYED)) ||
			META(state)->as_of != META(other)->as_of || META(state)->half_life_usecs != META(other)->half_life_usecs)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot merge channel preferences of different as_of or half_life"),
					 errhint("Compute every part with the same as_of and half_life (or none).")));
	}
	PG_RETURN_POINTER(merge_states(state, other));
}

Datum
channel_prior_combine(PG_FUNCTION_ARGS)
{
	return combine_common(fcinfo, CH_KIND_PRIOR);
}

Datum
channel_preference_combine(PG_FUNCTION_ARGS)
{
	return combine_common(fcinfo, 0);
}

/* ---------- channel_preference ---------- */

typedef struct PreferenceCache
{
	bool		have_prior;
	ChannelState *prior;		/* copy of the last prior argument (fn_mcxt) */
	ChannelState *start;		/* the empty preference state it gives (fn_mcxt) */
	bool		have_span;
	Interval	span_key;
	int64		span_usecs;
} PreferenceCache;

static PreferenceCache *
get_cache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
														  sizeof(PreferenceCache));
	return (PreferenceCache *) fcinfo->flinfo->fn_extra;
}

/* The empty preference a prior starts from: its channels, their Beta parameters, no counts. */
static const ChannelState *
prior_start(FunctionCallInfo fcinfo, int argno)
{
	PreferenceCache *cache = get_cache(fcinfo);
	ChannelState *prior = (ChannelState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));
	MemoryContext old;
	ChannelState *start;

	if (cache->have_prior &&
		(prior == cache->prior || (VARSIZE(prior) == VARSIZE(cache->prior) &&
									memcmp(prior, cache->prior, VARSIZE(prior)) == 0)))
		return cache->start;
	check_state(prior, VARSIZE(prior), CH_KIND_PRIOR, ERRCODE_DATA_CORRUPTED);
	if (prior->nchannels == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the prior has no channels")));
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (cache->have_prior)
	{
		pfree(cache->prior);
		pfree(cache->start);
	}
	cache->prior = copy_state(prior);
	start = new_state(CH_HAS_PRIOR, prior->nchannels, prior->names_len);
	memcpy(STATE_NAMES(start), STATE_NAMES(prior), prior->names_len);
	for (int i = 0; i < prior->nchannels; i++)
	{
		ENTRIES(start)[i].name_off = ENTRIES(prior)[i].name_off;
		ENTRIES(start)[i].name_len = ENTRIES(prior)[i].name_len;
		prior_params(prior, i, &STATE_PARAMS(start)[2 * i], &STATE_PARAMS(start)[2 * i + 1]);
	}
	META(start)->prior_id = preference_prior_id(start);
	cache->start = start;
	cache->have_prior = true;
	MemoryContextSwitchTo(old);
	return start;
}

static void
report_not_in_prior(const ChannelState *s, text *channel)
{
	StringInfoData names;

	initStringInfo(&names);
	for (int i = 0; i < s->nchannels; i++)
		appendStringInfo(&names, "%s\"%.*s\"", i > 0 ? ", " : "", ENTRIES(s)[i].name_len,
						 ENTRY_NAME(s, i));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("channel \"%s\" is not in the prior", text_to_cstring(channel)),
			 errhint("The prior knows %s.  Compute the prior over every channel you send on, or "
					 "map the channel with CASE.", names.data)));
}

/*
 * channel_preference_trans(state, channel, engaged [, sent_at [, prior [, as_of
 * [, half_life]]]]).  NULL prior, as_of or half_life mean "not given".
 */
Datum
channel_preference_trans(PG_FUNCTION_ARGS)
{
	int			nargs = PG_NARGS();
	text	   *channel = channel_arg(fcinfo, 1);
	bool		engaged = engaged_arg(fcinfo, 2);
	const ChannelState *start = NULL;
	bool		has_as_of = nargs > 5 && !PG_ARGISNULL(5);
	bool		decayed = nargs > 6 && !PG_ARGISNULL(6);
	TimestampTz as_of = 0;
	TimestampTz sent_at = 0;
	Interval	half_life;
	int64		half_life_usecs = 0;
	uint8		flags;
	ChannelState *s;
	ChannelEntry *e;
	int			pos;
	const char *name = VARDATA_ANY(channel);
	int			len = VARSIZE_ANY_EXHDR(channel);

	check_agg_context(fcinfo, "channel_preference_trans");
	memset(&half_life, 0, sizeof(half_life));
	if (nargs > 4 && !PG_ARGISNULL(4))
		start = prior_start(fcinfo, 4);
	if (has_as_of)
	{
		as_of = PG_GETARG_TIMESTAMPTZ(5);
		omni_check_finite(as_of, "as_of");
	}
	if (decayed)
	{
		PreferenceCache *cache = get_cache(fcinfo);
		Interval   *span = PG_GETARG_INTERVAL_P(6);

		if (!has_as_of)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("half_life needs as_of"),
					 errhint("Decay is measured back from as_of: pass the time the preference is "
							 "computed for.")));
		if (!cache->have_span || memcmp(&cache->span_key, span, sizeof(Interval)) != 0)
		{
			cache->span_usecs = omni_duration_usecs(span, "half_life", "Pass a positive duration such as '30 days'.");
			if (cache->span_usecs <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("half_life must be positive"),
						 errhint("Pass a duration such as '30 days'.")));
			cache->span_key = *span;
			cache->have_span = true;
		}
		half_life = *span;
		half_life_usecs = cache->span_usecs;
	}
	if (has_as_of)
	{
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("sent_at cannot be NULL when as_of is given"),
					 errhint("Rows after as_of are not counted, so each row needs its send time.")));
		sent_at = PG_GETARG_TIMESTAMPTZ(3);
		omni_check_finite(sent_at, "sent_at");
	}
	flags = (start ? CH_HAS_PRIOR : 0) | (has_as_of ? CH_HAS_AS_OF : 0) | (decayed ? CH_DECAYED : 0);

	if (PG_ARGISNULL(0))
	{
		/* in the per-row context: the executor copies a new transition value itself */
		if (start)
		{
			/* the prior's channels and parameters, with room for decayed sums if needed */
			s = new_state(flags, start->nchannels, start->names_len);
			memcpy(ENTRIES(s), ENTRIES(start), start->nchannels * sizeof(ChannelEntry));
			memcpy(STATE_PARAMS(s), STATE_PARAMS(start), params_size(flags, start->nchannels));
			memcpy(STATE_NAMES(s), STATE_NAMES(start), start->names_len);
			META(s)->prior_id = META(start)->prior_id;
		}
		else
			s = new_state(flags, 0, 0);
		if (has_meta(flags))
		{
			META(s)->as_of = as_of;
			META(s)->half_life = half_life;
			META(s)->half_life_usecs = half_life_usecs;
		}
	}
	else
	{
		s = (ChannelState *) PG_GETARG_POINTER(0);
		if (unlikely(s->flags != flags || META(s)->as_of != as_of || META(s)->half_life_usecs != half_life_usecs ||
					 (start && META(s)->prior_id != META(start)->prior_id)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("prior, as_of or half_life differ within one group"),
					 errhint("Pass the same prior, as_of and half_life for every row of a group.")));
	}
	pos = find_channel(s, name, len);
	if (pos < 0)
	{
		if (start)
			report_not_in_prior(s, channel);
		if (has_as_of && sent_at > as_of)
			PG_RETURN_POINTER(s);	/* not counted, and no channel of its own */
		pos = -pos - 1;
		s = insert_channel(s, pos, name, len);
	}
	if (has_as_of && sent_at > as_of)
		PG_RETURN_POINTER(s);
	e = &ENTRIES(s)[pos];
	if (unlikely(e->sends == PG_INT64_MAX))
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("too many sends")));
	e->sends++;
	if (engaged)
		e->responses++;
	if (decayed)
	{
		double		w = omni_decay_factor(as_of - sent_at, half_life_usecs);

		omni_decay_add_term(DSENDS(s, pos), w);
		if (engaged)
			omni_decay_add_term(DRESPONSES(s, pos), w);
	}
	PG_RETURN_POINTER(s);
}

/* ---------- posteriors ---------- */

typedef struct Posterior
{
	double		sends;			/* decayed when the state is */
	double		responses;
	double		alpha;
	double		beta;
	double		mean;
	double		lbeta;
	bool		included;
} Posterior;

static Posterior *
posteriors(const ChannelState *s)
{
	Posterior  *p = palloc0(Max(s->nchannels, 1) * sizeof(Posterior));

	for (int i = 0; i < s->nchannels; i++)
	{
		const ChannelEntry *e = &ENTRIES(s)[i];
		double		failures;
		double		a0,
					b0;

		if (s->flags & CH_DECAYED)
		{
			p[i].sends = omni_decay_value(DSENDS(s, i));
			p[i].responses = omni_decay_value(DRESPONSES(s, i));
		}
		else
		{
			p[i].sends = (double) e->sends;
			p[i].responses = (double) e->responses;
		}
		failures = Max(p[i].sends - p[i].responses, 0.0);
		entry_prior(s, i, &a0, &b0);
		p[i].alpha = a0 + p[i].responses;
		p[i].beta = b0 + failures;
		p[i].mean = p[i].alpha / (p[i].alpha + p[i].beta);
		p[i].lbeta = omni_lbeta(p[i].alpha, p[i].beta);
		p[i].included = true;
	}
	return p;
}

/* Mark the channels of an exclude array (NULL array or elements: nothing excluded). */
static void
apply_exclude(FunctionCallInfo fcinfo, int argno, const ChannelState *s, Posterior *p)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return;
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("exclude must be a one-dimensional text array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int k = 0; k < n; k++)
	{
		text	   *t;
		int			pos;

		if (nulls[k])
			continue;
		t = DatumGetTextPP(elems[k]);
		pos = find_channel(s, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		if (pos >= 0)
			p[pos].included = false;
	}
}

/* The preferred channel: highest posterior mean, then most evidence, then name; -1 if none. */
static int
best_channel(const ChannelState *s, const Posterior *p)
{
	int			best = -1;

	for (int i = 0; i < s->nchannels; i++)
	{
		if (!p[i].included)
			continue;
		if (best < 0 || p[i].mean > p[best].mean ||
			(p[i].mean == p[best].mean && p[i].alpha + p[i].beta > p[best].alpha + p[best].beta))
			best = i;
	}
	return best;
}

/* ln f(x) of Beta(alpha, beta), with xc = 1 - x */
static inline double
beta_log_density(const Posterior *q, double x, double xc)
{
	return (q->alpha - 1.0) * log(x) + (q->beta - 1.0) * log(xc) - q->lbeta;
}

static double
integrand(const Posterior *p, int n, int j, double x, double xc)
{
	double		v;

	if (x <= 0.0 || xc <= 0.0)
		return 0.0;
	v = exp(beta_log_density(&p[j], x, xc));
	for (int k = 0; k < n && v != 0.0; k++)
		if (k != j && p[k].included)
			v *= omni_beta_inc(p[k].alpha, p[k].beta, x, xc);
	return v;
}

#define TS_TMAX 6.5
#define TS_MAX_LEVEL 8

/*
 * tanh-sinh (double exponential) quadrature of the integrand over [lo, hi]: exact to the
 * last digits for smooth integrands and for the endpoint singularities of Beta densities
 * with alpha or beta below 1.  Points closer to an endpoint than double can tell are
 * skipped (their share is below 1e-60).  Deterministic: a fixed sequence of levels.
 */
static double
tanh_sinh(const Posterior *p, int n, int j, double lo, double hi)
{
	double		half = 0.5 * (hi - lo);
	double		h = 0.5;
	double		sum = 0.0;
	double		prev = 0.0;

	for (int level = 0; level <= TS_MAX_LEVEL; level++)
	{
		int			kmax = (int) ceil(TS_TMAX / h);
		double		add = 0.0;

		for (int k = -kmax; k <= kmax; k++)
		{
			double		t = k * h;
			double		u,
						e2,
						w,
						dlo,
						dhi,
						x,
						xc;

			/* after level 0, only the new (odd) points */
			if (level > 0 && (k & 1) == 0)
				continue;
			u = M_PI_2 * sinh(t);
			e2 = exp(-2.0 * fabs(u));
			w = M_PI_2 * cosh(t) * 4.0 * e2 / ((1.0 + e2) * (1.0 + e2));
			/* the distances to both ends, accurate where they are tiny */
			if (t <= 0.0)
			{
				dlo = half * 2.0 * e2 / (1.0 + e2);
				dhi = 2.0 * half - dlo;
				x = lo + dlo;
				xc = (1.0 - lo) - dlo;
				if (dlo <= 0.0 || x <= lo)
					continue;
			}
			else
			{
				dhi = half * 2.0 * e2 / (1.0 + e2);
				x = hi - dhi;
				xc = (1.0 - hi) + dhi;
				if (dhi <= 0.0 || x >= hi)
					continue;
			}
			if (w == 0.0)
				continue;
			add += w * integrand(p, n, j, x, xc);
		}
		CHECK_FOR_INTERRUPTS();
		sum += add;
		{
			double		estimate = sum * h * half;

			if (level > 0 && fabs(estimate - prev) <= 1e-15 + 1e-13 * fabs(estimate))
				return estimate;
			prev = estimate;
		}
		h *= 0.5;
		/* the next level's sum counts the current points at half the spacing */
	}
	return prev;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * P(channel j has the highest rate among the included channels)
 * = integral over [0, 1] of f_j(x) * prod_{k != j} F_k(x) dx, split at each included
 * posterior's mean +- 1, 3 and 8 standard deviations so every segment is smooth at its scale.
 */
static double
probability_best(const Posterior *p, int n, int j)
{
	static const double offsets[] = {-8.0, -3.0, -1.0, 0.0, 1.0, 3.0, 8.0};
	double	   *cuts = palloc((lengthof(offsets) * n + 2) * sizeof(double));
	int			m = 0;
	double		total = 0.0;

	cuts[m++] = 0.0;
	cuts[m++] = 1.0;
	for (int k = 0; k < n; k++)
	{
		double		ab = p[k].alpha + p[k].beta;
		double		sd = sqrt(p[k].alpha * p[k].beta / (ab * ab * (ab + 1.0)));

		if (!p[k].included)
			continue;
		for (int c = 0; c < (int) lengthof(offsets); c++)
		{
			double		x = p[k].mean + offsets[c] * sd;

			if (x > 0.0 && x < 1.0)
				cuts[m++] = x;
		}
	}
	qsort(cuts, m, sizeof(double), cmp_double);
	for (int i = 0; i + 1 < m; i++)
		if (cuts[i + 1] > cuts[i])
			total += tanh_sinh(p, n, j, cuts[i], cuts[i + 1]);
	pfree(cuts);
	return Min(Max(total, 0.0), 1.0);
}

static int
included_count(const ChannelState *s, const Posterior *p)
{
	int			c = 0;

	for (int i = 0; i < s->nchannels; i++)
		c += p[i].included;
	return c;
}

static double
p_best_of(const ChannelState *s, const Posterior *p, int j)
{
	if (included_count(s, p) == 1)
		return 1.0;
	return probability_best(p, s->nchannels, j);
}

Datum
channel_preferred(PG_FUNCTION_ARGS)
{
	ChannelState *s;
	Posterior  *p;
	int			best;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = state_arg(fcinfo, 0, 0);
	p = posteriors(s);
	apply_exclude(fcinfo, 1, s, p);
	best = best_channel(s, p);
	if (best < 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(ENTRY_NAME(s, best), ENTRIES(s)[best].name_len));
}

Datum
channel_confidence(PG_FUNCTION_ARGS)
{
	ChannelState *s;
	Posterior  *p;
	int			best;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = state_arg(fcinfo, 0, 0);
	p = posteriors(s);
	apply_exclude(fcinfo, 1, s, p);
	best = best_channel(s, p);
	if (best < 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(p_best_of(s, p, best));
}

static void
credible_interval(const Posterior *q, double *lower, double *upper)
{
	*lower = omni_beta_inc_inv(q->alpha, q->beta, 0.025);
	*upper = omni_beta_inc_inv(q->alpha, q->beta, 0.975);
	if (isnan(*lower) || isnan(*upper))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cannot compute the credible interval of Beta(%g, %g)", q->alpha, q->beta)));
}

Datum
channel_scores(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ChannelState *s = state_arg(fcinfo, 0, 0);
	Posterior  *p = posteriors(s);

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < s->nchannels; i++)
	{
		Datum		values[7];
		bool		nulls[7] = {0};
		double		lower,
					upper;

		credible_interval(&p[i], &lower, &upper);
		values[0] = PointerGetDatum(cstring_to_text_with_len(ENTRY_NAME(s, i), ENTRIES(s)[i].name_len));
		values[1] = Float8GetDatum(p[i].sends);
		values[2] = Float8GetDatum(p[i].responses);
		values[3] = Float8GetDatum(p[i].mean);
		values[4] = Float8GetDatum(lower);
		values[5] = Float8GetDatum(upper);
		values[6] = Float8GetDatum(p_best_of(s, p, i));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

static void
append_double(StringInfo buf, double v)
{
	char		tmp[64];

	snprintf(tmp, sizeof(tmp), "%.17g", v);
	appendStringInfoString(buf, tmp);
}

static void
append_name(StringInfo buf, const ChannelState *s, int i)
{
	char	   *name = pnstrdup(ENTRY_NAME(s, i), ENTRIES(s)[i].name_len);

	escape_json(buf, name);
	pfree(name);
}

Datum
channel_scores_json(PG_FUNCTION_ARGS)
{
	ChannelState *s = state_arg(fcinfo, 0, 0);
	Posterior  *p = posteriors(s);
	int			best = best_channel(s, p);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"preferred\": ");
	if (best < 0)
		appendStringInfoString(&buf, "null, \"confidence\": null");
	else
	{
		append_name(&buf, s, best);
		appendStringInfoString(&buf, ", \"confidence\": ");
		append_double(&buf, p_best_of(s, p, best));
	}
	appendStringInfoString(&buf, ", \"channels\": {");
	for (int i = 0; i < s->nchannels; i++)
	{
		double		lower,
					upper;

		credible_interval(&p[i], &lower, &upper);
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		append_name(&buf, s, i);
		appendStringInfoString(&buf, ": {\"sends\": ");
		append_double(&buf, p[i].sends);
		appendStringInfoString(&buf, ", \"responses\": ");
		append_double(&buf, p[i].responses);
		appendStringInfoString(&buf, ", \"posterior_mean\": ");
		append_double(&buf, p[i].mean);
		appendStringInfoString(&buf, ", \"ci_lower\": ");
		append_double(&buf, lower);
		appendStringInfoString(&buf, ", \"ci_upper\": ");
		append_double(&buf, upper);
		appendStringInfoString(&buf, ", \"p_best\": ");
		append_double(&buf, p_best_of(s, p, i));
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "}}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

Datum
channel_prior_json(PG_FUNCTION_ARGS)
{
	ChannelState *s = state_arg(fcinfo, 0, CH_KIND_PRIOR);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"strength\": ");
	append_double(&buf, META(s)->strength);
	appendStringInfoString(&buf, ", \"channels\": {");
	for (int i = 0; i < s->nchannels; i++)
	{
		double		a0,
					b0;

		prior_params(s, i, &a0, &b0);
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		append_name(&buf, s, i);
		appendStringInfo(&buf, ": {\"sends\": " INT64_FORMAT ", \"responses\": " INT64_FORMAT
						 ", \"alpha0\": ", ENTRIES(s)[i].sends, ENTRIES(s)[i].responses);
		append_double(&buf, a0);
		appendStringInfoString(&buf, ", \"beta0\": ");
		append_double(&buf, b0);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "}}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
