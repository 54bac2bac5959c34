"""The recipes' T-SQL, translated by leokit.sql and run in DuckDB on the committed extract,
gives the same tables as the pandas code of the same page (row for row: integers and text
exactly, other numbers to 1e-9 relative) and as its Expected output.

Spark: tests/test_recipes_spark.py. The translation itself (mistranslations sqlglot makes on
its own, bad input): the unit tests at the end of this file.
"""

import pytest
import sql_support
from recipe_support import (
    fail_unreadable,
    recipe_workdir,  # noqa: F401 - fixture
    run_cache,  # noqa: F401 - fixture
    tool,
)

from leokit import sql

PAGES = sql_support.sql_pages()


@pytest.fixture(scope="module")
def con():
    c = sql.open_duckdb(sql_support.EXTRACT, threads=1)
    yield c
    c.close()


def test_the_data_preparation_pages_have_executable_sql():
    executed = {p.values[0].name for p in PAGES}
    missing = [n for n in sql_support.REQUIRED if n not in executed]
    assert not missing, f"pages whose SQL should be executed in the tests but is not: {missing}"


@pytest.mark.parametrize("rec", PAGES)
def test_sql_matches_pandas_in_duckdb(rec, con, recipe_workdir, run_cache):  # noqa: F811
    fail_unreadable(rec)
    tsql = sql.recipe_sql(rec.path)
    results = sql.run_duckdb(con, tsql, all_results=True)
    python = sql_support.python_tables(rec, recipe_workdir, run_cache)
    problems = sql_support.check_page(rec, results, python, "DuckDB")
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
