"""The Python blocks of SRS-ready recipes (front matter ``srs_ready: true``, blocks not marked
``srs=no``) run under the SRS profile (Python 3.7, pandas 1.0.1, numpy 1.18.1,
statsmodels 0.11.0; tools/srs_profile.py) and must match Expected output there too.

Skips, with the reason printed, when the profile cannot be built (no Python 3.7).
"""

import importlib.util
import os

import pytest
from support.recipes import (
    ROOT,
    assert_ok,
    block_params,
    fail_unreadable,
    recipe_workdir,  # noqa: F401 - fixture
    run_cache,  # noqa: F401 - fixture
    tool,
)

pytestmark = pytest.mark.srs


@pytest.fixture(scope="module")
def srs_profile():
    path = os.path.join(ROOT, "tools", "srs_profile.py")
    spec = importlib.util.spec_from_file_location("srs_profile", path)
    profile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(profile)
    try:
        info = profile.build()
    except (profile.NoInterpreter, profile.PinsUnavailable) as exc:
        print(f"SKIP SRS recipes: {exc}")
        pytest.skip(f"SRS profile unavailable: {exc}")
    print(profile.describe(info))
    return info


@pytest.mark.parametrize("rec,block", block_params("srs"))
def test_srs_block(rec, block, srs_profile, recipe_workdir, run_cache):  # noqa: F811
    fail_unreadable(rec)
    run = tool.cached_run(rec, block, "srs", recipe_workdir, run_cache)
    assert_ok(tool.check_run(rec, run))
