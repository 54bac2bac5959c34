"""Inference with few clusters: t(G-1) intervals, the CV3 jackknife and the wild cluster bootstrap.

LEO designs often cluster by institution (about 30 providers here, 130 in England), where
cluster-robust standard errors with normal critical values over-reject. Three remedies, as in
MacKinnon, Nielsen & Webb (2023, "Cluster-robust inference: a guide to empirical practice"):

* ``t_interval``: the interval with t(G-1) critical values (what reghdfe, fixest and
  pyfixest report);
* ``cluster_jackknife``: the CV3 (leave-one-cluster-out jackknife) standard error, which MNW
  recommend over CV1 when clusters are few or of very different sizes: CV1 is then biased
  down, CV3 is not (it errs on the conservative side);
* ``wild_cluster_bootstrap``: the restricted wild cluster bootstrap (WCR) p-value for one
  coefficient, with Rademacher or Webb weights, and its confidence interval by test inversion
  (Stata's ``boottest``, R's ``fwildclusterboot``);
* ``wild_bootstrap_ar``: the same bootstrap for instrumental variables, one endogenous
  regressor and one instrument: the Anderson-Rubin test of each value of the coefficient
  (regress y - b0 x on the instrument; b0 is rejected when the instrument still matters) and
  the interval of values not rejected (``boottest`` after ``ivreg2``). It stays reliable when a
  few large clusters dominate the variance, where the cluster-robust IV standard error with
  t(G-1) is too small, and it is robust to a weak instrument.

The bootstrap works on a regression whose absorbed fixed effects are already partialled out
(``demean``): Frisch-Waugh-Lovell gives the same slopes, and this is how boottest treats
absorbed effects. It runs in cluster-sized arrays (G x k x reps), so 9,999 replications take
well under a second. This is written here rather than taken from ``wildboottest`` because that
package needs numba, too heavy for Binder's 1 GB and absent from the SRS.
"""

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "demean",
    "t_interval",
    "cluster_t",
    "cluster_jackknife",
    "wild_cluster_bootstrap",
    "wild_bootstrap_ar",
    "effective_clusters",
]


def demean(values, groups):
    """Deviations of ``values`` (an array, one column per variable) from their means within
    ``groups`` (one id per row): one absorbed fixed effect partialled out."""
    values = np.asarray(values, float)
    flat = values.ndim == 1
    codes = pd.factorize(np.asarray(groups))[0]
    if (codes < 0).any():
        raise ValueError("groups has missing values")
    out = _demean_codes(values[:, None] if flat else values, codes, codes.max() + 1)
    return out[:, 0] if flat else out


def t_interval(estimate, se, n_clusters, level=0.95):
    """Interval estimate +- t(G-1) quantile x se."""
    q = stats.t.ppf(0.5 + level / 2, n_clusters - 1)
    return estimate - q * se, estimate + q * se


def _codes(clusters):
    codes, uniques = pd.factorize(np.asarray(clusters), sort=True)
    if (codes < 0).any():
        raise ValueError("clusters has missing values")
    return codes, len(uniques)


def _by_cluster(codes, n_clusters, values):
    """Sum rows of ``values`` (n, or n x k) within clusters."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n_clusters)
    return np.column_stack([np.bincount(codes, weights=v, minlength=n_clusters) for v in values.T])


def cluster_t(y, X, clusters, column, k_absorbed=0):
    """OLS slope, CR1 standard error and t statistic for one column of X.

    CR1: G/(G-1) * (N-1)/(N-k), k = the columns of X + ``k_absorbed``, the degrees of freedom
    of fixed effects partialled out of y and X beforehand. Counting them is what
    linearmodels' ``AbsorbingLS(...).fit(debiased=True)``, reghdfe, fixest and pyfixest do
    for effects not nested in the clusters; ``k_absorbed=0`` is pyfixest's
    ``ssc(k_fixef="none")``.
    """
    y, X = np.asarray(y, float), np.asarray(X, float)
    codes, G = _codes(clusters)
    n, k = X.shape
    k += k_absorbed
    A = np.linalg.inv(X.T @ X)
    beta = A @ (X.T @ y)
    u = y - X @ beta
    scores = _by_cluster(codes, G, X * u[:, None]) @ A[column]
    se = np.sqrt(_cr1(G, n, k) * np.sum(scores**2))
    return beta[column], se, beta[column] / se


def _demean_codes(values, groups, n_groups):
    """Deviations of the columns of ``values`` from their means within ``groups`` (0..n-1)."""
    counts = np.maximum(np.bincount(groups, minlength=n_groups), 1)
    means = (
        np.column_stack([np.bincount(groups, weights=v, minlength=n_groups) for v in values.T])
        / counts[:, None]
    )
    return values - means[groups]


def cluster_jackknife(y, X, clusters, column, absorb=None):
    """CV3 standard error of coefficient ``column``: OLS refitted leaving out one cluster at
    a time, sqrt((G-1)/G * sum_g (b_(g) - b)^2), as in MacKinnon, Nielsen & Webb (2023).

    absorb   optional group id per row of one fixed effect to absorb; it is partialled out
             again in every leave-one-out sample (its means change when a cluster goes), which
             is what refitting the fixed-effects model would do. Other fixed effects go in X
             as dummies.

    Returns a dict: estimate, se, leave_one_out (a Series by cluster: the estimate without
    it, to see which clusters drive the result), n_clusters.
    """
    y, X = np.asarray(y, float), np.asarray(X, float)
    labels, codes = np.unique(np.asarray(clusters), return_inverse=True)
    G = len(labels)
    if G < 2:
        raise ValueError("the cluster jackknife needs at least 2 clusters")
    groups = None if absorb is None else pd.factorize(np.asarray(absorb))[0]
    n_groups = 0 if groups is None else groups.max() + 1

    def fit(rows):
        yy, XX = y[rows], X[rows]
        if groups is not None:
            both = _demean_codes(np.column_stack([yy, XX]), groups[rows], n_groups)
            yy, XX = both[:, 0], both[:, 1:]
        # pinv: a dummy column can be all zero once a cluster is left out
        return (np.linalg.pinv(XX.T @ XX) @ (XX.T @ yy))[column]

    everyone = np.ones(len(y), bool)
    b = fit(everyone)
    loo = np.array([fit(codes != g) for g in range(G)])
    se = np.sqrt((G - 1) / G * np.sum((loo - b) ** 2))
    return {
        "estimate": float(b),
        "se": float(se),
        "leave_one_out": pd.Series(loo, index=labels, name="estimate_without"),
        "n_clusters": int(G),
    }


def _cr1(G, n, k):
    return G / (G - 1) * (n - 1) / (n - k)


def _weights(kind, G, reps, rng):
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(G, reps))
    if kind == "webb":
        r = np.sqrt([0.5, 1.0, 1.5])
        return rng.choice(np.concatenate([-r, r]), size=(G, reps))
    raise ValueError(f"weights={kind!r}: use 'rademacher' or 'webb'")


class _WCR:
    """Everything about one regression that the bootstrap at any null value reuses."""

    def __init__(self, y, X, clusters, column, weights, k_absorbed):
        self.y, self.X = np.asarray(y, float), np.asarray(X, float)
        self.codes, self.G = _codes(clusters)
        n, k = self.X.shape
        self.j = column
        self.A = np.linalg.inv(self.X.T @ self.X)
        self.c = _cr1(self.G, n, k + k_absorbed)
        self.W = weights
        others = [i for i in range(k) if i != column]
        self.Xr = self.X[:, others]
        self.xj = self.X[:, column]
        self.Ar = np.linalg.inv(self.Xr.T @ self.Xr) if others else None
        # per-cluster cross-products X_g'X_g (G x k x k), a column at a time: the n x k x k
        # array of row outer products would be large
        self.M = np.stack(
            [_by_cluster(self.codes, self.G, self.X * self.X[:, [j]]) for j in range(k)], axis=2
        )
        beta = self.A @ (self.X.T @ self.y)
        u = self.y - self.X @ beta
        z = _by_cluster(self.codes, self.G, self.X * u[:, None]) @ self.A[column]
        self.beta = beta[column]
        self.se = np.sqrt(self.c * np.sum(z**2))

    def p_value(self, null):
        """Symmetric WCR bootstrap p-value of H0: beta_j = null."""
        yr = self.y - null * self.xj
        if self.Ar is not None:
            fitted = self.Xr @ (self.Ar @ (self.Xr.T @ yr)) + null * self.xj
        else:
            fitted = null * self.xj
        u = self.y - fitted
        h = _by_cluster(self.codes, self.G, self.X * fitted[:, None])  # X_g' yhat_g
        s = _by_cluster(self.codes, self.G, self.X * u[:, None])  # X_g' u_g
        # beta*_b = A (X'yhat + sum_g w_gb s_g)
        bstar = self.A @ (h.sum(0)[:, None] + s.T @ self.W)  # k x B
        a = self.A[self.j]
        # a'(X_g'y*_g - M_g beta*_b) for every cluster g and replication b
        z = (
            (h @ a)[:, None]
            + (s @ a)[:, None] * self.W
            - np.einsum("gkl,k,lb->gb", self.M, a, bstar)
        )
        se = np.sqrt(self.c * np.sum(z**2, axis=0))
        t_star = (bstar[self.j] - null) / se
        t = (self.beta - null) / self.se
        return float(np.mean(np.abs(t_star) >= abs(t) - 1e-12))


def wild_cluster_bootstrap(
    y,
    X,
    clusters,
    column,
    null=0.0,
    reps=999,
    weights="rademacher",
    seed=None,
    level=0.95,
    k_absorbed=0,
):
    """Restricted wild cluster bootstrap for coefficient ``column`` of OLS of y on X.

    y, X       outcome and regressors (absorbed fixed effects partialled out; a constant
               column in X if the model has one)
    clusters   cluster id per row
    column     index of the tested coefficient in X
    null       the value tested (p-value of H0: beta = null)
    weights    'rademacher' (G above about 12) or 'webb' (fewer clusters)
    level      of the interval found by inverting the test (the set of nulls not rejected)
    k_absorbed degrees of freedom partialled out, for the reported CR1 se (see cluster_t);
               the p-value and interval do not depend on it

    Returns a dict: estimate, se (CR1), t, p_value, ci (low, high), reps, weights, n_clusters.
    The same bootstrap weights are used for every null value, so the interval is exact for
    them and reproducible with ``seed``.
    """
    if reps < 99:
        raise ValueError(f"reps={reps}: use at least 99 (999 or more for a published p-value)")
    X = np.asarray(X, float)
    if X.ndim != 2 or not 0 <= column < X.shape[1]:
        raise ValueError(f"column={column} is not a column of X with shape {X.shape}")
    codes, G = _codes(clusters)
    if G < 2:
        raise ValueError("the wild cluster bootstrap needs at least 2 clusters")
    rng = np.random.default_rng(seed)
    boot = _WCR(y, X, clusters, column, _weights(weights, G, reps, rng), k_absorbed)
    alpha = 1 - level
    low, high = _invert(boot, alpha, -1), _invert(boot, alpha, +1)
    return {
        "estimate": float(boot.beta),
        "se": float(boot.se),
        "t": float(boot.beta / boot.se),
        "p_value": boot.p_value(null),
        "null": float(null),
        "ci": (low, high),
        "reps": int(reps),
        "weights": weights,
        "n_clusters": int(G),
    }


def _invert(boot, alpha, side, tol=1e-7):
    """The end of the interval on ``side`` (-1 low, +1 high): where the p-value crosses alpha."""
    inside = boot.beta  # p = 1 at the estimate
    step = max(boot.se, 1e-12)
    outside = boot.beta + side * step
    for _ in range(60):  # widen until rejected
        if boot.p_value(outside) < alpha:
            break
        inside, outside = outside, boot.beta + side * (abs(outside - boot.beta) * 2)
    else:
        return float("nan")
    while abs(outside - inside) > tol * max(1.0, boot.se):
        mid = 0.5 * (inside + outside)
        if boot.p_value(mid) < alpha:
            outside = mid
        else:
            inside = mid
    return float(0.5 * (inside + outside))


def effective_clusters(scores, clusters):
    """How many clusters the variance really rests on: 1 / sum of squared shares of each
    cluster in sum_g s_g^2, s_g the cluster's sum of ``scores`` (e.g. instrument x residual).
    G when every cluster counts equally; close to 1 when one dominates. A rough guide in the
    spirit of Carter, Schnepel and Steigerwald (2017): t(G-1) inference needs it to be large."""
    codes, G = _codes(clusters)
    s = _by_cluster(codes, G, np.asarray(scores, float)) ** 2
    share = s / s.sum()
    return float(1.0 / np.sum(share**2))


class _AR:
    """Cluster sums that the Anderson-Rubin wild bootstrap reuses for every null value."""

    def __init__(self, y, x, z, clusters, weights):
        y, x, z = (np.asarray(v, float).ravel() for v in (y, x, z))
        if not len(y) == len(x) == len(z):
            raise ValueError("y, x and z must have the same length")
        self.codes, self.G = _codes(clusters)
        self.zy = _by_cluster(self.codes, self.G, z * y)
        self.zx = _by_cluster(self.codes, self.G, z * x)
        self.zz_g = _by_cluster(self.codes, self.G, z * z)
        self.zz = self.zz_g.sum()
        if self.zz <= 0:
            raise ValueError("the instrument has no variation left")
        self.W = weights
        self.estimate = float(self.zy.sum() / self.zx.sum())

    def _t(self, a):
        """t statistics of the reduced-form slope, for cluster sums a (G, or G x B)."""
        beta = a.sum(0) / self.zz
        scores = a - np.multiply.outer(self.zz_g, beta) if a.ndim == 2 else a - beta * self.zz_g
        return beta * self.zz / np.sqrt(np.sum(scores**2, axis=0))  # small-sample factors cancel

    def p_value(self, null):
        a = self.zy - null * self.zx  # the instrument's cluster sums with y - null x
        t = self._t(a)
        t_star = self._t(a[:, None] * self.W)  # H0 imposed: y - null x is the residual
        return float(np.mean(np.abs(t_star) >= abs(t) - 1e-12))


def wild_bootstrap_ar(y, x, z, clusters, reps=999, weights="rademacher", seed=None, level=0.95,
                      null=0.0):  # fmt: skip
    """Anderson-Rubin inference with the restricted wild cluster bootstrap, for the coefficient
    b of one endogenous regressor ``x`` instrumented by one instrument ``z``.

    y, x, z    outcome, endogenous regressor, instrument, with the exogenous regressors and
               any absorbed fixed effects already partialled out of each (``demean``, or a
               fixed-effects solver's residuals): Frisch-Waugh-Lovell, as ``boottest`` does
    clusters   cluster id per row

    For each value b0, regress y - b0 x on z and test that the slope is zero with the CR1 t
    statistic, the bootstrap imposing the null (the residuals are y - b0 x itself, their signs
    flipped by cluster). The interval is the set of b0 not rejected at ``level``, found by
    bisection on each side of the IV estimate; an end is +-inf when the instrument is too weak
    to reject anything that far out. The same bootstrap weights serve every b0.

    Returns a dict: estimate (the IV estimate), p_value (of b = ``null``), ci (low, high), reps,
    weights, n_clusters.
    """
    if reps < 99:
        raise ValueError(f"reps={reps}: use at least 99 (999 or more for a published p-value)")
    codes, G = _codes(clusters)
    if G < 2:
        raise ValueError("the wild cluster bootstrap needs at least 2 clusters")
    rng = np.random.default_rng(seed)
    ar = _AR(y, x, z, clusters, _weights(weights, G, reps, rng))
    alpha = 1 - level
    # a first step of the size of the IV standard error (CR0, from the same cluster sums)
    u_scores = ar.zy - ar.estimate * ar.zx
    step = np.sqrt(np.sum(u_scores**2)) / abs(ar.zx.sum()) or 1e-6
    ends = []
    for side in (-1, 1):
        inside, outside = ar.estimate, ar.estimate + side * step
        for _ in range(60):
            if ar.p_value(outside) < alpha:
                break
            inside, outside = outside, ar.estimate + side * abs(outside - ar.estimate) * 2
        else:
            ends.append(side * np.inf)
            continue
        while abs(outside - inside) > 1e-7 * max(1.0, step):
            mid = 0.5 * (inside + outside)
            if ar.p_value(mid) < alpha:
                outside = mid
            else:
                inside = mid
        ends.append(float(0.5 * (inside + outside)))
    return {
        "estimate": ar.estimate,
        "p_value": ar.p_value(null),
        "null": float(null),
        "ci": (ends[0], ends[1]),
        "reps": int(reps),
        "weights": weights,
        "n_clusters": int(G),
    }
