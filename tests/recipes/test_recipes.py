"""The cookbook (recipes/): page anatomy, the generated index, and every Python block run on
the current stack and compared with the page's Expected output.

R blocks: tests/recipes/test_recipes_r.py. The SRS profile: tests/recipes/test_recipes_srs.py. Equality with
leokit.derive: tests/recipes/test_recipes_derive.py. Each failure names the recipe.
"""

import os
import re
import textwrap

import pytest
from support.recipes import (
    ROOT,
    Unreadable,
    assert_ok,
    block_params,
    fail_unreadable,
    pages,
    recipe_workdir,  # noqa: F401 - fixture
    run_cache,  # noqa: F401 - fixture
    tool,
)

PAGES = pages(include_template=True)


@pytest.mark.parametrize("rec", PAGES, ids=[r.name for r in PAGES])
def test_page_anatomy(rec):
    fail_unreadable(rec)
    problems = tool.problems(rec)
    assert_ok([f"recipe {rec.name}: {p}" for p in problems])


def test_the_cookbook_covers_the_topics():
    recipes = [r for r in pages() if not isinstance(r, Unreadable)]
    assert len(recipes) >= 22, f"{len(recipes)} recipes; the cookbook promises at least 22"
    topics = {r.meta["topic"] for r in recipes}
    missing = sorted(set(tool.TOPICS) - topics)
    assert not missing, f"topic folders without a recipe: {missing}"


def test_index_is_up_to_date():
    recipes = tool.load_all()
    with open(tool.INDEX, encoding="utf-8") as f:
        current = f.read()
    assert current == tool.render_index(recipes), (
        "recipes/README.md is out of date: run `python tools/recipes.py index`"
    )
    for r in recipes:
        assert f"({r.name}.md)" in current, f"recipe {r.name} is missing from the index"


def test_index_ends_with_the_wanted_pages():
    """recipes/_wanted.md (pages still worth writing) closes the index, every row of it, and its
    links lead to files that exist."""
    with open(os.path.join(ROOT, "recipes", "_wanted.md"), encoding="utf-8") as f:
        wanted = f.read()
    with open(tool.INDEX, encoding="utf-8") as f:
        index = f.read()
    rows = [line for line in wanted.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) > 1, "recipes/_wanted.md has no table of wanted pages"
    parts = index.split("\n## Pages still worth writing\n", 1)
    assert len(parts) == 2, "recipes/README.md has no section 'Pages still worth writing'"
    missing = [row for row in rows if row not in parts[1]]
    assert not missing, f"rows of recipes/_wanted.md missing from the index: {missing}"
    broken = [
        target
        for target in re.findall(r"\]\(([^)#]+)", wanted)
        if not os.path.exists(os.path.join(ROOT, "recipes", target))
    ]
    assert not broken, f"recipes/_wanted.md links to files that do not exist: {broken}"


def test_readme_and_contributing_point_to_the_cookbook():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    assert "recipes/README.md" in readme
    with open(os.path.join(ROOT, "CONTRIBUTING.md"), encoding="utf-8") as f:
        contributing = f.read()
    assert "## Adding a recipe" in contributing
    assert "recipes/_template.md" in contributing


@pytest.mark.parametrize("rec,block", block_params("python"))
def test_python_block(rec, block, recipe_workdir, run_cache):  # noqa: F811
    fail_unreadable(rec)
    run = tool.cached_run(rec, block, "python", recipe_workdir, run_cache)
    assert_ok(tool.check_run(rec, run))


# ---------------------------------------------------------------------------------------------
# the harness itself: a broken page must fail, and fail with its name


PAGE = textwrap.dedent(
    """\
    ---
    title: Probe
    task: A page the tests write to check the harness
    topic: linking
    kind: analysis
    tags: [test]
    views: [ks4pupil_2002_to_2014]
    languages: [python, r, stata]
    srs_ready: true
    ---

    # Probe

    ## Goal

    Check the harness.

    ## Keep in mind

    Nothing.

    ## Python

    ```python
    import pandas as pd  # reads ks4pupil_2002_to_2014 in spirit
    {python}
    ```

    ## R

    ```r
    # Needs: R >= 3.6.0
    cat("a,b\\n1,0.5\\n")
    ```

    ## Stata (not executed here)

    ```stata
    * Not executed here.
    display 1
    ```

    ## Expected output

    | a | b |
    |---|---|
    | 1 | 0.5 |

    ## Known differences

    None.

    ## In the SRS

    Nothing.

    ## Also consider

    Nothing.
    """
)


def write_page(root, python):
    folder = root / "linking"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "probe_page.md"
    path.write_text(PAGE.format(python=python))
    return str(path)


def test_a_new_page_is_discovered(tmp_path):
    path = write_page(tmp_path, 'print("a,b\\n1,0.5")')
    found = tool.discover(str(tmp_path))
    assert found == [path]


def test_a_good_probe_passes(tmp_path):
    rec = tool.Recipe(write_page(tmp_path, 'print("a,b\\n1,0.5")'))
    assert tool.problems(rec) == []
    for runtime in ("python",):
        run = tool.run_block(rec, rec.runnable(runtime)[0], runtime, str(tmp_path))
        assert tool.check_run(rec, run) == []


def test_a_broken_block_fails_with_the_recipe_name(tmp_path):
    rec = tool.Recipe(write_page(tmp_path, 'raise ValueError("boom")'))
    run = tool.run_block(rec, rec.blocks_of("python")[0], "python", str(tmp_path))
    problems = tool.check_run(rec, run)
    assert problems and "probe_page" in problems[0] and "boom" in problems[0]


def test_a_wrong_number_fails(tmp_path):
    rec = tool.Recipe(write_page(tmp_path, 'print("a,b\\n1,0.56")'))
    run = tool.run_block(rec, rec.blocks_of("python")[0], "python", str(tmp_path))
    problems = tool.check_run(rec, run)
    assert len(problems) == 1 and "column 'b'" in problems[0] and "probe_page" in problems[0]


def test_a_warning_fails(tmp_path):
    code = 'import warnings; warnings.warn("old API"); print("a,b\\n1,0.5")'
    rec = tool.Recipe(write_page(tmp_path, code))
    run = tool.run_block(rec, rec.blocks_of("python")[0], "python", str(tmp_path))
    problems = tool.check_run(rec, run)
    assert problems and "old API" in problems[0]


def test_a_missing_section_fails(tmp_path):
    path = write_page(tmp_path, 'print("a,b\\n1,0.5")')
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("## Known differences\n\nNone.\n\n", ""))
    problems = tool.problems(tool.Recipe(path))
    assert problems == ["missing section '## Known differences'"]


def test_unlisted_view_and_missing_table_fail(tmp_path):
    path = write_page(tmp_path, 'print("a,b\\n1,0.5")')
    with open(path) as f:
        text = f.read()
    text = text.replace("views: [ks4pupil_2002_to_2014]", "views: [leo_earnings, no_such_view]")
    with open(path, "w") as f:
        f.write(text.replace("| 1 | 0.5 |\n", ""))
    problems = tool.problems(tool.Recipe(path))
    assert "view 'leo_earnings' is listed but no Python block reads it" in problems
    assert "view 'no_such_view' is not in the extract" in problems
    assert "expected table 'result' has no rows" in problems


@pytest.mark.parametrize(
    "printed,expected,ok",
    [
        ("0.12345", "0.1235", True),
        ("0.12351", "0.1234", False),
        ("87.04", "87.0", True),
        ("87.06", "87.0", False),
        ("12", "12", True),
        ("12.4", "12", True),
        ("13", "12", False),
        ("TRUE", "True", True),
        ("", "", True),
        ("NA", "", True),
        ("c", "c", True),
        ("5", "c", False),
        ("Law", "Law ", True),
    ],
)
def test_cell_tolerance(printed, expected, ok):
    assert tool.cell_matches(printed, expected) is ok
