"""Statistical disclosure control (SDC) for tables that leave the ONS Secure Research Service.

    from leokit import sdc
    table = sdc.safe_stat(df, by="region", value="Earnings", stat="median", unit="AE_ID")
    print(sdc.report_of(table))        # what was suppressed and why; safe to print and release

The rules, with the SRS rules of thumb as defaults (``THRESHOLD`` = 10, ``ROUND_BASE`` = 5):

* **Threshold.** At least ``threshold`` units behind every cell: distinct ``unit`` values
  (people, employers) when ``unit`` is given, otherwise rows. Smaller cells are suppressed.
* **Rounding.** Counts are shown rounded to ``round_base``, halves upwards (12.5 -> 15).
* **Zeros** in count tables count as small cells by default: a zero says that nobody in the
  group has the attribute.
* **Rates** (the mean of a 0/1 or True/False outcome: ``stat="rate"``, or ``stat="mean"`` on a
  column whose values are all 0/1, found automatically): at least ``threshold`` units *with*
  the outcome and ``threshold`` *without* it (the complement rule); otherwise a rate of 46 out
  of 52 gives away the 6 without. A rate of 0 or 1 (everyone or no one) is the limiting case
  and fails the same rule. The sum of a 0/1 column is a count (rounded, same rule); its
  standard deviation or variance is a function of the rate and is refused.
* **Rate precision.** A rate shown beside a count rounded to ``base`` is computed from rounded
  counts, ``rounded_rate(with, n, base)`` = round(with) / round(n): it then tells no more than
  two rounded counts, and every n that rounds to the shown count stays consistent with it, so
  neither the exact n nor the exact number with the outcome can be worked back out (a rate of
  the exact counts to 3 decimals often gives both away). It is within about base / n of the
  exact rate.
* **Percentiles** (``'median'``, ``'p1'`` .. ``'p99'``): at least ``threshold`` units at or
  below the percentile and ``threshold`` at or above it, so that it is not close to one
  unit's value (the median needs about 2 x threshold units, p10 and p90 about 10 x, p1 and
  p99 about 100 x). Minima and maxima (one unit's value each) are refused.
* **Class disclosure.** A cell in which every unit has the same value is suppressed for every
  statistic of a value (mean, sum, sd, variance, percentiles): the statistic is then that
  value, so it says something about each member of the group (e.g. that all had zero pay).
* **Dominance** for magnitudes (sums, means, sd, variance): the (n, k) rule with n=2, k=0.9
  (the two largest contributors hold more than 90% of the total) and the p% rule with p=0.10
  (the total less the two largest is under 10% of the largest, so the second-largest could
  estimate the largest to within 10%), on each unit's total contribution. These are the
  defaults of common output-checking practice (e.g. SACRO's ACRO); the SRS does not publish
  its own parameters.
* **Secondary suppression.** In a table with margins, a row or column with exactly one
  suppressed cell gives it away by subtraction, so the next smallest cell of that line is
  suppressed too (not a full audit against linear-programming attacks on linked tables).
* **Missing categories** of a grouping column are kept as their own row labelled
  ``missing='missing'``, so totals agree across tables; ``missing=None`` leaves those rows
  out (the report says so).

Every function returns its table with a ``Report`` of what it suppressed and why, in
``table.attrs["sdc_report"]`` (``report_of(table)``) or alongside it with
``return_report=True``. The report never shows a suppressed value or an exact small count: it
gives rules, reasons and the smallest count behind a shown cell as rounded in the table, so it
can be released with the outputs. ``check_table`` checks a table made some other way;
``safe_bins`` makes the binned means (and the x-range for fitted lines) of a binned scatter
plot, e.g. a regression-discontinuity plot.

Bad input raises one ``ValueError`` naming the argument or column and what was expected.
Runs unchanged on the SRS Python (3.7, pandas 1.0, numpy 1.18) and on current pandas.
"""

import math
import numbers
import re

import numpy as np
import pandas as pd

__all__ = [
    "THRESHOLD",
    "ROUND_BASE",
    "NK_N",
    "NK_K",
    "P_RATIO",
    "MISSING",
    "Report",
    "report_of",
    "round_half_up",
    "rounded_rate",
    "dominance_failure",
    "safe_counts",
    "safe_crosstab",
    "safe_stat",
    "safe_bins",
    "secondary_suppression",
    "check_table",
]

THRESHOLD = 10
ROUND_BASE = 5
NK_N = 2
NK_K = 0.9
P_RATIO = 0.10
MISSING = "missing"

_MAGNITUDE_STATS = ("sum", "mean", "std", "var")
_PERCENTILE = re.compile(r"^p(\d{1,2})$")
_MINMAX_WORDS = re.compile(r"\b(min|max|minimum|maximum|minima|maxima)\b", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# the report


class Report:
    """What disclosure control did to a table (``suppressed``) or found wrong with it
    (``problems``, from ``check_table``), cell by cell, with the reason.

    Reasons: 'threshold' (fewer than the threshold units, zeros included when zeros are
    disclosive), 'complement' (a rate with fewer than the threshold units with, or without,
    the outcome), 'percentile' (fewer than the threshold units at or below, or at or above,
    a percentile), 'class' (every unit in the cell has the same value), 'dominance' (n,k or
    p% rule), 'secondary' (recoverable by subtraction from a margin), and for checks also
    'rounding', 'integer' (a count that is not a whole number) and 'minmax'.

    ``str(report)`` is plain text with no cell values, safe to print beside the table;
    ``to_frame()`` gives one row per entry; ``to_dict()`` is what an output checker needs to
    clear the table without the microdata.
    """

    #: kinds of released output, as output checkers (and ACRO) classify them
    KINDS = ("frequency", "magnitude", "rate", "percentile", "model", "check")

    def __init__(self, title="", rules="", kind=None, threshold=None, round_base=None):
        if kind is not None and kind not in self.KINDS:
            raise ValueError(f"kind={kind!r} is not one of {self.KINDS}")
        self.title = title
        self.rules = rules
        self.kind = kind
        self.threshold = threshold
        self.round_base = round_base
        self.n_cells = 0
        #: what was counted as a unit: 'rows' or 'distinct <column>'
        self.units = None
        #: the smallest count behind a shown cell, rounded as the table rounds its counts
        #: (exact only when the table shows exact counts); None when no cell is shown
        self.min_count_shown = None
        #: cells shown (not suppressed)
        self.n_shown = None
        #: plain-language notes: missing categories kept or left out, rows outside bins, ...
        self.notes = []
        self.suppressed = []
        self.problems = []

    def add(self, cell, reason, detail):
        """Record a suppressed cell; ``cell`` is a readable label such as 'region=North'."""
        self.suppressed.append({"cell": cell, "reason": reason, "detail": detail})

    def add_problem(self, cell, reason, detail):
        """Record a cell that fails a rule (``check_table``)."""
        self.problems.append({"cell": cell, "reason": reason, "detail": detail})

    def note(self, text):
        """Add a note (no counts in it: the report is released with the table)."""
        if text not in self.notes:
            self.notes.append(text)

    @property
    def ok(self):
        """True when no rule fails (suppressed cells are fine: that is the fix)."""
        return not self.problems

    def counts(self):
        """{reason: number of suppressed cells}."""
        out = {}
        for entry in self.suppressed:
            out[entry["reason"]] = out.get(entry["reason"], 0) + 1
        return out

    def cells(self, reason=None):
        """Labels of the suppressed cells, optionally only those with one reason."""
        return [e["cell"] for e in self.suppressed if reason is None or e["reason"] == reason]

    def to_frame(self):
        """One row per suppressed cell or problem: action, cell, reason, detail."""
        rows = [dict(action="suppressed", **e) for e in self.suppressed]
        rows += [dict(action="problem", **e) for e in self.problems]
        return pd.DataFrame(rows, columns=["action", "cell", "reason", "detail"])

    def to_dict(self):
        """What an output checker needs about this table, with no cell values: safe to release
        beside it (``leokit``'s output-checking report is built from it).

        ``min_count_shown`` is the smallest count behind a shown cell *rounded to
        round_base*, i.e. a number the table itself shows (its ``n`` column or a count cell);
        with the rules it tells the checker that every shown cell has at least ``threshold``
        units without giving away an exact count the table rounds."""
        return {
            "title": self.title,
            "kind": self.kind,
            "rules": self.rules,
            "threshold": self.threshold,
            "round_base": self.round_base,
            "units": self.units,
            "n_cells": int(self.n_cells),
            "n_shown": None if self.n_shown is None else int(self.n_shown),
            "min_count_shown": self.min_count_shown,
            "n_suppressed": len(self.suppressed),
            "suppressed_by_reason": self.counts(),
            "suppressed": [dict(e) for e in self.suppressed],
            "problems": [dict(e) for e in self.problems],
            "notes": list(self.notes),
            "ok": self.ok,
        }

    def __len__(self):
        return len(self.suppressed) + len(self.problems)

    def __str__(self):
        lines = ["Disclosure control" + (": " + self.title if self.title else "")]
        if self.rules:
            lines.append("rules: " + self.rules)
        counts = self.counts()
        summary = f"{self.n_cells} cells, {len(self.suppressed)} suppressed"
        if counts:
            summary += " (" + ", ".join(f"{counts[k]} {k}" for k in sorted(counts)) + ")"
        lines.append(summary)
        for e in self.suppressed:
            lines.append("  suppressed {}: {} ({})".format(e["cell"], e["reason"], e["detail"]))
        for text in self.notes:
            lines.append("note: " + text)
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s): NOT safe to release as it is")
            for e in self.problems:
                lines.append("  problem {}: {} ({})".format(e["cell"], e["reason"], e["detail"]))
        elif self.kind == "check" or self.title.startswith("check"):
            lines.append("no problems found")
        return "\n".join(lines)

    def __repr__(self):
        return f"<Report {self.title!r}: {len(self.suppressed)} suppressed, {len(self.problems)} problems>"


def report_of(table):
    """The ``Report`` that an sdc function attached to ``table`` (``table.attrs``)."""
    report = getattr(table, "attrs", {}).get("sdc_report")
    if report is None:
        raise ValueError(
            "this table carries no disclosure-control report; make it with leokit.sdc "
            "(or pass return_report=True) or run check_table on it"
        )
    return report


def _finish(table, report, return_report):
    table.attrs["sdc_report"] = report
    if return_report:
        return table, report
    return table


# ---------------------------------------------------------------------------------------------
# checking arguments (one clear ValueError each)


def _is_number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _positive(name, value, allow_none=False):
    if value is None and allow_none:
        return
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        extra = " or None" if allow_none else ""
        raise ValueError(f"{name} must be a positive number{extra}, got {value!r}")


def _fraction(name, value, allow_none=True):
    if value is None and allow_none:
        return
    if not _is_number(value) or not (0 < value <= 1):
        raise ValueError(f"{name} must be a fraction in (0, 1] or None, got {value!r}")


def _check_nk(nk, p):
    if not isinstance(nk, (tuple, list)) or len(nk) != 2:
        raise ValueError(f"nk must be a pair (n, k) such as (2, 0.9), got {nk!r}")
    _check_dominance_args(nk[0], nk[1], p)


def _check_dominance_args(n, k, p):
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise ValueError(
            f"dominance n (the number of largest contributors) must be a whole number >= 1, got {n!r}"
        )
    _fraction("dominance k", k)
    _fraction("p (the p% rule's ratio)", p)


def _check_frame(df, what="df"):
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")


def _check_rules(threshold, round_base):
    _positive("threshold", threshold)
    _positive("round_base", round_base, allow_none=True)


def _as_list(by, what="by"):
    if by is None:
        raise ValueError(f"{what}= must name at least one column, got None")
    out = [by] if isinstance(by, str) or not hasattr(by, "__iter__") else list(by)
    if not out:
        raise ValueError(f"{what}= must name at least one column, got an empty list")
    if len(set(map(str, out))) != len(out):
        raise ValueError(f"{what}= names a column twice: {out}")
    return out


def _require(df, columns):
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise ValueError(
            f"missing column(s) {missing}; the frame's columns are {[str(c) for c in df.columns]}"
        )
    dup = [c for c in columns if c is not None and int(np.sum(df.columns == c)) > 1]
    if dup:
        raise ValueError(f"column(s) {dup} appear more than once in the frame")


def _numeric_values(df, value):
    """The value column as float64 with NaN for missing; non-numeric or infinite values fail."""
    col = df[value]
    if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
        arr = col.to_numpy(dtype="float64", na_value=np.nan)
    else:
        converted = pd.to_numeric(col, errors="coerce")
        if (converted.isna() & col.notna()).any():
            raise ValueError(f"value column {value!r} is not numeric (dtype {col.dtype})")
        arr = converted.to_numpy(dtype="float64", na_value=np.nan)
    if np.isinf(arr).any():
        raise ValueError(
            f"value column {value!r} has infinite values; replace them (e.g. by NaN) first"
        )
    return arr


# ---------------------------------------------------------------------------------------------
# helpers


def round_half_up(values, base=ROUND_BASE):
    """Round to the nearest multiple of ``base``, halves upwards (12.5 -> 15 for base 5;
    numpy's round-half-to-even would give 10). NaN stays NaN."""
    if not _is_number(base) or not math.isfinite(base) or base <= 0:
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
    _positive("base", base, allow_none=True)
    k = np.asarray(with_outcome, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if np.any(k < 0) or np.any(n < 0) or np.any(k > n):
        raise ValueError("rounded_rate needs counts 0 <= with_outcome <= n")
    if base:
        k, n = round_half_up(k, base), round_half_up(n, base)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, k / np.where(n > 0, n, 1.0), np.nan)


def _label(names, key):
    if not isinstance(key, tuple):
        key = (key,)
    return ", ".join(f"{n}={k}" for n, k in zip(names, key))


def _units_text(unit):
    return f"distinct {unit}" if unit is not None else "rows"


def _threshold_detail(threshold):
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
    _check_dominance_args(n, k, p)
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


def _dominance_detail(rule, n, k, p):
    if rule == "nk":
        return f"the largest {n} contributors hold more than {k:.0%} of the total"
    return f"the rest of the cell is less than {p:.0%} of the largest contributor"


# ---------------------------------------------------------------------------------------------
# grouping with missing categories kept


def _factor(series, name, missing):
    """(codes, labels) for one grouping column: codes 0..K-1 follow the sorted observed values,
    and missing values get code K with the label ``missing`` (or -1 when ``missing`` is None)."""
    codes, uniques = pd.factorize(series, sort=True)
    codes = np.asarray(codes, dtype=np.int64)
    has_missing = bool((codes < 0).any())
    labels = pd.Index(uniques) if not isinstance(uniques, pd.Index) else uniques
    if has_missing and missing is not None:
        if any(str(u) == str(missing) for u in labels):
            raise ValueError(
                f"column {name!r} already has a category {missing!r}; pass missing= another "
                "label for its missing values"
            )
        codes = np.where(codes < 0, len(labels), codes)
        labels = pd.Index(list(labels) + [missing], dtype=object)
    return codes, labels, has_missing


def _keys(df, by, missing, report):
    """Group ids (sorted as the by columns, missing last), one row per group with its labels,
    and the mask of rows kept (rows with a missing category are dropped if missing=None)."""
    keep = np.ones(len(df), dtype=bool)
    factors = []
    for c in by:
        codes, labels, has_missing = _factor(df[c], c, missing)
        if has_missing:
            if missing is None:
                keep &= codes >= 0
                report.note(f"rows with a missing {c} are left out")
            else:
                report.note(f"missing values of {c} are shown as {missing!r}")
        factors.append((codes, labels))
    combined = np.zeros(len(df), dtype=np.int64)
    for codes, labels in factors:
        combined = combined * (len(labels) + 1) + np.where(codes < 0, 0, codes)
    uniq, gid = np.unique(combined[keep], return_inverse=True)
    gid = np.asarray(gid, dtype=np.int64).ravel()
    # one representative row per group gives the group's labels
    order = np.argsort(gid, kind="mergesort")
    starts = np.searchsorted(gid[order], np.arange(len(uniq)))
    rep = np.flatnonzero(keep)[order[starts]] if len(uniq) else np.zeros(0, dtype=np.int64)
    groups = pd.DataFrame(
        {c: labels.take(codes[rep]).values for c, (codes, labels) in zip(by, factors)}
    )
    return gid, groups, keep


def _unit_codes(df, unit):
    if unit is None:
        return None
    codes, _ = pd.factorize(df[unit])
    codes = np.asarray(codes, dtype=np.int64)
    if (codes < 0).any():
        raise ValueError(
            f"unit column {unit!r} has missing values: every row must belong to a unit "
            "(drop those rows, or count rows with unit=None)"
        )
    return codes


def _distinct_per_group(gid, ucodes, n_groups):
    """Distinct units in each group (rows when ucodes is None)."""
    if ucodes is None:
        return np.bincount(gid, minlength=n_groups).astype(np.float64)
    width = int(ucodes.max()) + 1 if len(ucodes) else 1
    pairs = np.unique(gid * width + ucodes)
    return np.bincount(pairs // width, minlength=n_groups).astype(np.float64)


def _min_shown(counts, shown_mask, round_base):
    shown = np.asarray(counts, dtype=np.float64)[np.asarray(shown_mask, dtype=bool)]
    if shown.size == 0:
        return None
    smallest = float(shown.min())
    if round_base:
        smallest = float(round_half_up(smallest, round_base))
    return int(smallest) if smallest == int(smallest) else smallest


def _rules(threshold, round_base=None, zeros=None, dom=None, extra=()):
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


# ---------------------------------------------------------------------------------------------
# safe tables


def safe_counts(
    df,
    by,
    unit=None,
    threshold=THRESHOLD,
    round_base=ROUND_BASE,
    name="count",
    missing=MISSING,
    return_report=False,
):
    """Counts of distinct ``unit`` values (or of rows if ``unit`` is None) for each
    combination of the ``by`` columns, safe to release.

    Cells with fewer than ``threshold`` units become NaN; the rest are rounded to
    ``round_base`` (half up; ``round_base=None`` leaves them exact). Rows with a missing ``by``
    value form their own category labelled ``missing`` (``missing=None`` leaves them out; the
    report notes either). Only observed combinations appear, so there are no zero cells here;
    use ``safe_crosstab`` for a full two-way table with zeros and margins.

    Returns a DataFrame [by..., name] with the Report in ``attrs['sdc_report']`` (or
    ``(table, report)`` with ``return_report=True``).
    """
    _check_frame(df)
    by = _as_list(by)
    _require(df, by + [unit])
    _check_rules(threshold, round_base)
    if name in by:
        raise ValueError(f"name={name!r} is also a by column; choose another name for the counts")
    report = Report(
        "counts of {} by {}".format(
            f"units ({unit})" if unit is not None else "rows", ", ".join(str(b) for b in by)
        ),
        _rules(threshold, round_base),
        kind="frequency",
        threshold=threshold,
        round_base=round_base,
    )
    report.units = _units_text(unit)
    gid, groups, keep = _keys(df, by, missing, report)
    ucodes = _unit_codes(df, unit)
    if ucodes is not None:
        ucodes = ucodes[keep]
    n = _distinct_per_group(gid, ucodes, len(groups))
    table = groups
    small = n < threshold
    shown = n if not round_base else round_half_up(n, round_base)
    table[name] = np.where(small, np.nan, shown)
    report.n_cells = len(table)
    report.n_shown = int((~small).sum())
    report.min_count_shown = _min_shown(n, ~small, round_base)
    for i in np.flatnonzero(small):
        key = tuple(table[c].iloc[i] for c in by)
        report.add(_label(by, key), "threshold", _threshold_detail(threshold))
    return _finish(table, report, return_report)


def _parse_stat(stat):
    s = str(stat).lower()
    if s in ("min", "max", "minimum", "maximum", "p0", "p100"):
        raise ValueError(
            f"stat={stat!r}: minima and maxima are single units' values and are not released "
            "from the SRS; use a percentile such as 'p10'/'p90'"
        )
    if s == "median":
        return "percentile", 50.0
    match = _PERCENTILE.match(s)
    if match and 0 < int(match.group(1)) < 100:
        return "percentile", float(match.group(1))
    if s in _MAGNITUDE_STATS or s == "rate":
        return s, None
    raise ValueError(
        f"unknown stat {stat!r}: use 'mean', 'rate', 'sum', 'std', 'var', 'median' or a "
        "percentile 'p1'..'p99' such as 'p25'"
    )


def _is_binary(values):
    v = values[~np.isnan(values)]
    return v.size > 0 and bool(np.all((v == 0) | (v == 1)))


def _plan(stat, values, value):
    """(kind of statistic, percentile q, report kind, binary?) for a stat on these values."""
    kind, q = _parse_stat(stat)
    binary = _is_binary(values)
    if kind == "rate":
        if not binary:
            raise ValueError(
                f"stat='rate' needs a 0/1 (or True/False) outcome, but value column {value!r} "
                "has other values; use stat='mean' for a mean"
            )
        kind = "mean"
    if binary and kind in ("std", "var"):
        raise ValueError(
            f"stat={stat!r} of the 0/1 outcome {value!r} is a function of its rate; release "
            "the rate (stat='rate') instead"
        )
    if kind == "percentile":
        report_kind = "percentile"
    elif binary and kind == "mean":
        report_kind = "rate"
    elif binary and kind == "sum":
        report_kind = "frequency"
    else:
        report_kind = "magnitude"
    return kind, q, report_kind, binary


def _stat_rules(report_kind, kind, q, threshold, round_base, check_dom, nk, p):
    extra = []
    if report_kind in ("rate", "frequency"):
        extra.append(
            f"at least {threshold} units with and {threshold} without the outcome (complement rule)"
        )
    if report_kind == "percentile":
        extra.append(
            f"at least {threshold} units at or below and {threshold} at or above the percentile"
        )
    if report_kind != "rate" and report_kind != "frequency":
        extra.append("no cell where every unit has the same value (class disclosure)")
    if report_kind == "rate" and round_base:
        extra.append(
            f"rates computed from counts rounded to base {round_base} (with the outcome / all)"
        )
    return _rules(threshold, round_base, None, (nk[0], nk[1], p) if check_dom else None, extra)


def _evaluate(values, ucodes, gid, n_groups, kind, q, binary, threshold, check_dom, nk, p):
    """Per group: (units, statistic, reason, detail). ``values`` are floats without NaN."""
    order = np.argsort(gid, kind="mergesort")
    bounds = np.searchsorted(gid[order], np.arange(n_groups + 1))
    n_dom, k_dom = nk
    out = []
    for g in range(n_groups):
        idx = order[bounds[g] : bounds[g + 1]]
        v = values[idx]
        u = ucodes[idx] if ucodes is not None else np.arange(len(idx))
        uniq, inverse = np.unique(u, return_inverse=True)
        n_units = len(uniq)
        result = np.nan
        if len(v):
            if kind == "percentile":
                result = float(np.percentile(v, q))
            elif kind == "sum":
                result = float(v.sum())
            elif kind == "mean":
                result = float(v.mean())
            else:
                var = float(v.var(ddof=1)) if len(v) > 1 else np.nan
                result = var if kind == "var" else float(np.sqrt(var))
        reason = detail = ""
        if n_units < threshold:
            reason, detail = "threshold", _threshold_detail(threshold)
        elif binary and kind in ("mean", "sum"):
            with_it = len(np.unique(u[v == 1]))
            without = len(np.unique(u[v == 0]))
            if min(with_it, without) < threshold:
                reason = "complement"
                detail = f"fewer than {threshold} units with the outcome, or fewer than {threshold} without"
        elif v.max() == v.min():
            reason, detail = "class", "every unit in the cell has the same value"
        elif kind == "percentile":
            below = len(np.unique(u[v <= result]))
            above = len(np.unique(u[v >= result]))
            if min(below, above) < threshold:
                reason = "percentile"
                detail = f"fewer than {threshold} units at or below, or at or above, the percentile"
        if not reason and check_dom:
            contributions = np.bincount(np.asarray(inverse).ravel(), weights=v)
            rule = dominance_failure(contributions, n_dom, k_dom, p)
            if rule:
                reason, detail = "dominance", _dominance_detail(rule, n_dom, k_dom, p)
        out.append((n_units, result, reason, detail, len(v), float(v.sum()) if len(v) else 0.0))
    return out


def _stat_columns(cells, kind, report_kind, threshold, round_base, round_to):
    """(shown n, shown statistic, reasons) as arrays from the evaluated cells."""
    n = np.array([c[0] for c in cells], dtype=np.float64)
    result = np.array([c[1] for c in cells], dtype=np.float64)
    why = np.array([c[2] for c in cells], dtype=object)
    shown_n = n if not round_base else round_half_up(n, round_base)
    if report_kind == "frequency":  # the sum of a 0/1 column is a count
        result = result if not round_base else round_half_up(result, round_base)
    if report_kind == "rate":
        # rows with the outcome over rows with a value, both rounded (one row per unit: the
        # shown n); see rounded_rate
        rows = np.array([c[4] for c in cells], dtype=np.float64)
        ones = np.array([c[5] for c in cells], dtype=np.float64)
        result = np.where(np.isnan(result), np.nan, rounded_rate(ones, rows, round_base))
    if round_to:
        result = round_half_up(result, round_to)
    n_col = np.where(why == "threshold", np.nan, shown_n)
    stat_col = np.where(why != "", np.nan, result)
    return n, n_col, stat_col, why


def safe_stat(
    df,
    by,
    value,
    stat="median",
    unit=None,
    threshold=THRESHOLD,
    dominance=True,
    nk=(NK_N, NK_K),
    p=P_RATIO,
    round_to=None,
    round_base=ROUND_BASE,
    missing=MISSING,
    return_report=False,
):
    """A statistic of ``value`` for each combination of the ``by`` columns, safe to release.

    ``stat``: 'median', a percentile 'p1'..'p99' (e.g. 'p25', 'p75'), 'mean', 'rate' (the
    mean of a 0/1 or True/False outcome), 'sum', 'std' or 'var'. Minima and maxima are
    refused. Missing values of ``value`` are left out, and the units counted are those with a
    value. Rows with a missing ``by`` value form a category labelled ``missing``
    (``missing=None`` leaves them out).

    A cell is suppressed (NaN) when it has fewer than ``threshold`` units (distinct ``unit``
    values, or rows when ``unit`` is None), and then:

    * rates (``stat='rate'``, or 'mean' of a column whose values are all 0/1): when fewer than
      ``threshold`` units have the outcome or fewer than ``threshold`` do not (complement);
      the sum of a 0/1 column is a count of units with the outcome: same rule, rounded to
      ``round_base``; std and var of a 0/1 column are refused;
    * other statistics: when every unit in the cell has the same value (class disclosure);
    * percentiles: when fewer than ``threshold`` units lie at or below, or at or above, the
      percentile (so p1 needs about 100 x threshold units, the median about 2 x threshold);
    * sums, means, standard deviations and variances (magnitudes): when the cell fails
      dominance, the (n, k) rule ``nk`` or the p% rule ``p``, applied to each unit's total
      contribution (``dominance=False`` switches it off; percentiles have no dominance rule).

    Rates are computed from the rounded counts (``rounded_rate``: rows with the outcome over
    rows with a value, each rounded to ``round_base``; with one row per unit that is the shown
    ``n``). The statistic is rounded half up to a multiple of ``round_to`` if given (e.g. 100
    for earnings, as DfE publishes them). The table also has ``n``, the number of units rounded
    to ``round_base`` (NaN where the threshold suppresses the cell).
    """
    _check_frame(df)
    by = _as_list(by)
    _require(df, by + [value, unit])
    if value in by or (unit is not None and (unit in by or unit == value)):
        raise ValueError(f"value={value!r}, unit={unit!r} and by={by} must be different columns")
    _check_rules(threshold, round_base)
    _check_nk(nk, p)
    _positive("round_to", round_to, allow_none=True)
    _parse_stat(stat)
    values = _numeric_values(df, value)
    kind, q, report_kind, binary = _plan(stat, values, value)
    if str(stat) in by or str(stat) == "n":
        raise ValueError(f"stat={stat!r} would name the result like an existing column")
    check_dom = bool(dominance) and kind in _MAGNITUDE_STATS and report_kind == "magnitude"
    report = Report(
        "{} of {} by {}".format(stat, value, ", ".join(str(b) for b in by)),
        _stat_rules(report_kind, kind, q, threshold, round_base, check_dom, nk, p),
        kind=report_kind,
        threshold=threshold,
        round_base=round_base,
    )
    report.units = _units_text(unit)
    has_value = ~np.isnan(values)
    _, _, keep = _keys(df, by, missing, report)
    # groups are made from rows with a value only, so a group with no values does not appear
    sub = df.loc[has_value & keep, by]
    gid, groups, _ = _keys(sub, by, missing, Report())
    ucodes = _unit_codes(df, unit)
    if ucodes is not None:
        ucodes = ucodes[has_value & keep]
    cells = _evaluate(
        values[has_value & keep], ucodes, gid, len(groups), kind, q, binary, threshold,
        check_dom, nk, p,
    )  # fmt: skip
    for g, cell in enumerate(cells):
        reason, detail = cell[2], cell[3]
        if reason:
            report.add(_label(by, tuple(groups[c].iloc[g] for c in by)), reason, detail)
    n, n_col, stat_col, why = _stat_columns(
        cells, kind, report_kind, threshold, round_base, round_to
    )
    table = groups
    table["n"] = n_col
    table[str(stat)] = stat_col
    report.n_cells = len(table)
    report.n_shown = int((why == "").sum())
    report.min_count_shown = _min_shown(n, why == "", round_base)
    return _finish(table, report, return_report)


# ---------------------------------------------------------------------------------------------
# binned figures


def _bin_edges(bins, limits):
    if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(f"bins must be a number of bins >= 1 or a list of edges, got {bins!r}")
        if limits is None:
            raise ValueError(
                "bins given as a number needs limits=(low, high): edges taken from the data's "
                "own minimum and maximum would reveal single units' values"
            )
        if not isinstance(limits, (tuple, list)) or len(limits) != 2:
            raise ValueError(f"limits must be a pair (low, high), got {limits!r}")
        low, high = limits
        if not (_is_number(low) and _is_number(high)) or not low < high:
            raise ValueError(f"limits must be two numbers with low < high, got {limits!r}")
        return np.linspace(float(low), float(high), int(bins) + 1)
    try:
        edges = np.asarray(bins, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"bins must be a number of bins or a list of bin edges, got {bins!r}"
        ) from None
    if edges.ndim != 1 or edges.size < 2:
        raise ValueError(f"bins must list at least two edges, got {bins!r}")
    if not np.all(np.isfinite(edges)) or not np.all(np.diff(edges) > 0):
        raise ValueError("bin edges must be finite and strictly increasing")
    return edges


def safe_bins(
    df,
    x,
    y,
    bins,
    unit=None,
    stat="mean",
    cutoff=None,
    limits=None,
    threshold=THRESHOLD,
    dominance=True,
    nk=(NK_N, NK_K),
    p=P_RATIO,
    round_to=None,
    round_base=ROUND_BASE,
    return_report=False,
):
    """Binned statistics of ``y`` against ``x`` for a binned scatter plot (e.g. a regression
    discontinuity plot), each bin checked like a ``safe_stat`` cell, and the x-range over which
    a fitted line may be drawn.

    ``bins``: the bin edges (increasing; bins are [left, right), the last one closed), or a
    number of equal-width bins over ``limits=(low, high)``. Edges are never taken from the
    data's minimum and maximum (single units' values). Rows outside the edges, or with a
    missing ``x`` or ``y``, are left out (the report notes it). ``cutoff``, if given, must be
    one of the edges; bins are then labelled 'below'/'above' it in a ``side`` column.

    Returns a DataFrame with one row per bin: ``bin`` (0, 1, ...), ``x_left``, ``x_right``,
    ``x_centre`` (the midpoint of the edges, not a data value), ``n`` (units, rounded; NaN if
    under the threshold) and the statistic (NaN if the bin fails the threshold, complement,
    class, percentile or dominance rule). ``table.attrs['fit_range']`` gives, per side
    ('below', 'above'; or 'all' without a cutoff), ``(low, high)``: from the left edge of the
    first to the right edge of the last shown bin, or None if no bin is shown. Draw fitted
    lines over that range, never to the extreme x of single units.
    """
    _check_frame(df)
    _require(df, [x, y, unit])
    if len({str(x), str(y), str(unit)}) < (3 if unit is not None else 2):
        raise ValueError(f"x={x!r}, y={y!r} and unit={unit!r} must be different columns")
    _check_rules(threshold, round_base)
    _check_nk(nk, p)
    _positive("round_to", round_to, allow_none=True)
    _parse_stat(stat)
    edges = _bin_edges(bins, limits)
    if cutoff is not None:
        if not _is_number(cutoff) or not np.any(np.isclose(edges, cutoff, rtol=0, atol=1e-12)):
            raise ValueError(
                f"cutoff={cutoff!r} must be one of the bin edges, so that no bin straddles it"
            )
    xs = _numeric_values(df, x)
    ys = _numeric_values(df, y)
    kind, q, report_kind, binary = _plan(stat, ys, y)
    check_dom = bool(dominance) and kind in _MAGNITUDE_STATS and report_kind == "magnitude"
    report = Report(
        f"{stat} of {y} in bins of {x}",
        _stat_rules(report_kind, kind, q, threshold, round_base, check_dom, nk, p),
        kind=report_kind,
        threshold=threshold,
        round_base=round_base,
    )
    report.units = _units_text(unit)
    n_bins = len(edges) - 1
    idx = np.searchsorted(edges, xs, side="right") - 1
    idx = np.where(xs == edges[-1], n_bins - 1, idx)
    inside = (idx >= 0) & (idx < n_bins) & ~np.isnan(xs)
    use = inside & ~np.isnan(ys)
    if (~np.isnan(xs) & ~inside).any():
        report.note(f"rows with {x} outside the bin edges are left out")
    if np.isnan(xs).any() or (inside & np.isnan(ys)).any():
        report.note(f"rows with a missing {x} or {y} are left out")
    ucodes = _unit_codes(df, unit)
    cells = _evaluate(
        ys[use], None if ucodes is None else ucodes[use], idx[use].astype(np.int64), n_bins,
        kind, q, binary, threshold, check_dom, nk, p,
    )  # fmt: skip
    table = pd.DataFrame(
        {
            "bin": np.arange(n_bins),
            "x_left": edges[:-1],
            "x_right": edges[1:],
            "x_centre": (edges[:-1] + edges[1:]) / 2.0,
        }
    )
    if cutoff is not None:
        table["side"] = np.where(table["x_left"].values >= cutoff, "above", "below")
    for g, cell in enumerate(cells):
        reason, detail = cell[2], cell[3]
        if reason:
            label = f"bin {g} [{edges[g]:g}, {edges[g + 1]:g})"
            report.add(label, reason, detail)
    n, n_col, stat_col, why = _stat_columns(
        cells, kind, report_kind, threshold, round_base, round_to
    )
    table["n"] = n_col
    table[str(stat)] = stat_col
    shown = why == ""
    sides = ["all"] if cutoff is None else ["below", "above"]
    fit = {}
    for side in sides:
        mask = shown & (True if cutoff is None else table["side"].values == side)
        rows = np.flatnonzero(mask)
        fit[side] = (float(edges[rows[0]]), float(edges[rows[-1] + 1])) if len(rows) else None
    table.attrs["fit_range"] = fit
    report.n_cells = n_bins
    report.n_shown = int(shown.sum())
    report.min_count_shown = _min_shown(n, shown, round_base)
    return _finish(table, report, return_report)


# ---------------------------------------------------------------------------------------------
# two-way tables and secondary suppression


def _find_margins(table, margins, margins_name):
    """Positions of the total row and total column (None if absent)."""
    if not margins:
        return None, None
    rows = [i for i, lab in enumerate(table.index) if lab == margins_name]
    cols = [j for j, lab in enumerate(table.columns) if lab == margins_name]
    if not rows and not cols:
        raise ValueError(
            f"margins=True but no row or column is labelled {margins_name!r}; pass margins_name= to name "
            "the totals"
        )
    return (rows[-1] if rows else None), (cols[-1] if cols else None)


def _cell_label(table, i, j):
    row_name = table.index.name if table.index.name is not None else "row"
    col_name = table.columns.name if table.columns.name is not None else "column"
    return f"{row_name}={table.index[i]}, {col_name}={table.columns[j]}"


def _lines(shape, total_row, total_col):
    """Rows and columns tied to a margin: (description, list of (i, j))."""
    nrow, ncol = shape
    lines = []
    if total_col is not None:
        for i in range(nrow):
            lines.append((("row", i), [(i, j) for j in range(ncol)]))
    if total_row is not None:
        for j in range(ncol):
            lines.append((("column", j), [(i, j) for i in range(nrow)]))
    return lines


def _secondary(values, mask, total_row, total_col):
    """Extend ``mask`` until no margin line has exactly one suppressed cell; returns the added
    cells as [((i, j), line)]. The cell added is the smallest non-zero interior cell of the
    line (zeros and totals only if nothing else is left), as that loses least information."""

    def cost(c):
        is_total = c[0] == total_row or c[1] == total_col
        v = float(values[c])
        if v != v:  # NaN: unknown size, choose last
            return (is_total, True, float("inf"), c)
        return (is_total, v == 0, v, c)

    mask = mask.copy()
    added = []
    lines = _lines(values.shape, total_row, total_col)
    changed = True
    while changed:
        changed = False
        for line, cells in lines:
            if sum(1 for c in cells if mask[c]) != 1:
                continue
            open_cells = [c for c in cells if not mask[c]]
            if not open_cells:
                continue
            pick = min(open_cells, key=cost)
            mask[pick] = True
            added.append((pick, line))
            changed = True
    return mask, added


def _line_label(table, line):
    kind, pos = line
    if kind == "row":
        return f"row {table.index[pos]}"
    return f"column {table.columns[pos]}"


def _check_labels(table, what="table"):
    for axis, labels in (("row", table.index), ("column", table.columns)):
        if labels.has_duplicates:
            dup = sorted({str(v) for v in labels[labels.duplicated()]})
            raise ValueError(
                f"{what} has duplicate {axis} labels {dup}: each cell must be named by its row "
                "and column"
            )


def secondary_suppression(
    table, margins=True, margins_name="All", values=None, return_report=False, kind="frequency"
):
    """Add secondary suppression to a 2-D table whose NaN cells are already suppressed.

    With margins (a row and/or column labelled ``margins_name``, as pandas ``pivot_table`` and
    ``crosstab`` make them), a row (or column) with exactly one suppressed cell can be
    recovered by subtracting the others from its total, so the next smallest cell of that line
    is suppressed too, repeating until no line gives a cell away. ``values`` (same shape,
    unrounded) choose the next smallest cell if given; otherwise the table's own values do.
    With ``margins=False`` nothing can be recovered and the table is returned unchanged.

    This handles the simple subtraction attack; it is not a full audit against linear
    programming attacks on large linked tables.
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"secondary_suppression needs a 2-D DataFrame, got {type(table).__name__}")
    _check_labels(table)
    non_numeric = [
        str(c) for c in table.columns if not pd.api.types.is_numeric_dtype(table[c].dtype)
    ]
    if non_numeric:
        raise ValueError(
            f"secondary_suppression needs numeric cells; column(s) {non_numeric} are not"
        )
    total_row, total_col = _find_margins(table, margins, margins_name)
    shown = table.values.astype(np.float64)
    mask = np.isnan(shown)
    basis = shown if values is None else np.asarray(values, dtype=np.float64)
    if basis.shape != shown.shape:
        raise ValueError(f"values= has shape {basis.shape} but the table {shown.shape}")
    new_mask, added = _secondary(basis, mask, total_row, total_col)
    out = pd.DataFrame(np.where(new_mask, np.nan, shown), index=table.index, columns=table.columns)
    report = Report("secondary suppression", f"margins labelled {margins_name!r}", kind=kind)
    report.n_cells = shown.size
    report.n_shown = int((~new_mask).sum())
    for (i, j), line in added:
        report.add(
            _cell_label(table, i, j),
            "secondary",
            f"{_line_label(table, line)} would reveal a suppressed cell by subtraction",
        )
    return _finish(out, report, return_report)


def safe_crosstab(
    df,
    index,
    columns,
    unit=None,
    threshold=THRESHOLD,
    round_base=ROUND_BASE,
    margins=True,
    margins_name="All",
    zeros_disclosive=True,
    missing=MISSING,
    return_report=False,
):
    """Two-way table of counts of distinct ``unit`` values (or rows), safe to release.

    Cells for every observed ``index`` x ``columns`` combination, zeros included, plus totals
    (``margins``) counted from the data (with ``unit``, a person in two cells counts once in
    the total). Rows with a missing ``index`` or ``columns`` value are kept as a row or column
    labelled ``missing`` (``missing=None`` leaves them out, totals included), so totals agree
    with other tables made from the same rows. Primary suppression: cells, totals included,
    with fewer than ``threshold`` units; a zero counts as small unless
    ``zeros_disclosive=False``. Secondary suppression then protects cells recoverable from
    the margins. Shown counts are rounded to ``round_base``.
    """
    _check_frame(df)
    if index is None or columns is None:
        raise ValueError("safe_crosstab needs both index= and columns= (one column each)")
    _require(df, [index, columns, unit])
    if index == columns:
        raise ValueError(f"index and columns are the same column {index!r}")
    _check_rules(threshold, round_base)
    report = Report(
        "counts of {} by {} x {}".format(
            f"units ({unit})" if unit is not None else "rows", index, columns
        ),
        _rules(threshold, round_base, zeros_disclosive),
        kind="frequency",
        threshold=threshold,
        round_base=round_base,
    )
    report.units = _units_text(unit)
    rcodes, rlabels, rmiss = _factor(df[index], index, missing)
    ccodes, clabels, cmiss = _factor(df[columns], columns, missing)
    for name, has in ((index, rmiss), (columns, cmiss)):
        if has:
            report.note(
                f"rows with a missing {name} are left out"
                if missing is None
                else f"missing values of {name} are shown as {missing!r}"
            )
    keep = (rcodes >= 0) & (ccodes >= 0)
    if not keep.any():
        raise ValueError(f"safe_crosstab: no rows with both {index!r} and {columns!r}")
    if margins and any(str(v) == str(margins_name) for v in list(rlabels) + list(clabels)):
        raise ValueError(
            f"a category is labelled {margins_name!r} like the totals; pass margins_name= another label"
        )
    r, c = rcodes[keep], ccodes[keep]
    nr, nc = len(rlabels), len(clabels)
    ucodes = _unit_codes(df, unit)
    u = None if ucodes is None else ucodes[keep]

    def count(ids, size):
        return _distinct_per_group(ids, u, size)

    raw = count(r * nc + c, nr * nc).reshape(nr, nc)
    rows, cols = list(rlabels), list(clabels)
    if margins:
        row_totals = count(r, nr)
        col_totals = count(c, nc)
        grand = float(len(np.unique(u))) if u is not None else float(len(r))
        raw = np.vstack([np.column_stack([raw, row_totals]), np.append(col_totals, grand)])
        rows.append(margins_name)
        cols.append(margins_name)
    body = pd.DataFrame(
        raw,
        index=pd.Index(rows, name=index),
        columns=pd.Index(cols, name=columns),
    )
    small = raw < threshold
    if not zeros_disclosive:
        small &= raw != 0
    report.n_cells = raw.size
    for i, j in zip(*np.nonzero(small)):
        report.add(_cell_label(body, i, j), "threshold", _threshold_detail(threshold))
    total_r, total_c = _find_margins(body, margins, margins_name)
    mask, added = _secondary(raw, small, total_r, total_c)
    for (i, j), line in added:
        report.add(
            _cell_label(body, i, j),
            "secondary",
            f"{_line_label(body, line)} would reveal a suppressed cell by subtraction",
        )
    shown = raw if not round_base else round_half_up(raw, round_base)
    table = pd.DataFrame(np.where(mask, np.nan, shown), index=body.index, columns=body.columns)
    report.n_shown = int((~mask).sum())
    # shown zeros (zeros_disclosive=False) are not counts of units behind a cell
    report.min_count_shown = _min_shown(raw, ~mask & (raw > 0), round_base)
    return _finish(table, report, return_report)


# ---------------------------------------------------------------------------------------------
# checking a table made by hand


def check_table(
    table,
    counts=None,
    threshold=THRESHOLD,
    round_base=ROUND_BASE,
    zeros_disclosive=True,
    margins=False,
    margins_name="All",
    columns=None,
):
    """Check a table built by hand; returns a Report whose ``problems`` list each failing cell
    (``report.ok`` is True when there are none).

    ``table`` holds counts (NaN = suppressed) unless ``counts`` is given: then ``counts`` (same
    shape, unrounded numbers of units) is what the threshold is checked against and ``table``
    may hold any statistic. Checks: counts that are not whole numbers (in ``table`` when it
    holds counts, and in ``counts``); cells shown with fewer than ``threshold`` units (or
    zero, if ``zeros_disclosive``); counts not rounded to ``round_base`` (only when ``counts``
    is None; pass ``round_base=None`` to skip); with ``margins``, rows/columns with exactly one
    suppressed cell; row or column labels that announce a minimum or maximum. Only numeric
    columns are checked, or just ``columns`` (which must be numeric). Dominance, complement
    and class rules need the microdata: use ``safe_stat``.

    A rounded table cannot show whether a shown 10 was really 8: pass ``counts`` for that.
    """
    if isinstance(table, pd.Series):
        table = table.to_frame()
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"check_table needs a DataFrame or Series, got {type(table).__name__}")
    _check_labels(table)
    _check_rules(threshold, round_base)
    if columns is None:
        columns = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c].dtype)]
        if not columns:
            raise ValueError("check_table: the table has no numeric columns to check")
    else:
        columns = _as_list(columns, "columns")
        _require(table, columns)
        bad = [str(c) for c in columns if not pd.api.types.is_numeric_dtype(table[c].dtype)]
        if bad:
            raise ValueError(f"check_table: column(s) {bad} are not numeric (counts or statistics)")
    sub = table[list(columns)]
    shown = sub.values.astype(np.float64)
    if np.isinf(shown).any():
        raise ValueError("check_table: the table has infinite values")
    if counts is None:
        n = shown
    else:
        if isinstance(counts, pd.DataFrame):
            _require(counts, list(columns))
            n = counts[list(columns)]
        elif isinstance(counts, pd.Series):
            n = counts.to_frame()
        else:
            n = counts
        try:
            n = np.asarray(n, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                "counts must hold numbers (numbers of units behind each cell)"
            ) from None
        if n.ndim == 1 and shown.shape[1] == 1:
            n = n.reshape(-1, 1)
        if n.shape != shown.shape:
            raise ValueError(f"counts has shape {n.shape} but the table {shown.shape}")
        if np.isinf(n).any() or (n < 0).any():
            raise ValueError("counts must be whole numbers >= 0 (no infinite or negative values)")
    report = Report(
        "check of a table made by hand",
        _rules(threshold, round_base if counts is None else None, zeros_disclosive),
        kind="check",
        threshold=threshold,
        round_base=round_base,
    )
    report.units = "as given"
    report.n_cells = shown.size
    visible = ~np.isnan(shown)
    report.n_shown = int(visible.sum())
    with np.errstate(invalid="ignore"):  # numpy 1.18 warns on NaN comparisons
        fraction = ~np.isnan(n) & (np.abs(n - np.round(n)) > 1e-9)
        if counts is None:
            fraction &= visible
        small = visible & (n < threshold)
    for i, j in zip(*np.nonzero(fraction)):
        where = "" if counts is None else " in counts"
        report.add_problem(_cell_label(sub, i, j), "integer", f"not a whole number{where}")
    if not zeros_disclosive:
        small &= n != 0
    for i, j in zip(*np.nonzero(small)):
        report.add_problem(
            _cell_label(sub, i, j), "threshold", f"{_threshold_detail(threshold)} shown"
        )
    if counts is None and round_base:
        with np.errstate(invalid="ignore"):
            off = visible & ~fraction & (np.abs(np.mod(shown, round_base)) > 1e-9)
        for i, j in zip(*np.nonzero(off)):
            report.add_problem(
                _cell_label(sub, i, j), "rounding", f"not a multiple of {round_base}"
            )
    if margins:
        total_r, total_c = _find_margins(sub, margins, margins_name)
        for line, cells in _lines(shown.shape, total_r, total_c):
            hidden = [c for c in cells if np.isnan(shown[c])]
            if len(hidden) == 1:
                i, j = hidden[0]
                report.add_problem(
                    _cell_label(sub, i, j),
                    "secondary",
                    f"recoverable by subtraction in {_line_label(sub, line)}",
                )
    labels = [("row", lab) for lab in table.index] + [("column", lab) for lab in columns]
    for where, lab in labels:
        if isinstance(lab, str) and _MINMAX_WORDS.search(lab.replace("_", " ")):
            report.add_problem(f"{where} {lab}", "minmax", "minima and maxima are not released")
    shown_counts = n[visible & ~np.isnan(n)]
    if shown_counts.size:
        report.min_count_shown = _min_shown(
            shown_counts, np.ones(shown_counts.size, bool), round_base
        )
    return report
