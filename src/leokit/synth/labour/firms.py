"""Labour sub-stage 1: enterprises (the IDBR), their pay premium, demand shocks and the
graduate placement scheme; and how a job seeker picks one.

    firms = make_firms(sizes, areas, rng)
    employer = choose_firms(firms, year_index, region, quantile, graduate, rng)

A firm's pay effect psi is its section's premium plus noise. Job seekers climb a
size-weighted ladder of firms ordered by psi to a quantile that rises with ability and pay
potential (sorting on ability, a confounder of co-worker effects); graduates' weights also
tilt towards firms with a high demand shock eta that year (another confounder). Firms in
the placement scheme (lookup_placement_scheme) take some graduates at random: the instrument.
"""

from dataclasses import dataclass

import numpy as np

from ...schema import codes as K
from .. import config as cfg
from ..ids import digit_keys
from .taxyears import YEARS

SECTIONS = np.array(list(cfg.SECTION_SHARE))
SECTION_SHARE = np.array(list(cfg.SECTION_SHARE.values()))
SECTION_SHARE = SECTION_SHARE / SECTION_SHARE.sum()
SECTION_DIVISIONS = {  # SIC 2007 divisions (two-digit) of each section
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
PUBLIC_SECTIONS = ["O", "P", "Q"]  # administration, education, health
STUDENT_JOB_SECTIONS = ["G", "I"]  # retail and hospitality
FIRST_SCHEME_YEAR = 2010


@dataclass(eq=False)
class Firms:
    """Enterprises, index 0..len-1 (an index of -1 elsewhere means no employer).

    section         str: SIC 2007 section letter
    psi             float: firm pay effect, log pay (section premium + noise)
    weight          float: size, the firm's weight in job choice (lognormal)
    region          int: region (index into Areas.region_codes)
    entkey          object: 10-digit ENTKEY
    sic, sic_2020   object: five-digit SIC 2007 code in the 2019 and 2020 IDBR
    band, band_2020 object: employee band in the 2019 and 2020 IDBR
    legal           object: legal status code
    birth, death    int: tax year of birth and of death (9999: alive at the end)
    birth_month, death_month  int: month (1..12), for the IDBR dates
    eta             (firms, years) float: demand shock by tax year index, log pay (AR(1))
    scheme          (firms, years) bool: in the graduate placement scheme that year (only
                    while alive does it take anyone or appear in the lookup)
    retail          bool: takes student jobs (sections G and I)
    """

    section: np.ndarray
    psi: np.ndarray
    weight: np.ndarray
    region: np.ndarray
    entkey: np.ndarray
    sic: np.ndarray
    sic_2020: np.ndarray
    band: np.ndarray
    band_2020: np.ndarray
    legal: np.ndarray
    birth: np.ndarray
    death: np.ndarray
    birth_month: np.ndarray
    death_month: np.ndarray
    eta: np.ndarray
    scheme: np.ndarray
    retail: np.ndarray

    def __len__(self):
        return len(self.section)

    def alive(self, year):
        """bool per firm: trading in tax year `year` (born by then, not yet dead)."""
        return (self.birth <= year) & (self.death > year)


def _sic_codes(divisions, rng):
    """A five-digit SIC code in each division: the division and three random digits."""
    return np.array(
        [f"{d:02d}{x:03d}" for d, x in zip(divisions, rng.integers(0, 1000, len(divisions)))],
        dtype=object,
    )


def make_firms(sizes, areas, rng):
    """sizes.firms enterprises, located in proportion to the regions' MSOAs."""
    n = sizes.firms
    section = rng.choice(SECTIONS, size=n, p=SECTION_SHARE)
    psi = np.array([cfg.SECTION_PAY[s] for s in section]) + rng.normal(0, cfg.FIRM_PAY_SD, n)
    weight = rng.lognormal(0, cfg.FIRM_SIZE_SD_LOG, n)
    region_w = np.bincount(areas.msoa_region, minlength=9).astype(float)
    region = rng.choice(9, size=n, p=region_w / region_w.sum())
    entkey = digit_keys(rng, n, 10)
    lo = np.array([SECTION_DIVISIONS[s][0] for s in section])
    hi = np.array([SECTION_DIVISIONS[s][1] for s in section])
    div = lo + (rng.random(n) * (hi - lo + 1)).astype(int)
    sic = _sic_codes(div, rng)
    sic_2020 = sic.copy()
    changed = rng.random(n) < cfg.SIC_CHANGED_2020
    sic_2020[changed] = _sic_codes(div[changed], rng)
    birth = np.where(
        rng.random(n) < cfg.FIRM_BORN_BEFORE_DATA,
        rng.integers(1975, cfg.FIRST_TAX_YEAR, n),
        rng.integers(cfg.FIRST_TAX_YEAR, cfg.LAST_TAX_YEAR - 1, n),
    )
    death = np.where(
        rng.random(n) < cfg.FIRM_DIES, rng.integers(2008, cfg.LAST_TAX_YEAR + 1, n), 9999
    )
    birth_month = rng.integers(1, 13, n)
    death_month = rng.integers(1, 13, n)
    ranks = weight.argsort().argsort() / n
    band_index = np.searchsorted(cfg.EMPLOYEE_BAND_QUANTILES, ranks, side="right")
    bands = np.array(K.IDBR_EMPLOYEE_BANDS, dtype=object)
    band = bands[band_index]
    band_2020 = band.copy()
    moved = rng.random(n) < cfg.BAND_CHANGED_2020
    step = rng.choice([-1, 1], moved.sum())
    band_2020[moved] = bands[np.clip(band_index[moved] + step, 0, len(bands) - 1)]
    legal = np.where(
        np.isin(section, PUBLIC_SECTIONS) & (rng.random(n) < cfg.PUBLIC_LEGAL_STATUS),
        np.where(rng.random(n) < cfg.PUBLIC_LEGAL_STATUS_5, "5", "6"),
        rng.choice(
            np.array(list(cfg.LEGAL_STATUS_SHARE)),
            size=n,
            p=list(cfg.LEGAL_STATUS_SHARE.values()),
        ),
    ).astype(object)
    eta = np.zeros((n, len(YEARS)))
    eta[:, 0] = rng.normal(0, cfg.ETA_SD / np.sqrt(1 - cfg.ETA_RHO**2), n)  # stationary start
    for i in range(1, len(YEARS)):
        eta[:, i] = cfg.ETA_RHO * eta[:, i - 1] + rng.normal(0, cfg.ETA_SD, n)
    # the scheme recruits among the bigger half of firms: twice the share of those
    big = weight > np.median(weight)
    scheme = (
        (rng.random((n, len(YEARS))) < cfg.SCHEME_SHARE / 0.5)
        & big[:, None]
        & (YEARS >= FIRST_SCHEME_YEAR)[None, :]
    )
    return Firms(
        section=section,
        psi=psi,
        weight=weight,
        region=region,
        entkey=entkey,
        sic=sic,
        sic_2020=sic_2020,
        band=band,
        band_2020=band_2020,
        legal=legal,
        birth=birth,
        death=death,
        birth_month=birth_month,
        death_month=death_month,
        eta=eta,
        scheme=scheme,
        retail=np.isin(section, STUDENT_JOB_SECTIONS),
    )


def choose_firms(firms, year_index, region, quantile, graduate, rng):
    """A firm for each job seeker: in their region (or, for some, anywhere), size-weighted,
    at `quantile` (0..1) of the ladder of live firms ordered by pay effect psi."""
    alive = firms.alive(YEARS[year_index])
    out = np.full(len(quantile), -1, dtype=np.int64)
    national = rng.random(len(quantile)) < cfg.NATIONAL_JOB_SEARCH
    for g in (False, True):
        tilt = np.exp(cfg.ETA_GRAD_TILT * firms.eta[:, year_index]) if g else 1.0
        w_all = firms.weight * alive * tilt
        for r in range(-1, 9):  # -1: the national seekers
            sel = (graduate == g) & (national if r < 0 else (~national & (region == r)))
            idx = np.flatnonzero(sel)
            if len(idx) == 0:
                continue
            cand = (
                np.flatnonzero(w_all > 0)
                if r < 0
                else np.flatnonzero((w_all > 0) & (firms.region == r))
            )
            order = cand[np.argsort(firms.psi[cand], kind="stable")]
            cdf = np.cumsum(w_all[order])
            cdf /= cdf[-1]
            pos = np.searchsorted(cdf, quantile[idx], side="left")
            out[idx] = order[np.minimum(pos, len(order) - 1)]
    return out
