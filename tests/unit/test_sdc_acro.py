"""leokit.sdc against SACRO's output checker ACRO on the same microdata.

Synthetic frames made to hit one rule each, then tables like the ones the notebooks publish
built from the default extract. Every cell on which the two disagree must be an expected
difference whose reason holds for that cell (support/acro_check.py); the tests also assert
that the expected differences do occur, and that cells both should hide are hidden by both.
ACRO needs Python 3.10+: not an SRS-profile test.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("acro")

from support import acro_check  # noqa: E402
from support.acro_check import compare, summary, unexplained  # noqa: E402

from leokit import sdc  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXTRACT = ROOT / "data_synthetic"


def explanation(fragment):
    """The one expected difference whose text has ``fragment``."""
    (text,) = {e[3] for e in acro_check.EXPLANATIONS if fragment in e[3]}
    return text


SECONDARY = explanation("no secondary suppression")
COMPLEMENT = explanation("no complement rule")
CLASS = explanation("class-disclosure")
UNITS = explanation("counts distinct units")
MISSING_GROUP = explanation("missing category of a pivot table")


def why_of(diffs):
    return {d.cell: d.why for d in diffs}


def groups(sizes, value=None, seed=0):
    """One row per person, ``sizes`` = {group: rows}; ``value`` = {group: list of values}."""
    rng = np.random.RandomState(seed)
    rows = []
    for g, n in sizes.items():
        vals = value[g] if value and g in value else list(1000 + rng.uniform(0, 500, n))
        rows += [(g, v) for v in vals[:n]]
    df = pd.DataFrame(rows, columns=["g", "v"])
    df["id"] = ["p" + str(i) for i in range(len(df))]
    return df


# ---------------------------------------------------------------------------------------------
# one rule at a time


def test_threshold_both_hide_small_cells():
    df = groups({"a": 5, "b": 9, "c": 10, "d": 30})
    assert compare(df, {"table": "counts", "by": "g"}) == []
    assert compare(df, {"table": "stat", "by": "g", "value": "v", "stat": "mean"}) == []
    counts = sdc.safe_counts(df, "g")
    assert counts["count"].isna().tolist() == [True, True, False, False]


def test_zeros_both_hide_and_only_leokit_adds_secondary_suppression():
    df = pd.DataFrame(
        {"r": ["x"] * 30 + ["y"] * 30 + ["z"] * 25, "c": ["m"] * 15 + ["f"] * 15 + ["m"] * 30 + ["f"] * 25}
    )  # fmt: skip
    diffs = compare(df, {"table": "crosstab", "index": "r", "columns": "c"})
    assert unexplained(diffs) == []
    # y-f and z-m are zeros: ACRO and leokit both hide them; leokit also hides what the
    # margins would give away
    table = sdc.safe_crosstab(df, "r", "c")
    assert np.isnan(table.loc["y", "f"]) and np.isnan(table.loc["z", "m"])
    assert {d.cell for d in diffs} == {"r=y, c=m", "r=z, c=f"}
    assert set(why_of(diffs).values()) == {SECONDARY}
    # zeros shown when not disclosive: ACRO's threshold check still fails them
    relaxed = compare(
        df, {"table": "crosstab", "index": "r", "columns": "c"}, zeros_disclosive=False
    )
    assert unexplained(relaxed) == []
    assert {(d.cell, d.leokit, d.acro) for d in relaxed} == {
        ("r=y, c=f", "", "threshold"),
        ("r=z, c=m", "", "threshold"),
    }


def test_dominance_nk_and_p_percent_agree():
    one_giant = [9500.0] + list(np.linspace(30, 60, 11))
    two_giants = [5000.0, 5000.0] + list(np.linspace(20, 60, 10))
    spread = list(np.linspace(900, 1100, 12))
    df = groups(
        {"nk": 12, "p%": 12, "ok": 12}, value={"nk": one_giant, "p%": two_giants, "ok": spread}
    )
    assert sdc.dominance_failure(two_giants, k=0.99) == "p%"
    for stat in ("sum", "mean"):
        assert compare(df, {"table": "stat", "by": "g", "value": "v", "stat": stat}) == []
    table = sdc.safe_stat(df, "g", "v", "sum")
    assert table["sum"].isna().tolist() == [True, False, True]  # nk, ok, p%


def test_dominance_at_exactly_k_and_with_negative_values():
    exact = [45.0, 45.0] + [1.0] * 10  # the top two hold exactly 90%
    spread = list(np.linspace(900, 1100, 12))
    df = groups({"exact": 12, "ok": 12}, value={"exact": exact, "ok": spread})
    diffs = compare(df, {"table": "stat", "by": "g", "value": "v", "stat": "sum"})
    assert [(d.cell, d.leokit, d.acro) for d in diffs] == [("g=exact", "", "dominance")]
    assert ">=" in diffs[0].why
    # a negative value anywhere: ACRO flags that cell and skips dominance for the table, so
    # the dominated cell is hidden by leokit only
    negative = [-50.0] + list(np.linspace(900, 1100, 11))
    one_giant = [9500.0] + list(np.linspace(30, 60, 11))
    df = groups({"neg": 12, "nk": 12}, value={"neg": negative, "nk": one_giant})
    diffs = compare(df, {"table": "stat", "by": "g", "value": "v", "stat": "sum"})
    assert unexplained(diffs) == []
    assert [(d.cell, d.leokit, d.acro) for d in diffs] == [
        ("g=neg", "", "dominance"),
        ("g=nk", "dominance", ""),
    ]
    assert "review" in diffs[0].why and "whole table" in diffs[1].why


def test_units_not_rows():
    # 12 rows from 4 people; 12 rows from 12 people
    df = pd.DataFrame({"g": ["few"] * 12 + ["many"] * 12, "v": np.arange(24.0) + 100})
    df["id"] = ["a", "b", "c", "d"] * 3 + ["m" + str(i) for i in range(12)]
    for spec in (
        {"table": "counts", "by": "g", "unit": "id"},
        {"table": "stat", "by": "g", "value": "v", "stat": "mean", "unit": "id"},
    ):
        diffs = compare(df, spec)
        assert [(d.cell, d.leokit, d.acro) for d in diffs] == [("g=few", "threshold", "")]
        assert "counts distinct units" in diffs[0].why


def test_dominance_adds_up_a_units_rows():
    # employer e0 has 60 rows of 100; 11 other employers one row of 40..60: no single row
    # dominates, but e0 holds 6000 of 6550
    df = pd.DataFrame({"g": "all", "v": [100.0] * 60 + list(np.linspace(40, 60, 11))})
    df["firm"] = ["e0"] * 60 + ["e" + str(i) for i in range(1, 12)]
    diffs = compare(df, {"table": "stat", "by": "g", "value": "v", "stat": "sum", "unit": "firm"})
    assert [(d.leokit, d.acro) for d in diffs] == [("dominance", "")]
    assert "each unit's rows" in diffs[0].why


def test_rates_complement_rule():
    # 52 people, 46 with the outcome (the output checker's case); 40/12; 20/20
    y = {"A": [1] * 46 + [0] * 6, "B": [1] * 40 + [0] * 12, "C": [1] * 20 + [0] * 20}
    df = groups({"A": 52, "B": 52, "C": 40}, value=y)
    diffs = compare(df, {"table": "stat", "by": "g", "value": "v", "stat": "rate"})
    assert [(d.cell, d.leokit, d.acro) for d in diffs] == [("g=A", "complement", "")]
    assert diffs[0].why == COMPLEMENT


def test_class_disclosure_and_medians():
    same = {"zero": [0.0] * 30, "same": [21000.0] * 30}
    df = groups({"zero": 30, "same": 30, "small": 12, "big": 40}, value=same)
    mean = compare(df, {"table": "stat", "by": "g", "value": "v", "stat": "mean"})
    # an all-zero cell fails ACRO's p% check (its largest contributor is 0), so both hide
    # it; a cell where everyone has 21,000 only leokit hides
    assert [(d.cell, d.leokit, d.acro) for d in mean] == [("g=same", "class", "")]
    assert mean[0].why == CLASS
    median = compare(df, {"table": "stat", "by": "g", "value": "v", "stat": "median"})
    assert unexplained(median) == []
    assert sorted((d.cell, d.leokit) for d in median) == [
        ("g=same", "class"),
        ("g=small", "percentile"),  # 12 units: 6 on each side of the median
        ("g=zero", "class"),
    ]


def test_missing_categories_and_missing_values():
    df = groups({"a": 30, "b": 25, None: 4})
    df.loc[df.index[df["g"] == "b"][:16], "v"] = np.nan  # b: 25 rows, 9 with a value
    diffs = compare(df, {"table": "stat", "by": "g", "value": "v", "stat": "mean"})
    assert unexplained(diffs) == []
    # both count only rows with a value (b: 9 of 25); only leokit checks the missing group
    assert {(d.cell, d.leokit): d.why for d in diffs} == {("g=missing", "threshold"): MISSING_GROUP}
    assert np.isnan(sdc.safe_stat(df, "g", "v", "mean")["mean"].iloc[1])
    counts = compare(df, {"table": "counts", "by": "g"})
    assert [(d.cell, d.leokit, d.why) for d in counts] == [
        ("g=missing", "threshold", MISSING_GROUP)
    ]


def test_crosstab_with_missing_category_and_rounded_margins():
    rng = np.random.RandomState(5)
    df = pd.DataFrame({"r": rng.choice(["a", "b", "c"], 400), "c": rng.choice(["x", "y"], 400)})
    df.loc[:11, "r"] = None  # 12 people with no r
    diffs = compare(df, {"table": "crosstab", "index": "r", "columns": "c", "rounding": True})
    assert unexplained(diffs) == []
    # both hide the missing row's cells (under 10 each); its total (12) only leokit shows,
    # ACRO has none; ACRO's rounded totals add its rounded cells, leokit rounds true totals
    rounded = [(d.cell, d.leokit, d.acro) for d in diffs if d.why == acro_check.ROUNDED_TOTALS]
    assert ("r=missing, c=All", "shows 10", "rounded 15") in rounded
    assert ("r=All, c=All", "shows 400", "rounded 405") in rounded


def test_standard_deviation_dof_mask():
    df = groups({"a": 30, "b": 40})
    diffs = compare(df, {"table": "stat", "by": "g", "value": "v", "stat": "std"})
    assert unexplained(diffs) == []
    assert [(d.cell, d.acro) for d in diffs] == [("g=a", "dof"), ("g=b", "dof")]


def test_specs_as_leokit_release_records_them():
    # the sdc function's own arguments, as release.Outputs.checked saves them with the
    # table's microdata in work_dir
    df = groups({"a": 30, "b": 8, None: 12})
    df["y"] = ([1, 0] * 30)[: len(df)]
    df["x"] = np.linspace(-3, 3, len(df))
    spec = {"function": "safe_stat", "by": ["g"], "value": "v", "stat": "median", "unit": "id",
            "threshold": 10, "round_base": 5, "missing": "missing"}  # fmt: skip
    assert unexplained(compare(df, spec)) == []
    counts = {"function": "safe_counts", "by": "g", "unit": None, "name": "people"}
    assert unexplained(compare(df, counts)) == []
    bins = {"function": "safe_bins", "x": "x", "y": "y", "bins": [-3, -1, 0, 1, 3], "unit": "id",
            "stat": "mean", "cutoff": 0.0, "limits": None}  # fmt: skip
    diffs = compare(df, bins)
    assert unexplained(diffs) == []
    # the inner bins have 8 rows (both hide them); the outer 17, about 8 with y=1: only
    # leokit's complement rule hides those
    assert {d.cell for d in diffs} == {"bin=0", "bin=3"}
    assert {d.why for d in diffs} == {COMPLEMENT}
    with pytest.raises(ValueError, match="no ACRO comparison for 'check_table'"):
        compare(df, {"function": "check_table"})


def test_the_checker_reports_what_it_cannot_explain():
    facts = {
        "key": ("a",), "rows": 30, "rows_with_value": 30, "units": 30, "rows_complete": 30,
        "margin": False, "missing": False, "threshold": 10, "stat": "mean", "unit": None,
        "binary": False, "same": False, "negative": False, "rows_dominated": "",
        "nk_ratio": 0.2,
    }  # fmt: skip
    assert acro_check.explain("threshold", "", facts) is None
    assert acro_check.explain("", "dominance", facts) is None
    assert acro_check.explain("", "threshold", facts) is None


# ---------------------------------------------------------------------------------------------
# tables like the notebooks', from the default extract


@pytest.fixture(scope="module")
def earnings():
    pay = pd.read_parquet(
        EXTRACT / "leo_earnings.parquet",
        columns=["Edukey", "TaxYear", "Earnings", "main_enterprise", "Main_Section"],
    )
    return pay[pay["TaxYear"] == 201819].reset_index(drop=True)


@pytest.fixture(scope="module")
def applicants():
    apps = pd.read_parquet(EXTRACT / "ucas_applicant.parquet")
    return apps[apps["application_cycle"] == 2012].reset_index(drop=True)


@pytest.fixture(scope="module")
def pupils():
    ks4 = pd.read_parquet(EXTRACT / "ks4pupil_2002_to_2014.parquet")
    return ks4[ks4["KS4_ACADYR"] == ks4["KS4_ACADYR"].max()].reset_index(drop=True)


def test_extract_people_by_sector(earnings):
    diffs = compare(earnings, {"table": "counts", "by": "Main_Section", "unit": "Edukey"})
    assert unexplained(diffs) == [], diffs
    # the 3% with no linked sector: leokit shows them as a 'missing' row (ACRO's table has
    # it too but leaves it unchecked); both hide the same small sectors
    table = sdc.safe_counts(earnings, "Main_Section", unit="Edukey")
    assert table["Main_Section"].iloc[-1] == "missing" and table["count"].iloc[-1] > 0


def test_extract_mean_and_sum_of_pay_by_sector(earnings):
    linked = earnings[earnings["main_enterprise"].notna()]
    for stat in ("mean", "sum"):
        by_row = compare(
            linked, {"table": "stat", "by": "Main_Section", "value": "Earnings", "stat": stat}
        )
        assert unexplained(by_row) == [], by_row
        by_firm = compare(
            linked,
            {"table": "stat", "by": "Main_Section", "value": "Earnings", "stat": stat, "unit": "main_enterprise"},
        )  # fmt: skip
        assert unexplained(by_firm) == [], by_firm
        # sectors with fewer than 10 enterprises but 10 or more people: leokit hides them
        assert summary(by_firm).get(UNITS, 0) >= 1


def test_extract_rates_by_fsm_and_sex(pupils):
    spec = {
        "table": "stat",
        "by": ["KS4_FSM", "KS4_GENDER"],
        "value": "KS4_LEVEL2_EM",
        "stat": "rate",
    }
    diffs = compare(pupils, spec, threshold=10)
    assert unexplained(diffs) == [], diffs
    # and by school: many small schools, where the complement rule bites
    by_school = compare(pupils, dict(spec, by="KS4_LAESTAB_anon"))
    assert unexplained(by_school) == []
    assert summary(by_school).get(COMPLEMENT, 0) >= 1


def test_extract_crosstab_with_margins_and_rounding(applicants):
    spec = {
        "table": "crosstab",
        "index": "applicant_polar4_code",
        "columns": "applicant_imd_code",
        "rounding": True,
    }
    diffs = compare(applicants, spec)
    assert unexplained(diffs) == [], diffs
    kinds = summary(diffs)
    assert kinds.get(SECONDARY, 0) >= 1
    assert kinds.get(acro_check.ROUNDED_TOTALS, 0) >= 1
    by_person = compare(applicants, dict(spec, unit="unique_id_cycle", rounding=False))
    assert unexplained(by_person) == [], by_person


def test_extract_medians(earnings, applicants):
    diffs = compare(
        earnings,
        {
            "table": "stat",
            "by": "Main_Section",
            "value": "Earnings",
            "stat": "median",
            "unit": "Edukey",
        },
    )
    assert unexplained(diffs) == [], diffs
    hesa = pd.read_parquet(
        EXTRACT / "hesa_2012.parquet", columns=["HE_GENDER", "HE_XINSTID01__ANON", "HE_XTARIFF"]
    )
    tariff = compare(
        hesa, {"table": "stat", "by": "HE_XINSTID01__ANON", "value": "HE_XTARIFF", "stat": "median"}
    )
    assert unexplained(tariff) == [], tariff
