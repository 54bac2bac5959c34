"""`where` filters: checked against the registry, then rendered as SQL, as an Arrow scan
filter, or applied to a frame in pandas.

    ex.read("leo_employment", where={"StartDate": lx.between(None, date(2019, 4, 5)),
                                     "Edukey": ["K1", "K2"]})

SRS-bound: runs on Python 3.7 + pandas 1.0.1 (pyarrow is imported only for Parquet scans).
"""

import datetime
import decimal

import numpy as np
import pandas as pd

from leokit.extract.convert import is_null, to_date
from leokit.extract.formats import ISO_DATE, ExtractError

__all__ = [
    "Between",
    "between",
    "where_values",
    "where_typed",
    "quote",
    "sql_literal",
    "sql_text",
    "sql_condition",
    "inline_params",
    "filter_mask",
    "arrow_filter",
]


class Between:
    """A `where` value: lo <= column <= hi (either end may be None: unbounded)."""

    def __init__(self, lo, hi):
        self.lo = lo
        self.hi = hi

    def __repr__(self):
        return f"between({self.lo!r}, {self.hi!r})"


def between(lo=None, hi=None):
    """A `where` value for a range, both ends included; None leaves that end open.

        ex.read("leo_employment", where={"StartDate": lx.between(None, date(2019, 4, 5))})

    On a database it becomes ``col >= ? AND col <= ?``; on Parquet a filter on the scan.
    """
    if lo is None and hi is None:
        raise ExtractError("between(lo, hi): give at least one end (None leaves an end open)")
    if lo is not None and hi is not None:
        try:
            backwards = hi < lo
        except TypeError:
            raise ExtractError(
                f"between({lo!r}, {hi!r}): the ends cannot be compared; give two values of one kind"
            ) from None
        if backwards:
            raise ExtractError(f"between({lo!r}, {hi!r}): hi is below lo, so nothing would match")
    return Between(lo, hi)


# ------------------------------------------------------------------------------ checking
def where_values(view, key, val):
    """One `where` entry as a Between or a non-empty list of values; ExtractError otherwise."""
    if isinstance(val, Between):
        return val
    if isinstance(val, (dict, pd.DataFrame)):
        raise ExtractError(
            f"view {view}, where[{key!r}]: expected a value, a list of values or between(lo, hi), "
            f"got a {type(val).__name__}"
        )
    if isinstance(val, (pd.Series, pd.Index, np.ndarray)):
        val = list(val)
    vals = list(val) if isinstance(val, (list, tuple, set, frozenset)) else [val]
    if not vals:
        raise ExtractError(
            f"view {view}, where[{key!r}]: the list of values is empty, so no row would match"
        )
    if any(is_null(v) for v in vals):
        raise ExtractError(
            f"view {view}, where[{key!r}]: None/NaN cannot be matched (SQL's IN never matches "
            "NULL); read the rows and keep the NULLs in pandas"
        )
    return vals


def _where_value(view, key, col, v):
    """One `where` value in the form the column's kind compares with; ExtractError when it
    could never match (e.g. text for a number column: the result would be silently empty)."""
    kind = col.kind
    bad = None
    if kind in ("int", "flag"):
        if isinstance(v, (bool, np.bool_)):
            return int(v)
        if isinstance(v, (int, np.integer)):
            return int(v)
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return int(v)
        bad = "a whole number"
    elif kind == "float":
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
            v, (bool, np.bool_)
        ):
            return v
        bad = "a number"
    elif kind == "date":
        if isinstance(v, pd.Timestamp) or isinstance(v, datetime.datetime):
            if (v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0):
                return datetime.date(v.year, v.month, v.day)
        elif isinstance(v, datetime.date):
            return v
        elif isinstance(v, str) and ISO_DATE.match(v):
            return to_date(v)
        bad = "a date (datetime.date or 'YYYY-MM-DD')"
    else:
        if isinstance(v, str):
            return v
        bad = "text"
    raise ExtractError(
        f"view {view}, where[{key!r}]: {v!r} is not {bad}, which column {col.name} "
        f"({col.kind}, {col.sqltype}) holds; no row could match"
    )


def where_typed(view, key, col, vals):
    """`where` values checked against the column's registry kind (unregistered: as given)."""
    if col is None:
        return vals
    if isinstance(vals, Between):
        lo = None if vals.lo is None else _where_value(view, key, col, vals.lo)
        hi = None if vals.hi is None else _where_value(view, key, col, vals.hi)
        return Between(lo, hi)
    return [_where_value(view, key, col, v) for v in vals]


# ------------------------------------------------------------------------------ SQL
def quote(ident):
    """An SQL identifier in double quotes (SQL Server, DuckDB and Spark SQL all accept it)."""
    return '"' + str(ident).replace('"', '""') + '"'


def sql_literal(v):
    """A Python value as an SQL literal (for SQL that cannot take ? parameters)."""
    if v is None:
        return "NULL"
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if v != v or v in (float("inf"), float("-inf")):
            raise ExtractError(f"where: {v!r} cannot be compared in SQL")
        return repr(float(v))
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, datetime.datetime):
        return "TIMESTAMP '{}'".format(v.isoformat(sep=" "))
    if isinstance(v, datetime.date):
        return f"DATE '{v.isoformat()}'"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    raise ExtractError(f"where: cannot send a {type(v).__name__} ({v!r}) to SQL")


def sql_text(v):
    """Text to go inside an SQL string literal."""
    return str(v).replace("'", "''")


def sql_condition(col_sql, vals, inline=False):
    """(SQL condition, params): col IN (...) or a range; literals inline or as ? params."""

    def put(v):
        if inline:
            return sql_literal(v)
        params.append(v)
        return "?"

    params = []
    if isinstance(vals, Between):
        parts = []
        if vals.lo is not None:
            parts.append(f"{col_sql} >= {put(vals.lo)}")
        if vals.hi is not None:
            parts.append(f"{col_sql} <= {put(vals.hi)}")
        return "(" + " AND ".join(parts) + ")", params
    if not vals:
        return "1 = 0", params
    return "{} IN ({})".format(col_sql, ", ".join(put(v) for v in vals)), params


def inline_params(sql, params):
    """`sql` with each ? replaced by its parameter as a literal."""
    if not params:
        return sql
    pieces = sql.split("?")
    if len(pieces) != len(params) + 1:
        raise ExtractError(f"cannot place {len(params)} parameters in {sql!r}")
    out = [pieces[0]]
    for v, rest in zip(params, pieces[1:]):
        out.append(sql_literal(v))
        out.append(rest)
    return "".join(out)


# ------------------------------------------------------------------------------ pandas
def filter_mask(s, vals):
    """Boolean array: which values of a read-form column `where` keeps."""
    if not isinstance(vals, Between):
        return s.isin(vals).to_numpy(dtype=bool)
    lo, hi = vals.lo, vals.hi
    dt = s.dtype
    numeric = isinstance(dt, np.dtype) and dt.kind in "iuf"
    if numeric or str(dt) == "Int64":
        ok = pd.Series(np.ones(len(s), dtype=bool), index=s.index)
        if lo is not None:
            ok &= (s >= lo).fillna(False).astype(bool)
        if hi is not None:
            ok &= (s <= hi).fillna(False).astype(bool)
        return ok.to_numpy(dtype=bool)
    codes, uniques = pd.factorize(s)
    keep = np.ones(len(uniques) + 1, dtype=bool)
    keep[-1] = False  # NULL is in no range
    for i, u in enumerate(uniques):
        try:
            keep[i] = (lo is None or u >= lo) and (hi is None or u <= hi)
        except TypeError:
            raise ExtractError(
                f"where: cannot compare {u!r} (in column {s.name}) with {vals!r}"
            ) from None
    return keep[codes]


# ------------------------------------------------------------------------------ Arrow
def _arrow_ok(t, values):
    """Whether Arrow type t and these Python values compare safely in a pushed-down filter."""
    import pyarrow as pa

    vals = [v for v in values]
    if not vals or any(v is None for v in vals):
        return False
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return all(
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            for v in vals
        )
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return all(isinstance(v, str) for v in vals)
    if pa.types.is_date(t):
        return all(
            isinstance(v, datetime.date) and not isinstance(v, datetime.datetime) for v in vals
        )
    return False


def arrow_filter(schema, filters):
    """A pyarrow expression for the filters [(stored column, values)] Arrow can apply
    safely, or None (the rest is filtered in pandas after reading)."""
    import pyarrow.compute as pc

    expr = None
    for a, vals in filters or []:
        if a not in schema.names:
            continue
        t = schema.field(a).type
        if isinstance(vals, Between):
            ends = [v for v in (vals.lo, vals.hi) if v is not None]
            if not _arrow_ok(t, ends):
                continue
            part = None
            if vals.lo is not None:
                part = pc.field(a) >= vals.lo
            if vals.hi is not None:
                upper = pc.field(a) <= vals.hi
                part = upper if part is None else part & upper
        else:
            if not _arrow_ok(t, vals):
                continue
            part = pc.field(a).isin(list(vals))
        expr = part if expr is None else expr & part
    return expr
