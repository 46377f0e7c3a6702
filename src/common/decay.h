/*
 * decay.h — exact sums of time-decayed weights, w * 2^(-age / half_life), for every
 * capability that decays (engagement scores now, channel preferences next).
 *
 * Each term is rounded once, to a multiple of 2^-128, and the terms are then added exactly
 * in 192-bit fixed point.  Addition is therefore associative and commutative: serial and
 * parallel plans, any row order and any grouping of partial states give the same bits.
 * A term below 2^-129 (e.g. an event 129 half-lives old) contributes 0.
 */
#ifndef OMNI_DECAY_H
#define OMNI_DECAY_H

#include "postgres.h"

/* two's complement, little-endian limbs; value = limbs * 2^-128, |value| < 2^63 */
typedef struct DecaySum
{
	uint64		limb[3];
} DecaySum;

/* The largest |term| omni_decay_add accepts: weights are checked against it. */
#define DECAY_MAX_TERM 1.0e6

/* sum += term (finite, |term| <= DECAY_MAX_TERM); errors on overflow of the sum */
extern void omni_decay_add_term(DecaySum *sum, double term);

/* sum += other; errors on overflow */
extern void omni_decay_add(DecaySum *sum, const DecaySum *other);

/* the sum, correctly rounded to double */
extern double omni_decay_value(const DecaySum *sum);

/* sum *= factor (0 <= factor <= 1), rounding once through double: relative error < 3e-16 */
extern void omni_decay_scale(DecaySum *sum, double factor);

/* 2^(-age / half_life) for age >= 0 and half_life > 0, both in microseconds */
extern double omni_decay_factor(int64 age_usecs, int64 half_life_usecs);

#endif							/* OMNI_DECAY_H */
