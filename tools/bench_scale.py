"""Benchmark the heavy DfE derivations at national scale: pandas, pandas chunked, DuckDB, Spark.

    python tools/bench_scale.py                          # scale 1: generates the extract first
    python tools/bench_scale.py --scale 0.05             # a quick run
    python tools/bench_scale.py --extract /data/scale1   # an extract written by `leokit synth`
    python tools/bench_scale.py --engines duckdb,spark --derivations pipeline --json out.json

Derivations (leokit.derive; leokit.derive_sql for DuckDB and Spark), over the full panel: every
tax year of leo_earnings.

  days        days_employed(leo_employment, tax_years=all)
  sustained   sustained_employment(leo_employment, tax_years=all, self_assessment=SA)
  annualised  annualised_earnings(leo_earnings, leo_employment)
  panel       earnings_panel(leo_earnings, people = every EDUKEY of the lookup, tax_years=all)
  pipeline    the four above one after the other in one process (inputs read once)

Engines, each run in its own child process so that the peak RSS (ru_maxrss from wait4) is that
engine's alone:

  pandas   Extract.read the columns needed, then the leokit.derive function
  chunked  pandas one tax year at a time (Extract.read with where= pushed to the Parquet scan):
           only one year's spells and rows are in memory; the person list is read once
  duckdb   Extract.relation + leokit.derive_sql, DuckDB with memory_limit and 2 threads
  spark    local[2] Spark (pyspark) running the same SQL in Spark's dialect; its peak is the
           Python process plus the JVM (each one's own peak, added: an upper bound). Skipped,
           with the reason, when pyspark or Java is missing

Every engine writes its result to a Parquet file (the time includes it); the parent checks that
the engines agree (rows and column sums) and prints wall seconds (read + compute + write,
without interpreter start-up), peak RSS, and pandas/DuckDB ratios for time and memory, against
the targets: pandas within 2x of DuckDB, the pipeline within 8 GiB. A script, not a test: it
measures and asserts nothing.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

GIB = 1024**3
DERIVATIONS = ("days", "sustained", "annualised", "panel")
ENGINES = ("pandas", "chunked", "duckdb", "spark")
TARGET_RSS = 8 * GIB
TARGET_RATIO = 2.0
SUMS = {  # column whose sum (with the row count) must agree between engines
    "days": "days_employed",
    "sustained": "months_employed_oct_mar",
    "annualised": "annualised_earnings",
    "panel": "Earnings",
}


# ------------------------------------------------------------------------------ children
def _hwm_kb(pid="self"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tax_years(ex):
    import duckdb

    path = ex.source.files["leo_earnings"][1]
    con = duckdb.connect()
    years = [r[0] for r in con.sql(f"SELECT DISTINCT TaxYear FROM read_parquet('{path}') ORDER BY 1").fetchall()]  # fmt: skip
    con.close()
    return years


def _pandas(ex, deriv, years, out, timings):
    import leokit.derive as d

    t = time.perf_counter()
    need = {
        "days": ("emp",),
        "sustained": ("emp", "sa"),
        "annualised": ("emp", "earn"),
        "panel": ("earn", "people"),
    }[deriv]
    data = {}
    if "emp" in need:
        data["emp"] = ex.read("leo_employment", columns=["EduKey", "StartDate", "EndDate"])
    if "sa" in need:
        data["sa"] = ex.read("leo_self_assessment", columns=["Edukey", "TaxYear"])
    if "earn" in need:
        data["earn"] = ex.read("leo_earnings", columns=["Edukey", "TaxYear", "Earnings"])
    if "people" in need:
        data["people"] = ex.read("learner_ae_id_to_edukey_lookup", columns=["EDUKEY"])["EDUKEY"]
    timings["read"] += time.perf_counter() - t
    t = time.perf_counter()
    if deriv == "days":
        res = d.days_employed(data["emp"], tax_years=years)
    elif deriv == "sustained":
        res = d.sustained_employment(data["emp"], tax_years=years, self_assessment=data["sa"])
    elif deriv == "annualised":
        res = d.annualised_earnings(data["earn"], data["emp"])
    else:
        res = d.earnings_panel(data["earn"], data["people"], years)
    timings["compute"] += time.perf_counter() - t
    del data
    t = time.perf_counter()
    res.to_parquet(out, index=False)
    timings["write"] += time.perf_counter() - t


def _chunked(ex, deriv, years, out, timings):
    """One tax year at a time; the result appended to one Parquet file."""
    import datetime

    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    import leokit.derive as d
    import leokit.extract as lx

    t = time.perf_counter()
    persons = None
    if deriv in ("days", "sustained"):  # every person gets every year, as in the full run
        keys = set()
        for ch in ex.chunks("leo_employment", columns=["EduKey"]):
            keys.update(ch["EduKey"].dropna().unique().tolist())
        if deriv == "sustained":
            for ch in ex.chunks("leo_self_assessment", columns=["Edukey"]):
                keys.update(ch["Edukey"].dropna().unique().tolist())
        persons = np.array(sorted(keys), dtype=object)
        del keys
    people = None
    if deriv == "panel":
        people = ex.read("learner_ae_id_to_edukey_lookup", columns=["EDUKEY"])["EDUKEY"]
    timings["read"] += time.perf_counter() - t
    writer = None
    try:
        for ty in years:
            y = ty // 100
            first, last = datetime.date(y, 4, 6), datetime.date(y + 1, 4, 5)
            t = time.perf_counter()
            emp = earn = sa = None
            if deriv != "panel":
                emp = ex.read(
                    "leo_employment",
                    columns=["EduKey", "StartDate", "EndDate"],
                    where={"StartDate": lx.between(None, last), "EndDate": lx.between(first, None)},
                )
            if deriv in ("annualised", "panel"):
                earn = ex.read(
                    "leo_earnings", columns=["Edukey", "TaxYear", "Earnings"], where={"TaxYear": ty}
                )
            if deriv == "sustained":
                sa = ex.read(
                    "leo_self_assessment", columns=["Edukey", "TaxYear"], where={"TaxYear": ty}
                )
            timings["read"] += time.perf_counter() - t
            t = time.perf_counter()
            if deriv == "days":
                part = d.days_employed(emp, tax_years=[ty])
                fill = {"days_employed": 0}
            elif deriv == "sustained":
                part = d.sustained_employment(emp, tax_years=[ty], self_assessment=sa)
                fill = {"months_employed_oct_mar": 0, "sustained_paye": False, "sa_record": False,
                        "sustained": False, "sustained_via": ""}  # fmt: skip
            elif deriv == "annualised":
                part = d.annualised_earnings(earn, emp)
                fill = None
            else:
                part = d.earnings_panel(earn, people, [ty])
                fill = None
            if fill is not None:  # people without a spell this year: the zero row
                grid = pd.DataFrame({part.columns[0]: persons, "TaxYear": np.int64(ty)})
                part = grid.merge(part, on=[part.columns[0], "TaxYear"], how="left")
                for c, v in fill.items():
                    part[c] = (
                        part[c].fillna(v).astype(type(v) if not isinstance(v, str) else object)
                    )
            timings["compute"] += time.perf_counter() - t
            t = time.perf_counter()
            table = pa.Table.from_pandas(part, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema)
            writer.write_table(table.cast(writer.schema))
            timings["write"] += time.perf_counter() - t
            del emp, earn, sa, part, table
    finally:
        if writer is not None:
            writer.close()


def _duckdb(ex, deriv, years, out, timings, args):
    import leokit.derive_sql as ds

    t = time.perf_counter()
    if not getattr(ex, "_bench_ready", False):  # DuckDB settings once per process
        con = ex.duckdb(memory_limit=args.memory_limit, threads=args.threads)
        con.execute(f"SET temp_directory = '{os.path.join(os.path.dirname(out), 'duck_tmp')}'")
        con.execute("SET preserve_insertion_order = false")
        ex._bench_ready = True
    emp = ex.relation("leo_employment", columns=["EduKey", "StartDate", "EndDate"])
    earn = ex.relation("leo_earnings", columns=["Edukey", "TaxYear", "Earnings"])
    if deriv == "days":
        res = ds.days_employed(emp, tax_years=years)
    elif deriv == "sustained":
        sa = ex.relation("leo_self_assessment", columns=["Edukey", "TaxYear"])
        res = ds.sustained_employment(emp, tax_years=years, self_assessment=sa)
    elif deriv == "annualised":
        res = ds.annualised_earnings(earn, emp)
    else:
        people = ex.relation("learner_ae_id_to_edukey_lookup", columns=["EDUKEY"])
        res = ds.earnings_panel(earn, people, years)
    res.to_parquet(out)
    timings["compute"] += time.perf_counter() - t


def _spark_session(args):
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(f"local[{args.threads}]")
        .config("spark.driver.memory", args.spark_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(4 * args.threads))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _spark(spark, ex, deriv, years, out, timings):
    import leokit.derive_sql as ds

    def view(name, cols):
        return spark.read.parquet(ex.source.files[name][1]).select(*cols)

    t = time.perf_counter()
    emp = view("leo_employment", ["EduKey", "StartDate", "EndDate"])
    earn = view("leo_earnings", ["Edukey", "TaxYear", "Earnings"])
    if deriv == "days":
        res = ds.days_employed(emp, tax_years=years)
    elif deriv == "sustained":
        sa = view("leo_self_assessment", ["Edukey", "TaxYear"])
        res = ds.sustained_employment(emp, tax_years=years, self_assessment=sa)
    elif deriv == "annualised":
        res = ds.annualised_earnings(earn, emp)
    else:
        res = ds.earnings_panel(earn, view("learner_ae_id_to_edukey_lookup", ["EDUKEY"]), years)
    res.write.mode("overwrite").parquet(out)
    timings["compute"] += time.perf_counter() - t


def _spark_missing():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install pyspark)"
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (java not on PATH, JAVA_HOME unset)"
    return None


def _child(args):
    t0 = time.perf_counter()
    import leokit.extract as lx

    ex = lx.open_extract(args.extract)
    years = _tax_years(ex)
    derivs = list(DERIVATIONS) if args.child_deriv == "pipeline" else [args.child_deriv]
    timings = {"read": 0.0, "compute": 0.0, "write": 0.0}
    spark = _spark_session(args) if args.child_engine == "spark" else None
    t_start = time.perf_counter()
    outputs = {}
    for deriv in derivs:
        out = os.path.join(args.out, f"{args.child_engine}_{deriv}.parquet")
        if args.child_engine == "pandas":
            _pandas(ex, deriv, years, out, timings)
        elif args.child_engine == "chunked":
            _chunked(ex, deriv, years, out, timings)
        elif args.child_engine == "duckdb":
            _duckdb(ex, deriv, years, out, timings, args)
        else:
            _spark(spark, ex, deriv, years, out, timings)
        outputs[deriv] = out
    seconds = time.perf_counter() - t_start
    jvm_kb = 0
    if spark is not None:
        import psutil

        for proc in psutil.Process().children(recursive=True):
            if "java" in (proc.name() or ""):
                jvm_kb += _hwm_kb(proc.pid)
        spark.stop()
    result = {
        "seconds": seconds,
        "startup_seconds": t_start - t0,
        "timings": timings,
        "tax_years": len(years),
        "outputs": outputs,
        "python_hwm_bytes": _hwm_kb() * 1024,
        "jvm_hwm_bytes": jvm_kb * 1024,
    }
    with open(args.result, "w") as f:
        json.dump(result, f)
    return 0


# ------------------------------------------------------------------------------ the parent
def _summary(path, deriv):
    import duckdb

    con = duckdb.connect()
    src = os.path.join(path, "*.parquet") if os.path.isdir(path) else path
    col = SUMS[deriv]
    rows, total = con.sql(f'SELECT COUNT(*), SUM(CAST("{col}" AS DOUBLE)) FROM read_parquet(\'{src}\')').fetchall()[0]  # fmt: skip
    con.close()
    return int(rows), float(total or 0.0)


def _run(engine, deriv, args, tmp):
    result_file = os.path.join(tmp, f"result_{engine}_{deriv}.json")
    out = os.path.join(tmp, "out")
    os.makedirs(out, exist_ok=True)
    cmd = [sys.executable, os.path.abspath(__file__), "--extract", args.extract,
           "--child-engine", engine, "--child-deriv", deriv, "--out", out,
           "--result", result_file, "--memory-limit", args.memory_limit,
           "--threads", str(args.threads), "--spark-memory", args.spark_memory]  # fmt: skip
    env = dict(os.environ)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    log = os.path.join(tmp, f"child_{engine}_{deriv}.log")
    t0 = time.perf_counter()
    stopped = None
    with open(log, "wb") as logf:
        proc = subprocess.Popen(cmd, env=env, stdout=logf, stderr=subprocess.STDOUT)
        # wait4 gives this child's own ru_maxrss; meanwhile stop it above --max-rss so that a
        # run that does not fit cannot take the machine down
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss = _tree_rss(proc.pid)
            if rss > args.max_rss_gib * GIB:
                stopped = rss
                _kill_tree(proc.pid)
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.25)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if stopped:
        return {"engine": engine, "deriv": deriv,
                "error": f"stopped at {stopped / GIB:.1f} GiB (> --max-rss {args.max_rss_gib:g}) "
                         f"after {wall:.0f} s"}  # fmt: skip
    if code != 0 or not os.path.exists(result_file):
        with open(log, "rb") as f:
            tail = f.read().decode("utf-8", "replace")[-3000:]
        sys.stderr.write(tail + "\n")
        last = [ln for ln in tail.strip().splitlines() if ln.strip()][-1:] or ["?"]
        reason = "killed (out of memory?)" if code in (-9, 137) else last[0][:200]
        return {"engine": engine, "deriv": deriv, "error": f"exit {code}: {reason}"}
    with open(result_file) as f:
        res = json.load(f)
    res.update(engine=engine, deriv=deriv, process_seconds=wall)
    res["peak_rss_bytes"] = (
        max(usage.ru_maxrss * 1024, res["python_hwm_bytes"]) + res["jvm_hwm_bytes"]
    )
    res["checks"] = {k: _summary(v, k) for k, v in res["outputs"].items()}
    for v in res["outputs"].values():  # keep the disk free for the next run
        shutil.rmtree(v, ignore_errors=True) if os.path.isdir(v) else os.remove(v)
    return res


def _tree_rss(pid):
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for pr in procs:
        try:
            total += pr.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def _kill_tree(pid):
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [*root.children(recursive=True), root]
    except psutil.NoSuchProcess:
        return
    for pr in procs:
        try:
            pr.kill()
        except psutil.NoSuchProcess:
            pass


def _generate(scale, tmp, seed):
    out = os.path.join(tmp, "extract")
    cmd = [sys.executable, "-m", "leokit.cli", "synth", "--scale", repr(float(scale)), "--out", out]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sys.stderr.write(f"bench: generated scale {scale:g} in {time.perf_counter() - t0:.0f} s\n")
    return out


def _fmt(results, skipped, rows_info):
    ok = {(r["engine"], r["deriv"]): r for r in results if "error" not in r}
    lines = []
    header = ["derivation", "engine", "wall s", "read s", "compute s", "write s", "peak RSS GiB",
              "rows out", "pandas/duckdb time", "pandas/duckdb RSS"]  # fmt: skip
    table = []
    errors = []
    for r in results:
        e, dv = r["engine"], r["deriv"]
        if "error" in r:
            table.append([dv, e, "failed", "", "", "", "", "", "", ""])
            errors.append(f"{dv} with {e}: {r['error']}")
            continue
        t = r["timings"]
        ratio_t = ratio_m = ""
        duck = ok.get(("duckdb", dv))
        if e in ("pandas", "chunked") and duck:
            ratio_t = f"{r['seconds'] / duck['seconds']:.2f}"
            ratio_m = f"{r['peak_rss_bytes'] / duck['peak_rss_bytes']:.2f}"
        rows = sum(v[0] for v in r["checks"].values())
        table.append([dv, e, f"{r['seconds']:.1f}", f"{t['read']:.1f}" if t["read"] else "-",
                      f"{t['compute']:.1f}", f"{t['write']:.1f}" if t["write"] else "-",
                      f"{r['peak_rss_bytes'] / GIB:.2f}", f"{rows:,}", ratio_t, ratio_m])  # fmt: skip
    widths = [max(len(str(x[i])) for x in [header, *table]) for i in range(len(header))]
    lines.append("  ".join(str(h).ljust(w) for h, w in zip(header, widths)))
    lines.append("  ".join("-" * w for w in widths))
    for row in table:
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))
    for reason in errors + skipped:
        lines.append(reason)
    lines.append("")
    lines.append(rows_info)
    # agreement between engines
    by_deriv = {}
    for r in results:
        if "error" in r:
            continue
        label = r["engine"] + (" (pipeline)" if r["deriv"] == "pipeline" else "")
        for k, v in r["checks"].items():
            by_deriv.setdefault(k, []).append((label, v))
    for k, vals in by_deriv.items():
        n = {v[0] for _, v in vals}
        sums = [v[1] for _, v in vals]
        same = len(n) == 1 and max(sums) - min(sums) <= 1e-9 * max(1.0, abs(max(sums)))
        lines.append(
            f"{k}: engines {'agree' if same else 'DISAGREE'} on rows and sum of {SUMS[k]} "
            f"({', '.join(f'{e} {v[0]:,} / {v[1]:.6g}' for e, v in vals)})"
        )
    # targets
    for dv in DERIVATIONS + ("pipeline",):
        p, duck = ok.get(("pandas", dv)), ok.get(("duckdb", dv))
        if p and duck:
            ratio = p["seconds"] / duck["seconds"]
            lines.append(f"target pandas within {TARGET_RATIO:g}x of DuckDB, {dv}: {ratio:.2f}x "
                         f"({'met' if ratio <= TARGET_RATIO else 'MISSED'})")  # fmt: skip
    for e in ENGINES:
        r = ok.get((e, "pipeline"))
        if r:
            met = r["peak_rss_bytes"] <= TARGET_RSS
            lines.append(f"target pipeline within 8 GiB, {e}: {r['peak_rss_bytes'] / GIB:.2f} GiB, "
                         f"{r['seconds']:.0f} s ({'met' if met else 'MISSED'})")  # fmt: skip
        elif any(x["engine"] == e and x["deriv"] == "pipeline" for x in results):
            lines.append(f"target pipeline within 8 GiB, {e}: did not finish (see above)")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="scale to generate (default 1)")
    p.add_argument("--extract", help="use this Parquet extract instead of generating one")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--engines", default=",".join(ENGINES))
    p.add_argument("--derivations", default=",".join(DERIVATIONS + ("pipeline",)))
    p.add_argument("--memory-limit", default="5GB", help="DuckDB memory_limit (default 5GB)")
    p.add_argument("--spark-memory", default="5g", help="Spark driver memory (default 5g)")
    p.add_argument("--threads", type=int, default=2, help="DuckDB threads / Spark cores")
    p.add_argument("--max-rss", dest="max_rss_gib", type=float, default=14.0,
                   help="stop a run whose processes exceed this many GiB (default 14)")  # fmt: skip
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--keep", action="store_true", help="keep the generated extract")
    p.add_argument("--child-engine", help=argparse.SUPPRESS)
    p.add_argument("--child-deriv", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child_engine:
        return _child(args)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    derivs = [d.strip() for d in args.derivations.split(",") if d.strip()]
    bad = [e for e in engines if e not in ENGINES] + [
        d for d in derivs if d not in DERIVATIONS + ("pipeline",)
    ]
    if bad:
        p.error(f"unknown engine or derivation {bad}: engines {ENGINES}, derivations "
                f"{DERIVATIONS + ('pipeline',)}")  # fmt: skip
    if args.extract and not os.path.isfile(os.path.join(args.extract, "leo_employment.parquet")):
        p.error(f"--extract {args.extract}: expected a Parquet extract written by `leokit synth`")
    skipped = []
    if "spark" in engines:
        reason = _spark_missing()
        if reason:
            skipped.append(f"Spark: skipped ({reason})")
            engines.remove("spark")
    tmp = tempfile.mkdtemp(prefix="leokit-bench-scale-", dir=os.environ.get("LEOKIT_BENCH_TMP"))
    try:
        if not args.extract:
            args.extract = _generate(args.scale, tmp, args.seed)
        with open(os.path.join(args.extract, "manifest.json")) as f:
            manifest = json.load(f)
        tables = manifest["tables"]
        info = "extract {} (scale {:g}): leo_employment {:,} rows, leo_earnings {:,}, " \
               "leo_self_assessment {:,}, people {:,}; {} threads, DuckDB memory_limit {}".format(
                   args.extract, manifest.get("scale", args.scale), tables["leo_employment"]["rows"],
                   tables["leo_earnings"]["rows"], tables["leo_self_assessment"]["rows"],
                   tables["learner_ae_id_to_edukey_lookup"]["rows"], args.threads,
                   args.memory_limit)  # fmt: skip
        results = []
        for deriv in derivs:
            for engine in engines:
                sys.stderr.write(f"bench: {deriv} with {engine} ...\n")
                sys.stderr.flush()
                r = _run(engine, deriv, args, tmp)
                if "error" not in r:
                    sys.stderr.write(
                        f"  {r['seconds']:.1f} s, {r['peak_rss_bytes'] / GIB:.2f} GiB\n"
                    )
                results.append(r)
        print(_fmt(results, skipped, info))
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"info": info, "skipped": skipped, "results": results}, f, indent=2)
        return 1 if any("error" in r for r in results) else 0
    finally:
        if args.keep and not os.path.isdir(os.path.join(tmp, "extract")):
            pass
        elif args.keep:
            sys.stderr.write(f"bench: kept the extract in {os.path.join(tmp, 'extract')}\n")
            shutil.rmtree(os.path.join(tmp, "out"), ignore_errors=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
