/*
 * stats.c — the normal distribution, Wilson intervals and two-proportion tests.
 *
 * The normal CDF comes from the C library's erfc, which is accurate to an ulp or two in
 * both tails; the quantile is refined from a rough start by Halley steps on that CDF, which
 * gives full double precision without carrying a table of rational coefficients.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"

#include "common/stats.h"

#define OMNI_SQRT1_2 0.70710678118654752440	/* 1/sqrt(2) */
#define OMNI_1_SQRT2PI 0.39894228040143267794	/* 1/sqrt(2*pi) */

double
omni_norm_cdf(double x)
{
	return 0.5 * erfc(-x * OMNI_SQRT1_2);
}

double
omni_norm_sf(double x)
{
	return 0.5 * erfc(x * OMNI_SQRT1_2);
}

/*
 * Lower-tail quantile for 0 < p <= 0.5.  The start is Abramowitz & Stegun 26.2.23
 * (absolute error below 4.5e-4); Halley's method then converges cubically, so a few steps
 * reach the precision of erfc itself.
 */
static double
lower_tail_quantile(double p)
{
	double		t = sqrt(-2.0 * log(p));
	double		x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
					  (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
	int			i;

	for (i = 0; i < 8; i++)
	{
		double		density = OMNI_1_SQRT2PI * exp(-0.5 * x * x);
		double		err;
		double		step;

		/*
		 * Near the centre, Phi(x) - p loses x's relative precision to cancellation against
		 * 0.5; erf(x/sqrt 2)/2 - (p - 0.5) keeps it, and p - 0.5 is exact for p > 0.25.
		 */
		if (p > 0.25)
			err = 0.5 * erf(x * OMNI_SQRT1_2) - (p - 0.5);
		else
			err = omni_norm_cdf(x) - p;

		if (density == 0.0)
			break;
		step = err / density;
		/* Halley: divide the Newton step by 1 + x*step/2 (phi' = -x phi) */
		step = step / (1.0 + 0.5 * x * step);
		x -= step;
		if (fabs(step) <= 1e-17 * fabs(x))
			break;
	}
	return x;
}

double
omni_norm_quantile(double p)
{
	if (!(p > 0.0 && p < 1.0))
		return NAN;
	if (p == 0.5)
		return 0.0;
	if (p < 0.5)
		return lower_tail_quantile(p);
	/* 1 - p is exact for p >= 0.5 (Sterbenz), so symmetry loses nothing */
	return -lower_tail_quantile(1.0 - p);
}

double
omni_two_sided_z(double confidence)
{
	/* alpha/2 is computed without forming 1 - alpha/2, which would round away small alphas */
	double		half_alpha = 0.5 * (1.0 - confidence);

	return -omni_norm_quantile(half_alpha);
}

void
omni_wilson_interval(int64_t hits, int64_t trials, double z, double *lower, double *upper)
{
	/*
	 * The closed form (2x + z^2 -/+ z sqrt(z^2 + 4x(n-x)/n)) / (2(n + z^2)) is algebraically
	 * Wilson's centre -/+ half-width; it yields exactly 0 at x = 0 and exactly 1 at x = n.
	 */
	double		x = (double) hits;
	double		n = (double) trials;
	double		z2 = z * z;
	double		root = z * sqrt(z2 + 4.0 * x * ((n - x) / n));
	double		denom = 2.0 * (n + z2);

	*lower = hits == 0 ? 0.0 : (2.0 * x + z2 - root) / denom;
	*upper = hits == trials ? 1.0 : (2.0 * x + z2 + root) / denom;
}

double
omni_two_proportion_p_value(int64_t hits1, int64_t trials1, int64_t hits2, int64_t trials2)
{
	/*
	 * z = (p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2)) with the pooled p = K/N simplifies to
	 * (x1 n2 - x2 n1) / sqrt(K M n1 n2 / N), M = N - K the pooled misses.  The numerator is
	 * formed exactly in 128-bit integers: subtracting two rounded ratios loses digits at
	 * large counts, and the tail magnifies that error.  K, M and N are summed exactly in
	 * unsigned 64 bits (each is at most twice INT64_MAX) before one rounding to double: the
	 * pooled misses must not be computed as a difference of rounded totals, which at
	 * N >= 2^53 with few misses loses them all.
	 */
	double		n1 = (double) trials1;
	double		n2 = (double) trials2;
	double		n = (double) ((uint64_t) trials1 + (uint64_t) trials2);
	double		k = (double) ((uint64_t) hits1 + (uint64_t) hits2);
	double		m = (double) ((uint64_t) (trials1 - hits1) + (uint64_t) (trials2 - hits2));
	double		variance;
	double		difference;

	if (k == 0.0 || m == 0.0)
		return 1.0;
	/* within the double range for int64 counts; n1 * n2 first keeps the test symmetric */
	variance = (k * m) * (n1 * n2) / n;
#ifdef HAVE_INT128
	difference = (double) ((int128) hits1 * trials2 - (int128) hits2 * trials1);
#else
	difference = (double) ((long double) hits1 * trials2 - (long double) hits2 * trials1);
#endif
	return 2.0 * omni_norm_sf(fabs(difference) / sqrt(variance));
}

/*
 * Fisher's exact test conditions on the margins: with N = n1 + n2 trials and K hits in all,
 * the hits of the first rate follow a hypergeometric law.  The two-sided p-value sums the
 * probabilities of every table no more likely than the observed one (R's fisher.test, with
 * its relative tolerance of 1e-7 for ties).  Probabilities are computed relative to the mode
 * by the ratio recurrence, so no factorial is formed; each walk stops once its terms fall
 * below DBL_MIN, which bounds the work to about 40 standard deviations either side of the
 * mode.  A table less likely than that (p below about 1e-300) gets the p-value 0.
 */
#define FISHER_TIE_TOLERANCE (1.0 + 1e-7)

/* weight of x+1 relative to x */
static inline double
hypergeometric_up(double x, double n1, double n2, double k)
{
	return (n1 - x) * (k - x) / ((x + 1.0) * (n2 - k + x + 1.0));
}

/* weight of x-1 relative to x */
static inline double
hypergeometric_down(double x, double n1, double n2, double k)
{
	return x * (n2 - k + x) / ((n1 - x + 1.0) * (k - x + 1.0));
}

double
omni_fisher_exact_work(int64_t hits1, int64_t trials1, int64_t hits2, int64_t trials2)
{
	double		n1 = (double) trials1;
	double		n2 = (double) trials2;
	double		n = n1 + n2;
	double		k = (double) hits1 + (double) hits2;
	double		sd;

	/* the walk counts tables in a double, which cannot step by 1 beyond 2^53 */
	if (n >= 9007199254740992.0)
		return INFINITY;
	if (n < 2.0)
		return 0.0;
	sd = sqrt(n1 * n2 * k * (n - k) / (n * n * (n - 1.0)));
	/* each walk from the mode stops where terms underflow, about 40 standard deviations out */
	return 80.0 * sd + Min(fabs((double) hits1 - k * n1 / n), 40.0 * sd);
}

double
omni_fisher_exact_p_value(int64_t hits1, int64_t trials1, int64_t hits2, int64_t trials2)
{
	double		n1 = (double) trials1;
	double		n2 = (double) trials2;
	double		k = (double) hits1 + (double) hits2;
	double		lo = Max(0.0, k - n2);
	double		hi = Min(k, n1);
	double		mode = floor((k + 1.0) * (n1 + 1.0) / (n1 + n2 + 2.0));
	double		observed = (double) hits1;
	double		obs_weight = 1.0;
	double		total = 1.0;	/* the mode's own weight */
	double		tail = 0.0;
	double		x;
	double		w;
	int			direction;
	uint32_t	steps = 0;

	mode = Min(Max(mode, lo), hi);

	/* the observed table's weight relative to the mode */
	for (x = mode; x < observed && obs_weight >= DBL_MIN; x += 1.0)
	{
		obs_weight *= hypergeometric_up(x, n1, n2, k);
		if ((++steps & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (x = mode; x > observed && obs_weight >= DBL_MIN; x -= 1.0)
	{
		obs_weight *= hypergeometric_down(x, n1, n2, k);
		if ((++steps & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}

	if (1.0 <= obs_weight * FISHER_TIE_TOLERANCE)
		tail += 1.0;

	/* walk out from the mode on each side until the weights underflow */
	for (direction = -1; direction <= 1; direction += 2)
	{
		w = 1.0;
		x = mode;
		while (direction > 0 ? x < hi : x > lo)
		{
			if (direction > 0)
			{
				w *= hypergeometric_up(x, n1, n2, k);
				x += 1.0;
			}
			else
			{
				w *= hypergeometric_down(x, n1, n2, k);
				x -= 1.0;
			}
			/*
			 * Below DBL_MIN the product enters the subnormals, where a ratio just under 1
			 * rounds back to the same value and the walk would never end; such terms are
			 * 1e-308 of the mode's and change nothing.
			 */
			if (w < DBL_MIN)
				break;
			total += w;
			if (w <= obs_weight * FISHER_TIE_TOLERANCE)
				tail += w;
			if ((++steps & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
	}

	return Min(1.0, tail / total);
}
