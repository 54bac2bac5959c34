"""Validate a whole extract (a folder or a connection): every view against the registry
with pandera, and the folder against its manifest.

    from leokit.extract.validate import validate_extract
    report = validate_extract("data_synthetic")       # per view; report.ok, print(report)

Per view, leokit.schema.validate.validate_table's checks; then the manifest: every table
present with its row count, content checksum and file size, and nothing unlisted.

Current stack only (pandera): not SRS-bound, and not loaded by ``import leokit.extract``.
"""

import os
from collections import OrderedDict

import pandas as pd

from leokit.extract.checksum import content_sha256
from leokit.extract.formats import MANIFEST, WRITING_MARK, ExtractError, read_manifest
from leokit.extract.opening import open_extract
from leokit.schema import REGISTRY
from leokit.schema.validate import FAILURE_COLUMNS, validate_table

__all__ = ["validate_extract", "ValidationReport"]


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
