"""One-way tables of counts and statistics, safe to release: ``safe_counts`` and
``safe_stat`` (threshold, complement, percentile-side, class and dominance rules).

    table = safe_stat(df, by="region", value="Earnings", stat="median", unit="AE_ID")
"""

import numpy as np

from .checks import (
    as_list,
    check_frame,
    check_nk,
    check_positive,
    check_rules,
    numeric_values,
    require_columns,
)
from .grouping import distinct_per_group, group_keys, unit_codes
from .report import Report, attach_report
from .rules import (
    MAGNITUDE_STATS,
    MISSING,
    NK_K,
    NK_N,
    P_RATIO,
    PERCENTILE,
    ROUND_BASE,
    THRESHOLD,
    dominance_detail,
    dominance_failure,
    key_label,
    round_half_up,
    rounded_rate,
    rules_text,
    smallest_shown,
    threshold_detail,
    units_text,
)


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
    check_frame(df)
    by = as_list(by)
    require_columns(df, by + [unit])
    check_rules(threshold, round_base)
    if name in by:
        raise ValueError(f"name={name!r} is also a by column; choose another name for the counts")
    report = Report(
        "counts of {} by {}".format(
            f"units ({unit})" if unit is not None else "rows", ", ".join(str(b) for b in by)
        ),
        rules_text(threshold, round_base),
        kind="frequency",
        threshold=threshold,
        round_base=round_base,
    )
    report.units = units_text(unit)
    gid, groups, keep = group_keys(df, by, missing, report)
    ucodes = unit_codes(df, unit)
    if ucodes is not None:
        ucodes = ucodes[keep]
    n = distinct_per_group(gid, ucodes, len(groups))
    table = groups
    small = n < threshold
    shown = n if not round_base else round_half_up(n, round_base)
    table[name] = np.where(small, np.nan, shown)
    report.n_cells = len(table)
    report.n_shown = int((~small).sum())
    report.min_count_shown = smallest_shown(n, ~small, round_base)
    for i in np.flatnonzero(small):
        key = tuple(table[c].iloc[i] for c in by)
        report.add(key_label(by, key), "threshold", threshold_detail(threshold))
    return attach_report(table, report, return_report)


def parse_stat(stat):
    s = str(stat).lower()
    if s in ("min", "max", "minimum", "maximum", "p0", "p100"):
        raise ValueError(
            f"stat={stat!r}: minima and maxima are single units' values and are not released "
            "from the SRS; use a percentile such as 'p10'/'p90'"
        )
    if s == "median":
        return "percentile", 50.0
    match = PERCENTILE.match(s)
    if match and 0 < int(match.group(1)) < 100:
        return "percentile", float(match.group(1))
    if s in MAGNITUDE_STATS or s == "rate":
        return s, None
    raise ValueError(
        f"unknown stat {stat!r}: use 'mean', 'rate', 'sum', 'std', 'var', 'median' or a "
        "percentile 'p1'..'p99' such as 'p25'"
    )


def _is_binary(values):
    v = values[~np.isnan(values)]
    return v.size > 0 and bool(np.all((v == 0) | (v == 1)))


def stat_plan(stat, values, value):
    """(kind of statistic, percentile q, report kind, binary?) for a stat on these values."""
    kind, q = parse_stat(stat)
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


def stat_rules_text(report_kind, threshold, round_base, check_dom, nk, p):
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
    return rules_text(threshold, round_base, None, (nk[0], nk[1], p) if check_dom else None, extra)


def evaluate_cells(values, ucodes, gid, n_groups, kind, q, binary, threshold, check_dom, nk, p):
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
            reason, detail = "threshold", threshold_detail(threshold)
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
                reason, detail = "dominance", dominance_detail(rule, n_dom, k_dom, p)
        out.append((n_units, result, reason, detail, len(v), float(v.sum()) if len(v) else 0.0))
    return out


def stat_columns(cells, report_kind, round_base, round_to):
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
    * sums, means, standard deviations and variances (magnitudes, not rates): when the cell
      fails dominance, the (n, k) rule ``nk`` or the p% rule ``p``, applied to each unit's
      total contribution (``dominance=False`` switches it off; percentiles and rates have no
      dominance rule: the percentile and complement rules cover them).

    Rates are computed from the rounded counts (``rounded_rate``: rows with the outcome over
    rows with a value, each rounded to ``round_base``; with one row per unit that is the shown
    ``n``). The statistic is rounded half up to a multiple of ``round_to`` if given (e.g. 100
    for earnings, as DfE publishes them). The table also has ``n``, the number of units rounded
    to ``round_base`` (NaN where the threshold suppresses the cell).
    """
    check_frame(df)
    by = as_list(by)
    require_columns(df, by + [value, unit])
    if value in by or (unit is not None and (unit in by or unit == value)):
        raise ValueError(f"value={value!r}, unit={unit!r} and by={by} must be different columns")
    check_rules(threshold, round_base)
    check_nk(nk, p)
    check_positive("round_to", round_to, allow_none=True)
    parse_stat(stat)
    values = numeric_values(df, value)
    kind, q, report_kind, binary = stat_plan(stat, values, value)
    if str(stat) in by or str(stat) == "n":
        raise ValueError(f"stat={stat!r} would name the result like an existing column")
    check_dom = bool(dominance) and kind in MAGNITUDE_STATS and report_kind == "magnitude"
    report = Report(
        "{} of {} by {}".format(stat, value, ", ".join(str(b) for b in by)),
        stat_rules_text(report_kind, threshold, round_base, check_dom, nk, p),
        kind=report_kind,
        threshold=threshold,
        round_base=round_base,
    )
    report.units = units_text(unit)
    has_value = ~np.isnan(values)
    _, _, keep = group_keys(df, by, missing, report)
    # groups are made from rows with a value only, so a group with no values does not appear
    sub = df.loc[has_value & keep, by]
    gid, groups, _ = group_keys(sub, by, missing, Report())
    ucodes = unit_codes(df, unit)
    if ucodes is not None:
        ucodes = ucodes[has_value & keep]
    cells = evaluate_cells(
        values[has_value & keep], ucodes, gid, len(groups), kind, q, binary, threshold,
        check_dom, nk, p,
    )  # fmt: skip
    for g, cell in enumerate(cells):
        reason, detail = cell[2], cell[3]
        if reason:
            report.add(key_label(by, tuple(groups[c].iloc[g] for c in by)), reason, detail)
    n, n_col, stat_col, why = stat_columns(cells, report_kind, round_base, round_to)
    table = groups
    table["n"] = n_col
    table[str(stat)] = stat_col
    report.n_cells = len(table)
    report.n_shown = int((why == "").sum())
    report.min_count_shown = smallest_shown(n, why == "", round_base)
    return attach_report(table, report, return_report)
