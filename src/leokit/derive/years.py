"""Tax years, academic years and years after graduation (YAG).

    as_tax_year("2018/19")              # 201819
    tax_year_of("2019-04-06")           # 201920
    yag_tax_year(2020, 1)               # 202122: 1 YAG of 2019/20 graduates

SRS-bound: runs on Python 3.7 + pandas 1.0.1 + numpy 1.18.
"""

import re

import numpy as np
import pandas as pd

from leokit.derive.dates import (
    apr6_day,
    as_series,
    day_numbers,
    days_to_timestamps,
    month_of_day,
    plain_value,
    shape_like,
    tax_start_year_of_day,
    to_dates,
    ty_code,
    year_of_day,
)

__all__ = [
    "MIN_YEAR",
    "MAX_YEAR",
    "as_tax_year",
    "tax_start_years",
    "tax_year_of",
    "tax_year_start",
    "tax_year_end",
    "tax_year_label",
    "days_in_tax_year",
    "tax_years_between",
    "academic_year_of",
    "acadyr_text",
    "yag_tax_year",
    "years_after_graduation",
]

_TAX_YEAR_TEXT = re.compile(r"^\s*(\d{4})\s*[/-]?\s*(\d{4}|\d{2})\s*$")


# Years outside this range are far more likely to be a typo (or an academic-year code such as
# 201920 passed where an end year is wanted) than real LEO data.
MIN_YEAR, MAX_YEAR = 1900, 2100


def as_tax_year(values, name="TaxYear"):
    """Validate TaxYear values and return them as ints YYYYyy (e.g. 201819).

    Accepts ints (201819), integral floats, and text '201819', '2018/19', '2018-19' or
    '2018/2019' (the FFT data dictionary writes TaxYear as text). A scalar gives an int, a
    Series an int64 Series with the same index, anything else a numpy array. Raises ValueError
    naming the first bad value, e.g. 201820 (the second part must be the following year).
    """
    s, kind = as_series(values)
    if s.isna().any():
        raise ValueError(f"{name}: {int(s.isna().sum())} missing value(s)")
    if pd.api.types.is_bool_dtype(s.dtype):
        raise ValueError(f"{name}: expected ints such as 201819, got booleans")
    if pd.api.types.is_numeric_dtype(s.dtype):
        arr = s.values.astype(np.float64)
        integral = np.floor(arr) == arr
        codes = np.where(integral, arr, 0).astype(np.int64)
        start, end = codes // 100, codes % 100
        ok = integral & (end == (start + 1) % 100)
    else:
        parts = s.astype(str).str.extract(_TAX_YEAR_TEXT)
        start = pd.to_numeric(parts[0], errors="coerce").fillna(0).astype(np.int64).values
        end = pd.to_numeric(parts[1], errors="coerce").fillna(0).astype(np.int64).values
        four = (parts[1].str.len() == 4).values
        # '2018/2019' names the second year in full, '2018/19' by its last two digits
        ok = parts[0].notna().values & np.where(four, end == start + 1, end == (start + 1) % 100)
    ok = ok & (start >= MIN_YEAR) & (start < MAX_YEAR)
    if not np.all(ok):
        bad = s[~np.asarray(ok)]
        raise ValueError(
            "invalid {} {!r}{}: expected an int YYYYyy where yy is the year after YYYY, e.g. "
            "201819 for 6 Apr 2018 to 5 Apr 2019".format(
                name,
                plain_value(bad.iloc[0]),
                f" (and {len(bad) - 1} more)" if len(bad) > 1 else "",
            )
        )
    return shape_like(ty_code(start), s, kind, name=s.name if kind == "series" else name)


def tax_start_years(tax_years, name="TaxYear"):
    return np.asarray(as_tax_year(as_series(tax_years)[0], name=name).values) // 100


def tax_year_of(dates):
    """TaxYear (int, e.g. 201819) containing each date.

    A tax year runs 6 April to 5 April: 5 April 2019 is in 201819, 6 April 2019 in 201920.
    Accepts a scalar (returns an int), a Series (returns an int64 Series, same index) or a list
    or array (returns an array). Dates may be datetime.date, Timestamps, datetime64 or ISO text.
    Missing dates and the open-spell marker 9999-12-31 raise ValueError: replace them first,
    e.g. with ``to_dates(col, open_end=...)``.
    """
    s, kind = as_series(dates)
    parsed = to_dates(s)
    if parsed.isna().any():
        raise ValueError(
            f"tax_year_of: {int(parsed.isna().sum())} missing or open-ended (9999-12-31) date(s); drop them or give them "
            "a date with to_dates(..., open_end=...) first"
        )
    start = tax_start_year_of_day(day_numbers(parsed))
    return shape_like(ty_code(start), s, kind, name="TaxYear")


def tax_year_start(tax_year):
    """First day (6 April) of each tax year, as a Timestamp (or a datetime64 Series/array)."""
    s, kind = as_series(tax_year)
    start = tax_start_years(s)
    return shape_like(days_to_timestamps(apr6_day(start)), s, kind, name="tax_year_start")


def tax_year_end(tax_year):
    """Last day (5 April, inclusive) of each tax year, as a Timestamp (or Series/array)."""
    s, kind = as_series(tax_year)
    start = tax_start_years(s)
    return shape_like(days_to_timestamps(apr6_day(start + 1) - 1), s, kind, name="tax_year_end")


def tax_year_label(tax_year):
    """Publication label of a tax year: 201819 -> '2018/19'; 199900 -> '1999/00'."""
    s, kind = as_series(tax_year)
    start = tax_start_years(s)
    labels = [f"{y}/{(y + 1) % 100:02d}" for y in start]
    return shape_like(np.array(labels, dtype=object), s, kind, name="tax_year_label")


def days_in_tax_year(tax_year):
    """Number of days in each tax year: 366 when it contains 29 February (e.g. 201920)."""
    s, kind = as_series(tax_year)
    start = tax_start_years(s)
    return shape_like(apr6_day(start + 1) - apr6_day(start), s, kind, name="days_in_tax_year")


def tax_years_between(first, last):
    """List of TaxYear ints from ``first`` to ``last`` inclusive: (201718, 201920) ->
    [201718, 201819, 201920]."""
    a, b = as_tax_year(first) // 100, as_tax_year(last) // 100
    if b < a:
        raise ValueError(f"tax_years_between: last {last} is before first {first}")
    return [int(c) for c in ty_code(np.arange(a, b + 1))]


def _check_year(values, name, hint=""):
    arr = np.asarray(values)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.floor(arr) == arr):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"{name}: expected int years such as 2019, got {values!r}")
    bad = (arr < MIN_YEAR) | (arr > MAX_YEAR)
    if np.any(bad):
        raise ValueError(
            f"{name}: {plain_value(arr[bad].flat[0])!r} is not a year between {MIN_YEAR} and {MAX_YEAR}{hint}"
        )
    return arr.astype(np.int64)


def academic_year_of(dates, start_month=9):
    """Academic year of each date, named by the year it ends: 2019 for 2018/19.

    Schools (NPD) and the ILR start the year in September (``start_month=9``); HESA starts it
    on 1 August (``start_month=8``). Same input/output shapes as ``tax_year_of``.
    """
    if start_month not in range(1, 13):
        raise ValueError(f"start_month must be 1..12, got {start_month!r}")
    s, kind = as_series(dates)
    parsed = to_dates(s)
    if parsed.isna().any():
        raise ValueError(
            f"academic_year_of: {int(parsed.isna().sum())} missing or open-ended date(s)"
        )
    days = day_numbers(parsed)
    year = year_of_day(days)
    month = month_of_day(days) % 12 + 1
    end_year = year + ((month >= start_month) & (start_month > 1)).astype(np.int64)
    return shape_like(end_year, s, kind, name="academic_year")


def acadyr_text(end_year):
    """Label of an academic year from its end year: 2019 -> '2018/2019' (the ``acadyr`` style
    of NPD/HESA tables). Vectorised like ``tax_year_label``."""
    s, kind = as_series(end_year)
    years = _check_year(s.values.astype(np.float64), "acadyr_text")
    labels = [f"{y - 1}/{y}" for y in years]
    return shape_like(np.array(labels, dtype=object), s, kind, name="acadyr")


def _broadcast_out(result, *inputs):
    """Series if any input was a Series (keep its index), int if all were scalars, else array."""
    for x in inputs:
        if isinstance(x, pd.Series):
            return pd.Series(np.asarray(result), index=x.index)
    if all(np.ndim(x) == 0 for x in inputs):
        return int(np.asarray(result).item())
    return np.asarray(result)


_GRAD_HINT = (
    "; pass the calendar year the academic year of graduation ends in "
    "(2020 for 2019/20), not an academic-year or tax-year code"
)


def yag_tax_year(grad_year_end, n):
    """TaxYear that is ``n`` years after graduation (DfE rule).

    Graduating in the academic year ending in Y, n YAG is the tax year starting 6 April of Y+n
    (1 YAG is the first full tax year after graduation): 2019/20 graduates (Y=2020) -> 1 YAG is
    202122; 2003/04 graduates (Y=2004) -> 10 YAG is 201415. Vectorised over both arguments.
    """
    y = _check_year(_values(grad_year_end), "grad_year_end", _GRAD_HINT)
    k = np.asarray(_values(n))
    if k.dtype.kind not in "iu":
        raise ValueError(f"n (years after graduation) must be an int, got {n!r}")
    return _broadcast_out(ty_code(y + k), grad_year_end, n)


def years_after_graduation(grad_year_end, tax_year):
    """Inverse of ``yag_tax_year``: how many years after graduation a tax year is.

    Values of 0 or less mean the tax year is before 1 YAG (0 is the tax year that starts in the
    April before the academic year of graduation ends, i.e. while still studying).
    """
    y = _check_year(_values(grad_year_end), "grad_year_end", _GRAD_HINT)
    start = tax_start_years(_values(tax_year))
    return _broadcast_out(start - y, grad_year_end, tax_year)


def _values(x):
    return x.values if isinstance(x, (pd.Series, pd.Index)) else x
