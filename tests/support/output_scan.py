"""Scan an executed notebook and its output folder for record-level data.

    problems = scan_notebook(nb, key_values(extract_folder))   # [] when clean
    problems = scan_output_dir(output_dir, key_values(extract_folder))

The rules (each problem names the cell or file and the rule):

* **Key columns.** The person and employer keys are taken from the schema registry, not from a
  hand list (``key_columns``): every column of the AE_ID lookups (AE_ID, the pupil matching
  reference, EDUKEY), the identifying key of every other view that is not a public lookup
  (EDUKEY, ENTKEY, the UCAS applicant and application ids; years and cycles left out), every
  column whose name ends with one of those (HE_PUPILMATCHINGREFANONYMOUS, EduKey, ...) and
  every column whose meaning says it holds an IDBR ENTKEY (leo_earnings.main_enterprise). An
  HTML table with such a column header, a CSV / Parquet file with such a column, or a JSON
  document with such a key fails. Printed text (``to_string``, a plain repr) has no reliable
  header line, so it is checked by value: any token of any output that is a value of one of
  those columns in the extract (an AE_ID, a PMR, an EDUKEY, an ENTKEY, a UCAS id) fails.
* **Rows.** No displayed or printed table may have more than ``MAX_ROWS`` = 60 rows, more than
  any summary in these notebooks needs: pandas' "[N rows x M columns]" footer or the HTML
  "N rows × M columns" caption with N > 60, an HTML table body with more than 60 ``<tr>``, or
  more than 60 consecutive table-like lines (two or more fields) in one output.
* **The output folder** holds the output-checking report (output_check.md and .json) and
  exactly the files it lists, no Parquet file, and no file carrying a key column or key value.

``recheck(work_dir, output_dir)`` checks the released tables again from the microdata and
specification leokit.release keeps in work_dir, with plain pandas rather than leokit.sdc: no
shown cell of a count or statistic rests on fewer than 10 units, and no shown rate of a 0/1
outcome has fewer than 10 units with it or without it.
"""

import csv
import functools
import json
import re
from pathlib import Path

MAX_ROWS = 60
REPORT_FILES = ("output_check.md", "output_check.json")

_FOOTER = re.compile(r"\[(\d+) rows x (\d+) columns\]")
_HTML_CAPTION = re.compile(r"(\d+) rows × (\d+) columns")
_TH = re.compile(r"<th[^>]*>(.*?)</th>", re.S | re.I)
_TBODY = re.compile(r"<tbody>(.*?)</tbody>", re.S | re.I)
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_TIME_KEYS = {"taxyear", "sourceyear", "application_cycle"}


@functools.lru_cache(maxsize=None)
def key_columns():
    """Person and employer key column names from the schema registry (see the module doc)."""
    from leokit.schema import REGISTRY

    names = set()
    for view in REGISTRY:
        if view.name.startswith("learner_ae_id_to_"):
            names.update(c.name for c in view.columns)
        elif view.key and not view.name.startswith("lookup_"):
            names.update(k for k in view.key if k.lower() not in _TIME_KEYS)
    stems = {n.lower() for n in names}
    for view in REGISTRY:
        for col in view.columns:
            low = col.name.lower()
            if any(low.endswith(s) for s in stems) or re.search(r"\bENTKEY\b", col.meaning or ""):
                names.add(col.name)
    return frozenset(names)


def _key_sources():
    """{view: [key columns]} for the views that identify people and employers."""
    from leokit.schema import REGISTRY

    keys = {k.lower() for k in key_columns()}
    out = {}
    for view in REGISTRY:
        if view.per_year:
            continue
        wanted = [c.name for c in view.columns if c.name.lower() in keys]
        if view.name.startswith("learner_ae_id_to_") or (view.key and set(wanted) & set(view.key)):
            out[view.name] = [
                c for c in wanted if view.name.startswith("learner_") or c in view.key
            ]
    return out


@functools.lru_cache(maxsize=8)
def key_values(extract):
    """Every value of a key column in the extract (as text), for the value scan."""
    from leokit import extract as lx

    ex = lx.open_extract(str(extract))
    values = set()
    for view, columns in _key_sources().items():
        if not ex.has(view):
            continue
        frame = ex.read(view, columns=columns, validate=False)
        for col in columns:
            values.update(str(v) for v in frame[col].dropna().unique())
    return frozenset(v for v in values if len(v) >= 6)


def _is_key(name):
    return str(name).strip().lower() in {k.lower() for k in key_columns()}


def _table_like(line):
    return len(line.split()) >= 2


def _text_problems(where, text, values):
    problems = []
    for m in _FOOTER.finditer(text):
        if int(m.group(1)) > MAX_ROWS:
            problems.append(f"{where}: a table of {m.group(1)} rows ({m.group(0)})")
    run = longest = 0
    for line in text.splitlines():
        run = run + 1 if _table_like(line) else 0
        longest = max(longest, run)
    if longest > MAX_ROWS:
        problems.append(f"{where}: {longest} consecutive table lines (more than {MAX_ROWS})")
    if values:
        hits = sorted({t for t in _TOKEN.findall(text) if t in values})
        if hits:
            problems.append(f"{where}: shows {len(hits)} person or employer key value(s)")
    return problems


def _html_problems(where, html):
    problems = []
    heads = [re.sub(r"<[^>]+>", "", h).strip() for h in _TH.findall(html)]
    keys = sorted({h for h in heads if _is_key(h)})
    if keys:
        problems.append(f"{where}: an HTML table with key column(s) {keys}")
    for m in _HTML_CAPTION.finditer(html):
        if int(m.group(1)) > MAX_ROWS:
            problems.append(f"{where}: an HTML table of {m.group(1)} rows")
    for body in _TBODY.findall(html):
        rows = len(re.findall(r"<tr", body, re.I))
        if rows > MAX_ROWS:
            problems.append(f"{where}: an HTML table body of {rows} rows")
    return problems


def scan_notebook(nb, values=frozenset()):
    """Problems in every output of every code cell of an executed notebook (nbformat node)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        for j, out in enumerate(cell.get("outputs", [])):
            where = f"cell {i} output {j}"
            kind = out.get("output_type")
            if kind == "stream":
                problems += _text_problems(where, out.get("text", ""), values)
            elif kind == "error":
                text = "\n".join([out.get("evalue", "")] + list(out.get("traceback", [])))
                problems += _text_problems(where, text, values)
            else:
                data = out.get("data", {})
                text = data.get("text/plain", "")
                problems += _text_problems(where, "".join(text) if isinstance(text, list) else text, values)  # fmt: skip
                html = data.get("text/html", "")
                if html:
                    problems += _html_problems(where, "".join(html) if isinstance(html, list) else html)  # fmt: skip
    return problems


def _json_keys(doc):
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield k
            yield from _json_keys(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _json_keys(v)


def scan_output_dir(folder, values=frozenset()):
    """Problems with the files in an output folder (see the module doc)."""
    folder = Path(folder)
    present = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    problems = [f"{name}: the output-checking report is missing" for name in REPORT_FILES
                if name not in present]  # fmt: skip
    if "output_check.json" in present:
        report = json.loads((folder / "output_check.json").read_text())
        listed = {f["file"] for f in report.get("files", [])} | set(REPORT_FILES)
        problems += [f"{name}: in output_dir but not in the report" for name in present
                     if name not in listed]  # fmt: skip
        problems += [f"{name}: listed in the report but missing" for name in sorted(listed)
                     if name not in present]  # fmt: skip
    for name in present:
        path = folder / name
        if name.endswith(".parquet"):
            problems.append(f"{name}: a Parquet file (record-level data) in output_dir")
            try:
                import pyarrow.parquet as pq

                columns = pq.read_schema(path).names
            except Exception:  # noqa: BLE001 - unreadable is reported above anyway
                columns = []
            keys = [c for c in columns if _is_key(c)]
            if keys:
                problems.append(f"{name}: key column(s) {keys}")
        elif name.endswith(".csv"):
            with open(path, newline="", encoding="utf-8") as f:
                header = next(csv.reader(f), [])
            keys = [c for c in header if _is_key(c)]
            if keys:
                problems.append(f"{name}: key column(s) {keys}")
            text = path.read_text(encoding="utf-8")
            problems += [p for p in _text_problems(name, text, values) if "key value" in p]
        elif name.endswith(".json"):
            text = path.read_text(encoding="utf-8")
            keys = sorted({k for k in _json_keys(json.loads(text)) if _is_key(k)})
            if keys:
                problems.append(f"{name}: key(s) {keys}")
            problems += [p for p in _text_problems(name, text, values) if "key value" in p]
        elif name.endswith(".md"):
            text = path.read_text(encoding="utf-8")
            problems += [p for p in _text_problems(name, text, values) if "key value" in p]
    return problems


def _cell_label(by, key):
    key = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{b}={k}" for b, k in zip(by, key))


def _units(frame, by, unit):
    """Units (distinct ``unit`` values, or rows) in each cell of ``by``."""
    grouped = frame.groupby(by[0] if len(by) == 1 else by, observed=True)
    return grouped[unit].nunique() if unit else grouped.size()


def recheck(work_dir, output_dir, threshold=10):
    """Problems found by checking the released tables again (see the module doc)."""
    import pandas as pd

    problems = []
    report = json.loads((Path(output_dir) / "output_check.json").read_text())
    for entry in report["outputs"]:
        for check in entry["checks"]:
            spec = check.get("spec") or {}
            if spec.get("function") not in ("safe_counts", "safe_stat") or "microdata" not in spec:
                continue
            path = Path(work_dir) / spec["microdata"]
            micro = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
            by = [spec["by"]] if isinstance(spec["by"], str) else list(spec["by"])
            unit, value = spec.get("unit"), spec.get("value")
            data = micro.dropna(subset=[value]) if value else micro
            data = data.dropna(subset=by)  # missing categories: checked by leokit.sdc's own tests

            n = _units(data, by, unit)
            hidden = {x["cell"] for x in check["suppressed"]}
            where = f"{entry['name']}: {check['title']}"
            shown_small = [
                k for k, v in n.items() if v < threshold and _cell_label(by, k) not in hidden
            ]
            if shown_small:
                problems.append(
                    f"{where}: {len(shown_small)} cell(s) under {threshold} units shown"
                )
            if (
                value
                and set(pd.unique(data[value])) <= {0, 1}
                and spec.get("stat") in ("mean", "rate")
            ):
                with_ = _units(data[data[value] == 1], by, unit).reindex(n.index, fill_value=0)
                bad = [k for k in n.index if min(with_[k], n[k] - with_[k]) < threshold
                       and _cell_label(by, k) not in hidden]  # fmt: skip
                if bad:
                    problems.append(f"{where}: {len(bad)} rate(s) shown with fewer than "
                                    f"{threshold} units with or without the outcome")  # fmt: skip
    return problems
