"""Statistical disclosure control (SDC) for tables that leave the ONS Secure Research Service.

Defaults follow the SRS rules of thumb as recorded in leo_schema.md, section 5:

* at least ``THRESHOLD`` = 10 units (people, not rows, when ``unit`` is given) behind every
  cell; smaller cells are suppressed;
* counts rounded to base ``ROUND_BASE`` = 5 (half up);
* for magnitudes (sums, means): the (n, k) dominance rule with n=2, k=0.9 (the two largest
  contributors hold more than 90% of the cell total) and the p% rule with p=0.10 (the total
  less the two largest is under 10% of the largest, so the second-largest contributor could
  estimate the largest to within 10%). These are the defaults of common output-checking
  practice (e.g. the ACRO tool); the SRS's own dominance parameters are not published;
* zeros may be disclosive (everyone in a group shares an attribute): by default they count as
  small cells;
* no minima or maxima (each is one unit's value);
* secondary suppression: in a table with margins, a row or column with exactly one suppressed
  cell gives it away by subtraction, so the next smallest cell in that line is suppressed too.

Every function returns its table with a ``Report`` of what it suppressed and why, stored in
``table.attrs["sdc_report"]`` (``report_of(table)``) or returned alongside it with
``return_report=True``. ``str(report)`` never shows a suppressed value or a small count, so it
can be printed next to the table.

Runs unchanged on the SRS Python (3.7, pandas 1.0, numpy 1.18) and on current pandas.
"""

import re

import numpy as np
import pandas as pd

__all__ = [
    "THRESHOLD",
    "ROUND_BASE",
    "NK_N",
    "NK_K",
    "P_RATIO",
    "Report",
    "report_of",
    "round_half_up",
    "dominance_failure",
    "safe_counts",
    "safe_crosstab",
    "safe_stat",
    "secondary_suppression",
    "check_table",
]

THRESHOLD = 10
ROUND_BASE = 5
NK_N = 2
NK_K = 0.9
P_RATIO = 0.10

_MAGNITUDE_STATS = ("sum", "mean", "std", "var")
_PERCENTILE = re.compile(r"^p(\d{1,2})$")
_MINMAX_WORDS = re.compile(r"\b(min|max|minimum|maximum|minima|maxima)\b", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# the report


class Report:
    """What disclosure control did to a table (``suppressed``) or found wrong with it
    (``problems``, from ``check_table``), cell by cell, with the reason.

    Reasons: 'threshold' (fewer than the threshold units, or a zero when zeros count as
    disclosive), 'dominance' (n,k or p% rule), 'secondary' (recoverable by subtraction from a
    margin), and for checks also 'rounding' and 'minmax'. ``str(report)`` is plain text with no
    cell values, safe to print beside the table; ``to_frame()`` gives one row per entry.
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
        self.suppressed = []
        self.problems = []

    def add(self, cell, reason, detail):
        """Record a suppressed cell; ``cell`` is a readable label such as 'region=North'."""
        self.suppressed.append({"cell": cell, "reason": reason, "detail": detail})

    def add_problem(self, cell, reason, detail):
        """Record a cell that fails a rule (``check_table``)."""
        self.problems.append({"cell": cell, "reason": reason, "detail": detail})

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
        beside it (``leokit``'s output-checking report is built from it)."""
        return {
            "title": self.title,
            "kind": self.kind,
            "rules": self.rules,
            "threshold": self.threshold,
            "round_base": self.round_base,
            "n_cells": int(self.n_cells),
            "n_suppressed": len(self.suppressed),
            "suppressed_by_reason": self.counts(),
            "suppressed": [dict(e) for e in self.suppressed],
            "problems": [dict(e) for e in self.problems],
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
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s): NOT safe to release as it is")
            for e in self.problems:
                lines.append("  problem {}: {} ({})".format(e["cell"], e["reason"], e["detail"]))
        elif self.title.startswith("check"):
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
# helpers


def round_half_up(values, base=ROUND_BASE):
    """Round to the nearest multiple of ``base``, halves upwards (12.5 -> 15 for base 5;
    numpy's round-half-to-even would give 10). NaN stays NaN."""
    if base is None or base <= 0:
        raise ValueError(f"rounding base must be positive, got {base!r}")
    arr = np.asarray(values, dtype=np.float64)
    return np.floor(arr / base + 0.5) * base


def _as_list(by):
    if by is None:
        raise ValueError("by= must name at least one column")
    return [by] if isinstance(by, str) or not hasattr(by, "__iter__") else list(by)


def _require(df, columns):
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise ValueError(
            f"missing column(s) {missing}; the frame's columns are {[str(c) for c in df.columns]}"
        )


def _label(names, key):
    if not isinstance(key, tuple):
        key = (key,)
    return ", ".join(f"{n}={k}" for n, k in zip(names, key))


def _rules(threshold, round_base=None, zeros=None, dom=None):
    parts = [f"at least {threshold} units per cell"]
    if round_base:
        parts.append(f"counts rounded to base {round_base}")
    if zeros is not None:
        parts.append("zeros {}".format("disclosive" if zeros else "shown"))
    if dom is not None:
        n, k, p = dom
        parts.append(f"dominance (n={n}, k={k:.0%}) and p% rule (p={p:.0%})")
    return "; ".join(parts)


def _groups(df, by):
    """Iterate (key tuple, sub-frame) over the cells; grouping by a plain name when there is
    one column keeps the key shape the same on pandas 1.0 and 2.x."""
    grouper = by[0] if len(by) == 1 else by
    for key, sub in df.groupby(grouper, observed=True, sort=True):
        yield (key if isinstance(key, tuple) else (key,)), sub


def dominance_failure(contributions, n=NK_N, k=NK_K, p=P_RATIO):
    """Whether a cell with these per-unit contributions fails dominance; returns '' if safe,
    else which rule failed ('nk' or 'p%').

    (n, k): the ``n`` largest contributions exceed ``k`` of the total. p%: the total less the
    two largest is below ``p`` times the largest. Absolute values are used, so negative
    contributions (e.g. losses) still count as magnitude. ``k=None`` or ``p=None`` switches a
    rule off. An all-zero cell is not dominated.
    """
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


def _threshold_detail(n, threshold):
    return "zero cell" if n == 0 else f"fewer than {threshold} units"


# ---------------------------------------------------------------------------------------------
# safe tables


def safe_counts(
    df,
    by,
    unit=None,
    threshold=THRESHOLD,
    round_base=ROUND_BASE,
    name="count",
    return_report=False,
):
    """Counts of distinct ``unit`` values (or of rows if ``unit`` is None) for each
    combination of the ``by`` columns, safe to release.

    Cells with fewer than ``threshold`` units become NaN; the rest are rounded to
    ``round_base`` (half up; ``round_base=None`` leaves them exact). Rows with a missing ``by``
    value are not counted. Only observed combinations appear, so there are no zero cells here;
    use ``safe_crosstab`` for a full two-way table with zeros and margins.

    Returns a DataFrame [by..., name] with the Report in ``attrs['sdc_report']`` (or
    ``(table, report)`` with ``return_report=True``).
    """
    by = _as_list(by)
    _require(df, by + [unit])
    if df.empty:
        table = pd.DataFrame({c: df[c].values[:0] for c in by})
        table[name] = np.array([], dtype=np.float64)
    else:
        grouper = by[0] if len(by) == 1 else by
        grouped = df.groupby(grouper, observed=True, sort=True)
        counts = grouped[unit].nunique() if unit is not None else grouped.size()
        table = counts.rename(name).reset_index()
    what = f"units ({unit})" if unit is not None else "rows"
    report = Report(
        "counts of {} by {}".format(what, ", ".join(str(b) for b in by)),
        _rules(threshold, round_base),
        kind="frequency",
        threshold=threshold,
        round_base=round_base,
    )
    n = table[name].values.astype(np.float64)
    small = n < threshold
    shown = n if not round_base else round_half_up(n, round_base)
    table[name] = np.where(small, np.nan, shown)
    report.n_cells = len(table)
    for i in np.flatnonzero(small):
        key = tuple(table[c].iloc[i] for c in by)
        report.add(_label(by, key), "threshold", _threshold_detail(n[i], threshold))
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
    if s in _MAGNITUDE_STATS:
        return s, None
    raise ValueError(
        f"unknown stat {stat!r}: use 'mean', 'sum', 'std', 'var', 'median' or a percentile "
        "'p1'..'p99' such as 'p25'"
    )


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
    return_report=False,
):
    """A statistic of ``value`` for each combination of the ``by`` columns, safe to release.

    ``stat``: 'median', a percentile 'p1'..'p99' (e.g. 'p25', 'p75'), 'mean', 'sum', 'std' or
    'var'. Minima and maxima are refused. Missing values of ``value`` are left out, and the
    units counted are those with a value.

    A cell is suppressed (NaN) when it has fewer than ``threshold`` units (distinct ``unit``
    values, or rows when ``unit`` is None), or, for sums, means, standard deviations and
    variances (magnitudes), when it fails dominance: the (n, k) rule ``nk`` or the p% rule
    ``p``, applied to each unit's total contribution. Percentiles get the threshold rule only.
    ``dominance=False`` switches dominance off.

    The statistic is rounded half up to a multiple of ``round_to`` if given (e.g. 100 for
    earnings, as DfE publishes them). The table also has ``n``, the number of units rounded to
    ``round_base`` (NaN where the threshold suppresses the cell).
    """
    by = _as_list(by)
    _require(df, by + [value, unit])
    kind, q = _parse_stat(stat)
    values = pd.to_numeric(df[value], errors="coerce")
    if (values.isna() & df[value].notna()).any():
        raise ValueError(f"value column {value!r} is not numeric")
    data = df.loc[values.notna().values, by + ([unit] if unit is not None else [])].copy()
    data["_v"] = values[values.notna()].values.astype(np.float64)
    check_dom = dominance and kind in _MAGNITUDE_STATS
    n_dom, k_dom = nk
    report = Report(
        "{} of {} by {}".format(stat, value, ", ".join(str(b) for b in by)),
        _rules(threshold, round_base, None, (n_dom, k_dom, p) if check_dom else None),
        kind="percentile" if kind == "percentile" else "magnitude",
        threshold=threshold,
        round_base=round_base,
    )
    rows = []
    for key, sub in _groups(data, by):
        v = sub["_v"].values
        if unit is not None:
            n_units = sub[unit].nunique()
            contributions = sub.groupby(unit, sort=False)["_v"].sum().values
        else:
            n_units = len(sub)
            contributions = v
        if kind == "percentile":
            result = float(np.percentile(v, q))
        elif kind == "sum":
            result = float(v.sum())
        elif kind == "mean":
            result = float(v.mean())
        else:
            ddof_ok = len(v) > 1
            var = float(v.var(ddof=1)) if ddof_ok else np.nan
            result = var if kind == "var" else float(np.sqrt(var))
        reason = detail = ""
        if n_units < threshold:
            reason, detail = "threshold", _threshold_detail(n_units, threshold)
        elif check_dom:
            rule = dominance_failure(contributions, n_dom, k_dom, p)
            if rule:
                reason, detail = "dominance", _dominance_detail(rule, n_dom, k_dom, p)
        if reason:
            report.add(_label(by, key), reason, detail)
        rows.append(key + (n_units, result, reason))
    table = pd.DataFrame(rows, columns=by + ["n", str(stat), "_why"])
    if not rows:
        table = table.astype({"n": np.float64, str(stat): np.float64})
    n = table["n"].values.astype(np.float64)
    shown_n = n if not round_base else round_half_up(n, round_base)
    table["n"] = np.where(table["_why"].values == "threshold", np.nan, shown_n)
    result = table[str(stat)].values.astype(np.float64)
    if round_to:
        result = round_half_up(result, round_to)
    table[str(stat)] = np.where(table["_why"].values != "", np.nan, result)
    table = table.drop(columns=["_why"])
    report.n_cells = len(table)
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


def secondary_suppression(
    table, margins=True, margins_name="All", values=None, return_report=False
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
        raise ValueError("secondary_suppression needs a 2-D DataFrame")
    total_row, total_col = _find_margins(table, margins, margins_name)
    shown = table.values.astype(np.float64)
    mask = np.isnan(shown)
    basis = shown if values is None else np.asarray(values, dtype=np.float64)
    if basis.shape != shown.shape:
        raise ValueError(f"values= has shape {basis.shape} but the table {shown.shape}")
    new_mask, added = _secondary(basis, mask, total_row, total_col)
    out = pd.DataFrame(np.where(new_mask, np.nan, shown), index=table.index, columns=table.columns)
    report = Report("secondary suppression", f"margins labelled {margins_name!r}")
    report.n_cells = shown.size
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
    return_report=False,
):
    """Two-way table of counts of distinct ``unit`` values (or rows), safe to release.

    Cells for every observed ``index`` x ``columns`` combination, zeros included, plus totals
    (``margins``) counted from the data (with ``unit``, a person in two cells counts once in
    the total). Primary suppression: cells, totals included, with fewer than ``threshold``
    units; a zero counts as small unless ``zeros_disclosive=False``. Secondary suppression
    then protects cells recoverable from the margins. Shown counts are rounded to
    ``round_base``.
    """
    _require(df, [index, columns, unit])
    data = df[df[index].notna().values & df[columns].notna().values]

    def count(frame, keys):
        grouped = frame.groupby(keys, observed=True, sort=True)
        return grouped[unit].nunique() if unit is not None else grouped.size()

    if data.empty:
        raise ValueError(f"safe_crosstab: no rows with both {index!r} and {columns!r}")
    body = count(data, [index, columns]).unstack(fill_value=0)
    raw = body.values.astype(np.float64)
    rows, cols = list(body.index), list(body.columns)
    if margins:
        # built as arrays: enlarging a frame whose axes are categorical fails
        row_totals = count(data, index).reindex(body.index).values.astype(np.float64)
        col_totals = count(data, columns).reindex(body.columns).values.astype(np.float64)
        grand = data[unit].nunique() if unit is not None else len(data)
        raw = np.vstack([np.column_stack([raw, row_totals]), np.append(col_totals, float(grand))])
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
    report = Report(
        "counts of {} by {} x {}".format(
            f"units ({unit})" if unit is not None else "rows", index, columns
        ),
        _rules(threshold, round_base, zeros_disclosive),
        kind="frequency",
        threshold=threshold,
        round_base=round_base,
    )
    report.n_cells = raw.size
    for i, j in zip(*np.nonzero(small)):
        report.add(_cell_label(body, i, j), "threshold", _threshold_detail(raw[i, j], threshold))
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
    may hold any statistic. Checks: cells shown with fewer than ``threshold`` units (or zero,
    if ``zeros_disclosive``); counts not rounded to ``round_base`` (only when ``counts`` is
    None; pass ``round_base=None`` to skip); with ``margins``, rows/columns with exactly one
    suppressed cell; row or column labels that announce a minimum or maximum. Only numeric
    columns are checked, or just ``columns``. Dominance needs the microdata: use ``safe_stat``.

    A rounded table cannot show whether a shown 10 was really 8: pass ``counts`` for that.
    """
    if isinstance(table, pd.Series):
        table = table.to_frame()
    if columns is None:
        columns = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c].dtype)]
    _require(table, list(columns))
    sub = table[list(columns)]
    shown = sub.values.astype(np.float64)
    if counts is None:
        n = shown
    else:
        n = counts[list(columns)] if isinstance(counts, pd.DataFrame) else counts
        n = np.asarray(n, dtype=np.float64)
        if n.shape != shown.shape:
            raise ValueError(f"counts has shape {n.shape} but the table {shown.shape}")
    report = Report(
        "check of a table made by hand",
        _rules(threshold, round_base, zeros_disclosive),
        kind="check",
        threshold=threshold,
        round_base=round_base,
    )
    report.n_cells = shown.size
    visible = ~np.isnan(shown)
    with np.errstate(invalid="ignore"):  # numpy 1.18 warns on NaN comparisons
        small = visible & (n < threshold)
    if not zeros_disclosive:
        small &= n != 0
    for i, j in zip(*np.nonzero(small)):
        report.add_problem(
            _cell_label(sub, i, j), "threshold", f"{_threshold_detail(n[i, j], threshold)} shown"
        )
    if counts is None and round_base:
        with np.errstate(invalid="ignore"):
            off = visible & (np.abs(np.mod(shown, round_base)) > 1e-9)
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
    return report
