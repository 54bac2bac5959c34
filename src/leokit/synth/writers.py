"""Write an extract: one file per concrete view (Parquet, CSV, Stata) or DuckDB databases.

    from leokit.synth.writers import write_extract
    write_extract(world.tables, "data_synthetic", fmt="parquet",
                  truth=world.truth, params=world.params)

or, table by table as a generator makes them (then no more than a few tables are in memory):

    with ExtractWriter("data_synthetic", fmt="parquet") as w:
        world = generate(scale, seed, sink=w.add)
        w.finish(truth=world.truth, params=world.params)

Everything is written into a hidden temporary sibling folder (``.<out>.tmp-<pid>-<random>``,
marked as leokit's by a file inside it) and renamed into place at the end, so a failure or an
interruption leaves `out` as it was. An existing `out` is replaced only when it is empty or an
extract leokit wrote: its manifest.json carries leokit's signature and lists every file, and
the folder holds exactly those files, unchanged (`check_target` says why anything else is
refused). Temporary folders left by a killed run (its process gone) are removed by the next
run for the same `out`; others are named, never touched.

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
generator version, format, schema, leokit version; `written_by` and `files` (every other file
written, with its size, and the SHA-256 of the text files) so that a later run can tell its
own extract from a user's folder. truth.json when `truth` is given.
"""

import datetime
import hashlib
import json
import os
import re
import shutil
import socket
import uuid
import weakref
from collections import OrderedDict

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from leokit.extract import (
    FILE_SUFFIX,
    FORMATS,
    MANIFEST,
    STATA_MAX_NAME,
    WRITING_MARK,
    ExtractError,
    _date_days,
    conform,
    content_sha256,
    read_manifest,
)
from leokit.schema import DEFAULT_SCHEMA, REGISTRY

__all__ = [
    "write_extract",
    "ExtractWriter",
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
WRITTEN_BY = "leokit"  # the manifest's signature: this package wrote the folder
_MARK = WRITING_MARK  # inside a temporary folder while it is being written: pid and host


def check_target(out):
    """Raise WriteError unless `out` can receive an extract: it does not exist, is an empty
    folder, or holds an extract leokit wrote (see `not_ours`); returns the absolute path."""
    if not isinstance(out, (str, os.PathLike)) or not os.fspath(out):
        raise WriteError(f"expected a folder path for the extract, got {out!r}")
    out = os.path.abspath(os.fspath(out))
    if os.path.lexists(out):
        if os.path.islink(out):
            raise WriteError(f"refusing to write the extract to {out}: it is a symbolic link")
        if not os.path.isdir(out):
            raise WriteError(f"cannot write the extract to {out}: it is a file, expected a folder")
        why = not_ours(out)
        if why:
            raise WriteError(
                f"refusing to replace {out}: {why}. leokit replaces only an empty folder or an "
                "extract it wrote itself (exactly the files its manifest.json lists); choose a "
                "new or empty folder"
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


def _load_manifest(folder):
    """The manifest of `folder` as a dict, or a string saying why there is none."""
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path) or os.path.islink(path):
        return f"it holds no {MANIFEST}"
    try:
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
    except (OSError, ValueError):
        return f"its {MANIFEST} is not valid JSON"
    if not isinstance(m, dict) or not isinstance(m.get("tables"), dict):
        return f"its {MANIFEST} is not an extract manifest written by leokit"
    return m


def own_files(folder):
    """{file name: (size, sha256) as the manifest records them, or None when it records
    neither} of what leokit wrote into the extract `folder` (manifest.json included), or a
    string saying why the folder is not a leokit extract.

    The manifest must carry leokit's signature: `written_by` and `files` (leokit 0.1 wrote
    neither: its extracts are recognised by their checksum note, and only their table files
    and truth.json count as its own: a data card there may hold a user's edits)."""
    m = _load_manifest(folder)
    if isinstance(m, str):
        return m
    files = OrderedDict([(MANIFEST, None)])
    if m.get("written_by") == WRITTEN_BY and isinstance(m.get("files"), dict):
        for name, entry in m["files"].items():
            size = entry.get("bytes") if isinstance(entry, dict) else None
            files[str(name)] = (size, entry.get("sha256") if isinstance(entry, dict) else None)
        return _plain_names(files)
    if str(m.get("checksum", "")).startswith("leokit.extract.content_sha256"):
        for entry in m["tables"].values():
            if isinstance(entry, dict) and entry.get("file"):
                files[str(entry["file"])] = None
        if m.get("truth") == TRUTH:
            files[TRUTH] = None
        return _plain_names(files)
    return f"its {MANIFEST} was not written by leokit (no leokit signature)"


def _plain_names(files):
    bad = [n for n in files if n != os.path.basename(n) or n in ("", ".", "..")]
    if bad:
        return f"its {MANIFEST} lists {bad[0]!r}, which is not a file name in the folder"
    return files


def not_ours(folder):
    """Why the existing folder `folder` is not an empty folder or an unchanged extract leokit
    wrote (one phrase), or None when leokit may replace it."""
    try:
        entries = sorted(os.listdir(folder))
    except OSError as e:
        return f"it cannot be listed ({e.strerror})"
    if not entries:
        return None
    files = own_files(folder)
    if isinstance(files, str):
        return files + _naming(entries)
    extra = [n for n in entries if n not in files]
    if extra:
        legacy = "files" not in _load_manifest(folder)
        return (
            "it holds files the extract does not list"
            + _naming(extra)
            + (
                " (its manifest.json, from leokit 0.1, lists only views and truth.json)"
                if legacy
                else ""
            )
        )
    for name in entries:
        path = os.path.join(folder, name)
        if os.path.islink(path) or not os.path.isfile(path):
            return f"{name} is not a file leokit wrote"
        expected = files[name]
        if expected is None:
            continue
        size, sha = expected
        if size is not None and os.path.getsize(path) != size:
            return f"{name} has changed since leokit wrote it"
        if sha is not None and _file_sha256(path) != sha:
            return f"{name} has changed since leokit wrote it"
    return None


def _naming(names):
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f" ({shown})"


def _file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _files_entry(folder, names):
    """The manifest's `files`: size of each file written, SHA-256 of the small (text) ones."""
    out = OrderedDict()
    for name in sorted(names):
        path = os.path.join(folder, name)
        entry = OrderedDict([("bytes", os.path.getsize(path))])
        if not name.endswith(tuple(FILE_SUFFIX.values())):
            entry["sha256"] = _file_sha256(path)
        out[name] = entry
    return out


# ------------------------------------------------------------------------------ leftovers
def _leftover_pattern(out):
    base = re.escape(os.path.basename(out))
    return re.compile(r"^\." + base + r"\.(tmp|old)-(\d+)-[0-9a-f]+$")


def _legacy_pattern(out):
    """Temporary folders of leokit 0.1 (tempfile.mkdtemp names, no pid, no marker)."""
    base = re.escape(os.path.basename(out))
    return re.compile(r"^\." + base + r"\.(tmp|old)-[a-z0-9_]{8}$")


def _alive(pid):
    """Whether process `pid` runs on this machine (True when that cannot be known)."""
    if pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill would end the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def leftovers(out):
    """Temporary folders that runs writing to `out` left beside it: a list of
    (path, pid, ours_to_remove). ours_to_remove is True when the folder is leokit's (its name
    and, for a folder being written, its marker) and the process that wrote it is gone. pid
    is None for a folder an older leokit left (nothing says whether its run has ended)."""
    out = os.path.abspath(os.fspath(out))
    parent = os.path.dirname(out)
    pattern = _leftover_pattern(out)
    legacy = _legacy_pattern(out)
    found = []
    try:
        names = sorted(os.listdir(parent))
    except OSError:
        return found
    host = socket.gethostname()
    for name in names:
        m = pattern.match(name)
        path = os.path.join(parent, name)
        if os.path.islink(path) or not os.path.isdir(path):
            continue
        if m is None:
            if legacy.match(name):
                found.append((path, None, False))
            continue
        pid = int(m.group(2))
        mark = _read_mark(path)
        if mark is not None and mark.get("host") not in (None, host):
            found.append((path, pid, False))  # written from another machine: cannot tell
            continue
        if m.group(1) == "tmp":
            ours = mark is not None or not_ours(path) is None
        else:  # a previous extract moved aside while being replaced
            ours = not_ours(path) is None
        found.append((path, pid, ours and not _alive(pid)))
    return found


def _read_mark(folder):
    try:
        with open(os.path.join(folder, _MARK), encoding="utf-8") as f:
            mark = json.load(f)
        return mark if isinstance(mark, dict) else None
    except (OSError, ValueError):
        return None


def _remove_tree(path):
    """Remove a temporary folder leokit wrote; whether it is gone."""
    shutil.rmtree(path, ignore_errors=True)
    return not os.path.exists(path)


def clean_leftovers(out):
    """Remove what killed runs left beside `out` (see `leftovers`); WriteError naming a
    temporary folder that another run may still be writing, or that cannot be removed."""
    kept = []
    for path, pid, removable in leftovers(out):
        if pid is None:  # an older leokit's: named by synth and validate, never judged here
            continue
        if removable and not _remove_tree(path):
            kept.append(f"{path} (left by process {pid}) cannot be removed; remove it yourself")
        elif not removable:
            kept.append(
                f"{path} is the temporary folder of another run writing {out} (process {pid}, "
                "still running or on another machine); wait for it, or remove the folder "
                "yourself if no such run exists"
            )
    if kept:
        more = f" ({len(kept) - 1} more like it)" if len(kept) > 1 else ""
        raise WriteError(kept[0] + more)


def _plan(tables, registry):
    """[(name, view, year, frame)] in the given order, frame holding the registry's columns
    in registry order (its own names and dtypes); WriteError if a table is malformed.

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
        out.append((name, v, year, _Columns(df, [have[c.lower()] for c in expected])))
    return out


class _Columns:
    """A frame's columns in registry order, without copying them (df[list] would)."""

    def __init__(self, df, actual):
        self.df = df
        self.actual = actual

    def __len__(self):
        return len(self.df)

    def series(self, i):
        s = self.df[self.actual[i]]
        if isinstance(s, pd.DataFrame):  # a name given twice: conform() decides what it means
            return None
        return s

    def frame(self):
        return self.df[self.actual]


def _conformed(cols, v, year, name, registry):
    """The table in read form (leokit.extract.conform), for the csv and dta writers."""
    try:
        frame = conform(cols.frame(), v, year, registry=registry, where=f"table {name!r}")
    except ExtractError as e:
        raise WriteError(str(e)) from None
    return frame.reset_index(drop=True)


# ------------------------------------------------------------------------------ columns
_ROW_GROUP = 1024 * 1024  # rows per Parquet row group: pyarrow's default, which write_table uses
_BATCH_BYTES = 512 * 2**20


class _Parts:
    """One table ready for Arrow. Columns are kept as numpy arrays (text as codes into an
    Arrow dictionary) and turned into Arrow one row group at a time: the same Parquet bytes
    as pq.write_table of the whole table, without the whole table's Arrow strings in memory
    (the writer thread does this; Arrow needs no GIL for it)."""

    def __init__(self, name, v, year, n):
        self.name = name
        self.view = v
        self.year = year
        self.n = n
        self.columns = []  # (registry column, (how, *arrays))
        self.nbytes = 0  # memory the columns keep alive (for the writer's backlog)

    def _arrays(self, a, b):
        import pyarrow as pa

        out = []
        for _, (how, *x) in self.columns:
            if how == "int":
                vals, mask = x
                out.append(
                    pa.array(_int64(vals, mask, a, b), type=pa.int64(),
                             mask=None if mask is None else mask[a:b])
                )  # fmt: skip
            elif how == "float":
                out.append(pa.array(x[0][a:b], type=pa.float64(), from_pandas=True))
            elif how == "date":
                days, mask = x
                out.append(pa.array(days[a:b], type=pa.int32(), mask=mask[a:b]).cast(pa.date32()))
            elif how == "text":
                codes, dictionary = x
                c = codes[a:b]
                out.append(dictionary.take(pa.array(c, mask=c < 0)))
            else:  # an Arrow array made whole
                out.append(x[0].slice(a, b - a))
        return out

    def schema(self):
        import pyarrow as pa

        types = {"int": pa.int64(), "float": pa.float64(), "date": pa.date32(), "text": pa.string()}
        fields = []
        for c, (how, *x) in self.columns:
            meta = {"sqltype": c.sqltype, "kind": c.kind}
            typ = x[0].type if how == "arrow" else types[how]
            fields.append(pa.field(c.name_for(self.year), typ, nullable=True, metadata=meta))
        return pa.schema(fields, metadata={"leokit.view": self.name})

    def table(self, a=0, b=None):
        import pyarrow as pa

        b = self.n if b is None else b
        return pa.Table.from_arrays(self._arrays(a, b), schema=self.schema())

    def write_parquet(self, path):
        import pyarrow.parquet as pq

        if self.n == 0:
            pq.write_table(self.table(), path, compression="zstd")
            return
        # a batch of whole row groups at a time (the writer splits a batch into the same row
        # groups): few calls into Arrow, so the thread seldom waits for the GIL, and at most
        # about _BATCH_BYTES of Arrow text at once
        step = _ROW_GROUP * max(1, _BATCH_BYTES // (_ROW_GROUP * self._row_bytes()))
        with pq.ParquetWriter(path, self.schema(), compression="zstd") as w:
            for a in range(0, self.n, step):
                w.write_table(self.table(a, min(a + step, self.n)))

    def _row_bytes(self):
        """Rough bytes per row of the Arrow arrays."""
        total = 0
        for _, (how, *x) in self.columns:
            if how == "text":
                d = x[1]
                total += 4 + (d.nbytes // max(len(d), 1))
            else:
                total += 8
        return max(total, 1)


_STR_LIMIT = 2**31 - 1 - 2**20  # Arrow string data above this is chunked by pa.array


def _addresses(values):
    """The object addresses a contiguous 1-d object array holds, as a uintp view (valid while
    `values` lives; it is only read)."""
    import ctypes

    if len(values) == 0:
        return np.empty(0, dtype=np.uintp)
    buf = (ctypes.c_size_t * len(values)).from_address(values.ctypes.data)
    return np.frombuffer(buf, dtype=np.uintp)


def _first_rows(codes, k, step=1 << 20):
    """Row of the first occurrence of each code 0..k-1 (codes from pd.factorize, which
    numbers values in order of first appearance), scanning only as far as needed."""
    out = np.empty(k, dtype=np.intp)
    seen = -1  # the largest code met so far
    for a in range(0, len(codes), step):
        if seen == k - 1:
            break
        c = codes[a : a + step]
        before = np.empty(len(c), dtype=c.dtype)
        before[0] = seen
        np.maximum.accumulate(c[:-1], out=before[1:])
        np.maximum(before[1:], seen, out=before[1:])
        new = np.flatnonzero(c > before)
        out[c[new]] = a + new
        seen = max(seen, int(c.max()))
    return out


def _factorize_text(values):
    """(codes, uniques) of an object array of text: codes -1 for NULL (None, NaN, ...), as
    pd.factorize gives, or None when a value is not a str.

    Rows are grouped by the object they hold (its address), which is much cheaper than
    hashing text: a generated column repeats a few objects, and a view sorted by a key holds
    it in runs of rows. Columns of per-row objects are grouped by text. uniques may hold a
    text twice, as different objects, and an unused entry where a NULL object was; neither
    changes the checksum (each row hashes its text) nor the Arrow array (each row takes its
    text).
    """
    values = np.ascontiguousarray(values, dtype=object)
    n = len(values)
    addr = _addresses(values)
    probe = addr[: min(n, 4096)]
    if len(probe) > 64 and len(np.unique(probe)) > len(probe) // 2:  # mostly per-row objects
        return _factorize_by_value(values)
    change = addr[1:] != addr[:-1]
    if n and 3 * (np.count_nonzero(change) + 1) < n:  # long runs of one object: factorize the runs
        heads = np.concatenate([[0], np.flatnonzero(change) + 1])
        del change
        run_codes, uaddr = pd.factorize(addr[heads])
        first = heads[_first_rows(run_codes, len(uaddr))]
        codes = np.repeat(run_codes, np.diff(np.append(heads, n)))
        del run_codes
    else:
        del change
        codes, uaddr = pd.factorize(addr)
        first = _first_rows(codes, len(uaddr))
    del addr
    uniques = values[first]
    null = np.flatnonzero(pd.isna(uniques))
    text = np.delete(uniques, null) if len(null) else uniques
    if len(text) and infer_dtype(text, skipna=False) != "string":
        return None  # numbers, bytes, dates ...: conform converts them to text
    for k in null:  # rows holding a NULL object: code -1 (its uniques entry goes unused)
        codes[codes == k] = -1
        uniques[k] = ""
    if len(uniques) > max(100_000, n // 4):  # many objects: group them by text after all
        sub, by_text = pd.factorize(uniques)
        sub[null] = -1
        keep = codes >= 0
        codes[keep] = sub[codes[keep]]
        uniques = np.asarray(by_text, dtype=object)
    return _small_codes(codes, len(uniques)), uniques


def _small_codes(codes, k):
    """codes (-1 .. k-1) in the smallest signed integer type that holds them."""
    for t in (np.int8, np.int16, np.int32):
        if k <= np.iinfo(t).max:
            return codes.astype(t)
    return codes


def _factorize_by_value(values):
    """As _factorize_text, grouping rows by text (pd.factorize)."""
    codes, uniques = pd.factorize(values)
    uniques = np.asarray(uniques, dtype=object)
    if len(uniques) and infer_dtype(uniques, skipna=False) != "string":
        return None
    return _small_codes(codes, len(uniques)), uniques


class _TextMemo:
    """What the writer derives from a text column's distinct values (their hashes, the Arrow
    dictionary, which are ''), kept for a Categorical's categories while they live: views
    whose columns share categories (the person keys of a compact world: millions of them)
    then share that work. Other columns get a fresh dict."""

    def __init__(self):
        self._by_id = {}

    def of(self, categories):
        key = id(categories)
        got = self._by_id.get(key)
        if got is None or got[0]() is not categories:
            ref = weakref.ref(categories, lambda _, key=key: self._by_id.pop(key, None))
            got = self._by_id[key] = (ref, {})
        return got[1]


def _canonical(s, kind, memo):
    """(tag, payload) of a column in its raw form, for the kinds and dtypes the generator
    makes; None when only leokit.extract.conform can say what the values are."""
    dt = s.dtype
    if kind in ("int", "flag"):
        # kept as they are (no int64 copy of the column): widened a batch at a time
        if isinstance(dt, np.dtype) and (dt.kind in "iub") and dt.itemsize <= 8 and dt != np.uint64:
            return "int", (s.to_numpy(), None)
        if isinstance(s.array, pd.arrays.IntegerArray) and dt.numpy_dtype != np.uint64:
            return "int", (s.array._data, s.array._mask)  # values under the mask are ignored
        return None
    if kind == "float":
        if isinstance(dt, np.dtype) and dt == np.float64:
            return "float", s.to_numpy()
        return None
    if kind == "date":
        if isinstance(dt, np.dtype) and dt.kind == "M":
            d = s.to_numpy().astype("datetime64[D]")
            nat = np.isnat(d)
            days = d.astype("int64")
            days[nat] = 0
            return "date", (days, nat)
        return None
    if kind == "str":
        if isinstance(dt, np.dtype) and dt.kind == "O":
            got = _factorize_text(s.to_numpy())
            return None if got is None else ("str", (*got, {}))
        if isinstance(dt, pd.CategoricalDtype):  # already codes: nothing to factorize
            known = memo.of(dt.categories)
            if "uniques" not in known:
                uniques = np.asarray(dt.categories, dtype=object)
                text = not len(uniques) or infer_dtype(uniques, skipna=False) == "string"
                known["uniques"] = uniques if text else None
            if known["uniques"] is None:
                return None
            return "str", (s.array.codes, known["uniques"], known)
        return None
    return None


def _from_read_form(s, kind):
    """(tag, payload) of a column already in read form (conform's output), computed as
    leokit.extract.content_sha256 and the Arrow conversion always did."""
    if kind in ("int", "flag"):
        mask = s.isna().to_numpy(dtype=bool)
        vals = s.to_numpy(dtype="int64", na_value=0) if mask.any() else s.to_numpy(dtype="int64")
        return "int", (vals, mask if mask.any() else None)
    if kind == "float":
        return "float", s.to_numpy(dtype="float64")
    if kind == "date":
        return "date", _days(s)
    codes, uniques = pd.factorize(s)
    return "str", (codes, np.asarray(uniques, dtype=object), {})


def _int64(vals, mask, a, b):
    """Rows a:b of an integer column as int64, 0 where NULL (what is hashed and written)."""
    part = vals[a:b]
    if mask is not None:
        part = np.where(mask[a:b], 0, part)
    return part.astype(np.int64, copy=False)


def _hash_input(tag, payload):
    """What the column adds to the checksum, ready for `_hash_table` (which needs no GIL)."""
    if tag == "int":
        return ("int", *payload)
    if tag == "date":
        vals, mask = payload
        return (
            "bytes",
            np.ascontiguousarray(vals, dtype="<i8"),
            np.ascontiguousarray(mask, dtype="u1"),
        )
    if tag == "float":
        vals = np.asarray(payload, dtype="float64")
        return ("bytes", np.ascontiguousarray(np.where(np.isnan(vals), np.nan, vals), dtype="<f8"))
    codes, uniques, known = payload
    if "hashed" not in known:
        table = np.empty(len(uniques) + 1, dtype=object)
        table[:-1] = uniques
        table[-1] = ""  # NULL and '' hash alike
        known["hashed"] = pd.util.hash_array(table, categorize=False).astype("<u8")
    return ("text", known["hashed"], codes)  # row i hashes as hashed[codes[i]] (-1: the last)


def _hash_table(head, columns):
    """leokit.extract.content_sha256, byte for byte: the header, then each column."""
    h = hashlib.sha256()
    h.update(head)
    step = 1 << 22
    for how, *arrays in columns:
        if how == "text":
            hashed, codes = arrays
            for a in range(0, len(codes), step):
                h.update(np.ascontiguousarray(hashed[codes[a : a + step]]))
        elif how == "int":  # int64 values, then the NULL mask as bytes
            vals, mask = arrays
            for a in range(0, len(vals), step):
                h.update(np.ascontiguousarray(_int64(vals, mask, a, a + step), dtype="<i8"))
            for a in range(0, len(vals), step):
                b = min(a + step, len(vals))
                h.update(bytes(b - a) if mask is None else mask[a:b].view(np.uint8))
        else:
            for part in arrays:
                h.update(part)
    return h.hexdigest()


def _arrow_of(tag, payload, s):
    """How _Parts makes the column's Arrow arrays: what _arrow_table gives for it."""
    import pyarrow as pa

    if tag == "int":
        vals, mask = payload
        return ("int", vals, mask if mask is not None and mask.any() else None)
    if tag == "float":
        return ("float", np.asarray(payload, dtype="float64"))
    if tag == "date":
        days, mask = payload
        return ("date", days.astype("int32"), mask)
    import pyarrow.compute as pc

    codes, uniques, known = payload
    if "dictionary" not in known:
        known["dictionary"] = pa.array(uniques, type=pa.string())
    dictionary = known["dictionary"]
    if len(codes) and len(uniques):
        if "lengths" not in known:
            known["lengths"] = np.asarray(pc.binary_length(dictionary).fill_null(0), np.int64)
        lengths = known["lengths"]
        if int(lengths.max()) * len(codes) > _STR_LIMIT:  # maybe more than pa.array holds
            total = 0
            for a in range(0, len(codes), 1 << 22):
                c = codes[a : a + (1 << 22)]
                total += int(lengths[c[c >= 0]].sum())
            if total > _STR_LIMIT:  # pa.array would chunk it: do exactly that
                vals = s.to_numpy(dtype=object, copy=True)
                vals[codes < 0] = None
                return ("arrow", pa.array(vals, type=pa.string(), from_pandas=True))
    return ("text", codes, dictionary)


def _prepare_table(name, v, year, cols, registry, memo, observe=False):
    """(_Parts, checksum input, observed) of one table, converting each column once; the
    checksum is `_hash_table(*input)`; observed is None, or with `observe` the
    {column: (rows, NULLs, blanks, 9999-12-31s)} the data card reports. memo: a _TextMemo."""
    parts = _Parts(name, v, year, len(cols))
    observed = OrderedDict() if observe else None
    header = [[c.name_for(year), c.kind] for c in v.columns_for(year)]
    head = json.dumps(header, sort_keys=True).encode("utf-8") + str(len(cols)).encode("ascii")
    hashing = []
    conformed = None
    for i, c in enumerate(v.columns_for(year)):
        s = cols.series(i)
        got = _canonical(s, c.kind, memo) if s is not None else None
        if got is None:
            if conformed is None:
                conformed = _conformed(cols, v, year, name, registry)
            s = conformed[c.name_for(year)]
            got = _from_read_form(s, c.kind)
        tag, payload = got
        hashing.append(_hash_input(tag, payload))
        if observe:
            observed[c.name_for(year)] = _observed(tag, payload, len(cols))
        arrow = _arrow_of(tag, payload, s)
        parts.columns.append((c, arrow))
        parts.nbytes += sum(x.nbytes for x in arrow[1:] if isinstance(x, np.ndarray))
    return parts, (head, hashing), observed


_OPEN_END_DAYS = (datetime.date(9999, 12, 31) - _EPOCH).days


def _observed(tag, payload, n):
    """(rows, NULLs, blanks '', 9999-12-31s) of a converted column: what
    leokit.datacard.observed_missingness counts in the column, from the codes and masks."""
    blanks = open_end = 0
    if tag == "int":
        mask = payload[1]
        nulls = 0 if mask is None else int(np.count_nonzero(mask))
    elif tag == "float":
        nulls = int(np.count_nonzero(np.isnan(payload)))
    elif tag == "date":
        days, mask = payload
        nulls = int(np.count_nonzero(mask))
        open_end = int(np.count_nonzero((days == _OPEN_END_DAYS) & ~mask))
    else:
        codes, uniques, known = payload
        nulls = int(np.count_nonzero(codes < 0))
        if "blank" not in known:  # a NULL's unused entry is "" too, never a code
            known["blank"] = np.flatnonzero(uniques == "")
        blanks = sum(int(np.count_nonzero(codes == k)) for k in known["blank"])
    return (n, nulls, blanks, open_end)


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
    """df: the table in read form, or the _Parts the writer prepared from it."""
    import pyarrow.parquet as pq

    path = os.path.join(folder, name + FILE_SUFFIX["parquet"])
    if isinstance(df, _Parts):
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


def _write_duckdb(plan, folder, schema, progress_bar, registry, observed=None):
    """One database file per LEO/NPD/HESA database; returns the manifest rows per table
    (and fills `observed`, when given, as ExtractWriter.observed)."""
    import duckdb

    def q(ident):
        return '"' + str(ident).replace('"', '""') + '"'

    by_db = OrderedDict()
    for item in plan:
        by_db.setdefault(item[1].database, []).append(item)
    done = {}
    memo = _TextMemo()
    for db, items in by_db.items():
        con = duckdb.connect(os.path.join(folder, db + FILE_SUFFIX["duckdb"]))
        try:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {q(schema)}")
            for name, v, year, cols in items:
                parts, hash_input, counts = _prepare_table(
                    name, v, year, cols, registry, memo, observe=observed is not None
                )
                if counts is not None:
                    observed[name] = counts
                done[name] = (name, v, year, len(cols), _hash_table(*hash_input))
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
    return [done[name] for name, _, _, _ in plan]


# converted tables waiting for the writer and the hasher, at most: a bound on the memory
# they hold (the biggest national table fits, so the generator goes on while it is written)
_BACKLOG_BYTES = 1536 * 2**20


class _Pipeline:
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
            _FILE_WRITERS[self.fmt](parts, v, year, name, self.folder)
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
        hashed = self.hasher.submit(_hash_table, *hash_input)
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


_FILE_WRITERS = {"parquet": _write_parquet, "csv": _write_csv, "dta": _write_dta}


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
        self._done = OrderedDict()  # name -> (name, view, year, rows, checksum or its future)
        self._duckdb = []  # (name, view, year, columns) for finish
        self._memo = _TextMemo()
        self._pipe = self._bar = self._tmp = None
        self.done = False  # True once the extract is in place
        parent = os.path.dirname(self.out)
        self._made = _missing_dirs(parent)
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as e:
            raise WriteError(f"cannot write the extract to {self.out}: {e.strerror}") from None
        clean_leftovers(self.out)
        try:
            self._tmp = _make_temporary(self.out)
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=f"writing {fmt}", unit="table",
                             disable=not progress)  # fmt: skip
            if fmt == "parquet":
                self._pipe = _Pipeline(fmt, self._tmp, self._bar)
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
        ((name, v, year, cols),) = _plan({name: df}, self.registry)
        self._add(name, v, year, cols)

    def _add(self, name, v, year, cols):
        if self._tmp is None:
            raise WriteError("the extract is finished or aborted: no more tables")
        if name in self._done or any(name == d[0] for d in self._duckdb):
            raise WriteError(f"table {name!r} given twice")
        self._bar.set_postfix_str(name, refresh=False)
        observe = self.observed is not None
        counts = None
        if self.fmt == "duckdb":
            self._duckdb.append((name, v, year, cols))
        elif self.fmt == "parquet":
            parts, hash_input, counts = _prepare_table(
                name, v, year, cols, self.registry, self._memo, observe
            )
            sha = self._pipe.add(parts, hash_input)
            self._done[name] = (name, v, year, len(cols), sha)
        else:
            frame = _conformed(cols, v, year, name, self.registry)
            sha = content_sha256(frame, v, year, _conformed=True)
            if observe:
                counts = OrderedDict()
                for c in v.columns_for(year):
                    col = c.name_for(year)
                    counts[col] = _observed(*_from_read_form(frame[col], c.kind), len(frame))
            _FILE_WRITERS[self.fmt](frame, v, year, name, self._tmp)
            self._done[name] = (name, v, year, len(frame), sha)
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
                done = _write_duckdb(self._duckdb, self._tmp, self.schema, self._bar, self.registry,
                                     self.observed)  # fmt: skip
                self._duckdb = []
            else:
                done = [(name, v, year, rows, sha if isinstance(sha, str) else sha.result())
                        for name, v, year, rows, sha in self._done.values()]  # fmt: skip
            manifest = _manifest(done, self.fmt, self.schema, params, truth is not None)
            written = sorted({t["file"] for t in manifest["tables"].values()})
            if truth is not None:
                _write_text(os.path.join(self._tmp, TRUTH), _json(truth))
                written.append(TRUTH)
            for fname, content in (extra_files or {}).items():
                if (
                    fname in (MANIFEST, _MARK)
                    or fname in written
                    or fname != os.path.basename(fname)
                ):
                    raise WriteError(f"extra file {fname!r}: expected a new plain file name")
                text = content(manifest) if callable(content) else content
                _write_text(os.path.join(self._tmp, fname), text)
                written.append(fname)
            if self._pipe is not None:  # the last tables' files, written meanwhile
                self._pipe.finish()
                self._pipe.close()
                self._pipe = None
            manifest["written_by"] = WRITTEN_BY
            manifest["files"] = _files_entry(self._tmp, written)
            _write_text(os.path.join(self._tmp, MANIFEST), _json(manifest))
            self._bar.close()
            with _SignalsHeld():  # the swap and the bookkeeping are not to be separated
                _swap(self._tmp, self.out)
                self._tmp = None
                self.done = True
        except BaseException:
            self.abort()
            raise
        return json.loads(_json(manifest))

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
    plan = _plan(tables, registry)  # names only, all checked before anything is written
    with ExtractWriter(out, fmt, progress, schema, registry, total=len(plan)) as w:
        # smallest tables first: the biggest are then still being written while the
        # extra files render (the manifest needs only the checksums)
        for name, v, year, cols in sorted(plan, key=lambda p: len(p[3]) * len(p[3].actual)):
            w._add(name, v, year, cols)
        return w.finish(truth, params, extra_files)


def _missing_dirs(path):
    """The folders on `path` that do not exist yet, innermost first."""
    out = []
    path = os.path.abspath(path)
    while path and not os.path.exists(path):
        out.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return out


def _write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def _temporary_name(out, kind):
    return os.path.join(
        os.path.dirname(out),
        f".{os.path.basename(out)}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}",
    )


def _make_temporary(out):
    """The hidden folder an extract is written into, marked as this process's."""
    tmp = _temporary_name(out, "tmp")
    os.mkdir(tmp, 0o755)
    mark = {"pid": os.getpid(), "host": socket.gethostname(), "out": out}
    _write_text(os.path.join(tmp, _MARK), _json(mark))
    return tmp


class _SignalsHeld:
    """SIGINT and SIGTERM wait while the extract is swapped into place (two renames that
    must not be separated); they are delivered afterwards. POSIX main thread only."""

    def __enter__(self):
        import signal
        import threading

        self._held = None
        wanted = {getattr(signal, n) for n in ("SIGINT", "SIGTERM") if hasattr(signal, n)}
        block = getattr(signal, "pthread_sigmask", None)
        if block is not None and wanted and threading.current_thread() is threading.main_thread():
            self._held = block(signal.SIG_BLOCK, wanted)
        return self

    def __exit__(self, *exc):
        if self._held is not None:
            import signal

            signal.pthread_sigmask(signal.SIG_SETMASK, self._held)


def _swap(tmp, out):
    """Rename the finished folder into place. A previous extract leokit wrote is replaced (its
    own files removed); anything else in `out` by now is refused, and `out` kept."""
    if not os.path.lexists(out):
        os.remove(os.path.join(tmp, _MARK))
        os.rename(tmp, out)
        return
    why = not_ours(out)  # checked again: the folder may have changed while we wrote
    if why:
        raise WriteError(f"refusing to replace {out}: {why}; the new extract was not kept")
    files = own_files(out)
    os.remove(os.path.join(tmp, _MARK))
    old = _temporary_name(out, "old")
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    _remove_own(old, files if isinstance(files, dict) else {})


def _remove_own(folder, files):
    """Remove the files leokit wrote in `folder`, then the folder; anything else stays."""
    for name in files:
        try:
            os.remove(os.path.join(folder, name))
        except FileNotFoundError:
            pass
    try:
        os.rmdir(folder)
    except OSError:
        import warnings

        warnings.warn(
            f"kept {folder}: it held files leokit did not write (the previous extract's own "
            "files were removed)",
            stacklevel=3,
        )
