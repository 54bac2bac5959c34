"""environment.yml (Binder) names the same packages and version ranges as pyproject.toml."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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
