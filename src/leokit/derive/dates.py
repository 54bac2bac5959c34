"""Dates as LEO holds them: parsing (to_dates), the open-spell marker, and the day numbers
(days since 1970-01-01) every derivation computes with; also the argument shapes shared by
the package (a scalar in, a scalar out; a Series in, a Series out).

    to_dates(["2019-04-05", "9999-12-31"], open_end="2021-04-05")
    day_of("2021-04-05", "data_end")       # 18722

Integer day arithmetic behaves the same on every pandas version and avoids datetime64[ns]
overflow at 9999-12-31.

SRS-bound: runs on Python 3.7 + pandas 1.0.1 + numpy 1.18 (standard library, numpy and pandas
only).
"""

import datetime

import numpy as np
import pandas as pd

__all__ = [
    "OPEN_END",
    "OPEN_END_TEXT",
    "NS_MIN",
    "NS_MAX",
    "to_dates",
    "as_series",
    "shape_like",
    "plain_value",
    "one_date",
    "date_text",
    "day_of",
    "apr6_day",
    "year_of_day",
    "month_of_day",
    "tax_start_year_of_day",
    "ty_code",
    "day_numbers",
    "days_to_timestamps",
]

#: The date LEO uses for the end of a spell that is still open.
OPEN_END = datetime.date(9999, 12, 31)


OPEN_END_TEXT = "9999-12-31"


_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


# datetime64[ns] covers 1677-09-21 .. 2262-04-11; numpy would wrap silently outside it.
NS_MIN = np.datetime64("1677-09-22", "D")


NS_MAX = np.datetime64("2262-04-11", "D")


def as_series(values):
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


def shape_like(result, series, kind, name=None):
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


def plain_value(value):
    """Plain Python value for error messages (numpy 2 reprs scalars as np.int64(...))."""
    return value.item() if isinstance(value, np.generic) else value


def one_date(value, name):
    """A single date argument (date, Timestamp, datetime64 or ISO text) as a Timestamp."""
    if value is None or (np.ndim(value) != 0 and not isinstance(value, str)):
        raise ValueError(f"{name}: expected one date (e.g. '2021-04-05'), got {value!r}")
    parsed = to_dates([value], name=name)
    if parsed.isna().any():
        raise ValueError(
            f"{name}: {value!r} is missing or the open-spell marker {OPEN_END_TEXT}; "
            "expected a real date (e.g. the last day the extract covers)"
        )
    return pd.Timestamp(parsed.iloc[0])


def date_text(day):
    """ISO text of a day number."""
    return str(np.asarray(day, dtype=np.int64).astype("datetime64[D]"))


def day_of(value, name):
    """Day number of a single date argument (see one_date)."""
    return int(day_numbers(pd.Series([one_date(value, name)]))[0])


def apr6_day(years):
    """Day number of 6 April of each year (array of ints)."""
    months = (np.atleast_1d(np.asarray(years, dtype=np.int64)) - 1970) * 12 + 3
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + 5


def year_of_day(days):
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def month_of_day(days):
    """Months since January 1970 of each day number."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def tax_start_year_of_day(days):
    days = np.asarray(days, dtype=np.int64)
    year = year_of_day(days)
    return year - (days < apr6_day(year)).astype(np.int64)


def ty_code(start_year):
    start_year = np.asarray(start_year, dtype=np.int64)
    return start_year * 100 + (start_year + 1) % 100


def day_numbers(dates):
    """int64 day numbers of a datetime64 Series that has no NaT."""
    return dates.values.astype("datetime64[D]").astype(np.int64)


def days_to_timestamps(days):
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]")


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
    s, kind = as_series(values)
    label = name if name is not None else (s.name if s.name is not None else "dates")
    if open_end is not None:
        open_end = one_date(open_end, "open_end")
    # work positionally: labels may repeat
    flat = pd.Series(s.values)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        raw = np.asarray(s.values)
        present = ~np.isnat(raw)
        # compare in days: numpy casts the other operand to raw's unit, and 9999-12-31 in ns
        # wraps around
        day = raw.astype("datetime64[D]")
        is_open = present & (day >= np.datetime64(OPEN_END_TEXT, "D"))
        bad = present & ~is_open & ((day < NS_MIN) | (day > NS_MAX))
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
            is_open[failed] = (text == OPEN_END_TEXT).values
        else:
            text = pd.Series(obj[present]).astype(str).str.strip().str.slice(0, 10)
            iso = text.str.match(_ISO_DATE)
            parsed = np.full(len(obj), np.datetime64("NaT"), dtype="datetime64[ns]")
            if len(text):
                parsed[present] = pd.to_datetime(
                    text.where(iso), format="%Y-%m-%d", errors="coerce"
                ).values
            is_open[present] = (text == OPEN_END_TEXT).values
        bad = present & np.isnat(parsed) & ~is_open
    if bad.any():
        raise ValueError(
            f"{label}: {int(bad.sum())} value(s) could not be read as dates, e.g. {plain_value(flat[bad].iloc[0])!r}; expected datetime.date or "
            f"datetime64 values or 'YYYY-MM-DD' text ({OPEN_END_TEXT} marks an open spell)"
        )
    if open_end is not None and is_open.any():
        parsed = parsed.copy()
        parsed[is_open] = np.datetime64(open_end.to_datetime64())
    if kind == "scalar":
        return pd.Timestamp(parsed[0])
    index = s.index if kind == "series" else None
    return pd.Series(parsed, index=index, name=s.name)
