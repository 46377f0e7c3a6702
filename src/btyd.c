/*
 * btyd.c — customer-base ("buy till you die") models: BG/NBD (Fader, Hardie & Lee 2005,
 * "Counting your customers the easy way"), BG/BB (Fader, Hardie & Shang 2010) and the
 * Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Hardie note 025), with
 * the summaries that turn transaction and send logs into their inputs.
 *
 * Fits are aggregates whose state, omni.btyd_fit_state, is the multiset of input patterns:
 * the distinct (frequency, recency, T) triples (or (x, t_x, n), or (x, mean spend)) with
 * their counts.  In memory that is an expanded object holding a simplehash table, so each
 * row is one hash probe, in place in the aggregate's context; flattened (to disk, to a
 * parallel leader, through Citus) it is the patterns sorted, so the text form is canonical
 * and every float8 bit survives.  The final function sorts the patterns before maximising
 * the likelihood, so the same rows give the same bits in any order, serial or parallel.
 *
 * Summaries are aggregates over one customer's rows with a flat varlena state
 * (omni.btyd_summary_state) that grows by doubling, as omni.message_state does.
 *
 * Model values are composite types (readable as columns, storable); every function that
 * reads one checks its parameters, so an edited stored model gives an error naming the
 * parameter rather than a NaN.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/expandeddatum.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "common/hexform.h"
#include "common/optimize.h"
#include "common/special.h"
#include "common/timecalc.h"

PG_FUNCTION_INFO_V1(btyd_fit_state_in);
PG_FUNCTION_INFO_V1(btyd_fit_state_out);
PG_FUNCTION_INFO_V1(btyd_fit_state_recv);
PG_FUNCTION_INFO_V1(btyd_fit_state_send);
PG_FUNCTION_INFO_V1(bgnbd_fit_trans);
PG_FUNCTION_INFO_V1(bgnbd_fit_penalized_trans);
PG_FUNCTION_INFO_V1(bgbb_fit_trans);
PG_FUNCTION_INFO_V1(bgbb_fit_counted_trans);
PG_FUNCTION_INFO_V1(gamma_gamma_fit_trans);
PG_FUNCTION_INFO_V1(btyd_fit_combine);
PG_FUNCTION_INFO_V1(bgnbd_fit_final);
PG_FUNCTION_INFO_V1(bgbb_fit_final);
PG_FUNCTION_INFO_V1(gamma_gamma_fit_final);
PG_FUNCTION_INFO_V1(bgnbd_model_make);
PG_FUNCTION_INFO_V1(bgbb_model_make);
PG_FUNCTION_INFO_V1(gamma_gamma_model_make);
PG_FUNCTION_INFO_V1(bgnbd_p_alive);
PG_FUNCTION_INFO_V1(bgnbd_expected_events);
PG_FUNCTION_INFO_V1(bgnbd_log_likelihood);
PG_FUNCTION_INFO_V1(bgbb_p_alive);
PG_FUNCTION_INFO_V1(bgbb_expected_events);
PG_FUNCTION_INFO_V1(bgbb_log_likelihood);
PG_FUNCTION_INFO_V1(gamma_gamma_expected_spend);
PG_FUNCTION_INFO_V1(gamma_gamma_log_likelihood);
PG_FUNCTION_INFO_V1(btyd_clv);
PG_FUNCTION_INFO_V1(btyd_hyp2f1);
PG_FUNCTION_INFO_V1(btyd_summary_state_in);
PG_FUNCTION_INFO_V1(btyd_summary_state_out);
PG_FUNCTION_INFO_V1(btyd_summary_state_recv);
PG_FUNCTION_INFO_V1(btyd_summary_state_send);
PG_FUNCTION_INFO_V1(btyd_summary_trans);
PG_FUNCTION_INFO_V1(bgbb_summary_trans);
PG_FUNCTION_INFO_V1(btyd_summary_combine);
PG_FUNCTION_INFO_V1(btyd_summary_final);
PG_FUNCTION_INFO_V1(bgbb_summary_final);

/* which model a fit state feeds; also the first byte after the version on the wire */
#define FIT_BGNBD			1
#define FIT_BGBB			2
#define FIT_GAMMA_GAMMA		3

#define FIT_STATE_VERSION	1
#define FIT_FLAG_PENALIZED	0x01
/* version, kind, flags, penalizer, entry count */
#define FIT_WIRE_HEADER		(1 + 1 + 1 + 8 + 4)
/* three float8 keys and an int64 count */
#define FIT_WIRE_ENTRY		(3 * 8 + 8)
#define FIT_MAX_ENTRIES		((int32) ((MaxAllocSize - FIT_WIRE_HEADER - VARHDRSZ) / FIT_WIRE_ENTRY))

/* a BG/BB customer may have at most this many opportunities: its likelihood sums n terms */
#define BGBB_MAX_OPPORTUNITIES 1000000.0

/* optimiser settings, on the mean negative log-likelihood in log-parameter space */
#define FIT_GRADIENT_TOLERANCE	1e-10
#define FIT_MAX_ITERATIONS		1000
#define FIT_MAX_STEP			2.0

static const char *const fit_model_names[] = {"", "omni.bgnbd_fit", "omni.bgbb_fit", "omni.gamma_gamma_fit"};

/* ---------- input checks ---------- */

/* a float8 as PostgreSQL prints it: shortest exact digits, NaN, Infinity */
static inline char *
show(double value)
{
	return float8out_internal(value);
}

static inline void
check_finite(double value, const char *what, int errcode_value)
{
	if (!isfinite(value))
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("%s must be a finite number, not %s", what, show(value)),
				 errhint("NaN and infinity have no meaning here; filter or fix those rows.")));
}

static inline void
check_whole(double value, const char *what, int errcode_value)
{
	check_finite(value, what, errcode_value);
	if (value < 0.0 || value != floor(value))
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("%s must be a whole number >= 0, not %s", what, show(value)),
				 errhint("It counts transactions or opportunities.")));
}

/*
 * One BG/NBD customer: frequency x (repeat transactions, whole), recency t_x and age T in
 * the same time unit, 0 <= t_x <= T, with t_x = 0 exactly when x = 0 (the first purchase
 * is at time 0 and every repeat comes later).
 */
static void
check_bgnbd_customer(double x, double t_x, double t, int errcode_value)
{
	check_whole(x, "frequency", errcode_value);
	check_finite(t_x, "recency", errcode_value);
	check_finite(t, "t", errcode_value);
	if (t_x < 0.0 || t < 0.0)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("recency and t cannot be negative: recency %s, t %s", show(t_x), show(t)),
				 errhint("Both are times since the customer's first transaction.")));
	if (t_x > t)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("recency %s exceeds t %s", show(t_x), show(t)),
				 errhint("recency is the time of the last repeat transaction since the first, t the time from the first to the end of observation, so recency <= t.")));
	if (x > 0.0 && t_x == 0.0)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("frequency %s with recency 0", show(x)),
				 errhint("Repeat transactions happen after the first one, so frequency > 0 needs recency > 0; count transactions in the first period as one (omni.btyd_summary does).")));
	if (x == 0.0 && t_x != 0.0)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("frequency 0 with recency %s", show(t_x)),
				 errhint("A customer without repeat transactions has recency 0.")));
}

/*
 * One BG/BB customer: x transactions in n discrete opportunities, the last at opportunity
 * t_x (1-based), so 0 <= x <= t_x <= n, and t_x = 0 exactly when x = 0.
 */
static void
check_bgbb_customer(double x, double t_x, double n, int errcode_value)
{
	check_whole(x, "frequency", errcode_value);
	check_whole(t_x, "recency", errcode_value);
	check_whole(n, "n", errcode_value);
	if (n > BGBB_MAX_OPPORTUNITIES)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("n %s exceeds the limit of %s opportunities", show(n), show(BGBB_MAX_OPPORTUNITIES)),
				 errhint("The BG/BB likelihood sums one term per opportunity; use coarser opportunities.")));
	if (!(x <= t_x && t_x <= n))
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("frequency %s, recency %s and n %s are inconsistent", show(x), show(t_x), show(n)),
				 errhint("x transactions at distinct opportunities, the last at opportunity t_x of n: 0 <= x <= t_x <= n.")));
	if ((x == 0.0) != (t_x == 0.0))
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("frequency %s with recency %s", show(x), show(t_x)),
				 errhint("recency is the opportunity of the last transaction: 0 exactly when frequency is 0.")));
}

/* One Gamma-Gamma customer: x repeat transactions with mean value m (ignored when x = 0). */
static void
check_spend_customer(double x, double m, int errcode_value)
{
	check_whole(x, "frequency", errcode_value);
	check_finite(m, "monetary_value", errcode_value);
	if (m < 0.0 || (x > 0.0 && m == 0.0))
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("monetary_value must be > 0 for a customer with repeat transactions, not %s", show(m)),
				 errhint("Gamma-Gamma models positive spend: the mean value of the repeat transactions.")));
}

static void
check_fit_row(int kind, const double *key, int errcode_value)
{
	switch (kind)
	{
		case FIT_BGNBD:
			check_bgnbd_customer(key[0], key[1], key[2], errcode_value);
			break;
		case FIT_BGBB:
			check_bgbb_customer(key[0], key[1], key[2], errcode_value);
			break;
		case FIT_GAMMA_GAMMA:
			check_spend_customer(key[0], key[1], errcode_value);
			if (key[0] == 0.0 || key[2] != 0.0)
				ereport(ERROR,
						(errcode(errcode_value),
						 errmsg("omni.btyd_fit_state: a Gamma-Gamma entry needs frequency > 0 and no third key, not (%s, %s, %s)",
								show(key[0]), show(key[1]), show(key[2])),
						 errhint("The state is corrupt; recompute it with omni.gamma_gamma_fit.")));
			break;
	}
}

static void
check_penalizer(double penalizer, int errcode_value)
{
	if (!(penalizer >= 0.0) || !isfinite(penalizer))
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("penalizer must be a finite number >= 0, not %s", show(penalizer)),
				 errhint("It is the precision of a normal prior on each log-parameter; 0 is plain maximum likelihood.")));
}

/* ---------- omni.btyd_fit_state: the multiset of customer patterns ---------- */

typedef struct FitKey
{
	double		v[3];
} FitKey;

typedef struct FitEntry
{
	FitKey		key;
	int64		count;
	uint32		hash;
	char		status;
} FitEntry;

static inline uint32
fit_key_hash(FitKey key)
{
	return hash_bytes((const unsigned char *) &key, sizeof(FitKey));
}

#define SH_PREFIX		fitset
#define SH_ELEMENT_TYPE FitEntry
#define SH_KEY_TYPE		FitKey
#define SH_KEY			key
#define SH_HASH_KEY(tb, k) fit_key_hash(k)
#define SH_EQUAL(tb, a, b) (memcmp(&(a), &(b), sizeof(FitKey)) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* a pattern as the fit reads it: keys and count, sorted */
typedef struct FitRow
{
	double		key[3];
	int64		count;
} FitRow;

/* The expanded (in-memory) form.  sorted caches the flat form's order; NULL after a change. */
typedef struct FitState
{
	ExpandedObjectHeader hdr;
	int			kind;
	bool		penalized;
	double		penalizer;
	int64		customers;		/* sum of counts */
	fitset_hash *table;
	FitRow	   *sorted;
	int32		n_sorted;
} FitState;

/* The flat form, decoded: header fields and the sorted rows. */
typedef struct FitPatterns
{
	int			kind;
	bool		penalized;
	double		penalizer;
	int64		customers;
	int32		n;
	FitRow	   *rows;
} FitPatterns;

static Size fit_get_flat_size(ExpandedObjectHeader *eohptr);
static void fit_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods fit_methods = {
	fit_get_flat_size,
	fit_flatten_into
};

static int
compare_fit_rows(const void *a, const void *b)
{
	const FitRow *x = (const FitRow *) a;
	const FitRow *y = (const FitRow *) b;
	int			i;

	for (i = 0; i < 3; i++)
	{
		if (x->key[i] < y->key[i])
			return -1;
		if (x->key[i] > y->key[i])
			return 1;
	}
	return 0;
}

static FitState *
new_fit_state(MemoryContext parent, int kind, bool penalized, double penalizer)
{
	MemoryContext context = AllocSetContextCreate(parent, "omni btyd_fit_state",
												  ALLOCSET_DEFAULT_SIZES);
	FitState   *state = (FitState *) MemoryContextAllocZero(context, sizeof(FitState));

	EOH_init_header(&state->hdr, &fit_methods, context);
	state->kind = kind;
	state->penalized = penalized;
	state->penalizer = penalizer;
	state->table = fitset_create(context, 64, NULL);
	return state;
}

static void
report_too_many_customers(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("too many customers for one fit: more than " INT64_FORMAT, PG_INT64_MAX),
			 errhint("Counts are bigint; fit on fewer rows.")));
}

/* count more customers with this (already checked) pattern */
static void
fit_state_add(FitState *state, const double *key, int64 count)
{
	FitKey		k;
	FitEntry   *entry;
	bool		found;
	int			i;

	for (i = 0; i < 3; i++)
		k.v[i] = key[i] == 0.0 ? 0.0 : key[i];	/* -0 and 0 are one pattern */
	if (pg_add_s64_overflow(state->customers, count, &state->customers))
		report_too_many_customers();
	entry = fitset_insert(state->table, k, &found);
	if (!found)
		entry->count = 0;
	entry->count += count;
	state->sorted = NULL;
}

/* the patterns in canonical order, cached in the object's context */
static const FitRow *
fit_state_sorted(FitState *state, int32 *n)
{
	if (state->sorted == NULL)
	{
		fitset_iterator it;
		FitEntry   *entry;
		int32		i = 0;

		if (state->table->members > (uint32) FIT_MAX_ENTRIES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("omni.btyd_fit_state cannot hold more than %d distinct patterns",
							FIT_MAX_ENTRIES),
					 errhint("Round recency and T to a coarser unit so that customers share patterns.")));
		state->sorted = (FitRow *) MemoryContextAlloc(state->hdr.eoh_context,
													  sizeof(FitRow) * Max(state->table->members, 1));
		fitset_start_iterate(state->table, &it);
		while ((entry = fitset_iterate(state->table, &it)) != NULL)
		{
			memcpy(state->sorted[i].key, entry->key.v, sizeof(entry->key.v));
			state->sorted[i].count = entry->count;
			i++;
		}
		qsort(state->sorted, i, sizeof(FitRow), compare_fit_rows);
		state->n_sorted = i;
	}
	*n = state->n_sorted;
	return state->sorted;
}

/* The binary form: the send function's output and, after \x and hex, the text form. */
static void
encode_fit(StringInfo buf, int kind, bool penalized, double penalizer, const FitRow *rows, int32 n)
{
	int32		i;

	pq_sendbyte(buf, FIT_STATE_VERSION);
	pq_sendbyte(buf, kind);
	pq_sendbyte(buf, penalized ? FIT_FLAG_PENALIZED : 0);
	pq_sendfloat8(buf, penalizer);
	pq_sendint32(buf, n);
	for (i = 0; i < n; i++)
	{
		pq_sendfloat8(buf, rows[i].key[0]);
		pq_sendfloat8(buf, rows[i].key[1]);
		pq_sendfloat8(buf, rows[i].key[2]);
		pq_sendint64(buf, rows[i].count);
	}
}

static Size
fit_get_flat_size(ExpandedObjectHeader *eohptr)
{
	FitState   *state = (FitState *) eohptr;
	int32		n;

	fit_state_sorted(state, &n);
	return VARHDRSZ + FIT_WIRE_HEADER + (Size) n * FIT_WIRE_ENTRY;
}

static void
fit_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	FitState   *state = (FitState *) eohptr;
	StringInfoData buf;
	const FitRow *rows;
	int32		n;

	rows = fit_state_sorted(state, &n);
	initStringInfo(&buf);
	encode_fit(&buf, state->kind, state->penalized, state->penalizer, rows, n);
	Assert(allocated_size == VARHDRSZ + (Size) buf.len);
	SET_VARSIZE(result, VARHDRSZ + buf.len);
	memcpy(VARDATA(result), buf.data, buf.len);
	pfree(buf.data);
}

static void
report_corrupt_fit(int errcode_value, const char *detail)
{
	ereport(ERROR,
			(errcode(errcode_value),
			 errmsg("invalid omni.btyd_fit_state: %s", detail),
			 errhint("Pass a state written by omni's own output or send functions; recompute it from the customers otherwise.")));
}

/*
 * Decode and check a flat state: every length against the message, every header field,
 * every pattern as the aggregate would have checked it, strict canonical order (so no
 * duplicates) and a total that fits a bigint.  Shared by recv, the text input and any
 * flat state SQL passes to a support function.
 */
static void
decode_fit(const char *data, int len, int errcode_value, FitPatterns *out)
{
	StringInfoData buf;
	int			version;
	int			flags;
	int32		n;
	int32		i;

	if (len < 1)
		report_corrupt_fit(errcode_value, "empty");
	buf.data = (char *) data;
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	version = pq_getmsgbyte(&buf);
	if (version != FIT_STATE_VERSION)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("unsupported omni.btyd_fit_state format version %d", version),
				 errhint("This omni reads version %d; upgrade omni on the receiving side.",
						 FIT_STATE_VERSION)));
	if (len < FIT_WIRE_HEADER)
		report_corrupt_fit(errcode_value, psprintf("%d bytes is shorter than its header", len));
	out->kind = pq_getmsgbyte(&buf);
	if (out->kind < FIT_BGNBD || out->kind > FIT_GAMMA_GAMMA)
		report_corrupt_fit(errcode_value, psprintf("unknown model kind %d", out->kind));
	flags = pq_getmsgbyte(&buf);
	if ((flags & ~FIT_FLAG_PENALIZED) != 0 ||
		((flags & FIT_FLAG_PENALIZED) != 0 && out->kind != FIT_BGNBD))
		report_corrupt_fit(errcode_value, psprintf("invalid flags %d", flags));
	out->penalized = (flags & FIT_FLAG_PENALIZED) != 0;
	out->penalizer = pq_getmsgfloat8(&buf);
	check_penalizer(out->penalizer, errcode_value);
	if (!out->penalized && out->penalizer != 0.0)
		report_corrupt_fit(errcode_value, "a penalizer without the penalized flag");
	n = (int32) pq_getmsgint(&buf, 4);
	if (n < 0 || n > FIT_MAX_ENTRIES || len != FIT_WIRE_HEADER + n * FIT_WIRE_ENTRY)
		report_corrupt_fit(errcode_value,
						   psprintf("%d patterns do not match its length of %d bytes", n, len));
	out->n = n;
	out->customers = 0;
	out->rows = (FitRow *) palloc(sizeof(FitRow) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		FitRow	   *row = &out->rows[i];

		row->key[0] = pq_getmsgfloat8(&buf);
		row->key[1] = pq_getmsgfloat8(&buf);
		row->key[2] = pq_getmsgfloat8(&buf);
		row->count = pq_getmsgint64(&buf);
		check_fit_row(out->kind, row->key, errcode_value);
		if (row->count <= 0)
			report_corrupt_fit(errcode_value,
							   psprintf("pattern %d has count " INT64_FORMAT, i + 1, row->count));
		if (i > 0 && compare_fit_rows(&out->rows[i - 1], row) >= 0)
			report_corrupt_fit(errcode_value,
							   psprintf("patterns out of order at %d", i + 1));
		if ((row->key[0] == 0.0 && signbit(row->key[0])) ||
			(row->key[1] == 0.0 && signbit(row->key[1])) ||
			(row->key[2] == 0.0 && signbit(row->key[2])))
			report_corrupt_fit(errcode_value, "a negative zero");
		if (pg_add_s64_overflow(out->customers, row->count, &out->customers))
			report_corrupt_fit(errcode_value, "counts overflow a bigint");
	}
	pq_getmsgend(&buf);
}

/* The patterns of a state argument, expanded or flat, read-only. */
static void
fit_patterns_arg(FunctionCallInfo fcinfo, int argno, FitPatterns *out)
{
	Datum		d = PG_GETARG_DATUM(argno);

	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		FitState   *state = (FitState *) DatumGetEOHP(d);

		if (state->hdr.eoh_methods != &fit_methods)
			elog(ERROR, "expanded object is not an omni.btyd_fit_state");
		out->kind = state->kind;
		out->penalized = state->penalized;
		out->penalizer = state->penalizer;
		out->customers = state->customers;
		out->rows = (FitRow *) fit_state_sorted(state, &out->n);
	}
	else
	{
		struct varlena *flat = PG_DETOAST_DATUM(d);

		decode_fit(VARDATA(flat), VARSIZE(flat) - VARHDRSZ, ERRCODE_DATA_CORRUPTED, out);
	}
}

/*
 * The state a transition or combine call may update: the argument itself when it is our
 * read-write object living in this aggregate's context, else a copy (so a plain function
 * call never changes its input).
 */
static FitState *
fit_state_for_update(FunctionCallInfo fcinfo, int argno)
{
	MemoryContext aggcontext;
	bool		in_aggregate = AggCheckCallContext(fcinfo, &aggcontext) != 0;
	MemoryContext parent = in_aggregate ? aggcontext : CurrentMemoryContext;
	Datum		d = PG_GETARG_DATUM(argno);
	FitPatterns patterns;
	FitState   *state;
	int32		i;

	if (in_aggregate && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
	{
		state = (FitState *) DatumGetEOHP(d);
		if (state->hdr.eoh_methods == &fit_methods &&
			MemoryContextGetParent(state->hdr.eoh_context) == aggcontext)
			return state;
	}
	fit_patterns_arg(fcinfo, argno, &patterns);
	state = new_fit_state(parent, patterns.kind, patterns.penalized, patterns.penalizer);
	for (i = 0; i < patterns.n; i++)
		fit_state_add(state, patterns.rows[i].key, patterns.rows[i].count);
	return state;
}

static FitState *
fit_state_start(FunctionCallInfo fcinfo, int kind, bool penalized, double penalizer)
{
	MemoryContext aggcontext;

	if (PG_ARGISNULL(0))
	{
		if (!AggCheckCallContext(fcinfo, &aggcontext))
			aggcontext = CurrentMemoryContext;
		return new_fit_state(aggcontext, kind, penalized, penalizer);
	}
	return fit_state_for_update(fcinfo, 0);
}

static void
check_same_fit(int kind, bool penalized, double penalizer, const FitState *state)
{
	if (kind != state->kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot use a state of %s in %s",
						fit_model_names[state->kind], fit_model_names[kind]),
				 errhint("Each fit aggregate reads only the states it builds.")));
	if (penalized != state->penalized || penalizer != state->penalizer)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalizer differs between rows or states of one fit: %s and %s",
						show(penalizer), show(state->penalizer)),
				 errhint("Pass one constant penalizer for the whole fit.")));
}

#define RETURN_FIT_STATE(state) PG_RETURN_DATUM(EOHPGetRWDatum(&(state)->hdr))

/* shared by the transitions: skip NULL rows, else check and count one pattern */
static Datum
fit_trans(FunctionCallInfo fcinfo, int kind, int nkeys, bool penalized, int count_arg)
{
	double		key[3] = {0.0, 0.0, 0.0};
	double		penalizer = 0.0;
	int64		count = 1;
	FitState   *state;
	int			i;

	for (i = 1; i <= nkeys; i++)
		if (PG_ARGISNULL(i))
			goto skip;
	if ((penalized && PG_ARGISNULL(nkeys + 1)) || (count_arg > 0 && PG_ARGISNULL(count_arg)))
		goto skip;
	for (i = 0; i < nkeys; i++)
		key[i] = PG_GETARG_FLOAT8(i + 1);
	if (penalized)
	{
		penalizer = PG_GETARG_FLOAT8(nkeys + 1);
		check_penalizer(penalizer, ERRCODE_INVALID_PARAMETER_VALUE);
	}
	if (count_arg > 0)
	{
		count = PG_GETARG_INT64(count_arg);
		if (count < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("customers count cannot be negative: " INT64_FORMAT, count),
					 errhint("It is how many customers share this pattern; 0 rows are skipped.")));
	}
	if (kind == FIT_GAMMA_GAMMA)
		check_spend_customer(key[0], key[1], ERRCODE_INVALID_PARAMETER_VALUE);
	else
		check_fit_row(kind, key, ERRCODE_INVALID_PARAMETER_VALUE);

	state = fit_state_start(fcinfo, kind, penalized, penalizer);
	check_same_fit(kind, penalized, penalizer, state);
	/* Gamma-Gamma learns from repeat transactions only: a customer without any is skipped */
	if (count > 0 && !(kind == FIT_GAMMA_GAMMA && key[0] == 0.0))
	{
		if (kind == FIT_GAMMA_GAMMA)
			key[2] = 0.0;
		fit_state_add(state, key, count);
	}
	RETURN_FIT_STATE(state);

skip:
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

Datum
bgnbd_fit_trans(PG_FUNCTION_ARGS)
{
	return fit_trans(fcinfo, FIT_BGNBD, 3, false, 0);
}

Datum
bgnbd_fit_penalized_trans(PG_FUNCTION_ARGS)
{
	return fit_trans(fcinfo, FIT_BGNBD, 3, true, 0);
}

Datum
bgbb_fit_trans(PG_FUNCTION_ARGS)
{
	return fit_trans(fcinfo, FIT_BGBB, 3, false, 0);
}

Datum
bgbb_fit_counted_trans(PG_FUNCTION_ARGS)
{
	return fit_trans(fcinfo, FIT_BGBB, 3, false, 4);
}

Datum
gamma_gamma_fit_trans(PG_FUNCTION_ARGS)
{
	return fit_trans(fcinfo, FIT_GAMMA_GAMMA, 2, false, 0);
}

Datum
btyd_fit_combine(PG_FUNCTION_ARGS)
{
	FitPatterns other;
	FitState   *state;
	int32		i;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	fit_patterns_arg(fcinfo, 1, &other);
	if (PG_ARGISNULL(0))
	{
		MemoryContext aggcontext;

		if (!AggCheckCallContext(fcinfo, &aggcontext))
			aggcontext = CurrentMemoryContext;
		state = new_fit_state(aggcontext, other.kind, other.penalized, other.penalizer);
	}
	else
		state = fit_state_for_update(fcinfo, 0);
	check_same_fit(other.kind, other.penalized, other.penalizer, state);
	for (i = 0; i < other.n; i++)
		fit_state_add(state, other.rows[i].key, other.rows[i].count);
	RETURN_FIT_STATE(state);
}

/* a flat varlena holding exactly these bytes */
static struct varlena *
make_flat(const char *bytes, int len)
{
	struct varlena *flat = (struct varlena *) palloc(VARHDRSZ + len);

	SET_VARSIZE(flat, VARHDRSZ + len);
	memcpy(VARDATA(flat), bytes, len);
	return flat;
}

/* the canonical binary form of a state argument (flattening an expanded one) */
static bytea *
fit_state_bytes(FunctionCallInfo fcinfo)
{
	FitPatterns patterns;
	StringInfoData buf;

	fit_patterns_arg(fcinfo, 0, &patterns);
	pq_begintypsend(&buf);
	encode_fit(&buf, patterns.kind, patterns.penalized, patterns.penalizer, patterns.rows, patterns.n);
	return pq_endtypsend(&buf);
}

Datum
btyd_fit_state_in(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	FitPatterns patterns;

	omni_hex_parse(PG_GETARG_CSTRING(0), "omni.btyd_fit_state", &buf);
	decode_fit(buf.data, buf.len, ERRCODE_INVALID_TEXT_REPRESENTATION, &patterns);
	PG_RETURN_POINTER(make_flat(buf.data, buf.len));
}

Datum
btyd_fit_state_out(PG_FUNCTION_ARGS)
{
	bytea	   *binary = fit_state_bytes(fcinfo);

	PG_RETURN_CSTRING(omni_hex_text(VARDATA(binary), VARSIZE(binary) - VARHDRSZ));
}

Datum
btyd_fit_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const char *start = buf->data + buf->cursor;
	int			len = buf->len - buf->cursor;
	FitPatterns patterns;

	decode_fit(start, len, ERRCODE_INVALID_BINARY_REPRESENTATION, &patterns);
	buf->cursor = buf->len;
	PG_RETURN_POINTER(make_flat(start, len));
}

Datum
btyd_fit_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(fit_state_bytes(fcinfo));
}

/* ---------- likelihoods ---------- */

typedef struct FitData
{
	const FitRow *rows;
	int32		n;
	double		customers;
	double		penalizer;		/* BG/NBD: precision of the prior on each log-parameter */
	double		prior_mean[4];	/* and its means */
} FitData;

/*
 * BG/NBD, FHL (2005) eq. 6: with x repeat transactions, the last at t_x, observed for T,
 *   L = B(a, b+x)/B(a, b) * Gamma(r+x)/Gamma(r) * alpha^r
 *       * [ (alpha+T)^-(r+x) + [x > 0] a/(b+x-1) * (alpha+t_x)^-(r+x) ]
 * written as A1 + A2 + ln(e^A3 + [x > 0] e^A4) and summed with the log-sum-exp trick, so
 * large x (ln L = +100 in Hardie note 027's test) neither overflows nor underflows.
 * Returns ln L of one customer; with gradient != NULL, adds d ln L / d(r, alpha, a, b).
 */
static double
bgnbd_customer_ll(double r, double alpha, double a, double b, double x, double t_x, double t,
				  double *gradient)
{
	double		rx = r + x;
	double		a1 = lgamma(rx) - lgamma(r) + r * log(alpha);
	double		a2 = lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x);
	double		log_t = log(alpha + t);
	double		a3 = -rx * log_t;
	double		w3 = 1.0;
	double		w4 = 0.0;
	double		log_tx = 0.0;
	double		ll;

	if (x > 0.0)
	{
		double		a4;
		double		top;
		double		e3;
		double		e4;

		log_tx = log(alpha + t_x);
		a4 = log(a) - log(b + x - 1.0) - rx * log_tx;
		top = Max(a3, a4);
		e3 = exp(a3 - top);
		e4 = exp(a4 - top);
		ll = a1 + a2 + top + log(e3 + e4);
		w3 = e3 / (e3 + e4);
		w4 = e4 / (e3 + e4);
	}
	else
		ll = a1 + a2 + a3;

	if (gradient != NULL)
	{
		double		psi_ab = omni_digamma(a + b);
		double		psi_abx = omni_digamma(a + b + x);

		gradient[0] += omni_digamma(rx) - omni_digamma(r) + log(alpha) - w3 * log_t - w4 * log_tx;
		gradient[1] += r / alpha - rx * (w3 / (alpha + t) + (x > 0.0 ? w4 / (alpha + t_x) : 0.0));
		gradient[2] += psi_ab - psi_abx + (x > 0.0 ? w4 / a : 0.0);
		gradient[3] += psi_ab + omni_digamma(b + x) - omni_digamma(b) - psi_abx -
			(x > 0.0 ? w4 / (b + x - 1.0) : 0.0);
	}
	return ll;
}

/*
 * The mean negative log-likelihood (plus the prior, see bgnbd_fit_final) in log-parameter
 * space.  The terms that depend on x only are computed once per distinct x (the patterns
 * are sorted by x first), so the per-pattern cost is two logarithms and an exponential.
 */
static double
bgnbd_objective(const double *lp, double *gradient, void *context)
{
	FitData    *d = (FitData *) context;
	double		theta[4];
	double		ll = 0.0;
	double		g[4] = {0.0, 0.0, 0.0, 0.0};
	double		lg_r,
				psi_r,
				lg_ab,
				psi_ab,
				lg_b,
				psi_b;
	double		value;
	int32		i = 0;
	int			k;

	for (k = 0; k < 4; k++)
	{
		theta[k] = exp(lp[k]);
		if (!(theta[k] > 0.0) || !isfinite(theta[k]))
			return INFINITY;
	}
#define R theta[0]
#define ALPHA theta[1]
#define A theta[2]
#define B theta[3]
	lg_r = lgamma(R);
	psi_r = omni_digamma(R);
	lg_ab = lgamma(A + B);
	psi_ab = omni_digamma(A + B);
	lg_b = lgamma(B);
	psi_b = omni_digamma(B);

	while (i < d->n)
	{
		double		x = d->rows[i].key[0];
		double		rx = R + x;
		double		psi_abx = omni_digamma(A + B + x);
		/* per-x parts of ln L and its gradient (A1 + A2 of bgnbd_customer_ll) */
		double		c = lgamma(rx) - lg_r + R * lp[1] + lg_ab + lgamma(B + x) - lg_b - lgamma(A + B + x);
		double		c_r = omni_digamma(rx) - psi_r + lp[1];
		double		c_alpha = R / ALPHA;
		double		c_a = psi_ab - psi_abx;
		double		c_b = psi_ab + omni_digamma(B + x) - psi_b - psi_abx;
		double		log_a_b = x > 0.0 ? lp[2] - log(B + x - 1.0) : 0.0;
		double		run = 0.0;

		CHECK_FOR_INTERRUPTS();
		for (; i < d->n && d->rows[i].key[0] == x; i++)
		{
			double		w = (double) d->rows[i].count;
			double		t_x = d->rows[i].key[1];
			double		t = d->rows[i].key[2];
			double		log_t = log(ALPHA + t);
			double		a3 = -rx * log_t;

			run += w;
			if (x > 0.0)
			{
				double		log_tx = log(ALPHA + t_x);
				double		a4 = log_a_b - rx * log_tx;
				double		top = Max(a3, a4);
				double		e3 = exp(a3 - top);
				double		e4 = exp(a4 - top);
				double		s = e3 + e4;

				ll += w * (top + log(s));
				e3 /= s;
				e4 /= s;
				g[0] -= w * (e3 * log_t + e4 * log_tx);
				g[1] -= w * rx * (e3 / (ALPHA + t) + e4 / (ALPHA + t_x));
				g[2] += w * e4 / A;
				g[3] -= w * e4 / (B + x - 1.0);
			}
			else
			{
				ll += w * a3;
				g[0] -= w * log_t;
				g[1] -= w * rx / (ALPHA + t);
			}
		}
		ll += run * c;
		g[0] += run * c_r;
		g[1] += run * c_alpha;
		g[2] += run * c_a;
		g[3] += run * c_b;
	}

	value = -ll;
	for (k = 0; k < 4; k++)
	{
		double		z = lp[k] - d->prior_mean[k];

		/* chain rule into log space: d/d ln(theta) = theta d/d theta */
		gradient[k] = (-g[k] * theta[k] + d->penalizer * z) / d->customers;
		value += 0.5 * d->penalizer * z * z;
	}
#undef R
#undef ALPHA
#undef A
#undef B
	return value / d->customers;
}

/*
 * BG/BB, FHS (2010) eq. 5: with x transactions in n opportunities, the last at t_x,
 *   L = B(al+x, be+n-x)/B(al, be) * B(ga, de+n)/B(ga, de)
 *     + sum_{i=0}^{n-t_x-1} B(al+x, be+t_x-x+i)/B(al, be) * B(ga+1, de+t_x+i)/B(ga, de)
 * The sum's terms follow each other by the ratio (be+t_x-x+i)/(al+be+t_x+i) *
 * (de+t_x+i)/(ga+de+1+t_x+i), and the digammas of their gradients by psi(z+1) = psi(z) + 1/z,
 * so a pattern costs O(n - t_x) elementary operations, not special functions.
 */
typedef struct BetaParts
{
	double		lb_ab;
	double		lb_gd;
	double		psi_a;
	double		psi_b;
	double		psi_ab;
	double		psi_g;
	double		psi_d;
	double		psi_gd;
} BetaParts;

static void
bgbb_parts(const double *theta, BetaParts *p, bool with_gradient)
{
	p->lb_ab = omni_lbeta(theta[0], theta[1]);
	p->lb_gd = omni_lbeta(theta[2], theta[3]);
	if (with_gradient)
	{
		p->psi_a = omni_digamma(theta[0]);
		p->psi_b = omni_digamma(theta[1]);
		p->psi_ab = omni_digamma(theta[0] + theta[1]);
		p->psi_g = omni_digamma(theta[2]);
		p->psi_d = omni_digamma(theta[3]);
		p->psi_gd = omni_digamma(theta[2] + theta[3]);
	}
}

static double
bgbb_customer_ll(const double *theta, const BetaParts *p, double x, double t_x, double n,
				 double *gradient)
{
	double		al = theta[0],
				be = theta[1],
				ga = theta[2],
				de = theta[3];
	double		l0 = omni_lbeta(al + x, be + n - x) - p->lb_ab + omni_lbeta(ga, de + n) - p->lb_gd;
	double		terms = n - t_x;
	double		u = be + t_x - x;
	double		v = al + be + t_x;
	double		s = de + t_x;
	double		q = ga + de + 1.0 + t_x;
	double		li = terms > 0.0 ?
		lgamma(al + x) + lgamma(u) - lgamma(v) - p->lb_ab +
		lgamma(ga + 1.0) + lgamma(s) - lgamma(q) - p->lb_gd : -INFINITY;
	double		top = Max(l0, li);	/* the sum's terms decrease with i */
	double		sum = exp(l0 - top);
	double		acc[4] = {0.0, 0.0, 0.0, 0.0};
	double		psi_ax = 0.0,
				psi_g1 = 0.0,
				psi_u = 0.0,
				psi_v = 0.0,
				psi_s = 0.0,
				psi_q = 0.0;
	double		i;

	if (gradient != NULL)
	{
		double		psi_abn = omni_digamma(al + be + n);
		double		psi_gdn = omni_digamma(ga + de + n);

		psi_ax = omni_digamma(al + x);
		psi_g1 = omni_digamma(ga + 1.0);
		acc[0] = sum * (psi_ax - psi_abn - (p->psi_a - p->psi_ab));
		acc[1] = sum * (omni_digamma(be + n - x) - psi_abn - (p->psi_b - p->psi_ab));
		acc[2] = sum * (p->psi_gd - psi_gdn);
		acc[3] = sum * (omni_digamma(de + n) - psi_gdn - (p->psi_d - p->psi_gd));
		if (terms > 0.0)
		{
			psi_u = omni_digamma(u);
			psi_v = omni_digamma(v);
			psi_s = omni_digamma(s);
			psi_q = omni_digamma(q);
		}
	}
	for (i = 0.0; i < terms; i += 1.0)
	{
		double		e = exp(li - top);

		sum += e;
		if (gradient != NULL)
		{
			acc[0] += e * (psi_ax - psi_v - (p->psi_a - p->psi_ab));
			acc[1] += e * (psi_u - psi_v - (p->psi_b - p->psi_ab));
			acc[2] += e * (psi_g1 - psi_q - (p->psi_g - p->psi_gd));
			acc[3] += e * (psi_s - psi_q - (p->psi_d - p->psi_gd));
			psi_u += 1.0 / u;
			psi_v += 1.0 / v;
			psi_s += 1.0 / s;
			psi_q += 1.0 / q;
		}
		li += log((u * s) / (v * q));
		u += 1.0;
		v += 1.0;
		s += 1.0;
		q += 1.0;
	}
	if (gradient != NULL)
	{
		int			k;

		for (k = 0; k < 4; k++)
			gradient[k] = acc[k] / sum;
	}
	return top + log(sum);
}

static double
bgbb_objective(const double *lp, double *gradient, void *context)
{
	FitData    *d = (FitData *) context;
	double		theta[4];
	double		ll = 0.0;
	double		g[4] = {0.0, 0.0, 0.0, 0.0};
	BetaParts	parts;
	int32		i;
	int			k;

	for (k = 0; k < 4; k++)
	{
		theta[k] = exp(lp[k]);
		if (!(theta[k] > 0.0) || !isfinite(theta[k]))
			return INFINITY;
	}
	bgbb_parts(theta, &parts, true);
	for (i = 0; i < d->n; i++)
	{
		double		w = (double) d->rows[i].count;
		double		gi[4];

		CHECK_FOR_INTERRUPTS();
		ll += w * bgbb_customer_ll(theta, &parts, d->rows[i].key[0], d->rows[i].key[1],
								   d->rows[i].key[2], gi);
		for (k = 0; k < 4; k++)
			g[k] += w * gi[k];
	}
	for (k = 0; k < 4; k++)
		gradient[k] = -g[k] * theta[k] / d->customers;
	return -ll / d->customers;
}

/*
 * Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"; Hardie note 025): the density of a
 * customer's mean spend m over x transactions,
 *   Gamma(px+q) / (Gamma(px) Gamma(q)) * gamma^q * x^(px) * m^(px-1) / (gamma + x m)^(px+q)
 */
static double
spend_customer_ll(double p, double q, double gamma, double x, double m)
{
	double		px = p * x;

	return lgamma(px + q) - lgamma(px) - lgamma(q) + q * log(gamma) + (px - 1.0) * log(m) +
		px * log(x) - (px + q) * log(gamma + x * m);
}

static double
spend_objective(const double *lp, double *gradient, void *context)
{
	FitData    *d = (FitData *) context;
	double		theta[3];
	double		ll = 0.0;
	double		g[3] = {0.0, 0.0, 0.0};
	double		lg_q,
				psi_q;
	int32		i = 0;
	int			k;

	for (k = 0; k < 3; k++)
	{
		theta[k] = exp(lp[k]);
		if (!(theta[k] > 0.0) || !isfinite(theta[k]))
			return INFINITY;
	}
	lg_q = lgamma(theta[1]);
	psi_q = omni_digamma(theta[1]);
	while (i < d->n)
	{
		double		x = d->rows[i].key[0];
		double		px = theta[0] * x;
		double		lg_pxq = lgamma(px + theta[1]);
		double		lg_px = lgamma(px);
		double		psi_pxq = omni_digamma(px + theta[1]);
		double		psi_px = omni_digamma(px);
		double		log_x = log(x);

		CHECK_FOR_INTERRUPTS();
		for (; i < d->n && d->rows[i].key[0] == x; i++)
		{
			double		w = (double) d->rows[i].count;
			double		m = d->rows[i].key[1];
			double		log_m = log(m);
			double		log_gxm = log(theta[2] + x * m);

			ll += w * (lg_pxq - lg_px - lg_q + theta[1] * lp[2] + (px - 1.0) * log_m +
					   px * log_x - (px + theta[1]) * log_gxm);
			g[0] += w * x * (psi_pxq - psi_px + log_m + log_x - log_gxm);
			g[1] += w * (psi_pxq - psi_q + lp[2] - log_gxm);
			g[2] += w * (theta[1] / theta[2] - (px + theta[1]) / (theta[2] + x * m));
		}
	}
	for (k = 0; k < 3; k++)
		gradient[k] = -g[k] * theta[k] / d->customers;
	return -ll / d->customers;
}

/* ---------- fits ---------- */

/* ln of the weighted mean of a key: the time scale the BG/NBD prior and start use */
static double
log_mean_key(const FitPatterns *patterns, int key)
{
	double		sum = 0.0;
	int32		i;

	for (i = 0; i < patterns->n; i++)
		sum += (double) patterns->rows[i].count * patterns->rows[i].key[key];
	sum /= (double) patterns->customers;
	return sum > 0.0 ? log(sum) : 0.0;
}

static void
require_fit(const FitPatterns *patterns, int kind, int64 min_customers)
{
	int32		i;
	bool		any_repeat = false;

	if (patterns->kind != kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot use a state of %s in %s",
						fit_model_names[patterns->kind], fit_model_names[kind]),
				 errhint("Each fit aggregate reads only the states it builds.")));
	for (i = 0; i < patterns->n; i++)
		any_repeat |= patterns->rows[i].key[0] > 0.0;
	if (kind != FIT_GAMMA_GAMMA && !any_repeat)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("every one of the " INT64_FORMAT " customers has frequency 0", patterns->customers),
				 errhint("With no repeat transactions the likelihood has no maximum: the purchase rate fits to 0.  Fit on a longer history.")));
	if (patterns->customers < min_customers)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs at least " INT64_FORMAT " customers%s, not " INT64_FORMAT,
						fit_model_names[kind], min_customers,
						kind == FIT_GAMMA_GAMMA ? " with frequency > 0" : "", patterns->customers),
				 errhint("A model fitted to fewer customers than it has parameters is not identified; fit on more customers.")));
}

static Datum
make_model(FunctionCallInfo fcinfo, const double *theta, int nparams, bool fitted, double ll,
		   int64 customers, bool converged)
{
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	if (tupdesc->natts != nparams + 3)
		elog(ERROR, "model type has %d attributes, expected %d", tupdesc->natts, nparams + 3);
	for (i = 0; i < nparams; i++)
		values[i] = Float8GetDatum(theta[i]);
	values[nparams] = Float8GetDatum(ll);
	values[nparams + 1] = Int64GetDatum(customers);
	values[nparams + 2] = BoolGetDatum(converged);
	if (!fitted)
		nulls[nparams] = nulls[nparams + 1] = nulls[nparams + 2] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

static void
fit_data_init(FitData *d, const FitPatterns *patterns)
{
	d->rows = patterns->rows;
	d->n = patterns->n;
	d->customers = (double) patterns->customers;
	d->penalizer = 0.0;
	memset(d->prior_mean, 0, sizeof(d->prior_mean));
}

static void
check_optimum(double value, const char *model)
{
	if (!isfinite(value))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the likelihood could not be evaluated at any trial point", model),
				 errhint("Check the input for extreme values (e.g. a frequency of millions).")));
}

/*
 * BG/NBD fit.  The penalised form maximises ln L - penalizer/2 * sum_k (ln theta_k - mu_k)^2,
 * the log-posterior under independent normal priors on ln r, ln(alpha), ln a, ln b with
 * precision `penalizer`, centred at r = a = b = 1 and alpha = the customers' mean T.  The
 * prior's weight is fixed while ln L grows with the number of customers, so its influence
 * fades as data accumulate; centring alpha (a time scale) on mean T makes the estimate
 * independent of the time unit: fitting in days instead of weeks multiplies alpha by 7 and
 * leaves r, a and b unchanged.  The reported log_likelihood is ln L at the estimate,
 * without the prior.
 */
Datum
bgnbd_fit_final(PG_FUNCTION_ARGS)
{
	FitPatterns patterns;
	FitData		d;
	double		lp[4];
	double		theta[4];
	double		g[4];
	double		ll;
	OmniMinimizeResult result;
	int			k;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	fit_patterns_arg(fcinfo, 0, &patterns);
	require_fit(&patterns, FIT_BGNBD, 5);
	fit_data_init(&d, &patterns);
	d.penalizer = patterns.penalizer;
	d.prior_mean[1] = log_mean_key(&patterns, 2);
	memcpy(lp, d.prior_mean, sizeof(lp));
	omni_minimize(bgnbd_objective, &d, 4, lp, FIT_GRADIENT_TOLERANCE, FIT_MAX_ITERATIONS,
				  FIT_MAX_STEP, &result);
	check_optimum(result.value, "omni.bgnbd_fit");
	d.penalizer = 0.0;
	ll = -bgnbd_objective(lp, g, &d) * d.customers;
	for (k = 0; k < 4; k++)
		theta[k] = exp(lp[k]);
	return make_model(fcinfo, theta, 4, true, ll, patterns.customers, result.converged);
}

Datum
bgbb_fit_final(PG_FUNCTION_ARGS)
{
	FitPatterns patterns;
	FitData		d;
	double		lp[4] = {0.0, 0.0, 0.0, 0.0};
	double		theta[4];
	double		g[4];
	double		ll;
	OmniMinimizeResult result;
	bool		all_every_time = true;
	int32		i;
	int			k;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	fit_patterns_arg(fcinfo, 0, &patterns);
	require_fit(&patterns, FIT_BGBB, 5);
	for (i = 0; i < patterns.n; i++)
		all_every_time &= patterns.rows[i].key[0] == patterns.rows[i].key[2];
	if (all_every_time)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("every one of the " INT64_FORMAT " customers transacted at every opportunity",
						patterns.customers),
				 errhint("With no missed opportunity the likelihood has no maximum: the transaction probability fits to 1.")));
	fit_data_init(&d, &patterns);
	omni_minimize(bgbb_objective, &d, 4, lp, FIT_GRADIENT_TOLERANCE, FIT_MAX_ITERATIONS,
				  FIT_MAX_STEP, &result);
	check_optimum(result.value, "omni.bgbb_fit");
	ll = -bgbb_objective(lp, g, &d) * d.customers;
	for (k = 0; k < 4; k++)
		theta[k] = exp(lp[k]);
	return make_model(fcinfo, theta, 4, true, ll, patterns.customers, result.converged);
}

Datum
gamma_gamma_fit_final(PG_FUNCTION_ARGS)
{
	FitPatterns patterns;
	FitData		d;
	double		lp[3];
	double		theta[3];
	double		g[3];
	double		ll;
	OmniMinimizeResult result;
	int			k;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	fit_patterns_arg(fcinfo, 0, &patterns);
	require_fit(&patterns, FIT_GAMMA_GAMMA, 4);
	fit_data_init(&d, &patterns);
	/* start at p = 1, q = 2, where the mean spend p gamma / (q - 1) is the observed mean */
	lp[0] = 0.0;
	lp[1] = log(2.0);
	lp[2] = log_mean_key(&patterns, 1);
	omni_minimize(spend_objective, &d, 3, lp, FIT_GRADIENT_TOLERANCE, FIT_MAX_ITERATIONS,
				  FIT_MAX_STEP, &result);
	check_optimum(result.value, "omni.gamma_gamma_fit");
	ll = -spend_objective(lp, g, &d) * d.customers;
	for (k = 0; k < 3; k++)
		theta[k] = exp(lp[k]);
	return make_model(fcinfo, theta, 3, true, ll, patterns.customers, result.converged);
}

/* ---------- model values ---------- */

static const char *const bgnbd_names[] = {"r", "alpha", "a", "b"};
static const char *const bgbb_names[] = {"alpha", "beta", "gamma", "delta"};
static const char *const spend_names[] = {"p", "q", "gamma"};

static void
check_parameter(double value, const char *type_name, const char *name)
{
	if (!(value > 0.0) || !isfinite(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s parameter %s must be a positive finite number, not %s", type_name, name, show(value)),
				 errhint("Fit the model with its fit aggregate, or build it from published parameters with %s(...).",
						 type_name)));
}

/* The parameters of a model argument, each checked: a stored model may have been edited. */
static void
read_model(FunctionCallInfo fcinfo, int argno, const char *type_name,
		   const char *const *names, int nparams, double *theta)
{
	HeapTupleHeader tuple = PG_GETARG_HEAPTUPLEHEADER(argno);
	int			i;

	for (i = 0; i < nparams; i++)
	{
		bool		isnull;
		Datum		value = GetAttributeByNum(tuple, i + 1, &isnull);

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s parameter %s is NULL", type_name, names[i]),
					 errhint("Fit the model with its fit aggregate, or build it from published parameters with %s(...).",
							 type_name)));
		theta[i] = DatumGetFloat8(value);
		check_parameter(theta[i], type_name, names[i]);
	}
}

static Datum
model_make(FunctionCallInfo fcinfo, const char *type_name, const char *const *names, int nparams)
{
	double		theta[4];
	int			i;

	for (i = 0; i < nparams; i++)
	{
		theta[i] = PG_GETARG_FLOAT8(i);
		check_parameter(theta[i], type_name, names[i]);
	}
	return make_model(fcinfo, theta, nparams, false, 0.0, 0, false);
}

Datum
bgnbd_model_make(PG_FUNCTION_ARGS)
{
	return model_make(fcinfo, "omni.bgnbd_model", bgnbd_names, 4);
}

Datum
bgbb_model_make(PG_FUNCTION_ARGS)
{
	return model_make(fcinfo, "omni.bgbb_model", bgbb_names, 4);
}

Datum
gamma_gamma_model_make(PG_FUNCTION_ARGS)
{
	return model_make(fcinfo, "omni.gamma_gamma_model", spend_names, 3);
}

static void
check_horizon(double horizon, bool whole)
{
	if (!(horizon >= 0.0) || !isfinite(horizon) || (whole && horizon != floor(horizon)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be a finite %s >= 0, not %s", whole ? "whole number" : "number", show(horizon)),
				 errhint(whole ? "It counts the coming opportunities (sends)." : "It is a length of time in the model's time unit.")));
}

/* ---------- BG/NBD per customer ---------- */

/* P(alive | x, t_x, T), FHL (2005) eq. 13 / Hardie note 021: 1 when x = 0 */
static double
bgnbd_p_alive_value(const double *th, double x, double t_x, double t)
{
	if (x == 0.0)
		return 1.0;
	return 1.0 / (1.0 + exp(log(th[2]) - log(th[3] + x - 1.0) +
							(th[0] + x) * (log(th[1] + t) - log(th[1] + t_x))));
}

/*
 * E[Y(horizon) | x, t_x, T], FHL (2005) eq. 10:
 *   (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+h))^(r+x) 2F1(r+x, b+x; a+b+x-1; h/(alpha+T+h))]
 *   / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
 * The power is 1 - z for z = h/(alpha+T+h), so the bracket is 1 - omni_hyp2f1_scaled(.., r+x).
 * At a = 1 the ratio is 0/0 (the bracket vanishes with a - 1) and near it the subtraction
 * cancels; within 1e-3 of 1 the value is interpolated (degree 5) from a - 1 = +/- 1e-3,
 * 2e-3, 3e-3, where cancellation costs about 1e-13.
 */
static double
bgnbd_expectation_at(double r, double alpha, double a, double b, double x, double t_x,
					 double t, double h)
{
	double		z = h / (alpha + t + h);
	double		scaled = omni_hyp2f1_scaled(r + x, b + x, a + b + x - 1.0, z, r + x);
	double		denominator = 1.0;

	if (!isfinite(scaled))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the hypergeometric function 2F1(%s, %s; %s; %s) could not be evaluated",
						show(r + x), show(b + x), show(a + b + x - 1.0), show(z)),
				 errhint("The model parameters or the horizon are extreme.")));
	if (x > 0.0)
		denominator += exp(log(a) - log(b + x - 1.0) + (r + x) * (log(alpha + t) - log(alpha + t_x)));
	return (a + b + x - 1.0) / (a - 1.0) * (1.0 - scaled) / denominator;
}

#define NEAR_ONE 1e-3

static const double near_one_offsets[] = {-3.0, -2.0, -1.0, 1.0, 2.0, 3.0};

static double
bgnbd_expectation(const double *th, double x, double t_x, double t, double h)
{
	if (h == 0.0)
		return 0.0;
	if (fabs(th[2] - 1.0) < NEAR_ONE)
	{
		double		xs[lengthof(near_one_offsets)];
		double		ys[lengthof(near_one_offsets)];
		int			i;

		for (i = 0; i < (int) lengthof(near_one_offsets); i++)
		{
			xs[i] = near_one_offsets[i] * NEAR_ONE;
			ys[i] = bgnbd_expectation_at(th[0], th[1], 1.0 + xs[i], th[3], x, t_x, t, h);
		}
		return omni_lagrange(xs, ys, lengthof(near_one_offsets), th[2] - 1.0);
	}
	return bgnbd_expectation_at(th[0], th[1], th[2], th[3], x, t_x, t, h);
}

static void
bgnbd_customer_args(FunctionCallInfo fcinfo, int first, double *x, double *t_x, double *t)
{
	*x = PG_GETARG_FLOAT8(first);
	*t_x = PG_GETARG_FLOAT8(first + 1);
	*t = PG_GETARG_FLOAT8(first + 2);
	check_bgnbd_customer(*x, *t_x, *t, ERRCODE_INVALID_PARAMETER_VALUE);
}

Datum
bgnbd_p_alive(PG_FUNCTION_ARGS)
{
	double		th[4];
	double		x,
				t_x,
				t;

	read_model(fcinfo, 0, "omni.bgnbd_model", bgnbd_names, 4, th);
	bgnbd_customer_args(fcinfo, 1, &x, &t_x, &t);
	PG_RETURN_FLOAT8(bgnbd_p_alive_value(th, x, t_x, t));
}

Datum
bgnbd_expected_events(PG_FUNCTION_ARGS)
{
	double		th[4];
	double		horizon = PG_GETARG_FLOAT8(1);
	double		x,
				t_x,
				t;

	read_model(fcinfo, 0, "omni.bgnbd_model", bgnbd_names, 4, th);
	check_horizon(horizon, false);
	bgnbd_customer_args(fcinfo, 2, &x, &t_x, &t);
	PG_RETURN_FLOAT8(bgnbd_expectation(th, x, t_x, t, horizon));
}

Datum
bgnbd_log_likelihood(PG_FUNCTION_ARGS)
{
	double		th[4];
	double		x,
				t_x,
				t;

	read_model(fcinfo, 0, "omni.bgnbd_model", bgnbd_names, 4, th);
	bgnbd_customer_args(fcinfo, 1, &x, &t_x, &t);
	PG_RETURN_FLOAT8(bgnbd_customer_ll(th[0], th[1], th[2], th[3], x, t_x, t, NULL));
}

/* ---------- BG/BB per customer ---------- */

static void
bgbb_customer_args(FunctionCallInfo fcinfo, int first, double *x, double *t_x, double *n)
{
	*x = PG_GETARG_FLOAT8(first);
	*t_x = PG_GETARG_FLOAT8(first + 1);
	*n = PG_GETARG_FLOAT8(first + 2);
	check_bgbb_customer(*x, *t_x, *n, ERRCODE_INVALID_PARAMETER_VALUE);
}

/* P(alive at opportunity n + 1 | x, t_x, n), FHS (2010) eq. 11 */
Datum
bgbb_p_alive(PG_FUNCTION_ARGS)
{
	double		th[4];
	double		x,
				t_x,
				n;
	BetaParts	parts;
	double		ll;

	read_model(fcinfo, 0, "omni.bgbb_model", bgbb_names, 4, th);
	bgbb_customer_args(fcinfo, 1, &x, &t_x, &n);
	bgbb_parts(th, &parts, false);
	ll = bgbb_customer_ll(th, &parts, x, t_x, n, NULL);
	PG_RETURN_FLOAT8(exp(omni_lbeta(th[0] + x, th[1] + n - x) - parts.lb_ab +
						 omni_lbeta(th[2], th[3] + n + 1.0) - parts.lb_gd - ll));
}

/*
 * (Gamma(1+de+n)/Gamma(ga+de+n) - Gamma(1+de+n+h)/Gamma(ga+de+n+h)) / (ga - 1), the factor
 * of FHS (2010) eq. 13 that is 0/0 at ga = 1, where its limit is
 * psi(1+de+n+h) - psi(1+de+n).  Near 1 the lgamma differences cancel, so within 1e-3 of 1
 * it is interpolated (degree 6) from the limit and the values at ga - 1 = +/- 1e-3, 2e-3,
 * 3e-3.
 */
static double
bgbb_growth_at(double ga, double de, double n, double h)
{
	double		l4 = lgamma(1.0 + de + n) - lgamma(ga + de + n);
	double		l5 = lgamma(1.0 + de + n + h) - lgamma(ga + de + n + h);

	return -exp(l4) * expm1(l5 - l4) / (ga - 1.0);
}

/*
 * The log of bgbb_growth_at, for ga away from 1.  The factor is positive on both sides of 1
 * (numerator and ga - 1 change sign together); in logs it stays finite where its parts
 * overflow and underflow, as when a fit drifts to a near-homogeneous dropout (huge gamma and
 * delta): exp(l4) is then 0 and Gamma(ga+de)/Gamma(1+de) infinite.
 */
static double
bgbb_log_growth_at(double ga, double de, double n, double h)
{
	double		l4 = lgamma(1.0 + de + n) - lgamma(ga + de + n);
	double		l5 = lgamma(1.0 + de + n + h) - lgamma(ga + de + n + h);

	return l4 + log(fabs(expm1(l5 - l4))) - log(fabs(ga - 1.0));
}

static double
bgbb_growth(double ga, double de, double n, double h)
{
	double		xs[lengthof(near_one_offsets) + 1];
	double		ys[lengthof(near_one_offsets) + 1];
	int			i;

	if (fabs(ga - 1.0) >= NEAR_ONE)
		return bgbb_growth_at(ga, de, n, h);
	for (i = 0; i < (int) lengthof(near_one_offsets); i++)
	{
		xs[i] = near_one_offsets[i] * NEAR_ONE;
		ys[i] = bgbb_growth_at(1.0 + xs[i], de, n, h);
	}
	xs[i] = 0.0;
	ys[i] = omni_digamma(1.0 + de + n + h) - omni_digamma(1.0 + de + n);
	return omni_lagrange(xs, ys, lengthof(near_one_offsets) + 1, ga - 1.0);
}

/*
 * E[X(n, n + h) | x, t_x, n], FHS (2010) eq. 13: the expected transactions in the next h
 * opportunities,
 *   1/L * B(al+x+1, be+n-x)/B(al, be) * de * Gamma(ga+de)/Gamma(1+de) * bgbb_growth(...)
 */
Datum
bgbb_expected_events(PG_FUNCTION_ARGS)
{
	double		th[4];
	double		horizon = PG_GETARG_FLOAT8(1);
	double		x,
				t_x,
				n;
	BetaParts	parts;
	double		ll;
	double		log_front;

	read_model(fcinfo, 0, "omni.bgbb_model", bgbb_names, 4, th);
	check_horizon(horizon, true);
	bgbb_customer_args(fcinfo, 2, &x, &t_x, &n);
	if (horizon == 0.0)
		PG_RETURN_FLOAT8(0.0);
	bgbb_parts(th, &parts, false);
	ll = bgbb_customer_ll(th, &parts, x, t_x, n, NULL);
	log_front = omni_lbeta(th[0] + x + 1.0, th[1] + n - x) - parts.lb_ab - ll +
		lgamma(th[2] + th[3]) - lgamma(1.0 + th[3]) + log(th[3]);
	if (fabs(th[2] - 1.0) >= NEAR_ONE)
		PG_RETURN_FLOAT8(exp(log_front + bgbb_log_growth_at(th[2], th[3], n, horizon)));
	PG_RETURN_FLOAT8(exp(log_front) * bgbb_growth(th[2], th[3], n, horizon));
}

Datum
bgbb_log_likelihood(PG_FUNCTION_ARGS)
{
	double		th[4];
	double		x,
				t_x,
				n;
	BetaParts	parts;

	read_model(fcinfo, 0, "omni.bgbb_model", bgbb_names, 4, th);
	bgbb_customer_args(fcinfo, 1, &x, &t_x, &n);
	bgbb_parts(th, &parts, false);
	PG_RETURN_FLOAT8(bgbb_customer_ll(th, &parts, x, t_x, n, NULL));
}

/* ---------- spend and lifetime value ---------- */

/*
 * E[Z | x, m] = (q - 1)/(p x + q - 1) * p gamma/(q - 1) + p x/(p x + q - 1) * m
 *             = p (gamma + x m) / (p x + q - 1)          (Hardie note 025, eq. 5)
 * a weighted mean of the population mean p gamma/(q - 1) and the customer's own mean; with
 * x = 0 it is the population mean.  Needs q > 1, where that mean exists.
 */
static double
expected_spend_value(const double *th, double x, double m)
{
	if (!(th[1] > 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("omni.gamma_gamma_model parameter q must exceed 1 for a mean spend, not %s", show(th[1])),
				 errhint("With q <= 1 the population's mean spend is infinite; refit on cleaner spend data.")));
	return th[0] * (th[2] + x * (x > 0.0 ? m : 0.0)) / (th[0] * x + th[1] - 1.0);
}

Datum
gamma_gamma_expected_spend(PG_FUNCTION_ARGS)
{
	double		th[3];
	double		x = PG_GETARG_FLOAT8(1);
	double		m = PG_GETARG_FLOAT8(2);

	read_model(fcinfo, 0, "omni.gamma_gamma_model", spend_names, 3, th);
	check_spend_customer(x, m, ERRCODE_INVALID_PARAMETER_VALUE);
	PG_RETURN_FLOAT8(expected_spend_value(th, x, m));
}

/* ln of the density of one customer's mean spend; NULL when x = 0 (no spend observed) */
Datum
gamma_gamma_log_likelihood(PG_FUNCTION_ARGS)
{
	double		th[3];
	double		x = PG_GETARG_FLOAT8(1);
	double		m = PG_GETARG_FLOAT8(2);

	read_model(fcinfo, 0, "omni.gamma_gamma_model", spend_names, 3, th);
	check_spend_customer(x, m, ERRCODE_INVALID_PARAMETER_VALUE);
	if (x == 0.0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(spend_customer_ll(th[0], th[1], th[2], x, m));
}

#define CLV_MAX_STEPS 100000

/*
 * clv(bgnbd, gamma_gamma, x, t_x, T, m, horizon, discount_rate, discount_period):
 *   E[spend] * sum_{k=1}^{K} (E[Y(k P)] - E[Y((k-1) P)]) / (1 + d)^k,   K = horizon / P
 * the expected transactions of each discount period, valued at the expected spend and
 * discounted at rate d per period P, at its end (lifetimes' customer_lifetime_value with
 * P = its month).  With d = 0 it is E[spend] * E[Y(horizon)] and P is not used.
 */
Datum
btyd_clv(PG_FUNCTION_ARGS)
{
	double		bg[4];
	double		gg[3];
	double		x,
				t_x,
				t;
	double		m = PG_GETARG_FLOAT8(5);
	double		horizon = PG_GETARG_FLOAT8(6);
	double		rate = PG_GETARG_FLOAT8(7);
	double		period = PG_GETARG_FLOAT8(8);
	double		spend;
	double		steps;
	double		total = 0.0;
	double		previous = 0.0;
	int64		k;
	int64		i;

	read_model(fcinfo, 0, "omni.bgnbd_model", bgnbd_names, 4, bg);
	read_model(fcinfo, 1, "omni.gamma_gamma_model", spend_names, 3, gg);
	bgnbd_customer_args(fcinfo, 2, &x, &t_x, &t);
	check_spend_customer(x, m, ERRCODE_INVALID_PARAMETER_VALUE);
	check_horizon(horizon, false);
	if (!(rate >= 0.0) || !isfinite(rate))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be a finite number >= 0, not %s", show(rate)),
				 errhint("It is the rate per discount_period, e.g. 0.01 for 1%% a month.")));
	if (!(period > 0.0) || !isfinite(period))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_period must be a finite number > 0, not %s", show(period)),
				 errhint("It is the length of one discounting period in the model's time unit, e.g. 52.0/12 for months when t is in weeks.")));
	spend = expected_spend_value(gg, x, m);
	if (rate == 0.0)
		PG_RETURN_FLOAT8(spend * bgnbd_expectation(bg, x, t_x, t, horizon));

	steps = horizon / period;
	k = (int64) rint(steps);
	if (fabs(steps - (double) k) > 1e-9 * Max(1.0, steps) || k > CLV_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon %s is not a whole number (at most %d) of discount periods of %s", show(horizon),
						CLV_MAX_STEPS, show(period)),
				 errhint("Pass a horizon that is a multiple of discount_period, e.g. 52 weeks with discount_period 52.0/12.")));
	for (i = 1; i <= k; i++)
	{
		double		expected = bgnbd_expectation(bg, x, t_x, t, (double) i * period);

		CHECK_FOR_INTERRUPTS();
		total += (expected - previous) / pow(1.0 + rate, (double) i);
		previous = expected;
	}
	PG_RETURN_FLOAT8(spend * total);
}

/*
 * hyp2f1(a, b, c, z): the Gauss hypergeometric function behind expected_events, exposed so
 * it can be checked on its own (z < 1; c not 0, -1, -2, ...).
 */
Datum
btyd_hyp2f1(PG_FUNCTION_ARGS)
{
	double		a = PG_GETARG_FLOAT8(0);
	double		b = PG_GETARG_FLOAT8(1);
	double		c = PG_GETARG_FLOAT8(2);
	double		z = PG_GETARG_FLOAT8(3);
	double		value;

	check_finite(a, "a", ERRCODE_INVALID_PARAMETER_VALUE);
	check_finite(b, "b", ERRCODE_INVALID_PARAMETER_VALUE);
	check_finite(c, "c", ERRCODE_INVALID_PARAMETER_VALUE);
	check_finite(z, "z", ERRCODE_INVALID_PARAMETER_VALUE);
	if (!(z < 1.0) || (c <= 0.0 && c == floor(c)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hyp2f1 is defined here for z < 1 and c not 0, -1, -2, ...: z = %s, c = %s", show(z), show(c)),
				 errhint("The series diverges at z >= 1 and has poles at non-positive integer c.")));
	value = omni_hyp2f1(a, b, c, z);
	if (!isfinite(value))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("hyp2f1(%s, %s; %s; %s) is out of range or did not converge", show(a), show(b), show(c), show(z)),
				 errhint("Its value overflows a double precision number at these arguments.")));
	PG_RETURN_FLOAT8(value);
}

/* ---------- omni.btyd_summary_state: one customer's transactions or sends ---------- */

#define SUMMARY_STATE_VERSION	1
#define SUMMARY_PERIODS			1	/* btyd_summary: the distinct periods with a transaction */
#define SUMMARY_SENDS			2	/* bgbb_summary: sends and engagement */

/*
 * In memory (and on disk).  values[] holds, for SUMMARY_PERIODS, the index of each
 * transaction's period (since the zone's local 2001-01-01, a Monday), possibly unsorted and
 * repeated; for SUMMARY_SENDS, the times of sends without engagement that may come after
 * the last engaged send (those at or before last_engaged_at are dropped lazily).  Both are
 * tidied when the array fills up, so memory stays proportional to what matters, and
 * written canonically (sorted, tidied) by the output functions.  Fields of the other kind
 * are zero.  capacity slots follow the header and VARSIZE covers them all.
 */
typedef struct SummaryState
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;
	uint8		kind;
	uint16		reserved;
	int32		n;
	int32		capacity;
	int32		reserved2;
	/* SUMMARY_PERIODS */
	TimestampTz as_of;
	int64		as_of_index;
	Interval	period;
	/* SUMMARY_SENDS */
	int64		sends;
	int64		engaged;
	TimestampTz last_engaged_at;	/* DT_NOBEGIN while engaged = 0 */
	int64		values[FLEXIBLE_ARRAY_MEMBER];
} SummaryState;

#define SUMMARY_HEADER offsetof(SummaryState, values)
#define SUMMARY_MAX_VALUES ((int32) ((MaxAllocSize - SUMMARY_HEADER) / sizeof(int64)))
#define SUMMARY_SIZE(capacity) (SUMMARY_HEADER + (Size) (capacity) * sizeof(int64))

static SummaryState *
new_summary(int kind, int32 capacity)
{
	SummaryState *state;

	if (capacity > SUMMARY_MAX_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("one customer cannot have more than %d distinct periods or unanswered sends",
						SUMMARY_MAX_VALUES),
				 errhint("Check that the aggregate is grouped by customer.")));
	capacity = Max(capacity, 1);
	state = (SummaryState *) palloc0(SUMMARY_SIZE(capacity));
	SET_VARSIZE(state, SUMMARY_SIZE(capacity));
	state->version = SUMMARY_STATE_VERSION;
	state->kind = kind;
	state->capacity = capacity;
	state->last_engaged_at = DT_NOBEGIN;
	return state;
}

static SummaryState *
copy_summary(const SummaryState *state, int32 capacity)
{
	SummaryState *copy = new_summary(state->kind, Max(capacity, state->n));

	memcpy(copy, state, SUMMARY_SIZE(state->n));
	copy->capacity = Max(Max(capacity, state->n), 1);
	SET_VARSIZE(copy, SUMMARY_SIZE(copy->capacity));
	return copy;
}

static void
report_corrupt_summary(int errcode_value, const char *detail)
{
	ereport(ERROR,
			(errcode(errcode_value),
			 errmsg("invalid omni.btyd_summary_state: %s", detail),
			 errhint("Pass a state written by omni's own output or send functions; recompute it from the customer's rows otherwise.")));
}

/* a state argument, its layout checked (a stored value may be damaged) */
static SummaryState *
summary_arg(FunctionCallInfo fcinfo, int argno)
{
	SummaryState *state = (SummaryState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (VARSIZE(state) < SUMMARY_HEADER || state->version != SUMMARY_STATE_VERSION ||
		(state->kind != SUMMARY_PERIODS && state->kind != SUMMARY_SENDS) ||
		state->capacity < 1 || state->n < 0 || state->n > state->capacity ||
		state->capacity > SUMMARY_MAX_VALUES || VARSIZE(state) != SUMMARY_SIZE(state->capacity))
		report_corrupt_summary(ERRCODE_DATA_CORRUPTED, "inconsistent header");
	return state;
}

/* The state a transition may update: itself inside an aggregate, else a copy. */
static SummaryState *
summary_for_update(FunctionCallInfo fcinfo, int argno)
{
	SummaryState *state = summary_arg(fcinfo, argno);

	if (AggCheckCallContext(fcinfo, NULL) && (Pointer) state == DatumGetPointer(PG_GETARG_DATUM(argno)))
		return state;
	return copy_summary(state, state->capacity);
}

static int
compare_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Drop what no longer matters: repeated periods, sends before the last engagement. */
static void
tidy_summary(SummaryState *state)
{
	int32		i,
				kept = 0;

	if (state->kind == SUMMARY_PERIODS)
	{
		qsort(state->values, state->n, sizeof(int64), compare_int64);
		for (i = 0; i < state->n; i++)
			if (kept == 0 || state->values[kept - 1] != state->values[i])
				state->values[kept++] = state->values[i];
	}
	else
	{
		for (i = 0; i < state->n; i++)
			if (state->values[i] > state->last_engaged_at)
				state->values[kept++] = state->values[i];
		qsort(state->values, kept, sizeof(int64), compare_int64);
	}
	memset(&state->values[kept], 0, sizeof(int64) * (state->n - kept));
	state->n = kept;
}

/*
 * Room for `more` values: the state itself (tidied if that makes room), else a larger copy
 * in the current context.  For a by-reference transition value the executor copies a new
 * pointer into the aggregate context and frees the old value itself.
 */
static SummaryState *
summary_room(SummaryState *state, int32 more)
{
	int64		want;

	if (state->capacity - state->n >= more)
		return state;
	tidy_summary(state);
	if (state->capacity - state->n >= more && state->n <= state->capacity / 2)
		return state;
	want = Max((int64) state->capacity * 2, (int64) state->n + more);
	want = Min(want, (int64) SUMMARY_MAX_VALUES);
	if ((int64) state->n + more > want)
		(void) new_summary(state->kind, SUMMARY_MAX_VALUES + 1);	/* reports the limit */
	return copy_summary(state, (int32) want);
}

/* the values in canonical order, in a palloc'd array (the state is left alone) */
static int64 *
summary_canonical(const SummaryState *state, int32 *n)
{
	SummaryState *copy = copy_summary(state, state->n);

	tidy_summary(copy);
	*n = copy->n;
	return copy->values;
}

static bytea *
encode_summary(const SummaryState *state)
{
	StringInfoData buf;
	int32		n;
	int64	   *values = summary_canonical(state, &n);
	int32		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, SUMMARY_STATE_VERSION);
	pq_sendbyte(&buf, state->kind);
	if (state->kind == SUMMARY_PERIODS)
	{
		pq_sendint64(&buf, state->as_of);
		pq_sendint64(&buf, state->as_of_index);
		pq_sendint64(&buf, state->period.time);
		pq_sendint32(&buf, state->period.day);
		pq_sendint32(&buf, state->period.month);
	}
	else
	{
		pq_sendint64(&buf, state->sends);
		pq_sendint64(&buf, state->engaged);
		pq_sendint64(&buf, state->last_engaged_at);
	}
	pq_sendint32(&buf, n);
	for (i = 0; i < n; i++)
		pq_sendint64(&buf, values[i]);
	return pq_endtypsend(&buf);
}

/* header sizes on the wire after version and kind */
#define SUMMARY_WIRE_PERIODS	(2 + 8 + 8 + 8 + 4 + 4 + 4)
#define SUMMARY_WIRE_SENDS		(2 + 8 + 8 + 8 + 4)

static SummaryState *
decode_summary(const char *data, int len, int errcode_value)
{
	StringInfoData buf;
	SummaryState *state;
	int			version;
	int			kind;
	int			header;
	int32		n;
	int32		i;
	TimestampTz as_of = 0;
	int64		as_of_index = 0;
	Interval	period = {0, 0, 0};
	int64		sends = 0;
	int64		engaged = 0;
	TimestampTz last = DT_NOBEGIN;

	if (len < 1)
		report_corrupt_summary(errcode_value, "empty");
	buf.data = (char *) data;
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	version = pq_getmsgbyte(&buf);
	if (version != SUMMARY_STATE_VERSION)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("unsupported omni.btyd_summary_state format version %d", version),
				 errhint("This omni reads version %d; upgrade omni on the receiving side.",
						 SUMMARY_STATE_VERSION)));
	if (len < 2)
		report_corrupt_summary(errcode_value, psprintf("%d bytes is shorter than its header", len));
	kind = pq_getmsgbyte(&buf);
	if (kind != SUMMARY_PERIODS && kind != SUMMARY_SENDS)
		report_corrupt_summary(errcode_value, psprintf("unknown kind %d", kind));
	header = kind == SUMMARY_PERIODS ? SUMMARY_WIRE_PERIODS : SUMMARY_WIRE_SENDS;
	if (len < header)
		report_corrupt_summary(errcode_value, psprintf("%d bytes is shorter than its header", len));
	if (kind == SUMMARY_PERIODS)
	{
		as_of = pq_getmsgint64(&buf);
		as_of_index = pq_getmsgint64(&buf);
		period.time = pq_getmsgint64(&buf);
		period.day = (int32) pq_getmsgint(&buf, 4);
		period.month = (int32) pq_getmsgint(&buf, 4);
		if (TIMESTAMP_NOT_FINITE(as_of) || !IS_VALID_TIMESTAMP(as_of))
			report_corrupt_summary(errcode_value, "as_of is not a finite timestamp");
		if (period.month < 0 || period.day < 0 || period.time < 0 ||
			(period.month == 0 && period.day == 0 && period.time == 0))
			report_corrupt_summary(errcode_value, "period is not positive");
	}
	else
	{
		sends = pq_getmsgint64(&buf);
		engaged = pq_getmsgint64(&buf);
		last = pq_getmsgint64(&buf);
		if (sends < 1 || engaged < 0 || engaged > sends)
			report_corrupt_summary(errcode_value,
								   psprintf(INT64_FORMAT " engaged of " INT64_FORMAT " sends", engaged, sends));
		if ((engaged == 0) != (last == DT_NOBEGIN) ||
			(last != DT_NOBEGIN && (TIMESTAMP_NOT_FINITE(last) || !IS_VALID_TIMESTAMP(last))))
			report_corrupt_summary(errcode_value, "last engaged send does not match the engaged count");
	}
	n = (int32) pq_getmsgint(&buf, 4);
	if (n < 0 || n > SUMMARY_MAX_VALUES || (int64) len != header + (int64) n * 8)
		report_corrupt_summary(errcode_value,
							   psprintf("%d values do not match its length of %d bytes", n, len));
	if (kind == SUMMARY_SENDS &&
		(n > sends - engaged || (engaged == 0 && n != sends)))
		report_corrupt_summary(errcode_value,
							   psprintf("%d unanswered sends after the last engagement of " INT64_FORMAT " sends, " INT64_FORMAT " engaged",
										n, sends, engaged));
	state = new_summary(kind, n);
	state->as_of = as_of;
	state->as_of_index = as_of_index;
	state->period = period;
	state->sends = sends;
	state->engaged = engaged;
	state->last_engaged_at = last;
	for (i = 0; i < n; i++)
	{
		int64		v = pq_getmsgint64(&buf);

		if (kind == SUMMARY_PERIODS && (v > as_of_index || (i > 0 && v <= state->values[i - 1])))
			report_corrupt_summary(errcode_value, "periods out of order or after as_of");
		if (kind == SUMMARY_SENDS &&
			(v <= last || TIMESTAMP_NOT_FINITE(v) || !IS_VALID_TIMESTAMP(v) ||
			 (i > 0 && v < state->values[i - 1])))
			report_corrupt_summary(errcode_value, "send times out of order or not after the last engagement");
		state->values[i] = v;
	}
	state->n = n;
	pq_getmsgend(&buf);
	return state;
}

Datum
btyd_summary_state_in(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	omni_hex_parse(PG_GETARG_CSTRING(0), "omni.btyd_summary_state", &buf);
	PG_RETURN_POINTER(decode_summary(buf.data, buf.len, ERRCODE_INVALID_TEXT_REPRESENTATION));
}

Datum
btyd_summary_state_out(PG_FUNCTION_ARGS)
{
	bytea	   *binary = encode_summary(summary_arg(fcinfo, 0));

	PG_RETURN_CSTRING(omni_hex_text(VARDATA(binary), VARSIZE(binary) - VARHDRSZ));
}

Datum
btyd_summary_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	SummaryState *state = decode_summary(buf->data + buf->cursor, buf->len - buf->cursor,
										 ERRCODE_INVALID_BINARY_REPRESENTATION);

	buf->cursor = buf->len;
	PG_RETURN_POINTER(state);
}

Datum
btyd_summary_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(encode_summary(summary_arg(fcinfo, 0)));
}

/* the zone of a btyd_summary call and its local 2001-01-01 00:00, cached per call site */
typedef struct ZoneCache
{
	char		name[TZ_STRLEN_MAX + 1];
	pg_tz	   *tz;
	TimestampTz origin;
} ZoneCache;

static ZoneCache *
zone_for(FunctionCallInfo fcinfo, const char *name)
{
	ZoneCache  *cache = (ZoneCache *) fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ZoneCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	if (cache->tz == NULL || strcmp(cache->name, name) != 0)
	{
		struct pg_tm tm;
		int			offset;

		if (strlen(name) > TZ_STRLEN_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time zone name too long: \"%.40s...\"", name),
					 errhint("Use a zone name from pg_timezone_names, such as 'Europe/Berlin' or 'UTC'.")));
		cache->tz = omni_lookup_zone(name);
		strlcpy(cache->name, name, sizeof(cache->name));
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 2001;
		tm.tm_mon = 1;
		tm.tm_mday = 1;
		offset = DetermineTimeZoneOffset(&tm, cache->tz);
		if (tm2timestamp(&tm, 0, &offset, &cache->origin) != 0)
			elog(ERROR, "cannot place 2001-01-01 in time zone \"%s\"", name);
	}
	return cache;
}

static void
check_finite_time(TimestampTz ts, const char *argname)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite timestamp, not %s", argname,
						TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity"),
				 errhint("Filter out rows with infinite timestamps.")));
}

/*
 * btyd_summary(occurred_at, as_of [, period [, zone]]) transition.  Rows with a NULL
 * argument are skipped; rows after as_of are not counted.
 */
Datum
btyd_summary_trans(PG_FUNCTION_ARGS)
{
	static const Interval one_day = {0, 1, 0};
	int			nargs = PG_NARGS();
	const Interval *period = &one_day;
	const char *zone_name = "UTC";
	TimestampTz occurred_at;
	TimestampTz as_of;
	SummaryState *state;
	ZoneCache  *zone;
	int64		index;
	int			i;

	for (i = 1; i < nargs; i++)
		if (PG_ARGISNULL(i))
		{
			if (PG_ARGISNULL(0))
				PG_RETURN_NULL();
			PG_RETURN_DATUM(PG_GETARG_DATUM(0));
		}
	occurred_at = PG_GETARG_TIMESTAMPTZ(1);
	as_of = PG_GETARG_TIMESTAMPTZ(2);
	check_finite_time(occurred_at, "occurred_at");
	check_finite_time(as_of, "as_of");
	if (nargs > 3)
	{
		period = PG_GETARG_INTERVAL_P(3);
		omni_check_period(period, "period");
	}
	if (nargs > 4)
		zone_name = text_to_cstring(PG_GETARG_TEXT_PP(4));
	zone = zone_for(fcinfo, zone_name);

	if (PG_ARGISNULL(0))
	{
		state = new_summary(SUMMARY_PERIODS, 8);
		state->as_of = as_of;
		state->period = *period;
		state->as_of_index = omni_whole_periods(zone->origin, as_of, period, zone->tz);
	}
	else
	{
		state = summary_for_update(fcinfo, 0);
		if (state->kind != SUMMARY_PERIODS)
			report_corrupt_summary(ERRCODE_INVALID_PARAMETER_VALUE, "a bgbb_summary state in btyd_summary");
		if (state->as_of != as_of ||
			memcmp(&state->period, period, sizeof(Interval)) != 0)
		{
			/* timestamptz_to_str returns a static buffer: copy the first before the second */
			char	   *first = pstrdup(timestamptz_to_str(state->as_of));
			char	   *second = pstrdup(timestamptz_to_str(as_of));

			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("as_of and period must be the same for every row of a customer: %s and %s",
							first, second),
					 errhint("Pass constants, e.g. btyd_summary(occurred_at, '1997-09-30', '1 day').")));
		}
	}
	if (occurred_at > as_of)
		PG_RETURN_POINTER(state);
	index = omni_whole_periods(zone->origin, occurred_at, period, zone->tz);
	if (state->n > 0 && state->values[state->n - 1] == index)
		PG_RETURN_POINTER(state);
	state = summary_room(state, 1);
	state->values[state->n++] = index;
	PG_RETURN_POINTER(state);
}

/*
 * bgbb_summary(sent_at, engaged) transition.  A NULL sent_at skips the row; a NULL engaged
 * is a send without engagement (what an outer join of sends to responses gives).
 */
Datum
bgbb_summary_trans(PG_FUNCTION_ARGS)
{
	TimestampTz sent_at;
	bool		engaged;
	SummaryState *state;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	sent_at = PG_GETARG_TIMESTAMPTZ(1);
	check_finite_time(sent_at, "sent_at");
	engaged = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	if (PG_ARGISNULL(0))
		state = new_summary(SUMMARY_SENDS, 8);
	else
	{
		state = summary_for_update(fcinfo, 0);
		if (state->kind != SUMMARY_SENDS)
			report_corrupt_summary(ERRCODE_INVALID_PARAMETER_VALUE, "a btyd_summary state in bgbb_summary");
	}
	if (state->sends == PG_INT64_MAX)
		report_too_many_customers();
	state->sends++;
	if (engaged)
	{
		state->engaged++;
		if (sent_at > state->last_engaged_at)
			state->last_engaged_at = sent_at;
	}
	else if (sent_at > state->last_engaged_at)
	{
		state = summary_room(state, 1);
		state->values[state->n++] = sent_at;
	}
	PG_RETURN_POINTER(state);
}

Datum
btyd_summary_combine(PG_FUNCTION_ARGS)
{
	SummaryState *state;
	SummaryState *other;
	int32		i;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	other = summary_arg(fcinfo, 1);
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(copy_summary(other, other->capacity));
	state = summary_for_update(fcinfo, 0);
	if (state->kind != other->kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine a btyd_summary state with a bgbb_summary state"),
				 errhint("Combine states of one aggregate.")));
	if (state->kind == SUMMARY_PERIODS)
	{
		if (state->as_of != other->as_of || memcmp(&state->period, &other->period, sizeof(Interval)) != 0 ||
			state->as_of_index != other->as_of_index)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot combine btyd_summary states with different as_of, period or zone"),
					 errhint("Pass constants for as_of, period and zone.")));
	}
	else
	{
		if (pg_add_s64_overflow(state->sends, other->sends, &state->sends) ||
			pg_add_s64_overflow(state->engaged, other->engaged, &state->engaged))
			report_too_many_customers();
		state->last_engaged_at = Max(state->last_engaged_at, other->last_engaged_at);
	}
	state = summary_room(state, other->n);
	for (i = 0; i < other->n; i++)
		if (state->kind == SUMMARY_PERIODS || other->values[i] > state->last_engaged_at)
			state->values[state->n++] = other->values[i];
	PG_RETURN_POINTER(state);
}

static Datum
make_triple(FunctionCallInfo fcinfo, double a, double b, double c)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Float8GetDatum(a);
	values[1] = Float8GetDatum(b);
	values[2] = Float8GetDatum(c);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * (frequency, recency, t) in periods, as lifetimes' summary_data_from_transaction_data:
 * frequency = distinct periods with a transaction - 1, recency = last - first period,
 * t = as_of's period - first period.  NULL when no transaction is on or before as_of.
 */
Datum
btyd_summary_final(PG_FUNCTION_ARGS)
{
	SummaryState *state;
	int64	   *values;
	int32		n;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = summary_arg(fcinfo, 0);
	if (state->kind != SUMMARY_PERIODS)
		report_corrupt_summary(ERRCODE_INVALID_PARAMETER_VALUE, "a bgbb_summary state in btyd_summary");
	values = summary_canonical(state, &n);
	if (n == 0)
		PG_RETURN_NULL();
	return make_triple(fcinfo, (double) (n - 1), (double) (values[n - 1] - values[0]),
					   (double) (state->as_of_index - values[0]));
}

/*
 * (frequency, recency, n) for BG/BB: n = sends, frequency = engaged sends, recency = the
 * position (1-based, in time order) of the last engaged send, 0 when none; sends at the
 * same time as the last engaged one count as before it.
 */
Datum
bgbb_summary_final(PG_FUNCTION_ARGS)
{
	SummaryState *state;
	int32		n;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = summary_arg(fcinfo, 0);
	if (state->kind != SUMMARY_SENDS)
		report_corrupt_summary(ERRCODE_INVALID_PARAMETER_VALUE, "a btyd_summary state in bgbb_summary");
	(void) summary_canonical(state, &n);
	return make_triple(fcinfo, (double) state->engaged,
					   state->engaged > 0 ? (double) (state->sends - n) : 0.0,
					   (double) state->sends);
}
