"""Running a headline notebook with papermill, as the notebook tests do.

`run_notebook(name, tmp, **params)` executes notebooks/<name>.ipynb with the default extract
(unless `extract` is given) into `tmp` (output_dir `tmp/output`, work_dir `tmp/work`), fails on
any error or stderr output (a warning would also break the nbval reference; the Monte Carlo
runs pass `quiet=False` to allow it) and on anything record-level in the executed notebook or
in output_dir, or a released table that fails a re-check from work_dir (`support.output_scan`)
or on which ACRO and leokit.sdc disagree without a stated reason (`support.acro_check`),
and returns the results.json it wrote, with `by_name`
(the estimates keyed by name), `folder` (its output folder) and `work` (its work folder)
added. `synth_extract(folder, seed)` generates a fresh extract for the Monte Carlo tests.
"""

import json
import subprocess
import sys
from pathlib import Path

import papermill as pm

from support import acro_check, output_scan

ROOT = Path(__file__).resolve().parents[2]
EXTRACT = ROOT / "data_synthetic"


def synth_extract(folder, seed, scale=None):
    """A freshly generated extract with this seed (and scale) in `folder`, via the CLI."""
    cmd = [sys.executable, "-m", "leokit.cli", "synth", "--seed", str(seed), "--out", str(folder)]
    if scale is not None:
        cmd += ["--scale", str(scale)]
    subprocess.run(cmd, check=True, capture_output=True)
    return folder


def run_notebook(name, tmp, quiet=True, **params):
    nb_path = ROOT / "notebooks" / f"{name}.ipynb"
    out = Path(tmp)
    params = {
        "extract": str(EXTRACT),
        "output_dir": str(out / "output"),
        "work_dir": str(out / "work"),
        **params,
    }
    nb = pm.execute_notebook(
        str(nb_path),
        str(out / "executed.ipynb"),
        parameters=params,
        cwd=str(nb_path.parent),
        progress_bar=False,
        kernel_name="python3",
    )
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors
    stderr = [o["text"] for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]  # fmt: skip
    assert not (quiet and stderr), stderr
    values = output_scan.key_values(params["extract"])
    leaks = output_scan.scan_notebook(nb, values)
    leaks += output_scan.scan_output_dir(params["output_dir"], values)
    leaks += output_scan.recheck(params["work_dir"], params["output_dir"])
    assert not leaks, f"{name}: record-level output: {leaks}"
    if quiet:  # the Monte Carlo runs (quiet=False) skip ACRO: it adds seconds per run
        checked, differences, _ = acro_check.released(params["work_dir"], params["output_dir"])
        assert checked > 0, f"{name}: no released table was cross-checked with ACRO"
        unexplained = acro_check.unexplained(differences)
        assert not unexplained, f"{name}: leokit.sdc and ACRO disagree: {unexplained}"
    res = json.loads((Path(params["output_dir"]) / "results.json").read_text())
    res["by_name"] = {e["name"]: e for e in res["estimates"]}
    res["folder"] = Path(params["output_dir"])
    res["work"] = Path(params["work_dir"])
    return res
