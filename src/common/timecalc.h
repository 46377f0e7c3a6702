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

#endif							/* OMNI_TIMECALC_H */
