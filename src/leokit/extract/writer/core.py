"""Write an extract: one file per concrete view (Parquet, CSV, Stata) or DuckDB databases.

    from leokit.extract.writer import write_extract
    write_extract(world.tables, "data_synthetic", fmt="parquet",
                  truth=world.truth, params=world.params)

or, table by table as a generator makes them (then no more than a few tables are in memory):

    with ExtractWriter("data_synthetic", fmt="parquet") as w:
        world = generate(scale, seed, sink=w.add)
        w.finish(truth=world.truth, params=world.params)

Everything is written into a hidden temporary sibling folder (``.<out>.tmp-<pid>-<random>``,
marked as leokit's by a file inside it) and renamed into place at the end, so a failure or an
interruption leaves `out` as it was (leokit.extract.writer.target). The formats are
leokit.extract.writer.files; the single pass that checksums and converts each table is
leokit.extract.writer.encode.

manifest.json (always): per table rows, columns, kinds and a content checksum that does not
depend on the format or library versions (`leokit.extract.content_sha256`); seed, scale,
generator version, format, schema, leokit version; `written_by` and `files` (every other file
written, with its size, and the SHA-256 of the text files) so that a later run can tell its
own extract from a user's folder. truth.json when `truth` is given.

Current stack only (not SRS-bound).
"""

import json
import os
import shutil
from collections import OrderedDict

import pandas as pd

from leokit.extract.checksum import content_sha256
from leokit.extract.formats import FILE_SUFFIX, FORMATS, MANIFEST, WRITING_MARK
from leokit.extract.writer.encode import (
    Columns,
    Table,
    TextMemo,
    Written,
    from_read_form,
    observed_counts,
    prepare_table,
    read_form,
)
from leokit.extract.writer.files import FILE_WRITERS, Pipeline, stata_names, write_duckdb
from leokit.extract.writer.target import (
    TRUTH,
    WRITTEN_BY,
    SignalsHeld,
    WriteError,
    check_target,
    clean_leftovers,
    files_entry,
    json_text,
    make_temporary,
    missing_dirs,
    swap,
    write_text,
)
from leokit.schema import DEFAULT_SCHEMA, REGISTRY

__all__ = ["ExtractWriter", "write_extract"]


def _leokit_version():
    try:
        from importlib.metadata import version

        return version("leokit")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        return "unknown"


def _plan_tables(tables, registry):
    """[Table] in the given order, its columns the registry's in registry order (the
    frame's own names and dtypes); WriteError if a table is malformed.

    Only names are checked here; values are converted (and checked) table by table while
    writing, so that only one table's converted copy is ever held.
    """
    if not isinstance(tables, dict):
        raise WriteError(
            f"tables: expected a dict of view name -> DataFrame, got {type(tables).__name__}"
        )
    out = []
    for name, df in tables.items():
        if not isinstance(df, pd.DataFrame):
            raise WriteError(
                f"table {name!r}: expected a pandas DataFrame, got {type(df).__name__}"
            )
        if not isinstance(name, str):
            raise WriteError(f"table {name!r}: expected a view name as text")
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
        out.append(Table(name, v, year, Columns(df, [have[c.lower()] for c in expected])))
    return out


# ------------------------------------------------------------------------------ manifest
def _manifest(done, fmt, schema, params, truth_written):
    params = dict(params or {})
    tables = OrderedDict()
    for name, v, year, rows, sha in done:
        entry = OrderedDict()
        entry["view"] = v.name
        entry["year"] = year
        entry["database"] = v.database
        entry["srs_name"] = f"{v.database}.{schema}.{name}"
        if fmt == "duckdb":
            entry["file"] = v.database + FILE_SUFFIX["duckdb"]
        else:
            entry["file"] = name + FILE_SUFFIX[fmt]
        entry["rows"] = int(rows)
        entry["columns"] = [c.name_for(year) for c in v.columns_for(year)]
        entry["kinds"] = [c.kind for c in v.columns_for(year)]
        entry["sha256"] = sha
        if fmt == "dta":
            cut = {k: s for k, s in stata_names(v, year).items() if k != s}
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
class ExtractWriter:
    """Writes an extract table by table, as the tables come, into the folder `out`.

        with ExtractWriter(out, fmt="parquet") as w:
            w.add("leo_earnings", frame)     # converted at once: the caller may drop it
            ...
            manifest = w.finish(truth=truth, params=params)

    Tables go to a hidden temporary sibling folder, renamed into place by `finish`; leaving
    the `with` block by an exception (or calling `abort`) removes it and leaves `out` as it
    was. Parquet files are written by a worker thread while the caller makes the next table;
    DuckDB databases are written by `finish` (a database holds tables of many stages).

    fmt, schema, registry  as for write_extract; progress: a progress bar of tables written;
    total: how many tables to expect (for the bar).
    observe  keep, in `observed`, each table's {column: (rows, NULLs, blanks '',
             9999-12-31s)}: the data card's observed missingness
             (leokit.datacard.render_datacard(..., observed=w.observed)) without the tables.
    """

    def __init__(self, out, fmt="parquet", progress=False, schema=DEFAULT_SCHEMA,
                 registry=REGISTRY, observe=False, total=None):  # fmt: skip
        if fmt not in FORMATS:
            raise WriteError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
        if not schema or not isinstance(schema, str):
            raise WriteError(f"schema must be a non-empty name, got {schema!r}")
        self.out = check_target(out)
        self.fmt = fmt
        self.schema = schema
        self.registry = registry
        self.observed = OrderedDict() if observe else None
        self._done = OrderedDict()  # name -> Written (its sha256 maybe a future)
        self._duckdb = []  # [Table] for finish
        self._memo = TextMemo()
        self._pipe = self._bar = self._tmp = None
        self.done = False  # True once the extract is in place
        parent = os.path.dirname(self.out)
        self._made = missing_dirs(parent)
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as e:
            raise WriteError(f"cannot write the extract to {self.out}: {e.strerror}") from None
        clean_leftovers(self.out)
        try:
            self._tmp = make_temporary(self.out)
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=f"writing {fmt}", unit="table",
                             disable=not progress)  # fmt: skip
            if fmt == "parquet":
                self._pipe = Pipeline(fmt, self._tmp, self._bar)
        except BaseException:
            self.abort()
            raise

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is not None:
            self.abort()

    def add(self, name, df):
        """Convert, checksum and write (or, for DuckDB, keep) the table `name` (a concrete
        view name); WriteError if it is not one or its columns are not the registry's."""
        ((name, v, year, cols),) = _plan_tables({name: df}, self.registry)
        self._add(name, v, year, cols)

    def _add(self, name, v, year, cols):
        if self._tmp is None:
            raise WriteError("the extract is finished or aborted: no more tables")
        if name in self._done or any(name == t.name for t in self._duckdb):
            raise WriteError(f"table {name!r} given twice")
        self._bar.set_postfix_str(name, refresh=False)
        observe = self.observed is not None
        counts = None
        if self.fmt == "duckdb":
            self._duckdb.append(Table(name, v, year, cols))
        elif self.fmt == "parquet":
            parts, hash_input, counts = prepare_table(
                name, v, year, cols, self.registry, self._memo, observe
            )
            sha = self._pipe.add(parts, hash_input)
            self._done[name] = Written(name, v, year, len(cols), sha)
        else:
            frame = read_form(cols, v, year, name, self.registry)
            sha = content_sha256(frame, v, year, conformed=True)
            if observe:
                counts = OrderedDict()
                for c in v.columns_for(year):
                    col = c.name_for(year)
                    counts[col] = observed_counts(*from_read_form(frame[col], c.kind), len(frame))
            FILE_WRITERS[self.fmt](frame, v, year, name, self._tmp)
            self._done[name] = Written(name, v, year, len(frame), sha)
            self._bar.update(1)
        if counts is not None:
            self.observed[name] = counts

    def finish(self, truth=None, params=None, extra_files=None):
        """Write the manifest, truth.json (when `truth` is given) and `extra_files` ({file
        name: text, or a function manifest -> text}), wait for the last files and move the
        extract into place. Returns the manifest."""
        if self._tmp is None:
            raise WriteError("the extract is finished or aborted already")
        try:
            if self.fmt == "duckdb":
                done = write_duckdb(self._duckdb, self._tmp, self.schema, self._bar, self.registry,
                                     self.observed)  # fmt: skip
                self._duckdb = []
            else:
                done = [
                    w if isinstance(w.sha256, str) else w._replace(sha256=w.sha256.result())
                    for w in self._done.values()
                ]
            manifest = _manifest(done, self.fmt, self.schema, params, truth is not None)
            written = sorted({t["file"] for t in manifest["tables"].values()})
            if truth is not None:
                write_text(os.path.join(self._tmp, TRUTH), json_text(truth))
                written.append(TRUTH)
            for fname, content in (extra_files or {}).items():
                if (
                    fname in (MANIFEST, WRITING_MARK)
                    or fname in written
                    or fname != os.path.basename(fname)
                ):
                    raise WriteError(f"extra file {fname!r}: expected a new plain file name")
                text = content(manifest) if callable(content) else content
                write_text(os.path.join(self._tmp, fname), text)
                written.append(fname)
            if self._pipe is not None:  # the last tables' files, written meanwhile
                self._pipe.finish()
                self._pipe.close()
                self._pipe = None
            manifest["written_by"] = WRITTEN_BY
            manifest["files"] = files_entry(self._tmp, written)
            write_text(os.path.join(self._tmp, MANIFEST), json_text(manifest))
            self._bar.close()
            with SignalsHeld():  # the swap and the bookkeeping are not to be separated
                swap(self._tmp, self.out)
                self._tmp = None
                self.done = True
        except BaseException:
            self.abort()
            raise
        return json.loads(json_text(manifest))

    def abort(self):
        """Stop writing and remove what was written (and the folders made for it)."""
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
        if self._bar is not None:
            self._bar.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
            for d in self._made:  # folders this writer created, innermost first, if still empty
                try:
                    os.rmdir(d)
                except OSError:
                    break


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
    check_target(out)
    plan = _plan_tables(tables, registry)  # names only, all checked before anything is written
    with ExtractWriter(out, fmt, progress, schema, registry, total=len(plan)) as w:
        # smallest tables first: the biggest are then still being written while the
        # extra files render (the manifest needs only the checksums)
        for name, v, year, cols in sorted(
            plan, key=lambda t: len(t.columns) * len(t.columns.actual)
        ):
            w._add(name, v, year, cols)
        return w.finish(truth, params, extra_files)
