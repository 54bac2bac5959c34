"""Every R block of the cookbook run with Rscript (Debian's R and CRAN packages, installed by
tools/test_setup.sh) and compared with the page's Expected output and, number by number to a
relative 1e-6, with the page's Python block that prints the same tables.

Skips, with the reason printed, when Rscript or one of the packages is missing.
"""

import shutil
import subprocess

import pytest
from support.recipes import (
    assert_ok,
    block_params,
    fail_unreadable,
    recipe_workdir,  # noqa: F401 - fixture
    run_cache,  # noqa: F401 - fixture
    tool,
)

R_PACKAGES = ["data.table", "estimatr", "plm", "haven"]


@pytest.fixture(scope="module")
def rscript():
    if shutil.which("Rscript") is None:
        reason = "Rscript not found (tools/test_setup.sh installs r-base-core)"
        print(f"SKIP R recipes: {reason}")
        pytest.skip(reason)
    code = "for (p in c({})) library(p, character.only = TRUE)".format(
        ", ".join(f'"{p}"' for p in R_PACKAGES)
    )
    out = subprocess.run(
        ["Rscript", "--vanilla", "-e", code], capture_output=True, text=True, timeout=120
    )
    if out.returncode != 0:
        reason = "R packages missing ({}): {}".format(
            ", ".join(R_PACKAGES), out.stderr.strip()[-300:]
        )
        print(f"SKIP R recipes: {reason}")
        pytest.skip(reason)
    return "Rscript"


def python_twin(rec, block):
    """The page's first Python block printing the same tables as ``block``."""
    wanted = block.outputs(rec.expected)
    for b in rec.blocks_of("python"):
        if b.outputs(rec.expected) == wanted:
            return b
    return None


@pytest.mark.parametrize("rec,block", block_params("r"))
def test_r_block(rec, block, rscript, recipe_workdir, run_cache):  # noqa: F811
    fail_unreadable(rec)
    run = tool.cached_run(rec, block, "r", recipe_workdir, run_cache)
    assert_ok(tool.check_run(rec, run))
    twin = python_twin(rec, block)
    assert twin is not None, (
        f"recipe {rec.name}: no Python block prints what {block.label()} prints"
    )
    py = tool.cached_run(rec, twin, "python", recipe_workdir, run_cache)
    assert_ok(tool.check_run(rec, py))
    diffs = tool.compare_printed(tool.parse_printed(run.stdout), tool.parse_printed(py.stdout))
    assert_ok(
        [
            f"recipe {rec.name}: R {block.label()} and Python {twin.label()} differ: {d}"
            for d in diffs
        ]
    )
