/*
 * rate.c — omni.rate and what reads it: the hits/trials partial state behind every open,
 * click and conversion rate, its aggregates (rate_agg from booleans, rollup of states),
 * and accessors for the value, Wilson interval, tests and shrinkage.
 *
 * The state is two int64s, not an `internal` struct, so Citus and postgres_fdw can ship it
 * and a dbt model can store it.  Aggregates add into their state in place when running as
 * an aggregate (the state then lives in the aggregate's context), as float8_accum does.
 */
#include "postgres.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>

#include "access/htup_details.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "common/stats.h"
#include "rate.h"

PG_FUNCTION_INFO_V1(rate_in);
PG_FUNCTION_INFO_V1(rate_out);
PG_FUNCTION_INFO_V1(rate_recv);
PG_FUNCTION_INFO_V1(rate_send);
PG_FUNCTION_INFO_V1(rate_make);
PG_FUNCTION_INFO_V1(rate_eq);
PG_FUNCTION_INFO_V1(rate_ne);
PG_FUNCTION_INFO_V1(rate_hash);
PG_FUNCTION_INFO_V1(rate_add);
PG_FUNCTION_INFO_V1(rate_agg_trans);
PG_FUNCTION_INFO_V1(rate_agg_counts_trans);
PG_FUNCTION_INFO_V1(rate_rollup_trans);
PG_FUNCTION_INFO_V1(rate_hits);
PG_FUNCTION_INFO_V1(rate_trials);
PG_FUNCTION_INFO_V1(rate_value);
PG_FUNCTION_INFO_V1(rate_ci_lower);
PG_FUNCTION_INFO_V1(rate_ci_upper);
PG_FUNCTION_INFO_V1(rate_p_value);
PG_FUNCTION_INFO_V1(rate_fisher_p_value);
PG_FUNCTION_INFO_V1(rate_shrink);
PG_FUNCTION_INFO_V1(rate_shrink_mean);
PG_FUNCTION_INFO_V1(rate_summary);

/* Fisher's exact test visits about this many terms at most before we point to p_value. */
#define FISHER_MAX_WORK 1.0e8

static inline void
CheckRate(int64 hits, int64 trials)
{
	if (trials < 0 || hits < 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("omni.rate cannot be negative: " INT64_FORMAT "/" INT64_FORMAT, hits, trials),
				 errhint("A rate is hits/trials with 0 <= hits <= trials.")));
	if (hits > trials)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("omni.rate hits exceed trials: " INT64_FORMAT "/" INT64_FORMAT, hits, trials),
				 errhint("A rate is hits/trials with 0 <= hits <= trials.")));
}

static inline void
CheckConfidence(double confidence)
{
	if (!(confidence > 0.0 && confidence < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence must be between 0 and 1 exclusive, not %g", confidence),
				 errhint("Pass a coverage such as 0.95 for a 95%% interval.")));
}

Rate *
omni_make_rate(int64 hits, int64 trials)
{
	Rate	   *rate;

	CheckRate(hits, trials);
	rate = (Rate *) palloc(sizeof(Rate));
	rate->hits = hits;
	rate->trials = trials;
	return rate;
}

void
omni_check_rate(int64 hits, int64 trials)
{
	CheckRate(hits, trials);
}

static void
report_rate_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("omni.rate out of range: more than " INT64_FORMAT " trials", PG_INT64_MAX),
			 errhint("Hits and trials are bigint counts; merge fewer or smaller states.")));
}

/* a += b, erroring rather than wrapping */
static inline void
rate_accumulate(Rate *a, const Rate *b)
{
	if (pg_add_s64_overflow(a->hits, b->hits, &a->hits) ||
		pg_add_s64_overflow(a->trials, b->trials, &a->trials))
		report_rate_overflow();
}

/*
 * The state to update: the first argument itself inside an aggregate (it lives in the
 * aggregate's context and nobody else sees it), a fresh copy when called as a plain function.
 */
static inline Rate *
rate_state_arg(FunctionCallInfo fcinfo)
{
	Rate	   *state = PG_GETARG_RATE_P(0);

	if (AggCheckCallContext(fcinfo, NULL))
		return state;
	return omni_make_rate(state->hits, state->trials);
}

/* ---------- text and binary I/O ---------- */

static bool
parse_count(const char **cursor, int64 *value)
{
	const char *p = *cursor;
	char	   *end;

	while (isspace((unsigned char) *p))
		p++;
	if (!isdigit((unsigned char) *p) && *p != '-' && *p != '+')
		return false;
	errno = 0;
	*value = strtoi64(p, &end, 10);
	if (end == p)
		return false;
	if (errno == ERANGE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value in omni.rate \"%s\" is out of range for bigint", *cursor),
				 errhint("Hits and trials are each at most " INT64_FORMAT ".", PG_INT64_MAX)));
	while (isspace((unsigned char) *end))
		end++;
	*cursor = end;
	return true;
}

Datum
rate_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);
	const char *p = str;
	int64		hits;
	int64		trials;

	if (!parse_count(&p, &hits) || *p++ != '/' || !parse_count(&p, &trials) || *p != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type omni.rate: \"%s\"", str),
				 errhint("Write a rate as hits/trials, e.g. '12/340'.")));
	PG_RETURN_RATE_P(omni_make_rate(hits, trials));
}

Datum
rate_out(PG_FUNCTION_ARGS)
{
	Rate	   *rate = PG_GETARG_RATE_P(0);

	PG_RETURN_CSTRING(psprintf(INT64_FORMAT "/" INT64_FORMAT, rate->hits, rate->trials));
}

Datum
rate_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version;
	int64		hits;
	int64		trials;

	/*
	 * Check the length first: pq_getmsg* past the end reports a protocol violation (08P01),
	 * which drivers take for a broken connection, not for a bad value.
	 */
	if (buf->len - buf->cursor < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid omni.rate binary value: empty"),
				 errhint("The binary form is a version byte and two 8-byte integers (hits, trials).")));
	version = pq_getmsgbyte(buf);
	if (version != RATE_BINARY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported omni.rate binary format version %d", version),
				 errhint("This omni reads version %d; upgrade omni on the receiving side.",
						 RATE_BINARY_VERSION)));
	if (buf->len - buf->cursor != 16)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid omni.rate binary value: %d bytes after the version byte, not 16",
						buf->len - buf->cursor),
				 errhint("The binary form is a version byte and two 8-byte integers (hits, trials).")));
	hits = pq_getmsgint64(buf);
	trials = pq_getmsgint64(buf);
	pq_getmsgend(buf);
	PG_RETURN_RATE_P(omni_make_rate(hits, trials));
}

Datum
rate_send(PG_FUNCTION_ARGS)
{
	Rate	   *rate = PG_GETARG_RATE_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, RATE_BINARY_VERSION);
	pq_sendint64(&buf, rate->hits);
	pq_sendint64(&buf, rate->trials);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
rate_make(PG_FUNCTION_ARGS)
{
	PG_RETURN_RATE_P(omni_make_rate(PG_GETARG_INT64(0), PG_GETARG_INT64(1)));
}

Datum
rate_eq(PG_FUNCTION_ARGS)
{
	Rate	   *a = PG_GETARG_RATE_P(0);
	Rate	   *b = PG_GETARG_RATE_P(1);

	PG_RETURN_BOOL(a->hits == b->hits && a->trials == b->trials);
}

Datum
rate_ne(PG_FUNCTION_ARGS)
{
	Rate	   *a = PG_GETARG_RATE_P(0);
	Rate	   *b = PG_GETARG_RATE_P(1);

	PG_RETURN_BOOL(a->hits != b->hits || a->trials != b->trials);
}

/* for the hash operator class: GROUP BY, DISTINCT and UNION over omni.rate columns */
Datum
rate_hash(PG_FUNCTION_ARGS)
{
	Rate	   *rate = PG_GETARG_RATE_P(0);
	int64		fields[2] = {rate->hits, rate->trials};

	return hash_any((const unsigned char *) fields, sizeof(fields));
}

/* ---------- aggregates ---------- */

/*
 * Also the combine function of both aggregates, and the + operator: merging two partial
 * states is adding their counts.
 */
Datum
rate_add(PG_FUNCTION_ARGS)
{
	Rate	   *state = rate_state_arg(fcinfo);

	rate_accumulate(state, PG_GETARG_RATE_P(1));
	PG_RETURN_RATE_P(state);
}

/* rate_agg(boolean): STRICT with a '0/0' initial state, so NULL rows are never counted */
Datum
rate_agg_trans(PG_FUNCTION_ARGS)
{
	Rate	   *state = rate_state_arg(fcinfo);
	bool		hit = PG_GETARG_BOOL(1);

	if (unlikely(state->trials == PG_INT64_MAX))
		report_rate_overflow();
	state->trials++;
	state->hits += hit ? 1 : 0;
	PG_RETURN_RATE_P(state);
}

/* rate_agg(hits, trials): counts that were already aggregated elsewhere (an ESP report) */
Datum
rate_agg_counts_trans(PG_FUNCTION_ARGS)
{
	Rate	   *state = rate_state_arg(fcinfo);
	Rate		row;

	row.hits = PG_GETARG_INT64(1);
	row.trials = PG_GETARG_INT64(2);
	CheckRate(row.hits, row.trials);
	rate_accumulate(state, &row);
	PG_RETURN_RATE_P(state);
}

/* rollup(omni.rate) transition: the same as combining */
Datum
rate_rollup_trans(PG_FUNCTION_ARGS)
{
	return rate_add(fcinfo);
}

/* ---------- accessors ---------- */

Datum
rate_hits(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_RATE_P(0)->hits);
}

Datum
rate_trials(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_RATE_P(0)->trials);
}

Datum
rate_value(PG_FUNCTION_ARGS)
{
	Rate	   *rate = PG_GETARG_RATE_P(0);

	if (rate->trials == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) rate->hits / (double) rate->trials);
}

static Datum
wilson_bound(FunctionCallInfo fcinfo, bool upper)
{
	Rate	   *rate = PG_GETARG_RATE_P(0);
	double		confidence = PG_GETARG_FLOAT8(1);
	double		lower_bound;
	double		upper_bound;

	CheckConfidence(confidence);
	if (rate->trials == 0)
		PG_RETURN_NULL();
	omni_wilson_interval(rate->hits, rate->trials, omni_two_sided_z(confidence),
						 &lower_bound, &upper_bound);
	PG_RETURN_FLOAT8(upper ? upper_bound : lower_bound);
}

Datum
rate_ci_lower(PG_FUNCTION_ARGS)
{
	return wilson_bound(fcinfo, false);
}

Datum
rate_ci_upper(PG_FUNCTION_ARGS)
{
	return wilson_bound(fcinfo, true);
}

Datum
rate_p_value(PG_FUNCTION_ARGS)
{
	Rate	   *a = PG_GETARG_RATE_P(0);
	Rate	   *b = PG_GETARG_RATE_P(1);

	if (a->trials == 0 || b->trials == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(omni_two_proportion_p_value(a->hits, a->trials, b->hits, b->trials));
}

Datum
rate_fisher_p_value(PG_FUNCTION_ARGS)
{
	Rate	   *a = PG_GETARG_RATE_P(0);
	Rate	   *b = PG_GETARG_RATE_P(1);

	if (a->trials == 0 || b->trials == 0)
		PG_RETURN_NULL();
	if (omni_fisher_exact_work(a->hits, a->trials, b->hits, b->trials) > FISHER_MAX_WORK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("counts too large for Fisher's exact test: %s vs %s",
						DatumGetCString(DirectFunctionCall1(rate_out, RatePGetDatum(a))),
						DatumGetCString(DirectFunctionCall1(rate_out, RatePGetDatum(b)))),
				 errhint("At these counts the normal approximation is accurate: use omni.p_value(a, b).")));
	PG_RETURN_FLOAT8(omni_fisher_exact_p_value(a->hits, a->trials, b->hits, b->trials));
}

/*
 * Posterior mean of a rate under a Beta(alpha, beta) prior: (hits + alpha) / (trials +
 * alpha + beta).  NULL when the posterior is improper (no trials and a zero-strength prior).
 */
static Datum
posterior_mean(FunctionCallInfo fcinfo, const Rate *rate, double alpha, double beta)
{
	double		denominator = (double) rate->trials + alpha + beta;

	if (denominator == 0.0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(((double) rate->hits + alpha) / denominator);
}

Datum
rate_shrink(PG_FUNCTION_ARGS)
{
	Rate	   *rate = PG_GETARG_RATE_P(0);
	Rate	   *prior = PG_GETARG_RATE_P(1);

	return posterior_mean(fcinfo, rate, (double) prior->hits,
						  (double) (prior->trials - prior->hits));
}

Datum
rate_shrink_mean(PG_FUNCTION_ARGS)
{
	Rate	   *rate = PG_GETARG_RATE_P(0);
	double		mean = PG_GETARG_FLOAT8(1);
	double		strength = PG_GETARG_FLOAT8(2);

	if (!(mean >= 0.0 && mean <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("prior_mean must be between 0 and 1, not %g", mean),
				 errhint("Pass the population's rate, e.g. omni.value(population_state).")));
	if (!(strength >= 0.0 && isfinite(strength)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("prior_strength must be a finite number >= 0, not %g", strength),
				 errhint("The prior counts as this many pseudo-trials; 0 disables shrinkage.")));
	return posterior_mean(fcinfo, rate, mean * strength, (1.0 - mean) * strength);
}

/*
 * summary(rate, confidence): every figure of a state as one composite, so a view can expose
 * flat, chartable columns with (omni.summary(state)).*
 */
Datum
rate_summary(PG_FUNCTION_ARGS)
{
	Rate	   *rate = PG_GETARG_RATE_P(0);
	double		confidence = PG_GETARG_FLOAT8(1);
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	CheckConfidence(confidence);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	values[0] = Int64GetDatum(rate->hits);
	values[1] = Int64GetDatum(rate->trials);
	if (rate->trials == 0)
		nulls[2] = nulls[3] = nulls[4] = true;
	else
	{
		double		lower;
		double		upper;

		omni_wilson_interval(rate->hits, rate->trials, omni_two_sided_z(confidence), &lower, &upper);
		values[2] = Float8GetDatum((double) rate->hits / (double) rate->trials);
		values[3] = Float8GetDatum(lower);
		values[4] = Float8GetDatum(upper);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
