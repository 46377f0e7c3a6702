/*
 * cohort.c — cohort arithmetic: which period after its cohort's start an event falls in, and
 * the full cohort x period grid with a flag for cells that cannot have data yet.
 *
 * Every function comes in two forms: one that uses the session's TimeZone (like timestamptz
 * + interval, hence STABLE) and one taking a zone name (IMMUTABLE, for dbt models and for
 * pushing down to shards).  Both go through src/common/timecalc.c.
 */
#include "postgres.h"

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

static Datum
cohort_period_common(FunctionCallInfo fcinfo, pg_tz *tz)
{
	TimestampTz start = PG_GETARG_TIMESTAMPTZ(0);
	TimestampTz at = PG_GETARG_TIMESTAMPTZ(1);
	Interval   *period = PG_GETARG_INTERVAL_P(2);
	int64		k;

	omni_check_period(period, "period");
	k = omni_whole_periods(start, at, period, tz);
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
	return cohort_period_common(fcinfo, session_timezone);
}

Datum
cohort_period_zone(PG_FUNCTION_ARGS)
{
	return cohort_period_common(fcinfo, omni_lookup_zone(text_to_cstring(PG_GETARG_TEXT_PP(3))));
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

	n_cohorts = omni_whole_periods(first, last, cohort_interval, tz) + 1;
	n_periods = as_of <= first ? 0 : omni_whole_periods(first, as_of - 1, period, tz) + 1;
	if (n_periods > 0 && n_cohorts * n_periods > COHORT_GRID_MAX_CELLS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cohort grid would have " INT64_FORMAT " cells (" INT64_FORMAT
						" cohorts x " INT64_FORMAT " periods), more than %d",
						n_cohorts * n_periods, n_cohorts, n_periods, COHORT_GRID_MAX_CELLS),
				 errhint("Use longer periods or fewer cohorts.")));

	InitMaterializedSRF(fcinfo, 0);

	for (i = 0; i < n_cohorts; i++)
	{
		Interval	offset;
		TimestampTz cohort_start;
		int64		k;

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
