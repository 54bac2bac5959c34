"""Pseudonymised identifiers shaped like the real ones (fixed-width, upper-case alphanumeric)."""

import numpy as np

_ALNUM = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


def _draw(rng, n, length, alphabet, prefix=""):
    if n == 0:
        return np.array([], dtype=object)
    for _ in range(10):
        codes = alphabet[rng.integers(0, len(alphabet), size=(n, length))]
        keys = codes.view(f"S{length}").ravel().astype("U")
        if prefix:
            keys = np.char.add(prefix, keys)
        if len(np.unique(keys)) == n:
            return keys.astype(object)
    raise RuntimeError(f"could not draw {n} unique keys of length {length}")


def alnum_keys(rng, n, length, prefix=""):
    """n unique random keys, e.g. PMRs (18) and EDUKEYs (14)."""
    return _draw(rng, n, length - len(prefix), _ALNUM, prefix)


def binary16_keys(rng, n):
    """n unique binary(16) pseudonyms shown as SQL Server displays them: '0x' + 32 hex digits."""
    return _draw(rng, n, 32, _HEX, "0x")


def digit_keys(rng, n, length):
    """n unique numeric-text keys (IDBR ENTKEY is a 10-digit reference)."""
    digits = np.frombuffer(b"0123456789", dtype=np.uint8)
    return _draw(rng, n, length, digits)


def big_ints(rng, n, low=10**9, high=10**12):
    """n unique positive integers (AE_ID bigint, UCAS ids)."""
    out = np.unique(rng.integers(low, high, size=int(n * 1.05) + 10))
    rng.shuffle(out)
    if len(out) < n:
        raise RuntimeError("too few unique ids")
    return out[:n].astype(np.int64)
