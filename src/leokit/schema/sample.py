"""Small valid frames for any view of the registry: "what does this view look like?"

    from leokit.schema.sample import sample_frame, sample_world
    sample_frame("hesa_2013", n=5)              # one concrete view, registry column names
    world = sample_world(years=(2007, 2013))    # OrderedDict: concrete view name -> frame

Values respect each column's kind, code list, lo/hi range and nullability; nullable columns
get a few NULLs, date columns whose missing-value convention mentions 9999-12-31 get a few
open-ended 9999-12-31 values, blank-key columns get a '' or two. Key columns are unique.
The frames use the generator's dtypes: text object (None for NULL), ints int64 (Int64 when
NULLs occur), flags 0/1, floats float64, dates ``datetime64[s]``. Nothing here is simulated
from the synthetic world: use it for tests and documentation, not analysis.
"""

import re
import zlib
from collections import OrderedDict

import numpy as np
import pandas as pd

from . import REGISTRY

__all__ = ["sample_frame", "sample_world", "DEFAULT_SAMPLE_YEARS"]

# Years chosen so that the per-year families show their column changes (HESA 2007 has
# HE_GENDER and HE_INSTID_ANON, 2013 HE_SEXID; spring census 2007 llsoa, 2013 lsoa01,
# 2016 lsoa11 and everfsm_6).
DEFAULT_SAMPLE_YEARS = (2007, 2013, 2016)
_OPEN_END = np.datetime64("9999-12-31", "s")
_HEX = np.array(list("0123456789ABCDEF"))
_ALNUM = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))


def _length(sqltype, default=10):
    m = re.search(r"\((\d+)\)", sqltype or "")
    return int(m.group(1)) if m else default


def _strings(rng, col, n, unique, view_name):
    st = (col.sqltype or "").lower()
    if st.startswith("binary"):
        width = 2 * _length(st, 16)
        alphabet = _HEX
    else:
        width = min(_length(st, 10), 18)
        alphabet = _ALNUM
    if col.codes:
        keys = [k for k in col.codes if isinstance(k, str)]
        if keys:
            return list(rng.choice(keys, size=n))
    name = col.name.lower()
    if "acadyr" in name or "academicyear" in name:
        starts = rng.integers(2004, 2020, size=n)
        return [f"{s}/{s + 1}" for s in starts]
    if unique:
        # deterministic, distinct: a prefix from the column plus a counter
        prefix = re.sub(r"[^A-Z]", "", col.name.upper())[:3] or "K"
        digits = max(width - len(prefix), 4)
        offset = int(rng.integers(0, 10 ** min(digits, 9) - n))
        return ["{}{:0{}d}".format(prefix, offset + i, digits)[:width] for i in range(n)]
    chars = rng.choice(alphabet, size=(n, max(width, 1)))
    return ["".join(row) for row in chars]


def _ints(rng, col, n, unique):
    if col.codes:
        keys = [k for k in col.codes if isinstance(k, int)]
        if keys:
            return rng.choice(keys, size=n).astype("int64")
    name = col.name.lower()
    lo, hi = 0, 1000
    if ("year" in name or name.endswith("_cycle")) and not name.startswith("unique"):
        lo, hi = 1990, 2020
    elif "age" in name.replace("_", " ").split() or name.endswith("agea01"):
        lo, hi = 16, 60
    lo = lo if col.lo is None else int(col.lo)
    hi = hi if col.hi is None else int(col.hi)
    if lo >= 100000 and hi < 1000000:  # tax year as YYYYYY (201819)
        starts = rng.integers(lo // 100, hi // 100, size=n)
        return (starts * 100 + (starts + 1) % 100).astype("int64")
    if unique:
        base = int(rng.integers(lo, max(lo + 1, hi - n)))
        return np.arange(base, base + n, dtype="int64")
    return rng.integers(lo, hi + 1, size=n).astype("int64")


def _floats(rng, col, n):
    lo = 0.0 if col.lo is None else float(col.lo)
    hi = 1000.0 if col.hi is None else float(col.hi)
    return np.round(rng.uniform(lo, hi, size=n), 3)


def _dates(rng, col, n):
    start = np.datetime64("2000-01-01", "s").astype("int64") // 86400
    days = rng.integers(start, start + 21 * 365, size=n)
    out = (days * 86400).astype("datetime64[s]")
    if "9999-12-31" in (col.missing or "") and n > 0:
        k = max(1, n // 8)
        out[rng.choice(n, size=k, replace=False)] = _OPEN_END
    return out


def sample_frame(view, n=20, year=None, seed=0, registry=REGISTRY):
    """A small valid DataFrame for one view (a View, a concrete name, or a family + `year`)."""
    v, name, year = registry.resolve(view, year)
    if v.per_year:
        if year is None:
            year = v.years[0]
        name = v.name_for(year)
    key = set(v.key or [])
    rng = np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
    data = OrderedDict()
    first_key = v.key[0] if v.key else None
    for col in v.columns_for(year):
        unique = col.name == first_key
        if col.kind == "str":
            vals = _strings(rng, col, n, unique, name)
            s = pd.Series(vals, dtype=object)
            if "''" in (col.missing or "") and n > 2 and col.name not in key:
                s.iloc[int(rng.integers(0, n))] = ""
        elif col.kind == "flag":
            keys = [k for k in (col.codes or {0: 0, 1: 1}) if isinstance(k, int)] or [0, 1]
            s = pd.Series(rng.choice(keys, size=n).astype("int64"))
        elif col.kind == "int":
            s = pd.Series(_ints(rng, col, n, unique))
        elif col.kind == "float":
            s = pd.Series(_floats(rng, col, n))
        else:
            s = pd.Series(_dates(rng, col, n))
        if col.nullable and col.name not in key and n > 1:
            k = max(1, n // 7)
            at = rng.choice(n, size=k, replace=False)
            if col.kind in ("int", "flag"):
                s = s.astype("Int64")
                s.iloc[at] = pd.NA
            elif col.kind == "float":
                s.iloc[at] = np.nan
            elif col.kind == "date":
                s.iloc[at] = pd.NaT
            else:
                s.iloc[at] = None
        data[col.name_for(year)] = s
    return pd.DataFrame(data)


def sample_world(years=DEFAULT_SAMPLE_YEARS, n=20, seed=0, registry=REGISTRY):
    """Every view of the registry as a small sample: OrderedDict concrete name -> frame.

    `years` chooses the per-year views included (years outside a family's range are
    skipped); a dict {family: years} chooses per family.
    """
    out = OrderedDict()
    for v in registry:
        if v.per_year:
            ys = years.get(v.family, ()) if isinstance(years, dict) else years
            for y in ys:
                if v.years[0] <= y <= v.years[1]:
                    out[v.name_for(y)] = sample_frame(v, n=n, year=y, seed=seed, registry=registry)
        else:
            out[v.name] = sample_frame(v, n=n, seed=seed, registry=registry)
    return out
