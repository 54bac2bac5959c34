"""Density (manipulation) tests for regression discontinuity designs.

The Python ``rdrobust`` package estimates the discontinuity itself; the companion density
test (``rddensity``, Cattaneo, Jansson & Ma 2020) is a separate package that is not part of
this project's environment or of the SRS. Two classical tests that need only numpy and scipy:

* ``mccrary_test``: McCrary (2008). Bin the running variable (no bin straddles the cutoff),
  smooth the histogram with a local linear regression on each side (triangular kernel) and
  test whether the log density jumps at the cutoff. Defaults follow McCrary's rule-of-thumb
  bin width and bandwidth, as in his ``DCdensity`` code.
* ``binomial_test``: the local-randomisation check (Cattaneo, Titiunik & Vazquez-Bare 2017):
  within a small window the number of units just below and just above the cutoff should be
  about equal.

Test the density on the units that could sort, once each: with an area-based eligibility rule
that is the areas (all pupils in an area share its score, so an applicant-level histogram has
mass points and says nothing about manipulation of the index).
"""

import numpy as np
from scipy import stats

__all__ = ["mccrary_test", "binomial_test"]


def _clean(x):
    x = np.asarray(x, dtype=float).ravel()
    if x.size == 0:
        raise ValueError("the running variable is empty")
    if not np.isfinite(x).all():
        raise ValueError("the running variable has missing or infinite values; drop them first")
    return x


def _local_linear_at(xs, ys, c, h):
    """Intercept at c of a triangular-kernel weighted linear fit of ys on xs - c (|xs-c| < h)."""
    u = (xs - c) / h
    w = np.clip(1 - np.abs(u), 0, None)
    keep = w > 0
    if keep.sum() < 2:
        raise ValueError(f"fewer than two bins within the bandwidth {h:.4g} on one side; widen it")
    X = np.column_stack([np.ones(keep.sum()), xs[keep] - c])
    W = w[keep]
    beta = np.linalg.lstsq(X * np.sqrt(W)[:, None], ys[keep] * np.sqrt(W), rcond=None)[0]
    return float(beta[0])


def _rule_of_thumb_bandwidth(mid, height, c):
    """McCrary's h: 3.348 (sigma^2 (range) / sum f''^2)^(1/5) on each side from a global
    quartic fit of the bin heights, averaged over the two sides."""
    hs = []
    for side in (mid < c, mid >= c):
        xs, ys = mid[side] - c, height[side]
        if len(xs) < 6:
            raise ValueError(
                "too few bins on one side of the cutoff for the rule-of-thumb bandwidth; "
                "pass bandwidth= (and bin_width=)"
            )
        coef = np.polyfit(xs, ys, 4)
        resid = ys - np.polyval(coef, xs)
        sigma2 = float(np.mean(resid**2))
        f2 = np.polyval(np.polyder(coef, 2), xs)
        span = float(xs.max() - xs.min())
        denom = float(np.sum(f2**2))
        if denom <= 0 or sigma2 <= 0:
            raise ValueError("the rule-of-thumb bandwidth is undefined here; pass bandwidth=")
        hs.append(3.348 * (sigma2 * span / denom) ** 0.2)
    return 0.5 * (hs[0] + hs[1])


def mccrary_test(x, cutoff=0.0, bin_width=None, bandwidth=None):
    """McCrary (2008) test of a jump in the density of ``x`` at ``cutoff``.

    x          running variable, one value per unit that could sort (e.g. per area)
    bin_width  histogram bin width; default 2 sd(x) n^(-1/2)
    bandwidth  local linear bandwidth; default McCrary's rule of thumb

    Units at exactly the cutoff count on the right (as in rdrobust: x >= c is treated).
    Returns a dict: theta (log density right minus left), se, z, p_value (two-sided, normal),
    f_left, f_right (density estimates at the cutoff), bin_width, bandwidth, n, n_left,
    n_right, and bins (midpoints and heights, for a plot).
    """
    x = _clean(x)
    n = x.size
    c = float(cutoff)
    n_left, n_right = int((x < c).sum()), int((x >= c).sum())
    if n_left == 0 or n_right == 0:
        raise ValueError(
            f"no units on one side of the cutoff {c}: {n_left} below, {n_right} at or above"
        )
    b = float(bin_width) if bin_width is not None else 2 * x.std(ddof=1) * n**-0.5
    if not b > 0:
        raise ValueError(f"bin_width must be positive, got {b}")
    # bins [c + j b, c + (j+1) b): none straddles the cutoff
    j = np.floor((x - c) / b).astype(np.int64)
    lo, hi = int(j.min()), int(j.max())
    counts = np.bincount(j - lo, minlength=hi - lo + 1).astype(float)
    mid = c + (np.arange(lo, hi + 1) + 0.5) * b
    height = counts / (n * b)
    h = float(bandwidth) if bandwidth is not None else _rule_of_thumb_bandwidth(mid, height, c)
    if not h > 0:
        raise ValueError(f"bandwidth must be positive, got {h}")
    left, right = mid < c, mid >= c
    f_left = _local_linear_at(mid[left], height[left], c, h)
    f_right = _local_linear_at(mid[right], height[right], c, h)
    if f_left <= 0 or f_right <= 0:
        raise ValueError(
            f"a density estimate at the cutoff is not positive (left {f_left:.4g}, right "
            f"{f_right:.4g}): too few units near the cutoff for this bandwidth"
        )
    theta = np.log(f_right) - np.log(f_left)
    se = np.sqrt((1.0 / (n * h)) * (24.0 / 5.0) * (1.0 / f_right + 1.0 / f_left))
    z = theta / se
    return {
        "theta": float(theta),
        "se": float(se),
        "z": float(z),
        "p_value": float(2 * stats.norm.sf(abs(z))),
        "f_left": f_left,
        "f_right": f_right,
        "bin_width": float(b),
        "bandwidth": h,
        "n": int(n),
        "n_left": n_left,
        "n_right": n_right,
        "bins": {"midpoint": mid, "height": height},
    }


def binomial_test(x, cutoff=0.0, window=None):
    """Are units within ``window`` of the cutoff equally likely to fall on either side?

    Counts units with cutoff - window <= x < cutoff (below) and cutoff <= x < cutoff + window
    (at or above) and returns a dict: window, n_below, n_above, share_above, p_value (exact
    two-sided binomial test of 1/2). Under a smooth density the share tends to 1/2 as the
    window shrinks; in a wide window a steep density makes it differ from 1/2 without sorting.
    """
    x = _clean(x)
    if window is None or not float(window) > 0:
        raise ValueError(f"window must be a positive number, got {window!r}")
    c, w = float(cutoff), float(window)
    below = int(((x >= c - w) & (x < c)).sum())
    above = int(((x >= c) & (x < c + w)).sum())
    total = below + above
    if total == 0:
        raise ValueError(f"no units within {w} of the cutoff {c}")
    return {
        "window": w,
        "n_below": below,
        "n_above": above,
        "share_above": above / total,
        # exact two-sided test of 1/2 (written out: scipy's binomtest is newer than the SRS's)
        "p_value": float(
            min(
                1.0,
                2 * min(stats.binom.cdf(above, total, 0.5), stats.binom.sf(above - 1, total, 0.5)),
            )
        ),
    }
