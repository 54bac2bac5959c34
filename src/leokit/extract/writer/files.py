"""The file writers, one per format, and the thread that writes Parquet files meanwhile.

    FILE_WRITERS["parquet"](parts_or_frame, view, year, name, folder)
    write_duckdb(tables, folder, schema, progress_bar, registry)    # one database per LEO/NPD/HESA

  parquet  <view>.parquet, zstd, dates as date32, no pandas metadata: same bytes for the same
           tables (with the same pyarrow)
  csv      <view>.csv, UTF-8, ISO dates, empty field for NULL (and for '': CSV cannot tell)
  dta      <view>.dta (Stata 14+, format 118): dates as %td, value labels for integer code
           lists, variable labels from the registry; names longer than 32 characters are cut
           to 32 (the manifest records it; leokit.extract maps them back)
  duckdb   LEO_i2.duckdb, NPD_i2.duckdb, HESA_i2.duckdb, each with the project schema

Current stack only (not SRS-bound).
"""

import datetime
import os
from collections import OrderedDict

import numpy as np
import pandas as pd

from leokit.extract.formats import FILE_SUFFIX, STATA_EPOCH, STATA_MAX_NAME, date_days
from leokit.extract.writer.encode import Parts, TextMemo, Written, hash_table, prepare_table
from leokit.extract.writer.target import WriteError

__all__ = ["FILE_WRITERS", "Pipeline", "write_duckdb", "stata_names"]

_STATA_TIME_STAMP = datetime.datetime(2000, 1, 1)
_STATA_STR_MAX = 2045


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
            days, mask = date_days(s)
            arr = pa.array(days.astype("int32"), type=pa.int32(), mask=mask).cast(pa.date32())
        else:
            arr = pa.array(s.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        arrays.append(arr)
        meta = {"sqltype": c.sqltype, "kind": c.kind}
        fields.append(pa.field(col, arr.type, nullable=True, metadata=meta))
    schema = pa.schema(fields, metadata={"leokit.view": name})
    return pa.Table.from_arrays(arrays, schema=schema)


def stata_names(v, year):
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
    """df: the table in read form, or the Parts the writer prepared from it."""
    import pyarrow.parquet as pq

    path = os.path.join(folder, name + FILE_SUFFIX["parquet"])
    if isinstance(df, Parts):
        df.write_parquet(path)
    else:
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

    names = stata_names(v, year)
    data = OrderedDict()
    td, labels, var_labels, strl = [], {}, {}, []
    for c in v.columns_for(year):
        col = c.name_for(year)
        sname = names[col]
        s = df[col]
        if c.kind == "date":
            days, mask = date_days(s, STATA_EPOCH)
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


def write_duckdb(plan, folder, schema, progress_bar, registry, observed=None):
    """One database file per LEO/NPD/HESA database; returns the manifest rows per table
    (and fills `observed`, when given, as ExtractWriter.observed)."""
    import duckdb

    def q(ident):
        return '"' + str(ident).replace('"', '""') + '"'

    by_db = OrderedDict()
    for item in plan:
        by_db.setdefault(item.view.database, []).append(item)
    done = {}
    memo = TextMemo()
    for db, items in by_db.items():
        con = duckdb.connect(os.path.join(folder, db + FILE_SUFFIX["duckdb"]))
        try:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {q(schema)}")
            for name, v, year, cols in items:
                parts, hash_input, counts = prepare_table(
                    name, v, year, cols, registry, memo, observe=observed is not None
                )
                if counts is not None:
                    observed[name] = counts
                done[name] = Written(name, v, year, len(cols), hash_table(*hash_input))
                del hash_input
                arrow = parts.table()
                del parts
                con.register("__leokit_table", arrow)
                con.execute(f"CREATE TABLE {q(schema)}.{q(name)} AS SELECT * FROM __leokit_table")
                con.unregister("__leokit_table")
                del arrow
                progress_bar.update(1)
        finally:
            con.close()
    return [done[table.name] for table in plan]


# converted tables waiting for the writer and the hasher, at most: a bound on the memory
# they hold (the biggest national table fits, so the generator goes on while it is written)
_BACKLOG_BYTES = 1536 * 2**20


class Pipeline:
    """Parquet files written by a worker thread, checksums hashed by another (Arrow and
    hashlib work without the GIL), while the main thread makes and converts the next tables.
    Tables wait for both up to _BACKLOG_BYTES, so the data card can be rendered while the
    last ones are written. After a failed write no further file is started."""

    def __init__(self, fmt, folder, progress_bar):
        from concurrent.futures import ThreadPoolExecutor

        self.fmt = fmt
        self.folder = folder
        self.bar = progress_bar
        self.hasher = ThreadPoolExecutor(1, "leokit-hash")
        self.writer = ThreadPoolExecutor(1, "leokit-write")
        self.waiting = []  # (write future, hash future, bytes held)
        self.failed = False

    def _write(self, parts, v, year, name):
        if self.failed:
            return
        try:
            FILE_WRITERS[self.fmt](parts, v, year, name, self.folder)
        except BaseException:
            self.failed = True
            raise

    def _settle(self, limit):
        while self.waiting and sum(b for _, _, b in self.waiting) > limit:
            written, hashed, _ = self.waiting.pop(0)
            written.result()
            hashed.result()
            self.bar.update(1)

    def add(self, parts, hash_input):
        """Hash and write one table; returns the future of its checksum."""
        hashed = self.hasher.submit(hash_table, *hash_input)
        written = self.writer.submit(self._write, parts, parts.view, parts.year, parts.name)
        self.waiting.append((written, hashed, parts.nbytes))
        self._settle(max(_BACKLOG_BYTES, 0))
        return hashed

    def finish(self):
        self._settle(-1)

    def close(self):
        """Stop: let running work end (its errors are not the ones to report)."""
        self.failed = True
        for pool in (self.hasher, self.writer):
            pool.shutdown(wait=True)


FILE_WRITERS = {"parquet": _write_parquet, "csv": _write_csv, "dta": _write_dta}
