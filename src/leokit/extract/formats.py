"""File formats, names and the manifest of an extract: what a reader and a writer agree on.

    from leokit.extract.formats import FORMATS, FILE_SUFFIX, MANIFEST, read_manifest
    read_manifest("data_synthetic")["tables"]["leo_earnings"]["sha256"]

SRS-bound: runs on Python 3.7 + pandas 1.0.1 (standard library, numpy and pandas only).
"""

import datetime
import difflib
import json
import os
import re

import numpy as np
import pandas as pd

__all__ = [
    "ExtractError",
    "FORMATS",
    "FORMAT_NAME",
    "FILE_SUFFIX",
    "MANIFEST",
    "WRITING_MARK",
    "STATA_MAX_NAME",
    "DEFAULT_CHUNKSIZE",
    "EPOCH",
    "STATA_EPOCH",
    "ISO_DATE",
    "first_line",
    "unreadable",
    "read_manifest",
    "date_days",
    "match_name",
    "stata_match",
    "close_first",
    "registry_resolve",
    "registry_column",
]

FORMATS = ("parquet", "csv", "dta", "duckdb")
MANIFEST = "manifest.json"
# inside the temporary folder `leokit synth` writes into: a folder holding it is no extract
WRITING_MARK = ".leokit-writing"
FORMAT_NAME = {"parquet": "Parquet", "csv": "CSV", "dta": "Stata .dta", "duckdb": "DuckDB"}
FILE_SUFFIX = {"parquet": ".parquet", "csv": ".csv", "dta": ".dta", "duckdb": ".duckdb"}
STATA_MAX_NAME = 32
DEFAULT_CHUNKSIZE = 500000

EPOCH = datetime.date(1970, 1, 1)
STATA_EPOCH = datetime.date(1960, 1, 1)
ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?\s*$")


class ExtractError(ValueError):
    """A view, column or value is not what the extract or the registry says it should be."""


def first_line(e):
    """The first line of an exception's message (or its type's name when it has none)."""
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__


def unreadable(path, fmt, e):
    """The ExtractError for a file the reader could not read (truncated, corrupt, not that
    format): one line naming the file, without the reader's traceback."""
    if isinstance(e, OSError) and e.strerror:
        return ExtractError(f"cannot read {path}: {e.strerror}")
    kind = FORMAT_NAME.get(fmt, fmt)
    return ExtractError(
        f"cannot read {path}: not a valid {kind} file (truncated or corrupt?): {first_line(e)}"
    )


def read_manifest(path):
    """The manifest.json of an extract folder (or the file itself) as a dict."""
    p = str(path)
    if os.path.isdir(p):
        p = os.path.join(p, MANIFEST)
    if not os.path.isfile(p):
        raise ExtractError(f"no {MANIFEST} at {path}: not an extract written by leokit")
    with open(p, encoding="utf-8") as f:
        try:
            return json.load(f)
        except ValueError as e:
            raise ExtractError(f"{p} is not valid JSON: {e}") from None


def date_days(s, epoch=EPOCH):
    """Column of datetime.date/None (read form) -> (int64 days since epoch, NULL mask)."""
    codes, uniques = pd.factorize(s)
    vals = np.array([(u - epoch).days for u in uniques] + [0], dtype="int64")
    return vals[codes], codes == -1


# ------------------------------------------------------------------------------ names
def match_name(names, wanted):
    """Case-insensitive lookup of `wanted` in `names`; the actual name or None."""
    low = wanted.lower()
    for n in names:
        if n.lower() == low:
            return n
    return None


def stata_match(names, wanted):
    """As match_name, also accepting Stata's 32-character truncation of long names."""
    hit = match_name(names, wanted)
    if hit is None and len(wanted) > STATA_MAX_NAME:
        hit = match_name(names, wanted[:STATA_MAX_NAME])
    return hit


def close_first(wanted, names):
    """`names` with the close matches to `wanted` first (for error messages)."""
    names = list(names)
    low = dict((n.lower(), n) for n in names)
    close = [low[m] for m in difflib.get_close_matches(wanted.lower(), list(low), n=5, cutoff=0.6)]
    rest = [n for n in names if n not in close]
    if close:
        return "{} (closest first); then {}".format(", ".join(close), ", ".join(rest) or "none")
    return ", ".join(rest)


def registry_resolve(registry, view, year):
    """registry.resolve, with an unknown view as ExtractError (the registry says KeyError)."""
    try:
        return registry.resolve(view, year)
    except KeyError as e:
        err = ExtractError(e.args[0] if e.args else f"unknown view {view!r}")
    raise err


def registry_column(view, name, year):
    """The registry column of `view` stored under `name` in `year` (any casing, or cut to
    Stata's 32 characters), or None."""
    low = str(name).lower()
    for c in view.columns_for(year):
        real = c.name_for(year).lower()
        if low == real or (len(real) > STATA_MAX_NAME and low == real[:STATA_MAX_NAME]):
            return c
    return None
