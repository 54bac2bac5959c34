"""Tests for leokit.sdc with hand-made tables and known answers.

Also run under the SRS profile (Python 3.7, pandas 1.0.1, pytest 7): keep to Python 3.7
syntax and pytest 7.0 features, and import nothing from leokit but ``sdc``.
"""

import json
import math
import re

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


def outcome_frame(cells, unit="AE_ID"):
    """One row per person: cells is {group: (number with the outcome, number without)}."""
    rows = []
    for group, (with_it, without) in cells.items():
        rows += [(group, 1)] * with_it + [(group, 0)] * without
    df = pd.DataFrame(rows, columns=["group", "y"])
    df[unit] = ["p" + str(i) for i in range(len(df))]
    return df


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
    for base in (0, -5, float("nan"), None):
        with pytest.raises(ValueError, match="positive"):
            sdc.round_half_up([1], base)


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
            "EduKey": ["a", "b", "c", "d"] * 3 + ["p" + str(i) for i in range(10)],
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


def test_safe_counts_keeps_missing_categories():
    # 30 people in N, 12 with no region recorded: the missing ones form their own row, so the
    # total agrees with a count of everyone
    df = pd.DataFrame(people({("N",): 30, (None,): 12}), columns=["EduKey", "region"])
    table, report = sdc.safe_counts(df, "region", unit="EduKey", return_report=True)
    assert table["region"].tolist() == ["N", "missing"]
    assert table["count"].tolist() == [30.0, 10.0]
    assert report.notes == ["missing values of region are shown as 'missing'"]
    left_out, report2 = sdc.safe_counts(df, "region", missing=None, return_report=True)
    assert left_out["region"].tolist() == ["N"]
    assert report2.notes == ["rows with a missing region are left out"]
    # numeric codes with gaps keep their order, missing last
    codes = pd.DataFrame({"code": [2.0] * 10 + [np.nan] * 10 + [1.0] * 10})
    assert sdc.safe_counts(codes, "code")["code"].tolist() == [1.0, 2.0, "missing"]
    # categories keep their own order (as pd.qcut makes them), missing last
    bands = pd.Categorical(["Q2"] * 10 + ["Q1"] * 12 + [None] * 10, categories=["Q1", "Q2", "Q3"])
    by_band = sdc.safe_counts(pd.DataFrame({"band": bands}), "band")
    assert by_band["band"].tolist() == ["Q1", "Q2", "missing"]
    assert by_band["count"].tolist() == [10.0, 10.0, 10.0]
    complete = sdc.safe_counts(pd.DataFrame({"band": bands[:22]}), "band")
    assert complete["band"].tolist() == ["Q1", "Q2"] and complete["band"].dtype.name == "category"
    with pytest.raises(ValueError, match="already has a category 'missing'"):
        sdc.safe_counts(pd.DataFrame({"g": ["missing", None] * 10}), "g")


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
    retail = [950.0, 1050.0] * 6
    df = pd.DataFrame(
        {
            "firm": ["m" + str(i) for i in range(12)] + ["r" + str(i) for i in range(12)],
            "sector": ["mining"] * 12 + ["retail"] * 12,
            "pay": mining + retail,
        }
    )
    total, report = sdc.safe_stat(df, "sector", "pay", "sum", unit="firm", return_report=True)
    assert np.isnan(total["sum"].iloc[0])
    assert total["sum"].iloc[1] == 12000.0
    assert total["n"].tolist() == [10.0, 10.0]  # n is shown, rounded
    assert report.to_frame()[["cell", "reason"]].values.tolist() == [["sector=mining", "dominance"]]
    assert report.kind == "magnitude"
    mean = sdc.safe_stat(df, "sector", "pay", "mean", unit="firm")
    assert np.isnan(mean["mean"].iloc[0]) and mean["mean"].iloc[1] == 1000.0
    off = sdc.safe_stat(df, "sector", "pay", "sum", unit="firm", dominance=False)
    assert off["sum"].iloc[0] == pytest.approx(10000.0)


def test_safe_stat_dominance_counts_a_units_rows_together():
    # firm f0 has 11 rows of 100; ten other firms 10 or 11 each: f0 holds 1100 of 1205
    df = pd.DataFrame(
        {
            "firm": ["f0"] * 11 + ["f" + str(i) for i in range(1, 11)],
            "pay": [100] * 11 + [10, 11] * 5,
        }
    )
    df["all"] = "x"
    by_firm = sdc.safe_stat(df, "all", "pay", "sum", unit="firm")
    assert np.isnan(by_firm["sum"].iloc[0])
    assert sdc.report_of(by_firm).cells("dominance") == ["all=x"]
    by_row = sdc.safe_stat(df, "all", "pay", "sum")  # rows as units: 21 small contributors
    assert by_row["sum"].iloc[0] == 1205.0


def test_safe_stat_values_threshold_and_rounding():
    pay = [500.0 * i for i in range(1, 25)]  # 500 .. 12000, 24 people
    df = pd.DataFrame(
        {
            "EduKey": ["a" + str(i) for i in range(24)] + ["b" + str(i) for i in range(9)],
            "group": ["A"] * 24 + ["B"] * 9,
            "Earnings": pay + [50000.0 + i for i in range(9)],
        }
    )
    out = sdc.safe_stat(df, "group", "Earnings", "median", unit="EduKey")
    assert out["median"].iloc[0] == 6250.0
    assert np.isnan(out["median"].iloc[1]) and np.isnan(out["n"].iloc[1])
    assert sdc.report_of(out).to_frame()["detail"].tolist() == ["fewer than 10 units"]
    p75 = sdc.safe_stat(df, "group", "Earnings", "p60", unit="EduKey", round_to=100)
    assert p75["p60"].iloc[0] == 7400.0  # 7400 exactly: 14 at or below, 10 at or above
    mean = sdc.safe_stat(df.assign(Earnings=df["Earnings"] + 7), "group", "Earnings", "mean")
    assert mean["mean"].iloc[0] == pytest.approx(6257.0)
    # missing values are left out and do not count as units
    gappy = df.copy()
    gappy.loc[list(range(15)), "Earnings"] = np.nan  # leaves 9 people with a value
    assert np.isnan(sdc.safe_stat(gappy, "group", "Earnings", "mean")["mean"].iloc[0])


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


def test_safe_stat_groups_missing_categories():
    df = pd.DataFrame({"g": ["a"] * 20 + [None] * 20, "v": [float(i) for i in range(20)] * 2})
    out, report = sdc.safe_stat(df, "g", "v", "mean", return_report=True)
    assert out["g"].tolist() == ["a", "missing"]
    assert out["mean"].tolist() == [9.5, 9.5]
    assert "missing values of g are shown as 'missing'" in report.notes


# ---------------------------------------------------------------------------------------------
# rates: the complement rule and their precision


def test_rate_complement_rule_the_output_checkers_case():
    # 52 people of whom 46 have the outcome: the 6 without it would be given away
    df = outcome_frame({"A": (46, 6), "B": (40, 12), "C": (10, 10)})
    out, report = sdc.safe_stat(df, "group", "y", stat="mean", unit="AE_ID", return_report=True)
    assert report.kind == "rate"
    assert np.isnan(out["mean"].iloc[0]) and out["n"].iloc[0] == 50.0  # n still shown
    assert out["mean"].iloc[1] == pytest.approx(0.8)  # 40 / 50 (rounded counts), not 0.769
    assert out["mean"].iloc[2] == pytest.approx(0.5)
    assert [(e["cell"], e["reason"]) for e in report.suppressed] == [("group=A", "complement")]
    # the detail does not say which side is small
    assert report.suppressed[0]["detail"] == (
        "fewer than 10 units with the outcome, or fewer than 10 without"
    )
    assert "complement rule" in report.rules


def test_rate_detected_for_booleans_and_stated_with_stat_rate():
    df = outcome_frame({"A": (9, 30), "B": (30, 30)})
    as_bool = df.assign(y=df["y"].astype(bool))
    out = sdc.safe_stat(as_bool, "group", "y", stat="mean")
    assert np.isnan(out["mean"].iloc[0]) and out["mean"].iloc[1] == 0.5
    rate, report = sdc.safe_stat(df, "group", "y", stat="rate", return_report=True)
    assert list(rate.columns) == ["group", "n", "rate"] and report.kind == "rate"
    assert rate["rate"].iloc[1] == 0.5
    with pytest.raises(ValueError, match="stat='rate' needs a 0/1"):
        sdc.safe_stat(df.assign(y=df["y"] * 2), "group", "y", stat="rate")
    with pytest.raises(ValueError, match="function of its rate"):
        sdc.safe_stat(df, "group", "y", stat="std")


def test_sum_of_a_binary_outcome_is_a_rounded_count():
    df = outcome_frame({"A": (23, 30), "B": (30, 4)})
    out, report = sdc.safe_stat(df, "group", "y", stat="sum", return_report=True)
    assert report.kind == "frequency"
    assert out["sum"].iloc[0] == 25.0  # 23 rounded to 5
    assert np.isnan(out["sum"].iloc[1])  # only 4 without: 34 - 30 would give them away
    assert report.cells("complement") == ["group=B"]


def test_rate_everyone_or_no_one_fails_the_complement_rule():
    df = outcome_frame({"all": (40, 0), "none": (0, 40), "mixed": (20, 20)})
    out, report = sdc.safe_stat(df, "group", "y", stat="rate", return_report=True)
    assert out.set_index("group")["rate"].isna().to_dict() == {
        "all": True,
        "mixed": False,
        "none": True,
    }
    assert report.counts() == {"complement": 2}


def test_rounded_rate():
    assert sdc.rounded_rate(46, 52).tolist() == 0.9  # 45 / 50
    assert sdc.rounded_rate([503, 10], [1001, 20]).tolist() == [0.505, 0.5]
    assert sdc.rounded_rate(46, 52, base=None) == pytest.approx(46 / 52)
    assert np.isnan(sdc.rounded_rate(0, 2))  # n rounds to 0
    with pytest.raises(ValueError, match="0 <= with_outcome <= n"):
        sdc.rounded_rate(5, 4)


def test_rate_shown_is_the_rate_of_the_rounded_counts():
    for n, k in [(52, 40), (230, 37), (2013, 1007), (1003, 51), (21, 10)]:
        df = outcome_frame({"A": (k, n - k)})
        out = sdc.safe_stat(df, "group", "y", stat="rate")
        expected = (math.floor(k / 5.0 + 0.5) * 5) / (math.floor(n / 5.0 + 0.5) * 5)
        assert out["rate"].iloc[0] == pytest.approx(expected, abs=1e-12)
        assert out["n"].iloc[0] == sdc.round_half_up(n, 5)
    exact = sdc.safe_stat(outcome_frame({"A": (40, 12)}), "group", "y", "rate", round_base=None)
    assert exact["rate"].iloc[0] == pytest.approx(40 / 52) and exact["n"].iloc[0] == 52


def recoverable(shown_n_values, show, base=5, threshold=10):
    """Brute force, as an attacker who knows the rules would: for each shown count N and each
    rate ``show(k, n)`` could display beside it, every (n, k) with n rounding to N and at least
    ``threshold`` with and without the outcome. Returns the (N, rate, candidates) where the
    exact n or the exact numerator is pinned down."""
    found = []
    for n_shown in shown_n_values:
        seen = {}
        for n in range(int(n_shown - base), int(n_shown + base) + 1):
            if sdc.round_half_up(n, base) != n_shown or n < 2 * threshold:
                continue
            k = np.arange(threshold, n - threshold + 1)
            for r, kk in zip(np.round(show(k, n), 12), k):
                seen.setdefault(float(r), set()).add((n, int(kk)))
        for r, pairs in seen.items():
            if len({n for n, _ in pairs}) < 2 or len({k for _, k in pairs}) < 2:
                found.append((n_shown, r, sorted(pairs)))
    return found


def test_rate_precision_brute_force_recovers_nothing():
    # every shown count from 20 to 1500 and every numerator the rules allow
    shown = range(20, 1501, 5)
    assert recoverable(shown, lambda k, n: sdc.rounded_rate(k, n, 5)) == []

    # the old practice, the exact rate to 3 decimals beside n rounded to 5, gives exact
    # numerators (and often n) away, so this test can fail
    def three_decimals(k, n):
        return np.floor(k / float(n) * 1000 + 0.5) / 1000

    leaks = recoverable(shown, three_decimals)
    assert len(leaks) > 1000
    assert any(len(p) == 1 for _, _, p in leaks)  # n and numerator both exact


def test_rate_with_round_to():
    coarse = sdc.safe_stat(outcome_frame({"A": (1207, 806)}), "group", "y", "rate", round_to=0.05)
    assert coarse["rate"].iloc[0] == pytest.approx(0.6)


# ---------------------------------------------------------------------------------------------
# percentiles and class disclosure


def test_percentile_needs_units_on_each_side():
    df = pd.DataFrame({"g": ["a"] * 12, "v": [float(i) for i in range(12)]})
    out, report = sdc.safe_stat(df, "g", "v", "p1", return_report=True)
    assert np.isnan(out["p1"].iloc[0])
    assert [(e["cell"], e["reason"]) for e in report.suppressed] == [("g=a", "percentile")]
    assert "at or below and 10 at or above the percentile" in report.rules
    assert report.kind == "percentile"
    # p1 is shown once about a thousand units stand behind it
    # (901 units: p1 is the 10th smallest; 900: it lies between the 9th and 10th)
    big = pd.DataFrame({"g": ["a"] * 901 + ["b"] * 900, "v": np.arange(1801, dtype=float)})
    p1 = sdc.safe_stat(big, "g", "v", "p1")
    assert p1["p1"].iloc[0] == pytest.approx(9.0) and np.isnan(p1["p1"].iloc[1])
    p99 = sdc.safe_stat(big, "g", "v", "p99")
    assert p99["p99"].iloc[0] == pytest.approx(891.0) and np.isnan(p99["p99"].iloc[1])
    # the median needs 19 distinct values (10 on each side of the 10th)
    for n, shown in [(19, True), (18, False)]:
        m = sdc.safe_stat(pd.DataFrame({"g": ["a"] * n, "v": np.arange(n, dtype=float)}), "g", "v")
        assert np.isnan(m["median"].iloc[0]) != shown


def test_percentile_counts_ties_and_units():
    # 11 units share the lowest value: 11 at or below p5, so it may be shown
    v = [100.0] * 11 + [200.0 + i for i in range(189)]
    df = pd.DataFrame({"g": ["a"] * 200, "v": v, "id": ["u" + str(i) for i in range(200)]})
    assert sdc.safe_stat(df, "g", "v", "p5", unit="id")["p5"].iloc[0] == 100.0
    # the same 11 rows held by 2 people: only 2 units at or below
    ids = ["x", "y"] * 5 + ["x"] + ["u" + str(i) for i in range(189)]
    few = sdc.safe_stat(df.assign(id=ids), "g", "v", "p5", unit="id")
    assert np.isnan(few["p5"].iloc[0])


@pytest.mark.parametrize("stat", ["mean", "median", "p25", "sum", "std", "var"])
def test_class_disclosure_everyone_has_the_same_value(stat):
    # group "zero": 60 people all with 0 pay; "some": 60 people with different pay
    df = pd.DataFrame(
        {
            "g": ["zero"] * 60 + ["some"] * 60,
            "pay": [0.0] * 60 + [1000.0 + 10 * i for i in range(60)],
        }
    )
    out, report = sdc.safe_stat(df, "g", "pay", stat, return_report=True)
    out = out.set_index("g")[stat]
    assert np.isnan(out["zero"]) and not np.isnan(out["some"])
    assert [(e["cell"], e["reason"]) for e in report.suppressed] == [("g=zero", "class")]
    assert "class disclosure" in report.rules


# ---------------------------------------------------------------------------------------------
# binned figures


def rd_frame(seed=3):
    """People on a running variable x in [-5, 5); y is 0/1. Planted: the bin [-5, -4) has 8
    people; [4, 5) has 30 people all with y=1; other bins have 40 people, half with y=1."""
    rng = np.random.RandomState(seed)
    xs, ys = [], []
    for left in range(-5, 5):
        n = 8 if left == -5 else 30 if left == 4 else 40
        xs += list(left + rng.uniform(0, 1, n))
        ys += [1] * n if left == 4 else [1, 0] * (n // 2)
    df = pd.DataFrame({"x": xs, "y": ys})
    df["id"] = ["p" + str(i) for i in range(len(df))]
    return df


def test_safe_bins_suppresses_and_gives_a_fit_range():
    df = rd_frame()
    edges = list(range(-5, 6))
    out, report = sdc.safe_bins(df, "x", "y", edges, unit="id", cutoff=0, return_report=True)
    assert list(out.columns) == ["bin", "x_left", "x_right", "x_centre", "side", "n", "mean"]
    assert out["x_centre"].tolist() == [-4.5 + i for i in range(10)]
    assert out["side"].tolist() == ["below"] * 5 + ["above"] * 5
    assert report.kind == "rate"
    assert [(e["cell"], e["reason"]) for e in report.suppressed] == [
        ("bin 0 [-5, -4)", "threshold"),
        ("bin 9 [4, 5)", "complement"),
    ]
    assert np.isnan(out["n"].iloc[0]) and out["n"].iloc[9] == 30.0
    assert out["mean"].iloc[1:9].tolist() == [0.5] * 8
    # lines are drawn over the checked bins only, from edge to edge
    assert out.attrs["fit_range"] == {"below": (-4.0, 0.0), "above": (0.0, 4.0)}
    # percentiles of the running variable's bins follow the percentile rule
    med = sdc.safe_bins(df, "x", "y", [-4, 0, 4], stat="median")
    assert med["median"].tolist() == [0.5, 0.5]  # 160 people per bin, 80 on each side
    # bin means of a continuous outcome: magnitudes, with dominance
    df["pay"] = 20000.0 + 100 * df["x"] + np.arange(len(df))
    df.loc[df["x"].between(1, 2), "pay"] *= 0
    df.loc[df.index[df["x"].between(1, 2)][0], "pay"] = 10.0**7  # one person holds it all
    pay = sdc.safe_bins(df, "x", "pay", edges, unit="id", cutoff=0, round_to=10)
    assert sdc.report_of(pay).counts() == {"dominance": 1, "threshold": 1}
    assert sdc.report_of(pay).kind == "magnitude"
    assert pay.attrs["fit_range"] == {"below": (-4.0, 0.0), "above": (0.0, 5.0)}


def test_safe_bins_number_of_bins_needs_limits_and_notes_rows_left_out():
    df = rd_frame()
    out = sdc.safe_bins(df, "x", "y", 4, limits=(-4, 4))
    assert out["x_left"].tolist() == [-4.0, -2.0, 0.0, 2.0]
    assert out["n"].tolist() == [80.0, 80.0, 80.0, 80.0]
    notes = sdc.report_of(out).notes
    assert notes == ["rows with x outside the bin edges are left out"]
    assert out.attrs["fit_range"] == {"all": (-4.0, 4.0)}
    with pytest.raises(ValueError, match="limits=\\(low, high\\)"):
        sdc.safe_bins(df, "x", "y", 10)
    with pytest.raises(ValueError, match="cutoff=0.5 must be one of the bin edges"):
        sdc.safe_bins(df, "x", "y", [-1, 0, 1], cutoff=0.5)


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
    assert report.kind == "frequency"
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
    # the released report must not say that the hidden cell is a zero
    assert sdc.report_of(strict).to_frame()["detail"].tolist()[0] == "fewer than 10 units"
    assert "zero" not in str(sdc.report_of(strict)).replace("zeros disclosive", "")
    relaxed = sdc.safe_crosstab(df, "region", "sex", unit="EduKey", zeros_disclosive=False)
    assert nan_positions(relaxed) == []
    assert relaxed.values.tolist() == [[10.0, 15.0, 25.0], [0.0, 20.0, 20.0], [10.0, 35.0, 45.0]]
    no_margins = sdc.safe_crosstab(df, "region", "sex", unit="EduKey", margins=False)
    assert nan_positions(no_margins) == [("S", "F")]


def test_safe_crosstab_keeps_missing_categories_and_totals_agree():
    # 12 people with no region: previously dropped, so the total (47) disagreed with a count
    # of everyone (59)
    rows = people({("N", "F"): 12, ("N", "M"): 15, ("S", "M"): 20, (None, "F"): 6, (None, "M"): 6})
    df = pd.DataFrame(rows, columns=["EduKey", "region", "sex"])
    table, report = sdc.safe_crosstab(
        df, "region", "sex", unit="EduKey", round_base=None, return_report=True
    )
    assert list(table.index) == ["N", "S", "missing", "All"]
    assert table.loc["All", "All"] == 59.0 == len(df)
    counts = sdc.safe_counts(df, "region", unit="EduKey", round_base=None)
    assert counts.set_index("region")["count"].to_dict() == {"N": 27.0, "S": 20.0, "missing": 12.0}
    assert table["All"].iloc[:3].tolist() == [27.0, 20.0, 12.0]
    assert "missing values of region are shown as 'missing'" in report.notes
    dropped = sdc.safe_crosstab(df, "region", "sex", unit="EduKey", missing=None)
    assert list(dropped.index) == ["N", "S", "All"]
    assert "rows with a missing region are left out" in sdc.report_of(dropped).notes


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


def numbers_in(report):
    text = json.dumps(report.to_dict()) + str(report)
    return {float(x) for x in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", text)}


def test_report_to_dict_for_the_output_checker_has_no_exact_rounded_count():
    # cells of 12, 23 and 31 people (and 7, suppressed): the table shows 10, 25, 30
    rows = people({("a",): 12, ("b",): 23, ("c",): 31, ("d",): 7})
    df = pd.DataFrame(rows, columns=["EduKey", "g"])
    report = sdc.report_of(sdc.safe_counts(df, "g", unit="EduKey"))
    d = report.to_dict()
    old_keys = ["title", "kind", "rules", "threshold", "round_base", "n_cells", "n_suppressed",
                "suppressed_by_reason", "suppressed", "problems", "ok"]  # fmt: skip
    assert set(old_keys) <= set(d)
    assert d["kind"] == "frequency" and d["threshold"] == 10 and d["round_base"] == 5
    assert d["min_count_shown"] == 10  # the rounded 12, as the table shows it
    assert d["n_shown"] == 3 and d["units"] == "distinct EduKey"
    assert not numbers_in(report) & {7.0, 12.0, 23.0, 31.0}
    # a rate table: the report states the rules, not the counts with and without
    rate = sdc.report_of(sdc.safe_stat(outcome_frame({"A": (33, 19)}), "group", "y", "rate"))
    assert rate.to_dict()["kind"] == "rate" and rate.to_dict()["min_count_shown"] == 50
    assert not numbers_in(rate) & {33.0, 19.0, 52.0}
    # every kind of table carries the fields
    for r in (
        sdc.report_of(sdc.safe_crosstab(df, "g", "EduKey")),
        sdc.report_of(sdc.safe_bins(rd_frame(), "x", "y", [-4, 0, 4])),
        sdc.check_table(pd.DataFrame({"n": [10.0]})),
    ):
        assert r.kind in sdc.Report.KINDS and "min_count_shown" in r.to_dict()
        assert r.threshold == 10 and r.round_base == 5


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


def test_check_table_rejects_counts_that_are_not_whole_numbers():
    report = sdc.check_table(pd.DataFrame({"count": [12.5, 20.0]}), round_base=None)
    assert [(e["cell"], e["reason"], e["detail"]) for e in report.problems] == [
        ("row=0, column=count", "integer", "not a whole number")
    ]
    medians = pd.DataFrame({"median": [21000.0, 25000.0]})
    bad = sdc.check_table(medians, counts=pd.DataFrame({"median": [40.0, 12.5]}))
    assert [(e["cell"], e["reason"]) for e in bad.problems] == [("row=1, column=median", "integer")]
    assert not bad.ok


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


def test_module_states_the_rules():
    doc = " ".join(sdc.__doc__.split())
    for phrase in ("complement rule", "at or below", "Class disclosure", "rounded_rate",
                   "Missing categories", "safe_bins"):  # fmt: skip
        assert phrase in doc
    assert math.isclose(sdc.P_RATIO, 0.10) and sdc.THRESHOLD == 10


def test_safe_bins_snaps_an_edge_that_rounding_moved_off_the_cutoff():
    # np.linspace(-1.7, 1.7, 11)[5] is -2.2e-16, not 0: the bin starting there is above 0
    rng = np.random.default_rng(3)
    x = rng.uniform(-1.7, 1.7, 4000)
    df = pd.DataFrame({"x": x, "y": (rng.uniform(size=x.size) < 0.5).astype(int)})
    table = sdc.safe_bins(df, "x", "y", bins=10, limits=(-1.7, 1.7), cutoff=0)
    first_above = table[table.side == "above"].x_left.min()
    assert first_above == 0.0
    assert (table.side == "above").sum() == 5


def test_check_table_reads_nullable_integer_columns():
    # Int64 with pd.NA (what a merge of counts often makes): NA is a suppressed cell
    table = pd.DataFrame(
        {"n": pd.array([15, None, 20], dtype="Int64"), "m": pd.array([5, 10, None], dtype="Int64")},
        index=["a", "b", "c"],
    )
    report = sdc.check_table(table)
    assert [p["cell"] for p in report.problems] == ["row=a, column=m"]
    report = sdc.check_table(table.astype("float64"), counts=table)
    assert [p["reason"] for p in report.problems] == ["threshold"]
