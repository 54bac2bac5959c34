"""The recipes' T-SQL, translated by leokit.sql and run in DuckDB on the committed extract,
gives the same tables as the pandas code of the same page (row for row: integers and text
exactly, other numbers to 1e-9 relative) and as its Expected output.

Spark: tests/recipes/test_recipes_spark.py. The translation itself (mistranslations sqlglot makes on
its own, bad input): the unit tests at the end of this file.
"""

import pytest
from support import recipe_sql
from support.recipes import (
    fail_unreadable,
    recipe_workdir,  # noqa: F401 - fixture
    run_cache,  # noqa: F401 - fixture
    tool,
)

from leokit import sql

PAGES = recipe_sql.sql_pages()


@pytest.fixture(scope="module")
def con():
    c = sql.open_duckdb(recipe_sql.EXTRACT, threads=1)
    yield c
    c.close()


def test_the_data_preparation_pages_have_executable_sql():
    executed = {p.values[0].name for p in PAGES}
    missing = [n for n in recipe_sql.REQUIRED if n not in executed]
    assert not missing, f"pages whose SQL should be executed in the tests but is not: {missing}"


@pytest.mark.parametrize("rec", PAGES)
def test_sql_matches_pandas_in_duckdb(rec, con, recipe_workdir, run_cache):  # noqa: F811
    fail_unreadable(rec)
    tsql = sql.recipe_sql(rec.path)
    results = sql.run_duckdb(con, tsql, all_results=True)
    python = recipe_sql.python_tables(rec, recipe_workdir, run_cache)
    problems = recipe_sql.check_page(rec, results, python, "DuckDB")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# ------------------------------------------------------------------------------ translation


def one(tsql, dialect="duckdb"):
    (out,) = sql.transpile(tsql, dialect)
    return out


def test_integer_division_truncates_as_in_tsql(con):
    # TaxYear is an int column: 201819 / 100 is 2018 in T-SQL, 2018.19 in DuckDB's '/'
    got = sql.run_duckdb(
        con,
        "SELECT TaxYear / 100 AS y, CAST(TaxYear AS float) / 100 AS f, -7 / 2 AS neg "
        "FROM LEO_i2.leo_synth.leo_earnings WHERE TaxYear = 201819 AND Earnings > 0",
    )
    assert got["y"].iloc[0] == 2018
    assert got["f"].iloc[0] == pytest.approx(2018.19)
    assert got["neg"].iloc[0] == -3  # towards zero, as SQL Server


def test_average_of_integers_truncates_as_in_tsql(con):
    got = sql.run_duckdb(
        con, "SELECT AVG(x) AS a, AVG(CAST(x AS float)) AS b FROM (VALUES (1), (2)) v(x)"
    )
    assert got["a"].iloc[0] == 1 and got["b"].iloc[0] == 1.5


def test_float_is_double_precision():
    assert "DOUBLE" in one("SELECT CAST(x AS float) AS f FROM t")
    assert "REAL" not in one("SELECT CAST(x AS float) AS f FROM t")


def test_unknown_division_is_refused_with_a_message():
    with pytest.raises(sql.SqlError, match="CAST"):
        sql.transpile("SELECT a.mystery / 2 FROM t a", "duckdb")


def test_temp_tables_and_three_part_names():
    stmts = sql.transpile(
        "DROP TABLE IF EXISTS #x; SELECT Edukey INTO #x FROM LEO_i2.leo_synth.leo_earnings; "
        "SELECT COUNT(*) AS n FROM #x",
        "spark",
    )
    assert stmts[0] == "DROP VIEW IF EXISTS x"
    assert stmts[1:3] == [
        "DROP VIEW IF EXISTS x",
        "CACHE TABLE x AS SELECT Edukey FROM leo_earnings",
    ]
    duck = sql.transpile("SELECT 1 AS a FROM LEO_i2.leo_synth.leo_earnings", "duckdb", schema="p1")
    assert "LEO_i2.p1.leo_earnings" in duck[0]


def test_percentile_cont_is_exact_in_spark():
    out = one(
        "SELECT DISTINCT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY Earnings) OVER () AS m "
        "FROM LEO_i2.leo_synth.leo_earnings",
        "spark",
    )
    assert "PERCENTILE(EARNINGS, 0.5)" in out.upper() and "APPROX" not in out.upper()


def test_permanent_select_into_is_refused():
    with pytest.raises(sql.SqlError, match="#temp"):
        sql.transpile("SELECT 1 AS a INTO dbo.keep FROM t", "duckdb")


def test_bad_input_names_the_problem(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "---\ntitle: x\n---\n\n# x\n\n## SQL (SRS SQL Server, not executed here)\n\nnone\n"
    )
    with pytest.raises(sql.SqlError, match="has no ```sql block"):
        sql.recipe_sql(str(page))
    with pytest.raises(sql.SqlError, match="no recipe page"):
        sql.recipe_sql(str(tmp_path / "missing.md"))
    with pytest.raises(sql.SqlError, match="empty"):
        sql.transpile("  ", "duckdb")
    with pytest.raises(sql.SqlError, match="unknown dialect"):
        sql.transpile("SELECT 1", "oracle")


def test_an_engine_error_names_the_statement(con):
    with pytest.raises(sql.SqlError, match=r"statement 2 of 2.*no_such_view"):
        sql.run_duckdb(
            con, "SELECT 1 AS a; SELECT * FROM LEO_i2.leo_synth.no_such_view", all_results=True
        )


def test_an_executed_sql_heading_is_recognised():
    rec = next(p.values[0] for p in PAGES)
    assert tool.sql_executed(rec)


# ------------------------------------------------------------------------------ leokit.derive
# Row-level checks: the temp table a page's SQL builds equals leokit.derive on the same data
# (read from the CSV copy with pandas), person-year by person-year.

DATA_END = "2021-04-05"
YEARS = [201617, 201718, 201819, 201920, 202021]


def run_page(name):
    """A fresh DuckDB connection after running the page's script (its temp tables kept)."""
    c = sql.open_duckdb(recipe_sql.EXTRACT, threads=1)
    sql.run_duckdb(c, sql.recipe_sql(f"{tool.RECIPES}/{name}.md"), all_results=True)
    return c


def csv(workdir, view, **kw):
    import os

    import pandas as pd

    return pd.read_csv(os.path.join(workdir, "data_csv", view + ".csv"), **kw)


def employment(workdir):
    emp = csv(workdir, "leo_employment", dtype={"EduKey": str})
    return emp[emp["EduKey"].fillna("").str.strip() != ""][["EduKey", "StartDate", "EndDate"]]


def test_panel_temp_table_equals_derive(recipe_workdir):  # noqa: F811
    import numpy as np

    from leokit import derive

    c = run_page("time/build_earnings_panel")
    theirs = c.execute("SELECT * FROM panel ORDER BY AE_ID, TaxYear").df()
    c.close()
    years = [201516] + YEARS
    ks4 = csv(recipe_workdir, "ks4pupil_2002_to_2014", dtype=str)
    pmr = csv(
        recipe_workdir, "learner_ae_id_to_pmr_lookup", dtype={"PUPILMATCHINGREFANONYMOUS": str}
    )
    edk = csv(recipe_workdir, "learner_ae_id_to_edukey_lookup", dtype={"EDUKEY": str})
    pay = csv(
        recipe_workdir,
        "leo_earnings",
        dtype={"Edukey": str},
        usecols=["Edukey", "TaxYear", "Earnings"],
    )
    cohort = ks4[(ks4["KS4_ACADYR"] == "2009/2010") & (ks4["KS4_ENDKS"] == "1")]
    people = pmr[pmr["PUPILMATCHINGREFANONYMOUS"].isin(cohort["KS4_PupilMatchingRefAnonymous"])]
    people = people[people["AE_ID"].isin(edk["AE_ID"])]["AE_ID"].drop_duplicates()
    by_person = (
        pay[pay["TaxYear"].isin(years)]
        .merge(edk, left_on="Edukey", right_on="EDUKEY")
        .groupby(["AE_ID", "TaxYear"], as_index=False)["Earnings"]
        .sum()
    )
    ours = derive.earnings_panel(by_person, people, years, person="AE_ID")
    ours = ours.sort_values(["AE_ID", "TaxYear"]).reset_index(drop=True)
    assert len(ours) == len(theirs) == len(people) * len(years) > 50000
    for col in ("AE_ID", "TaxYear", "Earnings"):
        np.testing.assert_array_equal(theirs[col].values, ours[col].values, err_msg=col)
    np.testing.assert_array_equal(theirs["has_record"].values == 1, ours["has_record"].values)


def test_sustained_status_temp_table_equals_derive(recipe_workdir):  # noqa: F811
    import numpy as np

    from leokit import derive

    c = run_page("outcomes/flag_sustained_employment")
    theirs = c.execute("SELECT * FROM status").df()
    c.close()
    sa = csv(
        recipe_workdir, "leo_self_assessment", dtype={"Edukey": str}, usecols=["Edukey", "TaxYear"]
    )
    sa = sa.rename(columns={"Edukey": "EduKey"})
    ours = derive.sustained_employment(
        employment(recipe_workdir), tax_years=YEARS, self_assessment=sa, data_end=DATA_END
    )
    both = ours.merge(theirs, on=["EduKey", "TaxYear"], how="left", suffixes=("", "_sql"))
    seen = both["sustained_sql"].notna()
    assert seen.sum() == len(theirs) > 200000
    pairs = [("months_employed_oct_mar", "months_oct_mar")] + [
        (c, c + "_sql") for c in ("sustained_paye", "sa_record", "sustained")
    ]
    for ours_col, sql_col in pairs:
        np.testing.assert_array_equal(
            both.loc[seen, ours_col].values.astype(int),
            both.loc[seen, sql_col].values.astype(int),
            err_msg=ours_col,
        )
    # person-years the SQL leaves out have no activity at all
    assert not both.loc[~seen, "sustained"].any()
    assert (both.loc[~seen, "months_employed_oct_mar"] == 0).all()


def test_annualised_temp_table_equals_derive(recipe_workdir):  # noqa: F811
    import numpy as np

    from leokit import derive

    c = run_page("outcomes/annualise_earnings")
    theirs = c.execute("SELECT * FROM annualised ORDER BY Edukey, TaxYear").df()
    c.close()
    pay = csv(
        recipe_workdir,
        "leo_earnings",
        dtype={"Edukey": str},
        usecols=["Edukey", "TaxYear", "Earnings"],
    )
    pay = pay[pay["TaxYear"].isin(YEARS)].sort_values(["Edukey", "TaxYear"]).reset_index(drop=True)
    ours = derive.annualised_earnings(pay, employment(recipe_workdir), data_end=DATA_END)
    assert len(ours) == len(theirs) > 200000
    np.testing.assert_array_equal(ours["Edukey"].values, theirs["Edukey"].values)
    np.testing.assert_array_equal(
        ours["days_employed"].values, theirs["days_employed"].fillna(0).values.astype(int)
    )
    np.testing.assert_allclose(
        theirs["annualised"].values.astype(float), ours["annualised_earnings"].values, rtol=1e-9
    )
