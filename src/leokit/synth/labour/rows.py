"""Array helpers of the labour stage: index types, blocks of rows, stable orders, key runs.

    for a, b in blocks(len(rows)):      # work on rows[a:b] at a time
        ...
    order = keyed_rows(edukey_code, year_index, keys)   # rows of a keyed (Edukey, TaxYear) view

The labour stage works on person x year arrays and on tens of millions of person-year rows
at national scale; these helpers keep their types small and their temporaries one block
long, without changing a value or a random draw.
"""

import numpy as np

from .taxyears import YEARS

BLOCK = 1 << 21  # rows per block when a long computation is done a block at a time
UNIFORM_ROWS = 1 << 18  # rows of uniforms drawn at a time by uniform_below


def index_dtype(n):
    """The smallest of int16/int32/int64 that holds indices below n (and -1)."""
    return np.int16 if n < 2**15 - 1 else np.int32 if n < 2**31 - 1 else np.int64


def blocks(n, size=None):
    """(start, stop) of consecutive blocks of `size` (default BLOCK) rows covering range(n).

    No value depends on the block size (tests/synth checks that the extract is the same
    with tiny blocks): blocks only bound the size of temporaries."""
    size = BLOCK if size is None else size
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def uniform_below(rng, shape, p, rows_per_chunk=None):
    """rng.random(shape) < p, drawn a block of rows at a time: the same draws (uniform
    doubles take one 64-bit output each, in order) without the (N, T) float array."""
    rows_per_chunk = UNIFORM_ROWS if rows_per_chunk is None else rows_per_chunk
    out = np.empty(shape, dtype=bool)
    for a in range(0, shape[0], rows_per_chunk):
        b = min(a + rows_per_chunk, shape[0])
        np.less(rng.random((b - a,) + tuple(shape[1:])), p, out=out[a:b])
    return out


def stable_order(major, minor=None, minor_size=1):
    """Row order of a stable sort by (major, minor): integers, 0 <= minor < minor_size."""
    key = major.astype(np.int64)
    if minor is not None:
        key = key * int(minor_size) + minor
    return np.argsort(key, kind="stable")


def first_of_runs(key_a, key_b):
    """In rows sorted by (a, b): True at the first row of each distinct (a, b) pair."""
    first = np.ones(len(key_a), dtype=bool)
    if len(key_a) > 1:
        first[1:] = (key_a[1:] != key_a[:-1]) | (key_b[1:] != key_b[:-1])
    return first


def keyed_rows(code, t_idx, keys):
    """Rows (indices) of a keyed (Edukey, TaxYear) view: blank keys dropped, the first row
    of each (key, year) kept, sorted by key text then year (what `df[df.Edukey != '']
    .drop_duplicates([Edukey, TaxYear]).sort_values([Edukey, TaxYear], kind='mergesort')`
    gives, computed on integer codes)."""
    rows = np.flatnonzero(code != keys.edukey_blank)
    rank = keys.edukey_rank()
    fast = runs_in_key_order(code[rows], t_idx[rows], rank)
    if fast is not None:
        return rows[fast]
    r = rank[code[rows]]
    t_r = t_idx[rows]
    order = stable_order(r, t_r, len(YEARS))
    rows, r, t_r = rows[order], r[order], t_r[order]
    return rows[first_of_runs(r, t_r)]


def runs_in_key_order(code, t, rank):
    """The stable order by (rank[code], t), when rows come as runs of one key with t rising
    (a person's years) and no key in two runs: then sorting the runs is enough, and no
    (key, year) repeats. None when the rows are not like that."""
    n = len(code)
    if n == 0:
        return np.empty(0, dtype=np.intp)
    same = code[1:] == code[:-1]
    if not ((t[1:] > t[:-1]) | ~same).all():
        return None
    starts = np.flatnonzero(~same) + 1
    starts = np.concatenate([[0], starts])
    del same
    run_rank = rank[code[starts]]
    order = np.argsort(run_rank, kind="stable")
    sorted_rank = run_rank[order]
    if len(sorted_rank) > 1 and not (sorted_rank[1:] > sorted_rank[:-1]).all():
        return None  # a key in two runs
    lens = np.diff(np.append(starts, n))[order]
    shift = starts[order] - (np.cumsum(lens) - lens)  # run start minus its place in the output
    out = np.repeat(shift, lens)
    out += np.arange(n)
    return out
