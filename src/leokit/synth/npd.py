"""Stage 4: the NPD views: spring census by year, KS2, KS4 (with duplicate rows) and KS5."""

import numpy as np
import pandas as pd

from ..schema import REGISTRY
from .config import CENSUS_YEARS
from .ids import alnum_keys

DUP_CENSUS = 0.005  # dual registrations: a main record (status 1) and a duplicate (101)
KS4_EXTRA_RECORD = 0.015  # an extra, non-end-of-KS4 record (early entry at another school)
KS4_EXACT_DUP = 0.005
KS5_EXTRA_RECORD = 0.01
NO_KS2 = 0.02


def acadyr(end_year):
    """2010 -> '2009/2010' (object array); built once per distinct year."""
    end_year = np.asarray(end_year)
    years, inv = np.unique(end_year, return_inverse=True)
    text = np.array([f"{y - 1}/{y}" for y in years.tolist()], dtype=object)
    return text[inv.reshape(end_year.shape)]


def _text_of_ints(values):
    """values.astype(str).astype(object), one str object per distinct value."""
    uniq, inv = np.unique(values, return_inverse=True)
    return uniq.astype(str).astype(object)[inv.reshape(-1)]


# Text columns hold one str object per distinct value, not one per row (as np.full(n, text,
# dtype=object) and str_array.astype(object) make): less memory, and a writer groups rows by
# object, which is much cheaper than hashing every row's text.
def _repeat(text, n):
    """np.full(n, text, dtype=object), n references to one str."""
    out = np.empty(n, dtype=object)
    out[:] = text
    return out


def _shared_text(values):
    """values (str or object array) as objects, one object per distinct value."""
    codes, uniq = pd.factorize(values, use_na_sentinel=False)
    return np.asarray(uniq, dtype=object)[codes]


def _mapped(values, fn):
    """np.array([fn(v) for v in values], dtype=object), fn called once per distinct value."""
    codes, uniq = pd.factorize(values, use_na_sentinel=False)
    lut = np.empty(len(uniq), dtype=object)
    lut[:] = [fn(u) for u in uniq]
    return lut[codes]


def _int_or_null(values, null_at):
    """Int64 column: values, NULL where null_at (as pd.array(np.where(null_at, None, values),
    dtype="Int64"), without the object array)."""
    data = np.where(null_at, 1, values).astype(np.int64)  # pandas stores 1 under the mask
    return pd.arrays.IntegerArray(data, np.asarray(null_at, dtype=bool).copy())


def _frame(view_name, year, data):
    """Order columns as the registry declares them for that year."""
    view = REGISTRY.view(view_name)
    cols = [c.name_for(year) for c in view.columns_for(year)]
    missing = [c for c in cols if c not in data]
    if missing:
        raise KeyError(f"generator forgot {missing} in {view_name}")
    return pd.DataFrame({c: data[c] for c in cols})


def _frame_taken(view_name, year, data, order=None):
    """As `_frame`, each column taken in `order` (None: as it is), without a further copy.

    For big views: the frame holds the taken arrays themselves, one block per column (a
    consolidating DataFrame, an `.iloc[order]` and a `reset_index` would copy every column
    three times). With order None the arrays must be fresh ones nobody else holds; a column
    that shares memory with another is copied, so no two columns alias each other.
    """
    view = REGISTRY.view(view_name)
    cols = [c.name_for(year) for c in view.columns_for(year)]
    missing = [c for c in cols if c not in data]
    if missing:
        raise KeyError(f"generator forgot {missing} in {view_name}")
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


def census(P, areas, schools, keys, npd_la, rng):
    out = {}
    for y in range(CENSUS_YEARS[0], CENSUS_YEARS[1] + 1):
        ncy = 11 - (P.cohort - y)  # national curriculum year in census year y
        in_y = ((ncy == 10) | (ncy == 11)) | (((ncy == 12) | (ncy == 13)) & P.school_sixth)
        pid = np.flatnonzero(in_y)
        nc = ncy[pid]
        fsm = np.select(
            [nc == 10, nc == 11, nc == 12],
            [P.fsm_hist[pid, 4], P.fsm_hist[pid, 5], P.fsm_y12[pid]],
            P.fsm_y13[pid],
        )
        ever = (
            P.fsm_hist[pid, :5].any(axis=1)
            | fsm
            | ((nc >= 12) & P.fsm_hist[pid, 5])
            | ((nc == 13) & P.fsm_y12[pid])
        )
        dup = rng.random(len(pid)) < DUP_CENSUS
        rows = np.concatenate([pid, pid[dup]])
        school = np.concatenate([P.school[pid], rng.integers(0, schools.n, dup.sum())])
        status = np.concatenate([np.where(dup, 1, -1), np.full(dup.sum(), 101)])
        ncr = np.concatenate([nc, nc[dup]])
        fsmr = np.concatenate([fsm, fsm[dup]])
        everr = np.concatenate([ever, ever[dup]])
        yy = f"{y % 100:02d}"
        eth = P.ethnic[rows].copy()
        eth[rng.random(len(rows)) < 0.01] = None
        lsoa_col = "llsoa_spr" + yy if y <= 2009 else "lsoa01_spr" + yy
        d = {
            "pupilmatchingrefanonymous_spr" + yy: keys.pmr(rows),
            "yearofbirth_spr" + yy: P.birth_year[rows],
            "monthofbirth_spr" + yy: P.birth_month[rows],
            "gender_spr" + yy: np.where(P.female[rows], "F", "M").astype(object),
            "ethnicgroupmajor_spr" + yy: eth,
            "laestab_anon_spr" + yy: schools.laestab[school],
            "urn_anon_spr" + yy: schools.urn[school],
            "la_anon_spr" + yy: npd_la[schools.la[school]],
            "ncyearactual_spr" + yy: _text_of_ints(ncr),
            "fsmeligible_spr" + yy: fsmr.astype(np.int64),
            "everfsm_all_spr" + yy: everr.astype(np.int64),
            "senprovision_spr" + yy: P.sen[rows].astype(object),
            lsoa_col: areas.lsoa_code[P.lsoa[rows]],
            "idaciscore_spr" + yy: areas.lsoa_idaci[P.lsoa[rows]],
            "recordstatus_spr" + yy: _int_or_null(status, status < 0),
            "academicyear_spr" + yy: _repeat(f"{y - 1}/{y}", len(rows)),
        }
        order = np.lexsort((status, rows))
        out[f"spring_census_{y}"] = _frame_taken("spring_census_{year}", y, d, order)
    return out


def ks2(P, keys, rng):
    has = rng.random(P.n) >= NO_KS2
    pid = np.flatnonzero(has)
    primary = alnum_keys(rng, max(50, P.n // 60), 40, prefix="LE")
    lev = P.ks2_level[pid]
    marks = P.ks2_marks[pid]
    d = {
        "KS2_PupilMatchingRefAnonymous": keys.pmr(pid),
        "KS2_ACADYR": acadyr(P.cohort[pid] - 5),
        "KS2_LAESTAB_anon": primary[rng.integers(0, len(primary), len(pid))],
        "KS2_GENDER": np.where(P.female[pid], "F", "M").astype(object),
        "KS2_ENGLEV": lev[:, 0],
        "KS2_MATLEV": lev[:, 1],
        "KS2_SCILEV": lev[:, 2],
        "KS2_TOTMRK": _int_or_null(marks, marks < 0),
    }
    return _frame("ks2pupil_1996_to_2016", None, d)


def ks4(P, schools, keys, areas, rng):
    pid = np.arange(P.n)
    extra = np.flatnonzero(rng.random(P.n) < KS4_EXTRA_RECORD)
    exact = np.flatnonzero(rng.random(P.n) < KS4_EXACT_DUP)
    rows = np.concatenate([pid, extra, exact])
    kind = np.concatenate([np.zeros(P.n, int), np.ones(len(extra), int), np.full(len(exact), 2)])
    school = P.school[rows].copy()
    school[kind == 1] = rng.integers(0, schools.n, len(extra))
    pts = P.ks4_points[rows].copy()
    pts[kind == 1] = np.round(pts[kind == 1] * rng.uniform(0.2, 0.6, len(extra)), 1)
    endks = np.where(kind == 1, 0, 1)
    yeargrp = np.where(kind == 1, 10, 11)
    year = P.cohort[rows] - np.where(kind == 1, 1, 0)
    l2 = np.where(kind == 1, 0, P.ks4_level2em[rows].astype(int))
    five = np.where(kind == 1, 0, P.ks4_fiveac[rows].astype(int))
    d = {
        "KS4_PupilMatchingRefAnonymous": keys.pmr(rows),
        "KS4_ACADYR": acadyr(year),
        "KS4_LAESTAB_anon": schools.laestab[school],
        "KS4_URN_anon": schools.urn[school],
        "KS4_YEARGRP": yeargrp,
        "KS4_ENDKS": endks,
        "KS4_GENDER": np.where(P.female[rows], "F", "M").astype(object),
        "KS4_FSM": P.fsm_ks4[rows].astype(np.int64),
        "KS4_FSM6": P.fsm6[rows].astype(np.int64),
        "KS4_SENF": P.sen[rows].astype(object),
        "KS4_IDACI": areas.lsoa_idaci[P.lsoa[rows]],
        "KS4_NFTYPE": schools.nftype[school],
        "KS4_LEVEL2_EM": l2,
        "KS4_FIVEAC": five,
        "KS4_PTSCNEWE": pts,
    }
    # exact duplicates copy the person's main row, key included
    dup_rows = slice(P.n + len(extra), None)
    for v in d.values():
        v[dup_rows] = v[exact]
    return _frame_taken("ks4pupil_2002_to_2014", None, d, np.argsort(rows, kind="mergesort"))


def ks5(P, schools, keys, rng):
    pid = np.flatnonzero(P.alevels)
    extra = pid[rng.random(len(pid)) < KS5_EXTRA_RECORD]
    rows = np.concatenate([pid, extra])
    is_extra = np.concatenate([np.zeros(len(pid), bool), np.ones(len(extra), bool)])
    place = np.where(
        P.school_sixth[rows], schools.laestab[P.school[rows]], schools.college_laestab[P.la[rows]]
    )
    pts = P.tariff_ach[rows].astype(float)
    pts[is_extra] = np.round(pts[is_extra] * 0.4 / 8) * 8
    d = {
        "KS5_PupilMatchingRefAnonymous": keys.pmr(rows),
        "KS5_ACADYR": acadyr(P.cohort[rows] + np.where(is_extra, 1, 2)),
        "KS5_LAESTAB_anon": place,
        "KS5_TOTPTS": pts,
        "KS5_L3_flag": np.where(is_extra, 0, 1),
        "KS5_AAB_FAC": np.where(is_extra, 0, P.aab_fac[rows].astype(int)),
    }
    return _frame_taken("ks5student_2003_to_2014", None, d, np.argsort(rows, kind="mergesort"))


def make(P, areas, schools, keys, rng):
    npd_la = alnum_keys(rng, len(areas.la_region), 40, prefix="NL")
    tables = census(P, areas, schools, keys, npd_la, rng)
    tables["ks2pupil_1996_to_2016"] = ks2(P, keys, rng)
    tables["ks4pupil_2002_to_2014"] = ks4(P, schools, keys, areas, rng)
    tables["ks5student_2003_to_2014"] = ks5(P, schools, keys, rng)
    return tables
