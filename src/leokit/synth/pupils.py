"""Stage 3: pupils. Latent traits, background and attainment at KS2, KS4 and KS5.

Latent traits (never written out):
  ability a, ambition m (the confounder of application choices), family resources f,
  a permanent pay component u unrelated to education, and an employment propensity e.
Area participation shifts ability and family resources smoothly, so nothing jumps at
any contextual-offer cutoff except the policy itself.
"""

import numpy as np

from .config import COHORTS

ETHNIC = np.array(["WHIT", "ASIA", "BLAC", "MIXD", "CHIN", "AOEG", "UNCL"], dtype=object)
ETHNIC_SHARE = np.array([0.775, 0.10, 0.055, 0.045, 0.005, 0.01, 0.01])
# A-level tariff (A*=56 ... E=16): totals are multiples of 8 between EEE=48 and A*A*A*=168.
TARIFF_MIN, TARIFF_MAX = 48, 168


class People:
    pass


def tariff_round(z):
    """Map a standardised attainment score to a best-three-A-level tariff total."""
    return np.clip(np.round((112 + 24 * z) / 8) * 8, TARIFF_MIN, TARIFF_MAX).astype(np.int64)


def make(sizes, areas, schools, rng):
    n_c = sizes.pupils_per_cohort
    C = len(COHORTS)
    N = n_c * C
    P = People()
    P.n = N
    P.cohort = np.repeat(np.array(COHORTS), n_c)
    # born September (c-17) to August (c-16); academic month 0 = September
    acad_month = rng.integers(0, 12, N)
    P.birth_year = np.where(acad_month < 4, P.cohort - 17, P.cohort - 16)
    P.birth_month = (acad_month + 8) % 12 + 1
    P.female = rng.random(N) < 0.5
    P.ethnic = rng.choice(ETHNIC, size=N, p=ETHNIC_SHARE)

    P.oa = rng.choice(len(areas.oa_code), size=N, p=areas.oa_weight)
    P.msoa = areas.oa_msoa[P.oa]
    P.lsoa = areas.oa_lsoa[P.oa]
    P.la = areas.msoa_la[P.msoa]
    zr = areas.msoa_z[P.msoa]

    P.a = 0.30 * zr + 0.95 * rng.standard_normal(N)
    P.f = 0.45 * zr + 0.90 * rng.standard_normal(N)
    P.m = 0.30 * P.a + np.sqrt(0.91) * rng.standard_normal(N)
    P.u = rng.normal(0, 1, N)
    P.e = rng.normal(0, 1, N)

    # a school in the home authority
    first = schools.la_first[P.la]
    count = schools.la_count[P.la]
    P.school = first + (rng.random(N) * count).astype(np.int64)

    # Free school meals: a persistent poverty propensity plus yearly noise, over the six
    # years Y6-Y11 (index 0 = Y6 ... 5 = Y11); about 14% on census day, ~27% ever in six.
    poverty = -1.05 * P.f + rng.normal(0, 0.55, N)
    shocks = rng.normal(0, 0.55, (N, 6))
    P.fsm_hist = (poverty[:, None] + shocks) > 1.42
    P.fsm_ks4 = P.fsm_hist[:, 5]
    P.fsm6 = P.fsm_hist.any(axis=1)
    P.fsm_y12 = (poverty + rng.normal(0, 0.55, N)) > 1.42
    P.fsm_y13 = (poverty + rng.normal(0, 0.55, N)) > 1.42

    sen_score = -0.9 * P.a + rng.normal(0, 0.8, N)
    P.sen = np.where(
        sen_score > 2.2, "S", np.where(sen_score > 1.7, "P", np.where(sen_score > 1.25, "A", "N"))
    )

    school_eff = schools.effect[P.school]
    # KS2 (age 11)
    k2 = (0.80 * P.a + 0.15 * P.f)[:, None] + 0.5 * rng.standard_normal((N, 3))
    P.ks2_level = np.where(
        k2 > 0.75,
        "5",
        np.where(k2 > -0.9, "4", np.where(k2 > -1.9, "3", np.where(k2 > -2.6, "2", "B"))),
    )
    absent = rng.random((N, 3)) < 0.01
    P.ks2_level = np.where(absent, "A", P.ks2_level).astype(object)
    marks = np.clip(np.round(60 + 22 * k2), 0, 100).astype(np.int64)
    P.ks2_marks = np.where(absent.any(axis=1), -1, marks.sum(axis=1))

    # KS4 (age 16): capped best-8 points, new style (C = 40, A* = 58 per subject)
    k4 = 0.85 * P.a + 0.20 * P.f + school_eff + 0.45 * rng.standard_normal(N)
    P.ks4_z = k4
    P.ks4_points = np.clip(np.round(310 + 62 * k4, 1), 0, 464)
    P.ks4_level2em = k4 > -0.05
    P.ks4_fiveac = k4 > -0.30

    # Post-16: A levels for about half the cohort
    stay = 0.9 * k4 + 0.35 * P.m + 0.12 * P.f + rng.normal(0, 0.6, N)
    P.alevels = stay > -0.35
    in_sixth = schools.sixth_form[P.school]
    P.school_sixth = P.alevels & in_sixth
    # true level-3 attainment; teachers predict it with optimism, exams add noise
    level = 0.75 * P.a + 0.20 * P.f + 0.35 * rng.standard_normal(N) + 0.5 * school_eff
    P.pred_z = level + 0.25 * rng.standard_normal(N) + 0.10
    P.ach_z = level + 0.30 * rng.standard_normal(N)
    P.tariff_pred = np.where(P.alevels, tariff_round(P.pred_z), 0)
    P.tariff_ach = np.where(P.alevels, tariff_round(P.ach_z), 0)
    P.aab_fac = P.alevels & (P.tariff_ach >= 136) & (rng.random(N) < 0.6)
    return P
