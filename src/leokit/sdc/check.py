"""``check_table``: check a table made some other way against the same rules.

report = check_table(table)          # report.ok is True when nothing fails
"""

import numpy as np
import pandas as pd

from .checks import as_list, check_rules, float_matrix, require_columns
from .report import Report
from .rules import MINMAX_WORDS, ROUND_BASE, THRESHOLD, rules_text, smallest_shown, threshold_detail
from .twoway import cell_label, check_labels, find_margins, line_label, margin_lines


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
    check_labels(table)
    check_rules(threshold, round_base)
    if columns is None:
        columns = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c].dtype)]
        if not columns:
            raise ValueError("check_table: the table has no numeric columns to check")
    else:
        columns = as_list(columns, "columns")
        require_columns(table, columns)
        bad = [str(c) for c in columns if not pd.api.types.is_numeric_dtype(table[c].dtype)]
        if bad:
            raise ValueError(f"check_table: column(s) {bad} are not numeric (counts or statistics)")
    sub = table[list(columns)]
    shown = float_matrix(sub)
    if np.isinf(shown).any():
        raise ValueError("check_table: the table has infinite values")
    if counts is None:
        n = shown
    else:
        if isinstance(counts, pd.DataFrame):
            require_columns(counts, list(columns))
            n = counts[list(columns)]
        elif isinstance(counts, pd.Series):
            n = counts.to_frame()
        else:
            n = counts
        try:
            n = float_matrix(n) if isinstance(n, pd.DataFrame) else np.asarray(n, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                "counts must hold numbers (numbers of units behind each cell)"
            ) from None
        if n.ndim == 1 and shown.shape[1] == 1:
            n = n.reshape(-1, 1)
        if n.shape != shown.shape:
            raise ValueError(f"counts has shape {n.shape} but the table {shown.shape}")
        if np.isinf(n).any() or (np.nan_to_num(n) < 0).any():
            raise ValueError("counts must be whole numbers >= 0 (no infinite or negative values)")
    report = Report(
        "check of a table made by hand",
        rules_text(threshold, round_base if counts is None else None, zeros_disclosive),
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
        report.add_problem(cell_label(sub, i, j), "integer", f"not a whole number{where}")
    if not zeros_disclosive:
        small &= n != 0
    for i, j in zip(*np.nonzero(small)):
        report.add_problem(
            cell_label(sub, i, j), "threshold", f"{threshold_detail(threshold)} shown"
        )
    if counts is None and round_base:
        with np.errstate(invalid="ignore"):
            off = visible & ~fraction & (np.abs(np.mod(shown, round_base)) > 1e-9)
        for i, j in zip(*np.nonzero(off)):
            report.add_problem(cell_label(sub, i, j), "rounding", f"not a multiple of {round_base}")
    if margins:
        total_r, total_c = find_margins(sub, margins, margins_name)
        for line, cells in margin_lines(shown.shape, total_r, total_c):
            hidden = [c for c in cells if np.isnan(shown[c])]
            if len(hidden) == 1:
                i, j = hidden[0]
                report.add_problem(
                    cell_label(sub, i, j),
                    "secondary",
                    f"recoverable by subtraction in {line_label(sub, line)}",
                )
    labels = [("row", lab) for lab in table.index] + [("column", lab) for lab in columns]
    for where, lab in labels:
        if isinstance(lab, str) and MINMAX_WORDS.search(lab.replace("_", " ")):
            report.add_problem(f"{where} {lab}", "minmax", "minima and maxima are not released")
    shown_counts = n[visible & ~np.isnan(n)]
    if shown_counts.size:
        report.min_count_shown = smallest_shown(
            shown_counts, np.ones(shown_counts.size, bool), round_base
        )
    return report
