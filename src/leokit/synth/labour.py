"""Stage 7: the labour market. Enterprises (IDBR), residence, employment, pay, benefits,
self-employment, and the leo_* outcome views.

Pay (log full-year pay of a person out of education in tax year t, main employer j, MSOA k):

  ln w = mu_t + age profile + BETA_HE*HE + BETA_SEL*sel*HE + latent traits + person effect
         + psi_j + eta_jt + local pay_k
         + THETA*S_jt + KAPPA*g_it*(S_jt - 0.5) + LAMBDA*N_kt + transitory noise

S_jt is the leave-one-out degree share among observable co-workers (same main_enterprise
and tax year in leo_earnings, key linked to education records); N_kt the same among
observable residents of the MSOA (leo_geography). Both are computed from exactly what the
extract shows, so a researcher computing them from the views recovers THETA, KAPPA, LAMBDA.
Confounders: workers sort into high-psi firms and high-pay areas on ability; a firm-year
demand shock eta raises both pay and the firm's graduate hiring; a randomised graduate
placement scheme (lookup_placement_scheme) moves S and nothing else (the instrument).
"""

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from ..schema import codes as K
from .config import (
    BETA_HE,
    BETA_SEL,
    EARN_ABILITY,
    EARN_AMBITION,
    EARN_FAMILY,
    FIRST_TAX_YEAR,
    KAPPA_DEGREE_X_SHARE,
    LAMBDA_NEIGHBOUR,
    LAST_TAX_YEAR,
    SD_PERSON,
    SD_TRANSITORY,
    THETA_COWORKER,
    tax_year_code,
)
from .ids import digit_keys
from .npd import _frame, _frame_taken, _int_or_null

SECTIONS = np.array(list("GQPCNMIFHJKOSRLADEB"))
SECTION_SHARE = np.array(
    [
        0.15,
        0.13,
        0.09,
        0.08,
        0.09,
        0.08,
        0.08,
        0.06,
        0.05,
        0.04,
        0.04,
        0.05,
        0.02,
        0.02,
        0.02,
        0.01,
        0.01,
        0.01,
        0.005,
    ]
)
SECTION_SHARE = SECTION_SHARE / SECTION_SHARE.sum()
SECTION_PAY = dict(
    zip(
        "GQPCNMIFHJKOSRLADEB",
        [
            -0.10,
            0,
            0.02,
            0.04,
            -0.06,
            0.10,
            -0.15,
            0.03,
            0,
            0.12,
            0.15,
            0.03,
            -0.08,
            -0.08,
            0.02,
            -0.10,
            0.10,
            0.02,
            0.12,
        ],
    )
)
SECTION_DIVISIONS = {
    "A": (1, 3),
    "B": (5, 9),
    "C": (10, 33),
    "D": (35, 35),
    "E": (36, 39),
    "F": (41, 43),
    "G": (45, 47),
    "H": (49, 53),
    "I": (55, 56),
    "J": (58, 63),
    "K": (64, 66),
    "L": (68, 68),
    "M": (69, 75),
    "N": (77, 82),
    "O": (84, 84),
    "P": (85, 85),
    "Q": (86, 88),
    "R": (90, 93),
    "S": (94, 96),
}
YEARS = np.arange(FIRST_TAX_YEAR, LAST_TAX_YEAR + 1)
MOVE_RATE = 0.13
ETA_RHO, ETA_SD = 0.7, 0.05
ETA_GRAD_TILT = 4.0  # graduates' job choice weight exp(4 * eta): demand shocks pull graduates in
SCHEME_SHARE = 0.03  # firms in the placement scheme each year
PLACED_SHARE = 0.35  # degree holders changing or starting jobs who are placed by the scheme
UNLINKED_PAYE = 0.03  # earnings rows with no ENTKEY
LEL_DROP = 0.3  # rows under 5,000 pounds missing before April 2013 (below the LEL)


def tax_year_start(t):
    months = np.datetime64("1970-01", "M") + ((np.asarray(t) - 1970) * 12 + 3).astype(
        "timedelta64[M]"
    )
    return months.astype("datetime64[D]") + np.timedelta64(5, "D")


def days_in(t):
    return (tax_year_start(np.asarray(t) + 1) - tax_year_start(t)).astype(int)


class Firms:
    pass


def make_firms(sizes, areas, rng):
    F = Firms()
    n = sizes.firms
    F.n = n
    F.section = rng.choice(SECTIONS, size=n, p=SECTION_SHARE)
    F.psi = np.array([SECTION_PAY[s] for s in F.section]) + rng.normal(0, 0.12, n)
    F.weight = rng.lognormal(0, 1.4, n)
    region_w = np.bincount(areas.msoa_region, minlength=9).astype(float)
    F.region = rng.choice(9, size=n, p=region_w / region_w.sum())
    F.entkey = digit_keys(rng, n, 10)
    lo = np.array([SECTION_DIVISIONS[s][0] for s in F.section])
    hi = np.array([SECTION_DIVISIONS[s][1] for s in F.section])
    div = lo + (rng.random(n) * (hi - lo + 1)).astype(int)
    F.sic = np.array(
        [f"{d:02d}{x:03d}" for d, x in zip(div, rng.integers(0, 1000, n))], dtype=object
    )
    F.sic_2020 = F.sic.copy()
    changed = rng.random(n) < 0.05
    F.sic_2020[changed] = np.array(
        [f"{d:02d}{x:03d}" for d, x in zip(div[changed], rng.integers(0, 1000, changed.sum()))],
        dtype=object,
    )
    F.birth = np.where(
        rng.random(n) < 0.85,
        rng.integers(1975, FIRST_TAX_YEAR, n),
        rng.integers(FIRST_TAX_YEAR, LAST_TAX_YEAR - 1, n),
    )
    F.death = np.where(rng.random(n) < 0.10, rng.integers(2008, LAST_TAX_YEAR + 1, n), 9999)
    F.birth_month = rng.integers(1, 13, n)
    F.death_month = rng.integers(1, 13, n)
    ranks = F.weight.argsort().argsort() / n
    band = np.searchsorted([0.30, 0.45, 0.58, 0.70, 0.80, 0.88, 0.93, 0.97], ranks, side="right")
    F.band = np.array(K.IDBR_EMPLOYEE_BANDS, dtype=object)[band]
    F.band_2020 = F.band.copy()
    moved = rng.random(n) < 0.1
    F.band_2020[moved] = np.array(K.IDBR_EMPLOYEE_BANDS, dtype=object)[
        np.clip(band[moved] + rng.choice([-1, 1], moved.sum()), 0, 8)
    ]
    F.legal = np.where(
        np.isin(F.section, ["O", "P", "Q"]) & (rng.random(n) < 0.5),
        np.where(rng.random(n) < 0.5, "5", "6"),
        rng.choice(np.array(list("1234")), size=n, p=[0.82, 0.08, 0.06, 0.04]),
    ).astype(object)
    eta = np.zeros((n, len(YEARS)))
    eta[:, 0] = rng.normal(0, ETA_SD / np.sqrt(1 - ETA_RHO**2), n)
    for i in range(1, len(YEARS)):
        eta[:, i] = ETA_RHO * eta[:, i - 1] + rng.normal(0, ETA_SD, n)
    F.eta = eta
    big = F.weight > np.median(F.weight)
    F.scheme = (
        (rng.random((n, len(YEARS))) < SCHEME_SHARE / 0.5) & big[:, None] & (YEARS >= 2010)[None, :]
    )
    F.retail = np.isin(F.section, ["G", "I"])
    return F


def choose_firms(F, t_idx, region, q, grad, rng):
    """Pick a firm for each chooser: region-local (90%), size-weighted, sorted on `q`."""
    t = YEARS[t_idx]
    alive = (F.birth <= t) & (F.death > t)
    out = np.full(len(q), -1, dtype=np.int64)
    national = rng.random(len(q)) < 0.10
    for g in (False, True):
        w_all = F.weight * alive * (np.exp(ETA_GRAD_TILT * F.eta[:, t_idx]) if g else 1.0)
        for r in range(-1, 9):
            sel = (grad == g) & (national if r < 0 else (~national & (region == r)))
            idx = np.flatnonzero(sel)
            if len(idx) == 0:
                continue
            cand = (
                np.flatnonzero(w_all > 0)
                if r < 0
                else np.flatnonzero((w_all > 0) & (F.region == r))
            )
            order = cand[np.argsort(F.psi[cand], kind="stable")]
            cdf = np.cumsum(w_all[order])
            cdf /= cdf[-1]
            pos = np.searchsorted(cdf, q[idx], side="left")
            out[idx] = order[np.minimum(pos, len(order) - 1)]
    return out


def _index_dtype(n):
    """The smallest of int16/int32/int64 that holds indices below n (and -1)."""
    return np.int16 if n < 2**15 - 1 else np.int32 if n < 2**31 - 1 else np.int64


def residence(P, areas, rng):
    """OA of residence by tax year (index into YEARS); high-ability adults drift towards amenity."""
    N = P.n
    oa = np.empty((N, len(YEARS)), dtype=_index_dtype(len(areas.oa_code)))
    cur = P.oa.copy()
    pop = np.bincount(areas.oa_msoa, weights=areas.oa_weight, minlength=len(areas.msoa_rate))
    a_hi = P.a > 0.4
    w_hi = pop * np.exp(0.9 * areas.msoa_amenity)
    for i, t in enumerate(YEARS):
        adult = t >= P.cohort + 2
        move = adult & (rng.random(N) < 0.07)
        far = move & (rng.random(N) < 0.45)
        for hi in (False, True):
            idx = np.flatnonzero(far & (a_hi == hi))
            w = w_hi if hi else pop
            m = rng.choice(len(w), size=len(idx), p=w / w.sum())
            cur[idx] = 2 * (2 * m) + rng.integers(0, 4, len(idx))  # an OA inside MSOA m
        near = np.flatnonzero(move & ~far)
        cur[near] = 4 * areas.oa_msoa[cur[near]] + rng.integers(0, 4, len(near))
        oa[:, i] = cur
    return oa


def _uniform_below(rng, shape, p, rows_per_chunk=1 << 18):
    """rng.random(shape) < p, drawn a block of rows at a time: the same draws (uniform
    doubles take one 64-bit output each, in order) without the (N, T) float array."""
    out = np.empty(shape, dtype=bool)
    for a in range(0, shape[0], rows_per_chunk):
        b = min(a + rows_per_chunk, shape[0])
        np.less(rng.random((b - a,) + tuple(shape[1:])), p, out=out[a:b])
    return out


_BLOCK = 1 << 21  # rows per block when a long computation is done a block at a time


def _blocks(n, size=_BLOCK):
    """(start, stop) of consecutive blocks covering range(n)."""
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def _stable_order(major, minor=None, minor_size=1):
    """Row order of a stable sort by (major, minor): integers, 0 <= minor < minor_size."""
    key = major.astype(np.int64)
    if minor is not None:
        key = key * int(minor_size) + minor
    return np.argsort(key, kind="stable")


def _first_of_runs(key_a, key_b):
    """In rows sorted by (a, b): True at the first row of each distinct (a, b) pair."""
    first = np.ones(len(key_a), dtype=bool)
    if len(key_a) > 1:
        first[1:] = (key_a[1:] != key_a[:-1]) | (key_b[1:] != key_b[:-1])
    return first


def _keyed_rows(code, t_idx, keys):
    """Rows (indices) of a keyed (Edukey, TaxYear) view: blank keys dropped, the first row
    of each (key, year) kept, sorted by key text then year (what `df[df.Edukey != '']
    .drop_duplicates([Edukey, TaxYear]).sort_values([Edukey, TaxYear], kind='mergesort')`
    gives, computed on integer codes)."""
    rows = np.flatnonzero(code != keys.edukey_blank)
    rank = keys.edukey_rank()
    fast = _runs_in_key_order(code[rows], t_idx[rows], rank)
    if fast is not None:
        return rows[fast]
    r = rank[code[rows]]
    t_r = t_idx[rows]
    order = _stable_order(r, t_r, len(YEARS))
    rows, r, t_r = rows[order], r[order], t_r[order]
    return rows[_first_of_runs(r, t_r)]


def _runs_in_key_order(code, t, rank):
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


_TAX_YEAR_CODE = tax_year_code(YEARS).astype(np.int64)  # by index into YEARS


def _nan_as_int64():
    """What pandas leaves under the mask of pd.array(nan, dtype="Float64").astype("Int64")."""
    return int(pd.array(np.array([np.nan]), dtype="Float64").astype("Int64")._data[0])


_NAN_AS_INT64 = _nan_as_int64()


def make(P, H, areas, keys, sizes, rng, emit, compact=False):
    """The labour market: `emit` is given each view (a dict name -> frame) as soon as it is
    made, so that a big view can be written while the next is built; with `compact` the two
    biggest views hold compact columns (see _Columns). Returns the firms and what the truth
    needs: person-years in the labour market and those of degree holders."""
    N = P.n
    T = len(YEARS)
    F = make_firms(sizes, areas, rng)
    oa = residence(P, areas, rng)
    msoa = areas.oa_msoa.astype(_index_dtype(len(areas.msoa_rate)))[oa]
    year_start = tax_year_start(YEARS)
    ndays = days_in(YEARS)
    dec1 = year_start + np.timedelta64(239, "D")  # about 1 December
    # ---- education status on 1 December of each tax year
    in_school = (YEARS[None, :] >= P.cohort[:, None]) & (YEARS[None, :] <= P.cohort[:, None] + 1)
    in_he = (H.start[:, None] <= dec1[None, :]) & (H.end[:, None] >= dec1[None, :])
    in_pg = (H.pg_start[:, None] <= dec1[None, :]) & (H.pg_end[:, None] >= dec1[None, :])
    in_edu = in_school | in_he | in_pg
    del in_school, in_he, in_pg
    active = YEARS[None, :] >= P.cohort[:, None]  # records from the KS4 year on
    labour = active & ~in_edu
    # degree held at the start of the tax year; HE finished (entered and left) before it
    g = H.completed[:, None] & (H.end[:, None] < year_start[None, :])
    he_done = H.entered[:, None] & (H.end[:, None] < year_start[None, :])

    # ---- employment by person-year: days [d0, d1) within the tax year
    # (days fit int16 and firm indices int32: the person x year arrays are the big ones)
    fdt = _index_dtype(F.n)
    emp = np.zeros((N, T), bool)
    d0 = np.zeros((N, T), dtype=np.int16)
    d1 = np.zeros((N, T), dtype=np.int16)
    firm = np.full((N, T), -1, dtype=fdt)
    firm2 = np.full((N, T), -1, dtype=fdt)
    move_day = np.zeros((N, T), dtype=np.int16)
    sort_q = norm.cdf((0.8 * P.a + 0.6 * P.u) / 1.0)
    p_emp = expit(2.0 + 0.9 * P.e)
    prev_end = np.zeros(N, bool)  # employed on the last day of the previous year
    prev_firm = np.full(N, -1, dtype=fdt)
    was_labour = np.zeros(N, bool)
    region_of_msoa = areas.msoa_region
    for i, t in enumerate(YEARS):
        nd = ndays[i]
        lab = labour[:, i]
        stud = active[:, i] & in_edu[:, i]
        recession = -0.5 if 2009 <= t <= 2012 else 0.0
        # students: a term-time or summer job for some
        sj = stud & (rng.random(N) < 0.45)
        s0 = rng.integers(0, nd - 60, N)
        s1 = np.minimum(s0 + rng.integers(40, 220, N), nd)
        # labour market
        stay = lab & prev_end & was_labour & (rng.random(N) < expit(2.4 + 0.6 * P.e + recession))
        leave_day = rng.integers(30, nd - 1, N)
        cont_full = stay & (rng.random(N) < 0.93)
        cont_part = stay & ~cont_full  # employed from day 0, leaves during the year
        enter = lab & ~stay & (rng.random(N) < p_emp * (1.0 + recession / 2))
        first_lab = lab & ~was_labour
        enter_day = np.where(first_lab, rng.integers(60, 200, N), rng.integers(0, nd - 20, N))
        emp_i = sj | cont_full | cont_part | enter
        emp[:, i] = emp_i
        d0[:, i] = np.where(sj, s0, np.where(enter, enter_day, 0))
        d1_i = np.where(sj, s1, np.where(cont_part, leave_day, nd))
        d1[:, i] = d1_i
        ended_at_year_end = emp_i & (d1_i == nd)
        del s0, s1, leave_day, enter_day, d1_i
        # ---- firms
        prev_alive = (prev_firm >= 0) & (F.death[np.maximum(prev_firm, 0)] > t)
        keep = stay & prev_alive & (rng.random(N) >= MOVE_RATE)
        mover = stay & ~keep
        new = enter & lab
        choose = np.flatnonzero(mover | new)
        region = region_of_msoa[msoa[choose, i]]
        qq = np.clip(sort_q + rng.normal(0, 0.25, N), 0.001, 0.999)
        chosen = choose_firms(F, i, region, qq[choose], g[choose, i], rng)
        f_i = np.where(keep, prev_firm, -1)
        f_i[choose] = chosen
        # graduate placement scheme: some degree holders looking for a job this year are
        # placed at random scheme firms instead of where they would have gone
        seekers = (mover | new) & g[:, i]
        pl = np.flatnonzero(seekers & (rng.random(N) < PLACED_SHARE))
        sch = np.flatnonzero(F.scheme[:, i] & (F.birth <= t) & (F.death > t))
        if len(sch) and len(pl):
            w = F.weight[sch] / F.weight[sch].sum()
            f_i[pl] = sch[rng.choice(len(sch), size=len(pl), p=w)]
        # movers switch part-way through the year: the longer stint is the main job
        mday = rng.integers(20, nd - 20, N)
        mid = mover & prev_alive
        firm2[:, i] = np.where(mid, prev_firm, -1)
        move_day[:, i] = np.where(mid, mday, 0)
        # student jobs: retail and hospitality, size-weighted
        sjobs = np.flatnonzero(sj)
        shop = np.flatnonzero(F.retail & (F.birth <= t) & (F.death > t))
        f_i[sjobs] = shop[
            rng.choice(len(shop), size=len(sjobs), p=F.weight[shop] / F.weight[shop].sum())
        ]
        firm_i = np.where(emp_i, f_i, -1)
        firm[:, i] = firm_i
        prev_end = ended_at_year_end & lab
        prev_firm = np.where(prev_end, firm_i, -1)
        was_labour = was_labour | lab
    del sort_q, p_emp, prev_end, prev_firm, was_labour, in_edu
    # a mover's main job: the stint with more days; the other is the second employment
    main_is_old = (firm2 >= 0) & (move_day - d0 > d1 - move_day)
    old = firm2[main_is_old]
    firm2[main_is_old] = firm[main_is_old]
    firm[main_is_old] = old
    del main_is_old, old

    # ---- what the extract shows: linked main_enterprise and education-linked keys
    # (row arrays in small types, and no more of them than needed at a time: there are
    # tens of millions of rows; person indices in a type that also holds EDUKEY codes,
    # which add N to them)
    key_dtype = _index_dtype(2 * N + 1)
    pp, tt = np.nonzero(emp)
    pp, tt = pp.astype(key_dtype), tt.astype(np.int8)
    n = len(pp)
    ekey = keys.edukey_codes(pp, YEARS[tt], dtype=key_dtype)
    ent_null = _uniform_below(rng, (n,), UNLINKED_PAYE)
    fmain = firm[pp, tt]
    main = np.where(ent_null, -1, fmain)
    del ent_null, firm
    linked = keys.linked_edukey_person()
    visible = linked[pp] & (ekey != keys.edukey_blank)
    gv = g[pp, tt]
    S, _, _ = loo_share(main, tt, gv, visible & (main >= 0), F.n, T)
    # neighbours: residents with a geography row, linked
    geo_gap = _uniform_below(rng, (N, T), 0.03)
    abroad = _uniform_below(rng, (N, T), 0.005)
    geo_row = active & ~geo_gap
    del geo_gap
    gp, gt = np.nonzero(geo_row)
    del geo_row
    gp, gt = gp.astype(key_dtype), gt.astype(np.int8)
    geo_key = keys.edukey_codes(gp, YEARS[gt], dtype=key_dtype)
    g_abroad = abroad[gp, gt]
    del abroad
    gvis = linked[gp] & (geo_key != keys.edukey_blank) & ~g_abroad
    geo_msoa = np.where(g_abroad, -1, msoa[gp, gt])
    Nsh_rows, tot, cnt = loo_share(geo_msoa, gt, g[gp, gt], gvis, len(areas.msoa_rate), T)
    del gvis, geo_msoa, g
    # each employed person-year's neighbour share: its geography row's; without one (or
    # NaN there), for people in the labour market, the share of all visible residents
    geo_at = np.full(N * T, -1, dtype=_index_dtype(len(gp)))
    geo_at[gp.astype(np.int64) * T + gt] = np.arange(len(gp))
    at = geo_at[pp.astype(np.int64) * T + tt]
    del geo_at
    Nrow = np.where(at >= 0, Nsh_rows[np.maximum(at, 0)], np.nan)
    del at, Nsh_rows
    need = np.flatnonzero(np.isnan(Nrow) & labour[pp, tt])
    if len(need):
        cell = msoa[pp[need], tt[need]].astype(np.int64) * T + tt[need]
        c = cnt[cell]
        Nrow[need] = np.where(c > 0, tot[cell] / np.maximum(c, 1), 0.0)
        del cell, c
    del need, tot, cnt
    # the geography view draws nothing: build it now and let its row arrays go
    edukeys = _Lookup(keys.edukey_table, dtype=keys.edukey_dtype() if compact else None)
    emit({"leo_geography": geography_view(gp, gt, g_abroad, oa, areas, keys, edukeys, geo_key,
                                          compact)})  # fmt: skip
    del gp, gt, g_abroad, geo_key, oa

    # ---- pay, a block of rows at a time (the sum is evaluated left to right, term by
    # term, as the one expression it stands for; the random terms are drawn whole)
    lab_rows = labour[pp, tt]
    he = he_done[pp, tt]
    del he_done
    person_all = EARN_ABILITY * P.a + EARN_AMBITION * P.m + EARN_FAMILY * P.f + SD_PERSON * P.u
    lnw = np.empty(n)
    for a, b in _blocks(n):
        p_, ti, he_ = pp[a:b], tt[a:b], he[a:b]
        t_ = YEARS[ti]
        age = t_ - P.birth_year[p_]
        x = np.clip(age - 18, 0, None)
        v = 9.12 + 0.025 * (t_ - 2010) + 0.062 * x - 0.0014 * x**2 + BETA_HE * he_
        v += BETA_SEL * H.sel[p_] * he_
        v += person_all[p_]
        v += F.psi[fmain[a:b]]
        v += F.eta[fmain[a:b], ti]
        v += areas.msoa_pay[msoa[p_, ti]]
        Sx = np.nan_to_num(S[a:b])
        v += THETA_COWORKER * Sx
        v += KAPPA_DEGREE_X_SHARE * gv[a:b] * (Sx - 0.5)
        v += LAMBDA_NEIGHBOUR * np.nan_to_num(Nrow[a:b])
        lnw[a:b] = v
    del person_all, fmain, msoa, he, S, Nrow
    lnw += rng.normal(0, SD_TRANSITORY, n)
    noise = rng.normal(0, 0.35, n)
    for a, b in _blocks(n):
        age = YEARS[tt[a:b]] - P.birth_year[pp[a:b]]
        student = 8.9 + 0.1 * (age - 16) + noise[a:b]
        lnw[a:b] = np.where(lab_rows[a:b], lnw[a:b], student)
    del noise
    r_d0 = d0[pp, tt]
    r_d1 = d1[pp, tt]
    earn_i = np.empty(n, dtype=np.int64)
    for a, b in _blocks(n):
        frac = (r_d1[a:b] - r_d0[a:b]).astype(float) / ndays[tt[a:b]]
        earn_i[a:b] = np.round(np.exp(lnw[a:b]) * frac)
    del lnw
    earn_i[_uniform_below(rng, (n,), 0.01)] = 0
    lel = (YEARS < 2013)[tt] & (earn_i < 5000) & _uniform_below(rng, (n,), LEL_DROP)

    person_years = {
        "labour_market": int(lab_rows.sum()),
        "degree_holders_in_labour_market": int((lab_rows & gv).sum()),
    }
    del lab_rows, gv, visible

    # ---- leo_earnings: rows with a key and above the LEL, sorted by (Edukey, TaxYear)
    rows = _keyed_rows(np.where(lel, keys.edukey_blank, ekey), tt, keys).astype(_index_dtype(n))
    del lel
    emit({"leo_earnings": earnings_view(F, edukeys, rows, pp, tt, ekey, earn_i, main, firm2,
                                        move_day, r_d0, r_d1, compact)})  # fmt: skip
    del rows, earn_i, main, firm2, move_day, ekey

    emit({"leo_employment": spells_from_years(pp, tt, r_d0, r_d1, year_start, ndays, keys, rng)})
    del pp, tt, r_d0, r_d1
    emit({"leo_benefit": benefits(P, emp, labour, d0, d1, year_start, ndays, keys, rng)})
    del emp, d0, d1
    emit({"leo_self_assessment": self_assessment(P, active, keys, rng)})
    emit({"idbr_enterprise_lookup": idbr_view(F), "lookup_placement_scheme": scheme_view(F)})
    return F, person_years


class _Columns:
    """Output columns of a view, allocated once and filled a block of rows at a time (the
    temporaries of a block stay small; only the columns themselves take memory).

    compact: text as Categorical and integers in the narrow types the caller names (the
    same values in a quarter of the memory or less, which a writer takes as they are);
    otherwise object text and int64, as the rest of the package expects of a view.
    """

    def __init__(self, n, compact):
        self.n = n
        self.compact = compact
        self.data = {}

    def text(self, name, lookup, index, a, b):
        """Text column lookup.values[index] for rows a:b."""
        col = self.data.get(name)
        if self.compact:
            dtype, codes = lookup.categories()
            if col is None:
                col = self.data[name] = _Coded(dtype, np.empty(self.n, dtype=codes.dtype))
            np.take(codes, index, out=col.codes[a:b], mode="clip")
        else:
            if col is None:
                col = self.data[name] = np.empty(self.n, dtype=object)
            np.take(lookup.values, index, out=col[a:b], mode="clip")  # ('raise' would buffer)

    def numbers(self, name, values, a, b, narrow=np.int64):
        out = self.data.get(name)
        if out is None:
            out = self.data[name] = np.empty(self.n, dtype=narrow if self.compact else np.int64)
        out[a:b] = values

    def nullable(self, name, values, null_at, a, b, fill, narrow=np.int64, nulls_of=None):
        """Int64 column: values (whole numbers) with NULL where null_at; `fill` is what
        pandas holds under the mask for the column built as before. nulls_of: a column
        with the same NULLs, whose mask a compact column shares (a writer only reads it)."""
        if name not in self.data:
            dtype = narrow if self.compact else np.int64
            shared = self.data[nulls_of][1] if self.compact and nulls_of else None
            mask = np.empty(self.n, dtype=bool) if shared is None else shared
            self.data[name] = (np.empty(self.n, dtype=dtype), mask)
        data, mask = self.data[name]
        vals = np.where(null_at, 0.0, values)
        ints = vals.astype(np.int64)
        if (ints != vals).any():
            raise ValueError("cannot make an Int64 column of numbers that are not whole")
        ints[null_at] = fill
        data[a:b] = ints
        mask[a:b] = null_at

    def frame(self, view_name):
        out = {}
        for name, v in self.data.items():
            if isinstance(v, _Coded):
                v = pd.Categorical.from_codes(v.codes, dtype=v.dtype, validate=False)
            elif isinstance(v, tuple):
                v = pd.arrays.IntegerArray(*v)
            out[name] = v
        return _frame_taken(view_name, None, out)


class _Coded:
    """A compact text column being filled: codes into dtype.categories."""

    def __init__(self, dtype, codes):
        self.dtype = dtype
        self.codes = codes


class _Lookup:
    """Text by index: `values` (an object array, None for NULL, then the lookup's last
    entry) and, made once when first asked, the same as categories and codes.

    dtype: a CategoricalDtype whose categories are `values` in order, when one is at hand.
    """

    def __init__(self, values, *more, dtype=None):
        self.values = np.empty(len(values) + len(more), dtype=object)
        self.values[: len(values)] = values
        self.values[len(values) :] = more
        self._categories = None
        if dtype is not None:
            self._categories = (dtype, np.arange(len(values), dtype=_code_width(len(values))))

    def __len__(self):
        return len(self.values)

    def categories(self):
        """(CategoricalDtype of the distinct texts, code of each entry: -1 for None)."""
        if self._categories is None:
            codes, uniques = pd.factorize(self.values)
            self._categories = (
                pd.CategoricalDtype(uniques),
                codes.astype(_code_width(len(uniques))),
            )
        return self._categories


def _code_width(k):
    """The type pandas gives the codes of k categories (so that it keeps them uncopied)."""
    return next(t for t in (np.int8, np.int16, np.int32, np.int64) if k < np.iinfo(t).max)


_YEAR_2017 = int(np.searchsorted(YEARS, 2017))  # tax years from 2017/18 use the 2020 IDBR


def earnings_view(F, edukeys, rows, pp, tt, ekey, earn_i, main, firm2, move_day, d0, d1,
                  compact):  # fmt: skip
    """leo_earnings from the person-year rows `rows` (already filtered and in final order);
    edukeys: the _Lookup of EDUKEY codes; compact: as _Columns."""
    n_firms = F.n
    # SIC codes: 2019 list below index n_firms, 2020 list from n_firms; compared as codes
    sic_text = np.concatenate([F.sic, F.sic_2020])
    sic_code, _ = pd.factorize(sic_text)
    sec_code = np.unique(F.section, return_inverse=True)[1].reshape(-1)
    entkey = _Lookup(F.entkey, None)
    section = _Lookup(F.section.astype(object), None)
    sic = _Lookup(sic_text, None)
    no_firm, no_sic = n_firms, 2 * n_firms  # the None entries
    out = _Columns(len(rows), compact)
    # pounds fit int32 by far (enterprise, section and SIC earnings are at most Earnings)
    pounds = np.int32 if len(rows) == 0 or earn_i.max() < 2**31 else np.int64
    nulls = "enterprise_earnings"  # NULL without a main employer, as the other nullable ones
    for a, b in _blocks(len(rows)):
        r = rows[a:b]
        t_ = tt[r]
        p_ = pp[r]
        earn = earn_i[r]
        f1 = main[r]
        f2 = firm2[p_, t_]
        md = move_day[p_, t_]
        r0, r1 = d0[r], d1[r]
        days = (r1 - r0).astype(float)
        two = f2 >= 0
        share_main = np.where(two, np.maximum(r1 - md, md - r0) / np.maximum(days, 1), 1.0)
        has1 = f1 >= 0
        no1 = ~has1
        sy2020 = t_ >= _YEAR_2017
        c1 = np.maximum(f1, 0)
        c2 = np.maximum(f2, 0)
        sic_main_i = c1 + n_firms * sy2020
        sic2_i = c2 + n_firms * sy2020
        n_emp = has1.astype(int) + (two & (f2 >= 0)).astype(int)
        ent_earn = np.round(earn * share_main)  # whole pounds (NULL without a main employer)
        n_sec = np.where(has1, 1 + (two & (sec_code[c2] != sec_code[c1])), 0)
        n_sic = np.where(has1, 1 + (two & (sic_code[sic2_i] != sic_code[sic_main_i])), 0)
        firm_i = np.where(no1, no_firm, c1)
        sic_i = np.where(no1, no_sic, sic_main_i)
        out.text("Edukey", edukeys, ekey[r], a, b)
        out.numbers("TaxYear", _TAX_YEAR_CODE[t_], a, b, np.int32)
        out.numbers("Earnings", earn, a, b, pounds)
        out.text("main_enterprise", entkey, firm_i, a, b)
        out.nullable("enterprise_earnings", ent_earn, no1, a, b, _NAN_AS_INT64, pounds)
        out.nullable("tied_main_record_enterprise_sic_fg", 0.0, no1, a, b, 1, np.int8, nulls)
        out.numbers("Num_Employments", n_emp, a, b, np.int8)
        out.text("Main_Section", section, firm_i, a, b)
        sec_earn = np.where(n_sec == 1, earn, ent_earn)
        out.nullable("Section_Earnings", sec_earn, no1, a, b, _NAN_AS_INT64, pounds, nulls)
        out.nullable("Tied_Main_Section_Flag", 0.0, no1, a, b, 1, np.int8, nulls)
        out.numbers("Num_Sections", n_sec, a, b, np.int8)
        out.text("Main_SIC2007", sic, sic_i, a, b)
        sic_earn = np.where(n_sic == 1, earn, ent_earn)
        out.nullable("SIC_Earnings", sic_earn, no1, a, b, _NAN_AS_INT64, pounds, nulls)
        out.nullable("Tied_Main_SIC_Flag", 0.0, no1, a, b, 1, np.int8, nulls)
        out.numbers("Num_SIC", n_sic, a, b, np.int8)
        out.text("main_enterprise_linked_sic2007", sic, sic_i, a, b)
        out.text("main_enterprise_linked_section", section, firm_i, a, b)
    return out.frame("leo_earnings")


def loo_share(group, t, g, visible, n_groups, T):
    """Leave-one-out share of g among visible members of (group, t); NaN when nobody else.

    Also returns the sums and counts of g per cell (group * T + t) over visible members.
    Done a block of rows at a time: sums of 0/1 and counts are exact in float64 whatever
    the order of addition, and each row's share is its own arithmetic.
    """
    n = len(group)
    tot = np.zeros(n_groups * T)
    cnt = np.zeros(n_groups * T)
    for a, b in _blocks(n):
        gr = group[a:b]
        ok = visible[a:b] & (gr >= 0)
        cell = gr[ok].astype(np.int64) * T + t[a:b][ok]
        tot += np.bincount(cell, weights=g[a:b][ok], minlength=n_groups * T)
        cnt += np.bincount(cell, minlength=n_groups * T)
    out = np.empty(n)
    for a, b in _blocks(n):
        gr = group[a:b]
        ok = visible[a:b] & (gr >= 0)
        cell = np.maximum(gr, 0).astype(np.int64) * T + t[a:b]
        own = ok.astype(float)
        gg = g[a:b]
        num = tot[cell] - own * gg
        den = cnt[cell] - own
        out[a:b] = np.where((gr >= 0) & (den > 0), num / np.where(den > 0, den, 1), np.nan)
    return out, tot, cnt


def spells_from_years(pp, tt, d0, d1, year_start, ndays, keys, rng):
    """Merge year pieces into spells (abutting pieces join); defaults and open ends as in LEO.

    pp, tt: the employed person-years (np.nonzero of the employment matrix, person-major);
    d0, d1: their first and one-past-last day within the tax year.
    """
    T = len(year_start)
    # a piece continues the previous one when it starts on day 0 and the previous ended at year end
    cont = np.zeros(len(pp), bool)
    if len(pp) > 1:
        cont[1:] = ((pp[1:] == pp[:-1]) & (tt[1:] == tt[:-1] + 1)
                    & (d1[:-1] == ndays[tt[:-1]]) & (d0[1:] == 0))  # fmt: skip
    first = np.flatnonzero(~cont)
    end = year_start[tt] + (d1 - 1).astype("timedelta64[D]")
    if len(first):
        s_end = np.maximum.reduceat(end.view(np.int64), first).view("datetime64[D]")
    else:
        s_end = end[:0]
    del end, cont
    first_t = tt[first]
    s_start = year_start[first_t] + d0[first].astype("timedelta64[D]")
    s_pid = pp[first]
    last_day = year_start[T - 1] + np.timedelta64(int(ndays[T - 1]) - 1, "D")
    open_ = s_end >= last_day
    uncertain_start = rng.random(len(s_pid)) < 0.05
    s_start = np.where(uncertain_start, year_start[first_t], s_start)
    uncertain_end = ~open_ & (rng.random(len(s_pid)) < 0.02)
    end_out = s_end.astype("datetime64[s]")
    end_out[open_] = np.datetime64("9999-12-31", "s")
    key_year = 1970 + (s_start.astype("datetime64[Y]").astype(int))
    code = keys.edukey_codes(s_pid, key_year)
    day = s_start.astype(np.int64)
    day0 = day.min() if len(day) else 0
    order = _stable_order(
        keys.edukey_rank()[code], day - day0, (day.max() - day0 + 1) if len(day) else 1
    )
    return _frame_taken(
        "leo_employment",
        None,
        {
            "EduKey": keys.edukey_column(code[order]),
            "StartDate": s_start[order].astype("datetime64[s]"),
            "EndDate": end_out[order],
            "UncertainStartDate": uncertain_start[order].astype(np.int64),
            "UncertainEndDate": uncertain_end[order].astype(np.int64),
        },
    )


def benefits(P, emp, labour, d0, d1, year_start, ndays, keys, rng):
    N, T = emp.shape
    rows = []
    YE = year_start
    # a claimant keeps the same benefit from year to year (so year pieces merge into claims)
    legacy = rng.choice(np.array(["JSA", "ESA", "IS"]), size=N, p=[0.8, 0.12, 0.08])
    uc = rng.choice(
        np.array(["UAA", "UBC", "UCE", "UDF", "UAB", "UNA"]),
        size=N,
        p=[0.4, 0.25, 0.1, 0.05, 0.15, 0.05],
    )
    to_year_end = np.zeros(N, bool)  # claiming on the last day of the previous tax year
    for i, t in enumerate(YEARS):
        lab = labour[:, i]
        e_i = emp[:, i]
        d0_i = d0[:, i].astype(np.int64)
        d1_i = d1[:, i].astype(np.int64)
        idle_all = lab & ~e_i
        idle_part = lab & e_i & ((d0_i > 60) | (d1_i < ndays[i] - 60))
        claim = (idle_all & (rng.random(N) < 0.5)) | (idle_part & (rng.random(N) < 0.3))
        who = np.flatnonzero(claim)
        a = np.where(idle_all[who], 0, np.where(d0_i[who] > 60, 0, d1_i[who] + 7))
        b = np.where(
            idle_all[who], ndays[i] - 1, np.where(d0_i[who] > 60, d0_i[who] - 7, ndays[i] - 1)
        )
        s = a + (rng.random(len(who)) * np.maximum(b - a, 1) * 0.3).astype(int)
        s = np.where(idle_all[who] & to_year_end[who], 0, s)  # the claim goes on
        e = np.maximum(s + 14, b)
        to_year_end[:] = False
        to_year_end[who] = e >= ndays[i] - 1
        typ = uc[who] if t >= 2017 else legacy[who]
        rows.append(
            (
                who,
                YE[i] + s.astype("timedelta64[D]"),
                YE[i] + np.minimum(e, ndays[i] - 1).astype("timedelta64[D]"),
                typ,
                np.full(len(who), t),
            )
        )
    # in-work disability benefits for a few people, long spells
    dis = np.flatnonzero(rng.random(N) < 0.015)
    st = YE[0] + rng.integers(0, 365 * 12, len(dis)).astype("timedelta64[D]")
    stt = np.maximum(st, tax_year_start(P.cohort[dis]))
    typ = np.where(stt >= np.datetime64("2013-04-08"), "PIP", "DLA")
    rows.append(
        (
            dis,
            stt,
            np.full(len(dis), np.datetime64("9999-12-31", "D")),
            typ,
            1970 + stt.astype("datetime64[Y]").astype(int),
        )
    )
    who = np.concatenate([r[0] for r in rows])
    s = np.concatenate([r[1] for r in rows])
    e = np.concatenate([r[2] for r in rows])
    typ_text = np.concatenate([r[3] for r in rows])
    ky = np.concatenate([r[4] for r in rows])
    who, s, e, typ_text, ky = _merge_claims(who, s, e, typ_text, ky)
    # a claim still running at the end of the data is open
    e = e.astype("datetime64[s]")
    e[e >= np.datetime64("2021-04-05")] = np.datetime64("9999-12-31", "s")
    code = keys.edukey_codes(who, ky)
    # sorted by (EduKey, StartDate, Benefit_type) as text, stably
    types, typ_rank = np.unique(typ_text, return_inverse=True)
    typ_rank = typ_rank.reshape(-1)
    day = s.astype("datetime64[D]").astype(np.int64)
    day0 = day.min() if len(day) else 0
    minor = (day - day0) * len(types) + typ_rank
    order = _stable_order(keys.edukey_rank()[code], minor, (minor.max() + 1) if len(minor) else 1)
    typ = typ_text[order].astype(object)
    return _frame_taken(
        "leo_benefit",
        None,
        {
            "EduKey": keys.edukey_column(code[order]),
            "StartDate": s[order].astype("datetime64[s]"),
            "EndDate": e[order],
            "Benefit_type": typ,
            "Out_of_work_benefit": np.isin(typ_text[order], list(K.OUT_OF_WORK_TYPES)).astype(
                np.int64
            ),
        },
    )


def _merge_claims(who, s, e, typ, ky):
    """Join claims of one benefit type that overlap or abut (as the real view does)."""
    types, rank = np.unique(typ, return_inverse=True)
    sd = s.astype("datetime64[D]")
    ed = e.astype("datetime64[D]")
    order = np.lexsort((sd, rank.reshape(-1), who))
    who, sd, ed, rank, ky = who[order], sd[order], ed[order], rank.reshape(-1)[order], ky[order]
    same = np.r_[False, (who[1:] == who[:-1]) & (rank[1:] == rank[:-1])]
    joins = same & np.r_[False, sd[1:] <= ed[:-1] + np.timedelta64(1, "D")]
    group = np.cumsum(~joins) - 1
    first = np.flatnonzero(~joins)
    end = np.full(first.size, np.datetime64("1900-01-01", "D"))
    np.maximum.at(end, group, ed)
    return who[first], sd[first], end, types[rank[first]], ky[first]


def self_assessment(P, active, keys, rng):
    se = rng.random(P.n) < 0.035
    yrs = np.flatnonzero(YEARS >= 2013)
    pp, tt = np.nonzero(active[:, yrs] & se[:, None] & (rng.random((P.n, len(yrs))) < 0.7))
    t = YEARS[yrs][tt]
    total = np.round(rng.lognormal(9.0, 0.9, len(pp))).astype(np.int64)
    ptr = rng.random(len(pp)) < 0.15
    code = keys.edukey_codes(pp, t)
    rows = _keyed_rows(code, yrs[tt], keys)
    t, total, ptr = t[rows], total[rows], ptr[rows]
    return _frame_taken(
        "leo_self_assessment",
        None,
        {
            "Edukey": keys.edukey_column(code[rows]),
            "TaxYear": tax_year_code(t).astype(np.int64),
            "Self_Employed": np.ones(len(rows), dtype=np.int64),
            "EARNINGS_PTR": _int_or_null(total, ~ptr),
            "EARNINGS_SOLE": _int_or_null(total, ptr),
            "EARNINGS_SELF_EMPLOYMENT": pd.array(total, dtype="Int64"),
        },
    )


def geography_view(gp, gt, abroad, oa, areas, keys, edukeys, geo_key, compact):
    """leo_geography from the person-year rows (gp, gt); abroad and geo_key per row;
    edukeys: the _Lookup of EDUKEY codes; compact: as _Columns."""
    rows = _keyed_rows(geo_key, gt, keys)
    small = _index_dtype(len(areas.oa_code))  # MSOA attributes of each row, as small ints
    oa_msoa = areas.oa_msoa.astype(small)
    msoa_la = areas.msoa_la.astype(small)
    msoa_region = areas.msoa_region.astype(small)
    msoa_pcon = areas.msoa_pcon.astype(small)
    coa, laua = _Lookup(areas.oa_code, None), _Lookup(areas.la_anon, None)
    pcon_code, pcon_name = _Lookup(areas.pcon_code, None), _Lookup(areas.pcon_name, None)
    gor, gornm = _Lookup(areas.region_codes, None), _Lookup(list(K.REGIONS.values()), None)
    ctry = _Lookup(["E92000001", "Abroad"])
    ctrynm = _Lookup(["England", "Abroad"])
    out = _Columns(len(rows), compact)
    for a, b in _blocks(len(rows)):
        r = rows[a:b]
        g_p, g_t, ab = gp[r], gt[r], abroad[r]
        o = oa[g_p, g_t]
        ms = oa_msoa[o]
        pick = np.where  # pick(ab, the lookup's NULL entry, values)
        out.text("Edukey", edukeys, geo_key[r], a, b)
        out.numbers("TaxYear", _TAX_YEAR_CODE[g_t], a, b, np.int32)
        out.text("COA_2011", coa, pick(ab, len(coa) - 1, o), a, b)
        out.text("LAUA_anon", laua, pick(ab, len(laua) - 1, msoa_la[ms]), a, b)
        pcon = pick(ab, len(pcon_code) - 1, msoa_pcon[ms])
        out.text("PCON", pcon_code, pcon, a, b)
        out.text("PCONNM", pcon_name, pcon, a, b)
        reg = pick(ab, len(gor) - 1, msoa_region[ms])
        out.text("GOR", gor, reg, a, b)
        out.text("GORNM", gornm, reg, a, b)
        where = ab.astype(np.intp)
        out.text("CTRY", ctry, where, a, b)
        out.text("CTRYNM", ctrynm, where, a, b)
    return out.frame("leo_geography")


MONTHS = np.array(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
)


def idbr_view(F):
    def date9(y, m):
        return np.array([f"01{MONTHS[mm - 1]}{yy}" for yy, mm in zip(y, m)], dtype=object)

    rows = []
    in2019 = F.birth < 2018
    for sy, sel, sic, band in (
        ("2019", in2019, F.sic, F.band),
        ("2020", np.ones(F.n, bool), F.sic_2020, F.band_2020),
    ):
        idx = np.flatnonzero(sel)
        dead = F.death[idx] < (2018 if sy == "2019" else 2021)
        rows.append(
            pd.DataFrame(
                {
                    "ENTKEY": F.entkey[idx],
                    "SIC2007": sic[idx],
                    "Govt_Region": np.array(list(K.REGIONS), dtype=object)[F.region[idx]],
                    "legalstatus": F.legal[idx],
                    "Employees": band[idx],
                    "Birth_month": date9(F.birth[idx], F.birth_month[idx]),
                    "Death_month": np.where(
                        dead, date9(np.minimum(F.death[idx], 9999), F.death_month[idx]), None
                    ).astype(object),
                    "SECTIONNAME": F.section[idx].astype(object),
                    "SourceYear": np.full(len(idx), sy, dtype=object),
                }
            )
        )
    df = pd.concat(rows, ignore_index=True)
    return (
        _frame("idbr_enterprise_lookup", None, df.to_dict("series"))
        .sort_values(["ENTKEY", "SourceYear"], kind="mergesort")
        .reset_index(drop=True)
    )


def scheme_view(F):
    fi, ti = np.nonzero(F.scheme)
    alive = (F.birth[fi] <= YEARS[ti]) & (F.death[fi] > YEARS[ti])
    fi, ti = fi[alive], ti[alive]
    df = _frame(
        "lookup_placement_scheme",
        None,
        {
            "ENTKEY": F.entkey[fi],
            "TaxYear": tax_year_code(YEARS[ti]).astype(np.int64),
            "scheme": np.ones(len(fi), dtype=np.int64),
        },
    )
    return df.sort_values(["ENTKEY", "TaxYear"], kind="mergesort").reset_index(drop=True)
