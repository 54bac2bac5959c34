"""Run the SRS-copyable modules' tests under the SRS profile (Python 3.7, pandas 1.0.1,
numpy 1.18.1, statsmodels 0.11.0, scipy 1.4.1, pytest 7), built by tools/srs_profile.py.

The first run builds .srs-venv/ (well under 3 minutes); later runs reuse it. The test skips
only when there is no Python 3.7 interpreter or the pinned packages cannot be installed.
"""

import ast
import importlib.util
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: Test files that must pass on the SRS profile. Add the tests of every module meant to be
#: copied into the SRS (extract, tax, ...) here.
SRS_TEST_FILES = [
    "tests/unit/test_derive.py",
    "tests/unit/test_release.py",
    "tests/unit/test_sdc.py",
    "tests/unit/test_tax.py",
]

#: Modules that must import on the SRS profile without pulling in anything beyond the
#: standard library, pandas and numpy (leokit.extract brings the plain-Python registry). The
#: packages' SRS-bound modules are listed one by one (tests/unit/test_structure.py checks
#: that every module `import leokit.extract` or `import leokit.derive` loads is here);
#: leokit.extract.writer and leokit.extract.validate are not SRS-bound.
SRS_MODULES = [
    "leokit.derive",
    "leokit.derive.dates",
    "leokit.derive.years",
    "leokit.derive.checks",
    "leokit.derive.spells",
    "leokit.derive.earnings",
    "leokit.sdc",
    "leokit.extract",
    "leokit.extract.formats",
    "leokit.extract.convert",
    "leokit.extract.checksum",
    "leokit.extract.filters",
    "leokit.extract.sources",
    "leokit.extract.plans",
    "leokit.extract.stacking",
    "leokit.extract.relations",
    "leokit.extract.core",
    "leokit.extract.opening",
    "leokit.tax",
    "leokit.release",
    "leokit.results",
]
REGISTRY_MODULES = [
    "leokit.schema",
    "leokit.schema.codes",
    "leokit.schema.core",
    "leokit.schema.views",
]


pytestmark = pytest.mark.srs


def _load_tool():
    path = os.path.join(ROOT, "tools", "srs_profile.py")
    spec = importlib.util.spec_from_file_location("srs_profile", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_reads_the_same_file_list():
    assert _load_tool().default_test_files() == SRS_TEST_FILES


@pytest.fixture(scope="module")
def profile():
    tool = _load_tool()
    try:
        info = tool.build()
    except (tool.NoInterpreter, tool.PinsUnavailable) as exc:
        print(f"SKIP SRS profile: {exc}")
        pytest.skip(f"SRS profile unavailable: {exc}")
    print(tool.describe(info))
    return tool, info


def test_profile_has_the_srs_versions(profile):
    tool, info = profile
    versions = info["versions"]
    assert versions["python"].startswith("3.7.")
    for name, pinned in tool.PINS.items():
        assert versions[name] == pinned, (name, versions[name], pinned)
    assert versions["pytest"].startswith("7.")


def test_srs_modules_import_light(profile):
    tool, _ = profile
    code = (
        "import sys\n"
        "import {mods}\n"
        "print(sorted(m for m in sys.modules if m.startswith('leokit')))\n"
        "print(sorted(m for m in ('pyarrow', 'duckdb', 'pandera', 'statsmodels', 'scipy') "
        "if m in sys.modules))\n"
    ).format(mods=", ".join(SRS_MODULES))
    out = tool.run_python(code)
    assert out.returncode == 0, out.stdout
    lines = out.stdout.strip().splitlines()
    loaded = set(ast.literal_eval(lines[-2]))
    listed = set(["leokit"] + SRS_MODULES + REGISTRY_MODULES)
    assert listed <= loaded, out.stdout
    # a package among SRS_MODULES (leokit.sdc) brings its own submodules, nothing else
    extra = [m for m in loaded - listed if not any(m.startswith(p + ".") for p in SRS_MODULES)]
    assert not extra, out.stdout
    assert ast.literal_eval(lines[-1]) == [], out.stdout


def test_srs_test_files_pass_on_the_profile(profile):
    tool, info = profile
    missing = [f for f in SRS_TEST_FILES if not os.path.exists(os.path.join(ROOT, f))]
    assert not missing, f"SRS_TEST_FILES lists files that do not exist: {missing}"
    result = tool.run_pytest(SRS_TEST_FILES + ["-q"], capture=True)
    print(tool.describe(info))
    print(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-6000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), summary
    assert "failed" not in summary and "error" not in summary, summary
