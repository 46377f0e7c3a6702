/*
 * decay.c — exact fixed-point sums of decayed weights (see decay.h for why fixed point).
 */
#include "postgres.h"

#include <math.h>

#include "common/decay.h"

#define SIGN_BIT (UINT64CONST(1) << 63)

static inline bool
is_negative(const DecaySum *x)
{
	return (x->limb[2] & SIGN_BIT) != 0;
}

static void
negate(DecaySum *x)
{
	uint64		carry = 1;
	int			i;

	for (i = 0; i < 3; i++)
	{
		uint64		v = ~x->limb[i] + carry;

		carry = (carry && v == 0) ? 1 : 0;
		x->limb[i] = v;
	}
}

static void
report_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("decayed sum out of range"),
			 errhint("A decayed sum holds at most 2^63 in absolute value; use smaller weights "
					 "or group more finely.")));
}

void
omni_decay_add(DecaySum *sum, const DecaySum *other)
{
	bool		a_neg = is_negative(sum);
	bool		b_neg = is_negative(other);
	uint64		carry = 0;
	int			i;

	for (i = 0; i < 3; i++)
	{
		uint64		a = sum->limb[i];
		uint64		s = a + other->limb[i];
		uint64		c1 = s < a;
		uint64		t = s + carry;
		uint64		c2 = t < s;

		sum->limb[i] = t;
		carry = c1 | c2;
	}
	/* two's complement overflow: same-signed operands, differently signed result */
	if (a_neg == b_neg && is_negative(sum) != a_neg)
		report_overflow();
}

/*
 * value (finite, |value| < 2^62) rounded to the nearest multiple of 2^-128, halves away
 * from zero, in fixed point
 */
static void
to_fixed(double value, DecaySum *fixed)
{
	double		fraction;
	int			exponent;
	uint64		mantissa;
	int			shift;

	memset(fixed, 0, sizeof(*fixed));
	if (value == 0.0)
		return;
	/* |value| = mantissa * 2^(exponent - 53), mantissa a 53-bit integer */
	fraction = frexp(fabs(value), &exponent);
	mantissa = (uint64) ldexp(fraction, 53);
	shift = exponent - 53 + 128;	/* in units of 2^-128 */
	if (shift < 0)
	{
		if (-shift > 54)
			return;				/* below half a unit */
		fixed->limb[0] = (mantissa + (UINT64CONST(1) << (-shift - 1))) >> -shift;
	}
	else
	{
		int			word = shift / 64;
		int			bit = shift % 64;

		fixed->limb[word] = mantissa << bit;
		if (bit > 0 && word < 2)
			fixed->limb[word + 1] = mantissa >> (64 - bit);
	}
	if (value < 0)
		negate(fixed);
}

void
omni_decay_add_term(DecaySum *sum, double term)
{
	DecaySum	fixed;

	Assert(isfinite(term) && fabs(term) <= DECAY_MAX_TERM);
	if (term == 0.0)
		return;
	to_fixed(term, &fixed);
	omni_decay_add(sum, &fixed);
}

/* the 64 bits of x from bit position pos up (pos may be negative: zeros shifted in) */
static uint64
bits_from(const DecaySum *x, int pos)
{
	int			word;
	int			bit;
	uint64		v;

	if (pos < 0)
		return x->limb[0] << -pos;
	word = pos / 64;
	bit = pos % 64;
	v = x->limb[word] >> bit;
	if (bit > 0 && word < 2)
		v |= x->limb[word + 1] << (64 - bit);
	return v;
}

/* any bit of x below position pos set? */
static bool
bits_below(const DecaySum *x, int pos)
{
	int			word;
	int			bit;
	int			i;

	if (pos <= 0)
		return false;
	word = pos / 64;
	bit = pos % 64;
	for (i = 0; i < word; i++)
		if (x->limb[i] != 0)
			return true;
	return bit > 0 && (x->limb[word] & ((UINT64CONST(1) << bit) - 1)) != 0;
}

double
omni_decay_value(const DecaySum *sum)
{
	DecaySum	x = *sum;
	bool		negative = is_negative(&x);
	int			top;
	int			low;
	uint64		high;
	double		value;

	if (negative)
		negate(&x);				/* |value| < 2^63, so the magnitude fits */
	for (top = 2; top >= 0 && x.limb[top] == 0; top--)
		;
	if (top < 0)
		return 0.0;
	/* the 64 bits from the leading one down, then a sticky bit for everything below them */
	low = top * 64 + (63 - __builtin_clzll(x.limb[top])) - 63;
	high = bits_from(&x, low);
	/*
	 * The conversion rounds high's 64 significant bits to 53, to nearest with ties to even;
	 * setting the last bit when lower bits are set breaks a false tie the right way.
	 */
	if (bits_below(&x, low))
		high |= 1;
	value = ldexp((double) high, low - 128);
	return negative ? -value : value;
}

void
omni_decay_scale(DecaySum *sum, double factor)
{
	Assert(factor >= 0.0 && factor <= 1.0);
	to_fixed(omni_decay_value(sum) * factor, sum);
}

double
omni_decay_factor(int64 age_usecs, int64 half_life_usecs)
{
	return exp2(-((double) age_usecs / (double) half_life_usecs));
}
