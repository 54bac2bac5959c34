"""What a notebook releases from the SRS, and the report an output checker reads.

    out = release.Outputs(output_dir, work_dir, notebook="00_start_here")
    n = out.checked(sdc.safe_counts, panel, ["YAG", "FSM"], unit="AE_ID", name="graduates")
    out.show("graduate_outcomes", table, checks=[n, rate])   # CSV in output_dir, printed
    out.figure("graduate_outcomes", fig, table=table, checks=[n, rate])   # PNG + its data
    out.results(PARAMETERS, rows)                             # results.json (model estimates)
    print(out.finish())                                       # output_check.md and .json

Two folders:

* ``output_dir`` holds only what may leave the SRS: each released table as CSV, each figure as
  PNG with the table behind it as CSV, ``results.json`` and the report (``output_check.md``
  for people, ``output_check.json`` for tools);
* ``work_dir`` holds what never leaves: the estimation samples and, for every released table,
  the microdata and the specification (function, by, value, stat, unit) it was made from, in
  ``work_dir/released/``, so that the table can be checked again by hand or with ACRO.

Every output is registered with the checks behind it: ``leokit.sdc`` tables (their Report says
what was suppressed and why), model estimates (N, clusters, residual degrees of freedom, and
for a regression discontinuity the units on each side), or a statement that the data are
public. The report lists every file in ``output_dir`` with its kind (frequency, magnitude,
rate, percentile, model estimate, figure, public data), the rules applied, the smallest count
shown, what was suppressed and why, and for figures the counts behind them. It never carries a
count more exactly than the released tables show it (counts appear rounded to the tables'
base), so it can be released beside them. ``finish()`` refuses (``ReleaseError`` naming the
file) when ``output_dir`` holds a file that was not registered, or when an output breaks a
rule. Registering an output again (a cell run twice) replaces the earlier one. Opening
``Outputs`` refuses an ``output_dir`` holding files that an earlier run of this code did not
write, and removes the files an earlier run did write (their checksums are logged), so every
run starts clean without deleting anything else.

Runs on the SRS Python (3.7, pandas 1.0); matplotlib is used only through the figure given.
"""

import functools
import hashlib
import inspect
import json
import os
import re
import tempfile

import numpy as np
import pandas as pd

from leokit import results as _results
from leokit import sdc

__all__ = ["ReleaseError", "Outputs", "round_counts", "KINDS", "REPORT_MD", "REPORT_JSON", "LOG"]

#: kinds of released output, as output checkers (and ACRO) classify them
KINDS = ("frequency", "magnitude", "rate", "percentile", "model estimate", "figure", "public data")
REPORT_MD = "output_check.md"
REPORT_JSON = "output_check.json"
#: in work_dir: the files this code wrote into output_dir, with checksums (never released)
LOG = "release_log.json"

_UMASK = os.umask(0)
os.umask(_UMASK)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_KIND_OF_REPORT = {
    "frequency": "frequency",
    "magnitude": "magnitude",
    "rate": "rate",
    "percentile": "percentile",
    "model": "model estimate",
    "check": "frequency",
}
_COLUMN_ARGS = ("by", "index", "columns", "value", "unit", "x", "y")


class ReleaseError(ValueError):
    """An output cannot be released as it is, or output_dir holds something it should not."""


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _inside(child, parent):
    child, parent = os.path.realpath(child), os.path.realpath(parent)
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def _files_under(folder):
    """Paths of every file under ``folder``, relative to it, hidden ones included."""
    out = []
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            out.append(os.path.relpath(os.path.join(dirpath, name), folder))
    return sorted(out)


def _write_atomic(path, text):
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644 & ~_UMASK)  # mkstemp makes files private; these are shared
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _plain(value):
    """JSON-friendly copy of a specification value (column names, numbers, flags)."""
    if isinstance(value, (str, bool)) or value is None:
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)


def _as_columns(value):
    if value is None:
        return []
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        return [value]
    return list(value)


def _round(n, base=sdc.ROUND_BASE):
    return int(sdc.round_half_up(float(n), base))


def _save_microdata(frame, work_dir, stem):
    """``frame`` as work_dir/released/<stem>.csv; returns the path relative to work_dir. CSV
    because Stata, R and the SRS's Anaconda (no pyarrow) all read it, and because writing it
    leaves no buffers behind (pyarrow's Parquet writer kept some 50 MB: Binder has 1 GB)."""
    folder = os.path.join(work_dir, "released")
    os.makedirs(folder, exist_ok=True)
    rel = "released/" + stem + ".csv"
    frame.to_csv(os.path.join(work_dir, rel), index=False)
    return rel


@functools.lru_cache(maxsize=None)
def _key_names():
    """Lower-case names of person and employer key columns, from the schema registry: the
    AE_ID lookups' columns, the identifying keys of views other than public lookups (years and
    cycles aside), columns named after those, and columns said to hold an IDBR ENTKEY."""
    from leokit.schema import REGISTRY

    names = set()
    for view in REGISTRY:
        if view.name.startswith("learner_ae_id_to_"):
            names.update(c.name.lower() for c in view.columns)
        elif view.key and not view.name.startswith("lookup_"):
            names.update(k.lower() for k in view.key if "year" not in k.lower())
    names.discard("application_cycle")
    stems = set(names)
    for view in REGISTRY:
        for col in view.columns:
            low = col.name.lower()
            if any(low.endswith(x) for x in stems) or re.search(r"\bENTKEY\b", col.meaning or ""):
                names.add(low)
    return frozenset(names)


def _key_columns_in(table):
    labels = list(table.columns) if isinstance(table, pd.DataFrame) else [table.name]
    labels += list(table.index.names)
    return sorted({str(x) for x in labels if x is not None and str(x).lower() in _key_names()})


def _floats(column):
    """A column as float64 numbers, NaN where missing or not a number."""
    return pd.to_numeric(column, errors="coerce").astype("float64").to_numpy()


def _number(x):
    x = float(x)
    return int(x) if x.is_integer() else x


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _name_sums(files):
    """{name: sha256} from a log's dict or a report's list of {"file", "sha256"}."""
    if isinstance(files, dict):
        return {str(k): str(v) for k, v in files.items()}
    out = {}
    for item in files or []:
        if isinstance(item, dict) and "file" in item and "sha256" in item:
            out[str(item["file"])] = str(item["sha256"])
    return out


def _report_of(check):
    if isinstance(check, sdc.Report):
        return check
    return sdc.report_of(check)


def _safe_detail(entry, threshold):
    """A suppression's detail without anything that narrows the hidden value (e.g. 'zero')."""
    if entry.get("reason") == "threshold":
        return f"fewer than {threshold} units, or none"
    return str(entry.get("detail", ""))


def round_counts(table, columns, label=None, threshold=sdc.THRESHOLD, round_base=sdc.ROUND_BASE,
                 title="counts made in the notebook"):  # fmt: skip
    """A table of counts made by hand (a linkage flow, say), safe to release: each count in
    ``columns`` under ``threshold`` becomes missing, the others are rounded half up to
    ``round_base``. Returns a copy with the counts as nullable integers and a ``sdc.Report``
    of what was suppressed in ``attrs['sdc_report']`` (cells labelled by the ``label`` column,
    else the index), ready for ``Outputs.show(..., checks=[table])``. Missing counts stay
    missing and are not reported as suppressed."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ReleaseError(f"round_counts: no column(s) {missing} in the table")
    out = table.copy()
    report = sdc.Report(title, f"at least {threshold} units per cell; counts rounded to base "
                        f"{round_base}", kind="frequency", threshold=threshold,
                        round_base=round_base)  # fmt: skip
    labels = out[label].astype(str).tolist() if label is not None else [str(i) for i in out.index]
    for col in columns:
        n = _floats(out[col])
        small = ~np.isnan(n) & (n < threshold)
        shown = np.where(small, np.nan, sdc.round_half_up(n, round_base))
        out[col] = pd.array([None if np.isnan(v) else int(v) for v in shown], dtype="Int64")
        report.n_cells += int((~np.isnan(n)).sum())
        for i in np.flatnonzero(small):
            report.add(f"{labels[i]}, {col}", "threshold", f"fewer than {threshold} units")
        kept = shown[~np.isnan(shown)]
        if kept.size:
            low = int(kept.min())
            report.min_count_shown = (
                low if report.min_count_shown is None else min(low, report.min_count_shown)
            )
    report.n_shown = report.n_cells - len(report.suppressed)
    out.attrs["sdc_report"] = report
    return out


class Outputs:
    """The output log of one notebook run; see the module docstring.

    output_dir  folder handed to output checking; created if missing
    work_dir    folder for record-level files; must not be inside output_dir
    notebook    the notebook's name, written into the report
    threshold   minimum units behind a shown cell and behind a model estimate (SRS: 10)
    """

    def __init__(self, output_dir, work_dir, notebook, threshold=sdc.THRESHOLD):
        for label, folder in (("output_dir", output_dir), ("work_dir", work_dir)):
            if not isinstance(folder, str) or not folder.strip():
                raise ReleaseError(f"{label} = {folder!r}: expected a folder path")
        if _inside(work_dir, output_dir):
            raise ReleaseError(
                f"work_dir = {work_dir!r} is inside output_dir = {output_dir!r}: record-level "
                "files would be handed to output checking; choose a work_dir outside output_dir"
            )
        self.output_dir = output_dir
        self.work_dir = work_dir
        self.notebook = notebook
        self.threshold = threshold
        self.entries = []
        self._pending = []  # (sdc table, spec) from checked(); the microdata is on disk
        self._written = {}  # file name in output_dir -> sha256
        self._finished = False
        old = self._earlier_files()
        unknown = [p for p in (_files_under(output_dir) if os.path.isdir(output_dir) else [])
                   if old.get(p) is None or old[p] != _sha256(os.path.join(output_dir, p))]  # fmt: skip
        if unknown:
            shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            raise ReleaseError(
                f"output_dir = {output_dir!r} holds {len(unknown)} file(s) that this notebook did "
                f"not write: {shown}; move them away or choose an empty output_dir (only "
                "checked outputs may go to output checking)"
            )
        for folder, label in ((output_dir, "output_dir"), (work_dir, "work_dir")):
            try:
                os.makedirs(folder, exist_ok=True)
                fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-test-")
                os.close(fd)
                os.remove(probe)
            except OSError as err:
                raise ReleaseError(
                    f"{label} = {folder!r} is not a writable folder ({err.strerror or err})"
                ) from None
        for name in old:  # an earlier run's outputs (checksums matched above)
            if os.path.isfile(os.path.join(output_dir, name)):
                os.remove(os.path.join(output_dir, name))
        self._save_log()

    # -- the folders' bookkeeping ----------------------------------------------------------

    def _earlier_files(self):
        """{file in output_dir: sha256} written by earlier runs: from the work_dir log (also
        an interrupted run's) and from a finished run's output_check.json."""
        found = {}
        here = os.path.realpath(self.output_dir)
        log = _read_json(os.path.join(self.work_dir, LOG))
        if isinstance(log, dict) and log.get("output_dir") == here:
            found.update(_name_sums(log.get("written")))
        report_path = os.path.join(self.output_dir, REPORT_JSON)
        report = _read_json(report_path)
        if isinstance(report, dict) and "leokit_report_version" in report:
            found.update(_name_sums(report.get("files")))
            found[REPORT_JSON] = _sha256(report_path)
            md = os.path.join(self.output_dir, REPORT_MD)
            if os.path.isfile(md):
                found[REPORT_MD] = _sha256(md)
        return found

    def _save_log(self):
        doc = {
            "notebook": self.notebook,
            "output_dir": os.path.realpath(self.output_dir),
            "written": dict(self._written),
        }
        _write_atomic(os.path.join(self.work_dir, LOG), json.dumps(doc, indent=1) + "\n")

    def _claim(self, filename):
        """The path for ``filename`` in output_dir. Registering a file again (a notebook cell
        run a second time) replaces the earlier output; after the report was written, it
        removes the report, which ``finish`` then writes afresh."""
        if filename in (REPORT_MD, REPORT_JSON, LOG):
            raise ReleaseError(f"{filename} is the output log's own file; choose another name")
        if self._finished:
            for name in (REPORT_MD, REPORT_JSON):
                path = os.path.join(self.output_dir, name)
                if os.path.exists(path):
                    os.remove(path)
                self._written.pop(name, None)
            self._finished = False
            self._save_log()
        if filename in self._written:
            self.entries = [e for e in self.entries if filename not in e["files"]]
            del self._written[filename]
        return os.path.join(self.output_dir, filename)

    def _wrote(self, filename):
        path = os.path.join(self.output_dir, filename)
        self._written[filename] = _sha256(path)
        self._save_log()

    @staticmethod
    def _refuse_keys(name, table):
        keys = _key_columns_in(table)
        if keys:
            raise ReleaseError(
                f"{name}: column(s) {keys} hold person or employer keys; a released table "
                "shows summaries, never keys (keep such files in work_dir)"
            )

    def _check_name(self, name):
        if not isinstance(name, str) or not _NAME.match(name):
            raise ReleaseError(
                f"output name {name!r}: use letters, digits, '_', '-' or '.' (no folders)"
            )

    # -- disclosure checks ----------------------------------------------------------------

    def checked(self, function, data, *args, **kwargs):
        """Run a ``leokit.sdc`` function on ``data`` and remember what it was asked (the
        specification) and the columns it used (the microdata), for ``work_dir/released/``
        when its table is registered. Returns the function's table, unchanged."""
        table = function(data, *args, **kwargs)
        try:
            bound = inspect.signature(function).bind(data, *args, **kwargs)
        except (TypeError, ValueError):
            arguments = dict(kwargs)
        else:
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            arguments.pop(next(iter(arguments)))  # the data frame itself
        arguments.pop("return_report", None)
        spec = {"function": getattr(function, "__name__", str(function))}
        spec.update({k: _plain(v) for k, v in arguments.items()})
        columns = []
        for key in _COLUMN_ARGS:
            for col in _as_columns(arguments.get(key)):
                if col in data.columns and col not in columns:
                    columns.append(col)
        if columns:  # written now, so that no copy stays in memory (Binder has 1 GB)
            stem = f"check_{len(self._pending) + 1:03d}"
            spec["microdata"] = _save_microdata(data[columns], self.work_dir, stem)
        self._pending.append((table, spec))
        return table

    def _spec_of(self, check):
        for table, spec in self._pending:
            if table is check:
                return spec
        return None

    def _describe_checks(self, stem, checks):
        """Per check: its Report as a dict (safe details), the smallest count it shows and,
        when made by ``checked``, its specification (microdata saved to work_dir)."""
        out, kinds, smallest = [], [], []
        for check in checks:
            report = _report_of(check)
            info = report.to_dict()
            threshold = info.get("threshold") or self.threshold
            for key in ("suppressed", "problems"):
                info[key] = [dict(e, detail=_safe_detail(e, threshold)) for e in info.get(key, [])]
            kind = _KIND_OF_REPORT.get(info.get("kind"))
            if kind and kind not in kinds:
                kinds.append(kind)
            spec = None if isinstance(check, sdc.Report) else self._spec_of(check)
            low = info.get("min_count_shown")
            if low is None and isinstance(check, pd.DataFrame):
                low = self._smallest_count(check, info, spec)
            if low is not None:
                info["smallest_count"] = low
                smallest.append(low)
            if spec is not None:
                info["spec"] = dict(spec)
            out.append(info)
        specs = [c["spec"] for c in out if "spec" in c]
        if specs:
            doc = {"output": stem, "checks": specs}
            path = os.path.join(self.work_dir, "released", stem + ".json")
            _write_atomic(path, json.dumps(doc, indent=1) + "\n")
        return out, kinds, (min(smallest) if smallest else None)

    @staticmethod
    def _smallest_count(table, info, spec):
        """The smallest count a check's table shows (as shown: rounded if the table rounds)."""
        if spec is not None and spec.get("function") == "safe_counts":
            columns = [spec.get("name", "count")]
        elif "n" in table.columns:
            columns = ["n"]
        elif info.get("kind") in ("frequency", "check"):
            columns = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
            if spec is not None:
                used = set(_as_columns(spec.get("by")))
                columns = [c for c in columns if c not in used]
        else:
            return None
        values = []
        for c in columns:
            if c in table.columns:
                v = _floats(table[c])
                values.extend(v[~np.isnan(v)].tolist())
        if not values:
            return None
        return _number(min(values))

    def _model_rules(self, models):
        """Each model estimate must rest on at least ``threshold`` units, residual degrees of
        freedom (where given) and units on each side of a cutoff (where given)."""
        problems, shown = [], []
        for m in models:
            name = m.get("name", "?")
            item = {"name": name}
            n = m.get("n")
            if n is not None:
                item["n_rounded"] = _round(n)
                if n < self.threshold:
                    problems.append({"cell": name, "reason": "threshold",
                                     "detail": f"N below {self.threshold}"})  # fmt: skip
            dof = m.get("dof")
            if dof is not None:
                item["dof_at_least_threshold"] = bool(dof >= self.threshold)
                if dof < self.threshold:
                    problems.append({"cell": name, "reason": "dof",
                                     "detail": f"fewer than {self.threshold} residual degrees of freedom"})  # fmt: skip
            for side in ("n_left", "n_right"):
                if m.get(side) is not None:
                    item[side + "_rounded"] = _round(m[side])
                    if m[side] < self.threshold:
                        problems.append({"cell": name, "reason": "threshold",
                                         "detail": f"fewer than {self.threshold} units on one side of the cutoff"})  # fmt: skip
            if m.get("n_clusters") is not None:
                item["n_clusters"] = int(m["n_clusters"])
            shown.append(item)
        return problems, shown

    def _entry(self, name, kind, files, description, checks=(), models=None, public=None,
               counts=None):  # fmt: skip
        if not checks and models is None and not public:
            raise ReleaseError(
                f"{name}: an output needs its disclosure checks: the leokit.sdc tables it was "
                "made from (checks=), the model estimates it shows (models=), or public= naming "
                "the public source"
            )
        described, kinds, smallest = self._describe_checks(files[0], list(checks))
        if counts is not None:  # the released table's own count columns, as shown
            table, columns = counts
            values = np.concatenate([_floats(table[c]) for c in columns])
            values = values[~np.isnan(values)]
            smallest = _number(values.min()) if values.size else None
        problems = [dict(p, table=c["title"]) for c in described for p in c["problems"]]
        entry = {
            "name": name,
            "files": files,
            "kind": kind or (" + ".join(kinds) if kinds else None),
            "description": description,
            "checks": described,
            "n_cells": sum(c.get("n_cells", 0) for c in described),
            "n_suppressed": sum(c.get("n_suppressed", 0) for c in described),
            "smallest_count": smallest,
        }
        if models is not None:
            model_problems, shown = self._model_rules(models)
            problems += model_problems
            entry["models"] = shown
            entry["model_rules"] = (
                f"N >= {self.threshold}; residual degrees of freedom >= {self.threshold} where "
                f"given; at least {self.threshold} units on each side of a cutoff where given"
            )
            if entry["kind"] is None:
                entry["kind"] = "model estimate"
            elif "model estimate" not in entry["kind"]:
                entry["kind"] += " + model estimate"
        if public:
            entry["public"] = public
            entry["kind"] = entry["kind"] or "public data"
        entry["problems"] = problems
        entry["status"] = "fail" if problems else "pass"
        self.entries.append(entry)
        return entry

    # -- registering outputs --------------------------------------------------------------

    def table(self, name, table, checks=(), models=None, public=None, description="",
              kind=None, index=False, counts=None):  # fmt: skip
        """Write ``table`` as ``output_dir/<name>.csv`` and register it with its checks:
        ``checks`` the ``leokit.sdc`` tables (or Reports) it was made from, ``models`` the
        model estimates it shows (dicts with name, n and, where known, dof, n_clusters,
        n_left, n_right: ``results.estimate`` rows are such dicts), ``public`` the public
        source of data that holds no LEO records; ``counts`` the table's columns holding
        counts (for the smallest count shown, when the checks cannot tell). Returns None, so
        that a cell ending with it displays nothing."""
        self._check_name(name)
        if not isinstance(table, (pd.DataFrame, pd.Series)):
            raise ReleaseError(
                f"{name}: expected a DataFrame or Series, got {type(table).__name__}"
            )
        self._refuse_keys(name, table)
        filename = name + ".csv"
        path = self._claim(filename)
        if counts is not None:
            missing = [c for c in counts if c not in getattr(table, "columns", [])]
            if missing:
                raise ReleaseError(f"{name}: counts= names columns the table lacks: {missing}")
            counts = (table, counts)
        self._entry(name, kind, [filename], description, checks, models, public, counts)
        table.to_csv(path, index=index)
        self._wrote(filename)

    def show(self, name, table, checks=(), models=None, public=None, description="",
             kind=None, index=False, counts=None, **to_string):  # fmt: skip
        """``table`` (registered and written as CSV) and then printed with ``to_string``
        options, with one line saying what was released and what was suppressed."""
        self.table(name, table, checks, models, public, description, kind, index, counts)
        print(table.to_string(index=index, **to_string))
        print(self.note(name))

    def note(self, name):
        """One line about a registered output: file, cells, suppressed cells."""
        entry = [e for e in self.entries if e["name"] == name][-1]
        text = f"(released as {', '.join(entry['files'])}"
        if entry["checks"]:
            text += f"; {entry['n_cells']} cells checked, {entry['n_suppressed']} suppressed"
        if entry.get("models"):
            text += f"; {len(entry['models'])} model estimate(s) checked"
        return text + ")"

    def figure(self, name, fig, table=None, checks=(), models=None, public=None,
               description="", dpi=120):  # fmt: skip
        """Save ``fig`` (anything with ``savefig``, e.g. a matplotlib Figure) as
        ``output_dir/<name>.png`` and, if given, the table behind it as ``<name>_data.csv``;
        register both with the checks behind the figure (as for ``table``)."""
        self._check_name(name)
        if table is not None:
            self._refuse_keys(name, table)
        files = [name + ".png"] + ([name + "_data.csv"] if table is not None else [])
        paths = [self._claim(f) for f in files]
        self._entry(name, "figure", files, description, checks, models, public)
        fig.savefig(paths[0], dpi=dpi)
        self._wrote(files[0])
        if table is not None:
            table.to_csv(paths[1], index=False)
            self._wrote(files[1])

    def results(self, parameters, estimates, description="the notebook's estimates",
                statements=None):  # fmt: skip
        """Write ``output_dir/results.json`` (``leokit.results.write``) and register its
        estimates as model output (N rounded in the report; residual degrees of freedom and
        units each side of a cutoff checked where the estimate gives them). An estimate
        copied from a released table names it in ``released_from`` and is checked there.
        ``statements``: the sentences generated from these estimates, written beside them."""
        self._claim("results.json")
        models = [e for e in estimates if not e.get("released_from")]
        tables = sorted({e["released_from"] for e in estimates if e.get("released_from")})
        missing = [t for t in tables if not any(t in x["files"] for x in self.entries)]
        if missing:
            raise ReleaseError(
                f"results.json: estimates come from {missing}, which are not registered"
            )
        entry = self._entry("results", "model estimate", ["results.json"], description,
                            models=models, public=None)  # fmt: skip
        if tables:
            entry["copied_from_tables"] = tables
        _results.write(self.output_dir, self.notebook, parameters, estimates, statements)
        self._wrote("results.json")

    def summary(self):
        """The outputs registered so far: name, files, kind, status, cells, suppressed."""
        return pd.DataFrame(
            [(e["name"], ", ".join(e["files"]), e["kind"], e["status"], e["n_cells"],
              e["n_suppressed"]) for e in self.entries],
            columns=["output", "files", "kind", "status", "cells", "suppressed"],
        )  # fmt: skip

    # -- the report -------------------------------------------------------------------------

    def finish(self):
        """Write ``output_check.md`` and ``output_check.json`` into output_dir and return a
        one-line summary. Refuses (``ReleaseError``), writing nothing, when output_dir holds a
        file that was not registered, a registered file changed after it was written, or an
        output breaks a rule."""
        if self._finished:
            return "the report is already written and nothing has been registered since"
        present = set(_files_under(self.output_dir))
        stray = sorted(present - set(self._written))
        if stray:
            raise ReleaseError(
                f"output_dir = {self.output_dir!r} holds file(s) that were not registered as "
                f"checked outputs: {', '.join(stray[:5])}; write record-level files to work_dir "
                "and register every output (leokit.release)"
            )
        gone = sorted(f for f in self._written if f not in present)
        changed = sorted(
            f for f in self._written
            if f in present and _sha256(os.path.join(self.output_dir, f)) != self._written[f]
        )  # fmt: skip
        if gone or changed:
            raise ReleaseError(
                f"registered outputs were removed ({', '.join(gone) or 'none'}) or changed after "
                f"they were checked ({', '.join(changed) or 'none'})"
            )
        failing = [e for e in self.entries if e["status"] == "fail"]
        if failing:
            reasons = "; ".join(
                f"{e['name']}: " + ", ".join(f"{p['cell']} ({p['detail']})" for p in e["problems"][:3])
                for e in failing[:3]
            )  # fmt: skip
            raise ReleaseError(
                f"outputs break the disclosure rules and cannot be released: {reasons}"
            )
        doc = self._report()
        _write_atomic(os.path.join(self.output_dir, REPORT_JSON),
                      json.dumps(doc, indent=1, sort_keys=False) + "\n")  # fmt: skip
        _write_atomic(os.path.join(self.output_dir, REPORT_MD), self._markdown(doc))
        self._written[REPORT_JSON] = _sha256(os.path.join(self.output_dir, REPORT_JSON))
        self._written[REPORT_MD] = _sha256(os.path.join(self.output_dir, REPORT_MD))
        self._save_log()
        self._finished = True
        n_files = len(doc["files"]) + 2
        return (
            f"wrote {REPORT_MD} and {REPORT_JSON}: {len(self.entries)} outputs in {n_files} files, "
            f"all checked ({sum(e['n_suppressed'] for e in self.entries)} cells suppressed); "
            "nothing else is in output_dir"
        )

    def _report(self):
        files = [{"file": f, "sha256": s} for f, s in sorted(self._written.items())
                 if f not in (REPORT_MD, REPORT_JSON)]  # fmt: skip
        return {
            "notebook": self.notebook,
            "leokit_report_version": 1,
            "rules": {
                "threshold": self.threshold,
                "round_base": sdc.ROUND_BASE,
                "dominance": {"n": sdc.NK_N, "k": sdc.NK_K, "p": sdc.P_RATIO},
                "text": (
                    f"at least {self.threshold} units behind every shown cell; counts rounded "
                    f"to base {sdc.ROUND_BASE}; rates need {self.threshold} units with and "
                    f"{self.threshold} without the outcome; percentiles need {self.threshold} "
                    "units on each side; a cell whose units all share one value is suppressed "
                    f"(class disclosure); magnitudes pass dominance (n={sdc.NK_N}, "
                    f"k={sdc.NK_K:.0%}) and p% (p={sdc.P_RATIO:.0%}); no minima or maxima; "
                    f"model estimates rest on N >= {self.threshold} and residual degrees of "
                    f"freedom >= {self.threshold}; each output's own rules are listed with it"
                ),
            },
            "summary": {
                "outputs": len(self.entries),
                "pass": sum(e["status"] == "pass" for e in self.entries),
                "fail": sum(e["status"] == "fail" for e in self.entries),
                "cells_suppressed": sum(e["n_suppressed"] for e in self.entries),
                "other_files_in_output_dir": 0,
            },
            "outputs": self.entries,
            "files": files,
            "not_released": (
                "record-level files (estimation samples, and each table's microdata and "
                "specification in released/) are in work_dir, which is never handed to "
                "output checking"
            ),
        }

    def _markdown(self, doc):
        s = doc["summary"]
        lines = [
            f"# Output-checking report: {doc['notebook']}",
            "",
            f"{s['outputs']} outputs in {len(doc['files'])} files, written by leokit.release; "
            f"{s['pass']} pass, {s['fail']} fail; {s['cells_suppressed']} cells suppressed. "
            "output_dir holds nothing else (checked when this report was written).",
            "",
            "Rules: " + doc["rules"]["text"] + ".",
            "",
            "Smallest count: the fewest units behind any shown cell of the output, given as the "
            "tables give counts (rounded to base 5), never more exactly. Model estimates give N "
            "rounded to base 5 here; results.json holds each estimate's exact N, as regression "
            "output does.",
            "",
            "| file(s) | kind | status | cells | suppressed | smallest count |",
            "|---|---|---|---|---|---|",
        ]
        for e in doc["outputs"]:
            low = e["smallest_count"]
            lines.append(
                f"| {', '.join(e['files'])} | {e['kind']} | {e['status']} | {e['n_cells']} | "
                f"{e['n_suppressed']} | {'' if low is None else low} |"
            )
        for e in doc["outputs"]:
            lines += ["", f"## {e['name']} ({', '.join(e['files'])})", ""]
            if e["description"]:
                lines += [e["description"], ""]
            lines.append(f"Kind: {e['kind']}. Status: {e['status']}.")
            if e.get("public"):
                lines.append(f"Public data, no LEO records: {e['public']}.")
            for c in e["checks"]:
                low = c.get("smallest_count")
                lines.append(
                    f"- {c['title'] or 'table'} ({c.get('kind')}): rules {c['rules'] or 'n/a'}; "
                    f"{c['n_cells']} cells, {c['n_suppressed']} suppressed"
                    + ("" if low is None else f"; smallest count behind a cell {low}")
                )
                for x in c["suppressed"]:
                    lines.append(f"  - suppressed {x['cell']}: {x['reason']} ({x['detail']})")
                if c.get("spec", {}).get("microdata"):
                    lines.append(
                        f"  - microdata and specification kept in work_dir: {c['spec']['microdata']}"
                    )
            if e.get("models"):
                lines.append(f"- model estimates ({e['model_rules']}):")
                for m in e["models"]:
                    parts = [f"N about {m['n_rounded']:,}"] if "n_rounded" in m else []
                    if "n_clusters" in m:
                        parts.append(f"{m['n_clusters']} clusters")
                    if "dof_at_least_threshold" in m:
                        parts.append(
                            "dof >= threshold" if m["dof_at_least_threshold"] else "dof too small"
                        )
                    if "n_left_rounded" in m:
                        parts.append(
                            f"about {m['n_left_rounded']:,} / {m['n_right_rounded']:,} each side"
                        )
                    lines.append(f"  - {m['name']}: " + ", ".join(parts))
            if e.get("copied_from_tables"):
                lines.append("- estimates copied from the released table(s) "
                             + ", ".join(e["copied_from_tables"]) + ", checked there")  # fmt: skip
        lines += ["", "## Files and checksums (sha256)", ""]
        lines += [f"- {f['file']}: {f['sha256']}" for f in doc["files"]]
        lines += ["", "Not released: " + doc["not_released"] + ".", ""]
        return "\n".join(lines)
