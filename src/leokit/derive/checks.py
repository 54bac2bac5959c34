"""Checks of the derivations' inputs, shared with leokit.derive_sql (same rules, same
messages): frames and their columns, the person key, the data window, pay values.

    pcol = find_person_column(employment)          # EduKey or Edukey, any case
    check_window(years, end_day, "data_end", first_start, latest_open_start, window=True)

Days are day numbers (days since 1970-01-01); years are tax years' start years.

SRS-bound: runs on Python 3.7 + pandas 1.0.1 + numpy 1.18.
"""

import numpy as np

from leokit.derive.dates import apr6_day, as_series, date_text, plain_value, ty_code
from leokit.derive.years import as_tax_year

__all__ = [
    "find_person_column",
    "require_columns",
    "require_frame",
    "check_window",
    "check_oct_mar_window",
    "check_year_ends",
    "check_min_months",
    "pay_problem",
    "check_unique",
]


def find_person_column(df, person=None):
    """Return the name of the person-key column of ``df``.

    With ``person=None`` this is the column whose lower-case name is ``edukey`` (LEO spells it
    ``EduKey`` in leo_employment and leo_benefit but ``Edukey`` in leo_earnings,
    leo_self_assessment and leo_geography). A given ``person`` is matched exactly first, then
    case-insensitively. Raises ValueError naming the frame's columns if there is no match.
    """
    require_frame(df, "find_person_column")
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


def require_columns(df, columns, what):
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{what} is missing column(s) {missing}; its columns are {[str(c) for c in df.columns]}"
        )


def require_frame(df, what):
    if not hasattr(df, "columns") or isinstance(df, type):  # a DataFrame, or one's stand-in
        raise ValueError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")


def check_window(years, end_day, end_name, first_start, latest_open_start, window):
    """ValueError when `end_day` (data_end, or merge_spells' open_end) leaves nothing to count.

    window             end_day is the last day the data covers: a requested tax year starting
                       after it, or an end before every spell starts, is an error
    first_start        earliest spell start (None: no spells)
    latest_open_start  latest start of an open spell (None: none), for open_end
    """
    if window and years is not None:
        late = [int(y) for y in years if apr6_day(y)[0] > end_day]
        if late:
            raise ValueError(
                f"tax year {ty_code(late[0])} starts after {end_name} {date_text(end_day)}: "
                f"the data cannot say who was employed then; drop "
                f"{'those years' if len(late) > 1 else 'it'} or give the last day the extract "
                f"covers as {end_name}"
            )
    if window and first_start is not None and first_start > end_day:
        raise ValueError(
            f"{end_name} {date_text(end_day)} is before every spell starts (the first starts "
            f"{date_text(first_start)}): it is the last day the data covers"
        )
    if not window and latest_open_start is not None and latest_open_start > end_day:
        raise ValueError(
            f"{end_name} {date_text(end_day)} is before an open spell starts (one starts "
            f"{date_text(latest_open_start)}): open spells cannot end before they start"
        )


def check_oct_mar_window(tax_years, end_day):
    """ValueError when a requested tax year's October-March window ends after data_end."""
    codes = np.asarray(as_tax_year(as_series(tax_years)[0]).values)
    last_march = apr6_day(codes // 100 + 1) - 6  # 31 March
    cut = last_march > end_day
    if cut.any():
        raise ValueError(
            f"tax year {plain_value(codes[cut][0])}: its October-March window runs to "
            f"{date_text(last_march[cut][0])}, after data_end {date_text(end_day)}; months "
            "after data_end are unobserved, so drop that year"
        )


def check_year_ends(years, end_day):
    """ValueError when an earnings tax year ends after data_end (annualised_earnings)."""
    years = sorted(int(t) for t in years)
    if not years:
        return
    year_end = apr6_day(np.asarray(years) // 100 + 1) - 1
    cut = year_end > end_day
    if cut.any():
        raise ValueError(
            f"earnings in tax year {np.asarray(years)[cut][0]} run to "
            f"{date_text(year_end[cut][0])}, after data_end {date_text(end_day)}: employment "
            "after data_end is not counted, so the pay would be annualised over too few days; "
            "drop that year or give the extract's last day as data_end"
        )


def check_min_months(min_months):
    if isinstance(min_months, (bool, np.bool_)) or min_months not in range(1, 7):
        raise ValueError(
            f"min_months must be a whole number of months from 1 to 6 (DfE: 5), got {min_months!r}"
        )


def pay_problem(col, n_text, text_example, n_missing, n_inf, n_negative, negative_example):
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


def check_unique(df, keys, what):
    dup = df.duplicated(subset=keys, keep=False)
    if dup.any():
        example = tuple(plain_value(v) for v in df.loc[dup, keys].iloc[0])
        raise ValueError(
            "{} has {} rows with a duplicated ({}), e.g. {}; expected one row per person "
            "per tax year".format(what, int(dup.sum()), ", ".join(str(k) for k in keys), example)
        )
