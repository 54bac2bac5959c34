"""Stage 4: the NPD views: spring census by year, KS2, KS4 (with duplicate rows) and KS5.

    tables = make(people=people, areas=areas, schools=schools, keys=keys, rng=rng)
    tables["ks4pupil_2002_to_2014"]      # view name -> DataFrame

Each view is drawn from the pupils' attainment and background (pupils.People) with the
record-level messiness of the real NPD: dual registrations in the census, extra and exact
duplicate KS4 rows, extra KS5 rows, pupils with no KS2 record (rates in config).
"""

import numpy as np

from .config import (
    CENSUS_ETHNICITY_MISSING,
    CENSUS_YEARS,
    DUP_CENSUS,
    KS4_EXACT_DUP,
    KS4_EXTRA_POINTS_SHARE,
    KS4_EXTRA_RECORD,
    KS5_EXTRA_POINTS_SHARE,
    KS5_EXTRA_RECORD,
    NO_KS2,
)
from .frames import frame, frame_taken, int_or_null, repeat_text, text_of_ints
from .ids import alnum_keys


def acadyr(end_year):
    """2010 -> '2009/2010' (object array); built once per distinct year."""
    end_year = np.asarray(end_year)
    years, inv = np.unique(end_year, return_inverse=True)
    text = np.array([f"{y - 1}/{y}" for y in years.tolist()], dtype=object)
    return text[inv.reshape(end_year.shape)]


def census(people, areas, schools, keys, npd_la, rng):
    """spring_census_{year} for each census year: Y10-Y11 and sixth-form pupils."""
    out = {}
    for y in range(CENSUS_YEARS[0], CENSUS_YEARS[1] + 1):
        ncy = 11 - (people.cohort - y)  # national curriculum year in census year y
        in_y = ((ncy == 10) | (ncy == 11)) | (
            ((ncy == 12) | (ncy == 13)) & people.in_school_sixth_form
        )
        pid = np.flatnonzero(in_y)
        nc = ncy[pid]
        fsm = np.select(
            [nc == 10, nc == 11, nc == 12],
            [people.fsm_by_year[pid, 4], people.fsm_by_year[pid, 5], people.fsm_y12[pid]],
            people.fsm_y13[pid],
        )
        ever = (
            people.fsm_by_year[pid, :5].any(axis=1)
            | fsm
            | ((nc >= 12) & people.fsm_by_year[pid, 5])
            | ((nc == 13) & people.fsm_y12[pid])
        )
        dup = rng.random(len(pid)) < DUP_CENSUS
        rows = np.concatenate([pid, pid[dup]])
        school = np.concatenate([people.school[pid], rng.integers(0, len(schools), dup.sum())])
        status = np.concatenate([np.where(dup, 1, -1), np.full(dup.sum(), 101)])
        ncr = np.concatenate([nc, nc[dup]])
        fsmr = np.concatenate([fsm, fsm[dup]])
        everr = np.concatenate([ever, ever[dup]])
        yy = f"{y % 100:02d}"
        eth = people.ethnic_group[rows].copy()
        eth[rng.random(len(rows)) < CENSUS_ETHNICITY_MISSING] = None
        lsoa_col = "llsoa_spr" + yy if y <= 2009 else "lsoa01_spr" + yy
        d = {
            "pupilmatchingrefanonymous_spr" + yy: keys.pmr(rows),
            "yearofbirth_spr" + yy: people.birth_year[rows],
            "monthofbirth_spr" + yy: people.birth_month[rows],
            "gender_spr" + yy: np.where(people.female[rows], "F", "M").astype(object),
            "ethnicgroupmajor_spr" + yy: eth,
            "laestab_anon_spr" + yy: schools.laestab[school],
            "urn_anon_spr" + yy: schools.urn[school],
            "la_anon_spr" + yy: npd_la[schools.la[school]],
            "ncyearactual_spr" + yy: text_of_ints(ncr),
            "fsmeligible_spr" + yy: fsmr.astype(np.int64),
            "everfsm_all_spr" + yy: everr.astype(np.int64),
            "senprovision_spr" + yy: people.sen_provision[rows].astype(object),
            lsoa_col: areas.lsoa_code[people.home_lsoa[rows]],
            "idaciscore_spr" + yy: areas.lsoa_idaci[people.home_lsoa[rows]],
            "recordstatus_spr" + yy: int_or_null(status, status < 0),
            "academicyear_spr" + yy: repeat_text(f"{y - 1}/{y}", len(rows)),
        }
        order = np.lexsort((status, rows))
        out[f"spring_census_{y}"] = frame_taken("spring_census_{year}", y, d, order)
    return out


def ks2(people, keys, rng):
    """ks2pupil_1996_to_2016: one row per pupil with a KS2 record."""
    has = rng.random(len(people)) >= NO_KS2
    pid = np.flatnonzero(has)
    primary = alnum_keys(rng, max(50, len(people) // 60), 40, prefix="LE")
    lev = people.ks2_level[pid]
    marks = people.ks2_marks[pid]
    d = {
        "KS2_PupilMatchingRefAnonymous": keys.pmr(pid),
        "KS2_ACADYR": acadyr(people.cohort[pid] - 5),
        "KS2_LAESTAB_anon": primary[rng.integers(0, len(primary), len(pid))],
        "KS2_GENDER": np.where(people.female[pid], "F", "M").astype(object),
        "KS2_ENGLEV": lev[:, 0],
        "KS2_MATLEV": lev[:, 1],
        "KS2_SCILEV": lev[:, 2],
        "KS2_TOTMRK": int_or_null(marks, marks < 0),
    }
    return frame("ks2pupil_1996_to_2016", None, d)


def ks4(people, schools, keys, areas, rng):
    """ks4pupil_2002_to_2014: every pupil's end-of-KS4 row, some extra and duplicate rows."""
    n = len(people)
    pid = np.arange(n)
    extra = np.flatnonzero(rng.random(n) < KS4_EXTRA_RECORD)
    exact = np.flatnonzero(rng.random(n) < KS4_EXACT_DUP)
    rows = np.concatenate([pid, extra, exact])
    kind = np.concatenate([np.zeros(n, int), np.ones(len(extra), int), np.full(len(exact), 2)])
    school = people.school[rows].copy()
    school[kind == 1] = rng.integers(0, len(schools), len(extra))
    pts = people.ks4_points[rows].copy()
    share = rng.uniform(*KS4_EXTRA_POINTS_SHARE, len(extra))
    pts[kind == 1] = np.round(pts[kind == 1] * share, 1)
    endks = np.where(kind == 1, 0, 1)
    yeargrp = np.where(kind == 1, 10, 11)
    year = people.cohort[rows] - np.where(kind == 1, 1, 0)
    l2 = np.where(kind == 1, 0, people.ks4_level2_em[rows].astype(int))
    five = np.where(kind == 1, 0, people.ks4_five_ac[rows].astype(int))
    d = {
        "KS4_PupilMatchingRefAnonymous": keys.pmr(rows),
        "KS4_ACADYR": acadyr(year),
        "KS4_LAESTAB_anon": schools.laestab[school],
        "KS4_URN_anon": schools.urn[school],
        "KS4_YEARGRP": yeargrp,
        "KS4_ENDKS": endks,
        "KS4_GENDER": np.where(people.female[rows], "F", "M").astype(object),
        "KS4_FSM": people.fsm_ks4[rows].astype(np.int64),
        "KS4_FSM6": people.ever_fsm_6[rows].astype(np.int64),
        "KS4_SENF": people.sen_provision[rows].astype(object),
        "KS4_IDACI": areas.lsoa_idaci[people.home_lsoa[rows]],
        "KS4_NFTYPE": schools.nftype[school],
        "KS4_LEVEL2_EM": l2,
        "KS4_FIVEAC": five,
        "KS4_PTSCNEWE": pts,
    }
    # exact duplicates copy the person's main row, key included
    dup_rows = slice(n + len(extra), None)
    for v in d.values():
        v[dup_rows] = v[exact]
    return frame_taken("ks4pupil_2002_to_2014", None, d, np.argsort(rows, kind="mergesort"))


def ks5(people, schools, keys, rng):
    """ks5student_2003_to_2014: A-level pupils' rows, a few with an extra earlier row."""
    pid = np.flatnonzero(people.takes_alevels)
    extra = pid[rng.random(len(pid)) < KS5_EXTRA_RECORD]
    rows = np.concatenate([pid, extra])
    is_extra = np.concatenate([np.zeros(len(pid), bool), np.ones(len(extra), bool)])
    place = np.where(
        people.in_school_sixth_form[rows],
        schools.laestab[people.school[rows]],
        schools.college_laestab[people.home_la[rows]],
    )
    pts = people.tariff_achieved[rows].astype(float)
    pts[is_extra] = np.round(pts[is_extra] * KS5_EXTRA_POINTS_SHARE / 8) * 8
    d = {
        "KS5_PupilMatchingRefAnonymous": keys.pmr(rows),
        "KS5_ACADYR": acadyr(people.cohort[rows] + np.where(is_extra, 1, 2)),
        "KS5_LAESTAB_anon": place,
        "KS5_TOTPTS": pts,
        "KS5_L3_flag": np.where(is_extra, 0, 1),
        "KS5_AAB_FAC": np.where(is_extra, 0, people.aab_facilitating[rows].astype(int)),
    }
    return frame_taken("ks5student_2003_to_2014", None, d, np.argsort(rows, kind="mergesort"))


def make(*, people, areas, schools, keys, rng):
    """The NPD views, keyed by concrete view name."""
    npd_la = alnum_keys(rng, len(areas.la_region), 40, prefix="NL")
    tables = census(people, areas, schools, keys, npd_la, rng)
    tables["ks2pupil_1996_to_2016"] = ks2(people, keys, rng)
    tables["ks4pupil_2002_to_2014"] = ks4(people, schools, keys, areas, rng)
    tables["ks5student_2003_to_2014"] = ks5(people, schools, keys, rng)
    return tables
