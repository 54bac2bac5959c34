"""Stage 1: small areas. Output areas inside LSOAs inside MSOAs inside local authorities.

    areas = make(sizes=Sizes(0.017), rng=rng)
    areas.msoa_rate[people.home_msoa]     # each pupil's young participation rate

Each MSOA has a continuous young participation rate (the POLAR4-like index the contextual
offer rules use), its quintile, and an IDACI score per LSOA. Areas also carry two latent
things never written out: an amenity that graduates sort towards and a local wage premium.
Every MSOA holds two LSOAs and every LSOA two output areas, so an OA's MSOA is OA // 4.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit

from ..schema.codes import REGIONS
from . import config as cfg
from .ids import alnum_keys

REGION_CODES = list(REGIONS)
REGION_SHARE = np.array(cfg.REGION_SHARE)
REGION_SHARE = REGION_SHARE / REGION_SHARE.sum()
REGION_PARTICIPATION_LOGIT = np.array(cfg.REGION_PARTICIPATION_LOGIT)
REGION_LOG_PAY = np.array(cfg.REGION_LOG_PAY)


@dataclass(eq=False)
class Areas:
    """The geography. Arrays are indexed by area number within their level (0..count-1);
    `x_y` arrays map an area of level x to its area of level y.

    Regions (9, in the order of schema.codes.REGIONS) and local authorities:
      region_codes   (9,) object: ONS region codes
      la_region      (LAs,) int: region of each authority (sorted: authorities by region)
      la_anon        (LAs,) object: pseudonymised authority code (LAD_anon)
      la_pcon_start, la_pcon_count  (LAs,) int: the authority's constituencies are
                     la_pcon_start .. la_pcon_start + la_pcon_count - 1 (one or two)
      pcon_code, pcon_name  (constituencies,) object: E14... codes and names
    MSOAs:
      msoa_code      (MSOAs,) object: E02... codes
      msoa_la, msoa_region, msoa_pcon  (MSOAs,) int
      msoa_rate      (MSOAs,) float: young participation rate, 0..1, 4 decimals (POLAR4-like)
      msoa_quintile  (MSOAs,) int: quintile of msoa_rate across MSOAs, 1 (lowest) .. 5
      msoa_z         (MSOAs,) float: logit(msoa_rate) standardised across MSOAs (mean 0,
                     SD 1; positive = high participation); shifts pupils' latent traits
      msoa_amenity   (MSOAs,) float: latent amenity (graduates move towards it; never written)
      msoa_pay       (MSOAs,) float: local pay premium, log pay (never written)
      cutoffs        (2,) float: the contextual-offer cutoffs on msoa_rate (quantiles
                     CUTOFF_QUANTILES of MSOAs, 4 decimals)
    LSOAs (two per MSOA) and output areas (two per LSOA):
      lsoa_code, lsoa_msoa, lsoa_idaci (IDACI score 0..1, 3 decimals)
      oa_code, oa_lsoa, oa_msoa
      oa_weight      (OAs,) float: share of the population living in the OA (sums to 1)
    """

    region_codes: np.ndarray
    la_region: np.ndarray
    la_anon: np.ndarray
    la_pcon_start: np.ndarray
    la_pcon_count: np.ndarray
    pcon_code: np.ndarray
    pcon_name: np.ndarray
    msoa_code: np.ndarray
    msoa_la: np.ndarray
    msoa_region: np.ndarray
    msoa_pcon: np.ndarray
    msoa_rate: np.ndarray
    msoa_quintile: np.ndarray
    msoa_z: np.ndarray
    msoa_amenity: np.ndarray
    msoa_pay: np.ndarray
    cutoffs: tuple
    lsoa_code: np.ndarray
    lsoa_msoa: np.ndarray
    lsoa_idaci: np.ndarray
    oa_code: np.ndarray
    oa_lsoa: np.ndarray
    oa_msoa: np.ndarray
    oa_weight: np.ndarray


def make(*, sizes, rng):
    """The areas for `sizes` (config.Sizes)."""
    n_la = sizes.las
    # every region has at least one authority, every authority at least one MSOA
    la_region = np.sort(
        np.concatenate([np.arange(9), rng.choice(9, size=n_la - 9, p=REGION_SHARE)])
    )
    # MSOAs per authority roughly proportional to a lognormal authority size
    la_size = rng.lognormal(0, cfg.LA_SIZE_SD_LOG, n_la)
    la_size = la_size / la_size.sum()
    msoa_la = np.sort(
        np.concatenate([np.arange(n_la), rng.choice(n_la, size=sizes.msoas - n_la, p=la_size)])
    )
    n_msoa = sizes.msoas
    msoa_region = la_region[msoa_la]
    la_effect = rng.normal(0, cfg.PARTICIPATION_LA_SD, n_la)
    rate_logit = (
        cfg.PARTICIPATION_LOGIT_MEAN
        + REGION_PARTICIPATION_LOGIT[msoa_region]
        + la_effect[msoa_la]
        + rng.normal(0, cfg.PARTICIPATION_MSOA_SD, n_msoa)
    )
    rate = np.clip(expit(rate_logit), *cfg.PARTICIPATION_RANGE)
    order = rate.argsort().argsort()
    quintile = 1 + (5 * order) // n_msoa
    msoa_rate = np.round(rate, 4)
    zr = logit(msoa_rate)
    msoa_z = (zr - zr.mean()) / zr.std()
    # Graduates sort towards amenity, which also carries a local pay premium: the
    # confounding that makes pooled neighbour regressions too large.
    amenity = cfg.AMENITY_PER_PARTICIPATION_SD * msoa_z + rng.normal(0, cfg.AMENITY_SD, n_msoa)
    msoa_pay = (
        REGION_LOG_PAY[msoa_region]
        + cfg.LOCAL_PAY_PER_AMENITY * amenity
        + rng.normal(0, cfg.LOCAL_PAY_SD, n_msoa)
    )
    msoa_code = np.array([f"E02{i + 1:06d}" for i in range(n_msoa)], dtype=object)
    cutoffs = tuple(round(float(np.quantile(msoa_rate, q)), 4) for q in cfg.CUTOFF_QUANTILES)

    # two LSOAs per MSOA, two OAs per LSOA
    n_lsoa = 2 * n_msoa
    lsoa_msoa = np.repeat(np.arange(n_msoa), 2)
    lsoa_code = np.array([f"E01{i + 1:06d}" for i in range(n_lsoa)], dtype=object)
    idaci = expit(
        cfg.IDACI_LOGIT_MEAN
        + cfg.IDACI_PER_PARTICIPATION_SD * msoa_z[lsoa_msoa]
        + rng.normal(0, cfg.IDACI_SD, n_lsoa)
    )
    n_oa = 2 * n_lsoa
    oa_lsoa = np.repeat(np.arange(n_lsoa), 2)
    oa_code = np.array([f"E00{i + 1:06d}" for i in range(n_oa)], dtype=object)
    oa_weight = rng.gamma(cfg.OA_SIZE_SHAPE, 1.0, n_oa)
    oa_weight = oa_weight / oa_weight.sum()

    la_anon = alnum_keys(rng, n_la, 9, prefix="LA")
    # parliamentary constituencies: one or two per authority
    n_pcon = np.where(rng.random(n_la) < cfg.ONE_CONSTITUENCY, 1, 2)
    la_pcon_start = np.concatenate([[0], np.cumsum(n_pcon)[:-1]])
    total_pcon = int(n_pcon.sum())
    # each MSOA sits in one of its authority's constituencies
    msoa_pcon = la_pcon_start[msoa_la] + rng.integers(0, 2, n_msoa) % n_pcon[msoa_la]
    return Areas(
        region_codes=np.array(REGION_CODES, dtype=object),
        la_region=la_region,
        la_anon=la_anon,
        la_pcon_start=la_pcon_start,
        la_pcon_count=n_pcon,
        pcon_code=np.array([f"E14{i + 1:06d}" for i in range(total_pcon)], dtype=object),
        pcon_name=np.array(
            [f"Synthetic Constituency {i + 1}" for i in range(total_pcon)], dtype=object
        ),
        msoa_code=msoa_code,
        msoa_la=msoa_la,
        msoa_region=msoa_region,
        msoa_pcon=msoa_pcon,
        msoa_rate=msoa_rate,
        msoa_quintile=quintile.astype(np.int64),
        msoa_z=msoa_z,
        msoa_amenity=amenity,
        msoa_pay=msoa_pay,
        cutoffs=cutoffs,
        lsoa_code=lsoa_code,
        lsoa_msoa=lsoa_msoa,
        lsoa_idaci=np.round(idaci, 3),
        oa_code=oa_code,
        oa_lsoa=oa_lsoa,
        oa_msoa=lsoa_msoa[oa_lsoa],
        oa_weight=oa_weight,
    )
