"""The content checksum of a table: the same for every file format and library version.

    from leokit.extract.checksum import content_sha256
    content_sha256(ex.read("leo_earnings"), "leo_earnings")  # == the manifest's sha256

SRS-bound: runs on Python 3.7 + pandas 1.0.1.
"""

import hashlib
import json

import numpy as np
import pandas as pd

from leokit.extract.convert import Context, convert
from leokit.extract.formats import ExtractError, date_days, registry_column, registry_resolve
from leokit.schema import REGISTRY

__all__ = ["content_sha256"]


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


class _PseudoColumn:
    """Stands in for a registry Column when a table has a column the registry lacks."""

    def __init__(self, name, kind):
        self.name = name
        self.kind = kind
        self.sqltype = "?"
        self.nullable = True

    def name_for(self, year=None):
        return self.name


def content_sha256(df, view, year=None, registry=REGISTRY, conformed=False):
    """Checksum of a table's content, independent of the file format and library versions.

    Hashes column names (registry casing) and kinds, then each column canonically: ints and
    flags as little-endian int64 plus a NULL mask, floats as float64, dates as days since
    1970-01-01 plus a NULL mask, text as UTF-8 with NULL and '' treated alike (CSV and Stata
    cannot tell them apart). Reading a written extract back gives the same checksum.
    conformed=True says `df` is in the read form already (leokit.extract.conform's output),
    so its columns are not converted again.
    """
    if not isinstance(df, pd.DataFrame):
        raise ExtractError(f"content_sha256: expected a pandas DataFrame, got {type(df).__name__}")
    v = registry_resolve(registry, view, year)[0] if isinstance(view, str) else view
    if isinstance(view, str) and v.per_year and year is None:
        year = registry.year_of(view)
    ctx = Context(view if isinstance(view, str) else v.name, "checksum")
    cols = []
    for actual in df.columns:
        col = registry_column(v, actual, year)
        if col is None:
            col = _PseudoColumn(str(actual), _infer_kind(df[actual]))
        cols.append((actual, col))
    h = hashlib.sha256()
    header = [[c.name_for(year), c.kind] for _, c in cols]
    h.update(json.dumps(header, sort_keys=True).encode("utf-8"))
    h.update(str(len(df)).encode("ascii"))
    for actual, col in cols:
        s = df[actual]
        if not conformed:
            s = convert(s, col, ctx, validate=True, final=False)
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
            days, mask = date_days(s)
            h.update(days.astype("<i8").tobytes())
            h.update(mask.astype("u1").tobytes())
        else:
            codes, uniques = pd.factorize(s)
            hashed = pd.util.hash_array(np.asarray(list(uniques) + [""], dtype=object))
            h.update(hashed.astype("<u8")[codes].tobytes())
    return h.hexdigest()
