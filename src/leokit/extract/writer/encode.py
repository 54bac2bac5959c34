"""A table's columns converted once, for both its checksum and its Arrow arrays.

    memo = TextMemo()
    parts, hash_input, counts = prepare_table(name, view, year, Columns(df, names), REGISTRY,
                                              memo, observe=True)
    hash_table(*hash_input) == content_sha256(conform(df, name), name)   # byte for byte
    parts.write_parquet(path)       # the same bytes as pq.write_table of the whole table

Columns the generator makes (numpy ints, floats, datetime64, object or categorical text)
are taken as they are; anything else goes through leokit.extract.conform first. Text is
factorized into codes and a dictionary, by object identity where that is cheaper.

Current stack only (not SRS-bound).
"""

import datetime
import hashlib
import json
import weakref
from collections import OrderedDict
from typing import NamedTuple, Optional

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from leokit.extract.convert import conform
from leokit.extract.formats import EPOCH, ExtractError, date_days
from leokit.extract.writer.target import WriteError

__all__ = [
    "Table",
    "Written",
    "Columns",
    "read_form",
    "Parts",
    "TextMemo",
    "from_read_form",
    "prepare_table",
    "hash_table",
    "observed_counts",
]


class Table(NamedTuple):
    """One table to write: a concrete view and its columns in registry order."""

    name: str  # the concrete view name (hesa_2013)
    view: object  # the registry View
    year: Optional[int]  # its year, for a per-year view
    columns: "Columns"


class Written(NamedTuple):
    """What the manifest records of a table written."""

    name: str
    view: object
    year: Optional[int]
    rows: int
    sha256: object  # the checksum, or (while the Parquet pipeline hashes it) its future


class Columns:
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


def read_form(cols, v, year, name, registry):
    """The table in read form (leokit.extract.conform), for the csv and dta writers."""
    try:
        frame = conform(cols.frame(), v, year, registry=registry, where=f"table {name!r}")
    except ExtractError as e:
        raise WriteError(str(e)) from None
    return frame.reset_index(drop=True)


# ------------------------------------------------------------------------------ columns
_ROW_GROUP = 1024 * 1024  # rows per Parquet row group: pyarrow's default, which write_table uses
_BATCH_BYTES = 512 * 2**20


class Parts:
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


class TextMemo:
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


def from_read_form(s, kind):
    """(tag, payload) of a column already in read form (conform's output), computed as
    leokit.extract.content_sha256 and the Arrow conversion always did."""
    if kind in ("int", "flag"):
        mask = s.isna().to_numpy(dtype=bool)
        vals = s.to_numpy(dtype="int64", na_value=0) if mask.any() else s.to_numpy(dtype="int64")
        return "int", (vals, mask if mask.any() else None)
    if kind == "float":
        return "float", s.to_numpy(dtype="float64")
    if kind == "date":
        return "date", date_days(s)
    codes, uniques = pd.factorize(s)
    return "str", (codes, np.asarray(uniques, dtype=object), {})


def _int64(vals, mask, a, b):
    """Rows a:b of an integer column as int64, 0 where NULL (what is hashed and written)."""
    part = vals[a:b]
    if mask is not None:
        part = np.where(mask[a:b], 0, part)
    return part.astype(np.int64, copy=False)


def _hash_input(tag, payload):
    """What the column adds to the checksum, ready for `hash_table` (which needs no GIL)."""
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


def hash_table(head, columns):
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
    """How Parts makes the column's Arrow arrays: what _arrow_table gives for it."""
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


def prepare_table(name, v, year, cols, registry, memo, observe=False):
    """(Parts, checksum input, observed) of one table, converting each column once; the
    checksum is `hash_table(*input)`; observed is None, or with `observe` the
    {column: (rows, NULLs, blanks, 9999-12-31s)} the data card reports. memo: a TextMemo."""
    parts = Parts(name, v, year, len(cols))
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
                conformed = read_form(cols, v, year, name, registry)
            s = conformed[c.name_for(year)]
            got = from_read_form(s, c.kind)
        tag, payload = got
        hashing.append(_hash_input(tag, payload))
        if observe:
            observed[c.name_for(year)] = observed_counts(tag, payload, len(cols))
        arrow = _arrow_of(tag, payload, s)
        parts.columns.append((c, arrow))
        parts.nbytes += sum(x.nbytes for x in arrow[1:] if isinstance(x, np.ndarray))
    return parts, (head, hashing), observed


_OPEN_END_DAYS = (datetime.date(9999, 12, 31) - EPOCH).days


def observed_counts(tag, payload, n):
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
