"""Open a LEO extract: a synthetic folder (Parquet, CSV, Stata), a DuckDB extract, or the SRS.

    import leokit.extract as lx
    ex = lx.open("data_synthetic")                       # folder written by `leokit synth`
    ex = lx.open(pyodbc_connection, schema="2002237")    # inside the SRS: SQL Server views
    ex.views()                                           # concrete views available
    ex.read("leo_earnings", columns=["Edukey", "TaxYear", "Earnings"])
    ex.read("hesa", years=[2012, 2013])                  # per-year views stacked, with `year`

Every path returns the same frame: columns in registry casing; dates as ``datetime.date``
objects in an object column (what pyodbc gives; 9999-12-31 survives); ints as int64, or
nullable Int64 when NULLs occur; floats as float64; text as object with None for NULL.

CSV and Stata cannot tell NULL text from '': an empty field reads as NULL in columns the
registry marks nullable, and as '' in the others (blank keys).

This module runs on the SRS Python profile (Python 3.7, pandas 1.0, numpy 1.18) for the
CSV-folder and database (DB-API) paths: no 3.8+ syntax and no pandas > 1.0 API there.
pyarrow, duckdb and pandas' Stata reader are imported only inside the functions that need them.
"""

import builtins
import datetime
import decimal
import difflib
import hashlib
import json
import os
import re
from collections import OrderedDict

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from leokit.schema import DATABASES, DEFAULT_SCHEMA, REGISTRY

__all__ = [
    "ExtractError",
    "Extract",
    "open",
    "open_extract",
    "open_parameter",
    "connect_duckdb",
    "conform",
    "content_sha256",
    "read_manifest",
    "FORMATS",
    "MANIFEST",
    "between",
]

FORMATS = ("parquet", "csv", "dta", "duckdb")
MANIFEST = "manifest.json"
# inside the temporary folder `leokit synth` writes into: a folder holding it is no extract
WRITING_MARK = ".leokit-writing"
_FORMAT_NAME = {"parquet": "Parquet", "csv": "CSV", "dta": "Stata .dta", "duckdb": "DuckDB"}
FILE_SUFFIX = {"parquet": ".parquet", "csv": ".csv", "dta": ".dta", "duckdb": ".duckdb"}
STATA_MAX_NAME = 32
DEFAULT_CHUNKSIZE = 500000

_EPOCH = datetime.date(1970, 1, 1)
_STATA_EPOCH = datetime.date(1960, 1, 1)
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?\s*$")


class ExtractError(ValueError):
    """A view, column or value is not what the extract or the registry says it should be."""


def _first_line(e):
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__


def _unreadable(path, fmt, e):
    """The ExtractError for a file the reader could not read (truncated, corrupt, not that
    format): one line naming the file, without the reader's traceback."""
    if isinstance(e, OSError) and e.strerror:
        return ExtractError(f"cannot read {path}: {e.strerror}")
    kind = _FORMAT_NAME.get(fmt, fmt)
    return ExtractError(
        f"cannot read {path}: not a valid {kind} file (truncated or corrupt?): {_first_line(e)}"
    )


# ------------------------------------------------------------------------------ conversion
class _Ctx:
    """What an error message needs: which view, and where we looked."""

    def __init__(self, view, where):
        self.view = view
        self.where = where


def _fail(ctx, col, found, example):
    raise ExtractError(
        f"view {ctx.view}, column {col.name}: expected {col.kind} ({col.sqltype}) but found {found} (e.g. {example!r}) in {ctx.where}"
    )


_NOTHING = object()


def _found(v):
    """How a wrong value is described in an error: 'text', 'a date', 'a number' ..."""
    if isinstance(v, str):
        return "text"
    if isinstance(v, (datetime.date, np.datetime64)):
        return "a date"
    if isinstance(v, (bool, np.bool_)):
        return "a boolean"
    if isinstance(v, (int, float, decimal.Decimal, np.number)):
        return "a non-integer number" if isinstance(v, (float, decimal.Decimal)) else "a number"
    return type(v).__name__


def _is_null(v):
    if v is None or v is pd.NaT:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _map_uniques(s, fn):
    """Apply fn to each distinct non-null value; return an object array (None for NULL)."""
    codes, uniques = pd.factorize(s)
    conv = [fn(u) for u in uniques]
    conv.append(None)
    lookup = np.empty(len(conv), dtype=object)
    lookup[:] = conv
    return lookup[codes]


def _to_date(v):
    if _is_null(v):
        return None
    if isinstance(v, datetime.datetime):
        return v.date()
    if isinstance(v, datetime.date):
        return v
    if isinstance(v, np.datetime64):
        return _EPOCH + datetime.timedelta(days=int(v.astype("datetime64[D]").astype("int64")))
    if isinstance(v, str):
        if v.strip() == "":
            return None
        m = _ISO_DATE.match(v)
        if m:
            return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError(v)


def _to_int(v):
    if _is_null(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating, decimal.Decimal)):
        if v == int(v):
            return int(v)
        raise ValueError(v)
    if isinstance(v, str):
        t = v.strip()
        if t == "":
            return None
        try:
            return int(t)
        except ValueError:
            f = float(t)
            if f == int(f):
                return int(f)
    raise ValueError(v)


def _to_float(v):
    if _is_null(v):
        return np.nan
    if isinstance(v, (bool, np.bool_)):
        return float(v)
    if isinstance(v, (int, float, np.integer, np.floating, decimal.Decimal)):
        return float(v)
    if isinstance(v, str):
        t = v.strip()
        if t == "":
            return np.nan
        return float(t)
    raise ValueError(v)


def _to_str(v):
    if _is_null(v):
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex().upper()
    if isinstance(v, (bool, np.bool_)):
        return str(int(v))
    if isinstance(v, (float, np.floating)) and float(v) == int(v):
        return str(int(v))
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    return str(v)


def _safe_map(s, fn, ctx, col):
    """_map_uniques, turning the first bad value into one clear ExtractError."""
    codes, uniques = pd.factorize(s)
    conv = []
    bad = _NOTHING
    for u in uniques:
        try:
            conv.append(fn(u))
        except (ValueError, TypeError, OverflowError, decimal.InvalidOperation):
            bad = u
            break
    if bad is not _NOTHING:  # raised outside the except block: no chained traceback
        _fail(ctx, col, _found(bad), bad)
    conv.append(None)
    lookup = np.empty(len(conv), dtype=object)
    lookup[:] = conv
    return lookup[codes]


def _ints(s, ctx, col):
    """Series -> nullable Int64 (the caller turns it into int64 when there is no NULL)."""
    dt = s.dtype
    if isinstance(dt, np.dtype) and dt.kind == "b":
        return s.astype("int64").astype("Int64")
    if str(dt) in ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64"):
        return s.astype("Int64")
    if np.issubdtype(dt, np.integer) if isinstance(dt, np.dtype) else False:
        return s.astype("int64").astype("Int64")
    if isinstance(dt, np.dtype) and np.issubdtype(dt, np.floating):
        vals = s.to_numpy()
        ok = np.isnan(vals) | (vals == np.floor(vals))
        if not ok.all():
            _fail(ctx, col, "non-integer numbers", vals[~ok][0])
        return s.astype("Int64")
    if isinstance(dt, np.dtype) and dt.kind == "M":
        _fail(ctx, col, "dates", s.dropna().iloc[0] if s.notna().any() else None)
    obj = s.astype(object)
    inferred = infer_dtype(obj, skipna=True)
    if inferred in ("integer", "empty"):
        vals = obj.to_numpy(copy=True)
        vals[pd.isna(vals)] = None
        return pd.Series(pd.array(list(vals), dtype="Int64"), index=s.index, name=s.name)
    vals = _safe_map(obj, _to_int, ctx, col)
    return pd.Series(pd.array(list(vals), dtype="Int64"), index=s.index, name=s.name)


def _floats(s, ctx, col):
    dt = s.dtype
    if isinstance(dt, np.dtype) and (np.issubdtype(dt, np.number) or dt.kind == "b"):
        return s.astype("float64")
    if str(dt) in ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64"):
        return pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index, name=s.name)
    if isinstance(dt, np.dtype) and dt.kind == "M":
        _fail(ctx, col, "dates", s.dropna().iloc[0] if s.notna().any() else None)
    vals = _safe_map(s.astype(object), _to_float, ctx, col)
    vals[pd.isna(vals)] = np.nan
    return pd.Series(vals.astype("float64"), index=s.index, name=s.name)


def _dates(s, ctx, col):
    dt = s.dtype
    if isinstance(dt, np.dtype) and dt.kind == "M":
        d = s.to_numpy().astype("datetime64[D]")
        nat = np.isnat(d)
        days = d.astype("int64")
        days[nat] = 0
        uniq, inv = np.unique(days, return_inverse=True)
        lookup = np.empty(len(uniq) + 1, dtype=object)
        lookup[:-1] = [_EPOCH + datetime.timedelta(days=int(u)) for u in uniq]
        lookup[-1] = None
        idx = np.where(nat, len(uniq), inv.reshape(-1))
        return pd.Series(lookup[idx], index=s.index, name=s.name, dtype=object)
    if isinstance(dt, np.dtype) and (np.issubdtype(dt, np.number) or dt.kind == "b"):
        if s.notna().any():
            _fail(ctx, col, "numbers", s.dropna().iloc[0])
        return pd.Series([None] * len(s), index=s.index, name=s.name, dtype=object)
    if str(dt).startswith("datetime64"):  # tz-aware
        return _dates(s.dt.tz_localize(None), ctx, col)
    obj = s.astype(object)
    return pd.Series(_safe_map(obj, _to_date, ctx, col), index=s.index, name=s.name, dtype=object)


def _strings(s, ctx, col):
    obj = s.astype(object)
    if infer_dtype(obj, skipna=True) in ("string", "empty"):
        vals = obj.to_numpy(copy=True)
        vals[pd.isna(vals)] = None
        return pd.Series(vals, index=s.index, name=s.name, dtype=object)
    return pd.Series(_safe_map(obj, _to_str, ctx, col), index=s.index, name=s.name, dtype=object)


_CONVERTERS = {"int": _ints, "flag": _ints, "float": _floats, "date": _dates, "str": _strings}


def _finish_ints(s):
    if str(s.dtype) == "Int64" and not s.isna().any():
        return s.astype("int64")
    return s


def _convert(s, col, ctx, validate=True, final=True):
    """One column to its read form; a kind mismatch raises ExtractError (or is left as is)."""
    try:
        out = _CONVERTERS[col.kind](s, ctx, col)
    except ExtractError:
        if validate:
            raise
        return s
    if final and col.kind in ("int", "flag"):
        out = _finish_ints(out)
    return out


def _close_first(wanted, names):
    """`names` with the close matches to `wanted` first (for error messages)."""
    names = list(names)
    low = dict((n.lower(), n) for n in names)
    close = [low[m] for m in difflib.get_close_matches(wanted.lower(), list(low), n=5, cutoff=0.6)]
    rest = [n for n in names if n not in close]
    if close:
        return "{} (closest first); then {}".format(", ".join(close), ", ".join(rest) or "none")
    return ", ".join(rest)


def _match(names, wanted):
    """Case-insensitive lookup of `wanted` in `names`; the actual name or None."""
    low = wanted.lower()
    for n in names:
        if n.lower() == low:
            return n
    return None


def _stata_match(names, wanted):
    """As _match, also accepting Stata's 32-character truncation of long names."""
    hit = _match(names, wanted)
    if hit is None and len(wanted) > STATA_MAX_NAME:
        hit = _match(names, wanted[:STATA_MAX_NAME])
    return hit


def conform(df, view, year=None, validate=True, registry=REGISTRY, where="a data frame"):
    """Bring a frame of one concrete view to the read form (registry casing and dtypes).

    Columns the registry knows are renamed to registry casing and converted; others are kept
    as they are. `view` is a View or a (concrete) view name.
    """
    if not isinstance(df, pd.DataFrame):
        raise ExtractError(f"conform: expected a pandas DataFrame, got {type(df).__name__}")
    v, name, year = _registry_resolve(registry, view, year)
    ctx = _Ctx(name, where)
    out = OrderedDict()
    for actual in df.columns:
        col = _registry_column(v, actual, year)
        if col is None:
            out[actual] = df[actual]
        else:
            out[col.name_for(year)] = _convert(df[actual], col, ctx, validate)
    return pd.DataFrame(out, index=df.index)


def _registry_resolve(registry, view, year):
    """registry.resolve, with an unknown view as ExtractError (the registry says KeyError)."""
    try:
        return registry.resolve(view, year)
    except KeyError as e:
        err = ExtractError(e.args[0] if e.args else f"unknown view {view!r}")
    raise err


def _registry_column(view, name, year):
    low = str(name).lower()
    for c in view.columns_for(year):
        real = c.name_for(year).lower()
        if low == real or (len(real) > STATA_MAX_NAME and low == real[:STATA_MAX_NAME]):
            return c
    return None


# ------------------------------------------------------------------------------ checksums
def _infer_kind(s):
    dt = s.dtype
    if isinstance(dt, np.dtype):
        if dt.kind == "b" or np.issubdtype(dt, np.integer):
            return "int"
        if np.issubdtype(dt, np.floating):
            return "float"
        if dt.kind == "M":
            return "date"
    if str(dt).startswith("Int") or str(dt).startswith("UInt"):
        return "int"
    return "str"


def content_sha256(df, view, year=None, registry=REGISTRY, _conformed=False):
    """Checksum of a table's content, independent of the file format and library versions.

    Hashes column names (registry casing) and kinds, then each column canonically: ints and
    flags as little-endian int64 plus a NULL mask, floats as float64, dates as days since
    1970-01-01 plus a NULL mask, text as UTF-8 with NULL and '' treated alike (CSV and Stata
    cannot tell them apart). Reading a written extract back gives the same checksum.
    """
    if not isinstance(df, pd.DataFrame):
        raise ExtractError(f"content_sha256: expected a pandas DataFrame, got {type(df).__name__}")
    v = _registry_resolve(registry, view, year)[0] if isinstance(view, str) else view
    if isinstance(view, str) and v.per_year and year is None:
        year = registry.year_of(view)
    ctx = _Ctx(view if isinstance(view, str) else v.name, "checksum")
    cols = []
    for actual in df.columns:
        col = _registry_column(v, actual, year)
        if col is None:
            col = _PseudoColumn(str(actual), _infer_kind(df[actual]))
        cols.append((actual, col))
    h = hashlib.sha256()
    header = [[c.name_for(year), c.kind] for _, c in cols]
    h.update(json.dumps(header, sort_keys=True).encode("utf-8"))
    h.update(str(len(df)).encode("ascii"))
    for actual, col in cols:
        s = df[actual]
        if not _conformed:
            s = _convert(s, col, ctx, validate=True, final=False)
        if col.kind in ("int", "flag"):
            mask = s.isna().to_numpy(dtype=bool)
            vals = (
                s.to_numpy(dtype="int64", na_value=0) if mask.any() else s.to_numpy(dtype="int64")
            )
            h.update(vals.astype("<i8").tobytes())
            h.update(mask.astype("u1").tobytes())
        elif col.kind == "float":
            vals = s.to_numpy(dtype="float64")
            vals = np.where(np.isnan(vals), np.nan, vals)
            h.update(vals.astype("<f8").tobytes())
        elif col.kind == "date":
            days, mask = _date_days(s)
            h.update(days.astype("<i8").tobytes())
            h.update(mask.astype("u1").tobytes())
        else:
            codes, uniques = pd.factorize(s)
            hashed = pd.util.hash_array(np.asarray(list(uniques) + [""], dtype=object))
            h.update(hashed.astype("<u8")[codes].tobytes())
    return h.hexdigest()


def _date_days(s, epoch=_EPOCH):
    """Column of datetime.date/None (read form) -> (int64 days since epoch, NULL mask)."""
    codes, uniques = pd.factorize(s)
    vals = np.array([(u - epoch).days for u in uniques] + [0], dtype="int64")
    return vals[codes], codes == -1


class _PseudoColumn:
    """Stands in for a registry Column when a table has a column the registry lacks."""

    def __init__(self, name, kind):
        self.name = name
        self.kind = kind
        self.sqltype = "?"
        self.nullable = True

    def name_for(self, year=None):
        return self.name


# ------------------------------------------------------------------------------ manifest
def read_manifest(path):
    """The manifest.json of an extract folder (or the file itself) as a dict."""
    p = str(path)
    if os.path.isdir(p):
        p = os.path.join(p, MANIFEST)
    if not os.path.isfile(p):
        raise ExtractError(f"no {MANIFEST} at {path}: not an extract written by leokit")
    with builtins.open(p, encoding="utf-8") as f:
        try:
            return json.load(f)
        except ValueError as e:
            raise ExtractError(f"{p} is not valid JSON: {e}") from None


# ------------------------------------------------------------------------------ filters
class _Between:
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
    return _Between(lo, hi)


_SKIP = object()


def _where_values(view, key, val):
    if isinstance(val, _Between):
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
    if any(_is_null(v) for v in vals):
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
        elif isinstance(v, str) and _ISO_DATE.match(v):
            return _to_date(v)
        bad = "a date (datetime.date or 'YYYY-MM-DD')"
    else:
        if isinstance(v, str):
            return v
        bad = "text"
    raise ExtractError(
        f"view {view}, where[{key!r}]: {v!r} is not {bad}, which column {col.name} "
        f"({col.kind}, {col.sqltype}) holds; no row could match"
    )


def _where_typed(view, key, col, vals):
    """`where` values checked against the column's registry kind (unregistered: as given)."""
    if col is None:
        return vals
    if isinstance(vals, _Between):
        lo = None if vals.lo is None else _where_value(view, key, col, vals.lo)
        hi = None if vals.hi is None else _where_value(view, key, col, vals.hi)
        return _Between(lo, hi)
    return [_where_value(view, key, col, v) for v in vals]


def _check_columns(view, columns):
    """`columns` as a list of names (or None); ExtractError for anything else."""
    if columns is None or isinstance(columns, str):
        return None if columns is None else [columns]
    if isinstance(columns, (dict, pd.DataFrame)) or not hasattr(columns, "__iter__"):
        raise ExtractError(
            f"view {view}: columns = {columns!r}: expected a list of column names (or None for all)"
        )
    columns = list(columns)
    bad = [c for c in columns if not isinstance(c, str)]
    if bad:
        raise ExtractError(f"view {view}: columns are names as text, got {bad[0]!r}")
    low = [c.lower() for c in columns]
    twice = sorted({c for c, lc in zip(columns, low) if low.count(lc) > 1})
    if twice:
        raise ExtractError(f"view {view}: column {twice[0]!r} is asked for twice in `columns`")
    return columns


def _check_years(view, years):
    """`years` as a list of ints (or None); ExtractError for text, fractions, booleans."""
    if years is None:
        return None
    vals = list(years) if isinstance(years, (list, tuple, set, frozenset, range)) else [years]
    if isinstance(years, (pd.Series, pd.Index, np.ndarray)):
        vals = list(years)
    for y in vals:
        if isinstance(y, (bool, np.bool_)) or not isinstance(y, (int, np.integer)):
            raise ExtractError(
                f"view {view}: years = {years!r}: expected whole years such as 2013, got {y!r}"
            )
    if not vals:
        raise ExtractError(f"view {view}: `years` is empty; give at least one year or None")
    return [int(y) for y in vals]


def _sql_literal(v):
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


def _sql_condition(col_sql, vals, inline=False):
    """(SQL condition, params): col IN (...) or a range; literals inline or as ? params."""

    def put(v):
        if inline:
            return _sql_literal(v)
        params.append(v)
        return "?"

    params = []
    if isinstance(vals, _Between):
        parts = []
        if vals.lo is not None:
            parts.append(f"{col_sql} >= {put(vals.lo)}")
        if vals.hi is not None:
            parts.append(f"{col_sql} <= {put(vals.hi)}")
        return "(" + " AND ".join(parts) + ")", params
    if not vals:
        return "1 = 0", params
    return "{} IN ({})".format(col_sql, ", ".join(put(v) for v in vals)), params


def _inline_params(sql, params):
    if not params:
        return sql
    pieces = sql.split("?")
    if len(pieces) != len(params) + 1:
        raise ExtractError(f"cannot place {len(params)} parameters in {sql!r}")
    out = [pieces[0]]
    for v, rest in zip(params, pieces[1:]):
        out.append(_sql_literal(v))
        out.append(rest)
    return "".join(out)


def _sql_text(v):
    return str(v).replace("'", "''")


def _filter_mask(s, vals):
    """Boolean array: which values of a read-form column `where` keeps."""
    if not isinstance(vals, _Between):
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


def _arrow_filter(schema, filters):
    """A pyarrow expression for the filters Arrow can apply safely, or None."""
    import pyarrow.compute as pc

    expr = None
    for a, vals in filters or []:
        if a not in schema.names:
            continue
        t = schema.field(a).type
        if isinstance(vals, _Between):
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


_DUCK_TYPE = {
    "int": "BIGINT",
    "flag": "BIGINT",
    "float": "DOUBLE",
    "date": "DATE",
    "str": "VARCHAR",
}


def _duck_cast(col_sql, col, stored, how):
    """DuckDB expression giving a stored column its registry kind."""
    if col is None:
        return col_sql
    target = _DUCK_TYPE[col.kind]
    if how == "csv":  # every field read as text
        if col.kind == "str":
            # DuckDB reads an empty field as NULL; the read form keeps '' where NULL is not allowed
            return f"NULLIF({col_sql}, '')" if col.nullable else f"COALESCE({col_sql}, '')"
        return f"CAST(NULLIF(TRIM({col_sql}), '') AS {target})"
    if stored == target:
        return col_sql
    if col.kind == "str" and stored == "BLOB":
        return f"upper(hex({col_sql}))"
    return f"CAST({col_sql} AS {target})"


class _Plan:
    """How one concrete view is read: columns, filters and where they are applied."""

    def __init__(self, v, year, name, actual_name, pairs, filters, sql_where, params,
                 read_cols, reg, kinds, ctx):  # fmt: skip
        self.view = v
        self.year = year
        self.name = name
        self.actual_name = actual_name
        self.pairs = pairs
        self.filters = filters
        self.sql_where = sql_where
        self.params = params
        self.read_cols = read_cols
        self.reg = reg
        self.kinds = kinds
        self.ctx = ctx
        self.push = [(a, vals) for _, a, vals in filters]


# ------------------------------------------------------------------------------ sources
class _FolderSource:
    """A folder with one file per concrete view (<view>.parquet | .csv | .dta)."""

    def __init__(self, path, fmt, files, chunksize=DEFAULT_CHUNKSIZE):
        self.path = path
        self.fmt = fmt
        self.files = files  # lower-case view name -> (actual name, file path)
        self.where = f"folder {path} ({fmt} files)"
        self.sql = False
        self.blank_is_null = fmt in ("csv", "dta")
        self.chunksize = chunksize
        self._columns = {}
        self._schemas = {}

    def available(self):
        return OrderedDict((k, v[0]) for k, v in self.files.items())

    def _schema(self, path):
        if path not in self._schemas:
            import pyarrow.parquet as pq

            try:
                self._schemas[path] = pq.read_schema(path)
            except Exception as e:  # noqa: BLE001 - Arrow's error, reported once
                err = _unreadable(path, self.fmt, e)
            else:
                err = None
            if err is not None:
                raise err
        return self._schemas[path]

    def columns(self, name):
        if name not in self._columns:
            path = self.files[name.lower()][1]
            err = None
            try:
                if self.fmt == "parquet":
                    cols = list(self._schema(path).names)
                elif self.fmt == "csv":
                    import csv

                    with builtins.open(path, encoding="utf-8", newline="") as f:
                        cols = next(csv.reader(f), None)
                    if cols is None:
                        raise ExtractError(f"cannot read {path}: the file is empty (no header row)")
                else:
                    with pd.read_stata(path, iterator=True) as reader:
                        cols = list(reader.variable_labels())
            except ExtractError:
                raise
            except Exception as e:  # noqa: BLE001 - the reader's error, reported once
                err = _unreadable(path, self.fmt, e)
            if err is not None:
                raise err
            self._columns[name] = cols
        return self._columns[name]

    @staticmethod
    def _arrow_to_pandas(table):
        import pyarrow as pa

        ints = {pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(),
                pa.uint32()}  # fmt: skip
        return table.to_pandas(
            date_as_object=True,
            types_mapper=lambda t: pd.Int64Dtype() if t in ints else None,
        )

    def read(self, name, columns, kinds, where=None, params=None, chunksize=None, filters=None):
        path = self.files[name.lower()][1]
        try:
            return self._read(path, columns, kinds, filters)
        except ExtractError:
            raise
        except Exception as e:  # noqa: BLE001 - the reader's error, reported once
            err = _unreadable(path, self.fmt, e)
        raise err

    def _read(self, path, columns, kinds, filters):
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            expr = _arrow_filter(self._schema(path), filters)
            table = None
            if expr is not None:  # rows the filter drops are never converted
                try:
                    table = pq.read_table(path, columns=list(columns), filters=expr)
                except Exception:  # noqa: BLE001 - Arrow could not apply it: filter below
                    table = None
            if table is None:
                table = pq.read_table(path, columns=list(columns))
            return self._arrow_to_pandas(table)
        if self.fmt == "csv":
            return pd.read_csv(path, **self._csv_options(columns))[list(columns)]
        df = pd.read_stata(path, **self._stata_options(columns))
        return self._stata_dates(df, kinds)

    def iter_read(self, name, columns, kinds, where=None, params=None, chunksize=None,
                  filters=None):  # fmt: skip
        """Raw frames of at most `chunksize` rows (at least one frame, maybe empty)."""
        path = self.files[name.lower()][1]
        frames = self._iter_read(path, columns, kinds, int(chunksize or self.chunksize), filters)
        try:
            while True:
                try:
                    frame = next(frames)
                except StopIteration:
                    return
                except ExtractError:
                    raise
                except Exception as e:  # noqa: BLE001 - the reader's error, reported once
                    err = _unreadable(path, self.fmt, e)
                else:
                    err = None
                if err is not None:
                    raise err
                yield frame
        finally:
            frames.close()

    def _iter_read(self, path, columns, kinds, size, filters):
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.dataset as ds

            dataset = ds.dataset(path, format="parquet")
            expr = _arrow_filter(self._schema(path), filters)
            try:
                scanner = dataset.scanner(
                    columns=list(columns), filter=expr, batch_size=size, batch_readahead=2
                )
                schema = scanner.projected_schema
            except Exception:  # noqa: BLE001 - Arrow could not apply the filter
                scanner = dataset.scanner(columns=list(columns), batch_size=size, batch_readahead=2)
                schema = scanner.projected_schema
            n = 0
            for batch in scanner.to_batches():
                if batch.num_rows:
                    n += 1
                    yield self._arrow_to_pandas(pa.Table.from_batches([batch]))
            if not n:
                yield self._arrow_to_pandas(schema.empty_table())
            return
        if self.fmt == "csv":
            reader = pd.read_csv(path, chunksize=size, **self._csv_options(columns))
        else:
            reader = pd.read_stata(path, chunksize=size, **self._stata_options(columns))
        n = 0
        try:
            for chunk in reader:
                if len(chunk) or not n:
                    n += 1
                    if self.fmt == "csv":
                        yield chunk[list(columns)]
                    else:
                        yield self._stata_dates(chunk, kinds)
        finally:  # StataReader is closed as a context manager; TextFileReader by close()
            done = getattr(reader, "__exit__", None) if self.fmt == "dta" else None
            if done is not None:
                done(None, None, None)
            elif getattr(reader, "close", None) is not None:
                reader.close()
        if not n:
            yield pd.DataFrame(OrderedDict((c, pd.Series([], dtype=object)) for c in columns))

    @staticmethod
    def _csv_options(columns):
        return dict(
            usecols=list(columns),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8",
        )

    @staticmethod
    def _stata_options(columns):
        return dict(
            columns=list(columns),
            convert_dates=False,
            convert_categoricals=False,
            preserve_dtypes=True,
        )

    @staticmethod
    def _stata_dates(df, kinds):
        for c in df.columns:
            if kinds.get(c) == "date" and df[c].dtype.kind in "fiu":
                days = df[c].to_numpy(dtype="float64")
                out = np.empty(len(days), dtype=object)
                ok = ~np.isnan(days)
                out[~ok] = None
                out[ok] = [_STATA_EPOCH + datetime.timedelta(days=int(d)) for d in days[ok]]
                df[c] = out
        return df

    def close(self):
        pass


def _q(ident):
    return '"' + str(ident).replace('"', '""') + '"'


class _SqlSource:
    """A DB-API connection (pyodbc to SQL Server in the SRS; DuckDB as a stand-in)."""

    def __init__(self, conn, schema, databases, registry, chunksize, label=None, owned=False):
        self.conn = conn
        self.schema = schema
        self.databases = databases
        self.registry = registry
        self.chunksize = chunksize
        self.sql = True
        self.blank_is_null = False
        self.owned = owned
        # a DuckDB connection (the stand-in for SQL Server) can also give relations
        self.duck = conn if type(conn).__module__.split(".")[0] in ("duckdb", "_duckdb") else None
        dbs = "/".join(databases.get(d, d) for d in DATABASES)
        self.where = label or f"database connection ({dbs}, schema {schema})"
        self._available = None
        self._columns = {}

    def _db(self, view):
        return self.databases.get(view.database, view.database)

    def qualified(self, name):
        view = self.registry.view(name)
        return f"{_q(self._db(view))}.{_q(self.schema)}.{_q(name)}"

    def _listing(self, db):
        """Names of tables and views in db.schema, or None when the server cannot tell us."""
        queries = [
            (
                f"SELECT TABLE_NAME FROM {_q(db)}.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?",
                [self.schema],
            ),
            (
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_catalog = ? AND table_schema = ?",
                [db, self.schema],
            ),
        ]
        for sql, params in queries:
            cur = self.conn.cursor()
            try:
                cur.execute(sql, params)
                return [r[0] for r in cur.fetchall()]
            except Exception:  # noqa: BLE001 - the dialect decides which form works
                continue
            finally:
                _close(cur)
        return None

    def _probe(self, name):
        cur = self.conn.cursor()
        try:
            cur.execute(f"SELECT * FROM {self.qualified(name)} WHERE 1 = 0")
            cols = [d[0] for d in cur.description]
            cur.fetchall()
            return cols
        except Exception:  # noqa: BLE001 - any error means the view is not there
            return None
        finally:
            _close(cur)

    def available(self):
        if self._available is None:
            found = OrderedDict()
            listings = {}
            for v in self.registry:
                db = self._db(v)
                if db not in listings:
                    listings[db] = self._listing(db)
                listing = listings[db]
                lowset = None if listing is None else {n.lower(): n for n in listing}
                for y in v.all_years():
                    name = v.name_for(y)
                    if lowset is None:
                        if self._probe(name) is not None:
                            found[name.lower()] = name
                    elif name.lower() in lowset:
                        found[name.lower()] = name
            self._available = found
        return self._available

    def columns(self, name):
        if name not in self._columns:
            cols = self._probe(name)
            if cols is None:
                raise ExtractError(
                    f"view {name} ({self.qualified(name)}) could not be queried in {self.where}"
                )
            self._columns[name] = cols
        return self._columns[name]

    def select(self, name, columns, where=None):
        """The SELECT sent: only `columns`, and `where` as a WHERE clause."""
        sql = "SELECT {} FROM {}".format(", ".join(_q(c) for c in columns), self.qualified(name))
        if where:
            sql += " WHERE " + where
        return sql

    def _execute(self, cur, sql, params):
        try:
            if params:
                cur.execute(sql, list(params))
            else:
                cur.execute(sql)
        except Exception as e:  # noqa: BLE001 - any driver's error, reported once
            failed = f"{type(e).__name__}: {str(e).strip().splitlines()[0]}"
        else:
            failed = None
        if failed:
            raise ExtractError(f"query failed in {self.where}: {failed}\n  {sql}")

    @staticmethod
    def _columns_of(names, rows):
        cols = list(zip(*rows))
        data = OrderedDict()
        for i, n in enumerate(names):
            data[n] = pd.Series(cols[i], dtype=object)
        return data

    def read(self, name, columns, kinds, where=None, params=None, chunksize=None, filters=None):
        sql = self.select(name, columns, where)
        cur = self.conn.cursor()
        try:
            self._execute(cur, sql, params)
            names = [d[0] for d in cur.description]
            size = chunksize or self.chunksize
            chunks = []
            while True:
                rows = cur.fetchmany(size)
                if not rows:
                    break
                chunks.append(self._columns_of(names, rows))
                if len(rows) < size:
                    break
        finally:
            _close(cur)
        return names, chunks

    def iter_read(self, name, columns, kinds, where=None, params=None, chunksize=None,
                  filters=None):  # fmt: skip
        """(names, [one chunk]) per fetchmany; the cursor stays open while iterating."""
        sql = self.select(name, columns, where)
        size = int(chunksize or self.chunksize)
        cur = self.conn.cursor()
        try:
            self._execute(cur, sql, params)
            names = [d[0] for d in cur.description]
            n = 0
            while True:
                rows = cur.fetchmany(size)
                if not rows:
                    break
                n += 1
                yield names, [self._columns_of(names, rows)]
                if len(rows) < size:
                    break
            if not n:
                yield names, []
        finally:
            _close(cur)

    def close(self):
        if self.owned:
            _close(self.conn)


class _DuckDBSource(_SqlSource):
    """A DuckDB extract folder: the SRS names via attached databases; Arrow for speed."""

    def _arrow(self, sql, params, batch_size=None):
        try:
            if batch_size is None:
                rel = self.conn.sql(sql, params=list(params) if params else None)
                fetch = getattr(rel, "to_arrow_table", None) or rel.arrow  # duckdb 2 / duckdb 1
                return fetch()
            cur = self.conn.cursor()  # its own result, so other queries can run meanwhile
            rel = cur.sql(sql, params=list(params) if params else None)
            fetch = getattr(rel, "to_arrow_reader", None) or rel.fetch_arrow_reader
            return fetch(batch_size)
        except Exception as e:  # noqa: BLE001 - reported once, without the chain
            failed = f"{type(e).__name__}: {str(e).strip().splitlines()[0]}"
        raise ExtractError(f"query failed in {self.where}: {failed}\n  {sql}")

    def read(self, name, columns, kinds, where=None, params=None, chunksize=None, filters=None):
        table = self._arrow(self.select(name, columns, where), params)
        return _FolderSource._arrow_to_pandas(table)

    def iter_read(self, name, columns, kinds, where=None, params=None, chunksize=None,
                  filters=None):  # fmt: skip
        import pyarrow as pa

        reader = self._arrow(
            self.select(name, columns, where), params, int(chunksize or self.chunksize)
        )
        n = 0
        for batch in reader:
            if batch.num_rows:
                n += 1
                yield _FolderSource._arrow_to_pandas(pa.Table.from_batches([batch]))
        if not n:
            yield _FolderSource._arrow_to_pandas(reader.schema.empty_table())


def _close(obj):
    try:
        obj.close()
    except Exception:  # noqa: BLE001
        pass


def connect_duckdb(path, read_only=True):
    """A DuckDB connection on which the SRS three-part names resolve.

    `path` is a DuckDB extract folder (LEO_i2.duckdb, NPD_i2.duckdb, HESA_i2.duckdb ...):
    each file is attached under its database name, so
    ``SELECT * FROM LEO_i2.leo_synth.leo_earnings`` works, as on the SRS.
    """
    import duckdb

    path = str(path)
    if not os.path.isdir(path):
        raise ExtractError(f"no DuckDB extract at {path}: expected a folder of *.duckdb files")
    files = sorted(f for f in os.listdir(path) if f.endswith(".duckdb"))
    if not files:
        raise ExtractError(f"no *.duckdb files in {path}")
    con = duckdb.connect()
    for f in files:
        full = os.path.abspath(os.path.join(path, f))
        opts = " (READ_ONLY)" if read_only else ""
        try:
            con.execute(
                "ATTACH '{}' AS {}{}".format(
                    full.replace("'", "''"), _q(f[: -len(".duckdb")]), opts
                )
            )
        except Exception as e:  # noqa: BLE001 - DuckDB's error, reported once
            err = _unreadable(full, "duckdb", e)
        else:
            err = None
        if err is not None:
            _close(con)
            raise err
    return con


# ------------------------------------------------------------------------------ the extract
def _detect(path):
    if not os.path.exists(path):
        raise ExtractError(f"no extract at {path}: the folder does not exist")
    if not os.path.isdir(path):
        if path.endswith(".duckdb"):
            raise ExtractError(
                f"{path} is one DuckDB file; give the folder that holds the extract's "
                "LEO_i2.duckdb, NPD_i2.duckdb and HESA_i2.duckdb"
            )
        raise ExtractError(f"{path} is a file; give the extract folder")
    if os.path.exists(os.path.join(path, WRITING_MARK)):
        raise ExtractError(
            f"{path} is the temporary folder of a `leokit synth` that was interrupted or is "
            "still running: not an extract"
        )
    try:
        names = sorted(os.listdir(path))
    except OSError as e:
        raise ExtractError(f"cannot list the extract folder {path}: {e.strerror}") from None
    fmt = None
    mpath = os.path.join(path, MANIFEST)
    manifest = read_manifest(path) if os.path.isfile(mpath) else None
    if manifest is not None and manifest.get("format") in FORMATS:
        fmt = manifest["format"]
    if fmt is None:
        counts = [(sum(1 for n in names if n.endswith(FILE_SUFFIX[f])), f) for f in FORMATS]
        counts.sort(key=lambda t: -t[0])
        if counts[0][0] == 0:
            raise ExtractError(
                f"no extract at {path}: found no .parquet, .csv, .dta or .duckdb files"
            )
        fmt = counts[0][1]
    return fmt, names, manifest


def open_extract(
    source,
    schema=None,
    databases=None,
    registry=REGISTRY,
    chunksize=DEFAULT_CHUNKSIZE,
):
    """Open an extract.

    source     a folder (Parquet, CSV or Stata files, or a DuckDB extract), or a DB-API
               connection to the server (pyodbc in the SRS)
    schema     the project schema (SRS: the project number); default: the manifest's, else
               leokit.schema.DEFAULT_SCHEMA
    databases  registry database -> actual database name, e.g. {"LEO_i2": "LEO_i2"}
    chunksize  rows fetched at a time from a database (the SRS views have no indexes)
    """
    dbmap = dict((d, d) for d in DATABASES)
    dbmap.update(_check_databases(databases))
    if schema is not None and not (isinstance(schema, str) and schema.strip()):
        raise ExtractError(
            f"schema = {schema!r}: expected the project schema's name as text, e.g. '2002237'"
        )
    chunksize = _check_chunksize(chunksize)
    if hasattr(source, "cursor") and not isinstance(source, (str, bytes)):
        src = _SqlSource(source, schema or DEFAULT_SCHEMA, dbmap, registry, chunksize)
        return Extract(src, registry, None)
    if not isinstance(source, (str, os.PathLike)) or not os.fspath(source):
        raise ExtractError(
            f"source = {source!r}: expected an extract folder (a path) or a DB-API connection "
            "(pyodbc inside the SRS)"
        )
    path = os.fspath(source)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    fmt, names, manifest = _detect(path)
    if schema is None:
        schema = (manifest or {}).get("schema") or DEFAULT_SCHEMA
    if fmt == "duckdb":
        con = connect_duckdb(path)
        label = f"DuckDB extract {path} (schema {schema})"
        src = _DuckDBSource(con, schema, dbmap, registry, chunksize, label=label, owned=True)
        return Extract(src, registry, manifest, folder=path)
    suffix = FILE_SUFFIX[fmt]
    files = OrderedDict()
    for n in names:
        if n.endswith(suffix):
            stem = n[: -len(suffix)]
            files[stem.lower()] = (stem, os.path.join(path, n))
    return Extract(_FolderSource(path, fmt, files, chunksize), registry, manifest, folder=path)


open = open_extract  # noqa: A001 - `leokit.extract.open(...)` reads naturally


def _check_databases(databases):
    """The `databases` mapping, checked: registry database names to text."""
    if databases is None:
        return {}
    if not isinstance(databases, dict):
        raise ExtractError(
            f"databases = {databases!r}: expected a dict such as {{'LEO_i2': '<actual database>'}}"
        )
    unknown = [k for k in databases if k not in DATABASES]
    if unknown:
        raise ExtractError(
            "databases: unknown database {!r}; expected keys among {}".format(
                unknown[0], ", ".join(DATABASES)
            )
        )
    bad = [k for k, v in databases.items() if not (isinstance(v, str) and v.strip())]
    if bad:
        raise ExtractError(
            f"databases[{bad[0]!r}] = {databases[bad[0]]!r}: expected the actual database name as text"
        )
    return databases


def _check_chunksize(chunksize, default=DEFAULT_CHUNKSIZE):
    if chunksize is None:
        return default
    if isinstance(chunksize, (bool, np.bool_)) or not isinstance(chunksize, (int, np.integer)):
        raise ExtractError(f"chunksize = {chunksize!r}: expected a whole number of rows")
    if chunksize < 1:
        raise ExtractError(f"chunksize must be a positive number of rows, got {chunksize!r}")
    return int(chunksize)


def open_parameter(extract):
    """Open the extract a notebook's ``extract`` parameter names.

    extract  a path (a synthetic folder, or a DuckDB extract folder), or, inside the SRS, a dict
             {"odbc": "<pyodbc connection string>", "schema": "<project schema>",
             "databases": {"LEO_i2": "<actual database>", ...}} (schema and databases
             optional). pyodbc is imported only for the dict form.
    """
    if isinstance(extract, dict):
        unknown = sorted(str(k) for k in set(extract) - {"odbc", "schema", "databases"})
        if unknown or "odbc" not in extract:
            what = f"unknown key(s) {', '.join(unknown)}" if unknown else "no 'odbc' key"
            raise ExtractError(
                f"extract settings: {what}; expected a dict with 'odbc' (a pyodbc connection "
                "string) and optionally 'schema' and 'databases'"
            )
        odbc = extract["odbc"]
        if not isinstance(odbc, str) or not odbc.strip():
            raise ExtractError(
                f"extract['odbc'] = {odbc!r}: expected a pyodbc connection string such as "
                "'DRIVER={SQL Server};SERVER=...;Trusted_Connection=yes'"
            )
        schema = extract.get("schema")
        if schema is not None and not (isinstance(schema, str) and schema.strip()):
            raise ExtractError(
                f"extract['schema'] = {schema!r}: expected the project schema's name as text"
            )
        databases = _check_databases(extract.get("databases"))
        try:
            import pyodbc
        except ImportError:
            raise ExtractError(
                "extract settings name an ODBC connection, but pyodbc is not installed: the "
                "dict form is for the SRS; elsewhere give the path of an extract folder"
            ) from None
        try:
            con = pyodbc.connect(odbc)
        except Exception as e:  # noqa: BLE001 - the driver's error, reported once
            err = ExtractError(f"extract['odbc']: the connection failed: {_first_line(e)}")
        else:
            err = None
        if err is not None:
            raise err
        return open_extract(con, schema=schema, databases=databases)
    if not isinstance(extract, str) or not extract.strip():
        raise ExtractError(
            f"extract = {extract!r}: expected a path (an extract folder) or a dict of SRS "
            "connection settings"
        )
    return open_extract(extract)


class Extract:
    """An opened extract; see `open`."""

    def __init__(self, source, registry=REGISTRY, manifest=None, folder=None):
        self._src = source
        self.registry = registry
        self.manifest = manifest
        self.folder = folder  # the extract's folder; None for a database connection

    @property
    def where(self):
        return self._src.where

    def __repr__(self):
        return f"<Extract {self._src.where}>"

    def close(self):
        duck = getattr(self, "_duck", None)
        if duck is not None:
            _close(duck)
            self._duck = None
        self._src.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- what is there
    def views(self):
        """Concrete view names available, registry order first, then any others."""
        avail = self._src.available()
        out = []
        for name in self.registry.concrete_names():
            if name.lower() in avail:
                out.append(avail[name.lower()])
        known = {n.lower() for n in out}
        out.extend(sorted(v for k, v in avail.items() if k not in known))
        return out

    def has(self, view):
        return view.lower() in self._src.available()

    def _missing_view(self, name, extra=""):
        avail = self.views()
        families = []
        for n in avail:
            try:
                v = self.registry.view(n)
            except KeyError:
                continue
            if v.per_year and v.family not in families:
                families.append(v.family)
        pool = avail + families
        close = difflib.get_close_matches(name, pool, n=6, cutoff=0.5)
        rest = [n for n in avail if n not in close]
        listing = close + rest
        return ExtractError(
            "view {!r} not found in {}{}. Available ({} views{}): {}".format(
                name,
                self._src.where,
                extra,
                len(avail),
                ", close matches first" if close else "",
                ", ".join(listing) if listing else "none",
            )
        )

    def _absent_columns(self, v, year, name, absent, actual_cols):
        """The error for registry columns a view lacks: which, and what the view has instead."""
        known = {c.name_for(year).lower() for c in v.columns_for(year)}
        strangers = [
            a for a in actual_cols if a.lower() not in known and a.lower()[:STATA_MAX_NAME] not in {
                k[:STATA_MAX_NAME] for k in known}
        ]  # fmt: skip
        hints = []
        for col in absent[:3]:
            close = difflib.get_close_matches(col.lower(), [a.lower() for a in strangers], 1, 0.6)
            if close:
                actual = [a for a in strangers if a.lower() == close[0]][0]
                hints.append(f"{col} (closest: {actual})")
            else:
                hints.append(col)
        more = f" and {len(absent) - 3} more" if len(absent) > 3 else ""
        extra = (
            f"; columns the registry does not know: {', '.join(strangers[:8])}" if strangers else ""
        )
        return ExtractError(
            "view {} in {} lacks column(s) the registry declares{}: {}{}{}. Rename them back, "
            "read only the columns you need (columns=[...]), or pass validate=False to read "
            "what is there".format(
                name,
                self._src.where,
                f" for {year}" if year is not None else "",
                ", ".join(hints),
                more,
                extra,
            )
        )

    def _known(self, name):
        try:
            self.registry.view(name)
        except KeyError:
            return False
        return True

    def _read_unregistered(self, name, columns, where):
        """A file the registry does not describe (e.g. a view you added): as it is stored."""
        if where is not None:
            raise ExtractError(
                f"view {name} is not in the schema registry: read it whole and filter in pandas"
            )
        actual_name = self._src.available()[name.lower()]
        actual_cols = self._src.columns(actual_name)
        if columns is None:
            cols = list(actual_cols)
        else:
            cols = []
            for want in columns:
                hit = _match(actual_cols, want)
                if hit is None:
                    raise ExtractError(
                        f"view {name} has no column {want!r} (in {self._src.where}). Its columns: {_close_first(want, actual_cols)}"
                    )
                cols.append(hit)
        raw = self._src.read(actual_name, cols, {}, None, None, None)
        return raw.reset_index(drop=True)

    def _resolve(self, name):
        """(View, year or None, is_family)."""
        if not isinstance(name, str):
            name = getattr(name, "name", str(name))
        try:
            v = self.registry.view(name)
        except KeyError:
            raise self._missing_view(name, " (and the registry has no such view)") from None
        low = name.lower()
        if v.per_year:
            if low in (v.family.lower(), v.name.lower()):
                return v, None, True
            year = self.registry.year_of(name)
            if year is None or (v.years and not v.years[0] <= year <= v.years[1]):
                raise self._missing_view(
                    name, f" ({v.family} exists for years {v.years[0]}-{v.years[1]})"
                )
            return v, year, False
        return v, None, False

    # -- reading
    def read(self, view, columns=None, years=None, where=None, validate=True, chunksize=None):
        """Read one view, or a family of per-year views stacked into one frame.

        view      a concrete name ("leo_earnings", "hesa_2013") or a per-year family
                  ("hesa", "spring_census"): all available years (or `years`) stacked, with a
                  `year` column and columns under their common names (fsmeligible_spr09 ->
                  fsmeligible); columns a year lacks are NULL there.
        columns   names to read (case-insensitive, returned in registry casing); default all
        where     {column: value, list of values or between(lo, hi)}; on a database also SQL
                  text. Sent to the source: a WHERE on a database, a filter on Parquet files
        validate  check the requested columns exist and each has its registry kind
        chunksize rows fetched at a time from a database; to get the rows a chunk at a time
                  (bounded memory), use `chunks`
        """
        if chunksize is not None:
            chunksize = _check_chunksize(chunksize)
        if isinstance(view, str) and not self._known(view) and self.has(view):
            return self._read_unregistered(view, columns, where)
        plans = self._plans(view, columns, years, where, validate)
        if plans[0] == "one":
            plan = plans[1]
            return self._finish(plan, self._raw(plan, chunksize), validate)
        _, v, parts, wanted, kinds_seen, common = plans
        frames = []
        for y, plan, percol in parts:
            part = self._finish(plan, self._raw(plan, chunksize), validate)
            frames.append(self._year_data(y, part, wanted, percol))
        return self._stack(frames, wanted, kinds_seen, common)

    def chunks(self, view, columns=None, years=None, where=None, validate=True, chunksize=None):
        """Read a view (or a per-year family) a chunk at a time: an iterator of frames.

        Arguments as for `read`; each frame has at most `chunksize` rows (default: the
        extract's, 500,000) and the form `read` gives, and the frames together hold what `read`
        returns. Only one chunk (plus the driver's buffer) is in memory at a time: a database
        is fetched with fetchmany, Parquet by record batches, CSV and Stata with pandas'
        chunked readers. Columns and `where` are pushed to the source as in `read`. Integer
        columns are int64 in a chunk without NULLs and Int64 in one with them. When no row
        matches, one empty frame is yielded.
        """
        size = _check_chunksize(chunksize, self._src.chunksize or DEFAULT_CHUNKSIZE)
        if isinstance(view, str) and not self._known(view) and self.has(view):
            raise ExtractError(
                f"view {view} is not in the schema registry: chunks() reads registered views; "
                "use read() for it"
            )
        plans = self._plans(view, columns, years, where, validate)
        if plans[0] == "one":
            return self._iter_one(plans[1], validate, size)
        return self._iter_family(plans, validate, size)

    def _iter_one(self, plan, validate, size):
        for raw in self._src.iter_read(
            plan.actual_name, plan.read_cols, plan.kinds, plan.sql_where, plan.params, size,
            plan.push,
        ):  # fmt: skip
            yield self._finish(plan, raw, validate)

    def _iter_family(self, plans, validate, size):
        _, v, parts, wanted, kinds_seen, common = plans
        yielded = False
        empty = None
        for y, plan, percol in parts:
            for part in self._iter_one(plan, validate, size):
                data = self._year_data(y, part, wanted, percol)
                frame = self._stack([data], wanted, kinds_seen, common)
                if len(frame) or not yielded:
                    if not len(frame):
                        empty = frame
                        continue
                    yielded = True
                    yield frame
        if not yielded:
            if empty is None:
                empty = self._stack([], wanted, kinds_seen, common)
            yield empty

    def _plans(self, view, columns, years, where, validate=True):
        """("one", _Plan) or ("family", View, [(year, _Plan, percol)], wanted, kinds, common)."""
        v, year, family = self._resolve(view)
        columns = _check_columns(view, columns)
        years = _check_years(view, years)
        if isinstance(where, dict):
            bad = [k for k in where if not isinstance(k, str)]
            if bad:
                raise ExtractError(
                    f"view {view}, where: keys are column names as text, got {bad[0]!r}"
                )
        if columns is not None and family:
            columns = [c for c in columns if c.lower() != "year"]  # always there
        if columns is not None and not list(columns):
            raise ExtractError(f"view {view}: `columns` is empty; give at least one column or None")
        if family and isinstance(where, dict):
            where = OrderedDict(where)
            for key in [k for k in where if k.lower() == "year"]:
                val = where.pop(key)
                wanted = list(val) if isinstance(val, (list, tuple, set, frozenset)) else [val]
                years = [y for y in (years if years is not None else wanted) if y in wanted]
                if not years:
                    raise ExtractError(f"{v.family}: `years` and where['year'] select no year")
            where = where or None
        if not family:
            if years is not None:
                raise ExtractError(
                    f"view {view}: `years` is for a per-year family such as {v.family!r}; {view} is one view"
                )
            return ("one", self._plan_one(v, year, columns, where, validate))
        return self._plan_family(v, columns, years, where, validate)

    def _lookup(self, v, year, name, wanted, actual_cols):
        """(registry column or None, actual column) for a requested name; else ExtractError."""
        try:
            col = v.column(wanted, year)
        except KeyError:
            col = None
        if col is not None:
            a = _stata_match(actual_cols, col.name_for(year))
            if a is None:
                raise ExtractError(
                    "view {} has no column {!r} in {} (the registry declares it{}). "
                    "Its columns: {}".format(
                        name,
                        col.name_for(year),
                        self._src.where,
                        f" for {year}" if year is not None else "",
                        _close_first(col.name_for(year), actual_cols),
                    )
                )
            return col, a
        a = _match(actual_cols, wanted)
        if a is not None:  # in the source but not in the registry: read as it is
            return None, a
        declared = [c.name_for(year) for c in v.columns_for(year)]
        raise ExtractError(
            f"view {name} has no column {wanted!r} (in {self._src.where}). Its columns: {_close_first(wanted, declared)}"
        )

    def _filters(self, v, year, name, actual_cols, where):
        """`where` for one concrete view: (sql text, params, [(col, actual, values)])."""
        if where is None:
            return None, None, []
        if isinstance(where, str):
            if not self._src.sql:
                raise ExtractError(
                    f"where as SQL text works only on a database; on {self._src.where} pass a dict "
                    "{column: value or list of values}"
                )
            return where, None, []
        if not isinstance(where, dict):
            raise ExtractError(
                f"where must be a dict {{column: value, list of values or between(lo, hi)}}, got {type(where).__name__}"
            )
        filters = []
        for key, val in where.items():
            col, a = self._lookup(v, year, name, key, actual_cols)
            filters.append((col, a, _where_typed(name, key, col, _where_values(name, key, val))))
        if not self._src.sql:
            return None, None, filters
        clauses, params = [], []
        for _, a, vals in filters:
            text, more = _sql_condition(_q(a), vals)
            clauses.append(text)
            params.extend(more)
        return " AND ".join(clauses) or None, params, []

    def _plan_one(self, v, year, columns, where, validate=True):
        name = v.name_for(year)
        avail = self._src.available()
        if name.lower() not in avail:
            raise self._missing_view(name)
        actual_name = avail[name.lower()]
        actual_cols = self._src.columns(actual_name)
        pairs = []  # (registry column or None, actual column)
        if columns is None:
            absent = []
            for c in v.columns_for(year):
                a = _stata_match(actual_cols, c.name_for(year))
                if a is not None:
                    pairs.append((c, a))
                else:
                    absent.append(c.name_for(year))
            if absent and validate:
                raise self._absent_columns(v, year, name, absent, actual_cols)
            used = {a for _, a in pairs}
            pairs.extend((None, a) for a in actual_cols if a not in used)
        else:
            for want in columns:
                pairs.append(self._lookup(v, year, name, want, actual_cols))
        sql_where, params, filters = self._filters(v, year, name, actual_cols, where)
        reg = OrderedDict(
            (a, c) for c, a in pairs + [(c, a) for c, a, _ in filters] if c is not None
        )
        read_cols = []
        for a in [a for _, a in pairs] + [a for _, a, _ in filters]:
            if a not in read_cols:
                read_cols.append(a)
        kinds = dict((a, c.kind) for a, c in reg.items())
        return _Plan(
            v, year, name, actual_name, pairs, filters, sql_where, params, read_cols, reg, kinds,
            _Ctx(name, self._src.where),
        )  # fmt: skip

    def _raw(self, plan, chunksize):
        return self._src.read(
            plan.actual_name, plan.read_cols, plan.kinds, plan.sql_where, plan.params, chunksize,
            plan.push,
        )  # fmt: skip

    def _finish(self, plan, raw, validate):
        """A raw read (a frame, or a database's (names, chunks)) -> the read form."""
        reg, ctx = plan.reg, plan.ctx
        if isinstance(raw, tuple):  # database: (names, chunks of object columns)
            names, chunks = raw
            frames = [
                self._convert_frame(pd.DataFrame(ch), reg, ctx, validate, False) for ch in chunks
            ]
            if not frames:
                empty = OrderedDict((n, pd.Series([], dtype=object)) for n in names)
                frames = [self._convert_frame(pd.DataFrame(empty), reg, ctx, validate, False)]
            df = pd.concat(frames, ignore_index=True, sort=False) if len(frames) > 1 else frames[0]
            for a, c in reg.items():
                if c.kind in ("int", "flag") and str(df[a].dtype) == "Int64":
                    df[a] = _finish_ints(df[a])
        else:
            df = self._convert_frame(raw, reg, ctx, validate, True)
        if plan.filters:
            mask = np.ones(len(df), dtype=bool)
            for _, a, vals in plan.filters:
                mask &= _filter_mask(df[a], vals)
            df = df.loc[mask]
        out = OrderedDict()
        for c, a in plan.pairs:
            out[c.name_for(plan.year) if c is not None else a] = df[a].reset_index(drop=True)
        return pd.DataFrame(out)

    def _convert_frame(self, raw, reg, ctx, validate, final):
        df = raw.copy() if raw is not None else raw
        for a in list(df.columns):
            c = reg.get(a)
            if c is None:
                continue
            s = df[a]
            if self._src.blank_is_null and c.kind == "str" and c.nullable:
                s = s.where(s != "", None).astype(object)
                s[s.isna()] = None
            df[a] = _convert(s, c, ctx, validate, final)
        return df

    def _family_years(self, v, years):
        avail = self._src.available()
        have = [y for y in v.all_years() if v.name_for(y).lower() in avail]
        if years is None:
            use = have
        else:
            use = [int(y) for y in years]
            lacking = [y for y in use if y not in have]
            if lacking:
                raise ExtractError(
                    "{}: year(s) {} not available in {}; available years: {}".format(
                        v.family,
                        ", ".join(str(y) for y in lacking),
                        self._src.where,
                        ", ".join(str(y) for y in have) or "none",
                    )
                )
        if not use:
            raise self._missing_view(v.family, f" (no year of {v.name} is present)")
        return use

    def _family_columns(self, v, columns):
        """Common names wanted (registry order when all) and {common name: a column}."""
        common = OrderedDict()
        for c in v.columns:
            common.setdefault(c.common_name(), c)
        if columns is None:
            return list(common), common
        wanted = []
        for w in columns:
            hit = None
            for cn in common:
                if w.lower() == cn.lower():
                    hit = cn
                    break
            if hit is None:
                for c in v.columns:
                    for y in v.all_years():
                        if c.exists_in(y) and w.lower() == c.name_for(y).lower():
                            hit = c.common_name()
            if hit is None:
                raise ExtractError(
                    f"view {v.family} has no column {w!r} in any year. Its columns (common names): "
                    f"{_close_first(w, common)}"
                )
            wanted.append(hit)
        return wanted, common

    def _year_columns(self, v, y, wanted, where, validate=True):
        """For one year: ({common name: column present}, where in that year's names or
        _SKIP when a where column is missing that year, actual columns). With `validate`, a
        column the registry declares for that year but the view lacks is an error."""
        avail = self._src.available()
        actual_cols = self._src.columns(avail[v.name_for(y).lower()])
        percol = OrderedDict()
        absent = []
        for cn in wanted:
            cols = [c for c in v.columns_for(y) if c.common_name() == cn]
            if cols and _stata_match(actual_cols, cols[0].name_for(y)) is not None:
                percol[cn] = cols[0]
            elif cols:
                absent.append(cols[0].name_for(y))
        if absent and validate:
            raise self._absent_columns(v, y, v.name_for(y), absent, actual_cols)
        ywhere = where
        if isinstance(where, dict):
            ywhere = OrderedDict()
            for key, val in where.items():
                cn, specific = self._common_of(v, key)
                if specific is not None:  # a year-specific name (HE_SEXID): its years only
                    cols = [specific] if specific.exists_in(y) else []
                else:
                    cols = [c for c in v.columns_for(y) if c.common_name() == cn]
                if not cols or _stata_match(actual_cols, cols[0].name_for(y)) is None:
                    return percol, _SKIP, actual_cols  # NULL in this year: no row can match
                ywhere[cols[0].name_for(y)] = val
        return percol, ywhere, actual_cols

    def _plan_family(self, v, columns, years, where, validate=True):
        use = self._family_years(v, years)
        wanted, common = self._family_columns(v, columns)
        parts = []
        kinds_seen = OrderedDict((cn, set()) for cn in wanted)
        for y in use:
            percol, ywhere, actual_cols = self._year_columns(v, y, wanted, where, validate)
            if ywhere is _SKIP:
                continue
            names = [c.name_for(y) for c in percol.values()]
            plan = self._plan_one(v, y, names or actual_cols[:1], ywhere, validate)
            for cn, c in percol.items():
                kinds_seen[cn].add(c.kind)
            parts.append((y, plan, percol))
        return ("family", v, parts, wanted, kinds_seen, common)

    @staticmethod
    def _year_data(y, part, wanted, percol):
        data = OrderedDict()
        data["year"] = pd.Series(np.full(len(part), y, dtype="int64"))
        for cn in wanted:
            if cn in percol:
                data[cn] = part[percol[cn].name_for(y)].reset_index(drop=True)
            else:
                data[cn] = None
        return data

    # -- DuckDB
    def duckdb(self, memory_limit=None, threads=None):
        """The DuckDB connection `relation` builds on (created on first use, one per extract).

        For a DuckDB extract, or a DuckDB connection opened as a server, it is that connection;
        for a folder, an in-memory DuckDB that reads the files where they are. memory_limit
        (e.g. "4GB") and threads are DuckDB settings; DuckDB spills to disk beyond the limit.
        """
        con = getattr(self._src, "duck", None)
        if con is None:
            con = getattr(self, "_duck", None)
        if con is None:
            if not isinstance(self._src, _FolderSource) or self._src.fmt not in ("parquet", "csv"):
                raise ExtractError(
                    f"relation() and duckdb() need DuckDB or a folder of Parquet or CSV files; "
                    f"{self._src.where} is neither. Use read(..., where=...) or chunks(), which "
                    "send the columns and filters to the server"
                )
            import duckdb

            con = duckdb.connect()
            self._duck = con
        if memory_limit is not None:
            try:
                con.execute(f"SET memory_limit = '{_sql_text(memory_limit)}'")
            except Exception as e:  # noqa: BLE001 - DuckDB's error, reported once
                err = ExtractError(
                    f"memory_limit = {memory_limit!r}: expected a size such as '4GB' "
                    f"({_first_line(e)})"
                )
            else:
                err = None
            if err is not None:
                raise err
        if threads is not None:
            if (
                isinstance(threads, bool)
                or not isinstance(threads, (int, np.integer))
                or threads < 1
            ):
                raise ExtractError(f"threads = {threads!r}: expected a whole number >= 1")
            con.execute(f"SET threads = {int(threads)}")
        return con

    def relation(self, view, columns=None, years=None, where=None):
        """A view (or a per-year family, years stacked with a `year` column) as a DuckDB relation.

        Nothing is read until the relation is used: DuckDB reads only the columns asked for and
        pushes `where` into the scan, so derivations (leokit.derive_sql) run inside DuckDB on
        data bigger than memory. Arguments as for `read`; `where` may also be DuckDB SQL text.
        Columns come in registry casing with SQL types: BIGINT for ints and flags, DOUBLE,
        DATE (9999-12-31 kept), VARCHAR (binary keys as upper-case hex). CSV blanks are NULL in
        nullable text columns and in every non-text column. `relation_sql` gives the SQL.
        """
        con = self.duckdb()
        sql = self.relation_sql(view, columns=columns, years=years, where=where)
        try:
            return con.sql(sql)
        except Exception as e:  # noqa: BLE001 - DuckDB's error, reported once
            failed = f"{type(e).__name__}: {str(e).strip().splitlines()[0]}"
        raise ExtractError(f"query failed in {self._src.where}: {failed}\n  {sql}")

    def relation_sql(self, view, columns=None, years=None, where=None):
        """The DuckDB SQL `relation` runs (SELECT of the needed columns, with a WHERE)."""
        self.duckdb()  # refuses sources DuckDB cannot read
        if isinstance(where, str):
            sql_text = where
            where = None
        else:
            sql_text = None
        plans = self._plans(view, columns, years, where)
        if plans[0] == "one":
            sql = self._select_sql(plans[1], None, None, None)
        else:
            _, v, parts, wanted, kinds_seen, common = plans
            if not parts:
                parts_sql = [self._empty_family_sql(wanted, kinds_seen, common)]
            else:
                parts_sql = [
                    self._select_sql(plan, y, wanted, (percol, kinds_seen, common))
                    for y, plan, percol in parts
                ]
            sql = "\nUNION ALL\n".join(parts_sql)
        if sql_text:
            sql = f"SELECT * FROM (\n{sql}\n) AS _v WHERE {sql_text}"
        return sql

    def _source_sql(self, plan):
        """FROM text and {actual column: DuckDB type as stored}."""
        src = self._src
        if isinstance(src, _FolderSource):
            path = _sql_text(os.path.abspath(src.files[plan.actual_name.lower()][1]))
            if src.fmt == "parquet":
                return f"read_parquet('{path}')", None
            return f"read_csv('{path}', all_varchar = true, header = true)", "csv"
        return src.qualified(plan.actual_name), None

    def _select_sql(self, plan, year, wanted, family):
        from_sql, how = self._source_sql(plan)
        types = self._stored_types(plan, from_sql)
        exprs = []
        if year is not None:
            exprs.append(f"CAST({int(year)} AS BIGINT) AS year")
            percol, kinds_seen, common = family
            for cn in wanted:
                mixed = len(kinds_seen[cn]) > 1
                if cn in percol:
                    c = percol[cn]
                    a = [a for cc, a in plan.pairs if cc is c][0]
                    expr = _duck_cast(_q(a), c, types.get(a), how)
                    if mixed:
                        expr = f"CAST({expr} AS VARCHAR)"
                else:
                    kinds = kinds_seen[cn] or {common[cn].kind}
                    kind = "str" if len(kinds) > 1 else next(iter(kinds))
                    expr = f"CAST(NULL AS {_DUCK_TYPE[kind]})"
                exprs.append(f"{expr} AS {_q(cn)}")
        else:
            for c, a in plan.pairs:
                out = c.name_for(plan.year) if c is not None else a
                expr = _duck_cast(_q(a), c, types.get(a), how)
                exprs.append(f"{expr} AS {_q(out)}")
        sql = "SELECT {} FROM {}".format(", ".join(exprs), from_sql)
        clauses = []
        for c, a, vals in plan.filters:
            clauses.append(_sql_condition(_duck_cast(_q(a), c, types.get(a), how), vals, True)[0])
        if plan.sql_where:  # a database source renders `where` itself
            clauses.append(_inline_params(plan.sql_where, plan.params))
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return sql

    def _stored_types(self, plan, from_sql):
        cache = self.__dict__.setdefault("_duck_types", {})
        if from_sql not in cache:
            rel = self.duckdb().sql(f"SELECT * FROM {from_sql} LIMIT 0")
            cache[from_sql] = dict(zip(rel.columns, [str(t) for t in rel.types]))
        return cache[from_sql]

    @staticmethod
    def _empty_family_sql(wanted, kinds_seen, common):
        exprs = ["CAST(NULL AS BIGINT) AS year"]
        for cn in wanted:
            kinds = kinds_seen[cn] or {common[cn].kind}
            kind = "str" if len(kinds) > 1 else next(iter(kinds))
            exprs.append(f"CAST(NULL AS {_DUCK_TYPE[kind]}) AS {_q(cn)}")
        return "SELECT {} WHERE false".format(", ".join(exprs))

    def _common_of(self, v, key):
        """(common name, the year-specific column when `key` names one, else None)."""
        for c in v.columns:
            if key.lower() == c.common_name().lower():
                return c.common_name(), None
        for c in v.columns:
            for y in v.all_years():
                if c.exists_in(y) and key.lower() == c.name_for(y).lower():
                    return c.common_name(), (c if "{yy}" not in c.name else None)
        raise ExtractError(
            f"view {v.family} has no column {key!r} in any year. Its columns (common names): {_close_first(key, OrderedDict((c.common_name(), 1) for c in v.columns))}"
        )

    @staticmethod
    def _null_column(n, kinds, ref):
        kind = next(iter(kinds)) if len(kinds) == 1 else (ref.kind if not kinds else "mixed")
        if kind in ("int", "flag"):
            return pd.Series(pd.array([None] * n, dtype="Int64"))
        if kind == "float":
            return pd.Series(np.full(n, np.nan))
        return pd.Series([None] * n, dtype=object)

    def _stack(self, frames, wanted, kinds_seen, common):
        cols = OrderedDict()
        cols["year"] = []
        for cn in wanted:
            cols[cn] = []
        for data in frames:
            n = len(data["year"])
            cols["year"].append(data["year"])
            for cn in wanted:
                s = data[cn]
                if s is None:
                    s = self._null_column(n, kinds_seen[cn], common[cn])
                cols[cn].append(s)
        out = OrderedDict()
        for cn, parts in cols.items():
            if not parts:
                out[cn] = pd.Series([], dtype="int64" if cn == "year" else object)
                continue
            parts = [p for p in parts if len(p)] or parts[:1]
            s = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
            kinds = kinds_seen.get(cn, {"int"})
            if len(kinds) > 1:  # e.g. HE_GENDER (text) and HE_SEXID (int) under HE_SEX
                vals = s.astype(object).to_numpy(copy=True)
                vals[pd.isna(vals)] = None
                s = pd.Series(vals, dtype=object)
            elif kinds & {"int", "flag"} and str(s.dtype) == "Int64":
                s = _finish_ints(s)
            elif kinds & {"date", "str"} or not kinds:
                vals = s.astype(object).to_numpy(copy=True)
                vals[pd.isna(vals)] = None
                s = pd.Series(vals, dtype=object)
            out[cn] = s.reset_index(drop=True)
        return pd.DataFrame(out)
