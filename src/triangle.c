/*
 * triangle.c — omni.cohort_triangle: the whole cohort x period table of rates in one value.
 *
 * A cohort query grouped by (cohort, period) makes PostgreSQL hash one key per cell from every
 * message, and since it cannot estimate how many cells a function of two columns gives, it
 * plans one group per row and aggregates in a single process.  This aggregate keeps every
 * cell of the table in one state instead: grouped by channel or by nothing, the plan is an
 * ordinary partial aggregate that every parallel worker runs, and the combine step merges a
 * few small tables.  The state is a concrete type (text and binary forms, rollup), so a dbt
 * model can store one triangle per day and channel and merge them later.
 *
 * The cohort is the customer's start truncated to the cohort interval in the zone (as
 * date_trunc does for '1 month', '3 months', '1 year', '7 days' = ISO weeks and '1 day'); the
 * period is omni.cohort_period from the cohort's start ('cohort') or from the customer's own
 * start ('customer').  Both are computed with the cohort functions' own arithmetic, so a
 * triangle equals the GROUP BY form cell for cell.  Rows are messages (a hit boolean) or
 * counts made elsewhere (hits and trials, as omni.rate_agg(hits, trials) takes them).
 *
 * In memory the state is a dense box of cells (cohorts x periods, hits and trials each),
 * updated in place in the aggregate context; the box grows, with room to spare, when a row
 * falls outside it.  The binary and text forms list only the cells that have trials.
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
#include "rate.h"

PG_FUNCTION_INFO_V1(cohort_triangle_in);
PG_FUNCTION_INFO_V1(cohort_triangle_out);
PG_FUNCTION_INFO_V1(cohort_triangle_recv);
PG_FUNCTION_INFO_V1(cohort_triangle_send);
PG_FUNCTION_INFO_V1(cohort_triangle_trans);
PG_FUNCTION_INFO_V1(cohort_triangle_zone_trans);
PG_FUNCTION_INFO_V1(cohort_triangle_counts_trans);
PG_FUNCTION_INFO_V1(cohort_triangle_counts_zone_trans);
PG_FUNCTION_INFO_V1(cohort_triangle_combine);
PG_FUNCTION_INFO_V1(cohort_triangle_final);
PG_FUNCTION_INFO_V1(cohort_triangle_cells);
PG_FUNCTION_INFO_V1(cohort_triangle_cells_as_of);

#define TRIANGLE_VERSION	1
#define TRIANGLE_MAX_CELLS	1000000		/* 16 MB of counts */
#define TRIANGLE_ZONE_MAX	63

#define COUNTED_FROM_COHORT		0
#define COUNTED_FROM_CUSTOMER	1

/* the Monday days-based cohorts count from, so '7 days' cohorts are ISO weeks */
#define DAY_COHORT_ORIGIN_YEAR	2001

typedef struct TriangleCell
{
	int64		hits;
	int64		trials;
} TriangleCell;

typedef struct Triangle
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* TRIANGLE_VERSION */
	uint8		counted_from;	/* COUNTED_FROM_* */
	uint16		reserved;		/* zero */
	int32		cohort_lo;		/* cohort index of the box's first row */
	int32		n_cohorts;
	int32		period_lo;		/* period number of the box's first column */
	int32		n_periods;
	Interval	cohort_interval;
	Interval	period;
	char		zone[TRIANGLE_ZONE_MAX + 1];	/* canonical zone name, NUL-padded */
	TriangleCell cells[FLEXIBLE_ARRAY_MEMBER];	/* n_cohorts x n_periods, row-major */
} Triangle;

#define TRIANGLE_HEADER_SIZE	offsetof(Triangle, cells)

static void
report_bad_triangle(int errcode_value, const char *detail)
{
	ereport(ERROR,
			(errcode(errcode_value),
			 errmsg("invalid omni.cohort_triangle: %s", detail),
			 errhint("A cohort_triangle comes from omni.cohort_triangle or omni.rollup, or from its own "
					 "text or binary output; it cannot be edited.")));
}

static inline int64
floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static bool
same_interval(const Interval *a, const Interval *b)
{
	return a->month == b->month && a->day == b->day && a->time == b->time;
}

static char *
interval_text(const Interval *span)
{
	return DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum((Interval *) span)));
}

/* A cohort interval is whole months or whole days (what date_trunc and date_bin can express). */
static bool
cohort_interval_ok(const Interval *ci)
{
	return ci->time == 0 && ((ci->month > 0 && ci->day == 0) || (ci->month == 0 && ci->day > 0));
}

static void
check_cohort_interval(const Interval *ci)
{
	if (!cohort_interval_ok(ci))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cohort_interval must be a whole number of months or of days, not \"%s\"",
						interval_text(ci)),
				 errhint("Use '1 month', '3 months', '1 year', '7 days' (ISO weeks) or '1 day'.")));
}

static int
parse_counted_from(text *t)
{
	const char *p = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	char	   *s;

	if (len == 6 && memcmp(p, "cohort", 6) == 0)
		return COUNTED_FROM_COHORT;
	if (len == 8 && memcmp(p, "customer", 8) == 0)
		return COUNTED_FROM_CUSTOMER;
	s = text_to_cstring(t);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("counted_from must be 'cohort' or 'customer', not \"%s\"", s),
			 errhint("'cohort' counts periods from the cohort's start, 'customer' from each customer's own start.")));
	return -1;					/* keep the compiler quiet */
}

/* ---------- cohorts ---------- */

/* the cohort index of a local date (Julian day number) */
static inline int32
cohort_of_julian(const Interval *ci, int julian)
{
	if (ci->month > 0)
	{
		int			year;
		int			month;
		int			day;

		j2date(julian, &year, &month, &day);
		return (int32) floor_div((int64) year * MONTHS_PER_YEAR + (month - 1), ci->month);
	}
	return (int32) floor_div((int64) julian - date2j(DAY_COHORT_ORIGIN_YEAR, 1, 1), ci->day);
}

/* the local date a cohort starts on */
static void
cohort_first_day(const Interval *ci, int32 cohort, struct pg_tm *tm)
{
	memset(tm, 0, sizeof(*tm));
	if (ci->month > 0)
	{
		int64		months = (int64) cohort * ci->month;

		tm->tm_year = (int) floor_div(months, MONTHS_PER_YEAR);
		tm->tm_mon = (int) (months - (int64) tm->tm_year * MONTHS_PER_YEAR) + 1;
		tm->tm_mday = 1;
	}
	else
	{
		int64		julian = date2j(DAY_COHORT_ORIGIN_YEAR, 1, 1) + (int64) cohort * ci->day;

		if (julian < 0 || julian > PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("cohort start out of range")));
		j2date((int) julian, &tm->tm_year, &tm->tm_mon, &tm->tm_mday);
	}
}

/* when a cohort starts: local midnight of its first day, as date_trunc computes it */
static TimestampTz
cohort_start(const Interval *ci, int32 cohort, pg_tz *tz)
{
	struct pg_tm tm;
	int			offset;
	TimestampTz result;

	cohort_first_day(ci, cohort, &tm);
	if (!IS_VALID_JULIAN(tm.tm_year, tm.tm_mon, tm.tm_mday))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("cohort start out of range")));
	offset = DetermineTimeZoneOffset(&tm, tz);
	if (tm2timestamp(&tm, 0, &offset, &result) != 0 || !IS_VALID_TIMESTAMP(result))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("cohort start out of range")));
	return result;
}

/* ---------- per-query cache of the transition function ---------- */

#define COHORT_SLOTS		256		/* direct-mapped by cohort index */
#define DAY_SLOTS			2048	/* local date -> cohort, direct-mapped by Julian day */
#define NO_DAY				PG_INT32_MIN
#define SLOT_MAX_BOUNDARIES 4096

typedef struct CohortSlot
{
	bool		valid;
	int32		cohort;
	TimestampTz start;
	int32		n;				/* boundaries[0 .. n-1] computed */
	int32		capacity;
	TimestampTz *boundaries;	/* start + k * period */
} CohortSlot;

typedef struct TriangleCache
{
	bool		valid;
	pg_tz	   *tz;
	char		zone_arg[TRIANGLE_ZONE_MAX + 1];	/* the zone argument as given */
	char		zone[TRIANGLE_ZONE_MAX + 1];	/* its canonical name */
	Interval	cohort_interval;
	Interval	period;
	int			counted_from;
	double		inv_mean_period;	/* 1 / the mean period length: a first guess */
	OmniZoneMap *map;
	CohortSlot	slots[COHORT_SLOTS];
	int32		day_julian[DAY_SLOTS];	/* NO_DAY when empty */
	int32		day_cohort[DAY_SLOTS];
} TriangleCache;

static void
reset_cache(TriangleCache *cache)
{
	for (int i = 0; i < COHORT_SLOTS; i++)
		if (cache->slots[i].boundaries != NULL)
			pfree(cache->slots[i].boundaries);
	if (cache->map != NULL)
	{
		pfree(cache->map->seg_start);
		pfree(cache->map->seg_offset);
		pfree(cache->map->week_segment);
		pfree(cache->map);
	}
	memset(cache, 0, sizeof(TriangleCache));
}

static CohortSlot *
cohort_slot(FunctionCallInfo fcinfo, TriangleCache *cache, int32 cohort)
{
	CohortSlot *slot = &cache->slots[(uint32) cohort % COHORT_SLOTS];

	if (slot->valid && slot->cohort == cohort)
		return slot;
	slot->valid = false;
	slot->cohort = cohort;
	slot->start = cohort_start(&cache->cohort_interval, cohort, cache->tz);
	if (slot->boundaries == NULL)
	{
		slot->capacity = 32;
		slot->boundaries = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, slot->capacity * sizeof(TimestampTz));
	}
	slot->boundaries[0] = slot->start;
	slot->n = 1;
	slot->valid = true;
	return slot;
}

/* the cohort of a local date, through the day cache (most rows' dates were seen before) */
static inline int32
cohort_of_day(TriangleCache *cache, int julian)
{
	uint32		i = (uint32) julian % DAY_SLOTS;

	if (cache->day_julian[i] != julian)
	{
		cache->day_cohort[i] = cohort_of_julian(&cache->cohort_interval, julian);
		cache->day_julian[i] = julian;
	}
	return cache->day_cohort[i];
}

/* omni.cohort_period(cohort start, at, period): from the slot's boundaries when it can */
static int64
period_from_cohort(TriangleCache *cache, CohortSlot *slot, TimestampTz at)
{
	int64		k = omni_cached_whole_periods(slot->start, at, &cache->period, cache->tz,
											  cache->inv_mean_period, SLOT_MAX_BOUNDARIES,
											  &slot->boundaries, &slot->n, &slot->capacity);

	return k >= 0 ? k : omni_whole_periods(slot->start, at, &cache->period, cache->tz);
}

/* ---------- the state ---------- */

static inline Size
triangle_size(int64 n_cells)
{
	return TRIANGLE_HEADER_SIZE + n_cells * sizeof(TriangleCell);
}

static Triangle *
triangle_alloc(const Triangle *like, int32 cohort_lo, int32 n_cohorts, int32 period_lo, int32 n_periods)
{
	int64		n_cells = (int64) n_cohorts * n_periods;
	Triangle   *t;

	if (n_cells > TRIANGLE_MAX_CELLS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cohort triangle of %d cohorts x %d periods exceeds %d cells",
						n_cohorts, n_periods, TRIANGLE_MAX_CELLS),
				 errhint("Use a longer cohort_interval or period, or filter out rows far from the rest "
						 "(events years before a customer's start).")));
	t = palloc0(triangle_size(n_cells));
	SET_VARSIZE(t, triangle_size(n_cells));
	t->version = TRIANGLE_VERSION;
	t->counted_from = like->counted_from;
	t->cohort_interval = like->cohort_interval;
	t->period = like->period;
	memcpy(t->zone, like->zone, sizeof(t->zone));
	t->cohort_lo = cohort_lo;
	t->n_cohorts = n_cohorts;
	t->period_lo = period_lo;
	t->n_periods = n_periods;
	return t;
}

/* add hits out of trials to a cell (merging triangles, or a row of counts) */
static inline void
cell_add(TriangleCell *cell, int64 hits, int64 trials)
{
	if (pg_add_s64_overflow(cell->hits, hits, &cell->hits) ||
		pg_add_s64_overflow(cell->trials, trials, &cell->trials))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("omni.cohort_triangle count out of range"),
				 errhint("Hits and trials are bigint counts; merge or aggregate fewer or smaller counts.")));
}

/* add src's cells into dst, whose box holds src's */
static void
triangle_add_into(Triangle *dst, const Triangle *src)
{
	for (int32 c = 0; c < src->n_cohorts; c++)
	{
		const TriangleCell *from = &src->cells[(int64) c * src->n_periods];
		TriangleCell *to = &dst->cells[(int64) (c + src->cohort_lo - dst->cohort_lo) * dst->n_periods +
									   (src->period_lo - dst->period_lo)];

		for (int32 p = 0; p < src->n_periods; p++)
			cell_add(&to[p], from[p].hits, from[p].trials);
	}
}

static bool
box_holds(const Triangle *t, int64 cohort, int64 period)
{
	return cohort >= t->cohort_lo && cohort < (int64) t->cohort_lo + t->n_cohorts &&
		period >= t->period_lo && period < (int64) t->period_lo + t->n_periods;
}

/*
 * A copy of t whose box also holds (cohort, period), with room to spare on the side it grew
 * (half the current extent), so a run of growing periods reallocates a logarithmic number of
 * times.  Falls back to the tight box when the spare room would pass the cell limit.
 */
static Triangle *
triangle_grow(const Triangle *t, int32 cohort, int32 period)
{
	int64		c_lo = t->cohort_lo,
				c_hi = (int64) t->cohort_lo + t->n_cohorts,
				p_lo = t->period_lo,
				p_hi = (int64) t->period_lo + t->n_periods;
	int64		tc_lo,
				tc_hi,
				tp_lo,
				tp_hi;
	Triangle   *grown;

	if (t->n_cohorts == 0 || t->n_periods == 0)
	{
		c_lo = cohort;
		c_hi = (int64) cohort + 1;
		p_lo = period;
		p_hi = (int64) period + 1;
	}
	tc_lo = Min(c_lo, cohort);
	tc_hi = Max(c_hi, (int64) cohort + 1);
	tp_lo = Min(p_lo, period);
	tp_hi = Max(p_hi, (int64) period + 1);
	c_lo = tc_lo;
	c_hi = tc_hi;
	p_lo = tp_lo;
	p_hi = tp_hi;
	/* spare room on the side that grew: cohorts and periods mostly arrive in widening ranges */
	if (cohort < t->cohort_lo)
		c_lo -= (c_hi - c_lo) / 2 + 1;
	else if ((int64) cohort >= (int64) t->cohort_lo + t->n_cohorts)
		c_hi += (c_hi - c_lo) / 2 + 1;
	if (period < t->period_lo && period < 0)
		p_lo -= (p_hi - p_lo) / 2 + 1;
	else if ((int64) period >= (int64) t->period_lo + t->n_periods)
		p_hi += (p_hi - p_lo) / 2 + 4;
	if (period >= 0 && p_lo < 0 && tp_lo >= 0)
		p_lo = 0;				/* no room before period 0 unless a row needs it */
	if (c_lo < PG_INT32_MIN || c_hi > PG_INT32_MAX || p_lo < PG_INT32_MIN || p_hi > PG_INT32_MAX ||
		(c_hi - c_lo) * (p_hi - p_lo) > TRIANGLE_MAX_CELLS)
	{
		c_lo = tc_lo;
		c_hi = tc_hi;
		p_lo = tp_lo;
		p_hi = tp_hi;
		if ((c_hi - c_lo) > TRIANGLE_MAX_CELLS || (p_hi - p_lo) > TRIANGLE_MAX_CELLS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("cohort triangle spans more than %d cohorts or periods", TRIANGLE_MAX_CELLS),
					 errhint("Use a longer cohort_interval or period.")));
	}
	grown = triangle_alloc(t, (int32) c_lo, (int32) (c_hi - c_lo), (int32) p_lo, (int32) (p_hi - p_lo));
	if (t->n_cohorts > 0 && t->n_periods > 0)
		triangle_add_into(grown, t);
	return grown;
}

/* The same triangle in the smallest box that holds every cell with trials (canonical form). */
static Triangle *
triangle_trim(const Triangle *t)
{
	int64		c_lo = PG_INT64_MAX,
				c_hi = PG_INT64_MIN,
				p_lo = PG_INT64_MAX,
				p_hi = PG_INT64_MIN;
	Triangle   *trimmed;

	for (int32 c = 0; c < t->n_cohorts; c++)
		for (int32 p = 0; p < t->n_periods; p++)
			if (t->cells[(int64) c * t->n_periods + p].trials > 0)
			{
				c_lo = Min(c_lo, c);
				c_hi = Max(c_hi, c + 1);
				p_lo = Min(p_lo, p);
				p_hi = Max(p_hi, p + 1);
			}
	if (c_lo > c_hi)
		return triangle_alloc(t, 0, 0, 0, 0);
	trimmed = triangle_alloc(t, (int32) (t->cohort_lo + c_lo), (int32) (c_hi - c_lo),
							 (int32) (t->period_lo + p_lo), (int32) (p_hi - p_lo));
	for (int64 c = c_lo; c < c_hi; c++)
		memcpy(&trimmed->cells[(c - c_lo) * trimmed->n_periods],
			   &t->cells[c * t->n_periods + p_lo], (p_hi - p_lo) * sizeof(TriangleCell));
	return trimmed;
}

static void
check_triangle(const Triangle *t, int errcode_value)
{
	if (t->version != TRIANGLE_VERSION)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("unsupported omni.cohort_triangle format version %d", t->version),
				 errhint("This omni reads version %d; upgrade omni on the reading side.", TRIANGLE_VERSION)));
	if (t->reserved != 0)
		report_bad_triangle(errcode_value, "reserved bytes are not zero");
	if (t->counted_from != COUNTED_FROM_COHORT && t->counted_from != COUNTED_FROM_CUSTOMER)
		report_bad_triangle(errcode_value, "bad counted_from");
	if (!cohort_interval_ok(&t->cohort_interval))
		report_bad_triangle(errcode_value, "bad cohort interval");
	if (t->period.month < 0 || t->period.day < 0 || t->period.time < 0 ||
		(t->period.month == 0 && t->period.day == 0 && t->period.time == 0))
		report_bad_triangle(errcode_value, "bad period");
	if (memchr(t->zone, '\0', sizeof(t->zone)) == NULL || t->zone[0] == '\0')
		report_bad_triangle(errcode_value, "bad time zone");
	if (t->n_cohorts < 0 || t->n_periods < 0 ||
		(int64) t->n_cohorts * t->n_periods > TRIANGLE_MAX_CELLS ||
		(int64) t->cohort_lo + t->n_cohorts > PG_INT32_MAX ||
		(int64) t->period_lo + t->n_periods > PG_INT32_MAX)
		report_bad_triangle(errcode_value, "bad dimensions");
	if (VARSIZE(t) != triangle_size((int64) t->n_cohorts * t->n_periods))
		report_bad_triangle(errcode_value, "wrong size");
	for (int64 i = 0; i < (int64) t->n_cohorts * t->n_periods; i++)
		if (t->cells[i].hits < 0 || t->cells[i].trials < 0 || t->cells[i].hits > t->cells[i].trials)
			report_bad_triangle(errcode_value, "bad counts");
}

static Triangle *
triangle_arg(FunctionCallInfo fcinfo, int argno)
{
	Triangle   *t = (Triangle *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (VARSIZE(t) < TRIANGLE_HEADER_SIZE)
		report_bad_triangle(ERRCODE_DATA_CORRUPTED, "shorter than its header");
	check_triangle(t, ERRCODE_DATA_CORRUPTED);
	return t;
}

/* ---------- binary and text forms ---------- */

/*
 * version, counted_from, cohort interval and period (month, day, time), the zone (length,
 * bytes), the box (cohort_lo, n_cohorts, period_lo, n_periods), then the number of cells with
 * trials and each as (cohort offset, period offset, hits, trials), in row-major order.
 */
static bytea *
encode_triangle(const Triangle *t)
{
	StringInfoData buf;
	int			zone_len = (int) strlen(t->zone);
	int32		n_cells = 0;
	int64		total = (int64) t->n_cohorts * t->n_periods;

	for (int64 i = 0; i < total; i++)
		if (t->cells[i].trials > 0)
			n_cells++;
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, TRIANGLE_VERSION);
	pq_sendbyte(&buf, t->counted_from);
	pq_sendint32(&buf, t->cohort_interval.month);
	pq_sendint32(&buf, t->cohort_interval.day);
	pq_sendint64(&buf, t->cohort_interval.time);
	pq_sendint32(&buf, t->period.month);
	pq_sendint32(&buf, t->period.day);
	pq_sendint64(&buf, t->period.time);
	pq_sendbyte(&buf, zone_len);
	pq_sendbytes(&buf, t->zone, zone_len);
	pq_sendint32(&buf, t->cohort_lo);
	pq_sendint32(&buf, t->n_cohorts);
	pq_sendint32(&buf, t->period_lo);
	pq_sendint32(&buf, t->n_periods);
	pq_sendint32(&buf, n_cells);
	for (int64 i = 0; i < total; i++)
		if (t->cells[i].trials > 0)
		{
			pq_sendint32(&buf, (int32) (i / t->n_periods));
			pq_sendint32(&buf, (int32) (i % t->n_periods));
			pq_sendint64(&buf, t->cells[i].hits);
			pq_sendint64(&buf, t->cells[i].trials);
		}
	return pq_endtypsend(&buf);
}

static Triangle *
decode_triangle(StringInfo buf, int errcode_value)
{
	Triangle	header;
	Triangle   *t;
	int			zone_len;
	int32		n_cells;
	int64		previous = -1;

	memset(&header, 0, sizeof(header));
	/* the fixed part: 2 + 16 + 16 + 1 bytes before the zone, 20 after it */
	if (buf->len - buf->cursor < 35)
		report_bad_triangle(errcode_value, "shorter than its header");
	header.version = pq_getmsgbyte(buf);
	if (header.version != TRIANGLE_VERSION)
		check_triangle(&header, errcode_value);
	header.counted_from = pq_getmsgbyte(buf);
	header.cohort_interval.month = pq_getmsgint(buf, 4);
	header.cohort_interval.day = pq_getmsgint(buf, 4);
	header.cohort_interval.time = pq_getmsgint64(buf);
	header.period.month = pq_getmsgint(buf, 4);
	header.period.day = pq_getmsgint(buf, 4);
	header.period.time = pq_getmsgint64(buf);
	zone_len = pq_getmsgbyte(buf);
	if (zone_len < 1 || zone_len > TRIANGLE_ZONE_MAX || buf->len - buf->cursor < zone_len + 20)
		report_bad_triangle(errcode_value, "bad time zone");
	pq_copymsgbytes(buf, header.zone, zone_len);
	if (memchr(header.zone, '\0', zone_len) != NULL)
		report_bad_triangle(errcode_value, "bad time zone");
	header.cohort_lo = (int32) pq_getmsgint(buf, 4);
	header.n_cohorts = (int32) pq_getmsgint(buf, 4);
	header.period_lo = (int32) pq_getmsgint(buf, 4);
	header.n_periods = (int32) pq_getmsgint(buf, 4);
	n_cells = (int32) pq_getmsgint(buf, 4);
	SET_VARSIZE(&header, TRIANGLE_HEADER_SIZE);
	if (header.n_cohorts < 0 || header.n_periods < 0 ||
		(int64) header.n_cohorts * header.n_periods > TRIANGLE_MAX_CELLS ||
		n_cells < 0 || n_cells > (int64) header.n_cohorts * header.n_periods)
		report_bad_triangle(errcode_value, "bad dimensions");
	if (buf->len - buf->cursor != (int64) n_cells * 24)
		report_bad_triangle(errcode_value, psprintf("%d bytes of cells, not %lld",
													buf->len - buf->cursor, (long long) n_cells * 24));
	t = triangle_alloc(&header, header.cohort_lo, header.n_cohorts, header.period_lo, header.n_periods);
	t->version = header.version;
	t->counted_from = header.counted_from;
	check_triangle(t, errcode_value);
	if (pg_tzset(t->zone) == NULL)
		report_bad_triangle(errcode_value, "unknown time zone");
	for (int32 i = 0; i < n_cells; i++)
	{
		int32		c = (int32) pq_getmsgint(buf, 4);
		int32		p = (int32) pq_getmsgint(buf, 4);
		int64		hits = pq_getmsgint64(buf);
		int64		trials = pq_getmsgint64(buf);
		int64		index;

		if (c < 0 || c >= t->n_cohorts || p < 0 || p >= t->n_periods)
			report_bad_triangle(errcode_value, "cell outside the box");
		index = (int64) c * t->n_periods + p;
		if (index <= previous)
			report_bad_triangle(errcode_value, "cells out of order");
		previous = index;
		if (trials <= 0 || hits < 0 || hits > trials)
			report_bad_triangle(errcode_value, "bad counts");
		t->cells[index].hits = hits;
		t->cells[index].trials = trials;
	}
	pq_getmsgend(buf);
	return triangle_trim(t);
}

Datum
cohort_triangle_in(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	omni_hex_parse(PG_GETARG_CSTRING(0), "omni.cohort_triangle", &buf);
	PG_RETURN_POINTER(decode_triangle(&buf, ERRCODE_INVALID_TEXT_REPRESENTATION));
}

Datum
cohort_triangle_out(PG_FUNCTION_ARGS)
{
	bytea	   *binary = encode_triangle(triangle_arg(fcinfo, 0));

	PG_RETURN_CSTRING(omni_hex_text(VARDATA(binary), VARSIZE(binary) - VARHDRSZ));
}

Datum
cohort_triangle_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(decode_triangle((StringInfo) PG_GETARG_POINTER(0),
									  ERRCODE_INVALID_BINARY_REPRESENTATION));
}

Datum
cohort_triangle_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(encode_triangle(triangle_arg(fcinfo, 0)));
}

/* ---------- the aggregate ---------- */

static void
null_argument(const char *name, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s cannot be NULL", name),
			 errhint("%s", hint)));
}

/*
 * The cache for this call site, (re)made when the options change (they are nearly always
 * constants, so after the first row this is a few comparisons).
 */
static TriangleCache *
triangle_cache(FunctionCallInfo fcinfo, int options, bool zone_given)
{
	TriangleCache *cache = (TriangleCache *) fcinfo->flinfo->fn_extra;
	Interval   *ci;
	Interval   *period;
	int			counted_from = COUNTED_FROM_COHORT;
	const char *zone_arg = NULL;

	/*
	 * arguments: 0 state, 1 customer_start, 2 at, 3 hit (or 3 hits, 4 trials), then from
	 * options on: cohort_interval, period [, counted_from [, time_zone]]
	 */
	if (PG_ARGISNULL(options))
		null_argument("cohort_interval", "Pass the cohort length, e.g. '1 month'.");
	if (PG_ARGISNULL(options + 1))
		null_argument("period", "Pass the period length, e.g. '1 month'.");
	ci = PG_GETARG_INTERVAL_P(options);
	period = PG_GETARG_INTERVAL_P(options + 1);
	if (PG_NARGS() > options + 2)
	{
		if (PG_ARGISNULL(options + 2))
			null_argument("counted_from", "Pass 'cohort' or 'customer'.");
		counted_from = parse_counted_from(PG_GETARG_TEXT_PP(options + 2));
	}
	if (zone_given)
	{
		text	   *zone_text;

		if (PG_ARGISNULL(options + 3))
			null_argument("time_zone", "Pass a zone name such as 'Europe/Berlin'.");
		zone_text = PG_GETARG_TEXT_PP(options + 3);
		if (cache != NULL && cache->valid && VARSIZE_ANY_EXHDR(zone_text) == strlen(cache->zone_arg) &&
			memcmp(VARDATA_ANY(zone_text), cache->zone_arg, VARSIZE_ANY_EXHDR(zone_text)) == 0)
			zone_arg = cache->zone_arg;
		else
			zone_arg = text_to_cstring(zone_text);
	}

	if (cache != NULL && cache->valid && same_interval(&cache->cohort_interval, ci) &&
		same_interval(&cache->period, period) && cache->counted_from == counted_from &&
		(zone_given ? zone_arg == cache->zone_arg : cache->tz == session_timezone))
		return cache;

	check_cohort_interval(ci);
	omni_check_period(period, "period");
	if (zone_given)
		zone_arg = pstrdup(zone_arg);	/* it may point into the cache reset below */
	if (cache == NULL)
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(TriangleCache));
	else
		reset_cache(cache);
	if (zone_given)
	{
		const char *canonical;

		if (strlen(zone_arg) > TRIANGLE_ZONE_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time zone \"%s\" not recognized", zone_arg),
					 errhint("Use a full zone name from pg_timezone_names, such as 'Europe/Berlin' or 'UTC'.")));
		cache->tz = omni_lookup_zone(zone_arg);
		strlcpy(cache->zone_arg, zone_arg, sizeof(cache->zone_arg));
		canonical = pg_get_timezone_name(cache->tz);
		strlcpy(cache->zone, canonical && strlen(canonical) <= TRIANGLE_ZONE_MAX ? canonical : zone_arg,
				sizeof(cache->zone));
	}
	else
	{
		const char *name = pg_get_timezone_name(session_timezone);

		if (name == NULL || strlen(name) > TRIANGLE_ZONE_MAX || pg_tzset(name) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the session time zone \"%s\" cannot be stored in a cohort triangle",
							name ? name : "?"),
					 errhint("Set TimeZone to a zone name such as 'Europe/Berlin', or pass the zone as the last argument.")));
		cache->tz = session_timezone;
		strlcpy(cache->zone, name, sizeof(cache->zone));
	}
	cache->cohort_interval = *ci;
	cache->period = *period;
	cache->counted_from = counted_from;
	cache->inv_mean_period = 1.0 / omni_mean_period_usecs(period);
	for (int i = 0; i < DAY_SLOTS; i++)
		cache->day_julian[i] = NO_DAY;
	cache->map = omni_zone_map(cache->tz, fcinfo->flinfo->fn_mcxt);
	cache->valid = true;
	fcinfo->flinfo->fn_extra = cache;
	return cache;
}

/*
 * cohort_triangle_trans(state, customer_start, at, hit, cohort_interval, period
 *                       [, counted_from [, time_zone]]), and with counts
 * (state, customer_start, at, hits, trials, cohort_interval, period [, …]):
 * a row with a NULL customer_start or at is skipped; a NULL hit, or NULL hits or trials, is
 * not counted (as in omni.rate_agg) but still places the row's cell in the box.
 */
static Datum
triangle_trans_common(FunctionCallInfo fcinfo, bool counts, bool zone_given)
{
	Triangle   *state = PG_ARGISNULL(0) ? NULL : (Triangle *) PG_GETARG_POINTER(0);
	TriangleCache *cache;
	TimestampTz start;
	TimestampTz at;
	int64		local;
	int			julian;
	int32		cohort;
	int64		period;
	TriangleCell *cell;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "cohort_triangle_trans called in non-aggregate context");
	cache = triangle_cache(fcinfo, counts ? 5 : 4, zone_given);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	start = PG_GETARG_TIMESTAMPTZ(1);
	at = PG_GETARG_TIMESTAMPTZ(2);
	omni_check_finite(start, "customer_start");
	omni_check_finite(at, "at");

	/* the customer's cohort: the local date of their start, truncated */
	if (omni_fast_local(cache->map, start, &local))
	{
		int64		days = local / USECS_PER_DAY;

		if (local < days * USECS_PER_DAY)
			days--;
		julian = (int) (days + POSTGRES_EPOCH_JDATE);
	}
	else
	{
		struct pg_tm tm;
		fsec_t		fsec;
		int			offset;

		if (timestamp2tm(start, &offset, &tm, &fsec, NULL, cache->tz) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range")));
		julian = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday);
	}
	cohort = cohort_of_day(cache, julian);

	if (cache->counted_from == COUNTED_FROM_COHORT)
		period = period_from_cohort(cache, cohort_slot(fcinfo, cache, cohort), at);
	else if (!omni_fast_whole_periods(cache->map, start, at, &cache->period, &period))
		period = omni_whole_periods(start, at, &cache->period, cache->tz);
	if (period != (int32) period)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cohort period " INT64_FORMAT " is out of range for integer", period),
				 errhint("Use a longer period.")));

	if (state == NULL)
	{
		Triangle	like;

		memset(&like, 0, sizeof(like));
		like.counted_from = (uint8) cache->counted_from;
		like.cohort_interval = cache->cohort_interval;
		like.period = cache->period;
		memcpy(like.zone, cache->zone, sizeof(like.zone));
		state = triangle_grow(&like, cohort, (int32) period);
	}
	else if (unlikely(!box_holds(state, cohort, period)))
		state = triangle_grow(state, cohort, (int32) period);	/* the executor copies it */

	cell = &state->cells[(int64) (cohort - state->cohort_lo) * state->n_periods +
						 (period - state->period_lo)];
	if (!counts)
	{
		if (!PG_ARGISNULL(3))
		{
			cell->trials++;
			if (PG_GETARG_BOOL(3))
				cell->hits++;
		}
	}
	else if (!PG_ARGISNULL(3) && !PG_ARGISNULL(4))
	{
		int64		hits = PG_GETARG_INT64(3);
		int64		trials = PG_GETARG_INT64(4);

		omni_check_rate(hits, trials);
		cell_add(cell, hits, trials);
	}
	PG_RETURN_POINTER(state);
}

Datum
cohort_triangle_trans(PG_FUNCTION_ARGS)
{
	return triangle_trans_common(fcinfo, false, false);
}

Datum
cohort_triangle_zone_trans(PG_FUNCTION_ARGS)
{
	return triangle_trans_common(fcinfo, false, true);
}

Datum
cohort_triangle_counts_trans(PG_FUNCTION_ARGS)
{
	return triangle_trans_common(fcinfo, true, false);
}

Datum
cohort_triangle_counts_zone_trans(PG_FUNCTION_ARGS)
{
	return triangle_trans_common(fcinfo, true, true);
}

static char *
describe_triangle(const Triangle *t)
{
	return psprintf("cohort_interval %s, period %s, counted from the %s, time zone %s",
					interval_text(&t->cohort_interval), interval_text(&t->period),
					t->counted_from == COUNTED_FROM_COHORT ? "cohort" : "customer", t->zone);
}

static void
check_mergeable(const Triangle *a, const Triangle *b)
{
	if (a->counted_from != b->counted_from || !same_interval(&a->cohort_interval, &b->cohort_interval) ||
		!same_interval(&a->period, &b->period) || strcmp(a->zone, b->zone) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge cohort triangles of different cohort intervals, periods, counting or time zones"),
				 errdetail("One has %s; the other has %s.", describe_triangle(a), describe_triangle(b)),
				 errhint("Merge triangles built with the same cohort_interval, period, counted_from and time zone.")));
}

/*
 * Merge two triangles: in place into the first inside an aggregate when its box holds the
 * second's, else into a new value.  NULL is the empty triangle.
 */
Datum
cohort_triangle_combine(PG_FUNCTION_ARGS)
{
	Triangle   *state;
	Triangle   *other;
	Triangle   *result;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(triangle_arg(fcinfo, 0));
	}
	other = triangle_arg(fcinfo, 1);
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(other);
	state = triangle_arg(fcinfo, 0);
	check_mergeable(state, other);
	if (other->n_cohorts == 0 || other->n_periods == 0)
		PG_RETURN_POINTER(state);
	if (AggCheckCallContext(fcinfo, NULL) && state->n_cohorts > 0 && state->n_periods > 0 &&
		box_holds(state, other->cohort_lo, other->period_lo) &&
		box_holds(state, (int64) other->cohort_lo + other->n_cohorts - 1,
				  (int64) other->period_lo + other->n_periods - 1))
	{
		triangle_add_into(state, other);
		PG_RETURN_POINTER(state);
	}
	if (state->n_cohorts == 0 || state->n_periods == 0)
		result = triangle_alloc(other, other->cohort_lo, other->n_cohorts, other->period_lo, other->n_periods);
	else
	{
		int64		c_lo = Min(state->cohort_lo, other->cohort_lo);
		int64		c_hi = Max((int64) state->cohort_lo + state->n_cohorts, (int64) other->cohort_lo + other->n_cohorts);
		int64		p_lo = Min(state->period_lo, other->period_lo);
		int64		p_hi = Max((int64) state->period_lo + state->n_periods, (int64) other->period_lo + other->n_periods);

		if ((c_hi - c_lo) > TRIANGLE_MAX_CELLS || (p_hi - p_lo) > TRIANGLE_MAX_CELLS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("cohort triangle spans more than %d cohorts or periods", TRIANGLE_MAX_CELLS),
					 errhint("Use a longer cohort_interval or period.")));
		result = triangle_alloc(state, (int32) c_lo, (int32) (c_hi - c_lo), (int32) p_lo, (int32) (p_hi - p_lo));
		triangle_add_into(result, state);
	}
	triangle_add_into(result, other);
	PG_RETURN_POINTER(result);
}

/* the aggregate's result: the triangle in its canonical (trimmed) box, the state untouched */
Datum
cohort_triangle_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(triangle_trim(triangle_arg(fcinfo, 0)));
}

/* ---------- cells ---------- */

static void
put_cell(ReturnSetInfo *rsinfo, TimestampTz cohort_start_ts, int32 period, bool gap_filled,
		 bool observable, bool complete, const TriangleCell *cell)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	int			n = 0;

	values[n++] = TimestampTzGetDatum(cohort_start_ts);
	values[n++] = Int32GetDatum(period);
	if (gap_filled)
	{
		values[n++] = BoolGetDatum(observable);
		values[n++] = BoolGetDatum(complete);
	}
	if (cell == NULL)
		nulls[n] = true;
	else
		values[n] = RatePGetDatum(omni_make_rate(cell->hits, cell->trials));
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* omni.cohort_cells(triangle): one row per cell with trials (cohort_start, period_number, rate) */
Datum
cohort_triangle_cells(PG_FUNCTION_ARGS)
{
	Triangle   *t = triangle_arg(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	pg_tz	   *tz = omni_lookup_zone(t->zone);

	InitMaterializedSRF(fcinfo, 0);
	for (int32 c = 0; c < t->n_cohorts; c++)
	{
		TimestampTz start = 0;
		bool		have_start = false;

		CHECK_FOR_INTERRUPTS();
		for (int32 p = 0; p < t->n_periods; p++)
		{
			const TriangleCell *cell = &t->cells[(int64) c * t->n_periods + p];

			if (cell->trials == 0)
				continue;
			if (!have_start)
			{
				start = cohort_start(&t->cohort_interval, t->cohort_lo + c, tz);
				have_start = true;
			}
			put_cell(rsinfo, start, t->period_lo + p, false, false, false, cell);
		}
	}
	return (Datum) 0;
}

/*
 * omni.cohort_cells(triangle, as_of): gap-filled like omni.cohort_grid.  Every cohort from the
 * first to the last with data, each with periods 0 .. the last period of the first cohort
 * that starts before as_of, plus any cell with trials outside that range; observable = the
 * period has started before as_of for the cohort's first possible customer, complete = it
 * has ended by as_of for its last possible one (the same customer when periods count from
 * the cohort's start).  rate is the cell's counts, 0/0 for an observable cell without
 * trials, NULL for a cell that cannot have data yet.
 */
Datum
cohort_triangle_cells_as_of(PG_FUNCTION_ARGS)
{
	Triangle   *t = triangle_arg(fcinfo, 0);
	TimestampTz as_of = PG_GETARG_TIMESTAMPTZ(1);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	pg_tz	   *tz = omni_lookup_zone(t->zone);
	TimestampTz first;
	int64		n_grid;
	static const TriangleCell empty = {0, 0};

	omni_check_finite(as_of, "as_of");
	InitMaterializedSRF(fcinfo, 0);
	if (t->n_cohorts == 0)
		return (Datum) 0;
	first = cohort_start(&t->cohort_interval, t->cohort_lo, tz);
	n_grid = as_of <= first ? 0 : omni_whole_periods(first, as_of - 1, &t->period, tz) + 1;
	if (n_grid > TRIANGLE_MAX_CELLS / t->n_cohorts)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("gap-filled cohort triangle of %d cohorts x " INT64_FORMAT " periods exceeds %d cells",
						t->n_cohorts, n_grid, TRIANGLE_MAX_CELLS),
				 errhint("Use an earlier as_of, or omni.cohort_cells(triangle) without gap filling.")));

	for (int32 c = 0; c < t->n_cohorts; c++)
	{
		int32		cohort = t->cohort_lo + c;
		TimestampTz start = cohort_start(&t->cohort_interval, cohort, tz);
		TimestampTz next_start = cohort_start(&t->cohort_interval, cohort + 1, tz);
		int64		lo = Min(0, (int64) t->period_lo);
		int64		hi = Max(n_grid, (int64) t->period_lo + t->n_periods);

		for (int64 k = lo; k < hi; k++)
		{
			const TriangleCell *cell = NULL;
			Interval	span;
			TimestampTz period_start;
			TimestampTz period_end;
			bool		observable;
			bool		complete;

			CHECK_FOR_INTERRUPTS();
			if (k >= t->period_lo && k < (int64) t->period_lo + t->n_periods)
				cell = &t->cells[(int64) c * t->n_periods + (k - t->period_lo)];
			if ((k < 0 || k >= n_grid) && (cell == NULL || cell->trials == 0))
				continue;		/* outside the grid: only cells with data */
			omni_interval_multiply(&t->period, k, &span);
			period_start = omni_timestamptz_add_in_zone(start, &span, tz);
			omni_interval_multiply(&t->period, k + 1, &span);
			period_end = omni_timestamptz_add_in_zone(t->counted_from == COUNTED_FROM_COHORT ? start : next_start,
													  &span, tz);
			observable = period_start < as_of;
			complete = period_end <= as_of;
			if (cell == NULL || cell->trials == 0)
				cell = observable ? &empty : NULL;
			put_cell(rsinfo, start, (int32) k, true, observable, complete, cell);
		}
	}
	return (Datum) 0;
}
