"""Cross-check leokit.sdc against SACRO's output checker ACRO (PyPI ``acro``) on the same data.

    from support.acro_check import compare
    diffs = compare(frame, {"table": "stat", "by": "group", "value": "pay", "stat": "mean"})
    assert [d for d in diffs if d.why is None] == []

``compare(frame, spec)`` builds one table from ``frame`` with both tools and returns a
``Difference`` for every cell on which they disagree: one suppresses (leokit) or flags (ACRO)
a cell the other shows, a cell only one of them has, or (``rounding``) a shown count with
different values. Each carries ``why``: the known reason for that kind of disagreement,
checked on the cell's own rows (e.g. "counts units" only when the cell really has fewer
units than rows), or None when nothing explains it. An unexplained difference is either a
bug in leokit.sdc or a new kind of difference to add to ``EXPLANATIONS``.

``spec`` keys:
  table     'counts' (one-way counts), 'crosstab' (two-way counts) or 'stat'
  by        column or list of columns (counts, stat)
  index, columns   one column each (crosstab)
  value, stat      the value column and 'mean', 'rate', 'sum', 'median' or 'std' (stat)
  unit      leokit's unit column, if any (ACRO always counts rows)
  margins   crosstab totals (default True)
  rounding  also compare the counts ACRO's 'round' mitigation shows (counts, crosstab)
  name      a label for the differences (default: a description of the table)
Rule parameters (``threshold``, ``zeros_disclosive``; dominance stays at both tools' shared
defaults n=2, k=0.9, p=0.10) are keyword arguments of ``compare`` and are given to both.

A spec as ``leokit.release`` records it for a released table (``{"function": "safe_stat",
"by": ..., "value": ..., ...}``, the sdc function's own argument names) works too, with its
saved microdata as ``frame``: ``safe_counts``, ``safe_stat``, ``safe_crosstab`` map to the
tables above, and ``safe_bins`` to a 'stat' table by bin (each bin is checked like a
``safe_stat`` cell). Its ``threshold`` and ``zeros_disclosive`` are used unless given.

ACRO's rules, as read from its source (acro 1.0.2: ``sdcchecks.py``, ``table_utils.py``,
``tablemodeldetails.py``, the ontology files ``analyses.json``, ``statbarns.json``,
``risks.json``): every table gets MinimumThresholdCheck (rows per cell from
``pd.crosstab``/``pd.pivot_table`` of the same keys, ``count < safe_threshold``); frequency
tables and medians add PresenceOfZeroCheck (``count == 0``); sums and means add NKCheck (the
``safe_nk_n`` largest *rows* over the cell sum, failing at ``>= safe_nk_k``) and PPercentCheck
(``(sum - top 2) / top 1 < safe_pratio_p``), both replaced by a "review" flag on every cell
holding a negative value; standard deviations get only MinimumDoFCheck. There is no
secondary suppression, no complement rule for 0/1 outcomes, no class-disclosure check for
these statistics (AllSameValuesCheck exists but no analysis uses it) and no unit (person)
counting. ACRO needs Python 3.10+, so this module is not part of the SRS profile.
"""

import collections
import contextlib
import io
import logging
import warnings

import numpy as np
import pandas as pd

from leokit import sdc

Difference = collections.namedtuple("Difference", "table cell leokit acro why")

#: ACRO check names -> leokit's words for the same rule
ACRO_REASONS = {
    "MinimumThresholdCheck": "threshold",
    "PresenceOfZeroCheck": "threshold",
    "NKCheck": "dominance",
    "PPercentCheck": "dominance",
    "MinimumDoFCheck": "dof",
    "negative": "negative",
    "missing": "missing",
}

#: why a count both tools show differs after rounding
ROUNDED_TOTALS = "ACRO's rounded totals add up its rounded cells; leokit rounds the true total"
ROUNDED_UNITS = "leokit counts distinct units (unit=), ACRO counts rows"

_ACRO_STATS = {"mean": "mean", "rate": "mean", "sum": "sum", "median": "median", "std": "std"}


# ---------------------------------------------------------------------------------------------
# running ACRO quietly


def _import_acro():
    """Import acro without its side effects on this process: acro calls
    ``logging.basicConfig(level=INFO)`` at import, which would send every library's INFO logs
    to stderr, and logs each table it makes."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import acro
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name in ("acro", "acro:records"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return acro


def acro_session(mitigation=None, threshold=10, zeros_disclosive=True):
    """A fresh ACRO session with leokit's rule parameters."""
    acro = _import_acro()
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        session = acro.ACRO(suppress=False, mitigation=mitigation)
    # the session's risk appetite is a dict shared with its checks: set it in place
    session.config["safe_threshold"] = threshold
    session.config["zeros_are_disclosive"] = zeros_disclosive
    return session


def _quietly(call):
    sink = io.StringIO()
    with contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call()


def _last_outcome(session):
    """ACRO's per-cell verdicts for the table it made last: 'ok' or 'Check; Check; '."""
    return list(session.results.results.values())[-1].outcome


def _acro_reasons(text):
    text = str(text)
    if text in ("ok", ""):
        return ()
    found = {ACRO_REASONS.get(p.strip(), p.strip()) for p in text.split(";") if p.strip()}
    return tuple(sorted(found))


# ---------------------------------------------------------------------------------------------
# cells and their keys


def _key_part(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return sdc.MISSING
    return str(value)


def _key(label):
    return tuple(_key_part(v) for v in (label if isinstance(label, tuple) else (label,)))


def _cell_text(dims, key):
    return ", ".join(f"{d}={k}" for d, k in zip(dims, key))


def _rows_of(frame, dims, key, margins_name="All"):
    """The rows behind a cell (a margin label matches every row of that dimension)."""
    mask = np.ones(len(frame), dtype=bool)
    for dim, part in zip(dims, key):
        if part == margins_name:
            continue
        col = frame[dim]
        if part == sdc.MISSING:
            mask &= col.isna().values
        else:
            mask &= (col.astype(str).values == part) & col.notna().values
    return frame[mask]


# ---------------------------------------------------------------------------------------------
# building the table with each tool


def _leokit(frame, spec, threshold, zeros_disclosive):
    """{key: leokit reason ('' if shown)}, {key: shown value}, dims."""
    unit = spec.get("unit")
    if spec["table"] == "crosstab":
        dims = [spec["index"], spec["columns"]]
        table, report = sdc.safe_crosstab(
            frame, dims[0], dims[1], unit=unit, threshold=threshold,
            margins=spec.get("margins", True), zeros_disclosive=zeros_disclosive,
            return_report=True,
        )  # fmt: skip
        reasons = {e["cell"]: e["reason"] for e in reversed(report.suppressed)}
        status, values = {}, {}
        for i, r in enumerate(table.index):
            for j, c in enumerate(table.columns):
                key = (_key_part(r), _key_part(c))
                status[key] = reasons.get(sdc.twoway.cell_label(table, i, j), "")
                values[key] = float(table.iat[i, j])
        return status, values, dims
    dims = [spec["by"]] if isinstance(spec["by"], str) else list(spec["by"])
    if spec["table"] == "counts":
        table, report = sdc.safe_counts(
            frame, dims, unit=unit, threshold=threshold, return_report=True
        )
        column = "count"
    else:
        table, report = sdc.safe_stat(
            frame, dims, spec["value"], spec["stat"], unit=unit, threshold=threshold,
            return_report=True,
        )  # fmt: skip
        column = str(spec["stat"])
    reasons = {e["cell"]: e["reason"] for e in reversed(report.suppressed)}
    status, values = {}, {}
    for i in range(len(table)):
        labels = tuple(table[d].iloc[i] for d in dims)
        key = _key(labels)
        status[key] = reasons.get(sdc.rules.key_label(dims, labels), "")
        values[key] = float(table[column].iloc[i])
    return status, values, dims


def _acro_table(session, frame, spec, dims):
    if spec["table"] == "crosstab":
        return _quietly(
            lambda: session.crosstab(
                frame[dims[0]], frame[dims[1]], margins=spec.get("margins", True)
            )
        )
    if spec["table"] == "counts":
        data = frame[dims].assign(_rows=1)
        return _quietly(
            lambda: session.pivot_table(data, values="_rows", index=dims, aggfunc="count")
        )
    stat = _ACRO_STATS.get(str(spec["stat"]))
    if stat is None:
        raise ValueError(f"ACRO has no {spec['stat']!r} table to compare with")
    value = spec["value"]
    data = frame[dims + [value]].copy()
    data[value] = data[value].astype("float64")
    return _quietly(lambda: session.pivot_table(data, values=value, index=dims, aggfunc=stat))


def _acro(frame, spec, dims, threshold, zeros_disclosive, mitigation=None):
    """{key: tuple of ACRO reasons (empty if ok)}, {key: value}."""
    session = acro_session(mitigation, threshold, zeros_disclosive)
    table = _acro_table(session, frame, spec, dims)
    outcome = _last_outcome(session)
    status, values = {}, {}
    if spec["table"] == "crosstab":
        for i, r in enumerate(outcome.index):
            for j, c in enumerate(outcome.columns):
                status[(_key_part(r), _key_part(c))] = _acro_reasons(outcome.iat[i, j])
        # with rounding, ACRO adds the margins after its checks: read values from the table
        for i, r in enumerate(table.index):
            for j, c in enumerate(table.columns):
                values[(_key_part(r), _key_part(c))] = float(table.iat[i, j])
        return status, values
    for label in outcome.index:
        key = _key(label)
        status[key] = _acro_reasons(outcome.loc[label].iloc[0])
        values[key] = float(table.loc[label].iloc[0])
    return status, values


# ---------------------------------------------------------------------------------------------
# explaining the differences


def _facts(frame, spec, dims, key, threshold):
    """What the cell's rows say, for the explanations."""
    rows = _rows_of(frame, dims, key)
    unit, value = spec.get("unit"), spec.get("value")
    with_value = rows if value is None else rows[rows[value].notna()]
    v = None if value is None else with_value[value].astype("float64").values
    units = with_value[unit].nunique() if unit is not None else len(with_value)
    complete = rows
    for d in dims:
        complete = complete[complete[d].notna()]
    facts = {
        "key": key,
        "rows": len(rows),
        "rows_with_value": len(with_value),
        "units": units,
        "rows_complete": len(complete),  # rows with no missing category (what pandas keeps)
        "margin": "All" in key,
        "missing": sdc.MISSING in key,
        "threshold": threshold,
        "stat": spec.get("stat"),
        "unit": unit,
        "crosstab": spec["table"] == "crosstab",
        "zeros_disclosive": spec.get("zeros_disclosive", True),
        "table_negative": value is not None and bool((frame[value] < 0).any()),
    }
    if v is not None and len(v):
        binary = bool(np.all((frame[value].dropna() == 0) | (frame[value].dropna() == 1)))
        facts.update(
            binary=binary,
            ones=int((v == 1).sum()),
            zeros=int((v == 0).sum()),
            same=bool(v.max() == v.min()),
            negative=bool((v < 0).any()),
            rows_dominated=sdc.dominance_failure(v) if not (v < 0).any() else "negative",
            nk_ratio=float(np.sort(v)[::-1][:2].sum() / v.sum()) if v.sum() > 0 else 0.0,
        )
        if unit is not None:
            per_unit = with_value.groupby(unit)[value].sum().values
            facts["units_dominated"] = sdc.dominance_failure(per_unit)
    return facts


def _is_stat(f, *stats):
    return f["stat"] is not None and str(f["stat"]) in stats


#: (leokit reason or '*', ACRO reason or '*', test on the cell's facts, explanation). A
#: difference takes the first entry whose reasons match and whose test holds. leokit '' and
#: ACRO '' mean "shown" / "ok"; 'only-leokit' / 'only-acro' mean the cell is in one table only.
EXPLANATIONS = [
    ("secondary", "", lambda f: True,
     "ACRO does no secondary suppression; leokit hides a cell that its row or column total "
     "would give away by subtraction"),
    ("complement", "", lambda f: f.get("binary") and min(f["ones"], f["zeros"]) < f["threshold"],
     "ACRO has no complement rule for 0/1 outcomes: it shows a rate with fewer than the "
     "threshold with (or without) the outcome"),
    ("class", "", lambda f: f.get("same"),
     "ACRO 1.0.2 runs no class-disclosure (all values the same) check for means, sums, "
     "medians or sds; leokit hides a statistic that is every unit's own value"),
    ("percentile", "", lambda f: _is_stat(f, "median"),
     "ACRO has no rule on the units at or below and at or above a median"),
    ("threshold", "", lambda f: f["missing"] and not f["crosstab"],
     "ACRO does not check the missing category of a pivot table: pandas leaves NaN keys out "
     "of the count table ACRO checks, so that cell passes unchecked"),
    ("threshold", "", lambda f: f["missing"] and f["margin"],
     "ACRO's crosstab has no total for the missing category (pandas leaves NaN keys out of "
     "the margins); leokit counts and checks it"),
    ("threshold", "", lambda f: f["unit"] is not None and f["units"] < f["threshold"] <= f["rows"],
     "leokit counts distinct units (unit=), ACRO counts rows"),
    ("threshold", "", lambda f: f["margin"] and f["rows"] < f["threshold"] <= f["rows_complete"],
     "totals: ACRO's margins leave out rows with a missing category, leokit's keep them"),
    ("dominance", "", lambda f: f["table_negative"],
     "ACRO skips its dominance checks for the whole table when any value is negative (it "
     "flags the cells with negatives for review instead)"),
    ("dominance", "", lambda f: f["unit"] is not None and f.get("units_dominated")
     and not f.get("rows_dominated"),
     "leokit adds up each unit's rows before the dominance rules (one employer, one "
     "contribution); ACRO tests rows"),
    ("", "dominance", lambda f: f.get("negative"),
     "ACRO does not test dominance where a cell holds negative values: it flags the cell "
     "under its dominance checks for review; leokit tests dominance on absolute values"),
    ("", "threshold", lambda f: f["rows"] == 0 and not f["zeros_disclosive"],
     "ACRO's threshold check fails a zero cell even when zeros are not disclosive "
     "(0 < threshold); leokit shows it"),
    ("", "dof", lambda f: _is_stat(f, "std"),
     "ACRO 1.0.2's degrees-of-freedom mask for standard deviations holds the degrees of "
     "freedom, not pass/fail, so every cell with more than one row is flagged"),
    ("", "threshold", lambda f: f["margin"] and f["rows_complete"] < f["threshold"] <= f["rows"],
     "totals: ACRO's margins leave out rows with a missing category, leokit's keep them"),
    ("", "dominance", lambda f: abs(f.get("nk_ratio", 0) - sdc.NK_K) < 1e-12,
     "the (n, k) rule at exactly k: ACRO fails a cell whose top two hold k of the total "
     "(>=), leokit only above k (>)"),
    ("", "dominance", lambda f: f["unit"] is not None and f.get("rows_dominated")
     and not f.get("units_dominated"),
     "leokit adds up each unit's rows before the dominance rules; ACRO tests rows"),
    ("", "dominance", lambda f: f.get("binary"),
     "rates of 0/1 outcomes: leokit applies the complement rule (at least the threshold with "
     "and without the outcome) instead of dominance"),
    ("only-acro", "*", lambda f: f["rows"] == 0,
     "ACRO lists categories with no rows (unobserved categories of a categorical column, "
     "or NaN keys pandas keeps), flagged as zeros; leokit shows observed categories only"),
    ("*", "only-leokit", lambda f: f["missing"],
     "ACRO's table has no row or column for the missing category; leokit keeps it"),
]  # fmt: skip


def explain(leokit, acro, facts):
    """The first explanation that fits this disagreement, or None. ``acro`` is one of ACRO's
    reasons, '' (ok), 'only-leokit', or several reasons joined by ','."""
    for one in acro.split(",") if acro else [""]:
        for leo_reason, acro_reason, test, text in EXPLANATIONS:
            if leo_reason != "*" and leo_reason != leokit:
                continue
            if acro_reason != "*" and acro_reason != one:
                continue
            if test(facts):
                return text
    return None


def _value_why(key, leo_value, acro_value, acro_values, frame, spec, dims, facts):
    """Why a count both tools show differs after rounding, or None."""
    base = sdc.ROUND_BASE
    if facts["unit"] is not None and facts["units"] != facts["rows"]:
        return ROUNDED_UNITS
    if facts["margin"]:
        inner = [
            v
            for k, v in acro_values.items()
            if "All" not in k
            and all(a == b for a, b in zip(k, key) if b != "All")
            and not np.isnan(v)
        ]
        if acro_value == sdc.round_half_up(sum(inner), base) and leo_value == sdc.round_half_up(
            facts["rows"], base
        ):
            return ROUNDED_TOTALS
    return None


# ---------------------------------------------------------------------------------------------
# the comparison


_FUNCTIONS = {"safe_counts": "counts", "safe_stat": "stat", "safe_crosstab": "crosstab"}


def _from_release(frame, spec):
    """(frame, spec) for a spec recorded by leokit.release (the sdc function's arguments)."""
    spec = dict(spec)
    function = spec.pop("function")
    if function in _FUNCTIONS:
        spec["table"] = _FUNCTIONS[function]
        return frame, spec
    if function == "safe_bins":
        edges = sdc.bins.bin_edges(spec["bins"], spec.get("limits"))
        x = frame[spec["x"]].astype("float64").values
        idx = np.searchsorted(edges, x, side="right") - 1
        idx = np.where(x == edges[-1], len(edges) - 2, idx)
        inside = (idx >= 0) & (idx < len(edges) - 1)
        binned = frame[inside].assign(bin=idx[inside])
        stat = {"table": "stat", "by": "bin", "value": spec["y"], "stat": spec.get("stat", "mean")}
        return binned, dict(spec, **stat)
    raise ValueError(f"no ACRO comparison for {function!r}")


def compare(frame, spec, threshold=None, zeros_disclosive=None):
    """The cells on which leokit.sdc and ACRO disagree for the table ``spec`` of ``frame``."""
    if "function" in spec:
        frame, spec = _from_release(frame, spec)
    if threshold is None:
        threshold = spec.get("threshold") or sdc.THRESHOLD
    if zeros_disclosive is None:
        zeros_disclosive = spec.get("zeros_disclosive", True)
    spec = dict(spec, zeros_disclosive=zeros_disclosive)
    name = spec.get("name") or "{} {}".format(
        spec["table"],
        spec.get("by") or (spec.get("index"), spec.get("columns")),
    )
    leo_status, leo_values, dims = _leokit(frame, spec, threshold, zeros_disclosive)
    acro_status, acro_values = _acro(frame, spec, dims, threshold, zeros_disclosive)
    out = []
    for key in list(leo_status) + [k for k in acro_status if k not in leo_status]:
        in_leo, in_acro = key in leo_status, key in acro_status
        leo = leo_status.get(key, "only-acro")
        acro = ",".join(acro_status[key]) if in_acro else "only-leokit"
        if in_leo and in_acro and bool(leo) == bool(acro):
            continue
        facts = _facts(frame, spec, dims, key, threshold)
        out.append(Difference(name, _cell_text(dims, key), leo, acro, explain(leo, acro, facts)))
    if spec.get("rounding") and spec["table"] in ("counts", "crosstab"):
        _, rounded = _acro(frame, spec, dims, threshold, zeros_disclosive, mitigation="round")
        for key, leo_value in leo_values.items():
            acro_value = rounded.get(key, np.nan)
            if np.isnan(leo_value) or np.isnan(acro_value) or leo_value == acro_value:
                continue
            facts = _facts(frame, spec, dims, key, threshold)
            why = _value_why(key, leo_value, acro_value, rounded, frame, spec, dims, facts)
            out.append(
                Difference(
                    name,
                    _cell_text(dims, key),
                    f"shows {leo_value:g}",
                    f"rounded {acro_value:g}",
                    why,
                )
            )
    return out


def unexplained(differences):
    """The differences nothing explains (should be empty)."""
    return [d for d in differences if d.why is None]


def summary(differences):
    """{explanation: number of cells}, for reading a comparison at a glance."""
    return dict(collections.Counter(d.why for d in differences))


def released(work_dir, output_dir):
    """Every released table of a notebook run that ACRO can check, compared with leokit.sdc:
    ``(checked, differences, not_compared)``. The tables are read back from the microdata and
    specification that ``leokit.release`` keeps in ``work_dir``; ``not_compared`` names the
    checks ACRO has no table for (e.g. a p25), with the reason."""
    import json
    from pathlib import Path

    report = json.loads((Path(output_dir) / "output_check.json").read_text())
    checked, differences, not_compared = 0, [], []
    for entry in report["outputs"]:
        for check in entry["checks"]:
            spec = dict(check.get("spec") or {})
            if "microdata" not in spec:
                continue
            path = Path(work_dir) / spec.pop("microdata")
            frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
            spec["name"] = f"{entry['name']}: {check['title']}"
            try:
                differences += compare(frame, spec)
            except ValueError as exc:  # a statistic ACRO does not make
                not_compared.append(f"{spec['name']}: {exc}")
                continue
            checked += 1
    return checked, differences, not_compared
