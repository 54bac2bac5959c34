"""Employment spells: clipping, merging, days employed and DfE sustained employment per
person and tax year.

    days_employed(emp, tax_years=[201718, 201819], data_end="2021-04-05")
    sustained_employment(emp, tax_years=[201819], self_assessment=sa)

SRS-bound: runs on Python 3.7 + pandas 1.0.1 + numpy 1.18.
"""

import numpy as np
import pandas as pd

from leokit.derive.checks import (
    check_min_months,
    check_oct_mar_window,
    check_window,
    find_person_column,
    require_columns,
    require_frame,
)
from leokit.derive.dates import (
    apr6_day,
    as_series,
    day_numbers,
    day_of,
    days_to_timestamps,
    month_of_day,
    one_date,
    plain_value,
    tax_start_year_of_day,
    to_dates,
    ty_code,
)
from leokit.derive.years import as_tax_year, tax_start_years

__all__ = [
    "OCT_MAR",
    "clip_spells",
    "merge_spells",
    "days_employed",
    "sustained_employment",
    "person_year_grid",
    "sort_person_years",
]


def clip_spells(spells, start, end, start_col="StartDate", end_col="EndDate"):
    """Clip spells to the window [start, end] (inclusive dates) and drop those outside it.

    Returns a copy with ``start_col``/``end_col`` as datetime64[ns]; open ends (9999-12-31 or
    missing) run to ``end``. Useful before any per-window count of days or months.
    """
    require_frame(spells, "spells")
    require_columns(spells, [start_col, end_col], "spells")
    lo, hi = one_date(start, "clip_spells start"), one_date(end, "clip_spells end")
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
    require_frame(spells, "employment spells")
    pcol = find_person_column(spells, person)
    require_columns(spells, [start_col, end_col], "employment spells")
    keyed = spells[pcol].notna().values
    start = to_dates(spells[start_col], name=start_col)[keyed]
    end = to_dates(spells[end_col], name=end_col)[keyed]
    keys = spells[pcol][keyed]
    if start.isna().any():
        raise ValueError(
            f"{start_col}: {int(start.isna().sum())} spell(s) have no start date (row {plain_value(start.index[start.isna().values][0])!r} is one)"
        )
    s_days = day_numbers(start)
    is_open = end.isna().values
    e_days = np.where(is_open, 0, day_numbers(end.fillna(pd.Timestamp(0))))
    backwards = ~is_open & (e_days < s_days)
    if backwards.any():
        raise ValueError(
            f"{int(backwards.sum())} spell(s) end before they start (row {plain_value(start.index[backwards][0])!r} is one); fix or drop them"
        )
    ty_years = None if tax_years is None else np.unique(tax_start_years(tax_years))
    if ty_years is not None and not len(ty_years):
        raise ValueError("tax_years is empty: give at least one tax year, or None for all")
    if data_end is not None:
        window_end = day_of(data_end, end_name)
        check_window(
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
        window_end = int(apr6_day(ty_years.max() + 1)[0] - 1)
    elif len(s_days):
        latest = max(s_days.max(), e_days[~is_open].max() if (~is_open).any() else s_days.max())
        window_end = int(apr6_day(tax_start_year_of_day([latest]) + 1)[0] - 1)
    else:
        window_end = 0
    e_days = np.where(is_open, window_end, e_days)
    if ty_years is not None and len(ty_years):
        s_days = np.maximum(s_days, apr6_day(ty_years.min())[0])
        e_days = np.minimum(e_days, apr6_day(ty_years.max() + 1)[0] - 1)
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
            start_col: days_to_timestamps(merged["_start"].values),
            end_col: days_to_timestamps(merged["_end"].values),
        }
    )


def _explode_tax_years(frame, pcol):
    """One row per (spell, tax year it touches), with the tax year's start year in ``_y``."""
    first = tax_start_year_of_day(frame["_start"].values)
    last = tax_start_year_of_day(frame["_end"].values)
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


def person_year_grid(persons, tax_years, pcol):
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


def sort_person_years(frame, pcol):
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
    lo = np.maximum(rows["_start"].values, apr6_day(y))
    hi = np.minimum(rows["_end"].values, apr6_day(y + 1) - 1)
    rows["days_employed"] = (hi - lo + 1).astype(np.int64)
    rows["TaxYear"] = ty_code(y)
    out = _per_person_year(rows, pcol, ["days_employed"], "sum")
    if tax_years is None:
        out["days_employed"] = out["days_employed"].astype(np.int64)
        return sort_person_years(out, pcol)
    wanted = sorted(set(int(t) for t in as_tax_year(as_series(tax_years)[0]).values))
    out = person_year_grid(persons, wanted, pcol).merge(out, on=[pcol, "TaxYear"], how="left")
    out["days_employed"] = out["days_employed"].fillna(0).astype(np.int64)
    return sort_person_years(out, pcol)


OCT_MAR = ("Oct", "Nov", "Dec", "Jan", "Feb", "Mar")


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
    check_min_months(min_months)
    if self_assessment is not None:
        require_frame(self_assessment, "self_assessment")
    frame, pcol, persons = _spell_days(employment, person, start_col, end_col, data_end, tax_years)
    if data_end is not None and tax_years is not None:
        check_oct_mar_window(tax_years, day_of(data_end, "data_end"))
    merged = _merge_day_spells(frame, pcol)
    rows = _explode_tax_years(merged, pcol)
    first_month = month_of_day(rows["_start"].values)
    last_month = month_of_day(rows["_end"].values)
    october = (rows["_y"].values - 1970) * 12 + 9
    flags = {}
    for k, label in enumerate(OCT_MAR):
        flags[label] = (first_month <= october + k) & (last_month >= october + k)
    months = pd.DataFrame(flags)
    months[pcol] = rows[pcol].values
    months["TaxYear"] = ty_code(rows["_y"].values)
    by_year = _per_person_year(months, pcol, list(OCT_MAR), "max")
    out = by_year[[pcol, "TaxYear"]].copy()
    out["months_employed_oct_mar"] = (
        by_year[list(OCT_MAR)].values.astype(np.int64).sum(axis=1).astype(np.int64)
    )

    wanted = None
    if tax_years is not None:
        wanted = sorted(set(int(t) for t in as_tax_year(as_series(tax_years)[0]).values))
        out = out[out["TaxYear"].isin(wanted)]

    sa_pairs = None
    if self_assessment is not None:
        sa_pcol = find_person_column(self_assessment, person)
        require_columns(self_assessment, ["TaxYear"], "self_assessment")
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
        out = person_year_grid(persons, wanted, pcol).merge(out, on=[pcol, "TaxYear"], how="left")
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
    return sort_person_years(out, pcol)
