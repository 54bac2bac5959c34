"""leokit.derive_sql (DuckDB) gives the same rows as leokit.derive (pandas) on the default
extract, and refuses bad input with the same kind of message."""

import datetime
import os

import duckdb
import pandas as pd
import pytest

import leokit.derive as d
import leokit.derive_sql as ds
import leokit.extract as lx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT = os.path.join(ROOT, "data_synthetic")
YEARS = [201415, 201516, 201617, 201718, 201819]


def _norm(df):
    out = {}
    for c in df.columns:
        s = df[c]
        if str(s.dtype).startswith("datetime"):
            out[c] = s.astype("datetime64[ns]")
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[c] = s.astype(bool)
        elif pd.api.types.is_numeric_dtype(s.dtype):
            out[c] = s.astype("float64")
        else:
            v = s.astype(object).to_numpy(copy=True)
            v[pd.isna(v)] = None
            out[c] = pd.Series(v, dtype=object)
    return pd.DataFrame(out).reset_index(drop=True)


def same(pandas_result, relation):
    got = relation.df()
    assert list(got.columns) == list(pandas_result.columns)
    assert len(got) == len(pandas_result) > 0
    pd.testing.assert_frame_equal(_norm(got), _norm(pandas_result), check_exact=True)


@pytest.fixture(scope="module")
def ex():
    e = lx.open_extract(DEFAULT)
    yield e
    e.close()


@pytest.fixture(scope="module")
def frames(ex):
    return {
        "emp": ex.read("leo_employment"),
        "earn": ex.read("leo_earnings", columns=["Edukey", "TaxYear", "Earnings", "Num_SIC"]),
        "sa": ex.read("leo_self_assessment", columns=["Edukey", "TaxYear"]),
        "people": ex.read("learner_ae_id_to_edukey_lookup", columns=["EDUKEY"])["EDUKEY"],
    }


@pytest.fixture(scope="module")
def rels(ex):
    return {
        "emp": ex.relation("leo_employment"),
        "earn": ex.relation("leo_earnings", columns=["Edukey", "TaxYear", "Earnings", "Num_SIC"]),
        "sa": ex.relation("leo_self_assessment", columns=["Edukey", "TaxYear"]),
        "people": ex.relation("learner_ae_id_to_edukey_lookup", columns=["EDUKEY"]),
    }


@pytest.mark.parametrize(
    "kw", [{}, {"tax_years": YEARS}, {"data_end": "2016-12-31"}, {"tax_years": [201011, 202021]}]
)
def test_days_employed(frames, rels, kw):
    same(d.days_employed(frames["emp"], **kw), ds.days_employed(rels["emp"], **kw))


@pytest.mark.parametrize("with_sa", [False, True])
@pytest.mark.parametrize("kw", [{}, {"tax_years": YEARS}, {"min_months": 3, "tax_years": [201617]}])
def test_sustained_employment(frames, rels, with_sa, kw):
    sa_p = frames["sa"] if with_sa else None
    sa_s = rels["sa"] if with_sa else None
    p = d.sustained_employment(frames["emp"], self_assessment=sa_p, **kw)
    s = ds.sustained_employment(rels["emp"], self_assessment=sa_s, **kw)
    same(p, s)
    assert s.df()["sustained"].any()


def test_merge_spells(frames, rels):
    same(d.merge_spells(frames["emp"]), ds.merge_spells_sql(rels["emp"]))


def test_annualised_earnings(frames, rels):
    p = d.annualised_earnings(frames["earn"], frames["emp"])
    p = p.sort_values(["Edukey", "TaxYear"], kind="mergesort")  # SQL orders by person, year
    same(p, ds.annualised_earnings(rels["earn"], rels["emp"]))
    # data_end cuts closed spells as well as open ones (the last day the data covers)
    early = frames["earn"][frames["earn"]["TaxYear"] <= 201415]
    p = d.annualised_earnings(early, frames["emp"], data_end="2015-04-05")
    s = ds.annualised_earnings(rels["earn"].filter('"TaxYear" <= 201415'), rels["emp"],
                               data_end="2015-04-05")  # fmt: skip
    same(p.sort_values(["Edukey", "TaxYear"], kind="mergesort").reset_index(drop=True), s)


def test_earnings_panel(frames, rels, ex):
    p = d.earnings_panel(frames["earn"], frames["people"], YEARS, columns=["Num_SIC"])
    same(p, ds.earnings_panel(rels["earn"], rels["people"], YEARS, columns=["Num_SIC"]))
    # people as a list of keys, put on the extract's connection
    keys = frames["people"].head(500).tolist()
    same(
        d.earnings_panel(frames["earn"], keys, [201718]),
        ds.earnings_panel(rels["earn"], keys, [201718], con=ex.duckdb()).project(
            "Edukey, TaxYear, Earnings, has_record"
        ),
    )


def test_pandas_frames_work_on_a_connection():
    con = duckdb.connect()
    emp = pd.DataFrame(
        {
            "EduKey": ["a", "a", "b", None],
            "StartDate": [
                datetime.date(2015, 4, 6),
                datetime.date(2015, 6, 1),
                datetime.date(2016, 1, 10),
                datetime.date(2016, 1, 1),
            ],  # fmt: skip
            "EndDate": [
                datetime.date(2015, 7, 1),
                datetime.date(9999, 12, 31),
                datetime.date(2016, 2, 1),
                datetime.date(2016, 2, 1),
            ],  # fmt: skip
        }
    )
    same(
        d.days_employed(emp, tax_years=[201516, 201617]),
        ds.days_employed(emp, tax_years=[201516, 201617], con=con),
    )
    same(d.sustained_employment(emp), ds.sustained_employment(emp, con=con))


def test_bad_input_raises_like_pandas():
    con = duckdb.connect()
    emp = pd.DataFrame(
        {
            "EduKey": ["a", "b"],
            "StartDate": [datetime.date(2015, 4, 6), datetime.date(2016, 4, 6)],
            "EndDate": [datetime.date(2015, 7, 1), datetime.date(2016, 1, 1)],
        }
    )
    for fn in (d.days_employed, lambda x: ds.days_employed(x, con=con)):
        with pytest.raises(ValueError, match="end before they start"):
            fn(emp)
    no_start = emp.assign(StartDate=[datetime.date(2015, 4, 6), None], EndDate=emp["StartDate"])
    for fn in (d.days_employed, lambda x: ds.days_employed(x, con=con)):
        with pytest.raises(ValueError, match="have no start date"):
            fn(no_start)
    with pytest.raises(ValueError, match="no person key column"):
        ds.days_employed(emp.rename(columns={"EduKey": "key"}), con=con)
    with pytest.raises(ValueError, match="missing column"):
        ds.days_employed(emp.drop(columns=["EndDate"]), con=con)
    earn = pd.DataFrame({"Edukey": ["a", "a"], "TaxYear": [201516, 201516], "Earnings": [1, 2]})
    for fn in (d.annualised_earnings, lambda e, s: ds.annualised_earnings(e, s, con=con)):
        with pytest.raises(ValueError, match=r"2 rows with a duplicated \(Edukey, TaxYear\)"):
            fn(earn, emp.iloc[:1])
    bad = earn.assign(TaxYear=[201516, 201520])
    for fn in (d.annualised_earnings, lambda e, s: ds.annualised_earnings(e, s, con=con)):
        with pytest.raises(ValueError, match="invalid TaxYear 201520"):
            fn(bad, emp.iloc[:1])
    with pytest.raises(ValueError, match="TaxYear is VARCHAR; expected an int"):
        ds.earnings_panel(earn.assign(TaxYear=["2015/16", "2016/17"]), ["a"], [201516], con=con)
    with pytest.raises(TypeError, match="expected a DuckDB relation"):
        ds.days_employed([1, 2, 3])


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda m, e, x: m.days_employed(e, tax_years=[201920], data_end="2019-04-05"),
            "tax year 201920 starts after data_end 2019-04-05",
        ),
        (
            lambda m, e, x: m.days_employed(e, data_end="2014-01-01"),
            "data_end 2014-01-01 is before every spell starts",
        ),
        (
            lambda m, e, x: m.sustained_employment(e, tax_years=[201516], data_end="2016-01-31"),
            "tax year 201516: its October-March window runs to 2016-03-31",
        ),
        (lambda m, e, x: m.sustained_employment(e, min_months=7), "min_months"),
        (lambda m, e, x: m.days_employed(e, tax_years=[]), "tax_years is empty"),
        (
            lambda m, e, x: m.annualised_earnings(x, e, data_end="2016-01-01"),
            "earnings in tax year 201516 run to 2016-04-05, after data_end 2016-01-01",
        ),
        (
            lambda m, e, x: m.annualised_earnings(x.assign(Earnings=[-4]), e),
            "Earnings: 1 negative value",
        ),
        (
            lambda m, e, x: m.annualised_earnings(x.assign(Earnings=[None]), e),
            "Earnings: 1 missing value",
        ),
        (
            lambda m, e, x: m.annualised_earnings(x.assign(Earnings=["12k"]), e),
            "Earnings: 1 value\\(s\\) are not numbers, e.g. '12k'",
        ),
        (lambda m, e, x: m.earnings_panel(x, [], [201516]), "people is empty"),
        (
            lambda m, e, x: (
                m.merge_spells(e, open_end="2015-01-01")
                if m is d
                else m.merge_spells_sql(e, open_end="2015-01-01")
            ),
            "open_end 2015-01-01 is before an open spell starts",
        ),
    ],
)
def test_data_window_and_pay_errors_as_in_pandas(call, message):
    con = duckdb.connect()
    emp = pd.DataFrame(
        {
            "EduKey": ["a", "b"],
            "StartDate": [datetime.date(2015, 4, 6), datetime.date(2015, 6, 1)],
            "EndDate": [datetime.date(2016, 7, 1), datetime.date(9999, 12, 31)],
        }
    )
    earn = pd.DataFrame({"Edukey": ["a"], "TaxYear": [201516], "Earnings": [1000]})
    for module in (d, ds):
        with pytest.raises(ValueError, match=message):
            if module is ds:
                call(ds, con.from_df(emp), earn)
            else:
                call(d, emp, earn)
