/*
 * rate.h — omni.rate, the partial state of a proportion: hits out of trials.
 * Other capabilities that produce or read rates use these symbols.
 */
#ifndef OMNI_RATE_H
#define OMNI_RATE_H

#include "fmgr.h"

/* Fixed length, passed by reference; 0 <= hits <= trials always holds. */
typedef struct Rate
{
	int64		hits;
	int64		trials;
} Rate;

#define DatumGetRateP(X)	((Rate *) DatumGetPointer(X))
#define RatePGetDatum(X)	PointerGetDatum(X)
#define PG_GETARG_RATE_P(n) DatumGetRateP(PG_GETARG_DATUM(n))
#define PG_RETURN_RATE_P(x) return RatePGetDatum(x)

/* Version byte leading the binary (send/recv) form, so the wire format can evolve. */
#define RATE_BINARY_VERSION 1

extern Rate *omni_make_rate(int64 hits, int64 trials);

/* ERROR (22003, 22023) unless 0 <= hits <= trials, worded as omni.rate's own checks. */
extern void omni_check_rate(int64 hits, int64 trials);

#endif							/* OMNI_RATE_H */
