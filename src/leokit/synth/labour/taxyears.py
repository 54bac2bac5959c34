"""The tax-year calendar of the labour market: years, first days, lengths and codes.

    from .taxyears import YEARS, YEAR_START, YEAR_DAYS
    YEARS[i]          # start year of tax year i (2004 .. 2020), the column index of every
                      # person x year array in the labour stage

Tax year t runs from 6 April t to 5 April t+1 (TaxYear code t*100 + (t+1) % 100).
"""

import numpy as np

from ..config import FIRST_TAX_YEAR, LAST_TAX_YEAR, tax_year_code

YEARS = np.arange(FIRST_TAX_YEAR, LAST_TAX_YEAR + 1)


def tax_year_start(t):
    """6 April of tax year(s) t, as datetime64[D]."""
    months = np.datetime64("1970-01", "M") + ((np.asarray(t) - 1970) * 12 + 3).astype(
        "timedelta64[M]"
    )
    return months.astype("datetime64[D]") + np.timedelta64(5, "D")


def days_in(t):
    """Number of days in tax year(s) t (365 or 366)."""
    return (tax_year_start(np.asarray(t) + 1) - tax_year_start(t)).astype(int)


YEAR_START = tax_year_start(YEARS)  # first day of each tax year
YEAR_DAYS = days_in(YEARS)  # its length in days
CENSUS_DAY = YEAR_START + np.timedelta64(239, "D")  # about 1 December: education status
TAX_YEAR_CODE = tax_year_code(YEARS).astype(np.int64)  # the TaxYear column, by year index
YEAR_2017 = int(np.searchsorted(YEARS, 2017))  # tax years from 2017/18 use the 2020 IDBR
