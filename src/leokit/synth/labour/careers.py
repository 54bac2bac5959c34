"""Labour sub-stage 2: where people live, whether they are in education, and their jobs,
by person and tax year.

    home = residence(people, areas, rng)          # Residence: OA and MSOA by year
    status = education_status(people, he)         # Status: active, in the labour market
    careers, employers = employment(people=people, he=he, status=status, firms=firms,
                                    home=home, areas=areas, rng=rng)

Every array here is person x tax year (index into taxyears.YEARS), the biggest of the
generator. A year at a time: students may hold a term-time job at a shop; people in the
labour market keep their job (and usually their employer), lose it, or find one (at a firm
chosen by `firms.choose_firms`, or through the graduate placement scheme). A mover works for
two employers in the year; the longer stint is the main job.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from scipy.stats import norm

from .. import config as cfg
from .firms import choose_firms
from .rows import index_dtype
from .taxyears import CENSUS_DAY, YEAR_DAYS, YEAR_START, YEARS


@dataclass(eq=False)
class Residence:
    """Where each person lives, (people, years) arrays.

    oa     int: output area (index into Areas.oa_*), from the home OA at school
    msoa   int16: its MSOA
    """

    oa: np.ndarray
    msoa: np.ndarray


@dataclass(eq=False)
class Status:
    """Education status on about 1 December of each tax year, (people, years) bool arrays.

      active   from the tax year starting in the KS4 year on (the person has records)
      labour   active and not in education: not at school (the KS4 year and the next), not
               on a first degree, not on a masters; in the labour market
    Students are active & ~labour.
    """

    active: np.ndarray
    labour: np.ndarray


@dataclass(eq=False)
class Careers:
    """Employment by person and tax year, (people, years) arrays.

    employed    bool: has a job at some point of the tax year
    first_day   int16: first day employed (0 = 6 April)
    end_day     int16: one past the last day employed (the year's length if to its end)
    """

    employed: np.ndarray
    first_day: np.ndarray
    end_day: np.ndarray


@dataclass(eq=False)
class Employers:
    """Who employs each person in each tax year, (people, years) arrays.

    main        int: the main employer (index into Firms), -1 when not employed
    second      int: the other employer of a person who moved during the year, -1
    move_day    int16: the day of that move (0 when none)
    """

    main: np.ndarray
    second: np.ndarray
    move_day: np.ndarray


def holds_degree(he, person, year_index):
    """bool: `person` holds a first degree at the start of tax year YEARS[year_index]."""
    return he.completed[person] & (he.end[person] < YEAR_START[year_index])


def left_he(he, person, year_index):
    """bool: `person` entered a first degree and left it (either way) before that tax year."""
    return he.entered[person] & (he.end[person] < YEAR_START[year_index])


def residence(people, areas, rng):
    """OA of residence by tax year; high-ability adults who move far drift towards amenity."""
    n = len(people)
    oa = np.empty((n, len(YEARS)), dtype=index_dtype(len(areas.oa_code)))
    cur = people.home_oa.copy()
    pop = np.bincount(areas.oa_msoa, weights=areas.oa_weight, minlength=len(areas.msoa_rate))
    mobile = people.ability > cfg.MOBILE_ABILITY_ABOVE
    w_mobile = pop * np.exp(cfg.AMENITY_PULL * areas.msoa_amenity)
    for i, t in enumerate(YEARS):
        adult = t >= people.cohort + 2
        move = adult & (rng.random(n) < cfg.MOVE_HOME)
        far = move & (rng.random(n) < cfg.MOVE_FAR)
        for hi in (False, True):
            idx = np.flatnonzero(far & (mobile == hi))
            w = w_mobile if hi else pop
            m = rng.choice(len(w), size=len(idx), p=w / w.sum())
            cur[idx] = 2 * (2 * m) + rng.integers(0, 4, len(idx))  # an OA inside MSOA m
        near = np.flatnonzero(move & ~far)
        cur[near] = 4 * areas.oa_msoa[cur[near]] + rng.integers(0, 4, len(near))
        oa[:, i] = cur
    msoa = areas.oa_msoa.astype(index_dtype(len(areas.msoa_rate)))[oa]
    return Residence(oa=oa, msoa=msoa)


def education_status(people, he):
    """Active and in-the-labour-market flags by person and tax year."""
    years, cohort = YEARS[None, :], people.cohort[:, None]
    day = CENSUS_DAY[None, :]
    in_school = (years >= cohort) & (years <= cohort + 1)
    in_he = (he.start[:, None] <= day) & (he.end[:, None] >= day)
    in_masters = (he.masters_start[:, None] <= day) & (he.masters_end[:, None] >= day)
    in_education = in_school | in_he | in_masters
    del in_school, in_he, in_masters  # (memory: three people x years arrays)
    active = years >= cohort
    return Status(active=active, labour=active & ~in_education)


def employment(*, people, he, status, firms, home, areas, rng):
    """Jobs year by year: (Careers, Employers)."""
    n, n_years = status.active.shape
    fdt = index_dtype(len(firms))  # days fit int16 and firm indices int32
    emp = np.zeros((n, n_years), bool)
    d0 = np.zeros((n, n_years), dtype=np.int16)
    d1 = np.zeros((n, n_years), dtype=np.int16)
    firm = np.full((n, n_years), -1, dtype=fdt)
    firm2 = np.full((n, n_years), -1, dtype=fdt)
    move_day = np.zeros((n, n_years), dtype=np.int16)
    # where on the firm ladder a person looks (a quantile), before the yearly noise
    sort_q = norm.cdf(
        cfg.SORT_PER_ABILITY * people.ability + cfg.SORT_PER_PAY_POTENTIAL * people.pay_potential
    )
    p_emp = expit(cfg.EMPLOY_LOGIT + cfg.EMPLOY_LOGIT_PER_EMPLOYABILITY * people.employability)
    prev_end = np.zeros(n, bool)  # employed on the last day of the previous year
    prev_firm = np.full(n, -1, dtype=fdt)
    was_labour = np.zeros(n, bool)
    everyone = slice(None)
    recession_from, recession_to = cfg.RECESSION_YEARS
    for i, t in enumerate(YEARS):
        nd = YEAR_DAYS[i]
        lab = status.labour[:, i]
        student = status.active[:, i] & ~lab
        degree = holds_degree(he, everyone, i)
        recession = cfg.RECESSION_LOGIT if recession_from <= t <= recession_to else 0.0
        # students: a term-time or summer job for some (starting 60+ days before year end)
        sj = student & (rng.random(n) < cfg.STUDENT_JOB)
        s0 = rng.integers(0, nd - 60, n)
        s1 = np.minimum(s0 + rng.integers(*cfg.STUDENT_JOB_DAYS, n), nd)
        # labour market: stay in work (all year or leaving during it), or find a job
        p_stay = expit(
            cfg.STAY_LOGIT + cfg.STAY_LOGIT_PER_EMPLOYABILITY * people.employability + recession
        )
        stay = lab & prev_end & was_labour & (rng.random(n) < p_stay)
        leave_day = rng.integers(30, nd - 1, n)  # for those who leave during the year
        cont_full = stay & (rng.random(n) < cfg.STAY_WHOLE_YEAR)
        cont_part = stay & ~cont_full  # employed from day 0, leaves during the year
        enter = lab & ~stay & (rng.random(n) < p_emp * (1.0 + recession / 2))
        first_lab = lab & ~was_labour
        # a first job after education starts in the summer or autumn; a later one any time
        enter_day = np.where(first_lab, rng.integers(60, 200, n), rng.integers(0, nd - 20, n))
        emp_i = sj | cont_full | cont_part | enter
        emp[:, i] = emp_i
        d0[:, i] = np.where(sj, s0, np.where(enter, enter_day, 0))
        d1_i = np.where(sj, s1, np.where(cont_part, leave_day, nd))
        d1[:, i] = d1_i
        ended_at_year_end = emp_i & (d1_i == nd)
        del s0, s1, leave_day, enter_day, d1_i
        # employers: stayers keep theirs unless it died or they move; seekers choose
        prev_alive = (prev_firm >= 0) & (firms.death[np.maximum(prev_firm, 0)] > t)
        keep = stay & prev_alive & (rng.random(n) >= cfg.MOVE_RATE)
        mover = stay & ~keep
        new = enter & lab
        choose = np.flatnonzero(mover | new)
        region = areas.msoa_region[home.msoa[choose, i]]
        qq = np.clip(sort_q + rng.normal(0, cfg.SORT_NOISE_SD, n), 0.001, 0.999)
        chosen = choose_firms(firms, i, region, qq[choose], degree[choose], rng)
        f_i = np.where(keep, prev_firm, -1)
        f_i[choose] = chosen
        # graduate placement scheme: some degree holders looking for a job this year are
        # placed at random scheme firms instead of where they would have gone
        seekers = (mover | new) & degree
        pl = np.flatnonzero(seekers & (rng.random(n) < cfg.PLACED_SHARE))
        sch = np.flatnonzero(firms.scheme[:, i] & firms.alive(t))
        if len(sch) and len(pl):
            w = firms.weight[sch] / firms.weight[sch].sum()
            f_i[pl] = sch[rng.choice(len(sch), size=len(pl), p=w)]
        # movers switch part-way through the year: the longer stint is the main job
        mday = rng.integers(20, nd - 20, n)
        mid = mover & prev_alive
        firm2[:, i] = np.where(mid, prev_firm, -1)
        move_day[:, i] = np.where(mid, mday, 0)
        # student jobs: retail and hospitality, size-weighted
        sjobs = np.flatnonzero(sj)
        shop = np.flatnonzero(firms.retail & firms.alive(t))
        f_i[sjobs] = shop[
            rng.choice(len(shop), size=len(sjobs), p=firms.weight[shop] / firms.weight[shop].sum())
        ]
        firm_i = np.where(emp_i, f_i, -1)
        firm[:, i] = firm_i
        prev_end = ended_at_year_end & lab
        prev_firm = np.where(prev_end, firm_i, -1)
        was_labour = was_labour | lab
    del sort_q, p_emp, prev_end, prev_firm, was_labour  # (memory: before the swap below)
    # a mover's main job: the stint with more days; the other is the second employment
    main_is_old = (firm2 >= 0) & (move_day - d0 > d1 - move_day)
    old = firm2[main_is_old]
    firm2[main_is_old] = firm[main_is_old]
    firm[main_is_old] = old
    del main_is_old, old
    return (
        Careers(employed=emp, first_day=d0, end_day=d1),
        Employers(main=firm, second=firm2, move_day=move_day),
    )
