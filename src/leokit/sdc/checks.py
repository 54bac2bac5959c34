"""Argument checks shared by every sdc function: one clear ValueError per bad argument,
naming it and what was expected.

    from leokit.sdc.checks import require_columns, numeric_values
"""

import math
import numbers

import numpy as np
import pandas as pd


def is_number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def check_positive(name, value, allow_none=False):
    if value is None and allow_none:
        return
    if not is_number(value) or not math.isfinite(value) or value <= 0:
        extra = " or None" if allow_none else ""
        raise ValueError(f"{name} must be a positive number{extra}, got {value!r}")


def _fraction(name, value, allow_none=True):
    if value is None and allow_none:
        return
    if not is_number(value) or not (0 < value <= 1):
        raise ValueError(f"{name} must be a fraction in (0, 1] or None, got {value!r}")


def check_nk(nk, p):
    if not isinstance(nk, (tuple, list)) or len(nk) != 2:
        raise ValueError(f"nk must be a pair (n, k) such as (2, 0.9), got {nk!r}")
    check_dominance_args(nk[0], nk[1], p)


def check_dominance_args(n, k, p):
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise ValueError(
            f"dominance n (the number of largest contributors) must be a whole number >= 1, got {n!r}"
        )
    _fraction("dominance k", k)
    _fraction("p (the p% rule's ratio)", p)


def check_frame(df, what="df"):
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")


def check_rules(threshold, round_base):
    check_positive("threshold", threshold)
    check_positive("round_base", round_base, allow_none=True)


def as_list(by, what="by"):
    if by is None:
        raise ValueError(f"{what}= must name at least one column, got None")
    out = [by] if isinstance(by, str) or not hasattr(by, "__iter__") else list(by)
    if not out:
        raise ValueError(f"{what}= must name at least one column, got an empty list")
    if len(set(map(str, out))) != len(out):
        raise ValueError(f"{what}= names a column twice: {out}")
    return out


def require_columns(df, columns):
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise ValueError(
            f"missing column(s) {missing}; the frame's columns are {[str(c) for c in df.columns]}"
        )
    dup = [c for c in columns if c is not None and int(np.sum(df.columns == c)) > 1]
    if dup:
        raise ValueError(f"column(s) {dup} appear more than once in the frame")


def numeric_values(df, value):
    """The value column as float64 with NaN for missing; non-numeric or infinite values fail."""
    col = df[value]
    if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
        arr = col.to_numpy(dtype="float64", na_value=np.nan)
    else:
        converted = pd.to_numeric(col, errors="coerce")
        if (converted.isna() & col.notna()).any():
            raise ValueError(f"value column {value!r} is not numeric (dtype {col.dtype})")
        arr = converted.to_numpy(dtype="float64", na_value=np.nan)
    if np.isinf(arr).any():
        raise ValueError(
            f"value column {value!r} has infinite values; replace them (e.g. by NaN) first"
        )
    return arr


def float_matrix(frame):
    """A frame's values as a float64 array with NaN for missing, nullable integer columns
    (Int64 with pd.NA) included: ``frame.values.astype(float)`` fails on pd.NA."""
    if frame.shape[1] == 0:
        return np.zeros(frame.shape, dtype=np.float64)
    return np.column_stack(
        [frame.iloc[:, j].to_numpy(dtype="float64", na_value=np.nan) for j in range(frame.shape[1])]
    )
