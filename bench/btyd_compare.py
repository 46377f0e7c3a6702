#!/usr/bin/python3
"""bench/btyd.sh's comparison: omni.bgnbd_fit vs scipy Nelder-Mead on the same rows.

The scipy side is the BG/NBD negative log-likelihood as lifetimes' BetaGeoFitter writes it
(numpy-vectorised over one row per customer, mean over customers, log-parameters,
log-sum-exp), minimised by scipy.optimize.minimize(method='Nelder-Mead') with lifetimes'
default tolerance (tol=1e-7) from log-parameters 0, as lifetimes' Nelder-Mead fits did.
Reading the rows into numpy is timed separately from the fit.  Connects with the PG*
environment (libpq defaults).
"""
import sys
import time

import numpy as np
import psycopg2
from scipy import optimize, special

conn = psycopg2.connect("")
cur = conn.cursor()
cur.execute("SELECT count(*), count(DISTINCT (frequency, recency, t)) FROM btyd_bench")
n, distinct = cur.fetchone()

start = time.perf_counter()
cur.execute("SELECT (m).r, (m).alpha, (m).a, (m).b, (m).log_likelihood, (m).converged "
            "FROM (SELECT omni.bgnbd_fit(frequency, recency, t) AS m FROM btyd_bench) f")
omni = cur.fetchone()
omni_seconds = time.perf_counter() - start

start = time.perf_counter()
cur.execute("SELECT frequency, recency, t FROM btyd_bench")
data = np.array(cur.fetchall(), dtype=float)
read_seconds = time.perf_counter() - start
x, t_x, T = data[:, 0], data[:, 1], data[:, 2]


def negative_log_likelihood(log_params):
    r, alpha, a, b = np.exp(log_params)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(t_x + alpha)
    top = np.maximum(a3, a4)
    ll = a1 + a2 + np.log(np.exp(a3 - top) + (x > 0) * np.exp(a4 - top)) + top
    return -ll.mean()


start = time.perf_counter()
result = optimize.minimize(negative_log_likelihood, np.zeros(4), method="Nelder-Mead", tol=1e-7,
                           options={"maxiter": 20000, "maxfev": 20000})
scipy_seconds = time.perf_counter() - start
scipy_params = np.exp(result.x)
scipy_ll = -result.fun * n

names = ("r", "alpha", "a", "b")
print(f"customers {n}, distinct (frequency, recency, T) patterns {distinct}")
print(f"omni.bgnbd_fit        {omni_seconds:8.2f} s   " +
      "  ".join(f"{k} {v:.6f}" for k, v in zip(names, omni[:4])) + f"  LL {omni[4]:.4f}  converged {omni[5]}")
print(f"scipy Nelder-Mead     {scipy_seconds:8.2f} s   " +
      "  ".join(f"{k} {v:.6f}" for k, v in zip(names, scipy_params)) +
      f"  LL {scipy_ll:.4f}  {result.nfev} evaluations, success {result.success}")
print(f"  (reading the rows into numpy took a further {read_seconds:.2f} s)")
print(f"ratio scipy / omni    {scipy_seconds / omni_seconds:8.1f}x")
difference = max(abs(o - s) / abs(o) for o, s in zip(omni[:4], scipy_params))
print(f"largest relative parameter difference {difference:.2e}; LL difference {omni[4] - scipy_ll:.2e} (omni - scipy)")
if difference > 1e-3:
    print("omni btyd bench: the two fits disagree", file=sys.stderr)
    sys.exit(1)
