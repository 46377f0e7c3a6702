/*
 * timecalc.h — calendar arithmetic in an explicit time zone, shared by the cohort functions
 * and anything else that steps through periods (engagement windows, channel hours).
 */
#ifndef OMNI_TIMECALC_H
#define OMNI_TIMECALC_H

#include "datatype/timestamp.h"
#include "pgtime.h"

/*
 * ts + span in the calendar of zone tz, with PostgreSQL's own semantics for timestamptz +
 * interval: months first (clamping the day to the month's end: Jan 31 + 1 month = Feb 28/29),
 * then days on the local calendar (DST-aware), then the time part as elapsed time.
 * Errors on overflow.
 */
extern TimestampTz omni_timestamptz_add_in_zone(TimestampTz ts, const Interval *span, pg_tz *tz);

/* span * k, erroring on overflow of any field */
extern void omni_interval_multiply(const Interval *span, int64 k, Interval *result);

/*
 * A cache of one start's period boundaries, boundaries[k] = start + k * period in zone tz:
 * extends *boundaries (allocated in the caller's long-lived context, grown with repalloc) so
 * that boundaries[0 .. k] are computed.  False when k is at or beyond max, the most the caller
 * keeps; then the caller computes directly.
 */
extern bool omni_boundaries_through(TimestampTz start, const Interval *period, pg_tz *tz, int64 k,
									int32 max, TimestampTz **boundaries, int32 *n, int32 *capacity);

/*
 * omni_whole_periods from such a cache: the largest k >= 0 with boundaries[k] <= at, extending
 * the cache as needed, or -1 when at is before start or the answer lies beyond max.  inv_mean
 * is 1 / omni_mean_period_usecs(period): it only makes the first guess, the boundaries decide.
 */
extern int64 omni_cached_whole_periods(TimestampTz start, TimestampTz at, const Interval *period,
									   pg_tz *tz, double inv_mean, int32 max,
									   TimestampTz **boundaries, int32 *n, int32 *capacity);

/* Reject a period that is not strictly positive in every field it uses (errors name it). */
extern void omni_check_period(const Interval *period, const char *argname);

/* The time zone named by a text argument, or an error naming it. */
extern pg_tz *omni_lookup_zone(const char *name);

/* Reject an infinite timestamp, naming the argument. */
extern void omni_check_finite(TimestampTz ts, const char *argname);

/*
 * An interval as a fixed length in microseconds (a day is 24 hours and a month 30 days, as
 * interval comparison has it), so functions that take durations stay IMMUTABLE.  Errors
 * name the argument on overflow and on a negative length, with the caller's hint.
 */
extern int64 omni_duration_usecs(const Interval *span, const char *argname, const char *hint);

/* A period's mean length in microseconds (a month is 1/12 of 365.25 days): a first guess. */
extern double omni_mean_period_usecs(const Interval *period);

/*
 * The number of whole periods from start to at: the largest k with start + k*period <= at
 * (negative when at precedes start), with the calendar of tz.  Both must be finite.
 */
extern int64 omni_whole_periods(TimestampTz start, TimestampTz at, const Interval *period, pg_tz *tz);

/*
 * The fast path for per-row period arithmetic with many different starts.
 *
 * A zone's history between 1900 and 2100 as segments of constant UTC offset, found once with
 * pg_next_dst_boundary (the function DetermineTimeZoneOffset itself uses) and checked
 * against pg_localtime at both ends of each segment.  Within a segment, UTC -> local is adding
 * the offset; a local time converts back by subtracting the offset of the segment it lands in,
 * trusted only when it lands at least two days from the segment's ends, where the local time
 * is neither skipped nor repeated and DetermineTimeZoneOffset gives that same answer.  Every
 * other case (near a transition, outside 1900-2100, overflow) is reported as "cannot answer"
 * and the caller falls back to the full arithmetic, so answers never differ from it.
 */
typedef struct OmniZoneMap
{
	pg_tz	   *tz;
	int			nseg;
	int			last;			/* the segment found last: rows often share one */
	TimestampTz *seg_start;		/* segment i is [seg_start[i], seg_start[i + 1]) */
	int64	   *seg_offset;		/* local - UTC in microseconds; INT64_MIN: not usable */
	int32	   *week_segment;	/* the segment holding the start of each week of the map */
} OmniZoneMap;

extern OmniZoneMap *omni_zone_map(pg_tz *tz, MemoryContext mcxt);

/* local wall-clock time of ts (microseconds from 2000-01-01 00:00 local), or false */
extern bool omni_fast_local(OmniZoneMap *map, TimestampTz ts, int64 *local);

/* the timestamptz of a local wall-clock time, when it is unambiguous and far from a transition */
extern bool omni_fast_from_local(OmniZoneMap *map, int64 local, TimestampTz *ts);

/*
 * omni_whole_periods(start, at, period, map->tz) by civil-date arithmetic, or false when the
 * fast path cannot vouch for the answer (then call omni_whole_periods).
 */
extern bool omni_fast_whole_periods(OmniZoneMap *map, TimestampTz start, TimestampTz at,
									const Interval *period, int64 *k);

#endif							/* OMNI_TIMECALC_H */
