/*
 * optimize.h — unconstrained minimisation for maximum-likelihood fits.  No fmgr here: the
 * caller's objective reports a point outside its domain by returning a non-finite value,
 * and the caller decides what a failure to converge means; long loops honour query cancel.
 */
#ifndef OMNI_OPTIMIZE_H
#define OMNI_OPTIMIZE_H

#include <stdbool.h>

#define OMNI_OPTIMIZE_MAX_DIM 8

/*
 * f(x) and its gradient at x (n values).  Return a non-finite value (and any gradient) for
 * a point where f is not defined or overflows; the line search then steps back.
 */
typedef double (*omni_objective) (const double *x, double *gradient, void *context);

typedef struct OmniMinimizeResult
{
	double		value;			/* f at the returned x */
	double		gradient_norm;	/* max |gradient component| there */
	int			iterations;
	int			evaluations;
	bool		converged;		/* gradient_norm <= gradient_tolerance */
} OmniMinimizeResult;

/*
 * Minimise f from x (updated in place) by BFGS with a backtracking Armijo line search,
 * then polish with Newton steps on a Hessian differenced from the analytic gradient, so the
 * optimum is reached to the precision of the gradient itself.  Deterministic: the same
 * objective and start give the same bits.  max_step bounds each coordinate's move per
 * iteration (useful in log-parameter space, where a step of 30 overflows exp).
 */
extern void omni_minimize(omni_objective f, void *context, int n, double *x,
						  double gradient_tolerance, int max_iterations, double max_step,
						  OmniMinimizeResult *result);

#endif							/* OMNI_OPTIMIZE_H */
