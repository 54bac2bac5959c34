"""Stage 2: schools and colleges, each in a local authority, with a value-added effect."""

import numpy as np

from .ids import alnum_keys

NFTYPES = np.array([20, 21, 22, 23, 24, 25])
NFTYPE_SHARE = np.array([0.38, 0.15, 0.05, 0.14, 0.22, 0.06])


class Schools:
    pass


def make(sizes, areas, rng):
    S = Schools()
    n_la = len(areas.la_region)
    n = max(sizes.schools, 2 * n_la)
    # every authority gets at least two schools
    la = np.concatenate([np.repeat(np.arange(n_la), 2), rng.integers(0, n_la, n - 2 * n_la)])
    S.la = np.sort(la)
    S.nftype = rng.choice(NFTYPES, size=n, p=NFTYPE_SHARE)
    # Independent schools and academies add a little to attainment; the rest is noise.
    S.effect = (
        rng.normal(0, 0.15, n)
        + np.where(S.nftype == 25, 0.25, 0.0)
        + np.where(S.nftype == 24, 0.03, 0.0)
    )
    S.sixth_form = rng.random(n) < 0.55
    S.laestab = alnum_keys(rng, n, 40, prefix="LE")
    S.urn = alnum_keys(rng, n, 40, prefix="UR")
    # Sixth-form and FE colleges for pupils whose school has no sixth form: one per authority.
    S.college_laestab = alnum_keys(rng, n_la, 40, prefix="LC")
    S.n = n
    # index of schools by authority, for assigning pupils
    S.la_first = np.searchsorted(S.la, np.arange(n_la), side="left")
    S.la_count = np.bincount(S.la, minlength=n_la)
    return S
