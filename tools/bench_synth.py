"""Benchmark the synthetic extract: generate + write, one fresh process per configuration.

    python tools/bench_synth.py                  # the default scale (0.017)
    python tools/bench_synth.py --national       # the default scale, then scale 1 (3M people)
    python tools/bench_synth.py --scale 1        # scale 1 only
    python tools/bench_synth.py --scales 0.017,0.1,0.5 --json bench.json

Each configuration runs in its own child process (so peak RSS is that run's alone): it
generates the world (`leokit.synth.generate`, timing every stage) and writes the extract into
a temporary folder exactly as `leokit synth` does (parquet, truth.json, manifest.json and the
data card README.md), and deletes it. Like `leokit synth`, it hands each table to the writer
as soon as it is made (generate's `sink`), so the stage times include converting their tables
and "write" is what is left after the last stage: truth.json, the manifest, the data card and
the files still being written (an older generator without `sink` generates everything, then
writes). The table shows wall seconds per stage, the total (generate + write, without
interpreter start-up and imports), the child's CPU seconds (all its threads, start-up
included: on a machine busy with other work they say more than wall time), rows in all views,
rows per second, the child's peak RSS (ru_maxrss from wait4: that child alone) and, for the
default scale and scale 1, the ratio to the targets (default: 20 s; scale 1: 180 s and
8 GiB). A ratio above 1 misses the target. This is a script, not a test: it measures, it
asserts nothing.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

DEFAULT_SCALE = 0.017  # leokit.synth.DEFAULT_SCALE (not imported: the parent stays light)
TARGETS = {  # scale -> (seconds, bytes of peak RSS or None)
    DEFAULT_SCALE: (20.0, None),
    1.0: (180.0, 8 * 1024**3),
}
GIB = 1024**3


# ------------------------------------------------------------------------------ the child
def _status_kb(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _child(args):
    """Runs in the fresh process: generate, write, report as JSON on the result file."""
    t_start = time.perf_counter()
    import leokit.synth.world as world_mod
    from leokit.datacard import render_datacard
    from leokit.extract import writer as writers
    from leokit.schema import REGISTRY

    t_import = time.perf_counter() - t_start
    stages = []

    def on_stage(name, seconds):
        stages.append([name, seconds])

    import inspect

    kwargs = {}
    if "on_stage" in inspect.signature(world_mod.generate).parameters:
        kwargs["on_stage"] = on_stage
    else:  # an older generator without the hook: time the stages through its progress bar

        class _Bar:
            def __init__(self):
                self.t = time.perf_counter()

            def set_postfix_str(self, name, refresh=True):
                now = time.perf_counter()
                on_stage(name, now - self.t)
                self.t = now

            def update(self, n=1):
                pass

            def close(self):
                pass

        world_mod._progress = lambda enabled: _Bar() if enabled else None
        kwargs["progress"] = True

    out = os.path.join(args.out, "extract")
    parquet = args.format == "parquet"
    streaming = "sink" in inspect.signature(world_mod.generate).parameters
    if streaming:  # as `leokit synth`: each table written as it comes
        writer = writers.ExtractWriter(out, fmt=args.format, observe=parquet)
        kwargs["sink"] = writer.add
    t0 = time.perf_counter()
    world = world_mod.generate(args.child, args.seed, **kwargs)
    t_gen = time.perf_counter() - t0
    gen_hwm = _status_kb("VmHWM")

    card = [0.0]

    def datacard(manifest):
        t = time.perf_counter()
        if streaming:
            text = render_datacard(REGISTRY, manifest, observed=writer.observed)
        else:
            text = render_datacard(REGISTRY, manifest, world.tables)
        card[0] = time.perf_counter() - t
        return text

    t1 = time.perf_counter()
    extra = {"README.md": datacard} if parquet else None
    if streaming:
        manifest = writer.finish(truth=world.truth, params=world.params, extra_files=extra)
    else:
        manifest = writers.write_extract(world.tables, out, fmt=args.format, truth=world.truth,
                                         params=world.params, extra_files=extra)  # fmt: skip
    t_write = time.perf_counter() - t1
    rows = int(sum(t["rows"] for t in manifest["tables"].values()))
    views = len(manifest["tables"])
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    result = {
        "scale": args.child,
        "seed": args.seed,
        "format": args.format,
        "import_seconds": t_import,
        "stages": stages,
        "generate_seconds": t_gen,
        "write_seconds": t_write - card[0],
        "datacard_seconds": card[0],
        "total_seconds": t_gen + t_write,
        "rows": rows,
        "views": views,
        "bytes_written": size,
        "peak_rss_generate_bytes": gen_hwm * 1024 if gen_hwm else None,
        "peak_rss_self_bytes": (_status_kb("VmHWM") or 0) * 1024 or None,
    }
    with open(args.result, "w") as f:
        json.dump(result, f)
    return 0


# ------------------------------------------------------------------------------ the parent
def _run_one(scale, args):
    tmp = tempfile.mkdtemp(prefix="leokit-bench-")
    try:
        result_file = os.path.join(tmp, "result.json")
        cmd = [sys.executable, os.path.abspath(__file__), "--child", repr(float(scale)),
               "--seed", str(args.seed), "--format", args.format, "--out", tmp,
               "--result", result_file]  # fmt: skip
        env = dict(os.environ)
        if args.src:
            env["PYTHONPATH"] = os.pathsep.join(
                [os.path.abspath(args.src)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
            )
        log = os.path.join(tmp, "child.log")
        t0 = time.perf_counter()
        with open(log, "wb") as logf:
            proc = subprocess.Popen(cmd, env=env, stdout=logf, stderr=subprocess.STDOUT)
            # wait4 gives this child's own resource usage (ru_maxrss in KiB on Linux), unlike
            # getrusage(RUSAGE_CHILDREN), which is the maximum over every child so far
            _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        maxrss = usage.ru_maxrss * 1024
        if proc.returncode != 0 or not os.path.exists(result_file):
            with open(log, "rb") as f:
                sys.stderr.write(f.read().decode("utf-8", "replace")[-4000:])
            return {"scale": float(scale), "error": f"child exited with {proc.returncode}"}
        with open(result_file) as f:
            res = json.load(f)
        res["process_seconds"] = wall
        res["cpu_seconds"] = usage.ru_utime + usage.ru_stime
        res["peak_rss_bytes"] = maxrss  # the child's VmHWM (peak_rss_self_bytes) agrees
        res["rows_per_second"] = (
            res["rows"] / res["total_seconds"] if res["total_seconds"] else None
        )
        target = TARGETS.get(round(float(scale), 6))
        if target:
            res["target_seconds"], res["target_rss_bytes"] = target
            res["time_ratio"] = res["total_seconds"] / target[0]
            res["rss_ratio"] = res["peak_rss_bytes"] / target[1] if target[1] else None
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fmt_table(results):
    ok = [r for r in results if "error" not in r]
    head = ["", *[f"scale {r['scale']:g}" for r in ok]]
    rows = []
    stage_names = []
    for r in ok:
        for name, _ in r["stages"]:
            if name not in stage_names:
                stage_names.append(name)
    for name in stage_names:
        row = [f"  {name}"]
        for r in ok:
            d = dict(r["stages"])
            row.append(f"{d[name]:.2f}" if name in d else "-")
        rows.append(row)

    def line(label, fn):
        rows.append([label, *[fn(r) for r in ok]])

    line("generate s", lambda r: f"{r['generate_seconds']:.2f}")
    line("write s", lambda r: f"{r['write_seconds']:.2f}")
    line("datacard s", lambda r: f"{r['datacard_seconds']:.2f}")
    line("total s", lambda r: f"{r['total_seconds']:.2f}")
    line("process wall s", lambda r: f"{r['process_seconds']:.2f}")
    line("process CPU s", lambda r: f"{r['cpu_seconds']:.2f}")
    line("views", lambda r: f"{r['views']}")
    line("rows", lambda r: f"{r['rows']:,}")
    line("rows/s", lambda r: f"{r['rows_per_second']:,.0f}")
    line("peak RSS gen GiB", lambda r: f"{r['peak_rss_generate_bytes'] / GIB:.2f}"
         if r.get("peak_rss_generate_bytes") else "-")  # fmt: skip
    line("peak RSS GiB", lambda r: f"{r['peak_rss_bytes'] / GIB:.2f}")
    line("written MiB", lambda r: f"{r['bytes_written'] / 1024**2:.0f}")
    line("time / target", lambda r: f"{r['time_ratio']:.2f} (of {r['target_seconds']:.0f} s)"
         if "time_ratio" in r else "-")  # fmt: skip
    line("RSS / target", lambda r: f"{r['rss_ratio']:.2f} (of {r['target_rss_bytes'] / GIB:.0f} GiB)"
         if r.get("rss_ratio") is not None else "-")  # fmt: skip
    widths = [max(len(str(x[i])) for x in [head, *rows]) for i in range(len(head))]
    out = [
        "  ".join(
            str(h).rjust(w) if i else str(h).ljust(w) for i, (h, w) in enumerate(zip(head, widths))
        )
    ]
    out.append("  ".join("-" * w for w in widths))
    for row in rows:
        out.append("  ".join(str(x).rjust(w) if i else str(x).ljust(w)
                             for i, (x, w) in enumerate(zip(row, widths))))  # fmt: skip
    for r in results:
        if "error" in r:
            out.append(f"scale {r['scale']:g}: {r['error']}")
    return "\n".join(out)


def _scales(args):
    if args.scales:
        return [float(s) for s in args.scales.split(",") if s.strip()]
    if args.scale:
        return list(args.scale)
    if args.national:
        return [DEFAULT_SCALE, 1.0]
    return [DEFAULT_SCALE]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, action="append",
                   help="a scale to run (repeatable); default: the generator's default")  # fmt: skip
    p.add_argument("--national", action="store_true", help="the default scale, then scale 1")
    p.add_argument("--scales", help="comma-separated scales, e.g. 0.017,0.1,1")
    p.add_argument("--seed", type=int, default=20261128, help="default: the generator's seed")
    p.add_argument("--format", default="parquet", choices=("parquet", "csv", "dta", "duckdb"))
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--src", metavar="DIR",
                   help="put DIR (a src folder) first on the child's PYTHONPATH, e.g. to time "
                        "another checkout")  # fmt: skip
    # internal: the child process
    p.add_argument("--child", type=float, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child is not None:
        return _child(args)
    results = []
    for scale in _scales(args):
        sys.stderr.write(f"bench: scale {scale:g} ...\n")
        sys.stderr.flush()
        results.append(_run_one(scale, args))
    print(_fmt_table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
