"""One coefficient of a fitted model, read from the package's public attributes only.

    s = models.summary(fit, "sel")
    s["coef"], s["se"], s["ci"], s["n"], s["dof"], s["n_clusters"], s["package"]

Works for statsmodels (``RegressionResults``), linearmodels (``AbsorbingLS``, ``PanelOLS``, IV
results) and pyfixest (``Feols``, ``Fepois``). ``ci`` is the package's own 95% interval for the
fit's covariance (normal for statsmodels and linearmodels unless they were asked for t, t(G-1)
for pyfixest with clusters). ``n`` is the number of observations used, ``dof`` the residual
degrees of freedom and ``n_clusters`` the number of clusters (None when the fit is not
clustered), as the SRS's rules for releasing model output ask.

pyfixest 0.60 has no public attribute for the cluster count or the residual degrees of
freedom. Its intervals use t(G-1) when clustered and t(N-K) otherwise, so both follow from the
critical value of the interval: ``q = (high - coef) / se`` and ``df`` solves
``t.ppf(0.975, df) = q`` (for ``dof``, on a copy of the fit switched to iid errors). This is
exact to well beyond the integers needed for df up to millions.
"""

import copy
import math

import numpy as np

__all__ = ["summary", "package_of"]


def package_of(fit):
    """'statsmodels', 'linearmodels' or 'pyfixest' (from the class's module)."""
    module = type(fit).__module__.split(".")[0]
    if module not in ("statsmodels", "linearmodels", "pyfixest"):
        raise TypeError(
            f"summary: a {type(fit).__name__} from {module!r}; expected a statsmodels, "
            "linearmodels or pyfixest result"
        )
    return module


def _pick(series, coef, what):
    if coef not in series.index:
        raise KeyError(f"summary: no coefficient {coef!r}; the fit has {list(series.index)}")
    return float(series[coef])


def _df_from_interval(coef, se, high, level=0.95):
    """The degrees of freedom of the t distribution behind an interval (inf for the normal)."""
    from scipy import optimize, stats

    if not (se > 0) or not math.isfinite(high):
        return None
    q = (high - coef) / se
    z = stats.norm.ppf(0.5 + level / 2)
    if q <= z * (1 + 1e-12):
        return math.inf
    f = lambda df: stats.t.ppf(0.5 + level / 2, df) - q  # noqa: E731
    hi = 1.0
    while f(hi) > 0 and hi < 1e12:
        hi *= 10
    return optimize.brentq(f, 0.5, hi, xtol=1e-9, rtol=1e-15)


def _statsmodels(fit, coef):
    ci = fit.conf_int()
    clustered = getattr(fit, "cov_type", "") == "cluster"
    return {
        "coef": _pick(fit.params, coef, "params"),
        "se": _pick(fit.bse, coef, "bse"),
        "ci": [float(ci.loc[coef, 0]), float(ci.loc[coef, 1])],
        "n": int(fit.nobs),
        "dof": int(round(fit.df_resid)),
        "n_clusters": int(fit.n_groups) if clustered and hasattr(fit, "n_groups") else None,
        "cov_type": getattr(fit, "cov_type", None),
    }


def _linearmodels(fit, coef):
    ci = fit.conf_int()
    clusters = None
    if fit.cov_type == "clustered":
        groups = np.asarray(fit.cov_config.get("clusters"))
        if groups.ndim == 1:
            clusters = int(len(np.unique(groups)))
        elif groups.ndim == 2:  # two-way: report the smaller dimension, as t(G-1) would use
            clusters = int(min(len(np.unique(groups[:, j])) for j in range(groups.shape[1])))
    return {
        "coef": _pick(fit.params, coef, "params"),
        "se": _pick(fit.std_errors, coef, "std_errors"),
        "ci": [float(ci.loc[coef, "lower"]), float(ci.loc[coef, "upper"])],
        "n": int(fit.nobs),
        "dof": int(fit.df_resid),
        "n_clusters": clusters,
        "cov_type": fit.cov_type,
    }


def _pyfixest(fit, coef):
    b = _pick(fit.coef(), coef, "coef()")
    se = _pick(fit.se(), coef, "se()")
    ci = fit.confint()
    low, high = float(ci.loc[coef].iloc[0]), float(ci.loc[coef].iloc[1])
    n = int(len(fit.resid()))
    df = _df_from_interval(b, se, high)
    iid = copy.copy(fit).vcov("iid")  # a shallow copy: the caller's fit keeps its errors
    b_iid, se_iid = _pick(iid.coef(), coef, "coef()"), _pick(iid.se(), coef, "se()")
    dof = _df_from_interval(b_iid, se_iid, float(iid.confint().loc[coef].iloc[1]))
    dof = None if dof is None or math.isinf(dof) else int(round(dof))
    clustered = df is not None and math.isfinite(df) and dof is not None and round(df) != dof
    return {
        "coef": b,
        "se": se,
        "ci": [low, high],
        "n": n,
        "dof": dof,
        "n_clusters": int(round(df)) + 1 if clustered else None,
        "cov_type": "clustered" if clustered else "not clustered",
    }


def summary(fit, coef):
    """coef, se, ci (the package's 95% interval), n, dof, n_clusters, cov_type and package of
    coefficient ``coef`` of ``fit``; see the module docstring."""
    package = package_of(fit)
    out = {"statsmodels": _statsmodels, "linearmodels": _linearmodels,
           "pyfixest": _pyfixest}[package](fit, coef)  # fmt: skip
    out["package"] = package
    return out
