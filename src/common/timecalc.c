/*
 * timecalc.c — calendar arithmetic in an explicit time zone.
 *
 * PostgreSQL's timestamptz + interval always uses the session's TimeZone, which would make
 * every cohort function STABLE.  Doing the same arithmetic with a zone passed in keeps the
 * zone-taking variants IMMUTABLE (so postgres_fdw and Citus can push them down) and gives
 * the session-zone variants exactly the answers of the built-in operator.
 */
#include "postgres.h"

#include <math.h>

#include "common/int.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "common/timecalc.h"

static void
report_out_of_range(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("timestamp out of range"),
			 errhint("A period boundary (start + k * period) falls outside the timestamp range "
					 "of 4713 BC to 294276 AD; use nearer timestamps or a shorter period.")));
}

TimestampTz
omni_timestamptz_add_in_zone(TimestampTz ts, const Interval *span, pg_tz *tz)
{
	struct pg_tm tt,
			   *tm = &tt;
	fsec_t		fsec;
	int			offset;

	if (TIMESTAMP_NOT_FINITE(ts))
		return ts;

	if (span->month != 0)
	{
		if (timestamp2tm(ts, &offset, tm, &fsec, NULL, tz) != 0)
			report_out_of_range();
		if (pg_add_s32_overflow(tm->tm_mon, span->month, &tm->tm_mon))
			report_out_of_range();
		if (tm->tm_mon > MONTHS_PER_YEAR)
		{
			tm->tm_year += (tm->tm_mon - 1) / MONTHS_PER_YEAR;
			tm->tm_mon = ((tm->tm_mon - 1) % MONTHS_PER_YEAR) + 1;
		}
		else if (tm->tm_mon < 1)
		{
			tm->tm_year += tm->tm_mon / MONTHS_PER_YEAR - 1;
			tm->tm_mon = tm->tm_mon % MONTHS_PER_YEAR + MONTHS_PER_YEAR;
		}
		/* the end-of-month rule: Jan 31 + 1 month is the last day of February */
		if (tm->tm_mday > day_tab[isleap(tm->tm_year)][tm->tm_mon - 1])
			tm->tm_mday = day_tab[isleap(tm->tm_year)][tm->tm_mon - 1];
		offset = DetermineTimeZoneOffset(tm, tz);
		if (tm2timestamp(tm, fsec, &offset, &ts) != 0)
			report_out_of_range();
	}

	if (span->day != 0)
	{
		int			julian;

		if (timestamp2tm(ts, &offset, tm, &fsec, NULL, tz) != 0)
			report_out_of_range();
		if (pg_add_s32_overflow(date2j(tm->tm_year, tm->tm_mon, tm->tm_mday), span->day, &julian) ||
			julian < 0)
			report_out_of_range();
		j2date(julian, &tm->tm_year, &tm->tm_mon, &tm->tm_mday);
		offset = DetermineTimeZoneOffset(tm, tz);
		if (tm2timestamp(tm, fsec, &offset, &ts) != 0)
			report_out_of_range();
	}

	if (pg_add_s64_overflow(ts, span->time, &ts) || !IS_VALID_TIMESTAMP(ts))
		report_out_of_range();
	return ts;
}

void
omni_interval_multiply(const Interval *span, int64 k, Interval *result)
{
	int64		month;
	int64		day;

	if (pg_mul_s64_overflow((int64) span->month, k, &month) || month != (int32) month ||
		pg_mul_s64_overflow((int64) span->day, k, &day) || day != (int32) day ||
		pg_mul_s64_overflow(span->time, k, &result->time))
		report_out_of_range();
	result->month = (int32) month;
	result->day = (int32) day;
}

void
omni_check_period(const Interval *period, const char *argname)
{
	if (period->month < 0 || period->day < 0 || period->time < 0 ||
		(period->month == 0 && period->day == 0 && period->time == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive interval, not \"%s\"", argname,
						DatumGetCString(DirectFunctionCall1(interval_out,
															IntervalPGetDatum(period)))),
				 errhint("Use an interval whose months, days and time are all zero or positive, "
						 "such as '1 month', '7 days' or '1 day'.")));
}

pg_tz *
omni_lookup_zone(const char *name)
{
	pg_tz	   *tz = pg_tzset(name);

	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" not recognized", name),
				 errhint("Use a full zone name from pg_timezone_names, such as 'Europe/Berlin' or 'UTC'.")));
	return tz;
}

void
omni_check_finite(TimestampTz ts, const char *argname)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite timestamp, not %s", argname,
						TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity"),
				 errhint("Cohort periods are not defined for infinite timestamps; filter them out.")));
}

double
omni_mean_period_usecs(const Interval *period)
{
	return period->month * (DAYS_PER_YEAR / MONTHS_PER_YEAR) * USECS_PER_DAY +
		(double) period->day * USECS_PER_DAY + (double) period->time;
}

static TimestampTz
period_boundary(TimestampTz start, const Interval *period, int64 k, pg_tz *tz)
{
	Interval	span;

	omni_interval_multiply(period, k, &span);
	return omni_timestamptz_add_in_zone(start, &span, tz);
}

int64
omni_whole_periods(TimestampTz start, TimestampTz at, const Interval *period, pg_tz *tz)
{
	/* a mean length in microseconds gets within a step or two of the answer */
	double		guess = floor(((double) at - (double) start) / omni_mean_period_usecs(period));
	int64		k;

	Assert(!TIMESTAMP_NOT_FINITE(start) && !TIMESTAMP_NOT_FINITE(at));

	k = (int64) guess;
	while (period_boundary(start, period, k, tz) > at)
		k--;
	while (period_boundary(start, period, k + 1, tz) <= at)
		k++;
	return k;
}

int64
omni_duration_usecs(const Interval *span, const char *argname, const char *hint)
{
	int64		days;
	int64		usecs;

	if (pg_mul_s64_overflow((int64) span->month, DAYS_PER_MONTH, &days) ||
		pg_add_s64_overflow(days, (int64) span->day, &days) ||
		pg_mul_s64_overflow(days, USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, span->time, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_INTERVAL_FIELD_OVERFLOW),
				 errmsg("%s is out of range: \"%s\"", argname,
						DatumGetCString(DirectFunctionCall1(interval_out,
															IntervalPGetDatum(span)))),
				 errhint("%s", hint)));
	if (usecs < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot be negative: \"%s\"", argname,
						DatumGetCString(DirectFunctionCall1(interval_out,
															IntervalPGetDatum(span)))),
				 errhint("%s", hint)));
	return usecs;
}
