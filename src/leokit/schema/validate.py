"""Full validation of tables and extracts against the registry, with pandera.

    from leokit.schema.validate import validate_table, validate_extract
    failures = validate_table(df, "hesa_2013")        # DataFrame, empty when valid
    report = validate_extract("data_synthetic")       # per view; report.ok, print(report)

Per concrete view: every registry column present, values of the column's kind, code lists
(NULL allowed where the column is nullable; '' where its missing-value convention says so),
lo/hi ranges, no NULLs in non-nullable columns, and unique keys where the view has a key.
`validate_extract` also checks the manifest: every table present with its row count and
content checksum. Current stack only (pandera); not part of the SRS profile.
"""

import os
from collections import OrderedDict

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from . import REGISTRY

__all__ = ["build_schema", "validate_table", "validate_extract", "ValidationReport"]

FAILURE_COLUMNS = ["view", "column", "check", "failure_case", "index"]


def _numeric_dtype(s):
    dt = s.dtype
    if isinstance(dt, np.dtype):
        return dt.kind in "iuf"
    return str(dt).startswith(("Int", "UInt", "Float"))


def _integer_dtype(s):
    dt = s.dtype
    if isinstance(dt, np.dtype):
        return dt.kind in "iu"
    return str(dt).startswith(("Int", "UInt"))


def _elementwise(s, ok):
    """Boolean Series: True where the value is NULL or passes `ok`."""
    vals = s.astype(object).to_numpy()
    null = pd.isna(vals)
    good = np.array([bool(n) or ok(v) for v, n in zip(vals, null)], dtype=bool)
    return pd.Series(good, index=s.index)


def _is_int(v):
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (int, np.integer)):
        return True
    return isinstance(v, (float, np.floating)) and float(v).is_integer()


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


def _is_date(v):
    import datetime

    return isinstance(v, (datetime.date, np.datetime64))


def _kind_check(kind):
    """A vectorised check when the dtype settles it; element by element only on failure."""

    def check(s):
        if kind in ("int", "flag"):
            if _integer_dtype(s):
                return True
            if _numeric_dtype(s):
                v = s.to_numpy(dtype="float64", na_value=np.nan)
                good = np.isnan(v) | (v == np.floor(v))
                return True if good.all() else pd.Series(good, index=s.index)
            return _elementwise(s, _is_int)
        if kind == "float":
            if _numeric_dtype(s):
                return True
            return _elementwise(s, _is_number)
        if kind == "date":
            if isinstance(s.dtype, np.dtype) and s.dtype.kind == "M":
                return True
            if _numeric_dtype(s):
                return _elementwise(s, lambda v: False)
            return _elementwise(s, _is_date)
        # text
        if _numeric_dtype(s) or (isinstance(s.dtype, np.dtype) and s.dtype.kind == "M"):
            return _elementwise(s, lambda v: False)
        if infer_dtype(s, skipna=True) in ("string", "empty"):
            return True
        return _elementwise(s, lambda v: isinstance(v, str))

    return check


def build_schema(view, year=None, registry=REGISTRY):
    """A pandera DataFrameSchema for one concrete view (a View + year, or a concrete name)."""
    import pandera.pandas as pa

    if isinstance(view, str):
        v = registry.view(view)
        if v.per_year and year is None:
            year = registry.year_of(view)
    else:
        v = view
    name = v.name_for(year) if v.per_year else v.name
    columns = OrderedDict()
    for c in v.columns_for(year):
        checks = [
            pa.Check(
                _kind_check(c.kind),
                name=f"kind_{c.kind}",
                error=f"kind_{c.kind}: expected {c.kind} ({c.sqltype})",
            )
        ]
        if c.codes:
            allowed = list(c.codes)
            if c.kind == "str" and "''" in (c.missing or "") and "" not in allowed:
                allowed.append("")
            checks.append(pa.Check.isin(allowed))
        if c.lo is not None or c.hi is not None:
            if c.lo is not None and c.hi is not None:
                checks.append(pa.Check.in_range(c.lo, c.hi))
            elif c.lo is not None:
                checks.append(pa.Check.ge(c.lo))
            else:
                checks.append(pa.Check.le(c.hi))
        columns[c.name_for(year)] = pa.Column(
            None, checks=checks, nullable=bool(c.nullable), required=True
        )
    unique = None
    if v.key:
        unique = [v.column(k, year).name_for(year) for k in v.key]
    return pa.DataFrameSchema(
        columns, unique=unique, report_duplicates="all", strict=False, name=name
    )


def _registry_casing(df, v, year):
    rename = {}
    have = {str(c).lower(): c for c in df.columns}
    for c in v.columns_for(year):
        real = c.name_for(year)
        hit = have.get(real.lower()) or have.get(real.lower()[:32])
        if hit is not None and hit != real:
            rename[hit] = real
    return df.rename(columns=rename) if rename else df


def validate_table(df, view_name, lazy=True, registry=REGISTRY, year=None):
    """Validate one concrete view's frame; a DataFrame of failures (empty when valid).

    Columns of the result: view, column, check, failure_case, index. With lazy=False the
    first failure raises pandera's SchemaError instead.
    """
    import pandera.pandas as pa

    v = registry.view(view_name)
    if v.per_year and year is None:
        year = registry.year_of(view_name)
    name = v.name_for(year) if v.per_year else v.name
    schema = build_schema(v, year, registry)
    frame = _registry_casing(df, v, year)
    try:
        schema.validate(frame, lazy=lazy)
    except pa.errors.SchemaErrors as e:
        fc = e.failure_cases
        out = pd.DataFrame(
            {
                "view": name,
                "column": fc["column"].astype(object).where(fc["column"].notna(), None),
                "check": fc["check"].astype(str),
                "failure_case": fc["failure_case"].astype(object),
                "index": fc["index"].astype(object),
            }
        )
        absent = out["check"] == "column_in_dataframe"
        out.loc[absent, "column"] = out.loc[absent, "failure_case"]
        out.loc[absent, "failure_case"] = "column missing"
        return out.reset_index(drop=True)[FAILURE_COLUMNS]
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in FAILURE_COLUMNS})


class ValidationReport(OrderedDict):
    """view name -> DataFrame of failures (empty when the view passed).

    missing_views  views of the registry the extract lacks that were allowed to be missing
                   (``validate_extract(..., allow_missing_views=True)``), listed by summary()
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.missing_views = []

    @property
    def ok(self):
        return all(len(f) == 0 for f in self.values())

    def failures(self):
        """All failures in one frame."""
        frames = [f for f in self.values() if len(f)]
        if not frames:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in FAILURE_COLUMNS})
        return pd.concat(frames, ignore_index=True)

    def summary(self, max_cases=5):
        bad = [(k, f) for k, f in self.items() if len(f)]
        lines = [f"{len(self)} views checked: {len(self) - len(bad)} passed, {len(bad)} failed"]
        for view, f in bad:
            lines.append(f"- {view}: {len(f)} failure(s)")
            keyed = f.assign(
                column=f["column"].map(lambda c: "(table)" if c is None or c != c else c)
            )
            for (col, check), g in keyed.groupby(["column", "check"], sort=False):
                cases = ", ".join(repr(x) for x in g["failure_case"].head(max_cases))
                more = f" (+{len(g) - max_cases} more)" if len(g) > max_cases else ""
                lines.append(f"    {col}: {check}: {cases}{more}")
        if self.missing_views:
            lines.append(
                f"{len(self.missing_views)} registry view(s) absent (allowed): "
                + ", ".join(self.missing_views)
            )
        return "\n".join(lines)

    def __str__(self):
        return self.summary()


def _row(view, column, check, case):
    return pd.DataFrame(
        {
            "view": [view],
            "column": [column],
            "check": [check],
            "failure_case": [case],
            "index": [None],
        }
    )


def _is_folder(path):
    return isinstance(path, (str, os.PathLike)) and os.path.isdir(os.fspath(path))


def _manifest_of(path, require):
    """The folder's manifest (None when it has none and none is required); ExtractError when
    one is required and missing, or when it is not an extract manifest leokit wrote."""
    from leokit.extract import MANIFEST, WRITING_MARK, ExtractError, read_manifest

    folder = os.fspath(path)
    if not os.path.isfile(os.path.join(folder, MANIFEST)):
        if os.path.exists(os.path.join(folder, WRITING_MARK)):
            raise ExtractError(
                f"{folder} is the temporary folder of a `leokit synth` that was interrupted or "
                f"is still running (no {MANIFEST} yet): not an extract"
            )
        if require:
            raise ExtractError(
                f"{folder} has no {MANIFEST}, so it is not a complete extract written by leokit "
                "(an interrupted generation leaves none); to check views you exported "
                "yourself, pass --no-manifest (require_manifest=False)"
            )
        return None
    m = read_manifest(folder)
    tables = m.get("tables") if isinstance(m, dict) else None
    entries_ok = isinstance(tables, dict) and all(
        isinstance(e, dict) and {"file", "rows", "sha256"} <= set(e) for e in tables.values()
    )
    if not entries_ok:
        raise ExtractError(
            f"{os.path.join(folder, MANIFEST)} is not an extract manifest written by leokit "
            "(expected 'tables' with file, rows and sha256 for each view)"
        )
    return m


def _file_failures(folder, manifest):
    """Rows for files whose size differs from the manifest's `files` (truncated, changed)."""
    out = []
    files = manifest.get("files")
    if not isinstance(files, dict):
        return out
    by_file = {}
    for name, entry in manifest["tables"].items():
        by_file.setdefault(entry.get("file"), name)
    for fname, entry in files.items():
        if fname not in by_file:  # text files (data card, truth) may get other line endings
            continue
        want = entry.get("bytes") if isinstance(entry, dict) else None
        path = os.path.join(folder, str(fname))
        if want is None or not os.path.isfile(path):
            continue
        have = os.path.getsize(path)
        if have != want:
            view = by_file.get(fname, "(extract)")
            case = f"{fname}: {have} bytes, the manifest says {want} (truncated or changed)"
            out.append((view, _row(view, None, "manifest_file_size", case)))
    return out


def _registry_gaps(registry, present):
    """Registry views of which the extract has nothing (a per-year family counts as present
    when it has any year)."""
    missing = []
    for v in registry:
        names = [v.name_for(y) for y in v.all_years()]
        if not any(n.lower() in present for n in names):
            missing.append(v.family if v.per_year else v.name)
    return missing


def validate_extract(
    path, registry=REGISTRY, schema=None, require_manifest=None, allow_missing_views=False
):
    """Validate every view of an extract (folder or connection); a ValidationReport.

    A folder needs leokit's manifest.json (require_manifest, default True for a folder and
    False for a database connection): every view it lists must be there with its row count,
    content checksum and file size, and every view there must be listed. Without a manifest
    every view of the registry must be there (a per-year view in at least one year), unless
    `allow_missing_views`: then the absent ones are listed in `report.missing_views`.
    A file that cannot be read fails its view ("readable", naming the file). Raises
    leokit.extract.ExtractError when the folder cannot be checked at all: it does not exist,
    has no manifest although one is required, or its manifest is not leokit's.
    """
    from leokit.extract import ExtractError, content_sha256
    from leokit.extract import open as open_extract

    report = ValidationReport()
    folder = _is_folder(path)
    manifest = None
    if folder:
        manifest = _manifest_of(path, True if require_manifest is None else require_manifest)
    elif require_manifest:
        raise ExtractError(f"{path!r} is not a folder, so it has no manifest to check")
    ex = open_extract(path, schema=schema, registry=registry)
    try:
        listed = (manifest or {}).get("tables") or {}
        present_names = ex.views()
        present = {n.lower() for n in present_names}
        listed_low = {n.lower() for n in listed}
        for name in present_names:
            try:
                registry.view(name)
            except KeyError:
                report[name] = _row(name, None, "view_in_registry", name)
                continue
            parts = []
            try:
                df = ex.read(name, validate=False)
            except ExtractError as e:
                report[name] = _row(name, None, "readable", str(e))
                continue
            parts.append(validate_table(df, name, registry=registry))
            entry = listed.get(name)
            if manifest is not None and name.lower() not in listed_low:
                parts.append(
                    _row(name, None, "manifest_lists_view", f"{name} is not in the manifest")
                )
            if entry is not None:
                if int(entry.get("rows", -1)) != len(df):
                    parts.append(_row(name, None, "manifest_rows", f"{len(df)} != {entry['rows']}"))
                try:
                    digest = content_sha256(df, name, registry=registry)
                except ExtractError as e:
                    digest = f"not computable: {e}"
                if digest != entry.get("sha256"):
                    parts.append(_row(name, None, "manifest_sha256", digest))
            report[name] = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        for name, entry in listed.items():
            if name.lower() not in present:
                case = f"listed in the manifest, but {entry.get('file', name)} is not there"
                report[name] = _row(name, None, "manifest_table_present", case)
        if manifest is not None and folder:
            for view, row in _file_failures(os.fspath(path), manifest):
                before = report.get(view)
                report[view] = (
                    row if before is None else pd.concat([before, row], ignore_index=True)
                )
        if manifest is None:
            gaps = _registry_gaps(registry, present)
            if allow_missing_views:
                report.missing_views = gaps
            else:
                for name in gaps:
                    case = "not in the folder (--allow-missing-views lists it instead)"
                    report[name] = _row(name, None, "registry_view_present", case)
    finally:
        ex.close()
    return report
