/*
 * optimize.c — unconstrained minimisation for the model fits (src/btyd.c).
 *
 * Quasi-Newton (BFGS on the inverse Hessian, Nocedal & Wright 2006, algorithm 6.1) with a
 * backtracking Armijo line search that also backs away from points where the objective is
 * not finite.  BFGS converges superlinearly but its last digits depend on the path; a
 * couple of Newton steps on a Hessian differenced from the analytic gradient then take the
 * gradient to the level of its own rounding, so a fit reproduces a published MLE to every
 * printed digit.  Nelder-Mead (scipy's and lifetimes' choice) stops on the spread of its
 * simplex, typically 1e-4 relative, which is why it can print alpha = 4.413 for 4.41354.
 *
 * Everything is sequential arithmetic on the caller's data in a fixed order, so the same
 * objective and start give the same bits on every run.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "common/optimize.h"

#define ARMIJO				1e-4
#define LINE_SEARCH_STEPS	60
#define NEWTON_STEPS		6
#define DIFFERENCE_STEP		1e-5

static double
max_abs(const double *v, int n)
{
	double		m = 0.0;
	int			i;

	for (i = 0; i < n; i++)
		m = Max(m, fabs(v[i]));
	return m;
}

static double
dot(const double *u, const double *v, int n)
{
	double		s = 0.0;
	int			i;

	for (i = 0; i < n; i++)
		s += u[i] * v[i];
	return s;
}

static void
set_identity(double h[OMNI_OPTIMIZE_MAX_DIM][OMNI_OPTIMIZE_MAX_DIM], int n, double scale)
{
	int			i,
				j;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			h[i][j] = i == j ? scale : 0.0;
}

/* Solve A d = b for symmetric positive definite A (Cholesky); false if A is not. */
static bool
cholesky_solve(double a[OMNI_OPTIMIZE_MAX_DIM][OMNI_OPTIMIZE_MAX_DIM], const double *b,
			   double *d, int n)
{
	double		l[OMNI_OPTIMIZE_MAX_DIM][OMNI_OPTIMIZE_MAX_DIM];
	double		z[OMNI_OPTIMIZE_MAX_DIM];
	int			i,
				j,
				k;

	for (i = 0; i < n; i++)
	{
		for (j = 0; j <= i; j++)
		{
			double		s = a[i][j];

			for (k = 0; k < j; k++)
				s -= l[i][k] * l[j][k];
			if (i == j)
			{
				if (!(s > 0.0) || !isfinite(s))
					return false;
				l[i][i] = sqrt(s);
			}
			else
				l[i][j] = s / l[j][j];
		}
	}
	for (i = 0; i < n; i++)
	{
		double		s = b[i];

		for (k = 0; k < i; k++)
			s -= l[i][k] * z[k];
		z[i] = s / l[i][i];
	}
	for (i = n - 1; i >= 0; i--)
	{
		double		s = z[i];

		for (k = i + 1; k < n; k++)
			s -= l[k][i] * d[k];
		d[i] = s / l[i][i];
	}
	return true;
}

/*
 * Newton steps with a central-difference Hessian of the analytic gradient; a step is kept
 * only if it shrinks the gradient without raising f beyond rounding.
 */
static void
newton_polish(omni_objective f, void *context, int n, double *x, double *fx, double *g,
			  int *evaluations)
{
	int			step;

	for (step = 0; step < NEWTON_STEPS; step++)
	{
		double		hess[OMNI_OPTIMIZE_MAX_DIM][OMNI_OPTIMIZE_MAX_DIM];
		double		probe[OMNI_OPTIMIZE_MAX_DIM];
		double		g_plus[OMNI_OPTIMIZE_MAX_DIM];
		double		g_minus[OMNI_OPTIMIZE_MAX_DIM];
		double		d[OMNI_OPTIMIZE_MAX_DIM];
		double		xn[OMNI_OPTIMIZE_MAX_DIM];
		double		gn[OMNI_OPTIMIZE_MAX_DIM];
		double		minus_g[OMNI_OPTIMIZE_MAX_DIM];
		double		fn;
		int			i,
					j;

		CHECK_FOR_INTERRUPTS();
		if (max_abs(g, n) == 0.0)
			return;
		for (j = 0; j < n; j++)
		{
			double		h = DIFFERENCE_STEP * Max(1.0, fabs(x[j]));

			memcpy(probe, x, sizeof(double) * n);
			probe[j] = x[j] + h;
			if (!isfinite(f(probe, g_plus, context)))
				return;
			probe[j] = x[j] - h;
			if (!isfinite(f(probe, g_minus, context)))
				return;
			*evaluations += 2;
			for (i = 0; i < n; i++)
				hess[i][j] = (g_plus[i] - g_minus[i]) / (2.0 * h);
		}
		for (i = 0; i < n; i++)
			for (j = 0; j < i; j++)
				hess[i][j] = hess[j][i] = 0.5 * (hess[i][j] + hess[j][i]);
		for (i = 0; i < n; i++)
			minus_g[i] = -g[i];
		if (!cholesky_solve(hess, minus_g, d, n))
			return;
		for (i = 0; i < n; i++)
			xn[i] = x[i] + d[i];
		fn = f(xn, gn, context);
		(*evaluations)++;
		if (!isfinite(fn) || !(max_abs(gn, n) < max_abs(g, n)) ||
			fn > *fx + 1e-13 * Max(1.0, fabs(*fx)))
			return;
		memcpy(x, xn, sizeof(double) * n);
		memcpy(g, gn, sizeof(double) * n);
		*fx = fn;
	}
}

void
omni_minimize(omni_objective f, void *context, int n, double *x, double gradient_tolerance,
			  int max_iterations, double max_step, OmniMinimizeResult *result)
{
	double		h[OMNI_OPTIMIZE_MAX_DIM][OMNI_OPTIMIZE_MAX_DIM];
	double		g[OMNI_OPTIMIZE_MAX_DIM];
	double		p[OMNI_OPTIMIZE_MAX_DIM];
	double		xn[OMNI_OPTIMIZE_MAX_DIM];
	double		gn[OMNI_OPTIMIZE_MAX_DIM];
	double		s[OMNI_OPTIMIZE_MAX_DIM];
	double		y[OMNI_OPTIMIZE_MAX_DIM];
	double		hy[OMNI_OPTIMIZE_MAX_DIM];
	double		fx;
	bool		identity = true;
	int			evaluations = 1;
	int			iteration;
	int			i,
				j;

	Assert(n > 0 && n <= OMNI_OPTIMIZE_MAX_DIM);
	fx = f(x, g, context);
	if (!isfinite(fx) || !isfinite(max_abs(g, n)))
	{
		result->value = fx;
		result->gradient_norm = INFINITY;
		result->iterations = 0;
		result->evaluations = evaluations;
		result->converged = false;
		return;
	}
	set_identity(h, n, 1.0);

	for (iteration = 0; iteration < max_iterations; iteration++)
	{
		double		slope;
		double		biggest;
		double		t = 1.0;
		double		fn = NAN;
		double		sy;
		bool		accepted = false;
		int			search;

		CHECK_FOR_INTERRUPTS();
		if (max_abs(g, n) <= gradient_tolerance)
			break;

		for (i = 0; i < n; i++)
		{
			p[i] = 0.0;
			for (j = 0; j < n; j++)
				p[i] -= h[i][j] * g[j];
		}
		slope = dot(g, p, n);
		if (!(slope < 0.0))
		{
			/* the curvature estimate went wrong: start again from steepest descent */
			set_identity(h, n, 1.0);
			identity = true;
			for (i = 0; i < n; i++)
				p[i] = -g[i];
			slope = dot(g, p, n);
		}
		biggest = max_abs(p, n);
		if (biggest > max_step)
		{
			for (i = 0; i < n; i++)
				p[i] *= max_step / biggest;
			slope *= max_step / biggest;
		}

		for (search = 0; search < LINE_SEARCH_STEPS; search++)
		{
			for (i = 0; i < n; i++)
				xn[i] = x[i] + t * p[i];
			fn = f(xn, gn, context);
			evaluations++;
			if (isfinite(fn) && isfinite(max_abs(gn, n)) && fn <= fx + ARMIJO * t * slope)
			{
				accepted = true;
				break;
			}
			if (isfinite(fn))
			{
				/* minimiser of the quadratic through f(0), f'(0) and f(t), kept in [t/10, t/2] */
				double		curvature = fn - fx - slope * t;
				double		next = curvature > 0.0 ? -slope * t * t / (2.0 * curvature) : 0.5 * t;

				t = Min(Max(next, 0.1 * t), 0.5 * t);
			}
			else
				t *= 0.25;
		}
		if (!accepted)
		{
			if (identity)
				break;
			set_identity(h, n, 1.0);
			identity = true;
			continue;
		}

		for (i = 0; i < n; i++)
		{
			s[i] = xn[i] - x[i];
			y[i] = gn[i] - g[i];
		}
		sy = dot(s, y, n);
		if (sy > 1e-12 * sqrt(dot(s, s, n) * dot(y, y, n)))
		{
			double		rho = 1.0 / sy;
			double		yhy;

			if (identity)
			{
				/* Nocedal & Wright (6.20): scale the first approximation to the curvature seen */
				set_identity(h, n, sy / dot(y, y, n));
				identity = false;
			}
			for (i = 0; i < n; i++)
			{
				hy[i] = 0.0;
				for (j = 0; j < n; j++)
					hy[i] += h[i][j] * y[j];
			}
			yhy = dot(y, hy, n);
			for (i = 0; i < n; i++)
				for (j = 0; j < n; j++)
					h[i][j] += rho * ((1.0 + rho * yhy) * s[i] * s[j] - hy[i] * s[j] - s[i] * hy[j]);
		}
		memcpy(x, xn, sizeof(double) * n);
		memcpy(g, gn, sizeof(double) * n);
		fx = fn;
		if (max_abs(s, n) < 1e-14)
			break;				/* stalled at rounding level: let Newton finish */
	}

	newton_polish(f, context, n, x, &fx, g, &evaluations);

	result->value = fx;
	result->gradient_norm = max_abs(g, n);
	result->iterations = iteration;
	result->evaluations = evaluations;
	result->converged = result->gradient_norm <= gradient_tolerance;
}
