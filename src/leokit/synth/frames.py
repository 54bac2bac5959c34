"""Building a view's DataFrame from generated arrays, shared by every stage.

    from .frames import frame, int_or_null, repeat_text
    frame("ks2pupil_1996_to_2016", None, {"KS2_TOTMRK": int_or_null(marks, marks < 0), ...})

`frame` and `frame_taken` order the columns as the schema registry declares them for a
year (and fail if a stage forgot one); the rest make columns in the types the writers and
the checksums expect: object text with one str object per distinct value, nullable Int64.

Text columns hold one str object per distinct value, not one per row (as
np.full(n, text, dtype=object) and str_array.astype(object) make): less memory, and a writer
groups rows by object, which is much cheaper than hashing every row's text.
"""

import numpy as np
import pandas as pd

from ..schema import REGISTRY


def _columns(view_name, year, data):
    view = REGISTRY.view(view_name)
    cols = [c.name_for(year) for c in view.columns_for(year)]
    missing = [c for c in cols if c not in data]
    if missing:
        raise KeyError(f"generator forgot {missing} in {view_name}")
    return cols


def frame(view_name, year, data):
    """DataFrame of `data` (column name -> values) in the registry's column order for `year`."""
    cols = _columns(view_name, year, data)
    return pd.DataFrame({c: data[c] for c in cols})


def frame_taken(view_name, year, data, order=None):
    """As `frame`, each column taken in `order` (None: as it is), without a further copy.

    For big views: the frame holds the taken arrays themselves, one block per column (a
    consolidating DataFrame, an `.iloc[order]` and a `reset_index` would copy every column
    three times). With order None the arrays must be fresh ones nobody else holds; a column
    that shares memory with another is copied, so no two columns alias each other.
    """
    cols = _columns(view_name, year, data)
    out = {}
    for c in cols:
        v = data[c]
        if order is not None:
            v = v[order]
        elif isinstance(v, np.ndarray) and any(
            isinstance(w, np.ndarray) and np.may_share_memory(v, w) for w in out.values()
        ):
            v = v.copy()
        out[c] = v
    return pd.DataFrame(out, copy=False)


def text_of_ints(values):
    """values.astype(str).astype(object), one str object per distinct value."""
    uniq, inv = np.unique(values, return_inverse=True)
    return uniq.astype(str).astype(object)[inv.reshape(-1)]


def repeat_text(text, n):
    """np.full(n, text, dtype=object): n references to one str."""
    out = np.empty(n, dtype=object)
    out[:] = text
    return out


def shared_text(values):
    """values (str or object array) as objects, one object per distinct value."""
    codes, uniq = pd.factorize(values, use_na_sentinel=False)
    return np.asarray(uniq, dtype=object)[codes]


def mapped_text(values, fn):
    """np.array([fn(v) for v in values], dtype=object), fn called once per distinct value."""
    codes, uniq = pd.factorize(values, use_na_sentinel=False)
    lut = np.empty(len(uniq), dtype=object)
    lut[:] = [fn(u) for u in uniq]
    return lut[codes]


def int_or_null(values, null_at):
    """Int64 column: values, NULL where null_at (as pd.array(np.where(null_at, None, values),
    dtype="Int64"), without the object array)."""
    data = np.where(null_at, 1, values).astype(np.int64)  # pandas stores 1 under the mask
    return pd.arrays.IntegerArray(data, np.asarray(null_at, dtype=bool).copy())
