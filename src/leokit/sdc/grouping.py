"""Grouping for disclosure control: missing categories kept as their own labelled group (so
totals agree across tables), and distinct units counted per group.

    gid, groups, keep = group_keys(df, ["region"], MISSING, report)
"""

import numpy as np
import pandas as pd


def factorize_missing(series, name, missing):
    """(codes, labels) for one grouping column: codes 0..K-1 follow the sorted observed values,
    and missing values get code K with the label ``missing`` (or -1 when ``missing`` is None)."""
    codes, uniques = pd.factorize(series, sort=True)
    codes = np.asarray(codes, dtype=np.int64)
    has_missing = bool((codes < 0).any())
    labels = pd.Index(uniques) if not isinstance(uniques, pd.Index) else uniques
    if has_missing and missing is not None:
        if any(str(u) == str(missing) for u in labels):
            raise ValueError(
                f"column {name!r} already has a category {missing!r}; pass missing= another "
                "label for its missing values"
            )
        codes = np.where(codes < 0, len(labels), codes)
        labels = pd.Index(list(labels) + [missing], dtype=object)
    return codes, labels, has_missing


def group_keys(df, by, missing, report):
    """Group ids (sorted as the by columns, missing last), one row per group with its labels,
    and the mask of rows kept (rows with a missing category are dropped if missing=None)."""
    keep = np.ones(len(df), dtype=bool)
    factors = []
    for c in by:
        codes, labels, has_missing = factorize_missing(df[c], c, missing)
        if has_missing:
            if missing is None:
                keep &= codes >= 0
                report.note(f"rows with a missing {c} are left out")
            else:
                report.note(f"missing values of {c} are shown as {missing!r}")
        factors.append((codes, labels))
    combined = np.zeros(len(df), dtype=np.int64)
    for codes, labels in factors:
        combined = combined * (len(labels) + 1) + np.where(codes < 0, 0, codes)
    uniq, gid = np.unique(combined[keep], return_inverse=True)
    gid = np.asarray(gid, dtype=np.int64).ravel()
    # one representative row per group gives the group's labels
    order = np.argsort(gid, kind="mergesort")
    starts = np.searchsorted(gid[order], np.arange(len(uniq)))
    rep = np.flatnonzero(keep)[order[starts]] if len(uniq) else np.zeros(0, dtype=np.int64)
    groups = pd.DataFrame(
        {c: labels.take(codes[rep]).values for c, (codes, labels) in zip(by, factors)}
    )
    return gid, groups, keep


def unit_codes(df, unit):
    if unit is None:
        return None
    codes, _ = pd.factorize(df[unit])
    codes = np.asarray(codes, dtype=np.int64)
    if (codes < 0).any():
        raise ValueError(
            f"unit column {unit!r} has missing values: every row must belong to a unit "
            "(drop those rows, or count rows with unit=None)"
        )
    return codes


def distinct_per_group(gid, ucodes, n_groups):
    """Distinct units in each group (rows when ucodes is None)."""
    if ucodes is None:
        return np.bincount(gid, minlength=n_groups).astype(np.float64)
    width = int(ucodes.max()) + 1 if len(ucodes) else 1
    pairs = np.unique(gid * width + ucodes)
    return np.bincount(pairs // width, minlength=n_groups).astype(np.float64)
