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

bool
omni_boundaries_through(TimestampTz start, const Interval *period, pg_tz *tz, int64 k,
						int32 max, TimestampTz **boundaries, int32 *n, int32 *capacity)
{
	if (k >= max)
		return false;
	if (k >= *capacity)
	{
		int32		grown = *capacity;

		while (grown <= k)
			grown *= 2;
		grown = Min(grown, max);
		*boundaries = repalloc(*boundaries, grown * sizeof(TimestampTz));
		*capacity = grown;
	}
	while (*n <= k)
	{
		Interval	span;

		omni_interval_multiply(period, *n, &span);
		(*boundaries)[*n] = omni_timestamptz_add_in_zone(start, &span, tz);
		(*n)++;
	}
	return true;
}

int64
omni_cached_whole_periods(TimestampTz start, TimestampTz at, const Interval *period, pg_tz *tz,
						  double inv_mean, int32 max, TimestampTz **boundaries, int32 *n,
						  int32 *capacity)
{
	double		guess = ((double) at - (double) start) * inv_mean;
	int64		k;

	if (!(guess >= 0.0 && guess < max))
		return -1;
	k = (int64) guess;			/* floor, as guess >= 0 */
	if (!omni_boundaries_through(start, period, tz, k + 1, max, boundaries, n, capacity))
		return -1;
	while (k > 0 && (*boundaries)[k] > at)
		k--;
	if ((*boundaries)[k] > at)
		return -1;				/* at is before start (the guess rounded up to 0) */
	for (;;)
	{
		if (!omni_boundaries_through(start, period, tz, k + 1, max, boundaries, n, capacity))
			return -1;
		if ((*boundaries)[k + 1] > at)
			return k;
		k++;
	}
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

/* ---------- the fast path: civil-date arithmetic between offset changes ---------- */

#define ZONE_MAP_FIRST_YEAR	1900
#define ZONE_MAP_END_YEAR	2100
#define ZONE_MAP_MAX_SEGMENTS 20000
#define SEGMENT_UNUSABLE	PG_INT64_MIN

/*
 * How far from a segment's ends a converted local time must land.  Two readings of one local
 * time differ by a difference of two UTC offsets (under 30 hours); two days keeps the other
 * reading, and DetermineTimeZoneOffset's look-back of one day, inside the same segment.
 */
#define SEGMENT_MARGIN		(2 * USECS_PER_DAY)

/* the fast path leaves alone guesses beyond this many periods (overflow and the odd case) */
#define FAST_MAX_PERIODS	100000000

#define USECS_PER_WEEK		(7 * USECS_PER_DAY)

static inline TimestampTz
pg_time_to_timestamptz(pg_time_t t)
{
	return (t - (pg_time_t) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY) * USECS_PER_SEC;
}

OmniZoneMap *
omni_zone_map(pg_tz *tz, MemoryContext mcxt)
{
	pg_time_t	from = (pg_time_t) (date2j(ZONE_MAP_FIRST_YEAR, 1, 1) - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
	pg_time_t	to = (pg_time_t) (date2j(ZONE_MAP_END_YEAR, 1, 1) - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
	int			capacity = 64;
	int			n = 0;
	pg_time_t  *starts = palloc(capacity * sizeof(pg_time_t));
	long	   *offsets = palloc(capacity * sizeof(long));
	pg_time_t	seg = from;
	OmniZoneMap *map;

	for (;;)
	{
		pg_time_t	probe = seg;
		pg_time_t	boundary = 0;
		long		before = 0;
		long		after = 0;
		int			before_dst;
		int			after_dst;
		int			res;

		res = pg_next_dst_boundary(&probe, &before, &before_dst, &boundary, &after, &after_dst, tz);
		if (res == 1 && boundary <= seg)
		{
			/* older tzcode answers "at or after": step past the boundary we stand on */
			probe = seg + 1;
			res = pg_next_dst_boundary(&probe, &before, &before_dst, &boundary, &after, &after_dst, tz);
		}
		if (n == capacity)
		{
			capacity *= 2;
			starts = repalloc(starts, capacity * sizeof(pg_time_t));
			offsets = repalloc(offsets, capacity * sizeof(long));
		}
		starts[n] = seg;
		offsets[n] = before;
		n++;
		if (res != 1 || boundary >= to || boundary <= seg || n >= ZONE_MAP_MAX_SEGMENTS)
			break;
		seg = boundary;
	}

	map = MemoryContextAlloc(mcxt, sizeof(OmniZoneMap));
	map->tz = tz;
	map->nseg = n;
	map->last = 0;
	map->seg_start = MemoryContextAlloc(mcxt, (n + 1) * sizeof(TimestampTz));
	map->seg_offset = MemoryContextAlloc(mcxt, n * sizeof(int64));
	for (int i = 0; i < n; i++)
	{
		pg_time_t	end = i + 1 < n ? starts[i + 1] : to;
		pg_time_t	last_second = end - 1;
		struct pg_tm *tm;
		bool		usable;

		/* the offset timestamp2tm (pg_localtime) sees must be the segment's at both ends */
		tm = pg_localtime(&starts[i], tz);
		usable = tm != NULL && tm->tm_gmtoff == offsets[i];
		tm = pg_localtime(&last_second, tz);
		usable = usable && tm != NULL && tm->tm_gmtoff == offsets[i];
		map->seg_start[i] = pg_time_to_timestamptz(starts[i]);
		map->seg_offset[i] = usable ? (int64) offsets[i] * USECS_PER_SEC : SEGMENT_UNUSABLE;
	}
	map->seg_start[n] = pg_time_to_timestamptz(to);

	/* a direct index by week, so finding a segment is a look-up and a step or two */
	{
		int64		weeks = (map->seg_start[n] - map->seg_start[0]) / USECS_PER_WEEK + 1;
		int			seg = 0;

		map->week_segment = MemoryContextAlloc(mcxt, weeks * sizeof(int32));
		for (int64 w = 0; w < weeks; w++)
		{
			TimestampTz week_start = map->seg_start[0] + w * USECS_PER_WEEK;

			while (seg + 1 < n && map->seg_start[seg + 1] <= week_start)
				seg++;
			map->week_segment[w] = seg;
		}
	}
	pfree(starts);
	pfree(offsets);
	return map;
}

/* the segment holding ts, or -1 outside the map */
static inline int
find_segment(OmniZoneMap *map, TimestampTz ts)
{
	int			i;

	if (ts >= map->seg_start[map->last] && ts < map->seg_start[map->last + 1])
		return map->last;
	if (ts < map->seg_start[0] || ts >= map->seg_start[map->nseg])
		return -1;
	i = map->week_segment[(ts - map->seg_start[0]) / USECS_PER_WEEK];
	while (map->seg_start[i + 1] <= ts)
		i++;
	return i;
}

bool
omni_fast_local(OmniZoneMap *map, TimestampTz ts, int64 *local)
{
	int			i = find_segment(map, ts);

	if (i < 0 || map->seg_offset[i] == SEGMENT_UNUSABLE)
		return false;
	map->last = i;
	*local = ts + map->seg_offset[i];
	return true;
}

bool
omni_fast_from_local(OmniZoneMap *map, int64 local, TimestampTz *ts)
{
	int			i = map->last;

	for (int tries = 0; tries < 3; tries++)
	{
		int64		offset = map->seg_offset[i];
		TimestampTz utc;

		if (offset == SEGMENT_UNUSABLE)
			return false;
		utc = local - offset;
		if (utc >= map->seg_start[i] + SEGMENT_MARGIN && utc < map->seg_start[i + 1] - SEGMENT_MARGIN)
		{
			*ts = utc;
			return true;
		}
		i = find_segment(map, utc);
		if (i < 0)
			return false;
	}
	return false;
}

/* a start decomposed once: its local date and time of day */
typedef struct CivilStart
{
	TimestampTz start;
	int			year;
	int			month;
	int			day;
	int			julian;
	int64		time_of_day;
} CivilStart;

static inline int64
julian_to_local(int64 julian, int64 time_of_day)
{
	return (julian - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY + time_of_day;
}

/*
 * start + k * period exactly as omni_timestamptz_add_in_zone computes it, or false.  k = 0
 * is the start itself (an all-zero span is no arithmetic at all).  The months step converts
 * its result to UTC and back before the days step, as PostgreSQL does; that round trip is
 * the identity when the month's result is a time the fast path can convert, so it is checked.
 */
static inline bool
fast_boundary(OmniZoneMap *map, const CivilStart *cs, const Interval *period, int64 k, TimestampTz *result)
{
	int64		julian = cs->julian;
	int64		elapsed;
	TimestampTz utc = cs->start;

	if (k == 0)
	{
		*result = cs->start;
		return true;
	}
	if (period->month != 0)
	{
		int64		months;
		int			year;
		int			month;
		int			day;

		if (pg_mul_s64_overflow(k, period->month, &months))
			return false;
		months += (int64) cs->year * MONTHS_PER_YEAR + (cs->month - 1);
		if (months < (int64) (ZONE_MAP_FIRST_YEAR - 1) * MONTHS_PER_YEAR ||
			months > (int64) (ZONE_MAP_END_YEAR + 1) * MONTHS_PER_YEAR)
			return false;
		year = (int) (months / MONTHS_PER_YEAR);
		month = (int) (months % MONTHS_PER_YEAR) + 1;
		day = Min(cs->day, day_tab[isleap(year)][month - 1]);
		julian = date2j(year, month, day);
		if (period->day != 0 &&
			!omni_fast_from_local(map, julian_to_local(julian, cs->time_of_day), &utc))
			return false;
	}
	if (period->day != 0)
	{
		int64		days;

		if (pg_mul_s64_overflow(k, period->day, &days) || days > 200 * 366 || days < -200 * 366)
			return false;
		julian += days;
	}
	if ((period->month != 0 || period->day != 0) &&
		!omni_fast_from_local(map, julian_to_local(julian, cs->time_of_day), &utc))
		return false;
	if (pg_mul_s64_overflow(k, period->time, &elapsed) || pg_add_s64_overflow(utc, elapsed, &utc) ||
		!IS_VALID_TIMESTAMP(utc))
		return false;
	*result = utc;
	return true;
}

bool
omni_fast_whole_periods(OmniZoneMap *map, TimestampTz start, TimestampTz at, const Interval *period,
						int64 *result)
{
	CivilStart	cs;
	int64		local;
	int64		days;
	double		guess;
	int64		k;
	TimestampTz boundary;
	int			steps;

	Assert(!TIMESTAMP_NOT_FINITE(start) && !TIMESTAMP_NOT_FINITE(at));

	/* the same first guess and the same two walks as omni_whole_periods, so the same k */
	guess = floor(((double) at - (double) start) / omni_mean_period_usecs(period));
	if (!(guess > -FAST_MAX_PERIODS && guess < FAST_MAX_PERIODS))
		return false;
	k = (int64) guess;

	if (!omni_fast_local(map, start, &local))
		return false;
	days = local / USECS_PER_DAY;
	if (local < days * USECS_PER_DAY)
		days--;					/* floor for times before 2000 */
	cs.start = start;
	cs.julian = (int) (days + POSTGRES_EPOCH_JDATE);
	cs.time_of_day = local - days * USECS_PER_DAY;
	j2date(cs.julian, &cs.year, &cs.month, &cs.day);

	if (!fast_boundary(map, &cs, period, k, &boundary))
		return false;
	for (steps = 0; boundary > at; steps++)
	{
		if (steps == 4 || !fast_boundary(map, &cs, period, --k, &boundary))
			return false;
	}
	for (steps = 0;; steps++)
	{
		if (steps == 4 || !fast_boundary(map, &cs, period, k + 1, &boundary))
			return false;
		if (boundary > at)
			break;
		k++;
	}
	*result = k;
	return true;
}
