"""Income tax and Class 1 National Insurance on employment earnings, by tax year.

Rest-of-UK schedules (England, Wales, Northern Ireland; Scottish income tax bands differ from
2017/18 and are not modelled) for tax years 2010/11 to 2025/26, from HMRC's published "Rates
and thresholds for employers" and "Income Tax rates and allowances" tables. Tax years are
LEO codes (201819 = 6 April 2018 to 5 April 2019) or anything ``leokit.derive.as_tax_year``
reads.

What is computed, for a year's employment earnings ``pay`` (gross, before pension
contributions and benefits in kind, which LEO does not show):

* income tax on earnings only, with the standard Personal Allowance, its taper above
  £100,000 (£1 for every £2), and the basic, higher and additional rates; no other income,
  reliefs, Marriage Allowance or Scottish rates;
* employee (primary) and employer (secondary) Class 1 NICs, category A, on an annual
  earnings period: the method HMRC uses for company directors (National Insurance Manual
  NIM12021), which equals the weekly or monthly calculation for pay spread evenly over the
  year. For 2022/23 and 2023/24, when rates or thresholds changed during the year, the annual
  figures are HMRC's own annual equivalents for directors (2022/23: primary threshold £11,908,
  12.73% and 2.73%, employer 14.53%; 2023/24: 11.5%). No Employment Allowance, no
  under-21 or apprentice relief, no contracted-out rebates (pre-2016).

Part-year workers: NICs are charged per pay period, so someone paid for half a year at twice
the rate pays more than the annual calculation says; pass ``share_of_year`` (e.g. days
employed / days in the year) to scale the NIC thresholds to the period worked. Income tax is
cumulative over the year and needs no such scaling.

Runs on the SRS Python (3.7, pandas 1.0, numpy 1.18) as well as the current stack.
"""

import numpy as np
import pandas as pd

from leokit.derive import as_tax_year

__all__ = [
    "SCHEDULES",
    "schedule",
    "income_tax",
    "employee_nics",
    "employer_nics",
    "tax_and_nics",
    "marginal_rates",
]

# One row per tax year (rest of UK, annual £):
#   pa       standard Personal Allowance
#   brb      basic rate band (taxable income taxed at the basic rate)
#   art      additional rate threshold (taxable income above it at the additional rate)
#   add      additional rate
#   pt, uel  employee Class 1 primary threshold and upper earnings limit
#   ee, ee2  employee main rate (PT to UEL) and rate above the UEL
#   st, er   employer secondary threshold and rate
# Basic rate 20%, higher rate 40% and the £100,000 taper point are the same in every year.
_COLUMNS = ("pa", "brb", "art", "add", "pt", "uel", "ee", "ee2", "st", "er")
_ROWS = {
    201011: (6475, 37400, 150000, 0.50, 5715, 43875, 0.11, 0.01, 5715, 0.128),
    201112: (7475, 35000, 150000, 0.50, 7225, 42475, 0.12, 0.02, 7072, 0.138),
    201213: (8105, 34370, 150000, 0.50, 7605, 42475, 0.12, 0.02, 7488, 0.138),
    201314: (9440, 32010, 150000, 0.45, 7755, 41450, 0.12, 0.02, 7696, 0.138),
    201415: (10000, 31865, 150000, 0.45, 7956, 41865, 0.12, 0.02, 7956, 0.138),
    201516: (10600, 31785, 150000, 0.45, 8060, 42385, 0.12, 0.02, 8112, 0.138),
    201617: (11000, 32000, 150000, 0.45, 8060, 43000, 0.12, 0.02, 8112, 0.138),
    201718: (11500, 33500, 150000, 0.45, 8164, 45000, 0.12, 0.02, 8164, 0.138),
    201819: (11850, 34500, 150000, 0.45, 8424, 46350, 0.12, 0.02, 8424, 0.138),
    201920: (12500, 37500, 150000, 0.45, 8632, 50000, 0.12, 0.02, 8632, 0.138),
    202021: (12500, 37500, 150000, 0.45, 9500, 50000, 0.12, 0.02, 8788, 0.138),
    202122: (12570, 37700, 150000, 0.45, 9568, 50270, 0.12, 0.02, 8840, 0.138),
    202223: (12570, 37700, 150000, 0.45, 11908, 50270, 0.1273, 0.0273, 9100, 0.1453),
    202324: (12570, 37700, 125140, 0.45, 12570, 50270, 0.115, 0.02, 9100, 0.138),
    202425: (12570, 37700, 125140, 0.45, 12570, 50270, 0.08, 0.02, 9100, 0.138),
    202526: (12570, 37700, 125140, 0.45, 12570, 50270, 0.08, 0.02, 5000, 0.15),
}
SCHEDULES = pd.DataFrame.from_dict(_ROWS, orient="index", columns=list(_COLUMNS))
SCHEDULES.index.name = "TaxYear"
BASIC, HIGHER = 0.20, 0.40
TAPER_FROM = 100000.0


def schedule(tax_year):
    """The parameters of one tax year as a dict (see SCHEDULES)."""
    year = _years(tax_year)
    if len(year) != 1:
        raise ValueError("schedule() takes one tax year")
    return dict(SCHEDULES.loc[int(year[0])])


def _years(tax_year):
    years = np.atleast_1d(as_tax_year(tax_year))
    known = SCHEDULES.index.values
    missing = sorted(set(int(y) for y in years) - set(int(k) for k in known))
    if missing:
        raise ValueError(
            f"no tax schedule for tax year(s) {missing}: leokit.tax covers {int(known.min())} to {int(known.max())}"
        )
    return years


def _numbers(values, name):
    """A scalar or 1-d input as float64 (ValueError naming `name` for anything else)."""
    if isinstance(values, (pd.DataFrame, dict)):
        raise ValueError(
            f"{name}: expected a number, list, array or Series, got a {type(values).__name__}"
        )
    if isinstance(values, pd.Series):
        if pd.api.types.is_bool_dtype(values.dtype):
            raise ValueError(f"{name}: expected amounts, got booleans")
        if pd.api.types.is_numeric_dtype(values.dtype):  # incl. nullable Int64: NA -> NaN
            return values.to_numpy(dtype=float, na_value=np.nan)
        values = values.to_numpy(dtype=object)
    raw = np.asarray(values)
    if raw.ndim > 1:
        raise ValueError(
            f"{name}: expected one value per person (1-dimensional), got shape {raw.shape}"
        )
    if raw.dtype.kind in "iuf":
        return raw.astype(float)
    flat = np.atleast_1d(raw).astype(object)
    for v in flat:
        if isinstance(v, (bool, np.bool_)):
            raise ValueError(f"{name}: expected amounts, got booleans")
        if v is None or v is pd.NA:
            continue
        try:
            float(v)
        except (TypeError, ValueError):
            bad = v
            break
    else:
        out = np.array([np.nan if v is None or v is pd.NA else float(v) for v in flat])
        return out.reshape(raw.shape)
    raise ValueError(f"{name}: {bad!r} is not a number")


def _inputs(pay, tax_year, share_of_year=1.0):
    pay_arr = _numbers(pay, "pay")
    scalar = pay_arr.ndim == 0
    pay_arr = np.atleast_1d(pay_arr)
    if np.isnan(pay_arr).any():
        raise ValueError("pay has missing values: decide first whether no record means zero pay")
    if np.isinf(pay_arr).any():
        raise ValueError("pay has infinite values")
    if (pay_arr < 0).any():
        raise ValueError("pay has negative values; LEO sets negative annual pay to 0")
    years = _years(tax_year)
    if len(years) not in (1, len(pay_arr)):
        raise ValueError(f"tax_year has {len(years)} values for {len(pay_arr)} pay values")
    p = SCHEDULES.loc[years].reset_index(drop=True)
    if len(p) == 1 and len(pay_arr) > 1:
        p = p.loc[np.zeros(len(pay_arr), dtype=int)].reset_index(drop=True)
    share = np.atleast_1d(_numbers(share_of_year, "share_of_year"))
    if len(share) not in (1, len(pay_arr)):
        raise ValueError(f"share_of_year has {len(share)} values for {len(pay_arr)} pay values")
    share = np.broadcast_to(share, pay_arr.shape)
    if not ((share > 0) & (share <= 1)).all():  # NaN fails too
        raise ValueError("share_of_year must be in (0, 1] (e.g. days employed / days in the year)")
    return pay_arr, p, share, scalar


def _out(values, scalar, like):
    if scalar:
        return float(values[0])
    if isinstance(like, pd.Series):
        return pd.Series(values, index=like.index)
    return values


def _band(x, low, high):
    """The part of x between low and high."""
    return np.clip(x, low, high) - low


def income_tax(pay, tax_year):
    """Income tax on employment earnings ``pay`` (scalar, array or Series) in ``tax_year``."""
    x, p, _, scalar = _inputs(pay, tax_year)
    allowance = np.maximum(p.pa.values - np.maximum(x - TAPER_FROM, 0) / 2.0, 0.0)
    taxable = np.maximum(x - allowance, 0.0)
    tax = (
        BASIC * _band(taxable, 0, p.brb.values)
        + HIGHER * _band(taxable, p.brb.values, p.art.values)
        + p["add"].values * np.maximum(taxable - p.art.values, 0)
    )
    return _out(tax, scalar, pay)


def employee_nics(pay, tax_year, share_of_year=1.0):
    """Employee (primary) Class 1 NICs, category A, annual earnings period."""
    x, p, share, scalar = _inputs(pay, tax_year, share_of_year)
    pt, uel = p.pt.values * share, p.uel.values * share
    nics = p.ee.values * _band(x, pt, uel) + p.ee2.values * np.maximum(x - uel, 0)
    return _out(nics, scalar, pay)


def employer_nics(pay, tax_year, share_of_year=1.0):
    """Employer (secondary) Class 1 NICs, category A, on all pay above the threshold."""
    x, p, share, scalar = _inputs(pay, tax_year, share_of_year)
    nics = p.er.values * np.maximum(x - p.st.values * share, 0)
    return _out(nics, scalar, pay)


def tax_and_nics(pay, tax_year, share_of_year=1.0):
    """A frame: pay, income_tax, employee_nics, employer_nics, to_exchequer (all three) and
    net_pay (pay less income tax and employee NICs). Empty pay gives an empty frame."""
    x = np.atleast_1d(_numbers(pay, "pay"))
    out = pd.DataFrame({"pay": x})
    out["income_tax"] = income_tax(x, tax_year)
    out["employee_nics"] = employee_nics(x, tax_year, share_of_year)
    out["employer_nics"] = employer_nics(x, tax_year, share_of_year)
    out["to_exchequer"] = out.income_tax + out.employee_nics + out.employer_nics
    out["net_pay"] = out.pay - out.income_tax - out.employee_nics
    if isinstance(pay, pd.Series):
        out.index = pay.index
    return out


def marginal_rates(pay, tax_year, step=1.0):
    """Marginal rates on the next ``step`` pounds: income tax, employee NICs, employer NICs
    (per pound of pay) and the combined take per pound of employer cost."""
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, float, np.number)):
        raise ValueError(f"step: expected a positive amount in pounds, got {step!r}")
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"step must be a positive amount in pounds, got {step!r}")
    x = np.atleast_1d(_numbers(pay, "pay"))
    now, more = tax_and_nics(x, tax_year), tax_and_nics(x + step, tax_year)
    d = (more - now) / step
    out = pd.DataFrame(
        {
            "pay": x,
            "income_tax": d.income_tax.values,
            "employee_nics": d.employee_nics.values,
            "employer_nics": d.employer_nics.values,
        }
    )
    # of each extra pound the employer spends, the share that goes to the Exchequer
    out["exchequer_share_of_cost"] = (d.income_tax + d.employee_nics + d.employer_nics).values / (
        1 + d.employer_nics.values
    )
    return out
