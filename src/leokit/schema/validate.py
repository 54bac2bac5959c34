"""Full validation of a table against the registry, with pandera.

    from leokit.schema.validate import validate_table
    failures = validate_table(df, "hesa_2013")        # DataFrame, empty when valid

Per concrete view: every registry column present, values of the column's kind, code lists
(NULL allowed where the column is nullable; '' where its missing-value convention says so),
lo/hi ranges, no NULLs in non-nullable columns, and unique keys where the view has a key.
A whole extract (every view, and its manifest) is leokit.extract.validate.validate_extract.
Current stack only (pandera); not part of the SRS profile.
"""

from collections import OrderedDict

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from . import REGISTRY

__all__ = ["build_schema", "validate_table", "FAILURE_COLUMNS"]

FAILURE_COLUMNS = ["view", "column", "check", "failure_case", "index"]


def _numeric_dtype(s):
    dt = s.dtype
    if isinstance(dt, np.dtype):
        return dt.kind in "iuf"
    return str(dt).startswith(("Int", "UInt", "Float"))


def _integer_dtype(s):
    dt = s.dtype
    if isinstance(dt, np.dtype):
        return dt.kind in "iu"
    return str(dt).startswith(("Int", "UInt"))


def _elementwise(s, ok):
    """Boolean Series: True where the value is NULL or passes `ok`."""
    vals = s.astype(object).to_numpy()
    null = pd.isna(vals)
    good = np.array([bool(n) or ok(v) for v, n in zip(vals, null)], dtype=bool)
    return pd.Series(good, index=s.index)


def _is_int(v):
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (int, np.integer)):
        return True
    return isinstance(v, (float, np.floating)) and float(v).is_integer()


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


def _is_date(v):
    import datetime

    return isinstance(v, (datetime.date, np.datetime64))


def _kind_check(kind):
    """A vectorised check when the dtype settles it; element by element only on failure."""

    def check(s):
        if kind in ("int", "flag"):
            if _integer_dtype(s):
                return True
            if _numeric_dtype(s):
                v = s.to_numpy(dtype="float64", na_value=np.nan)
                good = np.isnan(v) | (v == np.floor(v))
                return True if good.all() else pd.Series(good, index=s.index)
            return _elementwise(s, _is_int)
        if kind == "float":
            if _numeric_dtype(s):
                return True
            return _elementwise(s, _is_number)
        if kind == "date":
            if isinstance(s.dtype, np.dtype) and s.dtype.kind == "M":
                return True
            if _numeric_dtype(s):
                return _elementwise(s, lambda v: False)
            return _elementwise(s, _is_date)
        # text
        if _numeric_dtype(s) or (isinstance(s.dtype, np.dtype) and s.dtype.kind == "M"):
            return _elementwise(s, lambda v: False)
        if infer_dtype(s, skipna=True) in ("string", "empty"):
            return True
        return _elementwise(s, lambda v: isinstance(v, str))

    return check


def build_schema(view, year=None, registry=REGISTRY):
    """A pandera DataFrameSchema for one concrete view (a View + year, or a concrete name)."""
    import pandera.pandas as pa

    if isinstance(view, str):
        v = registry.view(view)
        if v.per_year and year is None:
            year = registry.year_of(view)
    else:
        v = view
    name = v.name_for(year) if v.per_year else v.name
    columns = OrderedDict()
    for c in v.columns_for(year):
        checks = [
            pa.Check(
                _kind_check(c.kind),
                name=f"kind_{c.kind}",
                error=f"kind_{c.kind}: expected {c.kind} ({c.sqltype})",
            )
        ]
        if c.codes:
            allowed = list(c.codes)
            if c.kind == "str" and "''" in (c.missing or "") and "" not in allowed:
                allowed.append("")
            checks.append(pa.Check.isin(allowed))
        if c.lo is not None or c.hi is not None:
            if c.lo is not None and c.hi is not None:
                checks.append(pa.Check.in_range(c.lo, c.hi))
            elif c.lo is not None:
                checks.append(pa.Check.ge(c.lo))
            else:
                checks.append(pa.Check.le(c.hi))
        columns[c.name_for(year)] = pa.Column(
            None, checks=checks, nullable=bool(c.nullable), required=True
        )
    unique = None
    if v.key:
        unique = [v.column(k, year).name_for(year) for k in v.key]
    return pa.DataFrameSchema(
        columns, unique=unique, report_duplicates="all", strict=False, name=name
    )


def _registry_casing(df, v, year):
    rename = {}
    have = {str(c).lower(): c for c in df.columns}
    for c in v.columns_for(year):
        real = c.name_for(year)
        hit = have.get(real.lower()) or have.get(real.lower()[:32])
        if hit is not None and hit != real:
            rename[hit] = real
    return df.rename(columns=rename) if rename else df


def validate_table(df, view_name, lazy=True, registry=REGISTRY, year=None):
    """Validate one concrete view's frame; a DataFrame of failures (empty when valid).

    Columns of the result: view, column, check, failure_case, index. With lazy=False the
    first failure raises pandera's SchemaError instead.
    """
    import pandera.pandas as pa

    v = registry.view(view_name)
    if v.per_year and year is None:
        year = registry.year_of(view_name)
    name = v.name_for(year) if v.per_year else v.name
    schema = build_schema(v, year, registry)
    frame = _registry_casing(df, v, year)
    try:
        schema.validate(frame, lazy=lazy)
    except pa.errors.SchemaErrors as e:
        fc = e.failure_cases
        out = pd.DataFrame(
            {
                "view": name,
                "column": fc["column"].astype(object).where(fc["column"].notna(), None),
                "check": fc["check"].astype(str),
                "failure_case": fc["failure_case"].astype(object),
                "index": fc["index"].astype(object),
            }
        )
        absent = out["check"] == "column_in_dataframe"
        out.loc[absent, "column"] = out.loc[absent, "failure_case"]
        out.loc[absent, "failure_case"] = "column missing"
        return out.reset_index(drop=True)[FAILURE_COLUMNS]
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in FAILURE_COLUMNS})
