"""environment.yml (Binder) names the same packages and version ranges as pyproject.toml."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
yaml = pytest.importorskip("yaml")
tomllib = pytest.importorskip("tomllib")


def test_environment_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "conda-forge" in env["channels"]
    pythons = [d for d in deps if isinstance(d, str) and d.startswith("python")]
    assert pythons and re.fullmatch(r"python=3\.1[12]", pythons[0]), pythons
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(pip) == sorted(project)


def test_binder_installs_the_package():
    post = (ROOT / "postBuild").read_text()
    assert (
        post.startswith("#!/usr/bin/env bash")
        and "set -e" in post
        and "pip install --no-deps -e ." in post
    )


def test_environment_packages_resolve_with_pip(tmp_path):
    """What repo2docker's pip step would do, as far as it can be checked here: pip resolves the
    environment's pip list for its Python version from binary wheels (no install)."""
    import json
    import subprocess
    import sys

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    report = tmp_path / "report.json"
    cmd = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
        "--python-version", python.split("=")[1], "--only-binary=:all:",
        "--target", str(tmp_path / "target"), "--report", str(report), *pip,
    ]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    err = "\n".join(ln for ln in run.stderr.splitlines() if not ln.startswith("WARNING: Location"))
    if run.returncode != 0 and "ResolutionImpossible" not in err and "conflict" not in err.lower():
        pytest.skip(f"no package index reachable to resolve environment.yml: {err[-300:]}")
    assert run.returncode == 0, err[-3000:]
    names = {
        p["metadata"]["name"].lower().replace("_", "-")
        for p in json.loads(report.read_text())["install"]
    }
    wanted = {re.split(r"[<>=!~\[ ]", p)[0].lower().replace("_", "-") for p in pip}
    assert wanted <= names, wanted - names
