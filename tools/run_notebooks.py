"""Execute every notebook in notebooks/ with papermill into an output folder.

    python tools/run_notebooks.py --extract data_synthetic --out output --work work

Each notebook NN_name.ipynb (the executed reference, paired with its jupytext NN_name.py)
runs with its defaults, except `extract`, `output_dir` and `work_dir`, which point at the
given extract, at output/NN_name/ (checked outputs and the output-checking report) and at
work/NN_name/ (record-level files, never released). The executed copy goes to
output/NN_name.ipynb.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Kernels inherit this: OpenBLAS's own threads on a busy 2-core machine (or a CPU-limited
# Binder container) spin against each other and small solves slow down a hundredfold.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def notebooks(folder):
    return sorted(p for p in Path(folder).glob("[0-9][0-9]_*.ipynb"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extract", default="data_synthetic")
    ap.add_argument("--out", default="output")
    ap.add_argument("--work", default="work", help="folder for record-level files")
    ap.add_argument("--notebooks", default=str(ROOT / "notebooks"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    out = (ROOT / args.out).resolve()
    work = (ROOT / args.work).resolve()
    extract = (ROOT / args.extract).resolve()
    nbs = notebooks(args.notebooks)
    out.mkdir(parents=True, exist_ok=True)
    if not nbs:
        print("No notebooks yet in notebooks/: nothing to execute.")
        print(f"The default extract is in {extract}; outputs would go to {out}")
        return 0
    import papermill as pm

    failed = []
    for nb in nbs:
        target = out / nb.name
        params = {
            "extract": str(extract),
            "output_dir": str(out / nb.stem),
            "work_dir": str(work / nb.stem),
        }
        t0 = time.time()
        print(f"running {nb.name} ...", flush=True)
        try:
            pm.execute_notebook(
                str(nb),
                str(target),
                parameters=params,
                cwd=str(nb.parent),
                progress_bar=False,
                kernel_name="python3",
            )
        except Exception as exc:  # report every notebook, then fail
            failed.append((nb.name, exc))
            print(f"  FAILED: {str(exc).splitlines()[0] if str(exc) else exc}", file=sys.stderr)
            continue
        print(f"  done in {time.time() - t0:.1f} s -> {target}")
    print(
        f"\nOutputs are in {out} (executed notebooks, and one folder per notebook with its "
        f"checked outputs, results.json and output_check.md); record-level files in {work}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
