"""Every cookbook T-SQL block, run as a whole script by leokit.tsql (the ``leokit sql run``
runner), gives the same result sets as leokit.sql.run_duckdb: same columns, same rows, the
same values (text and integers exactly, other numbers to 1e-12 relative).

tests/recipes/test_recipes_sql.py checks run_duckdb's results against each page's pandas code
and Expected output, so the runner is checked against them too, through this equality.
"""

import pandas as pd
import pytest
from support import recipe_sql
from support.recipes import fail_unreadable

from leokit import sql
from leokit.tsql import run_script

PAGES = recipe_sql.sql_pages()


@pytest.fixture(scope="module")
def con():
    c = sql.open_duckdb(recipe_sql.EXTRACT, threads=1)
    yield c
    c.close()


def test_every_executed_sql_page_is_here():
    assert len(PAGES) >= len(recipe_sql.REQUIRED)


@pytest.mark.parametrize("rec", PAGES)
def test_runner_matches_run_duckdb(rec, con):
    fail_unreadable(rec)
    tsql = sql.recipe_sql(rec.path)
    want = sql.run_duckdb(con, tsql, all_results=True)
    with run_script(tsql, recipe_sql.EXTRACT, threads=1) as run:
        got = run.results
        assert not run.failures
    assert len(got) == len(want), f"{len(got)} result sets, run_duckdb gives {len(want)}"
    for i, (g, w) in enumerate(zip(got, want), 1):
        assert list(g.columns) == list(w.columns), f"result set {i}"
        assert len(g) == len(w), f"result set {i}"
        pd.testing.assert_frame_equal(
            g.reset_index(drop=True),
            w.reset_index(drop=True),
            check_dtype=False,
            rtol=1e-12,
            obj=f"{rec.name}, result set {i}",
        )
