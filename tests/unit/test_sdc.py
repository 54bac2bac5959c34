"""Tests for leokit.sdc with hand-made tables and known answers.

Also run under the SRS profile (Python 3.7, pandas 1.0.1, pytest 7): keep to Python 3.7
syntax and pytest 7.0 features, and import nothing from leokit but ``sdc``.
"""

import numpy as np
import pandas as pd
import pytest

from leokit import sdc

pytestmark = pytest.mark.filterwarnings("error")


def people(counts, prefix="p"):
    """One row per person: counts is {(column values...): number of people}."""
    rows = []
    for key, n in counts.items():
        for _ in range(n):
            rows.append((prefix + str(len(rows)),) + key)
    return rows


def nan_positions(table):
    """Sorted (row, column) labels of the suppressed cells."""
    out = []
    for i, row in enumerate(table.index):
        for j, col in enumerate(table.columns):
            if np.isnan(float(table.iat[i, j])):
                out.append((str(row), str(col)))
    return sorted(out)


# ---------------------------------------------------------------------------------------------
# rounding and counts


def test_round_half_up():
    assert list(sdc.round_half_up([0, 2, 3, 12, 13, 17, 18, 12.5, 22.5], 5)) == [
        0,
        0,
        5,
        10,
        15,
        15,
        20,
        15,
        25,
    ]
    assert list(sdc.round_half_up([25, 35, 44], 10)) == [30, 40, 40]
    assert np.isnan(sdc.round_half_up([np.nan], 5)[0])
    with pytest.raises(ValueError, match="positive"):
        sdc.round_half_up([1], 0)


def test_safe_counts_threshold_and_rounding():
    rows = people({("N",): 27, ("S",): 10, ("W",): 7, ("E",): 9})
    df = pd.DataFrame(rows, columns=["EduKey", "region"])
    table, report = sdc.safe_counts(df, "region", unit="EduKey", return_report=True)
    assert table["region"].tolist() == ["E", "N", "S", "W"]
    assert table["count"].tolist()[1:3] == [25.0, 10.0]
    assert np.isnan(table["count"].iloc[0]) and np.isnan(table["count"].iloc[3])
    assert report.cells("threshold") == ["region=E", "region=W"]
    assert sdc.report_of(table) is report
    exact = sdc.safe_counts(df, ["region"], unit="EduKey", round_base=None)
    assert exact["count"].tolist()[1:3] == [27.0, 10.0]


def test_safe_counts_distinct_units_not_rows():
    # 12 rows but only 4 people in cell A; 10 people in B
    df = pd.DataFrame(
        {
            "EduKey": ["a", "b", "c", "d"] * 3 + [f"p{i}" for i in range(10)],
            "group": ["A"] * 12 + ["B"] * 10,
        }
    )
    by_unit = sdc.safe_counts(df, "group", unit="EduKey")
    assert np.isnan(by_unit["count"].iloc[0])
    assert by_unit["count"].iloc[1] == 10.0
    by_row = sdc.safe_counts(df, "group")
    assert by_row["count"].tolist() == [10.0, 10.0]  # 12 rows round to 10


def test_safe_counts_two_columns_and_bad_input():
    rows = people({("N", "F"): 14, ("N", "M"): 3, ("S", "F"): 18})
    df = pd.DataFrame(rows, columns=["EduKey", "region", "sex"])
    table = sdc.safe_counts(df, ["region", "sex"], unit="EduKey", name="people")
    assert table[["region", "sex"]].values.tolist() == [["N", "F"], ["N", "M"], ["S", "F"]]
    assert table["people"].iloc[0] == 15.0 and table["people"].iloc[2] == 20.0
    assert sdc.report_of(table).cells() == ["region=N, sex=M"]
    with pytest.raises(ValueError, match="missing column\\(s\\) \\['nope'\\]"):
        sdc.safe_counts(df, ["nope"])
    with pytest.raises(ValueError, match="no disclosure-control report"):
        sdc.report_of(df)


# ---------------------------------------------------------------------------------------------
# statistics and dominance


def test_dominance_rules():
    # one firm with 95% of the earnings fails (n=2, k=0.9)
    assert sdc.dominance_failure([95] + [0.5] * 10) == "nk"
    # two equal giants: the top two hold 97.6% (< 99%) but the rest (5) is under 10% of the
    # largest (100), so the p% rule fails
    cell = [100, 100] + [0.5] * 10
    assert sdc.dominance_failure(cell, n=2, k=0.99, p=0.10) == "p%"
    assert sdc.dominance_failure(cell, n=2, k=0.99, p=None) == ""
    assert sdc.dominance_failure([10] * 12) == ""
    assert sdc.dominance_failure([0] * 12) == ""
    assert sdc.dominance_failure([-95] + [0.5] * 10) == "nk"


def test_safe_stat_dominance_one_firm_with_95_percent():
    # 12 firms in each sector; in "mining" one firm pays 95% of the wage bill
    mining = [9500] + [500.0 / 11] * 11
    retail = [1000.0] * 12
    df = pd.DataFrame(
        {
            "firm": [f"m{i}" for i in range(12)] + [f"r{i}" for i in range(12)],
            "sector": ["mining"] * 12 + ["retail"] * 12,
            "pay": mining + retail,
        }
    )
    total, report = sdc.safe_stat(df, "sector", "pay", "sum", unit="firm", return_report=True)
    assert np.isnan(total["sum"].iloc[0])
    assert total["sum"].iloc[1] == 12000.0
    assert total["n"].tolist() == [10.0, 10.0]  # n is shown, rounded
    assert report.to_frame()[["cell", "reason"]].values.tolist() == [["sector=mining", "dominance"]]
    mean = sdc.safe_stat(df, "sector", "pay", "mean", unit="firm")
    assert np.isnan(mean["mean"].iloc[0]) and mean["mean"].iloc[1] == 1000.0
    # percentiles are not magnitudes: only the threshold applies
    median = sdc.safe_stat(df, "sector", "pay", "median", unit="firm")
    assert median["median"].iloc[0] == pytest.approx(500.0 / 11)
    assert len(sdc.report_of(median)) == 0
    off = sdc.safe_stat(df, "sector", "pay", "sum", unit="firm", dominance=False)
    assert off["sum"].iloc[0] == pytest.approx(10000.0)


def test_safe_stat_dominance_counts_a_units_rows_together():
    # firm f0 has 11 rows of 100; ten other firms 10 each: f0 holds 1100 of 1200
    df = pd.DataFrame(
        {"firm": ["f0"] * 11 + [f"f{i}" for i in range(1, 11)], "pay": [100] * 11 + [10] * 10}
    )
    df["all"] = "x"
    by_firm = sdc.safe_stat(df, "all", "pay", "sum", unit="firm")
    assert np.isnan(by_firm["sum"].iloc[0])
    assert sdc.report_of(by_firm).cells("dominance") == ["all=x"]
    by_row = sdc.safe_stat(df, "all", "pay", "sum")  # rows as units: 21 small contributors
    assert by_row["sum"].iloc[0] == 1200.0


def test_safe_stat_values_threshold_and_rounding():
    pay = [1000.0 * i for i in range(1, 13)]  # 1000 .. 12000
    df = pd.DataFrame(
        {
            "EduKey": [f"a{i}" for i in range(12)] + [f"b{i}" for i in range(9)],
            "group": ["A"] * 12 + ["B"] * 9,
            "Earnings": pay + [50000.0] * 9,
        }
    )
    out = sdc.safe_stat(df, "group", "Earnings", "median", unit="EduKey")
    assert out["median"].iloc[0] == 6500.0
    assert np.isnan(out["median"].iloc[1]) and np.isnan(out["n"].iloc[1])
    assert sdc.report_of(out).to_frame()["detail"].tolist() == ["fewer than 10 units"]
    p25 = sdc.safe_stat(df, "group", "Earnings", "p25", unit="EduKey")
    assert p25["p25"].iloc[0] == 3750.0
    p75 = sdc.safe_stat(df, "group", "Earnings", "p75", unit="EduKey", round_to=100)
    assert p75["p75"].iloc[0] == 9300.0  # 9250 rounds half up
    mean = sdc.safe_stat(df.assign(Earnings=df["Earnings"] + 7), "group", "Earnings", "mean")
    assert mean["mean"].iloc[0] == pytest.approx(6507.0)
    # missing values are left out and do not count as units
    gappy = df.copy()
    gappy.loc[[0, 1, 2], "Earnings"] = np.nan  # leaves 9 people with a value
    assert np.isnan(sdc.safe_stat(gappy, "group", "Earnings", "median")["median"].iloc[0])


@pytest.mark.parametrize("stat", ["min", "max", "p0", "p100"])
def test_safe_stat_refuses_minima_and_maxima(stat):
    df = pd.DataFrame({"g": ["a"] * 20, "v": range(20)})
    with pytest.raises(ValueError, match="minima and maxima"):
        sdc.safe_stat(df, "g", "v", stat)


def test_safe_stat_unknown_stat_and_non_numeric_value():
    df = pd.DataFrame({"g": ["a"] * 20, "v": ["x"] * 20})
    with pytest.raises(ValueError, match="unknown stat 'mode'"):
        sdc.safe_stat(df, "g", "v", "mode")
    with pytest.raises(ValueError, match="not numeric"):
        sdc.safe_stat(df, "g", "v", "mean")


# ---------------------------------------------------------------------------------------------
# secondary suppression and two-way tables


def hand_table():
    return pd.DataFrame(
        [[5, 20, 30, 55], [40, 12, 25, 77], [45, 32, 55, 132]],
        index=pd.Index(["x", "y", "All"], name="row"),
        columns=pd.Index(["a", "b", "c", "All"], name="col"),
    )


def test_secondary_suppression_by_subtraction():
    primary = hand_table().astype(float)
    primary.loc["x", "a"] = np.nan  # the 5
    out, report = sdc.secondary_suppression(primary, return_report=True)
    # row x gives up its next smallest (20); columns a and b then need y's cells too
    assert nan_positions(out) == [("x", "a"), ("x", "b"), ("y", "a"), ("y", "b")]
    assert out.loc["All"].tolist() == [45.0, 32.0, 55.0, 132.0]
    assert report.cells("secondary") == ["row=x, col=b", "row=y, col=a", "row=y, col=b"]
    assert report.to_frame()["detail"].tolist()[0] == (
        "row x would reveal a suppressed cell by subtraction"
    )
    # without margins nothing can be recovered
    same = sdc.secondary_suppression(primary, margins=False)
    assert nan_positions(same) == [("x", "a")]
    with pytest.raises(ValueError, match="no row or column is labelled 'Total'"):
        sdc.secondary_suppression(primary, margins_name="Total")


def test_secondary_suppression_row_totals_only():
    # only a total column: rows are tied, columns are not
    t = hand_table().drop(index="All").astype(float)
    t.loc["y", "b"] = np.nan
    out = sdc.secondary_suppression(t)
    assert nan_positions(out) == [("y", "b"), ("y", "c")]


def test_safe_crosstab_threshold_secondary_and_rounding():
    rows = people({("N", "F"): 12, ("N", "M"): 15, ("S", "F"): 3, ("S", "M"): 20})
    df = pd.DataFrame(rows, columns=["EduKey", "region", "sex"])
    table, report = sdc.safe_crosstab(df, "region", "sex", unit="EduKey", return_report=True)
    assert list(table.index) == ["N", "S", "All"]
    assert list(table.columns) == ["F", "M", "All"]
    # S-F (3) is small; S-M goes with it along row S, then N-F and N-M along the columns
    assert nan_positions(table) == [("N", "F"), ("N", "M"), ("S", "F"), ("S", "M")]
    assert table["All"].tolist() == [25.0, 25.0, 50.0]  # 27, 23, 50 rounded
    assert table.loc["All"].tolist() == [15.0, 35.0, 50.0]
    assert report.counts() == {"threshold": 1, "secondary": 3}
    assert report.cells("threshold") == ["region=S, sex=F"]


def test_safe_crosstab_zero_cells():
    rows = people({("N", "F"): 12, ("N", "M"): 15, ("S", "M"): 20})  # no S-F at all
    df = pd.DataFrame(rows, columns=["EduKey", "region", "sex"])
    strict = sdc.safe_crosstab(df, "region", "sex", unit="EduKey")
    assert ("S", "F") in nan_positions(strict)
    assert sdc.report_of(strict).to_frame()["detail"].tolist()[0] == "zero cell"
    relaxed = sdc.safe_crosstab(df, "region", "sex", unit="EduKey", zeros_disclosive=False)
    assert nan_positions(relaxed) == []
    assert relaxed.values.tolist() == [[10.0, 15.0, 25.0], [0.0, 20.0, 20.0], [10.0, 35.0, 45.0]]
    no_margins = sdc.safe_crosstab(df, "region", "sex", unit="EduKey", margins=False)
    assert nan_positions(no_margins) == [("S", "F")]


# ---------------------------------------------------------------------------------------------
# the report


def test_report_text_has_no_small_numbers():
    rows = people({("N",): 27, ("W",): 7})
    df = pd.DataFrame(rows, columns=["EduKey", "region"])
    report = sdc.report_of(sdc.safe_counts(df, "region", unit="EduKey"))
    assert str(report) == "\n".join(
        [
            "Disclosure control: counts of units (EduKey) by region",
            "rules: at least 10 units per cell; counts rounded to base 5",
            "2 cells, 1 suppressed (1 threshold)",
            "  suppressed region=W: threshold (fewer than 10 units)",
        ]
    )
    assert "7" not in str(report) and "27" not in str(report)
    assert report.ok and len(report) == 1
    assert list(report.to_frame().columns) == ["action", "cell", "reason", "detail"]


# ---------------------------------------------------------------------------------------------
# checking a hand-made table


def test_check_table_finds_each_problem():
    t = hand_table().astype(float)
    t.loc["x", "a"] = np.nan  # suppressed, but recoverable from row x and column a
    t.loc["y", "c"] = 7  # a small cell shown, and not rounded either
    # 12, 77, 32 and 132 are not multiples of 5
    report = sdc.check_table(t, margins=True)
    found = sorted((e["cell"], e["reason"]) for e in report.problems)
    assert found == [
        ("row=All, col=All", "rounding"),
        ("row=All, col=b", "rounding"),
        ("row=x, col=a", "secondary"),
        ("row=x, col=a", "secondary"),
        ("row=y, col=All", "rounding"),
        ("row=y, col=b", "rounding"),
        ("row=y, col=c", "rounding"),
        ("row=y, col=c", "threshold"),
    ]
    assert not report.ok
    assert "NOT safe to release" in str(report)


def test_check_table_clean_table_and_counts_and_labels():
    clean = pd.DataFrame(
        {"count": [15.0, np.nan, 20.0]}, index=pd.Index(["a", "b", "c"], name="group")
    )
    report = sdc.check_table(clean)
    assert report.ok and str(report).endswith("no problems found")
    # a median table checked against its unit counts: b shows a value with only 8 people
    medians = pd.DataFrame({"median": [21000.0, 25000.0]}, index=["a", "b"])
    counts = pd.DataFrame({"median": [40, 8]}, index=["a", "b"])
    bad = sdc.check_table(medians, counts=counts)
    assert [(e["cell"], e["reason"]) for e in bad.problems] == [
        ("row=b, column=median", "threshold")
    ]
    # zeros: disclosive by default
    zeros = pd.DataFrame({"count": [0.0, 15.0]})
    assert [e["reason"] for e in sdc.check_table(zeros).problems] == ["threshold"]
    assert sdc.check_table(zeros, zeros_disclosive=False).ok
    # minima / maxima in labels
    labelled = pd.DataFrame({"max_earnings": [50000.0]}, index=["all"])
    minmax = sdc.check_table(labelled, counts=pd.DataFrame({"max_earnings": [100]}))
    assert [e["reason"] for e in minmax.problems] == ["minmax"]
