"""Columns of the two biggest labour views, filled a block of rows at a time.

    out = ViewColumns(n_rows, compact)
    for a, b in blocks(n_rows):
        out.text("Edukey", edukeys, codes[a:b], a, b)     # edukeys: a TextLookup
        out.numbers("TaxYear", years[a:b], a, b, np.int32)
    df = out.frame("leo_earnings")

leo_earnings and leo_geography have tens of millions of rows at national scale: their
columns are allocated once and filled in blocks, so that the temporaries stay one block
long. With `compact` the text columns are Categoricals and the integers narrow (what the
streaming writer takes as it is); otherwise they are object text and int64 like every
other view.
"""

import numpy as np
import pandas as pd

from ..frames import frame_taken


class ViewColumns:
    """Output columns of a view, allocated once and filled a block of rows at a time (the
    temporaries of a block stay small; only the columns themselves take memory).

    compact: text as Categorical and integers in the narrow types the caller names (the
    same values in a quarter of the memory or less, which a writer takes as they are);
    otherwise object text and int64, as the rest of the package expects of a view.
    """

    def __init__(self, n, compact):
        self.n = n
        self.compact = compact
        self.data = {}

    def text(self, name, lookup, index, a, b):
        """Text column lookup.values[index] for rows a:b."""
        col = self.data.get(name)
        if self.compact:
            dtype, codes = lookup.categories()
            if col is None:
                col = self.data[name] = _Coded(dtype, np.empty(self.n, dtype=codes.dtype))
            np.take(codes, index, out=col.codes[a:b], mode="clip")
        else:
            if col is None:
                col = self.data[name] = np.empty(self.n, dtype=object)
            np.take(lookup.values, index, out=col[a:b], mode="clip")  # ('raise' would buffer)

    def numbers(self, name, values, a, b, narrow=np.int64):
        out = self.data.get(name)
        if out is None:
            out = self.data[name] = np.empty(self.n, dtype=narrow if self.compact else np.int64)
        out[a:b] = values

    def nullable(self, name, values, null_at, a, b, fill, narrow=np.int64, nulls_of=None):
        """Int64 column: values (whole numbers) with NULL where null_at; `fill` is what
        pandas holds under the mask for the column built as before. nulls_of: a column
        with the same NULLs, whose mask a compact column shares (a writer only reads it)."""
        if name not in self.data:
            dtype = narrow if self.compact else np.int64
            shared = self.data[nulls_of][1] if self.compact and nulls_of else None
            mask = np.empty(self.n, dtype=bool) if shared is None else shared
            self.data[name] = (np.empty(self.n, dtype=dtype), mask)
        data, mask = self.data[name]
        vals = np.where(null_at, 0.0, values)
        ints = vals.astype(np.int64)
        if (ints != vals).any():
            raise ValueError("cannot make an Int64 column of numbers that are not whole")
        ints[null_at] = fill
        data[a:b] = ints
        mask[a:b] = null_at

    def frame(self, view_name):
        out = {}
        for name, v in self.data.items():
            if isinstance(v, _Coded):
                v = pd.Categorical.from_codes(v.codes, dtype=v.dtype, validate=False)
            elif isinstance(v, tuple):
                v = pd.arrays.IntegerArray(*v)
            out[name] = v
        return frame_taken(view_name, None, out)


class _Coded:
    """A compact text column being filled: codes into dtype.categories."""

    def __init__(self, dtype, codes):
        self.dtype = dtype
        self.codes = codes


class TextLookup:
    """Text by index: `values` (an object array, None for NULL, then the lookup's last
    entry) and, made once when first asked, the same as categories and codes.

    dtype: a CategoricalDtype whose categories are `values` in order, when one is at hand.
    """

    def __init__(self, values, *more, dtype=None):
        self.values = np.empty(len(values) + len(more), dtype=object)
        self.values[: len(values)] = values
        self.values[len(values) :] = more
        self._categories = None
        if dtype is not None:
            self._categories = (dtype, np.arange(len(values), dtype=code_width(len(values))))

    def __len__(self):
        return len(self.values)

    def categories(self):
        """(CategoricalDtype of the distinct texts, code of each entry: -1 for None)."""
        if self._categories is None:
            codes, uniques = pd.factorize(self.values)
            self._categories = (
                pd.CategoricalDtype(uniques),
                codes.astype(code_width(len(uniques))),
            )
        return self._categories


def code_width(k):
    """The type pandas gives the codes of k categories (so that it keeps them uncopied)."""
    return next(t for t in (np.int8, np.int16, np.int32, np.int64) if k < np.iinfo(t).max)


def _nan_as_int64():
    """What pandas leaves under the mask of pd.array(nan, dtype="Float64").astype("Int64")."""
    return int(pd.array(np.array([np.nan]), dtype="Float64").astype("Int64")._data[0])


NAN_AS_INT64 = _nan_as_int64()  # fill of the NULLs of nullable pound columns
