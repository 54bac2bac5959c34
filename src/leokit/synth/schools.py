"""Stage 2: schools and colleges, each in a local authority, with a value-added effect.

    schools = make(sizes=Sizes(0.017), areas=areas, rng=rng)
    schools.effect[people.school]         # what each pupil's school adds to attainment

Schools never appear by name: the NPD views carry their pseudonymised LAESTAB and URN.
"""

from dataclasses import dataclass

import numpy as np

from . import config as cfg
from .ids import alnum_keys

NFTYPES = np.array(list(cfg.NFTYPE_SHARE))
NFTYPE_SHARE = np.array(list(cfg.NFTYPE_SHARE.values()))
INDEPENDENT, ACADEMY = 25, 24  # the NFTYPE codes whose pupils do a little better


@dataclass(eq=False)
class Schools:
    """Secondary schools (indexed 0..len-1, sorted by authority) and one college per authority.

    la              (schools,) int: local authority (index into Areas' la_* arrays)
    nftype          (schools,) int: KS4 institution type (schema.codes NFTYPE)
    effect          (schools,) float: value added, in SD of attainment (latent)
    sixth_form      (schools,) bool: has a sixth form; A-level pupils of a school without
                    one go to their authority's college
    laestab, urn    (schools,) object: pseudonymised LAESTAB and URN
    college_laestab (LAs,) object: pseudonymised LAESTAB of each authority's college
    la_first, la_count  (LAs,) int: the authority's schools are la_first .. la_first +
                    la_count - 1 (every authority has at least two)
    """

    la: np.ndarray
    nftype: np.ndarray
    effect: np.ndarray
    sixth_form: np.ndarray
    laestab: np.ndarray
    urn: np.ndarray
    college_laestab: np.ndarray
    la_first: np.ndarray
    la_count: np.ndarray

    def __len__(self):
        return len(self.la)


def make(*, sizes, areas, rng):
    """The schools for `sizes` (config.Sizes) in `areas` (areas.Areas)."""
    n_la = len(areas.la_region)
    n = max(sizes.schools, 2 * n_la)
    # every authority gets at least two schools
    la = np.concatenate([np.repeat(np.arange(n_la), 2), rng.integers(0, n_la, n - 2 * n_la)])
    la = np.sort(la)
    nftype = rng.choice(NFTYPES, size=n, p=NFTYPE_SHARE)
    effect = (
        rng.normal(0, cfg.SCHOOL_EFFECT_SD, n)
        + np.where(nftype == INDEPENDENT, cfg.INDEPENDENT_EFFECT, 0.0)
        + np.where(nftype == ACADEMY, cfg.ACADEMY_EFFECT, 0.0)
    )
    sixth_form = rng.random(n) < cfg.SIXTH_FORM_SHARE
    laestab = alnum_keys(rng, n, 40, prefix="LE")
    urn = alnum_keys(rng, n, 40, prefix="UR")
    # Sixth-form and FE colleges for pupils whose school has no sixth form: one per authority.
    college_laestab = alnum_keys(rng, n_la, 40, prefix="LC")
    return Schools(
        la=la,
        nftype=nftype,
        effect=effect,
        sixth_form=sixth_form,
        laestab=laestab,
        urn=urn,
        college_laestab=college_laestab,
        la_first=np.searchsorted(la, np.arange(n_la), side="left"),
        la_count=np.bincount(la, minlength=n_la),
    )
