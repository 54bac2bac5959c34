"""``safe_bins``: the binned means of a binned scatter plot (e.g. a regression-discontinuity
plot), each bin checked like a ``safe_stat`` cell, and the range fitted lines may cover.

    bins = safe_bins(df, x="score", y="entered", bins=20, limits=(-10, 10), cutoff=0)
"""

import numbers

import numpy as np
import pandas as pd

from .checks import (
    check_frame,
    check_nk,
    check_positive,
    check_rules,
    is_number,
    numeric_values,
    require_columns,
)
from .grouping import unit_codes
from .report import Report, attach_report
from .rules import (
    MAGNITUDE_STATS,
    NK_K,
    NK_N,
    P_RATIO,
    ROUND_BASE,
    THRESHOLD,
    smallest_shown,
    units_text,
)
from .tables import evaluate_cells, parse_stat, stat_columns, stat_plan, stat_rules_text


def bin_edges(bins, limits):
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
        if not (is_number(low) and is_number(high)) or not low < high:
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
    check_frame(df)
    require_columns(df, [x, y, unit])
    names = [c for c in (x, y, unit) if c is not None]
    if len(set(map(str, names))) < len(names):
        raise ValueError(f"x={x!r}, y={y!r} and unit={unit!r} must be different columns")
    check_rules(threshold, round_base)
    check_nk(nk, p)
    check_positive("round_to", round_to, allow_none=True)
    parse_stat(stat)
    edges = bin_edges(bins, limits)
    if cutoff is not None:
        at = np.isclose(edges, cutoff, rtol=0, atol=1e-12) if is_number(cutoff) else []
        if not np.any(at):
            raise ValueError(
                f"cutoff={cutoff!r} must be one of the bin edges, so that no bin straddles it"
            )
        # an edge that linspace put a rounding error away from the cutoff (-1e-15 for 0) is
        # the cutoff: snap it, or the bin starting there lands on the wrong side
        edges = np.where(at, float(cutoff), edges)
    xs = numeric_values(df, x)
    ys = numeric_values(df, y)
    kind, q, report_kind, binary = stat_plan(stat, ys, y)
    check_dom = bool(dominance) and kind in MAGNITUDE_STATS and report_kind == "magnitude"
    report = Report(
        f"{stat} of {y} in bins of {x}",
        stat_rules_text(report_kind, threshold, round_base, check_dom, nk, p),
        kind=report_kind,
        threshold=threshold,
        round_base=round_base,
    )
    report.units = units_text(unit)
    n_bins = len(edges) - 1
    idx = np.searchsorted(edges, xs, side="right") - 1
    idx = np.where(xs == edges[-1], n_bins - 1, idx)
    inside = (idx >= 0) & (idx < n_bins) & ~np.isnan(xs)
    use = inside & ~np.isnan(ys)
    if (~np.isnan(xs) & ~inside).any():
        report.note(f"rows with {x} outside the bin edges are left out")
    if np.isnan(xs).any() or (inside & np.isnan(ys)).any():
        report.note(f"rows with a missing {x} or {y} are left out")
    ucodes = unit_codes(df, unit)
    cells = evaluate_cells(
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
    n, n_col, stat_col, why = stat_columns(cells, report_kind, round_base, round_to)
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
    report.min_count_shown = smallest_shown(n, shown, round_base)
    return attach_report(table, report, return_report)
