"""nbval on the committed reference notebooks: each is re-executed with its defaults and every
cell's output compared with the stored one (tests/notebooks/nbval_sanitize.cfg masks run-to-run noise).

Runs nbval in a child pytest so the main suite's options (xdist, markers) do not apply to it.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("nb", REFERENCES, ids=[p.stem for p in REFERENCES])
def test_reference_outputs_reproduce(nb, tmp_path):
    cmd = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
        "-o", "addopts=", "--nbval", "--nbval-current-env",
        "--nbval-sanitize-with", str(ROOT / "tests" / "notebooks" / "nbval_sanitize.cfg"),
        "--rootdir", str(tmp_path), str(nb),
    ]  # fmt: skip
    run = subprocess.run(cmd, cwd=str(ROOT), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout


@pytest.mark.parametrize("nb", REFERENCES, ids=[p.stem for p in REFERENCES])
def test_reference_matches_its_source(nb):
    """The executed reference has the cells of its jupytext source, all run."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import refresh_notebooks
    finally:
        sys.path.pop(0)
    assert refresh_notebooks.stale(nb.with_suffix(".py")) is None
