"""Running a page's blocks: Python on the current stack, Python on the SRS profile, R.

    from cookbook.run import ensure_workdir, run_block, check_run
    work = ensure_workdir("/tmp/recipes")          # data_csv/ (the extract as CSV) + recipes/
    run = run_block(page, page.blocks_of("r")[0], "r", work)
    problems = check_run(page, run)                # [] when it printed the Expected output

Blocks run with the working directory holding ``data_csv/`` and ``recipes/``, which is how a
reader runs them from the repository root after ``make recipe-data``.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

from cookbook.expected import compare_with_expected, markdown_table, parse_printed
from cookbook.lock import FileLock
from cookbook.pages import (
    DATA_DIR,
    EXTRACT,
    RECIPES,
    ROOT,
    Recipe,
    expand_views,
    extract_views,
    load_all,
)

SRS_PYTHON = os.path.join(ROOT, ".srs-venv", "bin", "python")

RUNTIME_LABEL = {
    "python": "Python (current stack)",
    "srs": "Python (SRS profile: 3.7, pandas 1.0.1, statsmodels 0.11.0)",
    "r": "R (Rscript)",
}


class Run:
    def __init__(self, recipe, block, runtime, returncode, stdout, stderr, seconds):
        self.recipe = recipe
        self.block = block
        self.runtime = runtime
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds

    def where(self):
        return f"recipe {self.recipe}: {self.block.label()} on {RUNTIME_LABEL[self.runtime]}"

    def failure(self):
        """'' if it ran; otherwise a message naming the recipe, block and runtime."""
        if self.returncode == 0:
            return ""
        tail = "\n".join((self.stderr or "").strip().split("\n")[-25:])
        return f"{self.where()} failed (exit {self.returncode}):\n{tail}"

    def noise(self):
        """What a Python block wrote to stderr (warnings): it should write nothing. R blocks
        may (package start-up messages go there)."""
        if self.runtime == "r" or self.returncode != 0:
            return ""
        text = (self.stderr or "").strip()
        return f"{self.where()} wrote to stderr (a warning?):\n{text[-3000:]}" if text else ""

    def as_dict(self):
        return {
            "returncode": self.returncode,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "seconds": self.seconds,
        }


def block_env():
    env = dict(os.environ)
    for name in ("PYTHONHOME", "PYTEST_ADDOPTS", "VIRTUAL_ENV", "PYTHONSTARTUP"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.path.join(ROOT, "src")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    env["MPLBACKEND"] = "Agg"
    env["LC_ALL"] = "C.UTF-8"
    return env


def command(runtime, script):
    if runtime == "python":
        return [sys.executable, script]
    if runtime == "srs":
        return [SRS_PYTHON, script]
    if runtime == "r":
        return ["Rscript", "--vanilla", script]
    raise ValueError(f"unknown runtime {runtime!r}")


def run_block(recipe, block, runtime, workdir, timeout=600):
    """Run one block with ``workdir`` as the working directory; returns a Run."""
    suffix = ".R" if runtime == "r" else ".py"
    handle, script = tempfile.mkstemp(prefix="recipe-", suffix=suffix)
    with os.fdopen(handle, "w", encoding="utf-8") as f:
        f.write(block.code)
    started = time.time()
    try:
        out = subprocess.run(
            command(runtime, script),
            cwd=workdir,
            env=block_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        code, stdout, stderr = out.returncode, out.stdout, out.stderr
    except subprocess.TimeoutExpired as exc:
        code, stdout, stderr = -9, exc.stdout or "", f"timed out after {timeout} s"
    finally:
        os.unlink(script)
    name = recipe.name if isinstance(recipe, Recipe) else str(recipe)
    return Run(name, block, runtime, code, stdout, stderr, time.time() - started)


def prepare_workdir(workdir, data_dir=None):
    """A working directory as the blocks expect it: data_csv/ and recipes/ (links)."""
    os.makedirs(workdir, exist_ok=True)
    links = {"recipes": RECIPES}
    if data_dir is not None:
        links[DATA_DIR] = data_dir
    for name, target in links.items():
        path = os.path.join(workdir, name)
        if not os.path.lexists(path) and os.path.abspath(target) != os.path.abspath(path):
            os.symlink(target, path)
    return workdir


def ensure_workdir(root, recipes=None):
    """``root``/work with data_csv/ (the views the recipes read, written once) and a link to
    recipes/; safe to call from several processes at once. Returns the work directory."""
    os.makedirs(root, exist_ok=True)
    work = os.path.join(root, "work")
    data = os.path.join(root, "data_csv")
    with FileLock(os.path.join(root, ".data.lock")):
        if not os.path.exists(os.path.join(data, "manifest.json")):
            views = views_needed(recipes if recipes is not None else load_all())
            export_csv(data, views)
        prepare_workdir(work, data)
    return work


def cached_run(recipe, block, runtime, workdir, cache_dir):
    """``run_block`` once per (runtime, code) for all processes sharing ``cache_dir``."""
    os.makedirs(cache_dir, exist_ok=True)
    key = hashlib.sha1((runtime + "\0" + block.code).encode("utf-8")).hexdigest()
    path = os.path.join(cache_dir, key + ".json")
    with FileLock(path + ".lock"):
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
            return Run(recipe.name, block, runtime, d["returncode"], d["stdout"], d["stderr"], 0.0)
        run = run_block(recipe, block, runtime, workdir)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(run.as_dict(), f)
        return run


def check_run(recipe, run):
    """Every problem with one run: failure, warnings, or a difference from Expected output."""
    msg = run.failure() or run.noise()
    if msg:
        return [msg]
    names = run.block.outputs(recipe.expected)
    diffs = compare_with_expected(parse_printed(run.stdout), recipe.expected, names)
    return [f"{run.where()}: {d}" for d in diffs]


def export_csv(out, views=None, source=EXTRACT):
    """Write the committed extract (or the named views) as CSV into ``out``, in the format of
    ``leokit synth --format csv``; returns the manifest (checksums equal the Parquet ones)."""
    sys.path.insert(0, os.path.join(ROOT, "src"))
    import leokit.extract as lx
    from leokit.extract.writer import write_extract

    ex = lx.open_extract(source)
    names = ex.views() if views is None else views
    tables = {v: ex.read(v) for v in names}
    return write_extract(tables, out, fmt="csv")


def views_needed(recipes):
    names = set()
    available = extract_views()
    for r in recipes:
        names.update(expand_views(r.meta.get("views", []), available))
    return sorted(names)


def generate_expected(rec, workdir):
    """The Expected output section's tables rendered from the page's Python blocks (the first
    block printing each table); raises RuntimeError naming the block that failed."""
    found = {}  # expected table name -> (header, rows), from the first block printing it
    order = list(rec.expected) or ["result"]
    for block in rec.blocks_of("python"):
        names = block.outputs(rec.expected) if rec.expected else []
        if names and all(n in found for n in names):
            continue
        run = run_block(rec, block, "python", workdir)
        if run.returncode:
            raise RuntimeError(run.failure())
        printed = parse_printed(run.stdout)
        if not names:
            names = (
                ["result"] if len(printed) == 1 else [f"table {i + 1}" for i in range(len(printed))]
            )
            order = names
        if len(names) != len(printed):
            raise RuntimeError(f"{block.label()} printed {len(printed)} tables for {names}")
        for name, table in zip(names, printed):
            found.setdefault(name, table)
    missing = [n for n in order if n not in found]
    if missing:
        raise RuntimeError(f"no Python block prints {missing}")
    parts = []
    for name in order:
        table = markdown_table(*found[name])
        parts.append(table if len(order) == 1 else f"### {name}\n\n{table}")
    return "\n\n".join(parts)


def repo_workdir():
    """The repository root as a work directory (it must hold data_csv/)."""
    data = os.path.join(ROOT, DATA_DIR)
    if not os.path.isdir(data):
        raise SystemExit(
            f"{data} is missing: run `python tools/recipes.py data` (make recipe-data) first"
        )
    return ROOT
