"""Benchmark the AKM step (worker + enterprise + year effects): linearmodels versus pyfixest.

    python tools/bench_akm.py                          # 2 million rows, 10 years, p(move) 0.2
    python tools/bench_akm.py --move 0.02              # the low-mobility panel of stack.md s3
    python tools/bench_akm.py --rows 200000 --extra    # smaller; also the slower variants

Simulates a worker x year panel (T years per worker, 10 workers per enterprise on average, a
worker changes enterprise with probability --move each year): y = 0.3 x + worker effect +
enterprise effect + year effect + noise, with x correlated with both effects. Each estimator
then runs in its own child process on the same Parquet file, so each gets a fresh import and
its own peak memory; a fit on 1,000 rows first keeps one-off compilation (pyfixest's numba
demeaning) out of the timed fit. Timed: the estimator call, clustered by enterprise:

* linearmodels `AbsorbingLS(y, x, absorb=<3 categoricals>).fit(cov_type="clustered",
  debiased=True, method="lsmr")`: the notebook's call;
* pyfixest `feols("y ~ x | worker + firm + year", vcov={"CRV1": "firm"})`, default demeaner;
* with --extra: pyfixest with `demeaner=LsmrDemeaner()`, and linearmodels' default absorber
  (pyhdfe's unaccelerated alternating projections), stopped after --timeout seconds: on the
  low-mobility panel it did not finish in 20 minutes (shared research notes, stack section 3).
  On that panel pyfixest's default demeaner (alternating projections) slows down too, and
  `LsmrDemeaner()` is the fast choice.

Measured on 2 cores (2026-11-28), 2 million rows: with p(move) 0.2, linearmodels LSMR 5.9 s and
pyfixest 1.6 s (3.8x); with p(move) 0.02, linearmodels LSMR 15.7 s, pyfixest 58 s with its
default demeaner and 2.3 s with `LsmrDemeaner()` (6.8x), linearmodels' default absorber not done
after 300 s. Peak memory 1.1-1.4 GB per process.

Children run with one OpenBLAS thread (--blas-threads), as the notebook does: LSMR's many small
vector operations slow down, badly on a busy machine, when two BLAS threads share two cores.
pyfixest's own threads (numba, Rust) are not limited. Prints seconds, the child's peak resident
memory, the coefficient and SE of each, and the ratio
of linearmodels' time to pyfixest's. A script, not a test: it measures and asserts nothing.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ESTIMATORS = ["linearmodels_lsmr", "pyfixest"]
EXTRA = ["pyfixest_lsmr", "linearmodels_default"]


def simulate(rows, years, move, seed, path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_workers = rows // years
    n_firms = max(n_workers // 10, 2)
    alpha = rng.normal(0, 1, n_workers)
    psi = rng.normal(0, 0.5, n_firms)
    firm = np.empty((n_workers, years), dtype=np.int64)
    firm[:, 0] = rng.integers(0, n_firms, n_workers)
    for t in range(1, years):
        moves = rng.random(n_workers) < move
        firm[:, t] = np.where(moves, rng.integers(0, n_firms, n_workers), firm[:, t - 1])
    worker = np.repeat(np.arange(n_workers), years)
    year = np.tile(np.arange(years), n_workers)
    firm = firm.ravel()
    x = 0.5 * alpha[worker] + 0.5 * psi[firm] + rng.normal(0, 1, len(worker))
    y = 0.3 * x + alpha[worker] + psi[firm] + 0.02 * year + rng.normal(0, 1, len(worker))
    frame = pd.DataFrame({"y": y, "x": x, "worker": worker, "firm": firm, "year": year})
    frame.to_parquet(path, index=False)
    movers = (frame.groupby("worker").firm.nunique() > 1).mean()
    return len(frame), n_workers, n_firms, movers


def fit(estimator, data):
    import pandas as pd

    if estimator.startswith("pyfixest"):
        import warnings

        import pyfixest as pf

        warnings.filterwarnings("ignore")
        kw = {}
        if estimator == "pyfixest_lsmr":
            from pyfixest.estimation import LsmrDemeaner

            kw["demeaner"] = LsmrDemeaner()

        def go(d):
            m = pf.feols("y ~ x | worker + firm + year", d, vcov={"CRV1": "firm"}, **kw)
            return float(m.coef()["x"]), float(m.se()["x"])

    else:
        from linearmodels.iv.absorbing import AbsorbingLS

        kw = {"method": "lsmr"} if estimator == "linearmodels_lsmr" else {}

        def go(d):
            absorb = pd.DataFrame({c: pd.Categorical(d[c]) for c in ("worker", "firm", "year")})
            m = AbsorbingLS(d.y, d[["x"]], absorb=absorb).fit(
                cov_type="clustered", clusters=d.firm.to_numpy(), debiased=True, **kw
            )
            return float(m.params["x"]), float(m.std_errors["x"])

    frame = pd.read_parquet(data)
    go(frame.iloc[:1000])  # warm-up: imports and compilation are not what we time
    t0 = time.perf_counter()
    coef, se = go(frame)
    seconds = time.perf_counter() - t0
    with open("/proc/self/status") as f:
        peak = [int(line.split()[1]) for line in f if line.startswith("VmHWM")][0] / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "coef": coef, "se": se}))


def run_child(estimator, data, timeout, blas_threads):
    cmd = [sys.executable, __file__, "--fit", estimator, "--data", str(data)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(blas_threads))
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"seconds": None, "note": f"stopped after {timeout} s"}
    if done.returncode != 0:
        return {"seconds": None, "note": "failed: " + done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--move", type=float, default=0.2, help="yearly probability of moving")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--extra", action="store_true", help="also the slower variants")
    ap.add_argument("--timeout", type=int, default=1200, help="seconds before a fit is stopped")
    ap.add_argument("--blas-threads", type=int, default=1, help="OpenBLAS threads per child")
    ap.add_argument("--fit", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.fit:
        fit(args.fit, args.data)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "panel.parquet"
        n, nw, nf, movers = simulate(args.rows, args.years, args.move, args.seed, data)
        print(
            f"panel: {n:,} rows, {nw:,} workers, {nf:,} enterprises, {args.years} years; "
            f"{movers:.0%} of workers ever move (p = {args.move} a year)"
        )
        out = {}
        for est in ESTIMATORS + (EXTRA if args.extra else []):
            out[est] = run_child(est, data, args.timeout, args.blas_threads)
    print(f"\n{'estimator':<22} {'seconds':>8} {'peak MB':>8} {'coefficient':>15} {'SE':>12}")
    for est, r in out.items():
        if r["seconds"] is None:
            print(f"{est:<22} {r['note']}")
            continue
        print(
            f"{est:<22} {r['seconds']:8.1f} {r['peak_mb']:8.0f} {r['coef']:15.10f} {r['se']:12.8f}"
        )
    lm = out["linearmodels_lsmr"]
    for name in ("pyfixest", "pyfixest_lsmr"):
        pf = out.get(name, {})
        if lm["seconds"] and pf.get("seconds"):
            print(
                f"\nlinearmodels (LSMR) / {name} time: {lm['seconds'] / pf['seconds']:.1f}x; "
                f"|coefficient difference| {abs(lm['coef'] - pf['coef']):.1e}"
            )
        print(
            "(SEs differ by the small-sample factor: AbsorbingLS debiased=True counts every "
            "absorbed effect, pyfixest leaves out the enterprise effects nested in the clusters)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
