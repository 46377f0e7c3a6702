/*
 * special.h — special functions for the customer-base models: digamma, log-beta, signed
 * log-gamma and the Gauss hypergeometric function 2F1.  No fmgr here: failures come back
 * as NaN and each caller turns them into ereport; long loops still honour query cancel.
 */
#ifndef OMNI_SPECIAL_H
#define OMNI_SPECIAL_H

#include <stdbool.h>

/* psi(x) = d/dx ln Gamma(x) for real x (NaN at 0 and the negative integers). */
extern double omni_digamma(double x);

/* ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b), for a, b > 0. */
extern double omni_lbeta(double a, double b);

/* ln |Gamma(x)| and the sign of Gamma(x); *sign = 0 at the poles (0, -1, -2, ...). */
extern double omni_lgamma_signed(double x, int *sign);

/*
 * (1 - z)^p * 2F1(a, b; c; z) for real a, b, c, z < 1 and c not a non-positive integer.
 * The power is folded into the computation (in logarithms), so the product stays finite
 * where 2F1 alone would overflow as z approaches 1; p = 0 gives 2F1 itself.  Returns NaN
 * if the series does not converge (which the transformations make rare: see special.c).
 */
extern double omni_hyp2f1_scaled(double a, double b, double c, double z, double p);

/*
 * The polynomial through (xs[i], ys[i]), i < n, evaluated at x (Lagrange form).  Used to
 * evaluate analytic functions at points where their formula is 0/0: from nearby points
 * where the formula is accurate.
 */
extern double omni_lagrange(const double *xs, const double *ys, int n, double x);

/*
 * The regularised incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1, by its
 * continued fraction (on the side of x where it converges fast).  xc = 1 - x, passed
 * separately so callers near 1 keep its precision.  NaN outside the domain.
 */
extern double omni_beta_inc(double a, double b, double x, double xc);

/* The p-quantile of Beta(a, b), 0 <= p <= 1: the x with I_x(a, b) = p (bracketed Newton). */
extern double omni_beta_inc_inv(double a, double b, double p);

static inline double
omni_hyp2f1(double a, double b, double c, double z)
{
	return omni_hyp2f1_scaled(a, b, c, z, 0.0);
}

#endif							/* OMNI_SPECIAL_H */
