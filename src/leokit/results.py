"""``results.json``: the one shape every notebook writes, which tests and run comparisons read.

    {"notebook": ..., "parameters": {...},
     "estimates": [{"name", "estimand", "estimate", "se", "ci": [low, high], "n",
                    "truth" (null on real data), "preferred": true/false, ...}],
     "statements": [{"id", "text", "facts": [...], "values": {...}}],   (optional)
     "conventions": {field: what it means},
     "versions": {...}}

One convention per field (``CONVENTIONS``, also written into every file):

* ``estimate`` is the point estimate that goes with ``ci``. Where a method pairs a point
  estimate with an interval that is not centred on it (rdrobust: conventional estimate,
  robust bias-corrected interval), ``point`` says which estimate it is.
* ``se`` and ``ci`` are those of the inference method named in ``ci_method`` ("CV3 t(G-1)",
  "robust bias-corrected", "Anderson-Rubin", ...; ``CI_METHODS`` lists the usual ones). ``se``
  is null when the method has none (an Anderson-Rubin set). ``ci`` is a 95% interval; an
  unbounded end is null.
* ``n`` is the number of observations the estimator used, exactly as regression output gives
  it. An estimate copied from a released table (``released_from``) has that table's rounded
  count instead.
* ``truth`` is the value of the estimand that this estimator targets in the planted world:
  a structural parameter where the effect is constant, computed from the planted potential
  outcomes and the estimation sample where it depends on who is in it, and null where the
  estimator has no planted target (a description, a naive comparison of a different
  population) and always on real data. ``truth_basis`` says which.
* ``preferred`` marks exactly one estimate: the notebook's headline.

Other keys an estimate may carry: ``se_cr1``, ``n_clusters``, ``cluster``, ``dof``,
``p_wild_bootstrap``, ``ci_wild_bootstrap``, ``released_from``, and a notebook's own.
``statements`` are the sentences a notebook generated from these estimates
(``leokit.notebook.prose``).
"""

import json
import math
import os
import platform
import sys
import tempfile

__all__ = ["estimate", "write", "read", "versions", "CONVENTIONS", "CI_METHODS", "TRUTH_BASES"]

#: what each field of an estimate means; written into every results.json
CONVENTIONS = {
    "estimate": "the point estimate that goes with ci ('point' names it when the interval is "
    "not centred on it)",
    "se": "standard error of the method in ci_method; null when the method has none",
    "ci": "95% interval of the method in ci_method; null for an unbounded end",
    "ci_method": "the inference method behind se and ci",
    "n": "observations the estimator used, exactly as regression output; the rounded count "
    "of the table for an estimate copied from a released table (released_from)",
    "truth": "the planted value of the estimand this estimator targets; null on real data and "
    "where the estimator has no planted target",
    "truth_basis": "how truth was obtained (see leokit.results.TRUTH_BASES)",
    "preferred": "true for exactly one estimate: the notebook's headline",
}

#: the usual ci_method labels
CI_METHODS = {
    "CV3 t(G-1)": "cluster jackknife (leave one cluster out) SE, t with G-1 degrees of freedom",
    "CR1 t(G-1)": "cluster-robust SE with the G/(G-1)(N-1)/(N-K) factor, t(G-1)",
    "CR1 normal": "cluster-robust SE with the small-sample factor, normal critical value",
    "HC1 normal": "heteroskedasticity-robust SE, normal critical value",
    "robust bias-corrected": "rdrobust: bias-corrected interval with the robust SE around the "
    "conventional estimate",
    "Anderson-Rubin": "the values of the effect that the reduced-form test does not reject; "
    "valid however weak the instrument",
    "wild cluster bootstrap": "restricted wild cluster bootstrap (Rademacher) interval",
    "multiplier bootstrap": "Callaway-Sant'Anna multiplier bootstrap",
    "binomial normal": "a share with SE sqrt(p(1-p)/n), normal critical value",
}

#: the usual truth_basis labels
TRUTH_BASES = {
    "parameter": "a structural parameter of the generator (a constant effect)",
    "sample": "computed from the planted effects and the estimation sample",
    "potential outcomes": "averaged over simulated potential outcomes (truth.json)",
    "none": "the estimator has no planted target, or the data are real",
}

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


def _check_statements(statements):
    ids = []
    for i, s in enumerate(statements):
        if not isinstance(s, dict) or not isinstance(s.get("id"), str) or "text" not in s:
            raise ValueError(f"statements[{i}]: expected a dict with an 'id' and a 'text'")
        ids.append(s["id"])
    if len(set(ids)) != len(ids):
        raise ValueError(f"statement ids must be unique: {ids}")
    return [dict(s) for s in statements]


def write(output_dir, notebook, parameters, estimates, statements=None):
    """Write ``output_dir/results.json`` atomically (a failed write leaves no partial file).
    ``statements``: the notebook's generated sentences (``leokit.notebook.statements()``)."""
    names = [e["name"] for e in estimates]
    if len(set(names)) != len(names):
        raise ValueError(f"estimate names must be unique: {names}")
    if sum(e["preferred"] for e in estimates) != 1:
        raise ValueError("exactly one estimate must be marked preferred")
    for e in estimates:
        method = e.get("ci_method")
        if method is not None and not (isinstance(method, str) and method.strip()):
            raise ValueError(f"{e['name']}: ci_method = {method!r}; expected the method's name")
    doc = {
        "notebook": notebook,
        "parameters": parameters,
        "estimates": list(estimates),
    }
    if statements is not None:
        doc["statements"] = _check_statements(statements)
    doc["conventions"] = CONVENTIONS
    doc["versions"] = versions()
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
