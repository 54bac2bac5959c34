"""Tests for leokit.derive with hand-made cases and known answers.

Also run under the SRS profile (Python 3.7, pandas 1.0.1, pytest 7): keep to Python 3.7
syntax and pytest 7.0 features, and import nothing from leokit but ``derive``.
"""

import datetime

import numpy as np
import pandas as pd
import pytest

from leokit import derive

# Any warning (a pandas FutureWarning on 2.x, a DeprecationWarning on 1.0) is a failure: the
# module has to run cleanly on both.
pytestmark = pytest.mark.filterwarnings("error")

D = datetime.date
OPEN = D(9999, 12, 31)
PANDAS_2 = int(pd.__version__.split(".")[0]) >= 2


def spells(rows, key="EduKey"):
    """leo_employment-shaped frame from (person, start, end) tuples."""
    return pd.DataFrame(
        {
            key: [r[0] for r in rows],
            "StartDate": [r[1] for r in rows],
            "EndDate": [r[2] for r in rows],
            "UncertainStartDate": 0,
            "UncertainEndDate": 0,
        }
    )


def row_for(frame, key, tax_year, column):
    pcol = derive.find_person_column(frame)
    hit = frame[(frame[pcol] == key) & (frame["TaxYear"] == tax_year)]
    assert len(hit) == 1, hit
    return hit[column].iloc[0]


# ---------------------------------------------------------------------------------------------
# tax years


def test_tax_year_boundaries_5_and_6_april():
    assert derive.tax_year_of(D(2019, 4, 5)) == 201819
    assert derive.tax_year_of(D(2019, 4, 6)) == 201920
    assert derive.tax_year_of("2018-04-06") == 201819
    assert derive.tax_year_of(pd.Timestamp("2018-04-05")) == 201718
    assert derive.tax_year_of(D(2000, 1, 1)) == 199900


def test_tax_year_of_vectorised_keeps_index():
    s = pd.Series([D(2016, 2, 29), D(2020, 4, 5), D(2020, 4, 6)], index=[10, 11, 12])
    out = derive.tax_year_of(s)
    assert list(out.index) == [10, 11, 12]
    assert out.tolist() == [201516, 201920, 202021]
    dt64 = pd.Series(pd.to_datetime(["2018-12-31", "2019-04-05"]))
    assert derive.tax_year_of(dt64).tolist() == [201819, 201819]
    assert list(derive.tax_year_of(["2019-04-05", "2019-04-06"])) == [201819, 201920]


def test_tax_year_of_refuses_open_and_missing_dates():
    with pytest.raises(ValueError, match="open-ended"):
        derive.tax_year_of(pd.Series([D(2018, 1, 1), OPEN]))
    with pytest.raises(ValueError, match="1 missing"):
        derive.tax_year_of(pd.Series([D(2018, 1, 1), None]))


def test_tax_year_start_end_label_days():
    assert derive.tax_year_start(201819) == pd.Timestamp("2018-04-06")
    assert derive.tax_year_end(201819) == pd.Timestamp("2019-04-05")
    assert derive.tax_year_label(201819) == "2018/19"
    assert derive.tax_year_label(199900) == "1999/00"
    assert list(derive.tax_year_label([200910, 202021])) == ["2009/10", "2020/21"]
    # 29 Feb 2016, 2020 and 2024 fall in 201516, 201920 and 202324
    assert list(derive.days_in_tax_year([201516, 201617, 201819, 201920, 202324])) == [
        366,
        365,
        365,
        366,
        366,
    ]
    ends = derive.tax_year_end(pd.Series([201819, 201920]))
    assert ends.tolist() == [pd.Timestamp("2019-04-05"), pd.Timestamp("2020-04-05")]


def test_as_tax_year_accepts_text_forms():
    out = derive.as_tax_year(["201819", "2018/19", "2018/2019", "2018-19", 201819])
    assert list(out) == [201819] * 5
    assert derive.as_tax_year(199900) == 199900
    assert derive.as_tax_year("1999/2000") == 199900
    assert derive.as_tax_year(201819.0) == 201819


@pytest.mark.parametrize("bad", [201820, "2018/20", "2018/2020", 201819.5, "18/19", 2018, "x"])
def test_as_tax_year_rejects_bad_values_naming_them(bad):
    with pytest.raises(ValueError) as err:
        derive.as_tax_year(pd.Series([201718, bad]))
    message = str(err.value)
    assert repr(bad) in message
    assert "201819 for 6 Apr 2018 to 5 Apr 2019" in message


def test_as_tax_year_missing_values():
    with pytest.raises(ValueError, match="TaxYear: 1 missing"):
        derive.as_tax_year(pd.Series([201819, np.nan]))


def test_tax_years_between():
    assert derive.tax_years_between(201718, 201920) == [201718, 201819, 201920]
    assert derive.tax_years_between(199899, 200001) == [199899, 199900, 200001]
    with pytest.raises(ValueError, match="before first"):
        derive.tax_years_between(201920, 201718)


# ---------------------------------------------------------------------------------------------
# academic years and YAG


def test_academic_year_of_school_and_hesa():
    assert derive.academic_year_of(D(2018, 8, 31)) == 2018
    assert derive.academic_year_of(D(2018, 9, 1)) == 2019
    assert derive.academic_year_of(D(2018, 7, 31), start_month=8) == 2018
    assert derive.academic_year_of(D(2018, 8, 1), start_month=8) == 2019
    assert derive.academic_year_of(D(2018, 12, 1), start_month=1) == 2018
    s = pd.Series(["2019-06-30", "2019-09-02"], index=["a", "b"])
    assert derive.academic_year_of(s).to_dict() == {"a": 2019, "b": 2020}
    with pytest.raises(ValueError, match="start_month"):
        derive.academic_year_of(D(2018, 1, 1), start_month=13)


def test_acadyr_text():
    assert derive.acadyr_text(2019) == "2018/2019"
    assert list(derive.acadyr_text([2005, 2020])) == ["2004/2005", "2019/2020"]


def test_yag_examples_from_dfe_methodology():
    # 2019/20 graduates: 1 YAG is 2021/22; 2003/04 graduates: 10 YAG is 2014/15
    assert derive.yag_tax_year(2020, 1) == 202122
    assert derive.yag_tax_year(2004, 10) == 201415
    assert derive.yag_tax_year(2004, 1) == 200506
    assert derive.yag_tax_year(2016, 5) == 202122
    out = derive.yag_tax_year(
        pd.Series([2020, 2004], index=[7, 8]), pd.Series([1, 10], index=[7, 8])
    )
    assert out.to_dict() == {7: 202122, 8: 201415}
    assert list(derive.yag_tax_year(2010, np.array([1, 3, 5, 10]))) == [
        201112,
        201314,
        201516,
        202021,
    ]


def test_years_after_graduation_is_the_inverse():
    assert derive.years_after_graduation(2020, 202122) == 1
    assert derive.years_after_graduation(2004, 201415) == 10
    # the tax year that starts while the graduate is in their final year, and the one before
    assert derive.years_after_graduation(2020, 202021) == 0
    assert derive.years_after_graduation(2020, 201920) == -1
    for n in (1, 3, 5, 10):
        assert derive.years_after_graduation(2012, derive.yag_tax_year(2012, n)) == n


def test_yag_rejects_academic_year_codes():
    with pytest.raises(ValueError, match="2020 for 2019/20"):
        derive.yag_tax_year(201920, 1)
    with pytest.raises(ValueError, match="must be an int"):
        derive.yag_tax_year(2020, 1.5)
    with pytest.raises(ValueError, match="201820"):
        derive.years_after_graduation(2019, 201820)


# ---------------------------------------------------------------------------------------------
# dates


def test_to_dates_date_objects_with_open_end():
    s = pd.Series([D(2018, 4, 6), OPEN, None], name="EndDate")
    out = derive.to_dates(s)
    assert str(out.dtype) == "datetime64[ns]"
    assert out.iloc[0] == pd.Timestamp("2018-04-06")
    assert out.iloc[1:].isna().all()
    filled = derive.to_dates(s, open_end=D(2021, 4, 5))
    assert filled.iloc[1] == pd.Timestamp("2021-04-05")
    assert pd.isna(filled.iloc[2])


def test_to_dates_text_and_datetime64():
    s = pd.Series(["2018-04-06", "9999-12-31", "2019-01-31 00:00:00", None])
    out = derive.to_dates(s, open_end="2020-04-05")
    assert out.iloc[:3].tolist() == [
        pd.Timestamp("2018-04-06"),
        pd.Timestamp("2020-04-05"),
        pd.Timestamp("2019-01-31"),
    ]
    dt64 = pd.Series(pd.to_datetime(["2018-04-06", None]))
    assert derive.to_dates(dt64).iloc[0] == pd.Timestamp("2018-04-06")
    assert derive.to_dates(D(2019, 4, 5)) == pd.Timestamp("2019-04-05")


def test_to_dates_keeps_repeated_index_labels():
    s = pd.Series([D(2018, 1, 1), OPEN, D(2019, 1, 1)], index=[5, 5, 6])
    out = derive.to_dates(s, open_end=D(2020, 1, 1))
    assert list(out.index) == [5, 5, 6]
    assert out.tolist() == [
        pd.Timestamp("2018-01-01"),
        pd.Timestamp("2020-01-01"),
        pd.Timestamp("2019-01-01"),
    ]


@pytest.mark.skipif(not PANDAS_2, reason="non-nanosecond datetime64 needs pandas 2")
def test_to_dates_microsecond_unit_open_end():
    raw = pd.Series(np.array(["2018-01-01", "9999-12-31"], dtype="datetime64[us]"))
    out = derive.to_dates(raw, open_end="2021-04-05")
    assert out.tolist() == [pd.Timestamp("2018-01-01"), pd.Timestamp("2021-04-05")]


def test_to_dates_unparseable_names_column_and_example():
    bad = pd.Series(["2018-04-06", "31/12/2018", "2018-13-45"], name="StartDate")
    with pytest.raises(ValueError) as err:
        derive.to_dates(bad)
    message = str(err.value)
    assert message.startswith("StartDate: 2 value(s) could not be read as dates")
    assert "'31/12/2018'" in message
    with pytest.raises(ValueError, match="20180406"):
        derive.to_dates(pd.Series([20180406], name="x"))


def test_clip_spells():
    emp = spells(
        [
            ("A", D(2018, 1, 1), D(2018, 12, 31)),
            ("B", D(2019, 5, 1), OPEN),
            ("C", D(2017, 1, 1), D(2017, 2, 1)),
        ]
    )
    out = derive.clip_spells(emp, "2018-04-06", "2019-04-05")
    assert out["EduKey"].tolist() == ["A"]
    assert out["StartDate"].iloc[0] == pd.Timestamp("2018-04-06")
    assert out["EndDate"].iloc[0] == pd.Timestamp("2018-12-31")
    wide = derive.clip_spells(emp, "2018-04-06", "2020-04-05")
    assert wide["EduKey"].tolist() == ["A", "B"]
    assert wide["EndDate"].iloc[1] == pd.Timestamp("2020-04-05")


def test_merge_spells_union_of_overlaps():
    emp = spells(
        [
            ("A", D(2018, 6, 1), D(2018, 9, 30)),
            ("A", D(2018, 5, 1), D(2018, 7, 31)),
            ("A", D(2018, 10, 1), D(2018, 10, 31)),  # abuts the first
            ("A", D(2019, 1, 1), D(2019, 1, 31)),
            ("B", D(2018, 5, 1), D(2018, 5, 1)),
        ]
    )
    out = derive.merge_spells(emp)
    assert out.values.tolist() == [
        ["A", pd.Timestamp("2018-05-01"), pd.Timestamp("2018-10-31")],
        ["A", pd.Timestamp("2019-01-01"), pd.Timestamp("2019-01-31")],
        ["B", pd.Timestamp("2018-05-01"), pd.Timestamp("2018-05-01")],
    ]


# ---------------------------------------------------------------------------------------------
# days employed


def test_days_employed_known_answers():
    emp = spells(
        [
            ("full", D(2018, 4, 6), D(2019, 4, 5)),  # whole tax year, 6 April default start
            ("straddle", D(2019, 4, 5), D(2019, 4, 6)),  # one day each side of the boundary
            ("leap", D(2019, 4, 6), D(2020, 4, 5)),  # 201920 contains 29 Feb 2020
            ("nov_feb", D(2018, 11, 15), D(2019, 2, 10)),  # 16 + 31 + 31 + 10
        ]
    )
    out = derive.days_employed(emp)
    got = {(k, t): d for k, t, d in out[["EduKey", "TaxYear", "days_employed"]].values}
    assert got == {
        ("full", 201819): 365,
        ("straddle", 201819): 1,
        ("straddle", 201920): 1,
        ("leap", 201920): 366,
        ("nov_feb", 201819): 88,
    }
    assert str(out["days_employed"].dtype) == "int64"


def test_days_employed_overlapping_spells_are_not_double_counted():
    emp = spells(
        [
            ("A", D(2018, 5, 1), D(2018, 8, 31)),  # 123 days
            ("A", D(2018, 7, 1), D(2018, 10, 31)),  # overlaps July-August
            ("A", D(2018, 6, 1), D(2018, 6, 30)),  # inside the first
        ]
    )
    out = derive.days_employed(emp, tax_years=[201819])
    # union is 1 May - 31 Oct 2018
    assert out["days_employed"].tolist() == [184]


def test_days_employed_open_spells_run_to_data_window_end():
    emp = spells([("A", D(2018, 10, 1), OPEN), ("B", D(2018, 4, 6), D(2018, 4, 30))])
    # default window end: end of the tax year of the latest known date (2018/19)
    out = derive.days_employed(emp)
    assert row_for(out, "A", 201819, "days_employed") == 187
    assert len(out) == 2
    # with tax years, the window extends to the last one asked for; absent years are 0
    out = derive.days_employed(emp, tax_years=[201819, 201920, 202021])
    assert out["EduKey"].tolist() == ["A"] * 3 + ["B"] * 3
    assert out["days_employed"].tolist() == [187, 366, 365, 25, 0, 0]
    # an explicit end of the extract wins
    out = derive.days_employed(emp, tax_years=[201920], data_end=D(2019, 6, 30))
    assert row_for(out, "A", 201920, "days_employed") == 86
    # a missing EndDate is treated as open too
    emp2 = spells([("A", D(2018, 10, 1), None)])
    assert derive.days_employed(emp2)["days_employed"].tolist() == [187]


def test_days_employed_text_dates_and_case_of_key():
    emp = pd.DataFrame({"edukey": ["A"], "StartDate": ["2019-01-01"], "EndDate": ["9999-12-31"]})
    out = derive.days_employed(emp, tax_years=[201819], data_end="2019-03-31")
    assert list(out.columns) == ["edukey", "TaxYear", "days_employed"]
    assert out["days_employed"].tolist() == [90]


def test_days_employed_bad_inputs():
    no_key = pd.DataFrame({"PMR": ["x"], "StartDate": [D(2018, 1, 1)], "EndDate": [OPEN]})
    with pytest.raises(ValueError) as err:
        derive.days_employed(no_key)
    assert "no person key column" in str(err.value)
    assert "['PMR', 'StartDate', 'EndDate']" in str(err.value)
    both = no_key.assign(EduKey="a", Edukey="b")
    with pytest.raises(ValueError, match="several person key columns"):
        derive.days_employed(both)
    assert derive.days_employed(both, person="Edukey")["Edukey"].tolist() == ["b"]
    backwards = spells([("A", D(2018, 5, 1), D(2018, 4, 30))])
    with pytest.raises(ValueError, match="1 spell\\(s\\) end before they start"):
        derive.days_employed(backwards)
    no_start = spells([("A", None, D(2018, 4, 30))])
    with pytest.raises(ValueError, match="StartDate: 1 spell\\(s\\) have no start date"):
        derive.days_employed(no_start)
    with pytest.raises(ValueError, match="missing column\\(s\\) \\['EndDate'\\]"):
        derive.days_employed(pd.DataFrame({"EduKey": ["A"], "StartDate": [D(2018, 1, 1)]}))
    with pytest.raises(ValueError, match="invalid TaxYear 201820"):
        derive.days_employed(spells([("A", D(2018, 1, 1), OPEN)]), tax_years=[201820])


def test_days_employed_empty_input():
    empty = spells([("A", D(2018, 1, 1), OPEN)]).iloc[:0]
    assert derive.days_employed(empty).empty
    assert derive.days_employed(empty, tax_years=[201819]).empty


# ---------------------------------------------------------------------------------------------
# sustained employment


def test_sustained_employment_october_march_months():
    emp = spells(
        [
            ("nov_feb", D(2018, 11, 15), D(2019, 2, 10)),  # Nov Dec Jan Feb -> 4
            ("oct_mar", D(2018, 10, 1), D(2019, 3, 1)),  # all six
            ("gap", D(2018, 6, 1), D(2018, 10, 31)),  # Oct ...
            ("gap", D(2019, 1, 1), D(2019, 4, 5)),  # ... Jan Feb Mar -> 4
            ("five", D(2018, 9, 1), D(2018, 10, 1)),  # Oct (one day is enough)
            ("five", D(2018, 12, 31), D(2019, 3, 1)),  # Dec Jan Feb Mar -> 5
            ("summer", D(2018, 4, 6), D(2018, 9, 30)),  # no winter month -> 0
            ("split", D(2018, 11, 1), D(2018, 11, 10)),  # two spells in November ...
            ("split", D(2018, 11, 20), D(2018, 11, 30)),  # ... count once -> 1
        ]
    )
    out = derive.sustained_employment(emp, tax_years=[201819])
    months = dict(zip(out["EduKey"], out["months_employed_oct_mar"]))
    assert months == {"nov_feb": 4, "oct_mar": 6, "gap": 4, "five": 5, "summer": 0, "split": 1}
    sustained = dict(zip(out["EduKey"], out["sustained"]))
    assert sustained == {
        "nov_feb": False,
        "oct_mar": True,
        "gap": False,
        "five": True,
        "summer": False,
        "split": False,
    }
    assert set(out.loc[out["sustained"], "sustained_via"]) == {"PAYE"}
    assert set(out.loc[~out["sustained"], "sustained_via"]) == {""}
    assert "sa_record" not in out.columns


def test_sustained_employment_windows_and_open_spells():
    # Oct-Mar of 201920 is Oct 2019 - Mar 2020
    emp = spells([("A", D(2019, 10, 31), D(2020, 2, 1)), ("B", D(2019, 2, 1), OPEN)])
    out = derive.sustained_employment(emp, tax_years=[201819, 201920])
    assert out[["EduKey", "TaxYear", "months_employed_oct_mar", "sustained"]].values.tolist() == [
        ["A", 201819, 0, False],
        ["A", 201920, 5, True],
        ["B", 201819, 2, False],
        ["B", 201920, 6, True],
    ]
    # an extract ending in December 2019 has not observed January-March 2020: asking for
    # 201920 is an error, not "3 months, not sustained"
    with pytest.raises(ValueError) as err:
        derive.sustained_employment(emp, tax_years=[201920], data_end=D(2019, 12, 15))
    assert "201920" in str(err.value) and "2019-12-15" in str(err.value)
    # an extract ending on 31 March has seen the whole window; the open spell stops there
    full = derive.sustained_employment(emp, tax_years=[201920], data_end=D(2020, 3, 31))
    assert row_for(full, "B", 201920, "months_employed_oct_mar") == 6
    cut = derive.days_employed(emp, tax_years=[201920], data_end=D(2019, 12, 15))
    assert row_for(cut, "B", 201920, "days_employed") == 254  # 6 Apr - 15 Dec 2019
    assert derive.sustained_employment(emp, tax_years=[201920], min_months=6)[
        "sustained"
    ].tolist() == [False, True]


def test_sustained_employment_with_self_assessment():
    emp = spells(
        [("paye", D(2018, 4, 6), D(2019, 4, 5)), ("both", D(2018, 4, 6), OPEN)]
        + [("short", D(2018, 12, 1), D(2019, 1, 31))]
    )
    sa = pd.DataFrame(
        {
            "Edukey": ["short", "both", "sa_only", "sa_only"],
            "TaxYear": [201819, 201819, 201819, 201718],
            "Self_Employed": 1,
            "EARNINGS_SELF_EMPLOYMENT": [5000, 100, 20000, 100],
        }
    )
    out = derive.sustained_employment(emp, tax_years=[201819], self_assessment=sa)
    got = out.set_index("EduKey")[["sustained_paye", "sa_record", "sustained", "sustained_via"]]
    assert got.to_dict("index") == {
        "both": {
            "sustained_paye": True,
            "sa_record": True,
            "sustained": True,
            "sustained_via": "PAYE+SA",
        },
        "paye": {
            "sustained_paye": True,
            "sa_record": False,
            "sustained": True,
            "sustained_via": "PAYE",
        },
        "sa_only": {
            "sustained_paye": False,
            "sa_record": True,
            "sustained": True,
            "sustained_via": "SA",
        },
        "short": {
            "sustained_paye": False,
            "sa_record": True,
            "sustained": True,
            "sustained_via": "SA",
        },
    }
    # without tax_years, SA-only person-years appear as rows of their own
    sparse = derive.sustained_employment(emp, self_assessment=sa)
    assert row_for(sparse, "sa_only", 201718, "sustained_via") == "SA"
    assert row_for(sparse, "sa_only", 201718, "months_employed_oct_mar") == 0


# ---------------------------------------------------------------------------------------------
# earnings


def test_annualised_earnings_known_answers():
    emp = spells(
        [
            ("half", D(2018, 10, 6), D(2019, 4, 5)),  # 182 days of 365
            ("leap", D(2019, 4, 6), D(2019, 10, 5)),  # 183 days of 366
            ("none", D(2015, 1, 1), D(2015, 2, 1)),
            ("zero", D(2018, 4, 6), D(2018, 4, 30)),
        ]
    )
    earn = pd.DataFrame(
        {
            "Edukey": ["half", "leap", "none", "zero", "nobody"],
            "TaxYear": [201819, 201920, 201819, 201819, 201819],
            "Earnings": [9100, 12200, 700, 0, 300],
            "Num_Employments": [1, 1, 1, 1, 1],
        },
        index=[10, 11, 12, 13, 14],
    )
    out = derive.annualised_earnings(earn, emp)
    assert list(out.index) == [10, 11, 12, 13, 14]
    assert out["days_employed"].tolist() == [182, 183, 0, 25, 0]
    assert out["days_in_tax_year"].tolist() == [365, 366, 365, 365, 365]
    assert out.loc[10, "annualised_earnings"] == pytest.approx(9100 / 182 * 365)
    assert out.loc[11, "annualised_earnings"] == pytest.approx(24400.0)
    assert np.isnan(out.loc[12, "annualised_earnings"])
    assert out.loc[13, "annualised_earnings"] == 0.0
    assert np.isnan(out.loc[14, "annualised_earnings"])
    assert out["Num_Employments"].tolist() == [1] * 5


def test_annualised_earnings_rejects_duplicates_and_bad_tax_years():
    emp = spells([("A", D(2018, 4, 6), D(2019, 4, 5))])
    dup = pd.DataFrame({"Edukey": ["A", "A"], "TaxYear": [201819, 201819], "Earnings": [1, 2]})
    with pytest.raises(ValueError, match="2 rows with a duplicated \\(Edukey, TaxYear\\)"):
        derive.annualised_earnings(dup, emp)
    bad = pd.DataFrame({"Edukey": ["A"], "TaxYear": [201820], "Earnings": [1]})
    with pytest.raises(ValueError, match="invalid TaxYear 201820"):
        derive.annualised_earnings(bad, emp)


def test_earnings_panel_fills_missing_years_with_zero():
    earn = pd.DataFrame(
        {
            "Edukey": ["A", "A", "B", "C"],
            "TaxYear": [201819, 201920, 201819, 201819],
            "Earnings": [15000, 0, 20000, 999],
            "Main_Section": ["P", "P", "G", "C"],
        }
    )
    out = derive.earnings_panel(
        earn, ["B", "A", "X", "A"], [201920, 201819], columns=["Main_Section"]
    )
    assert list(out.columns) == ["Edukey", "TaxYear", "Earnings", "has_record", "Main_Section"]
    assert out[["Edukey", "TaxYear", "Earnings", "has_record"]].values.tolist() == [
        ["A", 201819, 15000, True],
        ["A", 201920, 0, True],
        ["B", 201819, 20000, True],
        ["B", 201920, 0, False],
        ["X", 201819, 0, False],
        ["X", 201920, 0, False],
    ]
    assert str(out["Earnings"].dtype) == "int64"
    assert out["Main_Section"].isna().tolist() == [False, False, False, True, True, True]


def test_earnings_panel_bad_inputs():
    earn = pd.DataFrame({"Edukey": ["A", "A"], "TaxYear": [201819, 201819], "Earnings": [1, 2]})
    with pytest.raises(ValueError) as err:
        derive.earnings_panel(earn, ["A"], [201819])
    assert "duplicated (Edukey, TaxYear), e.g. ('A', 201819)" in str(err.value)
    ok = earn.iloc[:1]
    with pytest.raises(ValueError, match="missing column\\(s\\) \\['Nope'\\]"):
        derive.earnings_panel(ok, ["A"], [201819], columns=["Nope"])
    with pytest.raises(ValueError, match="invalid TaxYear '2018/20'"):
        derive.earnings_panel(ok, ["A"], ["2018/20"])
    with pytest.raises(ValueError, match="no person key column"):
        derive.earnings_panel(ok.rename(columns={"Edukey": "id"}), ["A"], [201819])


# ---------------------------------------------------------------------------------------------
# the data window (data_end): documented behaviour, and errors instead of silent zeros


def test_data_end_is_the_last_day_counted():
    emp = spells(
        [
            ("open", D(2019, 1, 1), OPEN),
            ("closed", D(2019, 1, 1), D(2019, 12, 31)),  # runs past the end of the data
            ("late", D(2019, 7, 1), D(2019, 8, 31)),  # starts after it: nothing to count
        ]
    )
    out = derive.days_employed(emp, tax_years=[201819, 201920], data_end=D(2019, 6, 1))
    # 1 Jan - 5 Apr 2019 is 95 days; 6 Apr - 1 Jun 2019 is 57 days, for both spells alike
    assert out[["EduKey", "TaxYear", "days_employed"]].values.tolist() == [
        ["closed", 201819, 95],
        ["closed", 201920, 57],
        ["late", 201819, 0],
        ["late", 201920, 0],
        ["open", 201819, 95],
        ["open", 201920, 57],
    ]
    without_years = derive.days_employed(emp, data_end=D(2019, 6, 1))
    assert sorted(without_years["EduKey"].unique()) == ["closed", "open"]
    assert without_years["TaxYear"].max() == 201920


def test_a_tax_year_after_the_data_is_an_error_not_zero_days():
    emp = spells([("A", D(2018, 5, 1), OPEN)])
    with pytest.raises(ValueError) as err:
        derive.days_employed(emp, tax_years=[201920, 202021], data_end=D(2020, 4, 5))
    assert "202021" in str(err.value) and "2020-04-05" in str(err.value)
    ok = derive.days_employed(emp, tax_years=[201920], data_end=D(2020, 4, 5))
    assert ok["days_employed"].tolist() == [366]
    with pytest.raises(ValueError, match="data_end 2018-01-01 is before every spell starts"):
        derive.days_employed(emp, data_end="2018-01-01")


def test_annualised_earnings_refuses_a_year_the_data_ends_in():
    emp = spells([("A", D(2018, 4, 6), OPEN)])
    earn = pd.DataFrame({"Edukey": ["A", "A"], "TaxYear": [201819, 201920], "Earnings": [10, 20]})
    with pytest.raises(ValueError, match="201920 run to 2020-04-05, after data_end 2019-10-01"):
        derive.annualised_earnings(earn, emp, data_end=D(2019, 10, 1))
    out = derive.annualised_earnings(earn, emp, data_end=D(2020, 4, 5))
    assert out["days_employed"].tolist() == [365, 366]


def test_pay_checks_name_the_column_and_zero_pay_is_fine():
    emp = spells([("A", D(2018, 4, 6), D(2019, 4, 5))])
    earn = pd.DataFrame({"Edukey": ["A"], "TaxYear": [201819], "Pay": [-3]})
    with pytest.raises(ValueError, match="Pay: 1 negative value"):
        derive.annualised_earnings(earn, emp, earnings_col="Pay")
    zero = derive.annualised_earnings(earn.assign(Pay=0), emp, earnings_col="Pay")
    assert zero["annualised_earnings"].tolist() == [0.0]
    # a single extra column may be named as text
    panel = derive.earnings_panel(earn.assign(Pay=5, Sector="P"), ["A"], [201819], columns="Sector",
                                  earnings_col="Pay")  # fmt: skip
    assert panel[["Pay", "Sector"]].values.tolist() == [[5, "P"]]


def test_merge_spells_open_end_is_not_a_window():
    """merge_spells' open_end only says where open spells end: closed spells are kept whole."""
    emp = spells([("A", D(2018, 1, 1), D(2019, 6, 30)), ("A", D(2019, 5, 1), OPEN)])
    out = derive.merge_spells(emp, open_end=D(2019, 12, 31))
    assert out["StartDate"].tolist() == [pd.Timestamp(2018, 1, 1)]
    assert out["EndDate"].tolist() == [pd.Timestamp(2019, 12, 31)]
    kept = derive.merge_spells(
        spells([("A", D(2018, 1, 1), D(2019, 6, 30))]), open_end="2019-01-01"
    )
    assert kept["EndDate"].tolist() == [pd.Timestamp(2019, 6, 30)]
