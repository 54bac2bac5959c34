"""The bad-input catalogue's assertions: one clear message, no traceback, nothing written or removed.

Each catalogue module (``tests/**/test_bad_input_*.py``) keeps its cases in a module-level list
``CASES`` and checks every one with these helpers; ``tests/unit/test_bad_input_catalogue.py``
counts the cases across modules.

    expect_error(lambda: sdc.safe_counts(df, "nope"), "nope", watch=[tmp_path])
    expect_cli_error(["synth", "--scale", "0", "--out", str(out)], "--scale", watch=[tmp_path])

"A clear message" means: the exception is a ``ValueError`` (leokit's errors all are) raised by
leokit's own code (the innermost frame is in ``src/leokit``, not deep inside pandas, numpy or
pyarrow), its text names each thing given in ``names`` (case-insensitive) and it is short. For
the command line: exit code 1 or 2, nothing on stdout, one line on stderr naming each thing,
no traceback. "Nothing written or removed": every file and folder under ``watch`` is the same
before and after (names, sizes, modification times and contents).
"""

import glob
import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEOKIT_SRC = str(ROOT / "src" / "leokit")
MAX_MESSAGE = 800


def snapshot(paths):
    """{path: (kind, size, mtime_ns, sha256)} for every entry under each of ``paths``."""
    state = {}
    for top in paths:
        top = str(top)
        if not os.path.lexists(top):
            state[top] = ("absent",)
            continue
        for dirpath, _dirs, filenames in os.walk(top):
            state[dirpath] = ("dir",)
            for name in filenames:
                p = os.path.join(dirpath, name)
                st = os.lstat(p)
                with open(p, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
                state[p] = ("file", st.st_size, st.st_mtime_ns, digest)
    return state


def _assert_unchanged(before, after):
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(p for p in set(before) & set(after) if before[p] != after[p])
    assert not (added or removed or changed), (
        f"bad input changed files: added {added[:5]}, removed {removed[:5]}, changed {changed[:5]}"
    )


def _names_in(message, names):
    low = message.lower()
    missing = [n for n in names if str(n).lower() not in low]
    assert not missing, f"the message does not name {missing}: {message!r}"


def expect_error(call, *names, watch=(), errors=(ValueError,)):
    """``call()`` raises one of ``errors`` from leokit's code naming each of ``names``."""
    before = snapshot(watch)
    with pytest.raises(errors) as info:
        call()
    message = str(info.value)
    innermost = str(info.traceback[-1].path)
    assert innermost.startswith(LEOKIT_SRC), (
        f"{type(info.value).__name__} was raised in {innermost}, not by leokit: {message!r}"
    )
    assert message.strip(), "the error has no message"
    assert len(message) <= MAX_MESSAGE, f"the message is {len(message)} characters long"
    _names_in(message, names)
    _assert_unchanged(before, snapshot(watch))
    return message


def run_cli(argv, cwd=None, env=None):
    """The ``leokit`` command in a fresh interpreter: (exit code, stdout, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "leokit.cli", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )
    return proc.returncode, proc.stdout, proc.stderr


def expect_cli_error(argv, *names, watch=(), codes=(1, 2), cwd=None):
    """``leokit ARGV`` exits with one of ``codes``, one stderr line naming each of ``names``,
    no traceback, nothing on stdout, and nothing under ``watch`` changed."""
    before = snapshot(watch)
    code, out, err = run_cli(argv, cwd=cwd)
    assert code in codes, f"exit code {code}; stderr: {err!r}"
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {err!r}"
    assert not out.strip(), f"stdout should be empty on an error: {out!r}"
    _names_in(lines[0], names)
    _assert_unchanged(before, snapshot(watch))
    return lines[0]


def catalogue_modules():
    """Every catalogue module under tests/, loaded by path."""
    modules = []
    pattern = str(ROOT / "tests" / "**" / "test_bad_input_*.py")
    for path in sorted(glob.glob(pattern, recursive=True)):
        if Path(path).name == "test_bad_input_catalogue.py":  # the tally itself
            continue
        spec = importlib.util.spec_from_file_location(Path(path).stem + "_tally", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules
