"""DfE and research derivations for LEO: tax years, academic years, years after graduation (YAG),
employment spells, sustained employment and annualised earnings.

This file is meant to be copied into the ONS Secure Research Service on its own, so it imports
only pandas, numpy and the standard library and runs on Python 3.7 with pandas 1.0 / numpy 1.18
as well as on current pandas.

Conventions (see the research note leo_schema.md, section 4):

* ``TaxYear`` is an int such as 201819, meaning 6 April 2018 to 5 April 2019.
* Academic years are named by the calendar year they end in: 2019 is 2018/19.
* Dates are inclusive days. ``9999-12-31`` marks an open (ongoing) spell.
* The person key is ``EduKey`` in some views and ``Edukey`` in others; every function takes
  ``person=None`` and then uses the column whose lower-case name is ``edukey``.

Internally dates become int day numbers (days since 1970-01-01). Integer arithmetic behaves the
same on every pandas version and avoids datetime64[ns] overflow at 9999-12-31.
"""

import datetime
import re

import numpy as np
import pandas as pd

__all__ = [
    "OPEN_END",
    "find_person_column",
    "as_tax_year",
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
    "to_dates",
    "clip_spells",
    "merge_spells",
    "days_employed",
    "sustained_employment",
    "annualised_earnings",
    "earnings_panel",
]

#: The date LEO uses for the end of a spell that is still open.
OPEN_END = datetime.date(9999, 12, 31)
_OPEN_END_TEXT = "9999-12-31"

_TAX_YEAR_TEXT = re.compile(r"^\s*(\d{4})\s*[/-]?\s*(\d{4}|\d{2})\s*$")
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
# Years outside this range are far more likely to be a typo (or an academic-year code such as
# 201920 passed where an end year is wanted) than real LEO data.
_MIN_YEAR, _MAX_YEAR = 1900, 2100
# datetime64[ns] covers 1677-09-21 .. 2262-04-11; numpy would wrap silently outside it.
_NS_MIN = np.datetime64("1677-09-22", "D")
_NS_MAX = np.datetime64("2262-04-11", "D")


# ---------------------------------------------------------------------------------------------
# small helpers


def _as_series(values):
    """Wrap scalars, lists and arrays as a Series; return (series, kind) to shape the output."""
    if isinstance(values, pd.Series):
        return values, "series"
    if isinstance(values, pd.Index):
        return pd.Series(values, name=values.name), "array"
    if isinstance(values, (str, bytes, datetime.date, np.datetime64)) or np.ndim(values) == 0:
        dtype = object if isinstance(values, (datetime.date, np.datetime64)) else None
        return pd.Series([values], dtype=dtype), "scalar"
    if isinstance(values, np.ndarray):
        return pd.Series(values), "array"
    values = list(values)
    return pd.Series(values, dtype=None if values else object), "array"


def _shape_like(result, series, kind, name=None):
    """Return ``result`` (array-like aligned with ``series``) in the caller's input shape."""
    if kind == "scalar":
        value = np.asarray(result)[0]
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.datetime64):
            return pd.Timestamp(value)
        return value
    out = pd.Series(np.asarray(result), index=series.index, name=name)
    if kind == "series":
        return out
    return out.values


def _py(value):
    """Plain Python value for error messages (numpy 2 reprs scalars as np.int64(...))."""
    return value.item() if isinstance(value, np.generic) else value


def find_person_column(df, person=None):
    """Return the name of the person-key column of ``df``.

    With ``person=None`` this is the column whose lower-case name is ``edukey`` (LEO spells it
    ``EduKey`` in leo_employment and leo_benefit but ``Edukey`` in leo_earnings,
    leo_self_assessment and leo_geography). A given ``person`` is matched exactly first, then
    case-insensitively. Raises ValueError naming the frame's columns if there is no match.
    """
    _require_frame(df, "find_person_column")
    wanted = "edukey" if person is None else str(person).lower()
    if person is not None and person in df.columns:
        return person
    matches = [c for c in df.columns if str(c).lower() == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ValueError(f"several person key columns {matches}; pass person= to choose one")
    what = "a column named EduKey/Edukey (any case)" if person is None else repr(person)
    raise ValueError(
        f"no person key column: expected {what}; the frame's columns are {[str(c) for c in df.columns]}. "
        "Pass person='<column>' to name it."
    )


def _require_columns(df, columns, what):
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{what} is missing column(s) {missing}; its columns are {[str(c) for c in df.columns]}"
        )


def _require_frame(df, what):
    if not hasattr(df, "columns") or isinstance(df, type):  # a DataFrame, or one's stand-in
        raise ValueError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")


def _one_date(value, name):
    """A single date argument (date, Timestamp, datetime64 or ISO text) as a Timestamp."""
    if value is None or (np.ndim(value) != 0 and not isinstance(value, str)):
        raise ValueError(f"{name}: expected one date (e.g. '2021-04-05'), got {value!r}")
    parsed = to_dates([value], name=name)
    if parsed.isna().any():
        raise ValueError(
            f"{name}: {value!r} is missing or the open-spell marker {_OPEN_END_TEXT}; "
            "expected a real date (e.g. the last day the extract covers)"
        )
    return pd.Timestamp(parsed.iloc[0])


def _date_text(day):
    """ISO text of a day number."""
    return str(np.asarray(day, dtype=np.int64).astype("datetime64[D]"))


def _day_of(value, name):
    """Day number of a single date argument (see _one_date)."""
    return int(_day_numbers(pd.Series([_one_date(value, name)]))[0])


# The data window's checks, shared with leokit.derive_sql (same rules, same messages). Days
# are day numbers (days since 1970-01-01); years are tax years' start years.


def _check_window(years, end_day, end_name, first_start, latest_open_start, window):
    """ValueError when `end_day` (data_end, or merge_spells' open_end) leaves nothing to count.

    window             end_day is the last day the data covers: a requested tax year starting
                       after it, or an end before every spell starts, is an error
    first_start        earliest spell start (None: no spells)
    latest_open_start  latest start of an open spell (None: none), for open_end
    """
    if window and years is not None:
        late = [int(y) for y in years if _apr6_day(y)[0] > end_day]
        if late:
            raise ValueError(
                f"tax year {_ty_code(late[0])} starts after {end_name} {_date_text(end_day)}: "
                f"the data cannot say who was employed then; drop "
                f"{'those years' if len(late) > 1 else 'it'} or give the last day the extract "
                f"covers as {end_name}"
            )
    if window and first_start is not None and first_start > end_day:
        raise ValueError(
            f"{end_name} {_date_text(end_day)} is before every spell starts (the first starts "
            f"{_date_text(first_start)}): it is the last day the data covers"
        )
    if not window and latest_open_start is not None and latest_open_start > end_day:
        raise ValueError(
            f"{end_name} {_date_text(end_day)} is before an open spell starts (one starts "
            f"{_date_text(latest_open_start)}): open spells cannot end before they start"
        )


def _check_oct_mar_window(tax_years, end_day):
    """ValueError when a requested tax year's October-March window ends after data_end."""
    codes = np.asarray(as_tax_year(_as_series(tax_years)[0]).values)
    last_march = _apr6_day(codes // 100 + 1) - 6  # 31 March
    cut = last_march > end_day
    if cut.any():
        raise ValueError(
            f"tax year {_py(codes[cut][0])}: its October-March window runs to "
            f"{_date_text(last_march[cut][0])}, after data_end {_date_text(end_day)}; months "
            "after data_end are unobserved, so drop that year"
        )


def _check_year_ends(years, end_day):
    """ValueError when an earnings tax year ends after data_end (annualised_earnings)."""
    years = sorted(int(t) for t in years)
    if not years:
        return
    year_end = _apr6_day(np.asarray(years) // 100 + 1) - 1
    cut = year_end > end_day
    if cut.any():
        raise ValueError(
            f"earnings in tax year {np.asarray(years)[cut][0]} run to "
            f"{_date_text(year_end[cut][0])}, after data_end {_date_text(end_day)}: employment "
            "after data_end is not counted, so the pay would be annualised over too few days; "
            "drop that year or give the extract's last day as data_end"
        )


def _check_min_months(min_months):
    if isinstance(min_months, (bool, np.bool_)) or min_months not in range(1, 7):
        raise ValueError(
            f"min_months must be a whole number of months from 1 to 6 (DfE: 5), got {min_months!r}"
        )


def _pay_problem(col, n_text, text_example, n_missing, n_inf, n_negative, negative_example):
    """ValueError for an earnings column with text, missing, infinite or negative values."""
    if n_text:
        return ValueError(f"{col}: {n_text} value(s) are not numbers, e.g. {text_example!r}")
    if n_missing:
        return ValueError(
            f"{col}: {n_missing} missing value(s) in earnings records; decide first what they "
            "mean (a missing row already means no PAYE pay)"
        )
    if n_inf:
        return ValueError(f"{col}: {n_inf} infinite value(s)")
    if n_negative:
        return ValueError(
            f"{col}: {n_negative} negative value(s), e.g. {negative_example!r}; LEO sets a "
            "negative annual total to 0: set them to 0 or drop them first"
        )
    return None


def _check_unique(df, keys, what):
    dup = df.duplicated(subset=keys, keep=False)
    if dup.any():
        example = tuple(_py(v) for v in df.loc[dup, keys].iloc[0])
        raise ValueError(
            "{} has {} rows with a duplicated ({}), e.g. {}; expected one row per person "
            "per tax year".format(what, int(dup.sum()), ", ".join(str(k) for k in keys), example)
        )


def _apr6_day(years):
    """Day number of 6 April of each year (array of ints)."""
    months = (np.atleast_1d(np.asarray(years, dtype=np.int64)) - 1970) * 12 + 3
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + 5


def _year_of_day(days):
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _month_of_day(days):
    """Months since January 1970 of each day number."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _tax_start_year_of_day(days):
    days = np.asarray(days, dtype=np.int64)
    year = _year_of_day(days)
    return year - (days < _apr6_day(year)).astype(np.int64)


def _ty_code(start_year):
    start_year = np.asarray(start_year, dtype=np.int64)
    return start_year * 100 + (start_year + 1) % 100


def _day_numbers(dates):
    """int64 day numbers of a datetime64 Series that has no NaT."""
    return dates.values.astype("datetime64[D]").astype(np.int64)


def _days_to_timestamps(days):
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]")


# ---------------------------------------------------------------------------------------------
# tax years


def as_tax_year(values, name="TaxYear"):
    """Validate TaxYear values and return them as ints YYYYyy (e.g. 201819).

    Accepts ints (201819), integral floats, and text '201819', '2018/19', '2018-19' or
    '2018/2019' (the FFT data dictionary writes TaxYear as text). A scalar gives an int, a
    Series an int64 Series with the same index, anything else a numpy array. Raises ValueError
    naming the first bad value, e.g. 201820 (the second part must be the following year).
    """
    s, kind = _as_series(values)
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
    ok = ok & (start >= _MIN_YEAR) & (start < _MAX_YEAR)
    if not np.all(ok):
        bad = s[~np.asarray(ok)]
        raise ValueError(
            "invalid {} {!r}{}: expected an int YYYYyy where yy is the year after YYYY, e.g. "
            "201819 for 6 Apr 2018 to 5 Apr 2019".format(
                name,
                _py(bad.iloc[0]),
                f" (and {len(bad) - 1} more)" if len(bad) > 1 else "",
            )
        )
    return _shape_like(_ty_code(start), s, kind, name=s.name if kind == "series" else name)


def _tax_start_years(tax_years, name="TaxYear"):
    return np.asarray(as_tax_year(_as_series(tax_years)[0], name=name).values) // 100


def tax_year_of(dates):
    """TaxYear (int, e.g. 201819) containing each date.

    A tax year runs 6 April to 5 April: 5 April 2019 is in 201819, 6 April 2019 in 201920.
    Accepts a scalar (returns an int), a Series (returns an int64 Series, same index) or a list
    or array (returns an array). Dates may be datetime.date, Timestamps, datetime64 or ISO text.
    Missing dates and the open-spell marker 9999-12-31 raise ValueError: replace them first,
    e.g. with ``to_dates(col, open_end=...)``.
    """
    s, kind = _as_series(dates)
    parsed = to_dates(s)
    if parsed.isna().any():
        raise ValueError(
            f"tax_year_of: {int(parsed.isna().sum())} missing or open-ended (9999-12-31) date(s); drop them or give them "
            "a date with to_dates(..., open_end=...) first"
        )
    start = _tax_start_year_of_day(_day_numbers(parsed))
    return _shape_like(_ty_code(start), s, kind, name="TaxYear")


def tax_year_start(tax_year):
    """First day (6 April) of each tax year, as a Timestamp (or a datetime64 Series/array)."""
    s, kind = _as_series(tax_year)
    start = _tax_start_years(s)
    return _shape_like(_days_to_timestamps(_apr6_day(start)), s, kind, name="tax_year_start")


def tax_year_end(tax_year):
    """Last day (5 April, inclusive) of each tax year, as a Timestamp (or Series/array)."""
    s, kind = _as_series(tax_year)
    start = _tax_start_years(s)
    return _shape_like(_days_to_timestamps(_apr6_day(start + 1) - 1), s, kind, name="tax_year_end")


def tax_year_label(tax_year):
    """Publication label of a tax year: 201819 -> '2018/19'; 199900 -> '1999/00'."""
    s, kind = _as_series(tax_year)
    start = _tax_start_years(s)
    labels = [f"{y}/{(y + 1) % 100:02d}" for y in start]
    return _shape_like(np.array(labels, dtype=object), s, kind, name="tax_year_label")


def days_in_tax_year(tax_year):
    """Number of days in each tax year: 366 when it contains 29 February (e.g. 201920)."""
    s, kind = _as_series(tax_year)
    start = _tax_start_years(s)
    return _shape_like(_apr6_day(start + 1) - _apr6_day(start), s, kind, name="days_in_tax_year")


def tax_years_between(first, last):
    """List of TaxYear ints from ``first`` to ``last`` inclusive: (201718, 201920) ->
    [201718, 201819, 201920]."""
    a, b = as_tax_year(first) // 100, as_tax_year(last) // 100
    if b < a:
        raise ValueError(f"tax_years_between: last {last} is before first {first}")
    return [int(c) for c in _ty_code(np.arange(a, b + 1))]


# ---------------------------------------------------------------------------------------------
# academic years and years after graduation


def _check_year(values, name, hint=""):
    arr = np.asarray(values)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.floor(arr) == arr):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"{name}: expected int years such as 2019, got {values!r}")
    bad = (arr < _MIN_YEAR) | (arr > _MAX_YEAR)
    if np.any(bad):
        raise ValueError(
            f"{name}: {_py(arr[bad].flat[0])!r} is not a year between {_MIN_YEAR} and {_MAX_YEAR}{hint}"
        )
    return arr.astype(np.int64)


def academic_year_of(dates, start_month=9):
    """Academic year of each date, named by the year it ends: 2019 for 2018/19.

    Schools (NPD) and the ILR start the year in September (``start_month=9``); HESA starts it
    on 1 August (``start_month=8``). Same input/output shapes as ``tax_year_of``.
    """
    if start_month not in range(1, 13):
        raise ValueError(f"start_month must be 1..12, got {start_month!r}")
    s, kind = _as_series(dates)
    parsed = to_dates(s)
    if parsed.isna().any():
        raise ValueError(
            f"academic_year_of: {int(parsed.isna().sum())} missing or open-ended date(s)"
        )
    days = _day_numbers(parsed)
    year = _year_of_day(days)
    month = _month_of_day(days) % 12 + 1
    end_year = year + ((month >= start_month) & (start_month > 1)).astype(np.int64)
    return _shape_like(end_year, s, kind, name="academic_year")


def acadyr_text(end_year):
    """Label of an academic year from its end year: 2019 -> '2018/2019' (the ``acadyr`` style
    of NPD/HESA tables). Vectorised like ``tax_year_label``."""
    s, kind = _as_series(end_year)
    years = _check_year(s.values.astype(np.float64), "acadyr_text")
    labels = [f"{y - 1}/{y}" for y in years]
    return _shape_like(np.array(labels, dtype=object), s, kind, name="acadyr")


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
    return _broadcast_out(_ty_code(y + k), grad_year_end, n)


def years_after_graduation(grad_year_end, tax_year):
    """Inverse of ``yag_tax_year``: how many years after graduation a tax year is.

    Values of 0 or less mean the tax year is before 1 YAG (0 is the tax year that starts in the
    April before the academic year of graduation ends, i.e. while still studying).
    """
    y = _check_year(_values(grad_year_end), "grad_year_end", _GRAD_HINT)
    start = _tax_start_years(_values(tax_year))
    return _broadcast_out(start - y, grad_year_end, tax_year)


def _values(x):
    return x.values if isinstance(x, (pd.Series, pd.Index)) else x


# ---------------------------------------------------------------------------------------------
# dates and spells


def to_dates(values, open_end=None, name=None):
    """Parse dates to a datetime64[ns] Series, handling LEO's open-spell marker.

    ``values`` may hold datetime.date / datetime objects (what SQL Server via pyodbc and the
    Parquet reader give, as object dtype), ISO 'YYYY-MM-DD' text (a time part is ignored) or
    datetime64 of any unit. ``9999-12-31`` cannot be held as datetime64[ns], so it becomes
    ``open_end`` (e.g. the end of the analysis window) or NaT if ``open_end`` is None. Missing
    values stay NaT. Anything else that is not a date raises ValueError naming the column and
    an example. Text must be ISO: day-first or month-first text is ambiguous and is refused.
    A scalar gives a Timestamp, a list or array a Series with a fresh index.
    """
    s, kind = _as_series(values)
    label = name if name is not None else (s.name if s.name is not None else "dates")
    if open_end is not None:
        open_end = _one_date(open_end, "open_end")
    # work positionally: labels may repeat
    flat = pd.Series(s.values)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        raw = np.asarray(s.values)
        present = ~np.isnat(raw)
        # compare in days: numpy casts the other operand to raw's unit, and 9999-12-31 in ns
        # wraps around
        day = raw.astype("datetime64[D]")
        is_open = present & (day >= np.datetime64(_OPEN_END_TEXT, "D"))
        bad = present & ~is_open & ((day < _NS_MIN) | (day > _NS_MAX))
        parsed = np.where(is_open | bad, np.datetime64("NaT"), raw).astype("datetime64[ns]")
    else:
        obj = s.astype(object).values
        present = pd.notna(obj)
        inferred = pd.api.types.infer_dtype(obj, skipna=True)
        is_open = np.zeros(len(obj), dtype=bool)
        if inferred in ("date", "datetime", "datetime64"):
            parsed = pd.to_datetime(pd.Series(obj), errors="coerce").values
            failed = present & np.isnat(parsed)
            text = pd.Series(obj[failed]).astype(str).str.slice(0, 10)
            is_open[failed] = (text == _OPEN_END_TEXT).values
        else:
            text = pd.Series(obj[present]).astype(str).str.strip().str.slice(0, 10)
            iso = text.str.match(_ISO_DATE)
            parsed = np.full(len(obj), np.datetime64("NaT"), dtype="datetime64[ns]")
            if len(text):
                parsed[present] = pd.to_datetime(
                    text.where(iso), format="%Y-%m-%d", errors="coerce"
                ).values
            is_open[present] = (text == _OPEN_END_TEXT).values
        bad = present & np.isnat(parsed) & ~is_open
    if bad.any():
        raise ValueError(
            f"{label}: {int(bad.sum())} value(s) could not be read as dates, e.g. {_py(flat[bad].iloc[0])!r}; expected datetime.date or "
            f"datetime64 values or 'YYYY-MM-DD' text ({_OPEN_END_TEXT} marks an open spell)"
        )
    if open_end is not None and is_open.any():
        parsed = parsed.copy()
        parsed[is_open] = np.datetime64(open_end.to_datetime64())
    if kind == "scalar":
        return pd.Timestamp(parsed[0])
    index = s.index if kind == "series" else None
    return pd.Series(parsed, index=index, name=s.name)


def clip_spells(spells, start, end, start_col="StartDate", end_col="EndDate"):
    """Clip spells to the window [start, end] (inclusive dates) and drop those outside it.

    Returns a copy with ``start_col``/``end_col`` as datetime64[ns]; open ends (9999-12-31 or
    missing) run to ``end``. Useful before any per-window count of days or months.
    """
    _require_frame(spells, "spells")
    _require_columns(spells, [start_col, end_col], "spells")
    lo, hi = _one_date(start, "clip_spells start"), _one_date(end, "clip_spells end")
    if hi < lo:
        raise ValueError(f"clip_spells: end {end} is before start {start}")
    s = to_dates(spells[start_col], name=start_col)
    e = to_dates(spells[end_col], open_end=hi, name=end_col).fillna(hi)
    if s.isna().any():
        raise ValueError(f"{start_col}: {int(s.isna().sum())} spell(s) have no start date")
    s = s.where(s >= lo, lo)
    e = e.where(e <= hi, hi)
    keep = (s <= e).values
    out = spells.loc[keep].copy()
    out[start_col] = s[keep]
    out[end_col] = e[keep]
    return out


def _spell_days(spells, person, start_col, end_col, data_end, tax_years, window=True,
                end_name="data_end"):  # fmt: skip
    """Validated spells as int day numbers: (frame [person, start, end], person column name,
    all persons). Open ends become ``data_end`` (see ``days_employed``); spells are clipped to
    the requested tax years so an open spell never explodes into centuries of years.

    window  data_end is the end of the data window: nothing after it is counted (closed spells
            are cut there too) and a requested tax year starting after it is an error. Else it
            is only where open spells end (merge_spells' open_end)."""
    _require_frame(spells, "employment spells")
    pcol = find_person_column(spells, person)
    _require_columns(spells, [start_col, end_col], "employment spells")
    keyed = spells[pcol].notna().values
    start = to_dates(spells[start_col], name=start_col)[keyed]
    end = to_dates(spells[end_col], name=end_col)[keyed]
    keys = spells[pcol][keyed]
    if start.isna().any():
        raise ValueError(
            f"{start_col}: {int(start.isna().sum())} spell(s) have no start date (row {_py(start.index[start.isna().values][0])!r} is one)"
        )
    s_days = _day_numbers(start)
    is_open = end.isna().values
    e_days = np.where(is_open, 0, _day_numbers(end.fillna(pd.Timestamp(0))))
    backwards = ~is_open & (e_days < s_days)
    if backwards.any():
        raise ValueError(
            f"{int(backwards.sum())} spell(s) end before they start (row {_py(start.index[backwards][0])!r} is one); fix or drop them"
        )
    ty_years = None if tax_years is None else np.unique(_tax_start_years(tax_years))
    if ty_years is not None and not len(ty_years):
        raise ValueError("tax_years is empty: give at least one tax year, or None for all")
    if data_end is not None:
        window_end = _day_of(data_end, end_name)
        _check_window(
            ty_years,
            window_end,
            end_name,
            int(s_days.min()) if len(s_days) else None,
            int(s_days[is_open].max()) if is_open.any() else None,
            window,
        )
        if window:  # nothing after the end of the data is counted
            e_days = np.minimum(e_days, window_end)
    elif ty_years is not None and len(ty_years):
        window_end = int(_apr6_day(ty_years.max() + 1)[0] - 1)
    elif len(s_days):
        latest = max(s_days.max(), e_days[~is_open].max() if (~is_open).any() else s_days.max())
        window_end = int(_apr6_day(_tax_start_year_of_day([latest]) + 1)[0] - 1)
    else:
        window_end = 0
    e_days = np.where(is_open, window_end, e_days)
    if ty_years is not None and len(ty_years):
        s_days = np.maximum(s_days, _apr6_day(ty_years.min())[0])
        e_days = np.minimum(e_days, _apr6_day(ty_years.max() + 1)[0] - 1)
    keep = s_days <= e_days
    frame = pd.DataFrame({pcol: keys.values[keep], "_start": s_days[keep], "_end": e_days[keep]})
    persons = _keys(keys.values)
    return frame, pcol, persons


def _merge_day_spells(frame, pcol):
    """Union of overlapping or abutting spells per person (int day numbers)."""
    if frame.empty:
        return frame
    frame = frame.sort_values([pcol, "_start", "_end"], kind="mergesort").reset_index(drop=True)
    reach = frame.groupby(pcol, sort=False)["_end"].cummax()
    prev_reach = reach.groupby(frame[pcol], sort=False).shift(1)
    new_block = prev_reach.isna().values | (
        frame["_start"].values > prev_reach.fillna(0).values + 1
    )
    block = np.cumsum(new_block)
    return (
        frame.groupby(block, sort=False)
        .agg({pcol: "first", "_start": "min", "_end": "max"})
        .reset_index(drop=True)
    )


def merge_spells(spells, person=None, start_col="StartDate", end_col="EndDate", open_end=None):
    """Union of each person's overlapping or abutting spells (e.g. after two EduKeys of one
    person were mapped to one key). Returns [person, start_col, end_col] with datetime64 dates;
    open ends become ``open_end`` (default: end of the tax year of the latest date in the data).
    """
    frame, pcol, _ = _spell_days(
        spells, person, start_col, end_col, open_end, None, window=False, end_name="open_end"
    )
    merged = _merge_day_spells(frame, pcol)
    return pd.DataFrame(
        {
            pcol: merged[pcol].values,
            start_col: _days_to_timestamps(merged["_start"].values),
            end_col: _days_to_timestamps(merged["_end"].values),
        }
    )


def _explode_tax_years(frame, pcol):
    """One row per (spell, tax year it touches), with the tax year's start year in ``_y``."""
    first = _tax_start_year_of_day(frame["_start"].values)
    last = _tax_start_year_of_day(frame["_end"].values)
    n = (last - first + 1).astype(np.int64)
    rows = np.repeat(np.arange(len(frame)), n)
    offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    return pd.DataFrame(
        {
            pcol: frame[pcol].values[rows],
            "_start": frame["_start"].values[rows],
            "_end": frame["_end"].values[rows],
            "_y": first[rows] + offset,
        }
    )


def _keys(values):
    """Person keys as an array, object dtype when empty (pandas 1.x warns on empty Series
    without a dtype, and merging an empty float key column with string keys fails)."""
    values = np.asarray(values)
    if len(values) == 0:
        return values.astype(object)
    return pd.unique(pd.Series(values).dropna().values)


def _grid(persons, tax_years, pcol):
    persons = _keys(persons)
    years = np.asarray(list(tax_years), dtype=np.int64)
    return pd.DataFrame(
        {pcol: np.repeat(persons, len(years)), "TaxYear": np.tile(years, len(persons))}
    )


def _per_person_year(rows, pcol, columns, how):
    """Aggregate ``columns`` of ``rows`` by (person, TaxYear); typed empty frame if no rows."""
    if rows.empty:
        empty = {pcol: np.array([], dtype=object), "TaxYear": np.array([], dtype=np.int64)}
        for c in columns:
            empty[c] = np.array([], dtype=rows[c].dtype)
        return pd.DataFrame(empty)
    grouped = rows.groupby([pcol, "TaxYear"], sort=False)[columns]
    return getattr(grouped, how)().reset_index()


def _finish(frame, pcol):
    return frame.sort_values([pcol, "TaxYear"], kind="mergesort").reset_index(drop=True)


def days_employed(
    employment, tax_years=None, person=None, data_end=None, start_col="StartDate", end_col="EndDate"
):
    """Days in PAYE employment per person and tax year.

    Days are counted over the union of a person's spells clipped to each tax year, so
    overlapping spells (which occur when two keys of one person were merged) are not counted
    twice. Dates are inclusive: a spell from 6 April to 5 April is 365 (or 366) days.

    Open spells (EndDate 9999-12-31 or missing) run to the end of the data window: ``data_end``
    if given (best: the end of the extract, e.g. ``tax_year_end(202021)``); otherwise the end of
    the latest tax year in ``tax_years``; otherwise the end of the tax year holding the latest
    date in ``employment``.

    ``data_end`` is the last day the data covers: no day after it is counted (closed spells
    are cut there too, and spells starting after it are left out), so a tax year it cuts
    short counts only its days up to ``data_end``. A requested tax year that starts after
    ``data_end``, or a ``data_end`` before every spell starts, raises ValueError: the data
    cannot say anything about those days (it would otherwise read as 0 days employed).

    Returns columns [person, TaxYear, days_employed]. With ``tax_years`` every person in
    ``employment`` gets a row for every requested year (0 days where not employed); without it
    only the person-years with at least one day are returned. Spells without a person key
    (NULL) belong to nobody and are left out; an empty ``employment`` gives an empty result.
    """
    frame, pcol, persons = _spell_days(employment, person, start_col, end_col, data_end, tax_years)
    merged = _merge_day_spells(frame, pcol)
    rows = _explode_tax_years(merged, pcol)
    y = rows["_y"].values
    lo = np.maximum(rows["_start"].values, _apr6_day(y))
    hi = np.minimum(rows["_end"].values, _apr6_day(y + 1) - 1)
    rows["days_employed"] = (hi - lo + 1).astype(np.int64)
    rows["TaxYear"] = _ty_code(y)
    out = _per_person_year(rows, pcol, ["days_employed"], "sum")
    if tax_years is None:
        out["days_employed"] = out["days_employed"].astype(np.int64)
        return _finish(out, pcol)
    wanted = sorted(set(int(t) for t in as_tax_year(_as_series(tax_years)[0]).values))
    out = _grid(persons, wanted, pcol).merge(out, on=[pcol, "TaxYear"], how="left")
    out["days_employed"] = out["days_employed"].fillna(0).astype(np.int64)
    return _finish(out, pcol)


_OCT_MAR = ("Oct", "Nov", "Dec", "Jan", "Feb", "Mar")


def sustained_employment(
    employment,
    tax_years=None,
    self_assessment=None,
    person=None,
    data_end=None,
    min_months=5,
    start_col="StartDate",
    end_col="EndDate",
):
    """DfE sustained employment per person and tax year.

    DfE definition (SFR36/2016): in PAYE employment for at least one day in at least 5 of the 6
    months October to March of the tax year (October 2018 to March 2019 for 201819). A month
    counts once however many spells touch it.

    If ``self_assessment`` (leo_self_assessment: person key and TaxYear) is given, a person with
    an SA record in the tax year is also counted as sustained, since DfE releases from December
    2016 include self-employment. The exact DfE SA rule is not confirmed (leo_schema.md marks it
    uncertain); "any SA record in the tax year" is the assumption made here.

    Open spells and ``data_end`` are handled as in ``days_employed``; in addition a requested
    tax year whose October-March window ends after ``data_end`` raises ValueError (the months
    after it are unobserved, not months without work). ``min_months`` is 1 to 6. Returns
    [person, TaxYear,
    months_employed_oct_mar (0-6), sustained_paye, (sa_record if SA given), sustained,
    sustained_via] where ``sustained_via`` is 'PAYE', 'SA', 'PAYE+SA' or '' (not sustained).
    Rows: with ``tax_years``, every person in either input for every requested year; without
    it, every person-year with some employment or an SA record.
    """
    _check_min_months(min_months)
    if self_assessment is not None:
        _require_frame(self_assessment, "self_assessment")
    frame, pcol, persons = _spell_days(employment, person, start_col, end_col, data_end, tax_years)
    if data_end is not None and tax_years is not None:
        _check_oct_mar_window(tax_years, _day_of(data_end, "data_end"))
    merged = _merge_day_spells(frame, pcol)
    rows = _explode_tax_years(merged, pcol)
    first_month = _month_of_day(rows["_start"].values)
    last_month = _month_of_day(rows["_end"].values)
    october = (rows["_y"].values - 1970) * 12 + 9
    flags = {}
    for k, label in enumerate(_OCT_MAR):
        flags[label] = (first_month <= october + k) & (last_month >= october + k)
    months = pd.DataFrame(flags)
    months[pcol] = rows[pcol].values
    months["TaxYear"] = _ty_code(rows["_y"].values)
    by_year = _per_person_year(months, pcol, list(_OCT_MAR), "max")
    out = by_year[[pcol, "TaxYear"]].copy()
    out["months_employed_oct_mar"] = (
        by_year[list(_OCT_MAR)].values.astype(np.int64).sum(axis=1).astype(np.int64)
    )

    wanted = None
    if tax_years is not None:
        wanted = sorted(set(int(t) for t in as_tax_year(_as_series(tax_years)[0]).values))
        out = out[out["TaxYear"].isin(wanted)]

    sa_pairs = None
    if self_assessment is not None:
        sa_pcol = find_person_column(self_assessment, person)
        _require_columns(self_assessment, ["TaxYear"], "self_assessment")
        sa_pairs = pd.DataFrame(
            {
                pcol: self_assessment[sa_pcol].values,
                "TaxYear": as_tax_year(self_assessment["TaxYear"]).values,
            }
        ).dropna(subset=[pcol])
        sa_pairs = sa_pairs.drop_duplicates()
        if wanted is not None:
            sa_pairs = sa_pairs[sa_pairs["TaxYear"].isin(wanted)]
        sa_pairs = sa_pairs.assign(sa_record=True)
        sa_keys = self_assessment[sa_pcol].values.astype(object)
        persons = _keys(np.concatenate([np.asarray(persons, dtype=object), sa_keys]))

    if wanted is not None:
        out = _grid(persons, wanted, pcol).merge(out, on=[pcol, "TaxYear"], how="left")
    if sa_pairs is not None:
        out = out.merge(sa_pairs, on=[pcol, "TaxYear"], how="outer" if wanted is None else "left")
        out["sa_record"] = out["sa_record"].notna().values
    out["months_employed_oct_mar"] = out["months_employed_oct_mar"].fillna(0).astype(np.int64)
    paye = (out["months_employed_oct_mar"] >= min_months).values
    out["sustained_paye"] = paye
    sa = out["sa_record"].values.astype(bool) if sa_pairs is not None else np.zeros(len(out), bool)
    if sa_pairs is not None:
        out = out[[pcol, "TaxYear", "months_employed_oct_mar", "sustained_paye", "sa_record"]]
    else:
        out = out[[pcol, "TaxYear", "months_employed_oct_mar", "sustained_paye"]]
    out = out.copy()
    out["sustained"] = paye | sa
    via = np.where(paye & sa, "PAYE+SA", np.where(paye, "PAYE", np.where(sa, "SA", "")))
    out["sustained_via"] = via.astype(object)
    out["TaxYear"] = out["TaxYear"].astype(np.int64)
    return _finish(out, pcol)


# ---------------------------------------------------------------------------------------------
# earnings


def _pay_values(earnings, earnings_col):
    """The earnings column as float64; ValueError naming the column for text, missing values
    and negative pay (LEO sets a negative annual total to 0, so one is an error upstream)."""
    col = earnings[earnings_col]
    if pd.api.types.is_bool_dtype(col.dtype):
        raise ValueError(f"{earnings_col}: expected pay in pounds, got booleans")
    pay = pd.to_numeric(col, errors="coerce")
    text = (pay.isna() & col.notna()).values
    values = pay.values.astype(np.float64)
    missing = np.isnan(values) & ~text
    with np.errstate(invalid="ignore"):  # NaN compares False (numpy 1.18 warns)
        negative = values < 0
    problem = _pay_problem(
        earnings_col,
        int(text.sum()),
        _py(col[text].iloc[0]) if text.any() else None,
        int(missing.sum()),
        int(np.isinf(values).sum()),
        int(negative.sum()),
        _py(col[negative].iloc[0]) if negative.any() else None,
    )
    if problem is not None:
        raise problem
    return values


def _earnings_frame(earnings, person, earnings_col):
    _require_frame(earnings, "earnings")
    pcol = find_person_column(earnings, person)
    _require_columns(earnings, ["TaxYear", earnings_col], "earnings")
    ty = as_tax_year(earnings["TaxYear"])
    keyed = pd.DataFrame({pcol: earnings[pcol].values, "TaxYear": ty.values}, index=earnings.index)
    _check_unique(keyed, [pcol, "TaxYear"], "earnings")
    return pcol, ty


def annualised_earnings(
    earnings,
    employment,
    person=None,
    data_end=None,
    earnings_col="Earnings",
    start_col="StartDate",
    end_col="EndDate",
):
    """Annualised PAYE earnings: Earnings / days employed in the tax year x days in the tax year.

    This is the usual formula for DfE's "annualised earnings" (SFR36/2016 onwards), but the
    exact DfE formula is marked uncertain in leo_schema.md: DfE wording says x 365; here the
    actual length of the tax year (365 or 366) is used so a full-year worker's annualised pay
    equals their pay. Days employed come from ``days_employed`` (union of spells; open spells
    as described there).

    Returns a copy of ``earnings`` (same rows and index; TaxYear normalised to int) with
    ``days_employed``, ``days_in_tax_year`` and ``annualised_earnings``; the latter is NaN where
    the person has no employment days in that tax year. Duplicate (person, TaxYear) rows raise,
    as do missing, negative or non-numeric pay and (with ``data_end``) a tax year that ends
    after ``data_end``: its days after data_end are not counted, so its pay would be
    annualised over too few days.
    """
    pcol, ty = _earnings_frame(earnings, person, earnings_col)
    _require_frame(employment, "employment")
    pay = _pay_values(earnings, earnings_col)
    years = sorted(set(int(t) for t in ty.values))
    if data_end is not None:
        _check_year_ends(years, _day_of(data_end, "data_end"))
    out = earnings.copy()
    out["TaxYear"] = ty.values
    if not years:
        out["days_employed"] = np.zeros(0, dtype=np.int64)
        out["days_in_tax_year"] = np.zeros(0, dtype=np.int64)
        out["annualised_earnings"] = np.zeros(0, dtype=np.float64)
        return out
    days = days_employed(
        employment,
        tax_years=years,
        person=person,
        data_end=data_end,
        start_col=start_col,
        end_col=end_col,
    )
    days.columns = ["_p", "TaxYear", "days_employed"]
    lookup = pd.DataFrame({"_p": earnings[pcol].values, "TaxYear": ty.values})
    joined = lookup.merge(days, on=["_p", "TaxYear"], how="left")
    worked = joined["days_employed"].fillna(0).values.astype(np.int64)
    length = np.asarray(days_in_tax_year(ty.values))
    with np.errstate(divide="ignore", invalid="ignore"):
        annual = np.where(worked > 0, pay / np.maximum(worked, 1) * length, np.nan)
    out["days_employed"] = worked
    out["days_in_tax_year"] = length.astype(np.int64)
    out["annualised_earnings"] = annual
    return out


def earnings_panel(earnings, people, tax_years, person=None, columns=None, earnings_col="Earnings"):
    """Balanced person x tax-year panel of PAYE earnings.

    One row for every person in ``people`` and every year in ``tax_years``. ``Earnings`` is 0
    where there is no record (in LEO a missing row means no PAYE pay, not missing data) and
    ``has_record`` says whether a record existed (a record can itself be 0: negative totals
    are set to 0). Extra ``columns`` of ``earnings`` are carried along (missing where no
    record). Duplicate (person, TaxYear) rows in ``earnings`` raise ValueError.
    """
    columns = [] if columns is None else [columns] if isinstance(columns, str) else list(columns)
    pcol, ty = _earnings_frame(earnings, person, earnings_col)
    _pay_values(earnings, earnings_col)
    _require_columns(earnings, columns, "earnings")
    if people is None or isinstance(people, (pd.DataFrame, dict)):
        raise ValueError(
            f"people: expected the person keys (a list, array or Series), got {type(people).__name__}"
        )
    if tax_years is None:
        raise ValueError("tax_years: expected the tax years of the panel, e.g. [201819, 201920]")
    clash = [c for c in columns if c in (pcol, "TaxYear", earnings_col, "has_record")]
    if clash:
        raise ValueError(f"columns= must not repeat {clash}")
    wanted = sorted(set(int(t) for t in as_tax_year(_as_series(tax_years)[0]).values))
    people = _as_series(people)[0]
    if not wanted or not len(people.dropna()):
        empty = "tax_years" if not wanted else "people"
        raise ValueError(f"{empty} is empty: the panel would have no rows")
    grid = _grid(people.values, wanted, pcol)
    records = earnings[[pcol, earnings_col] + columns].copy()
    records["TaxYear"] = ty.values
    records["_has"] = True
    out = grid.merge(records, on=[pcol, "TaxYear"], how="left")
    has = out["_has"].notna().values
    pay = out[earnings_col]
    filled = pay.where(pd.Series(has, index=out.index), 0)
    if pd.api.types.is_integer_dtype(earnings[earnings_col].dtype) and filled.notna().all():
        filled = filled.astype(earnings[earnings_col].dtype)
    out[earnings_col] = filled
    out["has_record"] = has
    out = out[[pcol, "TaxYear", earnings_col, "has_record"] + columns]
    return _finish(out, pcol)
