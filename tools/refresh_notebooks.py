"""Rebuild the executed reference notebooks from their jupytext sources.

    python tools/refresh_notebooks.py              # every notebooks/NN_*.py
    python tools/refresh_notebooks.py 01           # the ones whose name starts with 01
    python tools/refresh_notebooks.py --check      # fail if a reference is out of step

Each `notebooks/NN_name.py` (py:percent, the source of truth) is executed with papermill, with
its default parameters, in the notebooks folder, and saved as `notebooks/NN_name.ipynb` with
outputs and execution counts kept (nbval compares them) and papermill's run metadata and cell
timings stripped (they change on every run and would churn git). `--check` compares each
reference's cell sources with its .py and says which are stale; it executes nothing. Cell ids
are derived from each cell's position and content, so a refresh changes only what changed.
"""

import argparse
import hashlib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Kernels inherit this: OpenBLAS's own threads on a busy 2-core machine (or a CPU-limited
# Binder container) spin against each other and small solves slow down a hundredfold.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def sources(prefixes=()):
    found = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    if prefixes:
        found = [p for p in found if any(p.name.startswith(x) for x in prefixes)]
    return found


def _cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def stale(py):
    """Why the reference next to `py` is out of step with it, or None."""
    import jupytext
    import nbformat

    ref = py.with_suffix(".ipynb")
    if not ref.exists():
        return f"{ref.name} does not exist"
    src = jupytext.read(py)
    executed = nbformat.read(str(ref), as_version=4)
    if _cells(src) != _cells(executed):
        return f"{ref.name} has different cells from {py.name}"
    unrun = [
        i
        for i, c in enumerate(executed.cells)
        if c.cell_type == "code" and c.source.strip() and c.execution_count is None
    ]
    if unrun:
        return f"{ref.name} has unexecuted code cells {unrun}"
    return None


def _strip(nb):
    nb.metadata.pop("papermill", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for i, cell in enumerate(nb.cells):
        # ids from position and content, not random: a refresh changes only what changed
        key = f"{i}:{cell.cell_type}:{cell.source}".encode()
        cell.id = hashlib.sha1(key).hexdigest()[:8]
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
    return nb


def refresh(py):
    import jupytext
    import nbformat
    import papermill as pm

    nb = jupytext.read(py)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.ipynb"
        out = Path(tmp) / "out.ipynb"
        nbformat.write(nb, str(src))
        pm.execute_notebook(
            str(src), str(out), cwd=str(py.parent), progress_bar=False, kernel_name="python3"
        )
        done = nbformat.read(str(out), as_version=4)
    # written only after a successful run, and swapped in whole: a failure (or a reader
    # meanwhile) sees the old reference
    target = py.with_suffix(".ipynb")
    part = target.with_suffix(".ipynb.part")
    nbformat.write(_strip(done), str(part))
    os.replace(part, target)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("prefixes", nargs="*", help="only notebooks whose name starts with these")
    ap.add_argument("--check", action="store_true", help="report stale references; run nothing")
    args = ap.parse_args(argv)
    pys = sources(args.prefixes)
    if not pys:
        print("no notebooks/NN_*.py matched", file=sys.stderr)
        return 1
    if args.check:
        problems = [(p.name, stale(p)) for p in pys]
        problems = [(n, why) for n, why in problems if why]
        for name, why in problems:
            print(f"{name}: {why}; run `make refresh`", file=sys.stderr)
        return 1 if problems else 0
    for py in pys:
        print(f"executing {py.name} ...", flush=True)
        refresh(py)
        print(f"  wrote {py.with_suffix('.ipynb').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
