"""Stage 1: small areas. Output areas inside LSOAs inside MSOAs inside local authorities.

Each MSOA has a continuous young participation rate (the POLAR4-like index the contextual
offer rules use), its quintile, and an IDACI score per LSOA. Areas also carry two latent
things never written out: an amenity that graduates sort towards and a local wage premium.
"""

import numpy as np
from scipy.special import expit, logit

from ..schema.codes import REGIONS
from .config import CUTOFF_QUANTILES
from .ids import alnum_keys

REGION_CODES = list(REGIONS)
REGION_SHARE = np.array([0.05, 0.13, 0.10, 0.09, 0.105, 0.11, 0.16, 0.165, 0.09])
REGION_SHARE = REGION_SHARE / REGION_SHARE.sum()
# Young participation and local pay by region (London high on both; the North East low).
REGION_RATE_SHIFT = np.array([-0.30, -0.10, -0.15, -0.10, -0.10, 0.05, 0.45, 0.10, 0.0])
REGION_PAY = np.array([-0.06, -0.03, -0.04, -0.03, -0.03, 0.0, 0.12, 0.04, -0.02])


class Areas:
    pass


def make(sizes, rng):
    A = Areas()
    n_la = sizes.las
    # every region has at least one authority, every authority at least one MSOA
    la_region = np.sort(
        np.concatenate([np.arange(9), rng.choice(9, size=n_la - 9, p=REGION_SHARE)])
    )
    # MSOAs per authority roughly proportional to a lognormal authority size
    la_size = rng.lognormal(0, 0.5, n_la)
    la_size = la_size / la_size.sum()
    msoa_la = np.sort(
        np.concatenate([np.arange(n_la), rng.choice(n_la, size=sizes.msoas - n_la, p=la_size)])
    )
    M = sizes.msoas
    msoa_region = la_region[msoa_la]
    la_effect = rng.normal(0, 0.35, n_la)
    rate_logit = (
        -0.62 + REGION_RATE_SHIFT[msoa_region] + la_effect[msoa_la] + rng.normal(0, 0.65, M)
    )
    rate = np.clip(expit(rate_logit), 0.02, 0.95)
    order = rate.argsort().argsort()
    quintile = 1 + (5 * order) // M
    A.msoa_rate = np.round(rate, 4)
    A.msoa_quintile = quintile.astype(np.int64)
    zr = logit(A.msoa_rate)
    A.msoa_z = (zr - zr.mean()) / zr.std()  # standardised, positive = high participation
    A.msoa_la = msoa_la
    A.msoa_region = msoa_region
    # Graduates sort towards amenity, which also carries a local pay premium: the
    # confounding that makes pooled neighbour regressions too large.
    A.msoa_amenity = 0.6 * A.msoa_z + rng.normal(0, 0.8, M)
    A.msoa_pay = REGION_PAY[msoa_region] + 0.04 * A.msoa_amenity + rng.normal(0, 0.03, M)
    A.msoa_code = np.array([f"E02{i + 1:06d}" for i in range(M)], dtype=object)
    A.cutoffs = tuple(round(float(np.quantile(A.msoa_rate, q)), 4) for q in CUTOFF_QUANTILES)

    # two LSOAs per MSOA, two OAs per LSOA
    L = 2 * M
    A.lsoa_msoa = np.repeat(np.arange(M), 2)
    A.lsoa_code = np.array([f"E01{i + 1:06d}" for i in range(L)], dtype=object)
    idaci = expit(-1.45 - 0.55 * A.msoa_z[A.lsoa_msoa] + rng.normal(0, 0.45, L))
    A.lsoa_idaci = np.round(idaci, 3)
    n_oa = 2 * L
    A.oa_lsoa = np.repeat(np.arange(L), 2)
    A.oa_msoa = A.lsoa_msoa[A.oa_lsoa]
    A.oa_code = np.array([f"E00{i + 1:06d}" for i in range(n_oa)], dtype=object)
    A.oa_weight = rng.gamma(6.0, 1.0, n_oa)
    A.oa_weight = A.oa_weight / A.oa_weight.sum()

    A.la_region = la_region
    A.la_anon = alnum_keys(rng, n_la, 9, prefix="LA")
    A.region_codes = np.array(REGION_CODES, dtype=object)
    # parliamentary constituencies: one or two per authority
    n_pcon = np.where(rng.random(n_la) < 0.5, 1, 2)
    A.la_pcon_start = np.concatenate([[0], np.cumsum(n_pcon)[:-1]])
    A.la_pcon_count = n_pcon
    P = int(n_pcon.sum())
    A.pcon_code = np.array([f"E14{i + 1:06d}" for i in range(P)], dtype=object)
    A.pcon_name = np.array([f"Synthetic Constituency {i + 1}" for i in range(P)], dtype=object)
    # each MSOA sits in one of its authority's constituencies
    A.msoa_pcon = A.la_pcon_start[msoa_la] + rng.integers(0, 2, M) % n_pcon[msoa_la]
    return A
