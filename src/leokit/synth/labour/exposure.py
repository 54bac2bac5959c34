"""Labour sub-stage 3: the employed person-years as rows, and each row's exposure to
graduates at work (co-workers) and at home (neighbours).

    jobs = job_years(careers, employers, keys, rng)
    exposure, residents = measure_exposure(jobs=jobs, he=he, status=status, home=home,
                                           keys=keys, rng=rng, n_firms=n, n_msoa=m)

The shares are computed from exactly what the extract shows, so a researcher computing
them from the views recovers the planted spillovers:
  S (co-workers)  leave-one-out share of degree holders among the other rows with the same
                  main_enterprise and TaxYear in leo_earnings whose Edukey links to
                  education records;
  N (neighbours)  the same among linked residents of the row's MSOA in that tax year
                  (leo_geography rows not abroad); for a person in the labour market without
                  a usable geography row, the share among all linked residents of the MSOA.
"""

from dataclasses import dataclass

import numpy as np

from .. import config as cfg
from .careers import holds_degree
from .rows import blocks, index_dtype, uniform_below
from .taxyears import YEARS


@dataclass(eq=False)
class JobYears:
    """Employed person-years, one row each, person by person and year by year.

    person          int: person index (in a type that also holds EDUKEY codes)
    year            int8: tax year index (taxyears.YEARS)
    edukey          int: code of the EDUKEY the row carries (links.Keys; maybe the blank)
    employer        int: main employer (index into Firms)
    enterprise      int: the main employer as leo_earnings shows it (main_enterprise):
                    -1 where the PAYE record has no ENTKEY
    second_employer int: the other employer of someone who moved during the year, -1
    move_day        int16: the day of that move (0 when none)
    """

    person: np.ndarray
    year: np.ndarray
    edukey: np.ndarray
    employer: np.ndarray
    enterprise: np.ndarray
    second_employer: np.ndarray
    move_day: np.ndarray

    def __len__(self):
        return len(self.person)


@dataclass(eq=False)
class Exposure:
    """What the pay equation reads for each row of JobYears, beyond the person and firm.

    degree           bool: holds a first degree at the start of the tax year (g)
    msoa             int16: MSOA of residence that year (local pay premium)
    coworker_share   float: S, NaN when no other linked co-worker is visible
    neighbour_share  float: N, NaN when nobody else is visible in the MSOA
    """

    degree: np.ndarray
    msoa: np.ndarray
    coworker_share: np.ndarray
    neighbour_share: np.ndarray


@dataclass(eq=False)
class ResidentYears:
    """Person-years with a leo_geography row (active, without a gap), person-major.

    person, year    as in JobYears
    edukey          int: code of the EDUKEY the row carries
    abroad          bool: the row places the person abroad (no area)
    """

    person: np.ndarray
    year: np.ndarray
    edukey: np.ndarray
    abroad: np.ndarray


def job_years(careers, employers, keys, rng):
    """The rows of every employed person-year, with the keys and employers they show."""
    n_people = len(careers.employed)
    # row arrays in small types (tens of millions of rows at national scale); person
    # indices in a type that also holds EDUKEY codes, which add n_people to them
    key_dtype = index_dtype(2 * n_people + 1)
    pp, tt = np.nonzero(careers.employed)
    pp, tt = pp.astype(key_dtype), tt.astype(np.int8)
    edukey = keys.edukey_codes(pp, YEARS[tt], dtype=key_dtype)
    unlinked = uniform_below(rng, (len(pp),), cfg.UNLINKED_PAYE)
    employer = employers.main[pp, tt]
    return JobYears(
        person=pp,
        year=tt,
        edukey=edukey,
        employer=employer,
        enterprise=np.where(unlinked, -1, employer),
        second_employer=employers.second[pp, tt],
        move_day=employers.move_day[pp, tt],
    )


def loo_share(group, t, g, visible, n_groups, n_years):
    """Leave-one-out share of g among visible members of (group, t); NaN when nobody else.

    Also returns the sums and counts of g per cell (group * n_years + t) over visible
    members. Done a block of rows at a time: sums of 0/1 and counts are exact in float64
    whatever the order of addition, and each row's share is its own arithmetic.
    """
    n = len(group)
    tot = np.zeros(n_groups * n_years)
    cnt = np.zeros(n_groups * n_years)
    for a, b in blocks(n):
        gr = group[a:b]
        ok = visible[a:b] & (gr >= 0)
        cell = gr[ok].astype(np.int64) * n_years + t[a:b][ok]
        tot += np.bincount(cell, weights=g[a:b][ok], minlength=n_groups * n_years)
        cnt += np.bincount(cell, minlength=n_groups * n_years)
    out = np.empty(n)
    for a, b in blocks(n):
        gr = group[a:b]
        ok = visible[a:b] & (gr >= 0)
        cell = np.maximum(gr, 0).astype(np.int64) * n_years + t[a:b]
        own = ok.astype(float)
        gg = g[a:b]
        num = tot[cell] - own * gg
        den = cnt[cell] - own
        out[a:b] = np.where((gr >= 0) & (den > 0), num / np.where(den > 0, den, 1), np.nan)
    return out, tot, cnt


def coworker_share(jobs, degree, keys, n_firms):
    """S for each job row (see the module docstring)."""
    linked = keys.linked_edukey_person()
    visible = linked[jobs.person] & (jobs.edukey != keys.edukey_blank)
    shown = jobs.enterprise
    share, _, _ = loo_share(shown, jobs.year, degree, visible & (shown >= 0), n_firms, len(YEARS))
    return share


def resident_years(status, keys, rng):
    """The person-years that leo_geography shows (gaps and abroad rows drawn here)."""
    n_people = len(status.active)
    key_dtype = index_dtype(2 * n_people + 1)
    gap = uniform_below(rng, status.active.shape, cfg.GEOGRAPHY_GAP)
    abroad = uniform_below(rng, status.active.shape, cfg.ABROAD)
    shown = status.active & ~gap
    del gap
    gp, gt = np.nonzero(shown)
    del shown
    gp, gt = gp.astype(key_dtype), gt.astype(np.int8)
    edukey = keys.edukey_codes(gp, YEARS[gt], dtype=key_dtype)
    return ResidentYears(person=gp, year=gt, edukey=edukey, abroad=abroad[gp, gt])


def neighbour_share(jobs, job_msoa, residents, he, status, home, keys, n_msoa):
    """N for each job row (see the module docstring)."""
    n_people, n_years = status.active.shape
    gp, gt = residents.person, residents.year
    linked = keys.linked_edukey_person()
    visible = linked[gp] & (residents.edukey != keys.edukey_blank) & ~residents.abroad
    geo_msoa = np.where(residents.abroad, -1, home.msoa[gp, gt])
    degree = holds_degree(he, gp, gt)
    by_row, tot, cnt = loo_share(geo_msoa, gt, degree, visible, n_msoa, n_years)
    del visible, geo_msoa, degree
    # each job row's share: its geography row's; without one (or NaN there), for people in
    # the labour market, the share of all visible residents of the MSOA
    pp, tt = jobs.person, jobs.year
    geo_at = np.full(n_people * n_years, -1, dtype=index_dtype(len(gp)))
    geo_at[gp.astype(np.int64) * n_years + gt] = np.arange(len(gp))
    at = geo_at[pp.astype(np.int64) * n_years + tt]
    del geo_at
    share = np.where(at >= 0, by_row[np.maximum(at, 0)], np.nan)
    del at, by_row
    need = np.flatnonzero(np.isnan(share) & status.labour[pp, tt])
    if len(need):
        cell = job_msoa[need].astype(np.int64) * n_years + tt[need]
        c = cnt[cell]
        share[need] = np.where(c > 0, tot[cell] / np.maximum(c, 1), 0.0)
    return share


def measure_exposure(*, jobs, he, status, home, keys, rng, n_firms, n_msoa):
    """(Exposure of each job row, the ResidentYears that leo_geography is made of)."""
    degree = holds_degree(he, jobs.person, jobs.year)
    msoa = home.msoa[jobs.person, jobs.year]
    coworkers = coworker_share(jobs, degree, keys, n_firms)
    residents = resident_years(status, keys, rng)
    neighbours = neighbour_share(jobs, msoa, residents, he, status, home, keys, n_msoa)
    exposure = Exposure(
        degree=degree, msoa=msoa, coworker_share=coworkers, neighbour_share=neighbours
    )
    return exposure, residents
