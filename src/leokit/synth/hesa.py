"""Stage 6: HESA. Per-year instance views for entrants: first degrees (drop-out, completion,
degree class) and some taught masters straight after.

Each SD of course selectivity changes year-1 drop-out by DROPOUT_PER_SD_SEL and the logit of
a good degree (first or 2:1) by GOOD_DEGREE_LOGIT_PER_SD_SEL; both are written to
truth.json together with the complier averages they imply at the contextual-offer cutoffs.
"""

import numpy as np
from scipy.special import expit

from .config import DROPOUT_PER_SD_SEL, GOOD_DEGREE_LOGIT_PER_SD_SEL, HESA_YEARS
from .npd import _frame_taken, _int_or_null, _repeat, _shared_text, _text_of_ints

# ordered-logit cut points for class: first | 2:1 | 2:2 | third | unclassified
CLASS_CUTS = np.array([1.45, -0.55, -2.35, -3.9])
MASTERS_AFTER = 0.12


def p_dropout_y1(a, f, sel):
    return np.clip(0.075 - 0.025 * a - 0.015 * f + DROPOUT_PER_SD_SEL * sel, 0.005, 0.6)


def p_dropout_y2(a, f):
    return np.clip(0.03 - 0.01 * a, 0.002, 0.3)


def perf_index(a, f, m, sel):
    return 1.0 * a + 0.3 * f + 0.2 * m + GOOD_DEGREE_LOGIT_PER_SD_SEL * sel


def p_good_given_complete(a, f, m, sel):
    return expit(perf_index(a, f, m, sel) - CLASS_CUTS[1])


class HE:
    pass


def _date(year, month, day):
    return (
        np.datetime64("1970-01", "M")
        + ((np.asarray(year) - 1970) * 12 + np.asarray(month) - 1).astype("timedelta64[M]")
    ).astype("datetime64[D]") + (np.asarray(day) - 1).astype("timedelta64[D]")


def make(P, C, S, res, keys, rng):
    N = P.n
    H = HE()
    ent = res["enrol_course"] >= 0
    pid = S.pid[ent]
    course = res["enrol_course"][ent]
    cycle = P.cohort[pid] + 2
    n = len(pid)
    H.entered = np.zeros(N, bool)
    H.entered[pid] = True
    H.sel = np.zeros(N)
    H.sel[pid] = C.sel[course]
    a, f, m = P.a[pid], P.f[pid], P.m[pid]
    length = np.where(rng.random(n) < 0.22, 4, 3)
    integrated = (length == 4) & (rng.random(n) < 0.5)
    sel = C.sel[course]
    drop1 = rng.random(n) < p_dropout_y1(a, f, sel)
    drop2 = ~drop1 & (rng.random(n) < p_dropout_y2(a, f))
    complete = ~drop1 & ~drop2
    perf = perf_index(a, f, m, sel) + rng.logistic(size=n)
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
    rsn = np.where(
        complete, "01", rng.choice(np.array(["02", "06", "07", "11", "98"]), size=n)
    ).astype(object)

    H.completed = np.zeros(N, bool)
    H.completed[pid] = complete
    H.start = np.full(N, np.datetime64("NaT"), dtype="datetime64[D]")
    H.start[pid] = start
    H.end = np.full(N, np.datetime64("NaT"), dtype="datetime64[D]")
    H.end[pid] = end
    H.grad_year = np.zeros(N, dtype=np.int64)  # academic year end of the first degree
    H.grad_year[pid] = np.where(complete, cycle + length, 0)

    # taught masters straight after, for some graduates
    ms = complete & (rng.random(n) < MASTERS_AFTER)
    ms_pid = pid[ms]
    ms_start = _date(cycle[ms] + length[ms], 9, rng.integers(15, 30, ms.sum()))
    ms_end = _date(cycle[ms] + length[ms] + 1, 9, rng.integers(1, 28, ms.sum()))
    ms_done = rng.random(ms.sum()) < 0.9
    H.pg_start = np.full(N, np.datetime64("NaT"), dtype="datetime64[D]")
    H.pg_end = np.full(N, np.datetime64("NaT"), dtype="datetime64[D]")
    H.pg_start[ms_pid] = ms_start
    H.pg_end[ms_pid] = ms_end
    ms_course = np.array([c for c in course[ms]])

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
                tariff=P.tariff_ach[pid[alive]],
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
    for yr in range(HESA_YEARS[0], HESA_YEARS[1] + 1):
        sel = allr["hesa_year"] == yr
        if not sel.any():
            continue
        r = {k: v[sel] for k, v in allr.items()}
        rp = r["pid"]
        age = yr - 1 - P.birth_year[rp] - (P.birth_month[rp] > 8)
        subj = C.code[r["course"]]
        d = {
            "HE_PUPILMATCHINGREFANONYMOUS": keys.pmr(rp),
            "HE_XINSTID01__ANON": C.provider_anon[C.provider[r["course"]]],
            "HE_NUMHUS": _shared_text(r["numhus"]),
            "HE_COMDATE": r["start"].astype("datetime64[s]"),
            "HE_ENDDATE": r["end"].astype("datetime64[s]"),
            "HE_RSNEND": _shared_text(r["rsn"]),
            "HE_YEARSTU": r["yearstu"].astype(np.int64),
            "HE_YEARPRG": _text_of_ints(r["yearstu"]),
            "HE_XMODE01": r["mode"].astype(np.int64),
            "HE_XLEV601": r["lev"].astype(np.int64),
            "HE_COURSEAIM": _shared_text(r["aim"]),
            "HE_XJACS01_1": subj,
            "HE_XHECOS_1": np.array(["100" + s[1:] for s in subj], dtype=object),
            "HE_XPQUAL01": r["xpqual"].astype(np.int64),
            "HE_XQOBTN01": _shared_text(r["qual"]),
            "HE_XCLASS01": _int_or_null(
                np.where(r["cls"] < 0, 8, r["cls"]), (r["cls"] < 0) & (r["xpqual"] != 1)
            ),
            "HE_GENDER": np.where(P.female[rp], "F", "M").astype(object),
            "HE_SEXID": np.where(P.female[rp], 2, 1).astype(np.int64),
            "HE_XAGEA01": age.astype(np.int64),
            "HE_XTARIFF": _int_or_null(r["tariff"], r["tariff"] < 0),
            "HE_XDOMUC01": _repeat("E", len(rp)),
        }
        tables[f"hesa_{yr}"] = _frame_taken("hesa_{year}", yr, d, np.argsort(rp, kind="mergesort"))
    return H, tables
