"""``results.json``: the one shape every notebook writes, which tests and run comparisons read.

    {"notebook": ..., "parameters": {...},
     "estimates": [{"name", "estimand", "estimate", "se", "ci": [low, high], "n",
                    "truth" (null on real data), "preferred": true/false, ...}],
     "versions": {...}}

An estimate may carry extra keys (for example ``"p_wild_bootstrap"``); the ones above are
always there.
"""

import json
import math
import os
import platform
import sys
import tempfile

__all__ = ["estimate", "write", "read", "versions"]

_PACKAGES = (
    "leokit",
    "numpy",
    "pandas",
    "statsmodels",
    "linearmodels",
    "pyfixest",
    "rdrobust",
    "matplotlib",
    "pyarrow",
    "duckdb",
)


def _number(x, name):
    if x is None:
        return None
    value = float(x)
    if math.isnan(value):
        return None
    if math.isinf(value):
        raise ValueError(f"{name} is infinite")
    return value


def estimate(name, estimand, est, se, ci, n, truth=None, preferred=False, **extra):
    """One row of ``estimates``; numbers become plain floats/ints, NaN becomes null."""
    low, high = ci
    row = {
        "name": str(name),
        "estimand": str(estimand),
        "estimate": _number(est, f"{name}: estimate"),
        "se": _number(se, f"{name}: se"),
        "ci": [_number(low, f"{name}: ci"), _number(high, f"{name}: ci")],
        "n": int(n),
        "truth": _number(truth, f"{name}: truth"),
        "preferred": bool(preferred),
    }
    for key, value in extra.items():
        row[key] = _number(value, key) if isinstance(value, (int, float)) else value
    return row


def versions():
    """Python and the versions of the analysis packages that are imported."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        module = sys.modules.get(name)
        if module is not None:
            out[name] = getattr(module, "__version__", None) or _dist_version(name)
    return out


def _dist_version(name):
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:  # noqa: BLE001 - a version we cannot find is reported as unknown
        return "unknown"


def write(output_dir, notebook, parameters, estimates):
    """Write ``output_dir/results.json`` atomically (a failed write leaves no partial file)."""
    names = [e["name"] for e in estimates]
    if len(set(names)) != len(names):
        raise ValueError(f"estimate names must be unique: {names}")
    if sum(e["preferred"] for e in estimates) != 1:
        raise ValueError("exactly one estimate must be marked preferred")
    doc = {
        "notebook": notebook,
        "parameters": parameters,
        "estimates": list(estimates),
        "versions": versions(),
    }
    text = json.dumps(doc, indent=1, sort_keys=False, default=str)
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, "results.json")
    fd, tmp = tempfile.mkstemp(dir=output_dir, prefix=".results.", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def read(path):
    """Read a results.json (a folder or the file) as a dict."""
    if os.path.isdir(path):
        path = os.path.join(path, "results.json")
    with open(path) as f:
        return json.load(f)
