/*
 * stats.h — numeric helpers shared by every capability: the normal distribution,
 * binomial confidence intervals and proportion tests.  No fmgr here: each caller validates
 * its arguments and turns domain problems into ereport; loops still honour query cancel.
 */
#ifndef OMNI_STATS_H
#define OMNI_STATS_H

#include <stdint.h>

/* Standard normal CDF, Phi(x), and its upper tail 1 - Phi(x), both accurate in the tails. */
extern double omni_norm_cdf(double x);
extern double omni_norm_sf(double x);

/* Standard normal quantile Phi^-1(p) for 0 < p < 1 (NaN outside). */
extern double omni_norm_quantile(double p);

/* z such that a two-sided interval at this confidence has coverage conf: Phi^-1(1 - (1-conf)/2). */
extern double omni_two_sided_z(double confidence);

/*
 * Wilson score interval for hits successes in trials > 0 trials, critical value z.
 * The bounds are exactly 0 when hits = 0 and exactly 1 when hits = trials.
 */
extern void omni_wilson_interval(int64_t hits, int64_t trials, double z,
								 double *lower, double *upper);

/*
 * Two-sided p-value of the pooled two-proportion z-test (statsmodels' proportions_ztest
 * with its defaults).  Both trials must be > 0.  Returns 1 when the pooled proportion is 0
 * or 1: the two observed rates are then identical and the statistic is 0/0.
 */
extern double omni_two_proportion_p_value(int64_t hits1, int64_t trials1,
										  int64_t hits2, int64_t trials2);

/*
 * Two-sided Fisher exact test p-value for the 2x2 table of two rates (R's fisher.test).
 * Its cost grows with the spread of the hypergeometric law; omni_fisher_exact_work gives
 * the number of terms it will visit, so callers can refuse tables that are too large.
 */
extern double omni_fisher_exact_work(int64_t hits1, int64_t trials1,
									 int64_t hits2, int64_t trials2);
extern double omni_fisher_exact_p_value(int64_t hits1, int64_t trials1,
										int64_t hits2, int64_t trials2);

#endif							/* OMNI_STATS_H */
