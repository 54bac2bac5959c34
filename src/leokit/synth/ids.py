"""Pseudonymised identifiers shaped like the real ones (fixed-width, upper-case alphanumeric)."""

import numpy as np

_ALNUM = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


def _sorted_has_repeats(a):
    """True when the sorted 1-d array `a` holds a value twice."""
    return bool(len(a) > 1 and (a[1:] == a[:-1]).any())


def _all_unique(digits, base, keys_bytes):
    """Whether the keys (rows of `digits`, each digit < base) are all different.

    A fast exact test: the rows are packed into one uint64 each (a base-`base` number,
    wrapping modulo 2**64, so different packed values prove different keys); only when two
    packed values coincide are the keys themselves compared.
    """
    packed = np.zeros(len(digits), dtype=np.uint64)
    b = np.uint64(base)
    for j in range(digits.shape[1]):
        packed *= b
        packed += digits[:, j].astype(np.uint64)
    packed.sort()
    if not _sorted_has_repeats(packed):
        return True
    return not _sorted_has_repeats(np.sort(keys_bytes))


def _draw_raw(rng, n, length, alphabet):
    """n unique random keys as a fixed-width bytes array (S<length>)."""
    for _ in range(10):
        digits = rng.integers(0, len(alphabet), size=(n, length))
        codes = alphabet[digits]
        raw = codes.view(f"S{length}").ravel()
        if _all_unique(digits, len(alphabet), raw):
            return raw
    raise RuntimeError(f"could not draw {n} unique keys of length {length}")


def _text(raw):
    """ASCII bytes keys (S<k>) as unicode (U<k>): raw.astype('U'), by widening each byte."""
    k = raw.dtype.itemsize
    return raw.view(np.uint8).reshape(len(raw), k).astype(np.uint32).view(f"U{k}").ravel()


def _draw(rng, n, length, alphabet, prefix="", as_object=True):
    if n == 0:
        return np.array([], dtype=object if as_object else "U1")
    keys = _text(_draw_raw(rng, n, length, alphabet))
    # the prefix is the same for every key, so it cannot make two keys equal or different
    if prefix:
        keys = np.char.add(prefix, keys)
    return keys.astype(object) if as_object else keys


def alnum_keys(rng, n, length, prefix="", as_object=True):
    """n unique random keys, e.g. PMRs (18) and EDUKEYs (14): an object array of str, or
    with as_object=False the same keys as a fixed-width unicode array."""
    return _draw(rng, n, length - len(prefix), _ALNUM, prefix, as_object)


def alnum_keys_by_text(rng, n, length):
    """alnum_keys(rng, n, length) (the same draws and keys), returned as (order, text):
    order sorts the keys by text and text[j] is the key order[j], a str made in that order
    (so a table sorted by key reads its strings in memory order)."""
    if n == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=object)
    raw = _draw_raw(rng, n, length, _ALNUM)
    order = np.argsort(raw, kind="stable")  # bytes order is text order for ASCII
    return order, _text(raw[order]).astype(object)


def binary16_keys(rng, n):
    """n unique binary(16) pseudonyms shown as SQL Server displays them: '0x' + 32 hex digits."""
    return _draw(rng, n, 32, _HEX, "0x")


def digit_keys(rng, n, length):
    """n unique numeric-text keys (IDBR ENTKEY is a 10-digit reference)."""
    digits = np.frombuffer(b"0123456789", dtype=np.uint8)
    return _draw(rng, n, length, digits)


def big_ints(rng, n, low=10**9, high=10**12):
    """n unique positive integers (AE_ID bigint, UCAS ids)."""
    out = np.sort(rng.integers(low, high, size=int(n * 1.05) + 10))
    if len(out) > 1:  # np.unique, without its (slower) hash table
        keep = np.empty(len(out), dtype=bool)
        keep[0] = True
        np.not_equal(out[1:], out[:-1], out=keep[1:])
        out = out[keep]
    rng.shuffle(out)
    if len(out) < n:
        raise RuntimeError("too few unique ids")
    return out[:n].astype(np.int64)


def sort_order(keys):
    """Indices that stably sort an array of text keys (object of str, or unicode) as Python
    and pandas would."""
    keys = np.asarray(keys)
    if len(keys) == 0:
        return np.array([], dtype=np.int64)
    try:
        fixed = keys.astype("S")  # ASCII: byte order is code point order, and faster
    except (UnicodeEncodeError, TypeError, ValueError):
        fixed = keys.astype("U")
    return np.argsort(fixed, kind="stable")
