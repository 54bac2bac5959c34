"""DfE and research derivations for LEO: tax years, academic years, years after graduation (YAG),
employment spells, sustained employment and annualised earnings.

    from leokit import derive
    derive.sustained_employment(emp, tax_years=[201819], data_end="2021-04-05")

This package is meant to be copied into the ONS Secure Research Service (the folder
``leokit/derive/``, or the SRS bundle: ``make srs-bundle``), so it imports only pandas, numpy
and the standard library and runs on Python 3.7 with pandas 1.0 / numpy 1.18 as well as on
current pandas. Every module of it is SRS-bound:

    dates     parsing dates, the open-spell marker, day numbers, argument shapes
    years     tax years, academic years, years after graduation
    checks    checks of the inputs, shared with leokit.derive_sql
    spells    clipping and merging spells, days employed, sustained employment
    earnings  annualised earnings, earnings panels

Conventions (see the research note leo_schema.md, section 4):

* ``TaxYear`` is an int such as 201819, meaning 6 April 2018 to 5 April 2019.
* Academic years are named by the calendar year they end in: 2019 is 2018/19.
* Dates are inclusive days. ``9999-12-31`` marks an open (ongoing) spell.
* The person key is ``EduKey`` in some views and ``Edukey`` in others; every function takes
  ``person=None`` and then uses the column whose lower-case name is ``edukey``.

Internally dates become int day numbers (days since 1970-01-01). Integer arithmetic behaves the
same on every pandas version and avoids datetime64[ns] overflow at 9999-12-31.
"""

from leokit.derive.checks import find_person_column
from leokit.derive.dates import OPEN_END, to_dates
from leokit.derive.earnings import annualised_earnings, earnings_panel
from leokit.derive.spells import clip_spells, days_employed, merge_spells, sustained_employment
from leokit.derive.years import (
    academic_year_of,
    acadyr_text,
    as_tax_year,
    days_in_tax_year,
    tax_year_end,
    tax_year_label,
    tax_year_of,
    tax_year_start,
    tax_years_between,
    yag_tax_year,
    years_after_graduation,
)

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
