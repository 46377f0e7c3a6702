/*
 * special.c — special functions for the customer-base models (src/btyd.c).
 *
 * Digamma is the ascending recurrence followed by the asymptotic (Stirling) series, which
 * is accurate to a few ulps once the argument is at least 10.  The Gauss hypergeometric
 * function 2F1(a, b; c; z) that the BG/NBD conditional expectation needs has its argument
 * in [0, 1), possibly close to 1, where the Maclaurin series converges too slowly to be
 * summed.  So:
 *   - z < 0: Pfaff's transformation maps z to z/(z-1), which is in [0, 1);
 *   - 0 <= z <= 0.9, or a terminating series: the Maclaurin series, stopped by a bound on
 *     its tail, not by the size of the last term alone;
 *   - 0.9 < z < 1: the linear 1 - z transformation (DLMF 15.8.4), two series in 1 - z <= 0.1
 *     that converge in a few dozen terms.  It divides by Gamma functions at c - a - b and
 *     a + b - c, which have poles when c - a - b is an integer; there the function is still
 *     analytic in c, so within 1e-3 of an integer it is interpolated by the degree-5
 *     polynomial through c - a - b = integer +/- 1e-3, 2e-3, 3e-3 (cancellation there costs
 *     about 1e-13; the interpolation error is about h^6 (ln 1/(1-z))^6 / 20, 1e-12 even at
 *     1 - z = 4e-8), where the direct formula would lose every digit.  When c - a or c - b is a non-positive integer Euler's transformation
 *     turns the function into a power times a polynomial, which is exact.
 * The power (1 - z)^p of omni_hyp2f1_scaled is folded into each piece in logarithms, so
 * (1 - z)^p 2F1 stays finite where 2F1 alone overflows.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"

#include "common/special.h"

#define SERIES_MAX_TERMS	4000000
#define SERIES_EPSILON		1e-17
/* where the direct series gives way to the 1 - z transformation */
#define DIRECT_LIMIT		0.9
/* c - a - b this close to an integer: interpolate (see the header comment) */
#define NEAR_INTEGER		1e-3
#define INTEGER_STEP		1e-3

double
omni_digamma(double x)
{
	double		result = 0.0;
	double		inv;
	double		inv2;

	if (isnan(x))
		return x;
	if (x <= 0.0)
	{
		if (x == floor(x))
			return NAN;
		/* reflection: psi(1 - x) - psi(x) = pi cot(pi x) */
		return omni_digamma(1.0 - x) - M_PI / tan(M_PI * x);
	}
	while (x < 10.0)
	{
		result -= 1.0 / x;
		x += 1.0;
	}
	inv = 1.0 / x;
	inv2 = inv * inv;
	result += log(x) - 0.5 * inv -
		inv2 * (1.0 / 12.0 - inv2 * (1.0 / 120.0 - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0 -
		inv2 * (1.0 / 132.0 - inv2 * (691.0 / 32760.0 - inv2 / 12.0))))));
	return result;
}

double
omni_lbeta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

double
omni_lgamma_signed(double x, int *sign)
{
	if (x > 0.0)
	{
		*sign = 1;
		return lgamma(x);
	}
	if (x == floor(x))
	{
		*sign = 0;
		return INFINITY;
	}
	/* Gamma is negative on (-1, 0), positive on (-2, -1), and so on */
	*sign = fmod(floor(x), 2.0) == 0.0 ? 1 : -1;
	return lgamma(x);
}

double
omni_lagrange(const double *xs, const double *ys, int n, double x)
{
	double		sum = 0.0;
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		double		weight = 1.0;

		for (j = 0; j < n; j++)
			if (j != i)
				weight *= (x - xs[j]) / (xs[i] - xs[j]);
		sum += weight * ys[i];
	}
	return sum;
}

static inline bool
is_nonpositive_integer(double x)
{
	return x <= 0.0 && x == floor(x);
}

/*
 * The Maclaurin series of 2F1(a, b; c; z), |z| < 1 (or terminating).  Once the term ratio
 * is below 1 and past its turning point, every later ratio is at most m = max(|ratio|, |z|)
 * (the ratios tend to z monotonically for n beyond |a| + |b| + |c|), so the tail is at most
 * |term| m / (1 - m); summing stops when that is negligible.
 */
static double
hyp2f1_series(double a, double b, double c, double z)
{
	double		sum = 1.0;
	double		term = 1.0;
	double		turning = fabs(a) + fabs(b) + fabs(c) + 2.0;
	int			n;

	for (n = 0; n < SERIES_MAX_TERMS; n++)
	{
		double		ratio = (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
		double		next_ratio;
		double		bound;

		term *= ratio;
		sum += term;
		if (term == 0.0)
			return sum;			/* a terminating series: a or b a non-positive integer */
		if (!isfinite(sum))
			return NAN;
		if ((n & 4095) == 4095)
			CHECK_FOR_INTERRUPTS();
		if (n + 1 < turning)
			continue;
		next_ratio = fabs((a + n + 1) * (b + n + 1) / ((c + n + 1) * (n + 2.0)) * z);
		bound = Max(next_ratio, fabs(z));
		if (bound < 1.0 && fabs(term) * bound / (1.0 - bound) <= SERIES_EPSILON * fabs(sum))
			return sum;
	}
	return NAN;
}

/* sign * exp(log_magnitude) * value, without overflowing in between when avoidable */
static inline double
scaled_product(int sign, double log_magnitude, double value)
{
	if (sign == 0 || value == 0.0)
		return 0.0;
	if (value < 0.0)
	{
		sign = -sign;
		value = -value;
	}
	return sign * exp(log_magnitude + log(value));
}

/* (1 - z)^p 2F1(a, b; c; z) by DLMF 15.8.4, for 0.9 < z < 1, c - a - b not an integer */
static double
hyp2f1_reflected(double a, double b, double c, double z, double p)
{
	double		w = 1.0 - z;	/* exact for z in (0.5, 1) */
	double		log_w = log(w);
	double		m = c - a - b;
	int			s_c,
				s_m,
				s_negm,
				s_ca,
				s_cb,
				s_a,
				s_b;
	double		lg_c = omni_lgamma_signed(c, &s_c);
	double		lg_m = omni_lgamma_signed(m, &s_m);
	double		lg_negm = omni_lgamma_signed(-m, &s_negm);
	double		lg_ca = omni_lgamma_signed(c - a, &s_ca);
	double		lg_cb = omni_lgamma_signed(c - b, &s_cb);
	double		lg_a = omni_lgamma_signed(a, &s_a);
	double		lg_b = omni_lgamma_signed(b, &s_b);
	double		first = 0.0;
	double		second = 0.0;

	/* 1/Gamma at a pole is 0: that piece vanishes */
	if (s_ca != 0 && s_cb != 0)
	{
		double		series = hyp2f1_series(a, b, 1.0 - m, w);

		first = scaled_product(s_c * s_m * s_ca * s_cb,
							   lg_c + lg_m - lg_ca - lg_cb + p * log_w, series);
	}
	if (s_a != 0 && s_b != 0)
	{
		double		series = hyp2f1_series(c - a, c - b, 1.0 + m, w);

		second = scaled_product(s_c * s_negm * s_a * s_b,
								lg_c + lg_negm - lg_a - lg_b + (p + m) * log_w, series);
	}
	return first + second;
}

double
omni_hyp2f1_scaled(double a, double b, double c, double z, double p)
{
	double		m;
	double		nearest;

	if (isnan(a) || isnan(b) || isnan(c) || isnan(z) || isnan(p) || !(z < 1.0) ||
		is_nonpositive_integer(c))
		return NAN;
	if (z == 0.0)
		return 1.0;

	if (z < 0.0)
	{
		/*
		 * Pfaff: 2F1(a, b; c; z) = (1 - z)^-a 2F1(a, c - b; c; w), w = z / (z - 1), and
		 * 1 - w = 1 / (1 - z), so (1 - z)^(p - a) = (1 - w)^(a - p).
		 */
		return omni_hyp2f1_scaled(a, c - b, c, z / (z - 1.0), a - p);
	}

	if (z <= DIRECT_LIMIT || is_nonpositive_integer(a) || is_nonpositive_integer(b))
	{
		double		series = hyp2f1_series(a, b, c, z);

		return p == 0.0 ? series : scaled_product(1, p * log1p(-z), series);
	}

	m = c - a - b;
	if (is_nonpositive_integer(c - a) || is_nonpositive_integer(c - b))
	{
		/* Euler: 2F1(a, b; c; z) = (1 - z)^(c-a-b) 2F1(c - a, c - b; c; z), a polynomial */
		double		series = hyp2f1_series(c - a, c - b, c, z);

		return scaled_product(1, (p + m) * log1p(-z), series);
	}

	nearest = rint(m);
	if (fabs(m - nearest) < NEAR_INTEGER)
	{
		/* analytic in c: interpolate from points where c - a - b is 1e-3..3e-3 off the integer */
		static const double offsets[] = {-3.0, -2.0, -1.0, 1.0, 2.0, 3.0};
		double		xs[lengthof(offsets)];
		double		ys[lengthof(offsets)];
		double		c0 = c - (m - nearest);
		int			i;

		for (i = 0; i < (int) lengthof(offsets); i++)
		{
			xs[i] = offsets[i] * INTEGER_STEP;
			ys[i] = hyp2f1_reflected(a, b, c0 + xs[i], z, p);
		}
		return omni_lagrange(xs, ys, lengthof(offsets), m - nearest);
	}
	return hyp2f1_reflected(a, b, c, z, p);
}

/* ---------- the incomplete beta function (channel preferences) ---------- */

/* The continued fraction of I_x(a, b) (modified Lentz), good for x < (a + 1) / (a + b + 2). */
static double
beta_inc_fraction(double a, double b, double x)
{
	const double tiny = 1e-300;
	double		c = 1.0;
	double		d = 1.0 - (a + b) * x / (a + 1.0);
	double		h;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	h = d;
	for (int m = 1; m <= 100000; m++)
	{
		double		m2 = 2.0 * m;
		double		num;
		double		delta;

		if ((m & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
		d = 1.0 + num * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + num / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		h *= d * c;
		num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
		d = 1.0 + num * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + num / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		delta = d * c;
		h *= delta;
		if (fabs(delta - 1.0) < 1e-16)
			return h;
	}
	return NAN;
}

double
omni_beta_inc(double a, double b, double x, double xc)
{
	double		front;

	if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0) || !(xc >= 0.0) || isinf(a) || isinf(b))
		return NAN;
	if (x <= 0.0)
		return 0.0;
	if (xc <= 0.0)
		return 1.0;
	front = exp(a * log(x) + b * log(xc) - omni_lbeta(a, b));
	if (x < (a + 1.0) / (a + b + 2.0))
		return front * beta_inc_fraction(a, b, x) / a;
	return 1.0 - front * beta_inc_fraction(b, a, xc) / b;
}

double
omni_beta_inc_inv(double a, double b, double p)
{
	double		lo = 0.0;
	double		hi = 1.0;
	double		x;
	double		lbeta;

	if (!(a > 0.0) || !(b > 0.0) || !(p >= 0.0 && p <= 1.0))
		return NAN;
	if (p == 0.0)
		return 0.0;
	if (p == 1.0)
		return 1.0;
	lbeta = omni_lbeta(a, b);
	x = a / (a + b);
	for (int i = 0; i < 400; i++)
	{
		double		f = omni_beta_inc(a, b, x, 1.0 - x) - p;
		double		density;
		double		next;

		if (isnan(f))
			return NAN;
		if (f < 0.0)
			lo = x;
		else if (f > 0.0)
			hi = x;
		else
			return x;
		density = exp((a - 1.0) * log(x) + (b - 1.0) * log1p(-x) - lbeta);
		next = x - f / density;
		/* Newton inside the bracket, bisection when it would leave it */
		if (!(next > lo && next < hi) || !isfinite(next))
			next = 0.5 * (lo + hi);
		if (fabs(next - x) <= 4.0 * DBL_EPSILON * x || hi - lo <= 4.0 * DBL_EPSILON * hi)
			return next;
		x = next;
	}
	return x;
}
