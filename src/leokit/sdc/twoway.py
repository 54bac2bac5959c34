"""Two-way tables: ``safe_crosstab`` (counts with margins, zeros, secondary suppression) and
``secondary_suppression`` for a table whose small cells are already suppressed.

    table = safe_crosstab(df, "region", "sex", unit="AE_ID")
"""

import numpy as np
import pandas as pd

from .checks import check_frame, check_rules, require_columns
from .grouping import distinct_per_group, factorize_missing, unit_codes
from .report import Report, attach_report
from .rules import (
    MISSING,
    ROUND_BASE,
    THRESHOLD,
    round_half_up,
    rules_text,
    smallest_shown,
    threshold_detail,
    units_text,
)


def find_margins(table, margins, margins_name):
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


def cell_label(table, i, j):
    row_name = table.index.name if table.index.name is not None else "row"
    col_name = table.columns.name if table.columns.name is not None else "column"
    return f"{row_name}={table.index[i]}, {col_name}={table.columns[j]}"


def margin_lines(shape, total_row, total_col):
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
    lines = margin_lines(values.shape, total_row, total_col)
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


def line_label(table, line):
    kind, pos = line
    if kind == "row":
        return f"row {table.index[pos]}"
    return f"column {table.columns[pos]}"


def check_labels(table, what="table"):
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
    check_labels(table)
    non_numeric = [
        str(c) for c in table.columns if not pd.api.types.is_numeric_dtype(table[c].dtype)
    ]
    if non_numeric:
        raise ValueError(
            f"secondary_suppression needs numeric cells; column(s) {non_numeric} are not"
        )
    total_row, total_col = find_margins(table, margins, margins_name)
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
            cell_label(table, i, j),
            "secondary",
            f"{line_label(table, line)} would reveal a suppressed cell by subtraction",
        )
    return attach_report(out, report, return_report)


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
    check_frame(df)
    if index is None or columns is None:
        raise ValueError("safe_crosstab needs both index= and columns= (one column each)")
    require_columns(df, [index, columns, unit])
    if index == columns:
        raise ValueError(f"index and columns are the same column {index!r}")
    check_rules(threshold, round_base)
    report = Report(
        "counts of {} by {} x {}".format(
            f"units ({unit})" if unit is not None else "rows", index, columns
        ),
        rules_text(threshold, round_base, zeros_disclosive),
        kind="frequency",
        threshold=threshold,
        round_base=round_base,
    )
    report.units = units_text(unit)
    rcodes, rlabels, rmiss = factorize_missing(df[index], index, missing)
    ccodes, clabels, cmiss = factorize_missing(df[columns], columns, missing)
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
    ucodes = unit_codes(df, unit)
    u = None if ucodes is None else ucodes[keep]

    def count(ids, size):
        return distinct_per_group(ids, u, size)

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
        report.add(cell_label(body, i, j), "threshold", threshold_detail(threshold))
    total_r, total_c = find_margins(body, margins, margins_name)
    mask, added = _secondary(raw, small, total_r, total_c)
    for (i, j), line in added:
        report.add(
            cell_label(body, i, j),
            "secondary",
            f"{line_label(body, line)} would reveal a suppressed cell by subtraction",
        )
    shown = raw if not round_base else round_half_up(raw, round_base)
    table = pd.DataFrame(np.where(mask, np.nan, shown), index=body.index, columns=body.columns)
    report.n_shown = int((~mask).sum())
    # shown zeros (zeros_disclosive=False) are not counts of units behind a cell
    report.min_count_shown = smallest_shown(raw, ~mask & (raw > 0), round_base)
    return attach_report(table, report, return_report)
