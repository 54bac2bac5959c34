"""Where an extract's rows come from: a folder of files, a DB-API server, a DuckDB extract.

    src = FolderSource("data_synthetic", "parquet", files)
    frames = src.read(ReadQuery("leo_earnings", ["Edukey", "Earnings"]))   # [DataFrame, ...]

Every source has one interface (the Extract, its planner and its relations use nothing else):

    where          text naming the source, for messages
    takes_sql      whether `where` may be SQL text (a database)
    blank_is_null  whether '' stands for NULL in nullable text columns (CSV, Stata)
    chunksize      rows fetched at a time by default
    duck           a DuckDB connection holding the views, or None
    scans_in_duckdb  whether an in-memory DuckDB can read the views where they are
    available()    {lower-case view name: name as stored}
    columns(name)  the stored column names of a view
    read(query, chunksize=None)     raw frames (at least one, maybe empty) that together hold
                                    the rows asked for, columns as stored, values as the
                                    file or driver gives them
    chunks(query, chunksize)        the same as an iterator, one frame of at most
                                    `chunksize` rows at a time
    duckdb_from(name)               (FROM text, how) for DuckDB SQL over the view
    close()

A database gives one frame per fetchmany: `chunks` holds one at a time; `read` gives the
list, and the Extract converts each frame before joining them (object columns, the form a
driver gives, are never concatenated).

SRS-bound: runs on Python 3.7 + pandas 1.0.1 for CSV folders and DB-API connections;
pyarrow, duckdb and pandas' Stata reader are imported only where they are needed.
"""

import csv
import datetime
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
import pandas as pd

from leokit.extract.filters import arrow_filter, quote, sql_text
from leokit.extract.formats import DEFAULT_CHUNKSIZE, STATA_EPOCH, ExtractError, unreadable
from leokit.schema import DATABASES

__all__ = [
    "ReadQuery",
    "FolderSource",
    "SqlSource",
    "DuckDBSource",
    "connect_duckdb",
    "check_chunksize",
    "close_quietly",
]


@dataclass
class ReadQuery:
    """What a source is asked for: one view, only these columns and rows."""

    name: str  # the view's name as the source has it
    columns: List[str]  # stored column names, in the order wanted
    kinds: dict = field(default_factory=dict)  # {stored column: registry kind} (Stata dates)
    where: Optional[str] = None  # SQL condition, on a database
    params: Optional[list] = None  # its ? parameters
    filters: list = field(default_factory=list)  # [(stored column, values)] for an Arrow scan


def check_chunksize(chunksize, default=DEFAULT_CHUNKSIZE):
    """`chunksize` as a positive int (None: `default`); ExtractError for anything else."""
    if chunksize is None:
        return default
    if isinstance(chunksize, (bool, np.bool_)) or not isinstance(chunksize, (int, np.integer)):
        raise ExtractError(f"chunksize = {chunksize!r}: expected a whole number of rows")
    if chunksize < 1:
        raise ExtractError(f"chunksize must be a positive number of rows, got {chunksize!r}")
    return int(chunksize)


def close_quietly(obj):
    """obj.close(), ignoring whatever the driver says (it is being let go of anyway)."""
    try:
        obj.close()
    except Exception:  # noqa: BLE001
        pass


def arrow_to_pandas(table):
    """An Arrow table as pandas: dates as datetime.date objects, integers as Int64."""
    import pyarrow as pa

    ints = {pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32()}
    return table.to_pandas(
        date_as_object=True,
        types_mapper=lambda t: pd.Int64Dtype() if t in ints else None,
    )


def _empty_frame(columns):
    return pd.DataFrame(OrderedDict((c, pd.Series([], dtype=object)) for c in columns))


# ------------------------------------------------------------------------------ folder
class FolderSource:
    """A folder with one file per concrete view (<view>.parquet | .csv | .dta)."""

    takes_sql = False
    duck = None

    def __init__(self, path, fmt, files, chunksize=DEFAULT_CHUNKSIZE):
        self.path = path
        self.fmt = fmt
        self.files = files  # lower-case view name -> (actual name, file path)
        self.where = f"folder {path} ({fmt} files)"
        self.blank_is_null = fmt in ("csv", "dta")
        self.chunksize = chunksize
        self._columns = {}
        self._schemas = {}

    def available(self):
        return OrderedDict((k, v[0]) for k, v in self.files.items())

    def path_of(self, name):
        """The file holding view `name`."""
        return self.files[name.lower()][1]

    @property
    def scans_in_duckdb(self):
        """Whether DuckDB can read the files where they are."""
        return self.fmt in ("parquet", "csv")

    def duckdb_from(self, name):
        path = sql_text(os.path.abspath(self.path_of(name)))
        if self.fmt == "parquet":
            return f"read_parquet('{path}')", None
        return f"read_csv('{path}', all_varchar = true, header = true)", "csv"

    def _schema(self, path):
        if path not in self._schemas:
            import pyarrow.parquet as pq

            try:
                self._schemas[path] = pq.read_schema(path)
            except Exception as e:  # noqa: BLE001 - Arrow's error, reported once
                err = unreadable(path, self.fmt, e)
            else:
                err = None
            if err is not None:
                raise err
        return self._schemas[path]

    def columns(self, name):
        if name not in self._columns:
            path = self.path_of(name)
            err = None
            try:
                if self.fmt == "parquet":
                    cols = list(self._schema(path).names)
                elif self.fmt == "csv":
                    with open(path, encoding="utf-8", newline="") as f:
                        cols = next(csv.reader(f), None)
                    if cols is None:
                        raise ExtractError(f"cannot read {path}: the file is empty (no header row)")
                else:
                    with pd.read_stata(path, iterator=True) as reader:
                        cols = list(reader.variable_labels())
            except ExtractError:
                raise
            except Exception as e:  # noqa: BLE001 - the reader's error, reported once
                err = unreadable(path, self.fmt, e)
            if err is not None:
                raise err
            self._columns[name] = cols
        return self._columns[name]

    def read(self, query, chunksize=None):
        path = self.path_of(query.name)
        try:
            return [self._read(path, query)]
        except ExtractError:
            raise
        except Exception as e:  # noqa: BLE001 - the reader's error, reported once
            err = unreadable(path, self.fmt, e)
        raise err

    def _read(self, path, query):
        columns = list(query.columns)
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            expr = arrow_filter(self._schema(path), query.filters)
            table = None
            if expr is not None:  # rows the filter drops are never converted
                try:
                    table = pq.read_table(path, columns=columns, filters=expr)
                except Exception:  # noqa: BLE001 - Arrow could not apply it: filter below
                    table = None
            if table is None:
                table = pq.read_table(path, columns=columns)
            return arrow_to_pandas(table)
        if self.fmt == "csv":
            return pd.read_csv(path, **self._csv_options(columns))[columns]
        df = pd.read_stata(path, **self._stata_options(columns))
        return self._stata_dates(df, query.kinds)

    def chunks(self, query, chunksize=None):
        path = self.path_of(query.name)
        frames = self._chunks(path, query, int(chunksize or self.chunksize))
        try:
            while True:
                try:
                    frame = next(frames)
                except StopIteration:
                    return
                except ExtractError:
                    raise
                except Exception as e:  # noqa: BLE001 - the reader's error, reported once
                    err = unreadable(path, self.fmt, e)
                else:
                    err = None
                if err is not None:
                    raise err
                yield frame
        finally:
            frames.close()

    def _chunks(self, path, query, size):
        columns = list(query.columns)
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.dataset as ds

            dataset = ds.dataset(path, format="parquet")
            expr = arrow_filter(self._schema(path), query.filters)
            try:
                scanner = dataset.scanner(
                    columns=columns, filter=expr, batch_size=size, batch_readahead=2
                )
                schema = scanner.projected_schema
            except Exception:  # noqa: BLE001 - Arrow could not apply the filter
                scanner = dataset.scanner(columns=columns, batch_size=size, batch_readahead=2)
                schema = scanner.projected_schema
            n = 0
            for batch in scanner.to_batches():
                if batch.num_rows:
                    n += 1
                    yield arrow_to_pandas(pa.Table.from_batches([batch]))
            if not n:
                yield arrow_to_pandas(schema.empty_table())
            return
        if self.fmt == "csv":
            reader = pd.read_csv(path, chunksize=size, **self._csv_options(columns))
        else:
            reader = pd.read_stata(path, chunksize=size, **self._stata_options(columns))
        n = 0
        try:
            for chunk in reader:
                if len(chunk) or not n:
                    n += 1
                    if self.fmt == "csv":
                        yield chunk[columns]
                    else:
                        yield self._stata_dates(chunk, query.kinds)
        finally:  # StataReader is closed as a context manager; TextFileReader by close()
            done = getattr(reader, "__exit__", None) if self.fmt == "dta" else None
            if done is not None:
                done(None, None, None)
            elif getattr(reader, "close", None) is not None:
                reader.close()
        if not n:
            yield _empty_frame(columns)

    @staticmethod
    def _csv_options(columns):
        return dict(
            usecols=list(columns),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8",
        )

    @staticmethod
    def _stata_options(columns):
        return dict(
            columns=list(columns),
            convert_dates=False,
            convert_categoricals=False,
            preserve_dtypes=True,
        )

    @staticmethod
    def _stata_dates(df, kinds):
        for c in df.columns:
            if kinds.get(c) == "date" and df[c].dtype.kind in "fiu":
                days = df[c].to_numpy(dtype="float64")
                out = np.empty(len(days), dtype=object)
                ok = ~np.isnan(days)
                out[~ok] = None
                out[ok] = [STATA_EPOCH + datetime.timedelta(days=int(d)) for d in days[ok]]
                df[c] = out
        return df

    def close(self):
        pass


# ------------------------------------------------------------------------------ database
class SqlSource:
    """A DB-API connection (pyodbc to SQL Server in the SRS; DuckDB as a stand-in)."""

    takes_sql = True
    blank_is_null = False
    scans_in_duckdb = False

    def __init__(self, conn, schema, databases, registry, chunksize, label=None, owned=False):
        self.conn = conn
        self.schema = schema
        self.databases = databases
        self.registry = registry
        self.chunksize = chunksize
        self.owned = owned
        # a DuckDB connection (the stand-in for SQL Server) can also give relations
        self.duck = conn if type(conn).__module__.split(".")[0] in ("duckdb", "_duckdb") else None
        dbs = "/".join(databases.get(d, d) for d in DATABASES)
        self.where = label or f"database connection ({dbs}, schema {schema})"
        self._available = None
        self._columns = {}

    def _db(self, view):
        return self.databases.get(view.database, view.database)

    def qualified(self, name):
        view = self.registry.view(name)
        return f"{quote(self._db(view))}.{quote(self.schema)}.{quote(name)}"

    def duckdb_from(self, name):
        return self.qualified(name), None

    def _listing(self, db):
        """Names of tables and views in db.schema, or None when the server cannot tell us."""
        queries = [
            (
                f"SELECT TABLE_NAME FROM {quote(db)}.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?",
                [self.schema],
            ),
            (
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_catalog = ? AND table_schema = ?",
                [db, self.schema],
            ),
        ]
        for sql, params in queries:
            cur = self.conn.cursor()
            try:
                cur.execute(sql, params)
                return [r[0] for r in cur.fetchall()]
            except Exception:  # noqa: BLE001 - the dialect decides which form works
                continue
            finally:
                close_quietly(cur)
        return None

    def _probe(self, name):
        cur = self.conn.cursor()
        try:
            cur.execute(f"SELECT * FROM {self.qualified(name)} WHERE 1 = 0")
            cols = [d[0] for d in cur.description]
            cur.fetchall()
            return cols
        except Exception:  # noqa: BLE001 - any error means the view is not there
            return None
        finally:
            close_quietly(cur)

    def available(self):
        if self._available is None:
            found = OrderedDict()
            listings = {}
            for v in self.registry:
                db = self._db(v)
                if db not in listings:
                    listings[db] = self._listing(db)
                listing = listings[db]
                lowset = None if listing is None else {n.lower(): n for n in listing}
                for y in v.all_years():
                    name = v.name_for(y)
                    if lowset is None:
                        if self._probe(name) is not None:
                            found[name.lower()] = name
                    elif name.lower() in lowset:
                        found[name.lower()] = name
            self._available = found
        return self._available

    def columns(self, name):
        if name not in self._columns:
            cols = self._probe(name)
            if cols is None:
                raise ExtractError(
                    f"view {name} ({self.qualified(name)}) could not be queried in {self.where}"
                )
            self._columns[name] = cols
        return self._columns[name]

    def select(self, query):
        """The SELECT sent: only the query's columns, and its `where` as a WHERE clause."""
        sql = "SELECT {} FROM {}".format(
            ", ".join(quote(c) for c in query.columns), self.qualified(query.name)
        )
        if query.where:
            sql += " WHERE " + query.where
        return sql

    def _execute(self, cur, sql, params):
        try:
            if params:
                cur.execute(sql, list(params))
            else:
                cur.execute(sql)
        except Exception as e:  # noqa: BLE001 - any driver's error, reported once
            failed = f"{type(e).__name__}: {str(e).strip().splitlines()[0]}"
        else:
            failed = None
        if failed:
            raise ExtractError(f"query failed in {self.where}: {failed}\n  {sql}")

    @staticmethod
    def _frame(names, rows):
        cols = list(zip(*rows))
        data = OrderedDict()
        for i, n in enumerate(names):
            data[n] = pd.Series(cols[i], dtype=object)
        return pd.DataFrame(data)

    def read(self, query, chunksize=None):
        return list(self.chunks(query, chunksize))

    def chunks(self, query, chunksize=None):
        """One frame per fetchmany; the cursor stays open while iterating."""
        sql = self.select(query)
        size = int(chunksize or self.chunksize)
        cur = self.conn.cursor()
        try:
            self._execute(cur, sql, query.params)
            names = [d[0] for d in cur.description]
            n = 0
            while True:
                rows = cur.fetchmany(size)
                if not rows:
                    break
                n += 1
                yield self._frame(names, rows)
                if len(rows) < size:
                    break
            if not n:
                yield _empty_frame(names)
        finally:
            close_quietly(cur)

    def close(self):
        if self.owned:
            close_quietly(self.conn)


class DuckDBSource(SqlSource):
    """A DuckDB extract folder: the SRS names via attached databases; Arrow for speed."""

    def _arrow(self, sql, params, batch_size=None):
        try:
            if batch_size is None:
                rel = self.conn.sql(sql, params=list(params) if params else None)
                fetch = getattr(rel, "to_arrow_table", None) or rel.arrow  # duckdb 2 / duckdb 1
                return fetch()
            cur = self.conn.cursor()  # its own result, so other queries can run meanwhile
            rel = cur.sql(sql, params=list(params) if params else None)
            fetch = getattr(rel, "to_arrow_reader", None) or rel.fetch_arrow_reader
            return fetch(batch_size)
        except Exception as e:  # noqa: BLE001 - reported once, without the chain
            failed = f"{type(e).__name__}: {str(e).strip().splitlines()[0]}"
        raise ExtractError(f"query failed in {self.where}: {failed}\n  {sql}")

    def read(self, query, chunksize=None):
        return [arrow_to_pandas(self._arrow(self.select(query), query.params))]

    def chunks(self, query, chunksize=None):
        import pyarrow as pa

        reader = self._arrow(self.select(query), query.params, int(chunksize or self.chunksize))
        n = 0
        for batch in reader:
            if batch.num_rows:
                n += 1
                yield arrow_to_pandas(pa.Table.from_batches([batch]))
        if not n:
            yield arrow_to_pandas(reader.schema.empty_table())


def connect_duckdb(path, read_only=True):
    """A DuckDB connection on which the SRS three-part names resolve.

    `path` is a DuckDB extract folder (LEO_i2.duckdb, NPD_i2.duckdb, HESA_i2.duckdb ...):
    each file is attached under its database name, so
    ``SELECT * FROM LEO_i2.leo_synth.leo_earnings`` works, as on the SRS.
    """
    import duckdb

    path = str(path)
    if not os.path.isdir(path):
        raise ExtractError(f"no DuckDB extract at {path}: expected a folder of *.duckdb files")
    files = sorted(f for f in os.listdir(path) if f.endswith(".duckdb"))
    if not files:
        raise ExtractError(f"no *.duckdb files in {path}")
    con = duckdb.connect()
    for f in files:
        full = os.path.abspath(os.path.join(path, f))
        opts = " (READ_ONLY)" if read_only else ""
        try:
            con.execute(
                "ATTACH '{}' AS {}{}".format(
                    full.replace("'", "''"), quote(f[: -len(".duckdb")]), opts
                )
            )
        except Exception as e:  # noqa: BLE001 - DuckDB's error, reported once
            err = unreadable(full, "duckdb", e)
        else:
            err = None
        if err is not None:
            close_quietly(con)
            raise err
    return con
