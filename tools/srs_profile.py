"""Build and use the "SRS profile": a Python 3.7 virtual environment with the package versions
of the ONS Secure Research Service (Anaconda 2020.02: pandas 1.0.1, numpy 1.18.1,
statsmodels 0.11.0, scipy 1.4.1), so code meant to be copied into the SRS can be tested here.

    python tools/srs_profile.py build            # create or reuse .srs-venv/ (git-ignored)
    python tools/srs_profile.py versions         # print what the profile has
    python tools/srs_profile.py pytest tests/unit/test_derive.py -q
    python tools/srs_profile.py pytest           # the files in SRS_TEST_FILES

leokit is not installed in the profile: ``pytest`` runs with ``src/`` on PYTHONPATH, which is
how code reaches the SRS (files copied in through an ingest request).

The interpreter comes from pyenv (``$(pyenv root)/versions/3.7.*``), ``~/.pyenv``, or
``python3.7`` on PATH; set SRS_PYTHON to use another one. Exit codes: 0 fine, 3 no Python 3.7
interpreter, 4 a pinned package cannot be installed from the configured index, 1 otherwise.
"""

import argparse
import ast
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TOOLS = os.path.join(ROOT, "tools")
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)

from cookbook.lock import FileLock, temp_lock_path  # noqa: E402

VENV = os.path.join(ROOT, ".srs-venv")
MARKER = os.path.join(VENV, "leokit-srs-profile.json")
PYTEST_INI = os.path.join(ROOT, "tests", "srs", "pytest.ini")

#: The SRS versions (ONS software list, May 2024: Anaconda with Python 3.7.6).
PINS = {
    "pandas": "1.0.1",
    "numpy": "1.18.1",
    "statsmodels": "0.11.0",
    "scipy": "1.4.1",
    "matplotlib": "3.1.3",
}
# Left free, pip would pair pandas 1.0.1 with today's python-dateutil and pytz, which the SRS
# does not have; these are the versions Anaconda 2020.02 shipped next to the pins above.
COMPANION_PINS = {
    "python-dateutil": "2.8.1",
    "pytz": "2019.3",
    "patsy": "0.5.1",
    "six": "1.14.0",
    "cycler": "0.10.0",
    "kiwisolver": "1.1.0",
    "pyparsing": "2.4.6",
}
# pytest is not part of the SRS; 7.x is the last line that supports Python 3.7.
PYTEST_SPEC = "pytest>=7.0,<8"

# Always passed to pytest in the profile. The repo's conftest files and pyproject pytest
# settings belong to the current stack; the SRS run must only rely on what the copied files
# need, so it uses its own ini file and skips conftest files.
SRS_PYTEST_ARGS = ["-c", PYTEST_INI, "--rootdir", ROOT, "--noconftest"]


class ProfileError(Exception):
    """The profile could not be built."""

    exit_code = 1


class NoInterpreter(ProfileError):
    """No Python 3.7 interpreter was found."""

    exit_code = 3


class PinsUnavailable(ProfileError):
    """A pinned package cannot be installed from the configured package index."""

    exit_code = 4


def _say(message):
    print("[srs-profile] " + message, flush=True)


def _is_py37(python):
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and out.stdout.strip() == "3.7"


def _version_key(path):
    match = re.search(r"3\.7\.(\d+)", path)
    return int(match.group(1)) if match else -1


def _pyenv_roots():
    roots = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            out = subprocess.run(
                [pyenv, "root"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                timeout=60,
            )
            if out.returncode == 0 and out.stdout.strip():
                roots.append(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    roots.append(os.path.join(os.path.expanduser("~"), ".pyenv"))
    return roots


def find_python37():
    """Path of a working Python 3.7 interpreter, or None.

    Order: $SRS_PYTHON, pyenv's versions (highest 3.7.x first), ``python3.7`` on PATH. Each
    candidate is run to confirm it is 3.7 (a pyenv shim may exist without the version).
    """
    candidates = []
    if os.environ.get("SRS_PYTHON"):
        candidates.append(os.environ["SRS_PYTHON"])
    for root in _pyenv_roots():
        found = glob.glob(os.path.join(root, "versions", "3.7.*", "bin", "python3.7"))
        candidates.extend(sorted(found, key=_version_key, reverse=True))
    on_path = shutil.which("python3.7")
    if on_path:
        candidates.append(on_path)
    seen = set()
    for python in candidates:
        if python in seen:
            continue
        seen.add(python)
        if _is_py37(python):
            return python
    return None


def _venv_python():
    return os.path.join(VENV, "bin", "python")


def _requirements():
    reqs = [f"{k}=={v}" for k, v in sorted(PINS.items())]
    reqs += [f"{k}=={v}" for k, v in sorted(COMPANION_PINS.items())]
    return reqs + [PYTEST_SPEC]


def installed_versions(python=None):
    """{normalised name: version} of the packages in the profile (empty if there is none)."""
    python = python or _venv_python()
    if not os.path.exists(python):
        return {}
    out = subprocess.run(
        [python, "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if out.returncode != 0:
        return {}
    try:
        rows = json.loads(out.stdout)
    except ValueError:
        return {}
    return {r["name"].lower().replace("_", "-"): r["version"] for r in rows}


def _profile_ok(versions):
    """Why the current profile cannot be reused, or '' if it can."""
    if not os.path.exists(MARKER):
        return f"no finished profile at {VENV}"
    return _mismatch(versions)


def _mismatch(versions):
    """Why the profile's interpreter or versions differ from the pins, or ''."""
    if not _is_py37(_venv_python()):
        return "the profile's interpreter is not Python 3.7"
    wanted = dict(PINS)
    wanted.update(COMPANION_PINS)
    for name, version in sorted(wanted.items()):
        have = versions.get(name)
        if have != version:
            return "{} is {} but {} is pinned".format(name, have or "missing", version)
    pytest_version = versions.get("pytest", "")
    if not pytest_version.startswith("7."):
        return "pytest is {} but 7.x is wanted".format(pytest_version or "missing")
    return ""


def _pip(python, args, timeout=900):
    cmd = [python, "-m", "pip"] + args + ["--disable-pip-version-check", "--no-input"]
    return subprocess.run(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def _diagnose(python):
    """Find which requirement pip cannot get, one by one, to name it in the error."""
    failures = []
    scratch = tempfile.mkdtemp(prefix="srs-profile-")
    try:
        for req in _requirements():
            out = _pip(python, ["download", "--only-binary=:all:", "--no-deps", "-d", scratch, req])
            if out.returncode != 0:
                tail = " ".join(out.stdout.strip().splitlines()[-2:])
                failures.append(f"{req} ({tail})")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return failures


def _lock():
    """The one inter-process lock of the tools (tools/cookbook/lock.py), per profile folder, so
    a test run and a manual build do not build at the same time."""
    return FileLock(temp_lock_path("srs-profile", VENV))


def build(force=False, log=_say):
    """Create the profile, or reuse it when its interpreter and versions already match.

    Returns {'python': ..., 'venv': ..., 'versions': {...}, 'action': 'reused'|'built',
    'seconds': ...}. Raises NoInterpreter or PinsUnavailable (with the reason) otherwise.
    """
    started = time.time()
    with _lock():
        versions = installed_versions()
        why = "--force given" if force else _profile_ok(versions)
        if not why:
            log(f"reusing {VENV} (Python 3.7, versions match the pins)")
            return _info("reused", versions, started)
        log("building: " + why)
        python = find_python37()
        if python is None:
            raise NoInterpreter(
                "no Python 3.7 interpreter found (looked at $SRS_PYTHON, "
                "<pyenv root>/versions/3.7.*/bin/python3.7 and python3.7 on PATH); "
                "install one with `pyenv install 3.7` or set SRS_PYTHON"
            )
        log("interpreter: " + python)
        if os.path.exists(VENV):
            shutil.rmtree(VENV)
        out = subprocess.run(
            [python, "-m", "venv", VENV],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if out.returncode != 0:
            raise ProfileError("python3.7 -m venv failed:\n" + out.stdout)
        reqs = _requirements()
        log("installing (wheels only): " + " ".join(reqs))
        out = _pip(_venv_python(), ["install", "--only-binary=:all:"] + reqs)
        if out.returncode != 0:
            failures = _diagnose(_venv_python())
            shutil.rmtree(VENV, ignore_errors=True)
            detail = "; ".join(failures) if failures else out.stdout.strip()[-2000:]
            raise PinsUnavailable(
                "pip cannot install the SRS pins from the configured index: " + detail
            )
        versions = installed_versions()
        why = _mismatch(versions)
        if why:
            raise ProfileError("installed, but " + why)
        with open(MARKER, "w") as handle:
            json.dump({"python": python, "requirements": reqs, "versions": versions}, handle)
        info = _info("built", versions, started)
        log("built {} in {:.0f} s".format(VENV, info["seconds"]))
        return info


def _info(action, versions, started):
    shown = dict((k, versions.get(k)) for k in sorted(list(PINS) + ["pytest"]))
    python_version = subprocess.run(
        [_venv_python(), "-c", "import platform; print(platform.python_version())"],
        stdout=subprocess.PIPE,
        text=True,
    ).stdout.strip()
    shown["python"] = python_version
    return {
        "action": action,
        "venv": VENV,
        "python": _venv_python(),
        "versions": shown,
        "seconds": time.time() - started,
    }


def describe(info):
    """One line naming the interpreter and package versions of the profile."""
    v = info["versions"]
    return "SRS profile ({}): Python {}, {}".format(
        info["action"],
        v.get("python"),
        ", ".join(f"{k} {v[k]}" for k in sorted(v) if k != "python"),
    )


def pytest_env():
    """Environment for running code in the profile: src/ on PYTHONPATH, no outer pytest
    options (the outer run may use plugins the profile does not have)."""
    env = dict(os.environ)
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    src = os.path.join(ROOT, "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def default_test_files():
    """SRS_TEST_FILES of tests/environment/test_srs_profile.py: the tests run on the profile."""
    path = os.path.join(ROOT, "tests", "environment", "test_srs_profile.py")
    with open(path) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        targets = getattr(node, "targets", [])
        if any(getattr(t, "id", None) == "SRS_TEST_FILES" for t in targets):
            return list(ast.literal_eval(node.value))
    raise ProfileError(f"no SRS_TEST_FILES list in {path}")


def run_pytest(args, capture=False):
    """Run pytest in the profile from the repo root; returns the CompletedProcess."""
    cmd = [_venv_python(), "-m", "pytest"] + SRS_PYTEST_ARGS + list(args)
    kwargs = {"cwd": ROOT, "env": pytest_env(), "universal_newlines": True}
    if capture:
        kwargs.update(stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return subprocess.run(cmd, **kwargs)


def run_python(code):
    """Run a snippet with the profile's interpreter (src/ on PYTHONPATH); CompletedProcess."""
    return subprocess.run(
        [_venv_python(), "-c", code],
        cwd=ROOT,
        env=pytest_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    b = sub.add_parser("build", help="create .srs-venv/ or reuse it if the versions match")
    b.add_argument("--force", action="store_true", help="rebuild even if it matches")
    sub.add_parser("versions", help="print the profile's interpreter and package versions")
    sub.add_parser("pytest", help="run pytest in the profile; all later arguments go to pytest")
    argv = sys.argv[1:] if argv is None else list(argv)
    # everything after "pytest" belongs to pytest, options included, so argparse never sees it
    pytest_args = argv[1:] if argv[:1] == ["pytest"] else []
    ns = parser.parse_args(argv[:1] if pytest_args else argv)
    if ns.command is None:
        parser.print_help()
        return 1
    try:
        info = build(force=getattr(ns, "force", False))
    except ProfileError as exc:
        print(f"[srs-profile] ERROR: {exc}", file=sys.stderr)
        return exc.exit_code
    _say(describe(info))
    if ns.command == "pytest":
        return run_pytest(pytest_args or default_test_files()).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
