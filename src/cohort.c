/*
 * cohort.c — cohort arithmetic: which period after its cohort's start an event falls in, and
 * the full cohort x period grid with a flag for cells that cannot have data yet.
 *
 * Every function comes in two forms: one that uses the session's TimeZone (like timestamptz
 * + interval, hence STABLE) and one taking a zone name (IMMUTABLE, for dbt models and for
 * pushing down to shards).  Both go through src/common/timecalc.c.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "common/timecalc.h"

PG_FUNCTION_INFO_V1(cohort_period_session);
PG_FUNCTION_INFO_V1(cohort_period_zone);
PG_FUNCTION_INFO_V1(cohort_grid_session);
PG_FUNCTION_INFO_V1(cohort_grid_zone);

/* Grids larger than this are almost certainly a unit mistake ('1 second' periods). */
#define COHORT_GRID_MAX_CELLS 10000000

/*
 * A cohort query calls cohort_period once per event row but with few distinct cohort starts
 * (one per cohort) and one period, so the period boundaries start + k * period are cached per
 * start in fn_extra for the whole query: a row then costs a lookup and a comparison or two
 * instead of two rounds of time-zone arithmetic.  Boundaries are computed by the same
 * function as the uncached path, so answers cannot differ.
 */
#define BOUNDARY_CACHE_STARTS	64		/* cohort starts cached per query */
#define BOUNDARY_CACHE_MAX		4096	/* boundaries per start; beyond, compute directly */

typedef struct BoundarySeries
{
	TimestampTz start;
	int32		n;				/* boundaries[0 .. n-1] are computed */
	int32		capacity;
	TimestampTz *boundaries;	/* boundaries[k] = start + k * period */
} BoundarySeries;

typedef struct BoundaryCache
{
	Interval	period;
	pg_tz	   *tz;
	char	   *zone_name;		/* the zone argument that gave tz (NULL: session zone) */
	double		inv_mean_usecs;	/* 1 / mean period length, for the first guess */
	int			used;
	int			last_hit;
	OmniZoneMap *map;			/* built once every slot is taken (per-customer starts) */
	BoundarySeries series[BOUNDARY_CACHE_STARTS];
} BoundaryCache;

static BoundaryCache *
boundary_cache(FunctionCallInfo fcinfo, const Interval *period, pg_tz *tz, const char *zone_name)
{
	BoundaryCache *cache = (BoundaryCache *) fcinfo->flinfo->fn_extra;

	if (cache != NULL && cache->tz == tz &&
		cache->period.month == period->month && cache->period.day == period->day &&
		cache->period.time == period->time)
		return cache;

	/* first call, or the period or zone changed (non-constant arguments): start afresh */
	if (cache != NULL)
	{
		int			i;

		for (i = 0; i < cache->used; i++)
			pfree(cache->series[i].boundaries);
		if (cache->zone_name != NULL)
			pfree(cache->zone_name);
		if (cache->map != NULL)
		{
			pfree(cache->map->seg_start);
			pfree(cache->map->seg_offset);
			pfree(cache->map->week_segment);
			pfree(cache->map);
		}
	}
	else
		cache = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(BoundaryCache));
	memset(cache, 0, sizeof(BoundaryCache));
	cache->period = *period;
	cache->tz = tz;
	cache->zone_name = zone_name ? MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, zone_name) : NULL;
	cache->inv_mean_usecs = 1.0 / omni_mean_period_usecs(period);
	fcinfo->flinfo->fn_extra = cache;
	return cache;
}

/*
 * The cached series for this cohort start, or NULL when it is not cached and every slot is
 * taken.  Slots are never evicted: a query whose starts are all different (per-customer
 * starts) would otherwise refill boundaries 0..k on every row; instead the first starts stay
 * cached and the rest are computed directly, as without a cache.
 */
static BoundarySeries *
boundary_series(FunctionCallInfo fcinfo, BoundaryCache *cache, TimestampTz start)
{
	BoundarySeries *series;
	int			i;

	if (cache->used > 0 && cache->series[cache->last_hit].start == start)
		return &cache->series[cache->last_hit];
	for (i = 0; i < cache->used; i++)
		if (cache->series[i].start == start)
		{
			cache->last_hit = i;
			return &cache->series[i];
		}
	if (cache->used == BOUNDARY_CACHE_STARTS)
		return NULL;

	i = cache->used++;
	series = &cache->series[i];
	series->start = start;
	series->capacity = 16;
	series->boundaries = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt,
											series->capacity * sizeof(TimestampTz));
	series->boundaries[0] = start;
	series->n = 1;
	cache->last_hit = i;
	return series;
}

/* The largest k >= 0 with boundaries[k] <= at, or -1 when the cache cannot answer. */
static int64
cached_whole_periods(BoundaryCache *cache, BoundarySeries *series, TimestampTz at)
{
	return omni_cached_whole_periods(series->start, at, &cache->period, cache->tz,
									 cache->inv_mean_usecs, BOUNDARY_CACHE_MAX,
									 &series->boundaries, &series->n, &series->capacity);
}

static Datum
cohort_period_common(FunctionCallInfo fcinfo, pg_tz *tz, const char *zone_name)
{
	TimestampTz start = PG_GETARG_TIMESTAMPTZ(0);
	TimestampTz at = PG_GETARG_TIMESTAMPTZ(1);
	Interval   *period = PG_GETARG_INTERVAL_P(2);
	BoundaryCache *cache;
	int64		k = -1;

	omni_check_period(period, "period");
	omni_check_finite(start, "cohort_start");
	omni_check_finite(at, "at");

	cache = boundary_cache(fcinfo, period, tz, zone_name);

	/*
	 * Once every slot is taken the starts are per customer: civil-date arithmetic answers
	 * nearly every row at about the cost of a cached one (and checks itself), so it goes
	 * first; the slots and the full arithmetic remain for what it leaves.
	 */
	if (cache->used == BOUNDARY_CACHE_STARTS && cache->series[cache->last_hit].start != start)
	{
		if (cache->map == NULL)
			cache->map = omni_zone_map(tz, fcinfo->flinfo->fn_mcxt);
		if (omni_fast_whole_periods(cache->map, start, at, period, &k))
			goto done;
		k = -1;
	}
	if (at >= start)
	{
		BoundarySeries *series = boundary_series(fcinfo, cache, start);

		if (series != NULL)
			k = cached_whole_periods(cache, series, at);
	}
	if (k < 0)
		k = omni_whole_periods(start, at, period, tz);

done:
	if (k != (int32) k)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cohort period " INT64_FORMAT " is out of range for integer", k),
				 errhint("Use a longer period.")));
	PG_RETURN_INT32((int32) k);
}

Datum
cohort_period_session(PG_FUNCTION_ARGS)
{
	return cohort_period_common(fcinfo, session_timezone, NULL);
}

Datum
cohort_period_zone(PG_FUNCTION_ARGS)
{
	BoundaryCache *cache = (BoundaryCache *) fcinfo->flinfo->fn_extra;
	text	   *zone = PG_GETARG_TEXT_PP(3);
	char	   *zone_name = text_to_cstring(zone);

	/* the zone argument is nearly always a constant: skip the look-up when it is unchanged */
	if (cache != NULL && cache->zone_name != NULL && strcmp(cache->zone_name, zone_name) == 0)
		return cohort_period_common(fcinfo, cache->tz, zone_name);
	return cohort_period_common(fcinfo, omni_lookup_zone(zone_name), zone_name);
}

/*
 * cohort_grid(first_cohort, last_cohort, cohort_interval, period, as_of):
 * one row per cohort start (first_cohort + i * cohort_interval <= last_cohort) and period
 * number 0 .. the last period of the oldest cohort that starts before as_of, with
 *   observable = the period starts before as_of (a zero there is a real zero),
 *   complete   = the period ends by as_of (its figures are final).
 * as_of is the exclusive end of the data, like the upper bound of a half-open range: a
 * period that starts exactly at as_of has no observed time yet.
 */
static Datum
cohort_grid_common(FunctionCallInfo fcinfo, pg_tz *tz)
{
	TimestampTz first = PG_GETARG_TIMESTAMPTZ(0);
	TimestampTz last = PG_GETARG_TIMESTAMPTZ(1);
	Interval   *cohort_interval = PG_GETARG_INTERVAL_P(2);
	Interval   *period = PG_GETARG_INTERVAL_P(3);
	TimestampTz as_of = PG_GETARG_TIMESTAMPTZ(4);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		n_cohorts;
	int64		n_periods;
	int64		i;

	omni_check_period(cohort_interval, "cohort_interval");
	omni_check_period(period, "period");
	if (last < first)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("last_cohort %s precedes first_cohort %s",
						pstrdup(timestamptz_to_str(last)), pstrdup(timestamptz_to_str(first))),
				 errhint("Pass the earliest cohort start first.")));

	omni_check_finite(first, "first_cohort");
	omni_check_finite(last, "last_cohort");
	omni_check_finite(as_of, "as_of");

	n_cohorts = omni_whole_periods(first, last, cohort_interval, tz) + 1;
	n_periods = as_of <= first ? 0 : omni_whole_periods(first, as_of - 1, period, tz) + 1;
	/* divide rather than multiply: the product of two huge counts would wrap */
	if (n_cohorts > COHORT_GRID_MAX_CELLS ||
		(n_periods > 0 && n_periods > COHORT_GRID_MAX_CELLS / n_cohorts))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cohort grid of " INT64_FORMAT " cohorts x " INT64_FORMAT
						" periods exceeds %d cells", n_cohorts, n_periods, COHORT_GRID_MAX_CELLS),
				 errhint("Use longer periods or fewer cohorts.")));

	InitMaterializedSRF(fcinfo, 0);
	if (n_periods == 0)
		return (Datum) 0;		/* as_of is at or before the first cohort: no cell yet */

	for (i = 0; i < n_cohorts; i++)
	{
		Interval	offset;
		TimestampTz cohort_start;
		int64		k;

		CHECK_FOR_INTERRUPTS();
		omni_interval_multiply(cohort_interval, i, &offset);
		cohort_start = omni_timestamptz_add_in_zone(first, &offset, tz);

		for (k = 0; k < n_periods; k++)
		{
			Datum		values[6];
			bool		nulls[6] = {false, false, false, false, false, false};
			Interval	span;
			TimestampTz period_start;
			TimestampTz period_end;

			CHECK_FOR_INTERRUPTS();
			omni_interval_multiply(period, k, &span);
			period_start = omni_timestamptz_add_in_zone(cohort_start, &span, tz);
			omni_interval_multiply(period, k + 1, &span);
			period_end = omni_timestamptz_add_in_zone(cohort_start, &span, tz);

			values[0] = TimestampTzGetDatum(cohort_start);
			values[1] = Int32GetDatum((int32) k);
			values[2] = TimestampTzGetDatum(period_start);
			values[3] = TimestampTzGetDatum(period_end);
			values[4] = BoolGetDatum(period_start < as_of);
			values[5] = BoolGetDatum(period_end <= as_of);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

Datum
cohort_grid_session(PG_FUNCTION_ARGS)
{
	return cohort_grid_common(fcinfo, session_timezone);
}

Datum
cohort_grid_zone(PG_FUNCTION_ARGS)
{
	return cohort_grid_common(fcinfo, omni_lookup_zone(text_to_cstring(PG_GETARG_TEXT_PP(5))));
}
