"""Shared by tests/recipes/test_recipes_sql.py (DuckDB) and tests/recipes/test_recipes_spark.py (Spark).

A recipe's T-SQL is executed (through leokit.sql) when its SQL heading says so. Each result
set of the script is compared, row for row, with the table the page's Python block prints
(the independent pandas implementation, at full printed precision) and with the page's
Expected output (at the precision shown there).
"""

import math
import os

import pytest

from support.recipes import ROOT, Unreadable, pages, tool

EXTRACT = os.path.join(ROOT, "data_synthetic")
REL = 1e-9

#: the data-preparation pages whose SQL must be executable (issue 8, part A)
REQUIRED = [
    "idbr/compute_coworker_composition",
    "linking/choose_one_ks4_record",
    "linking/link_npd_to_earnings",
    "linking/resolve_person_keys",
    "linking/stack_yearly_views",
    "outcomes/annualise_earnings",
    "outcomes/flag_sustained_employment",
    "time/build_earnings_panel",
    "time/count_years_after_graduation",
]


def sql_pages():
    """pytest params: every page whose SQL is executed in the tests, plus unreadable pages."""
    params = []
    for rec in pages():
        if isinstance(rec, Unreadable):
            params.append(pytest.param(rec, id=rec.name))
        elif tool.sql_executed(rec):
            params.append(pytest.param(rec, id=rec.name))
    return params


def python_tables(rec, workdir, cache):
    """{expected table name: (header, rows)} printed by the page's Python blocks."""
    found = {}
    for block in rec.blocks_of("python"):
        names = block.outputs(rec.expected)
        if all(n in found for n in names):
            continue
        run = tool.cached_run(rec, block, "python", workdir, cache)
        msg = run.failure()
        if msg:
            pytest.fail(msg, pytrace=False)
        printed = tool.parse_printed(run.stdout)
        assert len(printed) == len(names), f"{block.label()} printed {len(printed)} tables"
        for name, table in zip(names, printed):
            found.setdefault(name, table)
    return found


def sql_names(rec):
    """The expected tables the SQL block's result sets are, in order."""
    block = rec.blocks_of("sql")[0]
    return block.outputs(rec.expected)


def _cell(value):
    """A SQL result cell as comparable Python: None, bool, int, float or str."""
    if value is None:
        return None
    try:
        if value != value:  # NaN, pandas NA
            return None
    except (TypeError, ValueError):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return value


def _printed(text):
    t = text.strip()
    if t.lower() in ("", "nan", "<na>", "none", "null"):
        return None
    if t in ("True", "False"):
        return t == "True"
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return t


def _same(a, e):
    """Does SQL value ``a`` equal printed value ``e``? Integers and text exactly, booleans as
    0/1, other numbers to REL."""
    if e is None or a is None:
        return a is None and e is None
    if isinstance(e, bool):
        return a in (0, 1, True, False) and bool(a) == e
    if isinstance(e, int):
        return isinstance(a, (int, float)) and not isinstance(a, bool) and a == e
    if isinstance(e, float):
        if not isinstance(a, (int, float)):
            return False
        return math.isclose(a, e, rel_tol=REL, abs_tol=1e-12)
    return str(a) == e


def _sort_key(row):
    out = []
    for v in row:
        if v is None:
            out.append((0, ""))
        elif isinstance(v, (bool, int, float)):
            out.append((1, float(f"{float(v):.6g}")))
        else:
            out.append((2, str(v)))
    return out


def compare(frame, header, rows, label):
    """Messages for every difference between a SQL result and a printed table."""
    cols = [str(c) for c in frame.columns]
    if cols != list(header):
        return [f"{label}: SQL columns {cols}, pandas {list(header)}"]
    if len(frame) != len(rows):
        return [f"{label}: SQL gives {len(frame)} rows, pandas {len(rows)}"]
    got = sorted(
        ([_cell(v) for v in r] for r in frame.itertuples(index=False, name=None)), key=_sort_key
    )
    want = sorted(([_printed(v) for v in r] for r in rows), key=_sort_key)
    msgs = []
    for i, (g, w) in enumerate(zip(got, want)):
        for col, a, e in zip(header, g, w):
            if not _same(a, e):
                msgs.append(
                    f"{label}: row {i + 1} (sorted) column {col!r}: SQL {a!r}, pandas {e!r}"
                )
    return msgs[:20]


def as_printed(frame):
    """A SQL result as the CSV text a Python block would print (for compare_with_expected)."""
    return frame.to_csv(index=False)


def check_page(rec, results, python, engine):
    """Every problem with a page's SQL results on ``engine``."""
    names = sql_names(rec)
    if len(results) != len(names):
        return [
            f"recipe {rec.name}: the SQL returns {len(results)} result set(s) on {engine}, but "
            f"its block names {len(names)} ({names})"
        ]
    problems = []
    for frame, name in zip(results, names):
        label = f"recipe {rec.name}, table {name!r} on {engine}"
        if name not in python:
            problems.append(f"{label}: no Python block prints it")
            continue
        problems += compare(frame, *python[name], label)
        expected = tool.compare_with_expected(
            tool.parse_printed(as_printed(frame)), rec.expected, [name]
        )
        problems += [f"{label} against Expected output: {m}" for m in expected]
    return problems
