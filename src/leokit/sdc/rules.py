"""The SRS rules' parameters and the arithmetic behind them: rounding, rates from rounded
counts, dominance, and the plain-language texts that reports carry.

    from leokit.sdc.rules import THRESHOLD, round_half_up, dominance_failure
"""

import math
import re

import numpy as np

from .checks import check_dominance_args, check_positive, is_number

THRESHOLD = 10
ROUND_BASE = 5
NK_N = 2
NK_K = 0.9
P_RATIO = 0.10
MISSING = "missing"

MAGNITUDE_STATS = ("sum", "mean", "std", "var")
PERCENTILE = re.compile(r"^p(\d{1,2})$")
MINMAX_WORDS = re.compile(r"\b(min|max|minimum|maximum|minima|maxima)\b", re.IGNORECASE)


def round_half_up(values, base=ROUND_BASE):
    """Round to the nearest multiple of ``base``, halves upwards (12.5 -> 15 for base 5;
    numpy's round-half-to-even would give 10). NaN stays NaN."""
    if not is_number(base) or not math.isfinite(base) or base <= 0:
        raise ValueError(f"rounding base must be positive, got {base!r}")
    arr = np.asarray(values, dtype=np.float64)
    return np.floor(arr / base + 0.5) * base


def rounded_rate(with_outcome, n, base=ROUND_BASE):
    """A rate (a proportion between 0 and 1) computed from counts rounded to ``base``:
    round_half_up(with_outcome) / round_half_up(n), elementwise; NaN where the rounded n is 0.
    ``base=None`` gives the exact rate.

    This is how ``safe_stat`` and ``safe_bins`` show rates beside counts rounded to ``base``:
    such a rate is a function of two rounded counts, so it tells no more than they would, and
    brute force over the rounding intervals cannot recover the exact n or the exact number
    with the outcome. (A rate from the exact counts, shown to 3 decimals beside n rounded to 5,
    often pins both down.) The price is precision: the rate is within about base / n of the
    exact one.

    >>> float(rounded_rate(46, 52)), float(rounded_rate(503, 1001))
    (0.9, 0.505)
    """
    check_positive("base", base, allow_none=True)
    k = np.asarray(with_outcome, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if np.any(k < 0) or np.any(n < 0) or np.any(k > n):
        raise ValueError("rounded_rate needs counts 0 <= with_outcome <= n")
    if base:
        k, n = round_half_up(k, base), round_half_up(n, base)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, k / np.where(n > 0, n, 1.0), np.nan)


def key_label(names, key):
    if not isinstance(key, tuple):
        key = (key,)
    return ", ".join(f"{n}={k}" for n, k in zip(names, key))


def units_text(unit):
    return f"distinct {unit}" if unit is not None else "rows"


def threshold_detail(threshold):
    # never say "zero cell": the report is released and a suppressed zero must stay hidden
    return f"fewer than {threshold} units"


def dominance_failure(contributions, n=NK_N, k=NK_K, p=P_RATIO):
    """Whether a cell with these per-unit contributions fails dominance; returns '' if safe,
    else which rule failed ('nk' or 'p%').

    (n, k): the ``n`` largest contributions exceed ``k`` of the total. p%: the total less the
    two largest is below ``p`` times the largest. Absolute values are used, so negative
    contributions (e.g. losses) still count as magnitude. ``k=None`` or ``p=None`` switches a
    rule off. An all-zero cell is not dominated.
    """
    check_dominance_args(n, k, p)
    x = np.sort(np.abs(np.asarray(contributions, dtype=np.float64)))[::-1]
    x = x[~np.isnan(x)]
    total = x.sum()
    if total <= 0:
        return ""
    if k is not None and x[:n].sum() > k * total:
        return "nk"
    if p is not None:
        second = x[1] if len(x) > 1 else 0.0
        if total - x[0] - second < p * x[0]:
            return "p%"
    return ""


def dominance_detail(rule, n, k, p):
    if rule == "nk":
        return f"the largest {n} contributors hold more than {k:.0%} of the total"
    return f"the rest of the cell is less than {p:.0%} of the largest contributor"


def smallest_shown(counts, shown_mask, round_base):
    shown = np.asarray(counts, dtype=np.float64)[np.asarray(shown_mask, dtype=bool)]
    if shown.size == 0:
        return None
    smallest = float(shown.min())
    if round_base:
        smallest = float(round_half_up(smallest, round_base))
    return int(smallest) if smallest == int(smallest) else smallest


def rules_text(threshold, round_base=None, zeros=None, dom=None, extra=()):
    parts = [f"at least {threshold} units per cell"]
    parts.extend(extra)
    if round_base:
        parts.append(f"counts rounded to base {round_base}")
    if zeros is not None:
        parts.append("zeros {}".format("disclosive" if zeros else "shown"))
    if dom is not None:
        n, k, p = dom
        parts.append(
            "dominance (n={}, k={}) and p% rule (p={})".format(
                n, "off" if k is None else f"{k:.0%}", "off" if p is None else f"{p:.0%}"
            )
        )
    return "; ".join(parts)
