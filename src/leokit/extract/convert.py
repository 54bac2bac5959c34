"""Values to the read form: registry casing and dtypes, whatever the file or driver gave.

    from leokit.extract.convert import conform
    df = conform(raw_frame, "leo_earnings")      # ints int64 (Int64 with NULLs), dates as
                                                 # datetime.date, text with None for NULL

A value of the wrong kind raises one ExtractError naming the view, the column, the kind
expected and an example of what was found.

SRS-bound: runs on Python 3.7 + pandas 1.0.1.
"""

import datetime
import decimal
from collections import OrderedDict

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from leokit.extract.formats import (
    EPOCH,
    ISO_DATE,
    ExtractError,
    registry_column,
    registry_resolve,
)
from leokit.schema import REGISTRY

__all__ = ["Context", "conform", "convert", "finish_ints", "is_null", "to_date"]

_NULLABLE_INTS = ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64")


class Context:
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


def is_null(v):
    """Whether a single value is NULL (None, NaN, NaT, pd.NA)."""
    if v is None or v is pd.NaT:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def to_date(v):
    """One value as a datetime.date (None for NULL); ValueError when it is no date."""
    if is_null(v):
        return None
    if isinstance(v, datetime.datetime):
        return v.date()
    if isinstance(v, datetime.date):
        return v
    if isinstance(v, np.datetime64):
        return EPOCH + datetime.timedelta(days=int(v.astype("datetime64[D]").astype("int64")))
    if isinstance(v, str):
        if v.strip() == "":
            return None
        m = ISO_DATE.match(v)
        if m:
            return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError(v)


def _to_int(v):
    if is_null(v):
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
    if is_null(v):
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
    if is_null(v):
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
    """fn applied to each distinct non-null value (an object array, None for NULL); the
    first bad value becomes one clear ExtractError."""
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
    if str(dt) in _NULLABLE_INTS:
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
    if str(dt) in _NULLABLE_INTS:
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
        lookup[:-1] = [EPOCH + datetime.timedelta(days=int(u)) for u in uniq]
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
    return pd.Series(_safe_map(obj, to_date, ctx, col), index=s.index, name=s.name, dtype=object)


def _strings(s, ctx, col):
    obj = s.astype(object)
    if infer_dtype(obj, skipna=True) in ("string", "empty"):
        vals = obj.to_numpy(copy=True)
        vals[pd.isna(vals)] = None
        return pd.Series(vals, index=s.index, name=s.name, dtype=object)
    return pd.Series(_safe_map(obj, _to_str, ctx, col), index=s.index, name=s.name, dtype=object)


_CONVERTERS = {"int": _ints, "flag": _ints, "float": _floats, "date": _dates, "str": _strings}


def finish_ints(s):
    """An Int64 column without NULLs as int64 (the read form); anything else as it is."""
    if str(s.dtype) == "Int64" and not s.isna().any():
        return s.astype("int64")
    return s


def convert(s, col, ctx, validate=True, final=True):
    """One column to its read form; a kind mismatch raises ExtractError (or, without
    `validate`, leaves the column as it is). With final=False integer columns stay Int64,
    for the caller to concatenate chunks first and then apply finish_ints."""
    try:
        out = _CONVERTERS[col.kind](s, ctx, col)
    except ExtractError:
        if validate:
            raise
        return s
    if final and col.kind in ("int", "flag"):
        out = finish_ints(out)
    return out


def conform(df, view, year=None, validate=True, registry=REGISTRY, where="a data frame"):
    """Bring a frame of one concrete view to the read form (registry casing and dtypes).

    Columns the registry knows are renamed to registry casing and converted; others are kept
    as they are. `view` is a View or a (concrete) view name.
    """
    if not isinstance(df, pd.DataFrame):
        raise ExtractError(f"conform: expected a pandas DataFrame, got {type(df).__name__}")
    v, name, year = registry_resolve(registry, view, year)
    ctx = Context(name, where)
    out = OrderedDict()
    for actual in df.columns:
        col = registry_column(v, actual, year)
        if col is None:
            out[actual] = df[actual]
        else:
            out[col.name_for(year)] = convert(df[actual], col, ctx, validate)
    return pd.DataFrame(out, index=df.index)
