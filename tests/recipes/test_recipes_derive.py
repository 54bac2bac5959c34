"""Where a recipe computes what leokit.derive computes, both must give the same answer.

Each page lists the derive functions it matches in its front matter (``same_as_derive``); this
file has one check per such page. The check runs the page's first Python block in this
process (working directory = the recipe data folder), takes the frames it built, and compares
them row by row with leokit.derive on the same inputs.
"""

import contextlib
import io
import os

import numpy as np
import pandas as pd
import pytest
from support.recipes import (
    fail_unreadable,
    pages,
    recipe_workdir,  # noqa: F401 - fixture
)

from leokit import derive

DATA_END = "2021-04-05"


def run_in_process(rec, workdir):
    """Globals of the page's first Python block after running it in ``workdir``."""
    block = rec.blocks_of("python")[0]
    namespace = {"__name__": "__recipe__"}
    here = os.getcwd()
    os.chdir(workdir)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block.code, f"{rec.name}.md:{block.line}", "exec"), namespace)
    finally:
        os.chdir(here)
    return namespace


def hesa_dates(workdir):
    frames = [
        pd.read_csv(os.path.join(workdir, "data_csv", f), usecols=["HE_COMDATE", "HE_ENDDATE"])
        for f in sorted(os.listdir(os.path.join(workdir, "data_csv")))
        if f.startswith("hesa_")
    ]
    stacked = pd.concat(frames, ignore_index=True)
    return pd.concat([stacked["HE_COMDATE"], stacked["HE_ENDDATE"]]).dropna()


def check_tax_and_academic_years(ns, workdir):
    emp = pd.read_csv(os.path.join(workdir, "data_csv", "leo_employment.csv"), dtype=str)
    text = pd.concat([emp["StartDate"], emp["EndDate"], hesa_dates(workdir)])
    text = text[text != "9999-12-31"].reset_index(drop=True)
    dates = pd.to_datetime(text)
    assert len(dates) > 400000
    np.testing.assert_array_equal(ns["tax_year"](dates).values, derive.tax_year_of(text).values)
    for month in (9, 8):
        np.testing.assert_array_equal(
            ns["academic_year"](dates, month).values,
            derive.academic_year_of(text, start_month=month).values,
        )


def check_years_after_graduation(ns, workdir):
    g = ns["graduates"]
    assert len(g) > 10000
    for n in (1, 3, 5):
        np.testing.assert_array_equal(
            g[f"yag{n}"].values, derive.yag_tax_year(g["grad_year"].values, n)
        )
    np.testing.assert_array_equal(
        g["yag_in_201819"].values, derive.years_after_graduation(g["grad_year"].values, 201819)
    )


def check_earnings_panel(ns, workdir):
    pay, edk = ns["pay"], ns["edk"]
    by_person = (
        pay.merge(edk, left_on="Edukey", right_on="EDUKEY")
        .groupby(["AE_ID", "TaxYear"], as_index=False)["Earnings"]
        .sum()
    )
    ours = derive.earnings_panel(by_person, ns["people"], ns["TAX_YEARS"], person="AE_ID")
    theirs = ns["panel"].sort_values(["AE_ID", "TaxYear"]).reset_index(drop=True)
    assert len(ours) == len(theirs) == len(ns["people"]) * len(ns["TAX_YEARS"])
    for col in ("AE_ID", "TaxYear", "Earnings", "has_record"):
        np.testing.assert_array_equal(ours[col].values, theirs[col].values, err_msg=col)


def check_days_employed(ns, workdir):
    emp = ns["emp"][["EduKey", "StartDate", "EndDate"]]
    ours = derive.days_employed(emp, tax_years=ns["TAX_YEARS"], data_end=DATA_END)
    ours = ours[ours["days_employed"] > 0].reset_index(drop=True)
    theirs = ns["days"].sort_values(["EduKey", "TaxYear"]).reset_index(drop=True)
    assert len(ours) == len(theirs) > 200000
    for col in ("EduKey", "TaxYear", "days_employed"):
        np.testing.assert_array_equal(ours[col].values, theirs[col].values, err_msg=col)


def check_sustained_employment(ns, workdir):
    emp = ns["emp"][["EduKey", "StartDate", "EndDate"]]
    ours = derive.sustained_employment(
        emp, tax_years=ns["TAX_YEARS"], self_assessment=ns["sa"], data_end=DATA_END
    )
    theirs = ns["status"]
    both = ours.merge(theirs, on=["EduKey", "TaxYear"], how="left", suffixes=("", "_recipe"))
    seen = both["sustained_recipe"].notna()
    assert seen.sum() == len(theirs) > 200000
    for col in ("months_oct_mar", "sustained_paye", "sa_record", "sustained"):
        derive_col = "months_employed_oct_mar" if col == "months_oct_mar" else col
        np.testing.assert_array_equal(
            both.loc[seen, derive_col].values.astype(int),
            both.loc[seen, col + "_recipe" if col != "months_oct_mar" else col].values.astype(int),
            err_msg=col,
        )
    # person-years the recipe leaves out have no activity at all
    assert not both.loc[~seen, "sustained"].any()
    assert (both.loc[~seen, "months_employed_oct_mar"] == 0).all()


def check_annualised_earnings(ns, workdir):
    theirs = ns["pay"]
    earnings = theirs[["Edukey", "TaxYear", "Earnings"]]
    ours = derive.annualised_earnings(
        earnings, ns["emp"][["EduKey", "StartDate", "EndDate"]], data_end=DATA_END
    )
    assert len(ours) == len(theirs) > 200000
    np.testing.assert_allclose(
        ours["annualised_earnings"].values, theirs["annualised"].values, rtol=1e-12
    )
    np.testing.assert_array_equal(
        ours["days_employed"].values, theirs["days_employed"].fillna(0).values.astype(int)
    )


def check_graduate_outcomes(ns, workdir):
    # the loop's last pass: 5 YAG, tax year 2018/19, person = AE_ID over all their EDUKEYs
    g, emp, sa, pay = ns["g"], ns["emp"], ns["sa"], ns["pay"]
    assert ns["ty"] == 201819 and g.index.name == "AE_ID" and len(g) > 3000
    spells = emp[["AE_ID", "StartDate", "EndDate"]]
    status = derive.sustained_employment(
        spells,
        tax_years=[201819],
        self_assessment=sa[["AE_ID", "TaxYear"]],
        person="AE_ID",
        data_end=DATA_END,
    ).set_index("AE_ID")
    ours = status["sustained"].reindex(g.index).fillna(False).astype(bool)
    np.testing.assert_array_equal(ours.values, g["sustained"].values)
    earnings = pay.xs(201819, level="TaxYear").rename("Earnings").reset_index()
    earnings["TaxYear"] = 201819
    annual = derive.annualised_earnings(earnings, spells, person="AE_ID", data_end=DATA_END)
    annual = annual.set_index("AE_ID")["annualised_earnings"].reindex(g.index)
    np.testing.assert_allclose(annual.values, g["annualised"].values, rtol=1e-12)


CHECKS = {
    "time/convert_tax_and_academic_years": (
        {"tax_year_of", "academic_year_of"},
        check_tax_and_academic_years,
    ),
    "time/count_years_after_graduation": (
        {"yag_tax_year", "years_after_graduation"},
        check_years_after_graduation,
    ),
    "time/build_earnings_panel": ({"earnings_panel"}, check_earnings_panel),
    "time/clean_employment_spells": ({"days_employed"}, check_days_employed),
    "outcomes/flag_sustained_employment": ({"sustained_employment"}, check_sustained_employment),
    "outcomes/annualise_earnings": ({"annualised_earnings"}, check_annualised_earnings),
    "outcomes/tabulate_graduate_outcomes": (
        {"sustained_employment", "annualised_earnings"},
        check_graduate_outcomes,
    ),
}

DECLARED = [r for r in pages() if getattr(r, "meta", {}).get("same_as_derive")]


def test_every_declared_match_has_a_check():
    declared = {r.name: set(r.meta["same_as_derive"]) for r in DECLARED}
    registered = {name: functions for name, (functions, _) in CHECKS.items()}
    assert declared == registered


@pytest.mark.parametrize("rec", DECLARED, ids=[r.name for r in DECLARED])
def test_recipe_equals_leokit_derive(rec, recipe_workdir):  # noqa: F811
    fail_unreadable(rec)
    if rec.name not in CHECKS:
        pytest.fail(f"recipe {rec.name} declares same_as_derive but has no check here")
    _, check = CHECKS[rec.name]
    ns = run_in_process(rec, recipe_workdir)
    try:
        check(ns, recipe_workdir)
    except AssertionError as exc:
        pytest.fail(f"recipe {rec.name} and leokit.derive disagree: {exc}", pytrace=False)
