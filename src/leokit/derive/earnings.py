"""Earnings: annualised PAYE earnings and balanced person x tax-year panels.

    annualised_earnings(earnings, employment, data_end="2021-04-05")
    earnings_panel(earnings, people, tax_years=[201819, 201920])

SRS-bound: runs on Python 3.7 + pandas 1.0.1 + numpy 1.18.
"""

import numpy as np
import pandas as pd

from leokit.derive.checks import (
    check_unique,
    check_year_ends,
    find_person_column,
    pay_problem,
    require_columns,
    require_frame,
)
from leokit.derive.dates import as_series, day_of, plain_value
from leokit.derive.spells import days_employed, person_year_grid, sort_person_years
from leokit.derive.years import as_tax_year, days_in_tax_year

__all__ = ["annualised_earnings", "earnings_panel"]


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
    problem = pay_problem(
        earnings_col,
        int(text.sum()),
        plain_value(col[text].iloc[0]) if text.any() else None,
        int(missing.sum()),
        int(np.isinf(values).sum()),
        int(negative.sum()),
        plain_value(col[negative].iloc[0]) if negative.any() else None,
    )
    if problem is not None:
        raise problem
    return values


def _earnings_frame(earnings, person, earnings_col):
    require_frame(earnings, "earnings")
    pcol = find_person_column(earnings, person)
    require_columns(earnings, ["TaxYear", earnings_col], "earnings")
    ty = as_tax_year(earnings["TaxYear"])
    keyed = pd.DataFrame({pcol: earnings[pcol].values, "TaxYear": ty.values}, index=earnings.index)
    check_unique(keyed, [pcol, "TaxYear"], "earnings")
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
    require_frame(employment, "employment")
    pay = _pay_values(earnings, earnings_col)
    years = sorted(set(int(t) for t in ty.values))
    if data_end is not None:
        check_year_ends(years, day_of(data_end, "data_end"))
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
    require_columns(earnings, columns, "earnings")
    if people is None or isinstance(people, (pd.DataFrame, dict)):
        raise ValueError(
            f"people: expected the person keys (a list, array or Series), got {type(people).__name__}"
        )
    if tax_years is None:
        raise ValueError("tax_years: expected the tax years of the panel, e.g. [201819, 201920]")
    clash = [c for c in columns if c in (pcol, "TaxYear", earnings_col, "has_record")]
    if clash:
        raise ValueError(f"columns= must not repeat {clash}")
    wanted = sorted(set(int(t) for t in as_tax_year(as_series(tax_years)[0]).values))
    people = as_series(people)[0]
    if not wanted or not len(people.dropna()):
        empty = "tax_years" if not wanted else "people"
        raise ValueError(f"{empty} is empty: the panel would have no rows")
    grid = person_year_grid(people.values, wanted, pcol)
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
    return sort_person_years(out, pcol)
