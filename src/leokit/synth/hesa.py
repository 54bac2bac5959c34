"""Stage 6: HESA. Per-year instance views for entrants: first degrees (drop-out, completion,
degree class) and some taught masters straight after.

    he, tables = make(people=people, courses=courses, applicants=applicants,
                      placement=placement, keys=keys, rng=rng)
    he.completed, he.end        # per person: what the labour market needs

Each SD of course selectivity changes year-1 drop-out by DROPOUT_PER_SD_SEL and the logit of
a good degree (first or 2:1) by GOOD_DEGREE_LOGIT_PER_SD_SEL; both are written to
truth.json together with the complier averages they imply at the contextual-offer cutoffs.
The probability functions below are also what truth.py averages (no outcome noise).
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from . import config as cfg
from .frames import frame_taken, int_or_null, repeat_text, shared_text, text_of_ints

CLASS_CUTS = np.array(cfg.CLASS_CUTS)  # ordered logit: first | 2:1 | 2:2 | third | unclassified
LEAVING_REASONS = np.array(["02", "06", "07", "11", "98"])  # HE_RSNEND of those who drop out


def p_dropout_y1(ability, family, sel):
    """Probability of leaving in year 1, given the traits and the course's selectivity."""
    p = (
        cfg.DROPOUT_Y1_BASE
        + cfg.DROPOUT_Y1_PER_ABILITY * ability
        + cfg.DROPOUT_Y1_PER_FAMILY * family
        + cfg.DROPOUT_PER_SD_SEL * sel
    )
    return np.clip(p, *cfg.DROPOUT_Y1_RANGE)


def p_dropout_y2(ability):
    """Probability of leaving in year 2, for those who stayed."""
    return np.clip(
        cfg.DROPOUT_Y2_BASE + cfg.DROPOUT_Y2_PER_ABILITY * ability, *cfg.DROPOUT_Y2_RANGE
    )


def perf_index(ability, family, ambition, sel):
    """The latent index of the ordered logit for degree class."""
    return (
        cfg.PERFORMANCE_PER_ABILITY * ability
        + cfg.PERFORMANCE_PER_FAMILY * family
        + cfg.PERFORMANCE_PER_AMBITION * ambition
        + cfg.GOOD_DEGREE_LOGIT_PER_SD_SEL * sel
    )


def p_good_given_complete(ability, family, ambition, sel):
    """Probability of a first or 2:1 for a graduate."""
    return expit(perf_index(ability, family, ambition, sel) - CLASS_CUTS[1])


@dataclass(eq=False)
class HE:
    """Higher education by person (index as pupils.People; NaT and 0 for non-entrants).

    entered         bool: entered a first degree (a HESA level-4 instance)
    selectivity     float: `sel` of the course entered (Courses.sel; 0 if not entered)
    completed       bool: completed the first degree
    start, end      datetime64[D]: first-degree start and end (completion or leaving)
    masters_start, masters_end  datetime64[D]: a taught masters straight after (NaT if none)
    """

    entered: np.ndarray
    selectivity: np.ndarray
    completed: np.ndarray
    start: np.ndarray
    end: np.ndarray
    masters_start: np.ndarray
    masters_end: np.ndarray


def _date(year, month, day):
    return (
        np.datetime64("1970-01", "M")
        + ((np.asarray(year) - 1970) * 12 + np.asarray(month) - 1).astype("timedelta64[M]")
    ).astype("datetime64[D]") + (np.asarray(day) - 1).astype("timedelta64[D]")


def make(*, people, courses, applicants, placement, keys, rng):
    """Who enters, drops out and graduates, and the hesa_{year} views of their instances."""
    n_people = len(people)
    ent = placement.enrol_course >= 0
    pid = applicants.person[ent]
    course = placement.enrol_course[ent]
    cycle = people.cohort[pid] + 2
    n = len(pid)
    entered = np.zeros(n_people, bool)
    entered[pid] = True
    selectivity = np.zeros(n_people)
    selectivity[pid] = courses.sel[course]
    ability, family = people.ability[pid], people.family_resources[pid]
    ambition = people.ambition[pid]
    length = np.where(rng.random(n) < cfg.FOUR_YEAR_COURSE, 4, 3)
    integrated = (length == 4) & (rng.random(n) < cfg.INTEGRATED_MASTERS)
    sel = courses.sel[course]
    drop1 = rng.random(n) < p_dropout_y1(ability, family, sel)
    drop2 = ~drop1 & (rng.random(n) < p_dropout_y2(ability))
    complete = ~drop1 & ~drop2
    perf = perf_index(ability, family, ambition, sel) + rng.logistic(size=n)
    cls = 1 + (perf[:, None] < CLASS_CUTS[None, :]).sum(axis=1)  # 1 first ... 5 unclassified
    years_done = np.where(drop1, 1, np.where(drop2, 2, length))
    start = _date(cycle, 9, rng.integers(15, 30, n))
    end_complete = _date(cycle + length, 6, rng.integers(10, 30, n))
    end_drop = (
        start
        + rng.integers(30, 300, n).astype("timedelta64[D]")
        + ((years_done - 1) * 365).astype("timedelta64[D]")
    )
    end = np.where(complete, end_complete, end_drop)
    qual = np.where(complete, np.where(integrated, "M22", "H00"), "").astype(object)
    rsn = np.where(complete, "01", rng.choice(LEAVING_REASONS, size=n)).astype(object)

    # taught masters straight after, for some graduates
    ms = complete & (rng.random(n) < cfg.MASTERS_AFTER)
    ms_pid = pid[ms]
    ms_start = _date(cycle[ms] + length[ms], 9, rng.integers(15, 30, ms.sum()))
    ms_end = _date(cycle[ms] + length[ms] + 1, 9, rng.integers(1, 28, ms.sum()))
    ms_done = rng.random(ms.sum()) < cfg.MASTERS_COMPLETION
    ms_course = course[ms]

    def by_person(values, at):
        out = np.full(n_people, np.datetime64("NaT"), dtype="datetime64[D]")
        out[at] = values
        return out

    completed = np.zeros(n_people, bool)
    completed[pid] = complete
    he = HE(
        entered=entered,
        selectivity=selectivity,
        completed=completed,
        start=by_person(start, pid),
        end=by_person(end, pid),
        masters_start=by_person(ms_start, ms_pid),
        masters_end=by_person(ms_end, ms_pid),
    )

    # one row per instance per year of study
    recs = []
    for y in range(1, 5):
        alive = years_done >= y
        last = years_done == y
        recs.append(
            dict(
                pid=pid[alive],
                course=course[alive],
                yearstu=np.full(alive.sum(), y),
                hesa_year=cycle[alive] + y,
                start=start[alive],
                end=np.where(last[alive], end[alive], np.datetime64("NaT")),
                rsn=np.where(last[alive], rsn[alive], None),
                qual=np.where(last[alive], qual[alive], ""),
                cls=np.where(last[alive] & complete[alive], cls[alive], -1),
                xpqual=(last & complete)[alive].astype(int),
                lev=np.full(alive.sum(), 4),
                mode=np.where(length[alive] == 4, 2, 1),
                aim=np.where(integrated[alive], "M22", "H00"),
                tariff=people.tariff_achieved[pid[alive]],
                numhus=np.full(alive.sum(), "1"),
            )
        )
    recs.append(
        dict(
            pid=ms_pid,
            course=ms_course,
            yearstu=np.ones(len(ms_pid), int),
            hesa_year=cycle[ms] + length[ms] + 1,
            start=ms_start,
            end=ms_end,
            rsn=np.where(ms_done, "01", "07"),
            qual=np.where(ms_done, "M00", ""),
            cls=np.full(len(ms_pid), -1),
            xpqual=ms_done.astype(int),
            lev=np.full(len(ms_pid), 2),
            mode=np.ones(len(ms_pid), int),
            aim=np.full(len(ms_pid), "M00"),
            tariff=np.full(len(ms_pid), -1),
            numhus=np.full(len(ms_pid), "2"),
        )
    )
    allr = {k: np.concatenate([r[k] for r in recs]) for k in recs[0]}
    tables = {}
    for yr in range(cfg.HESA_YEARS[0], cfg.HESA_YEARS[1] + 1):
        sel = allr["hesa_year"] == yr
        if not sel.any():
            continue
        r = {k: v[sel] for k, v in allr.items()}
        rp = r["pid"]
        age = yr - 1 - people.birth_year[rp] - (people.birth_month[rp] > 8)
        subj = courses.code[r["course"]]
        d = {
            "HE_PUPILMATCHINGREFANONYMOUS": keys.pmr(rp),
            "HE_XINSTID01__ANON": courses.provider_anon[courses.provider[r["course"]]],
            "HE_NUMHUS": shared_text(r["numhus"]),
            "HE_COMDATE": r["start"].astype("datetime64[s]"),
            "HE_ENDDATE": r["end"].astype("datetime64[s]"),
            "HE_RSNEND": shared_text(r["rsn"]),
            "HE_YEARSTU": r["yearstu"].astype(np.int64),
            "HE_YEARPRG": text_of_ints(r["yearstu"]),
            "HE_XMODE01": r["mode"].astype(np.int64),
            "HE_XLEV601": r["lev"].astype(np.int64),
            "HE_COURSEAIM": shared_text(r["aim"]),
            "HE_XJACS01_1": subj,
            "HE_XHECOS_1": np.array(["100" + s[1:] for s in subj], dtype=object),
            "HE_XPQUAL01": r["xpqual"].astype(np.int64),
            "HE_XQOBTN01": shared_text(r["qual"]),
            "HE_XCLASS01": int_or_null(
                np.where(r["cls"] < 0, 8, r["cls"]), (r["cls"] < 0) & (r["xpqual"] != 1)
            ),
            "HE_GENDER": np.where(people.female[rp], "F", "M").astype(object),
            "HE_SEXID": np.where(people.female[rp], 2, 1).astype(np.int64),
            "HE_XAGEA01": age.astype(np.int64),
            "HE_XTARIFF": int_or_null(r["tariff"], r["tariff"] < 0),
            "HE_XDOMUC01": repeat_text("E", len(rp)),
        }
        tables[f"hesa_{yr}"] = frame_taken("hesa_{year}", yr, d, np.argsort(rp, kind="mergesort"))
    return he, tables
