"""Bad-input catalogue: leokit.derive and leokit.tax.

Every case is one clear ValueError raised by leokit naming what is wrong: wrong types, missing
columns, missing values, unknown tax years, negative pay, dates that are not dates, and dates
outside the data window (which would otherwise read as "0 days employed" or "not sustained").
Results that stay valid by design are tested in test_derive.py and test_tax.py (documented
behaviour), not here.
"""

import datetime

import numpy as np
import pandas as pd
import pytest
from support.bad_input import expect_error

from leokit import derive, tax

D = datetime.date
OPEN = D(9999, 12, 31)
EMP = pd.DataFrame(
    {
        "EduKey": ["A", "B"],
        "StartDate": [D(2018, 5, 1), D(2019, 1, 1)],
        "EndDate": [OPEN, D(2019, 12, 31)],
    }
)
EARN = pd.DataFrame({"Edukey": ["A", "B"], "TaxYear": [201819, 201920], "Earnings": [20000, 15000]})
SA = pd.DataFrame({"Edukey": ["A"], "TaxYear": [201819]})


def case(id, call, *names):
    return pytest.param(call, names, id=id)


CASES = [
    # ---------------------------------------------------------------- days employed
    case(
        "days-tax-year-after-data-end",
        lambda: derive.days_employed(EMP, tax_years=[202122], data_end=D(2020, 4, 5)),
        "202122",
        "data_end",
        "2020-04-05",
    ),
    case(
        "days-data-end-before-every-spell",
        lambda: derive.days_employed(EMP, data_end=D(2018, 1, 1)),
        "data_end",
        "2018-01-01",
    ),
    case(
        "days-data-end-not-a-date",
        lambda: derive.days_employed(EMP, data_end="last year"),
        "data_end",
        "last year",
    ),
    case(
        "days-data-end-open-marker",
        lambda: derive.days_employed(EMP, data_end=OPEN),
        "data_end",
        "9999-12-31",
    ),
    case(
        "days-data-end-a-list",
        lambda: derive.days_employed(EMP, data_end=[D(2020, 1, 1)]),
        "data_end",
    ),
    case(
        "days-tax-years-empty",
        lambda: derive.days_employed(EMP, tax_years=[]),
        "tax_years",
        "empty",
    ),
    case("days-tax-year-invalid", lambda: derive.days_employed(EMP, tax_years=[201820]), "201820"),
    case(
        "days-tax-year-fraction",
        lambda: derive.days_employed(EMP, tax_years=[201819.5]),
        "201819.5",
    ),
    case("days-not-a-frame", lambda: derive.days_employed([1, 2]), "DataFrame", "list"),
    case("days-none", lambda: derive.days_employed(None), "DataFrame", "NoneType"),
    case(
        "days-dates-day-first-text",
        lambda: derive.days_employed(EMP.assign(StartDate=["01/05/2018", "2019-01-01"])),
        "StartDate",
        "01/05/2018",
    ),
    case(
        "days-dates-as-numbers",
        lambda: derive.days_employed(EMP.assign(StartDate=[20180501, 20190101])),
        "StartDate",
        "20180501",
    ),
    case(
        "days-no-start-date",
        lambda: derive.days_employed(EMP.assign(StartDate=[None, D(2019, 1, 1)])),
        "StartDate",
        "no start date",
    ),
    case(
        "days-spell-backwards",
        lambda: derive.days_employed(EMP.assign(EndDate=[D(2018, 1, 1), OPEN])),
        "end before they start",
    ),
    case("days-person-unknown", lambda: derive.days_employed(EMP, person="PMR"), "PMR"),
    case("days-start-col-missing", lambda: derive.days_employed(EMP, start_col="Start"), "Start"),
    case(
        "days-two-person-keys",
        lambda: derive.days_employed(EMP.assign(Edukey="x")),
        "EduKey",
        "Edukey",
    ),
    # ---------------------------------------------------------------- sustained employment
    case(
        "sustained-window-after-data-end",
        lambda: derive.sustained_employment(EMP, tax_years=[201920], data_end=D(2020, 1, 31)),
        "201920",
        "data_end",
        "2020-01-31",
    ),
    case(
        "sustained-min-months-7",
        lambda: derive.sustained_employment(EMP, min_months=7),
        "min_months",
        "7",
    ),
    case(
        "sustained-min-months-zero",
        lambda: derive.sustained_employment(EMP, min_months=0),
        "min_months",
        "0",
    ),
    case(
        "sustained-min-months-text",
        lambda: derive.sustained_employment(EMP, min_months="5"),
        "min_months",
        "'5'",
    ),
    case(
        "sustained-sa-not-a-frame",
        lambda: derive.sustained_employment(EMP, self_assessment=[("A", 201819)]),
        "self_assessment",
        "DataFrame",
    ),
    case(
        "sustained-sa-no-tax-year",
        lambda: derive.sustained_employment(EMP, self_assessment=SA[["Edukey"]]),
        "self_assessment",
        "TaxYear",
    ),
    # ---------------------------------------------------------------- earnings
    case(
        "annualised-negative-pay",
        lambda: derive.annualised_earnings(EARN.assign(Earnings=[-5, 100]), EMP),
        "Earnings",
        "-5",
        "negative",
    ),
    case(
        "annualised-missing-pay",
        lambda: derive.annualised_earnings(EARN.assign(Earnings=[np.nan, 100.0]), EMP),
        "Earnings",
        "missing",
    ),
    case(
        "annualised-text-pay",
        lambda: derive.annualised_earnings(EARN.assign(Earnings=["12k", "1"]), EMP),
        "Earnings",
        "12k",
    ),
    case(
        "annualised-year-beyond-data-end",
        lambda: derive.annualised_earnings(EARN, EMP, data_end=D(2019, 12, 31)),
        "201920",
        "data_end",
        "2019-12-31",
    ),
    case(
        "annualised-no-employment-frame",
        lambda: derive.annualised_earnings(EARN, None),
        "employment",
        "DataFrame",
    ),
    case(
        "annualised-column-missing",
        lambda: derive.annualised_earnings(EARN, EMP, earnings_col="Pay"),
        "Pay",
    ),
    case(
        "annualised-duplicate-person-year",
        lambda: derive.annualised_earnings(pd.concat([EARN, EARN]), EMP),
        "duplicated",
        "Edukey",
    ),
    case(
        "panel-people-none",
        lambda: derive.earnings_panel(EARN, None, [201819]),
        "people",
        "NoneType",
    ),
    case(
        "panel-people-empty", lambda: derive.earnings_panel(EARN, [], [201819]), "people", "empty"
    ),
    case(
        "panel-tax-years-empty",
        lambda: derive.earnings_panel(EARN, ["A"], []),
        "tax_years",
        "empty",
    ),
    case(
        "panel-negative-pay",
        lambda: derive.earnings_panel(EARN.assign(Earnings=[-1, 1]), ["A"], [201819]),
        "Earnings",
        "negative",
    ),
    case(
        "panel-missing-pay",
        lambda: derive.earnings_panel(EARN.assign(Earnings=[np.nan, 1.0]), ["A"], [201819]),
        "Earnings",
        "missing",
    ),
    # ---------------------------------------------------------------- dates and years
    case(
        "clip-start-not-a-date", lambda: derive.clip_spells(EMP, "x", "2020-01-01"), "start", "'x'"
    ),
    case("clip-start-none", lambda: derive.clip_spells(EMP, None, "2020-01-01"), "start", "None"),
    case(
        "clip-end-before-start",
        lambda: derive.clip_spells(EMP, "2020-01-01", "2019-01-01"),
        "before start",
    ),
    case(
        "merge-open-end-not-a-date",
        lambda: derive.merge_spells(EMP, open_end="soon"),
        "open_end",
        "soon",
    ),
    case(
        "merge-open-end-before-an-open-spell",
        lambda: derive.merge_spells(EMP, open_end=D(2018, 1, 1)),
        "open_end",
        "2018-01-01",
    ),
    case(
        "to-dates-open-end-not-a-date",
        lambda: derive.to_dates(["2019-01-01"], open_end="x"),
        "open_end",
    ),
    case("person-column-of-a-list", lambda: derive.find_person_column([1]), "DataFrame", "list"),
    case("tax-year-of-open-marker", lambda: derive.tax_year_of(OPEN), "open-ended"),
    case("tax-year-text-unparsable", lambda: derive.as_tax_year(["2018/19", "abc"]), "abc"),
    case("tax-year-second-part-wrong", lambda: derive.as_tax_year(201820), "201820"),
    case(
        "academic-year-month-13",
        lambda: derive.academic_year_of(D(2019, 1, 1), start_month=13),
        "start_month",
    ),
    case(
        "yag-n-fraction",
        lambda: derive.yag_tax_year(2020, 1.5),
        "n (years after graduation)",
        "1.5",
    ),
    case(
        "yag-grad-a-tax-year-code",
        lambda: derive.yag_tax_year(201920, 1),
        "grad_year_end",
        "201920",
    ),
    case("between-backwards", lambda: derive.tax_years_between(201920, 201718), "201718", "201920"),
    # ---------------------------------------------------------------- tax and NICs
    case("tax-year-before-schedules", lambda: tax.income_tax(30000, 200910), "200910", "201011"),
    case("tax-year-after-schedules", lambda: tax.income_tax(30000, 202627), "202627", "202526"),
    case("tax-year-not-a-code", lambda: tax.income_tax(30000, 2018), "TaxYear", "2018"),
    case("tax-year-none", lambda: tax.income_tax(30000, None), "TaxYear", "missing"),
    case("tax-negative-pay", lambda: tax.income_tax(-1, 201819), "pay", "negative"),
    case("tax-missing-pay", lambda: tax.income_tax([1.0, np.nan], 201819), "pay", "missing"),
    case(
        "tax-missing-pay-int64",
        lambda: tax.employee_nics(pd.Series([1, None], dtype="Int64"), 201819),
        "pay",
        "missing",
    ),
    case("tax-infinite-pay", lambda: tax.income_tax(float("inf"), 201819), "pay", "infinite"),
    case("tax-text-pay", lambda: tax.income_tax("lots", 201819), "pay", "lots"),
    case("tax-boolean-pay", lambda: tax.income_tax(True, 201819), "pay", "booleans"),
    case(
        "tax-frame-pay",
        lambda: tax.income_tax(pd.DataFrame({"pay": [1]}), 201819),
        "pay",
        "DataFrame",
    ),
    case("tax-2d-pay", lambda: tax.tax_and_nics([[1, 2]], 201819), "pay", "1-dimensional"),
    case(
        "tax-years-length",
        lambda: tax.income_tax([1.0, 2.0, 3.0], [201819, 201920]),
        "tax_year",
        "2 values for 3",
    ),
    case(
        "nics-share-zero", lambda: tax.employee_nics(1.0, 201819, share_of_year=0), "share_of_year"
    ),
    case(
        "nics-share-nan",
        lambda: tax.employer_nics(1.0, 201819, share_of_year=np.nan),
        "share_of_year",
    ),
    case(
        "nics-share-text",
        lambda: tax.employee_nics(1.0, 201819, share_of_year="half"),
        "share_of_year",
        "half",
    ),
    case(
        "nics-share-length",
        lambda: tax.employee_nics([1, 2, 3], 201819, share_of_year=[0.5, 0.5]),
        "share_of_year",
        "2 values for 3",
    ),
    case("marginal-step-zero", lambda: tax.marginal_rates(30000, 201819, step=0), "step"),
    case("marginal-step-negative", lambda: tax.marginal_rates(30000, 201819, step=-1), "step"),
    case("marginal-step-text", lambda: tax.marginal_rates(30000, 201819, step="1"), "step"),
    case("schedule-two-years", lambda: tax.schedule([201819, 201920]), "one tax year"),
]


@pytest.mark.parametrize("call, names", CASES)
def test_bad_input_to_derive_and_tax(call, names):
    expect_error(call, *names)


def test_the_catalogue_covers_derive_and_tax():
    assert len(CASES) >= 40
