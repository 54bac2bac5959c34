"""Benchmark the notebooks: wall time and the kernel's peak memory, with their defaults.

    python tools/bench_notebooks.py            # every notebooks/NN_*.ipynb
    python tools/bench_notebooks.py 01         # those whose name starts with 01

Each reference notebook runs with papermill (as `make run` does) into a temporary folder, with
one extra last cell that reads the kernel's own peak resident memory (VmHWM in
/proc/self/status), so the figure is the kernel's alone, not papermill's. Printed beside the
targets (the notebook issues: 30 s and 700 MB on the default extract, 2 cores) and as a share of
Binder's guaranteed 1 GB. A script, not a test: it measures and asserts nothing.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Kernels inherit this: OpenBLAS's own threads on a busy 2-core machine (or a CPU-limited
# Binder container) spin against each other and small solves slow down a hundredfold.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
TARGET_SECONDS, TARGET_MB = 30.0, 700.0
BINDER_MB = 1024.0  # mybinder.org's guaranteed memory
PROBE = (
    "print('VmHWM_kB', [l.split()[1] for l in open('/proc/self/status') "
    "if l.startswith('VmHWM')][0])"
)


def bench(nb_path, workdir):
    import nbformat
    import papermill as pm

    nb = nbformat.read(str(nb_path), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    src, out = Path(workdir) / "in.ipynb", Path(workdir) / "out.ipynb"
    nbformat.write(nb, str(src))
    t0 = time.perf_counter()
    pm.execute_notebook(
        str(src),
        str(out),
        parameters={"output_dir": str(Path(workdir) / "output")},
        cwd=str(nb_path.parent),
        progress_bar=False,
        kernel_name="python3",
    )
    seconds = time.perf_counter() - t0
    done = nbformat.read(str(out), as_version=4)
    text = "".join(o.get("text", "") for o in done.cells[-1].outputs)
    peak_mb = int(text.split()[-1].strip("'[]")) / 1024
    return seconds, peak_mb


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("prefixes", nargs="*")
    args = ap.parse_args(argv)
    nbs = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.prefixes:
        nbs = [p for p in nbs if any(p.name.startswith(x) for x in args.prefixes)]
    print(
        f"{'notebook':<45} {'seconds':>8} {'x target':>9} {'peak MB':>8} {'x target':>9}"
        f" {'of Binder 1 GB':>15}"
    )
    for nb in nbs:
        with tempfile.TemporaryDirectory() as tmp:
            s, mb = bench(nb, tmp)
        print(
            f"{nb.stem:<45} {s:8.1f} {s / TARGET_SECONDS:9.2f} {mb:8.0f} {mb / TARGET_MB:9.2f}"
            f" {mb / BINDER_MB:15.0%}"
        )
    print("(seconds include kernel start-up; targets: 30 s, 700 MB; a ratio above 1 misses)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
