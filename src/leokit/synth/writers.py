"""Write an extract: one file per concrete view (Parquet, CSV, Stata) or DuckDB databases.

    from leokit.synth.writers import write_extract
    write_extract(world.tables, "data_synthetic", fmt="parquet",
                  truth=world.truth, params=world.params)

Everything is written into a hidden temporary sibling folder and renamed into place at the
end, so a failure leaves `out` as it was. An existing `out` is replaced only when it is empty
or a previous extract (it holds a manifest.json); anything else is refused.

Formats
  parquet  <view>.parquet, zstd, dates as date32, no pandas metadata: same bytes for the same
           tables (with the same pyarrow)
  csv      <view>.csv, UTF-8, ISO dates, empty field for NULL (and for '': CSV cannot tell)
  dta      <view>.dta (Stata 14+, format 118): dates as %td, value labels for integer code
           lists, variable labels from the registry; names longer than 32 characters are cut
           to 32 (the manifest records it; leokit.extract maps them back)
  duckdb   LEO_i2.duckdb, NPD_i2.duckdb, HESA_i2.duckdb, each with the project schema, so
           after ``leokit.extract.connect_duckdb(out)`` the SRS names resolve:
           ``SELECT * FROM LEO_i2.leo_synth.leo_earnings``

manifest.json (always): per table rows, columns, kinds and a content checksum that does not
depend on the format or library versions (`leokit.extract.content_sha256`); seed, scale,
generator version, format, schema, leokit version. truth.json when `truth` is given.
"""

import datetime
import json
import os
import shutil
import tempfile
import uuid
from collections import OrderedDict

import numpy as np
import pandas as pd

from leokit.extract import (
    FILE_SUFFIX,
    FORMATS,
    MANIFEST,
    STATA_MAX_NAME,
    ExtractError,
    _date_days,
    conform,
    content_sha256,
    read_manifest,
)
from leokit.schema import DEFAULT_SCHEMA, REGISTRY

__all__ = [
    "write_extract",
    "read_manifest",
    "check_target",
    "WriteError",
    "FORMATS",
    "TRUTH",
]

TRUTH = "truth.json"
_EPOCH = datetime.date(1970, 1, 1)
_STATA_EPOCH = datetime.date(1960, 1, 1)
_STATA_TIME_STAMP = datetime.datetime(2000, 1, 1)
_STATA_STR_MAX = 2045


class WriteError(ValueError):
    """The extract cannot be written where or as asked."""


def _leokit_version():
    try:
        from importlib.metadata import version

        return version("leokit")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        return "unknown"


def _json(obj):
    def default(o):
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return float(o)
        if isinstance(o, np.bool_):
            return bool(o)
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, (datetime.date, datetime.datetime)):
            return o.isoformat()
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        raise TypeError(f"{type(o).__name__} is not JSON serialisable")

    return json.dumps(obj, sort_keys=True, indent=2, default=default, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------ checks
def check_target(out):
    """Raise WriteError unless `out` can receive an extract (new, empty, or a previous one)."""
    out = os.path.abspath(os.fspath(out))
    if os.path.exists(out):
        if not os.path.isdir(out):
            raise WriteError(f"cannot write the extract to {out}: it is a file, expected a folder")
        entries = os.listdir(out)
        if entries and MANIFEST not in entries:
            raise WriteError(
                f"refusing to write into {out}: the folder is not empty and holds no "
                f"{MANIFEST}, so it is not a previous extract; choose a new or empty folder"
            )
    probe = os.path.dirname(out)
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe):
        raise WriteError(f"cannot write the extract to {out}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise WriteError(f"cannot write the extract to {out}: {probe} is not writable")
    return out


def _prepare(tables, registry):
    """[(name, view, year, frame in read form)] in the given order; WriteError if malformed."""
    out = []
    for name, df in tables.items():
        try:
            v = registry.view(name)
        except KeyError:
            raise WriteError(f"table {name!r} is not a view the schema registry knows") from None
        year = registry.year_of(name) if v.per_year else None
        if v.per_year and (year is None or not v.years[0] <= year <= v.years[1]):
            raise WriteError(f"table {name!r}: {v.name} exists for years {v.years[0]}-{v.years[1]}")
        expected = [c.name_for(year) for c in v.columns_for(year)]
        have = {str(c).lower(): c for c in df.columns}
        missing = [c for c in expected if c.lower() not in have]
        extra = [c for c in df.columns if str(c).lower() not in {e.lower() for e in expected}]
        if missing or extra:
            raise WriteError(
                f"table {name!r} does not match the registry: "
                + "; ".join(
                    p
                    for p in (
                        "missing columns " + ", ".join(missing) if missing else "",
                        "unexpected columns " + ", ".join(map(str, extra)) if extra else "",
                    )
                    if p
                )
            )
        frame = df[[have[c.lower()] for c in expected]]
        try:
            frame = conform(frame, v, year, registry=registry, where=f"table {name!r}")
        except ExtractError as e:
            raise WriteError(str(e)) from None
        out.append((name, v, year, frame.reset_index(drop=True)))
    return out


# ------------------------------------------------------------------------------ helpers
def _days(s, epoch=_EPOCH):
    """Object column of datetime.date/None -> (int64 days since epoch, NULL mask)."""
    return _date_days(s, epoch)


def _arrow_table(df, v, year, name):
    import pyarrow as pa

    arrays, fields = [], []
    for c in v.columns_for(year):
        col = c.name_for(year)
        s = df[col]
        if c.kind in ("int", "flag"):
            mask = s.isna().to_numpy(dtype=bool)
            vals = s.to_numpy(dtype="int64", na_value=0) if mask.any() else s.to_numpy("int64")
            arr = pa.array(vals, type=pa.int64(), mask=mask if mask.any() else None)
        elif c.kind == "float":
            arr = pa.array(s.to_numpy(dtype="float64"), type=pa.float64(), from_pandas=True)
        elif c.kind == "date":
            days, mask = _days(s)
            arr = pa.array(days.astype("int32"), type=pa.int32(), mask=mask).cast(pa.date32())
        else:
            arr = pa.array(s.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        arrays.append(arr)
        meta = {"sqltype": c.sqltype, "kind": c.kind}
        fields.append(pa.field(col, arr.type, nullable=True, metadata=meta))
    schema = pa.schema(fields, metadata={"leokit.view": name})
    return pa.Table.from_arrays(arrays, schema=schema)


def _stata_names(v, year):
    """Registry name -> Stata name (cut to 32 characters where longer)."""
    names = OrderedDict()
    for c in v.columns_for(year):
        n = c.name_for(year)
        names[n] = n[:STATA_MAX_NAME]
    cut = list(names.values())
    dupes = sorted({n for n in cut if cut.count(n) > 1})
    if dupes:
        raise WriteError(
            f"view {v.name}: columns collide when cut to Stata's 32 characters: {', '.join(dupes)}"
        )
    return names


# ------------------------------------------------------------------------------ formats
def _write_parquet(df, v, year, name, folder):
    import pyarrow.parquet as pq

    path = os.path.join(folder, name + FILE_SUFFIX["parquet"])
    pq.write_table(_arrow_table(df, v, year, name), path, compression="zstd")


def _write_csv(df, v, year, name, folder):
    out = df.copy()
    for c in v.columns_for(year):
        if c.kind == "date":
            col = c.name_for(year)
            codes, uniques = pd.factorize(out[col])
            lookup = np.array([u.isoformat() for u in uniques] + [""], dtype=object)
            out[col] = lookup[codes]
    path = os.path.join(folder, name + FILE_SUFFIX["csv"])
    out.to_csv(path, index=False, na_rep="", lineterminator="\n", encoding="utf-8")


def _write_dta(df, v, year, name, folder):
    from pandas.io.stata import StataWriterUTF8

    class _Writer(StataWriterUTF8):
        """Marks day counts as %td (pandas' own date path stops at 2262, 9999-12-31 does not)."""

        def __init__(self, *args, td=(), **kwargs):
            self._leokit_td = set(td)
            super().__init__(*args, **kwargs)

        def _prepare_pandas(self, data):
            super()._prepare_pandas(data)
            for i, col in enumerate(self.varlist):
                if col in self._leokit_td:
                    self.fmtlist[i] = "%td"

    names = _stata_names(v, year)
    data = OrderedDict()
    td, labels, var_labels, strl = [], {}, {}, []
    for c in v.columns_for(year):
        col = c.name_for(year)
        sname = names[col]
        s = df[col]
        if c.kind == "date":
            days, mask = _days(s, _STATA_EPOCH)
            vals = days.astype("float64")
            vals[mask] = np.nan
            data[sname] = vals
            td.append(sname)
        elif c.kind in ("int", "flag"):
            data[sname] = s.to_numpy(dtype="float64", na_value=np.nan) if s.isna().any() else s
            if c.codes and all(isinstance(k, int) and not isinstance(k, bool) for k in c.codes):
                labels[sname] = {int(k): str(lab)[:32000] for k, lab in c.codes.items()}
        elif c.kind == "float":
            data[sname] = s
        else:
            vals = s.to_numpy(copy=True)
            vals[pd.isna(vals)] = ""
            data[sname] = vals
            if len(vals) and max(len(x.encode("utf-8")) for x in vals) > _STATA_STR_MAX:
                strl.append(sname)
        var_labels[sname] = (c.meaning or "")[:80]
    frame = pd.DataFrame(data)
    path = os.path.join(folder, name + FILE_SUFFIX["dta"])
    writer = _Writer(
        path,
        frame,
        write_index=False,
        time_stamp=_STATA_TIME_STAMP,
        data_label=name[:80],
        variable_labels=var_labels,
        value_labels=labels or None,
        convert_strl=strl or None,
        td=td,
    )
    writer.write_file()


def _write_duckdb(prepared, folder, schema, progress_bar):
    import duckdb

    def q(ident):
        return '"' + str(ident).replace('"', '""') + '"'

    by_db = OrderedDict()
    for item in prepared:
        by_db.setdefault(item[1].database, []).append(item)
    for db, items in by_db.items():
        con = duckdb.connect(os.path.join(folder, db + FILE_SUFFIX["duckdb"]))
        try:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {q(schema)}")
            for name, v, year, df in items:
                arrow = _arrow_table(df, v, year, name)
                con.register("__leokit_table", arrow)
                con.execute(f"CREATE TABLE {q(schema)}.{q(name)} AS SELECT * FROM __leokit_table")
                con.unregister("__leokit_table")
                progress_bar.update(1)
        finally:
            con.close()


_FILE_WRITERS = {"parquet": _write_parquet, "csv": _write_csv, "dta": _write_dta}


# ------------------------------------------------------------------------------ manifest
def _manifest(prepared, fmt, schema, params, truth_written):
    params = dict(params or {})
    tables = OrderedDict()
    for name, v, year, df in prepared:
        entry = OrderedDict()
        entry["view"] = v.name
        entry["year"] = year
        entry["database"] = v.database
        entry["srs_name"] = f"{v.database}.{schema}.{name}"
        if fmt == "duckdb":
            entry["file"] = v.database + FILE_SUFFIX["duckdb"]
        else:
            entry["file"] = name + FILE_SUFFIX[fmt]
        entry["rows"] = int(len(df))
        entry["columns"] = [c.name_for(year) for c in v.columns_for(year)]
        entry["kinds"] = [c.kind for c in v.columns_for(year)]
        entry["sha256"] = content_sha256(df, v, year, _conformed=True)
        if fmt == "dta":
            cut = {k: s for k, s in _stata_names(v, year).items() if k != s}
            if cut:
                entry["stata_names"] = cut
        tables[name] = entry
    m = OrderedDict()
    m["leokit_version"] = _leokit_version()
    m["format"] = fmt
    m["schema"] = schema
    m["seed"] = params.get("seed")
    m["scale"] = params.get("scale")
    m["generator_version"] = params.get("generator_version")
    m["params"] = params
    m["truth"] = TRUTH if truth_written else None
    m["checksum"] = (
        "leokit.extract.content_sha256: column names and kinds, then each column's values "
        "(ints as int64 + NULL mask, floats as float64, dates as days since 1970-01-01 + NULL "
        "mask, text as UTF-8 with NULL and '' alike); the same for every format"
    )
    m["tables"] = tables
    return m


# ------------------------------------------------------------------------------ the writer
def write_extract(
    tables,
    out,
    fmt="parquet",
    truth=None,
    params=None,
    progress=False,
    schema=DEFAULT_SCHEMA,
    registry=REGISTRY,
    extra_files=None,
):
    """Write `tables` (concrete view name -> DataFrame) to the folder `out`; return the manifest.

    fmt          parquet | csv | dta | duckdb
    truth        dict written to truth.json (sorted keys, indent 2)
    params       generator parameters (scale, seed, generator_version) for the manifest
    schema       project schema name used for the DuckDB databases and SRS names
    extra_files  {file name: text, or a function manifest -> text} written alongside
                 (the CLI uses it for the data card README.md)
    """
    if fmt not in FORMATS:
        raise WriteError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if not schema or not isinstance(schema, str):
        raise WriteError(f"schema must be a non-empty name, got {schema!r}")
    out = check_target(out)
    prepared = _prepare(tables, registry)
    manifest = _manifest(prepared, fmt, schema, params, truth is not None)
    parent = os.path.dirname(out)
    base = os.path.basename(out)
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as e:
        raise WriteError(f"cannot write the extract to {out}: {e.strerror}") from None
    tmp = tempfile.mkdtemp(prefix=f".{base}.tmp-", dir=parent)
    try:
        os.chmod(tmp, 0o755)
        from tqdm.auto import tqdm

        with tqdm(
            total=len(prepared), desc=f"writing {fmt}", unit="table", disable=not progress
        ) as bar:
            if fmt == "duckdb":
                _write_duckdb(prepared, tmp, schema, bar)
            else:
                for name, v, year, df in prepared:
                    bar.set_postfix_str(name, refresh=False)
                    _FILE_WRITERS[fmt](df, v, year, name, tmp)
                    bar.update(1)
        if truth is not None:
            _write_text(os.path.join(tmp, TRUTH), _json(truth))
        for fname, content in (extra_files or {}).items():
            text = content(manifest) if callable(content) else content
            _write_text(os.path.join(tmp, fname), text)
        _write_text(os.path.join(tmp, MANIFEST), _json(manifest))
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return json.loads(_json(manifest))


def _write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def _swap(tmp, out):
    """Rename the finished folder into place; a previous extract is replaced, else kept."""
    if not os.path.exists(out):
        os.rename(tmp, out)
        return
    old = os.path.join(os.path.dirname(out), f".{os.path.basename(out)}.old-{uuid.uuid4().hex[:8]}")
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
