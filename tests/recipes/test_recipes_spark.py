"""The recipes' T-SQL, translated by leokit.sql and run on a local Spark session, gives the
same tables as the pandas code of the same page (as tests/recipes/test_recipes_sql.py does for
DuckDB). Needs Java and pyspark (``pip install -e '.[spark]'``, done by tools/test_setup.sh);
without them every test here skips and says why.

One SparkSession for the module: local[2], 2 shuffle partitions, UTC, no UI, quiet logs.
Starting it takes about 10-15 s; the pages then take a few seconds each.
"""

import shutil

import pytest
from support import recipe_sql
from support.recipes import (
    fail_unreadable,
    recipe_workdir,  # noqa: F401 - fixture
    run_cache,  # noqa: F401 - fixture
)

from leokit import sql

PAGES = recipe_sql.sql_pages()


def _why_not():
    if shutil.which("java") is None:
        return "Spark tests skipped: no Java runtime on PATH (Spark 4 needs Java 17+)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "Spark tests skipped: pyspark is not installed (pip install -e '.[spark]')"
    return None


@pytest.fixture(scope="module")
def spark():
    reason = _why_not()
    if reason:
        print(reason)
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("leokit-recipes-sql")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    sql.register_spark_views(session, recipe_sql.EXTRACT)
    yield session
    session.stop()


@pytest.mark.parametrize("rec", PAGES)
def test_sql_matches_pandas_in_spark(rec, spark, recipe_workdir, run_cache):  # noqa: F811
    fail_unreadable(rec)
    results = sql.run_spark(spark, sql.recipe_sql(rec.path), all_results=True)
    python = recipe_sql.python_tables(rec, recipe_workdir, run_cache)
    problems = recipe_sql.check_page(rec, results, python, "Spark")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_spark_follows_tsql_integer_arithmetic(spark):
    first, second = sql.run_spark(
        spark,
        "SELECT DISTINCT TaxYear / 100 AS y, -7 / 2 AS neg FROM LEO_i2.leo_synth.leo_earnings "
        "WHERE TaxYear = 201819; SELECT AVG(x) AS a, AVG(CAST(x AS float)) AS b "
        "FROM (VALUES (1), (2)) v(x)",
        all_results=True,
    )
    assert first["y"].tolist() == [2018] and first["neg"].tolist() == [-3]
    assert second["a"].tolist() == [1] and second["b"].tolist() == [1.5]
