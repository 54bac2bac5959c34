"""Shared set-up for the recipe tests (tests/recipes/).

The recipe machinery is the package tools/cookbook/ (pages, checks, run, expected, index,
stata, rversions, bundle, lock); tools/recipes.py is its command line and re-exports the API
the tests call as ``tool``. Pages are discovered at collection time, so a new page is tested
without any change here; a page that cannot even be parsed becomes a failing test named
after it.
"""

import importlib.util
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)


def load_tool():
    """tools/recipes.py, the command line, as a module (it puts tools/ on sys.path)."""
    path = os.path.join(TOOLS, "recipes.py")
    spec = importlib.util.spec_from_file_location("leo_recipes_tool", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = load_tool()


class Unreadable:
    """Stands in for a page that could not be parsed, so its test fails with the reason."""

    def __init__(self, path, error):
        self.path = path
        self.name = os.path.basename(os.path.dirname(path)) + "/" + os.path.basename(path)[:-3]
        self.error = error


def pages(include_template=False):
    paths = tool.discover()
    if include_template:
        paths = [tool.TEMPLATE] + paths
    out = []
    for p in paths:
        try:
            out.append(tool.Recipe(p))
        except Exception as exc:  # noqa: BLE001 - reported by the test of that page
            out.append(Unreadable(p, f"{type(exc).__name__}: {exc}"))
    return out


def block_params(runtime):
    """pytest params (recipe, block) for every block ``runtime`` runs, ids 'topic/page:lang#n'."""
    params = []
    for rec in pages(include_template=True):
        if isinstance(rec, Unreadable):
            params.append(pytest.param(rec, None, id=f"{rec.name}:unreadable"))
            continue
        for block in rec.runnable(runtime):
            params.append(pytest.param(rec, block, id=f"{rec.name}:{block.lang}{block.number}"))
    return params


def fail_unreadable(rec):
    if isinstance(rec, Unreadable):
        pytest.fail(f"recipe {rec.name}: cannot be read: {rec.error}", pytrace=False)


def shared_root(tmp_path_factory):
    """A folder all pytest-xdist workers of this run share."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    return os.path.join(str(base), "recipes")


@pytest.fixture(scope="session")
def recipe_workdir(tmp_path_factory):
    """Working directory with data_csv/ (the committed extract as CSV, written once per run)
    and recipes/, as the blocks expect."""
    return tool.ensure_workdir(shared_root(tmp_path_factory))


@pytest.fixture(scope="session")
def run_cache(tmp_path_factory):
    return os.path.join(shared_root(tmp_path_factory), "runs")


def load_srs_profile():
    """tools/srs_profile.py as a module."""
    path = os.path.join(TOOLS, "srs_profile.py")
    spec = importlib.util.spec_from_file_location("srs_profile", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_ok(problems):
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
