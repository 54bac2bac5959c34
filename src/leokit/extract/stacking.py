"""Per-year views stacked into one frame: a `year` column, columns under their common names.

    frame = stack([year_data(part, frame_of_that_year, family) for ...], family)

A column a year lacks is NULL in that year's rows. A common name with one kind keeps it
(ints as int64, or Int64 with NULLs); one whose kind changes between years (HE_GENDER as
text, HE_SEXID as a number, both HE_SEX) is stacked as objects.

SRS-bound: runs on Python 3.7 + pandas 1.0.1.
"""

from collections import OrderedDict

import numpy as np
import pandas as pd

from leokit.extract.convert import finish_ints

__all__ = ["year_data", "stack"]


def year_data(part, frame, family):
    """{"year": ..., common name: column or None (absent that year)} of one year's frame
    (the read form of `part.plan`)."""
    y = part.year
    data = OrderedDict()
    data["year"] = pd.Series(np.full(len(frame), y, dtype="int64"))
    for cn in family.wanted:
        if cn in part.columns:
            data[cn] = frame[part.columns[cn].name_for(y)].reset_index(drop=True)
        else:
            data[cn] = None
    return data


def _null_column(n, kinds, ref):
    kind = next(iter(kinds)) if len(kinds) == 1 else (ref.kind if not kinds else "mixed")
    if kind in ("int", "flag"):
        return pd.Series(pd.array([None] * n, dtype="Int64"))
    if kind == "float":
        return pd.Series(np.full(n, np.nan))
    return pd.Series([None] * n, dtype=object)


def stack(frames, family):
    """One frame from the years' `year_data` (none: an empty frame with the columns)."""
    wanted, kinds_seen, common = family.wanted, family.kinds_seen, family.common
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
                s = _null_column(n, kinds_seen[cn], common[cn])
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
            s = finish_ints(s)
        elif kinds & {"date", "str"} or not kinds:
            vals = s.astype(object).to_numpy(copy=True)
            vals[pd.isna(vals)] = None
            s = pd.Series(vals, dtype=object)
        out[cn] = s.reset_index(drop=True)
    return pd.DataFrame(out)
