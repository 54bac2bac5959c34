"""Stage 3: pupils. Latent traits, background and attainment at KS2, KS4 and KS5.

    people = make(sizes=sizes, areas=areas, schools=schools, rng=rng)
    people.ability, people.tariff_achieved    # one value per person, persons 0..len-1

Everybody in the synthetic England is a pupil of one of five KS4 cohorts; the later stages
follow the same people (index i is the same person everywhere). Latent traits are never
written out. Area participation shifts ability and family resources smoothly, so nothing
jumps at any contextual-offer cutoff except the policy itself.
"""

from dataclasses import dataclass

import numpy as np

from . import config as cfg

ETHNIC = np.array(list(cfg.ETHNIC_SHARE), dtype=object)
ETHNIC_SHARE = np.array(list(cfg.ETHNIC_SHARE.values()))
# A-level tariff (A*=56 ... E=16): totals are multiples of 8 between EEE=48 and A*A*A*=168.
TARIFF_MIN, TARIFF_MAX = 48, 168
AAB_TARIFF = 136  # 48 + 48 + 40


@dataclass(eq=False)
class People:
    """One entry per person (index 0..len-1), cohort by cohort.

    Background:
      cohort          int: academic year (its end) of the end of KS4, one of config.COHORTS
      birth_year, birth_month  int: born September (cohort-17) to August (cohort-16)
      female          bool
      ethnic_group    object: census major ethnic group code
      home_oa, home_lsoa, home_msoa, home_la  int: area of residence at school (indices
                      into Areas' oa_*, lsoa_*, msoa_* and la_* arrays)
      school          int: KS4 school (index into Schools)
    Latent traits (never written out; about standard normal, area-shifted):
      ability         drives attainment, sorting into firms and areas, and pay
      family_resources  drives attainment, free school meals, applications and pay
      ambition        drives staying on, applications and offers (correlation 0.3 with
                      ability); the confounder of application choices; raises pay
      pay_potential   a permanent pay component unrelated to education (SD 1); with ability,
                      it sets how high up the firm pay ladder the person looks for work
      employability   drives finding and keeping a job (SD 1)
    Free school meals and special needs:
      fsm_by_year     (n, 6) bool: eligible on census day in Y6 .. Y11 (column 5 = Y11)
      fsm_ks4         bool: eligible in Y11 (KS4_FSM)
      ever_fsm_6      bool: eligible in any of the six years (KS4_FSM6)
      fsm_y12, fsm_y13  bool: eligible in Y12 and Y13 (for sixth-form census rows)
      sen_provision   str: N (none), A, P or S
    Attainment:
      ks2_level       (n, 3) object: KS2 level in English, maths, science ("B".."5", "A" absent)
      ks2_marks       int: total KS2 marks, -1 when a subject was missed
      ks4_points      float: capped best-8 points (new style, 0..464)
      ks4_level2_em   bool: level 2 with English and maths
      ks4_five_ac     bool: five or more A*-C
      takes_alevels   bool: sits A levels (KS5)
      in_school_sixth_form  bool: does them in the school's sixth form (else a college)
      predicted_z, achieved_z  float: level-3 attainment as teachers predict it and as
                      the exams find it (standardised scale, latent)
      tariff_predicted, tariff_achieved  int: best-three-A-level tariff points (0 when no
                      A levels): predicted at application, achieved on results day
      aab_facilitating  bool: AAB or better in facilitating subjects (KS5_AAB_FAC)
    """

    cohort: np.ndarray
    birth_year: np.ndarray
    birth_month: np.ndarray
    female: np.ndarray
    ethnic_group: np.ndarray
    home_oa: np.ndarray
    home_lsoa: np.ndarray
    home_msoa: np.ndarray
    home_la: np.ndarray
    school: np.ndarray
    ability: np.ndarray
    family_resources: np.ndarray
    ambition: np.ndarray
    pay_potential: np.ndarray
    employability: np.ndarray
    fsm_by_year: np.ndarray
    fsm_ks4: np.ndarray
    ever_fsm_6: np.ndarray
    fsm_y12: np.ndarray
    fsm_y13: np.ndarray
    sen_provision: np.ndarray
    ks2_level: np.ndarray
    ks2_marks: np.ndarray
    ks4_points: np.ndarray
    ks4_level2_em: np.ndarray
    ks4_five_ac: np.ndarray
    takes_alevels: np.ndarray
    in_school_sixth_form: np.ndarray
    predicted_z: np.ndarray
    achieved_z: np.ndarray
    tariff_predicted: np.ndarray
    tariff_achieved: np.ndarray
    aab_facilitating: np.ndarray

    def __len__(self):
        return len(self.cohort)


def tariff_round(z):
    """Map a standardised attainment score to a best-three-A-level tariff total."""
    points = np.round((cfg.TARIFF_MEAN + cfg.TARIFF_PER_SD * z) / 8) * 8
    return np.clip(points, TARIFF_MIN, TARIFF_MAX).astype(np.int64)


def _levels(score, cuts, below):
    """The label of the first cut point (in order) that `score` exceeds, else `below`."""
    out = below
    for label, cut in reversed(list(cuts.items())):
        out = np.where(score > cut, label, out)
    return out


def make(*, sizes, areas, schools, rng):
    """The pupils of every cohort, living in `areas` and going to `schools`."""
    n_c = sizes.pupils_per_cohort
    n = n_c * len(cfg.COHORTS)
    cohort = np.repeat(np.array(cfg.COHORTS), n_c)
    # born September (c-17) to August (c-16); academic month 0 = September
    acad_month = rng.integers(0, 12, n)
    birth_year = np.where(acad_month < 4, cohort - 17, cohort - 16)
    birth_month = (acad_month + 8) % 12 + 1
    female = rng.random(n) < cfg.FEMALE_SHARE
    ethnic_group = rng.choice(ETHNIC, size=n, p=ETHNIC_SHARE)

    home_oa = rng.choice(len(areas.oa_code), size=n, p=areas.oa_weight)
    home_msoa = areas.oa_msoa[home_oa]
    home_lsoa = areas.oa_lsoa[home_oa]
    home_la = areas.msoa_la[home_msoa]
    area_z = areas.msoa_z[home_msoa]

    ability = cfg.ABILITY_PER_AREA_SD * area_z + cfg.ABILITY_SD * rng.standard_normal(n)
    family = cfg.FAMILY_PER_AREA_SD * area_z + cfg.FAMILY_SD * rng.standard_normal(n)
    ambition = cfg.AMBITION_PER_ABILITY * ability + cfg.AMBITION_SD * rng.standard_normal(n)
    pay_potential = rng.normal(0, 1, n)
    employability = rng.normal(0, 1, n)

    # a school in the home authority
    first = schools.la_first[home_la]
    count = schools.la_count[home_la]
    school = first + (rng.random(n) * count).astype(np.int64)

    # Free school meals: a persistent poverty propensity plus yearly noise, over the six
    # years Y6-Y11 (index 0 = Y6 ... 5 = Y11).
    poverty = cfg.POVERTY_PER_FAMILY * family + rng.normal(0, cfg.POVERTY_SD, n)
    shocks = rng.normal(0, cfg.FSM_YEAR_SD, (n, 6))
    fsm_by_year = (poverty[:, None] + shocks) > cfg.FSM_THRESHOLD
    fsm_y12 = (poverty + rng.normal(0, cfg.FSM_YEAR_SD, n)) > cfg.FSM_THRESHOLD
    fsm_y13 = (poverty + rng.normal(0, cfg.FSM_YEAR_SD, n)) > cfg.FSM_THRESHOLD

    sen_score = cfg.SEN_PER_ABILITY * ability + rng.normal(0, cfg.SEN_SD, n)
    sen_provision = _levels(sen_score, cfg.SEN_CUTS, "N")

    school_effect = schools.effect[school]
    # KS2 (age 11), three subjects
    k2 = (cfg.KS2_PER_ABILITY * ability + cfg.KS2_PER_FAMILY * family)[:, None]
    k2 = k2 + cfg.KS2_SUBJECT_SD * rng.standard_normal((n, 3))
    ks2_level = _levels(k2, cfg.KS2_LEVEL_CUTS, "B")
    absent = rng.random((n, 3)) < cfg.KS2_ABSENT
    ks2_level = np.where(absent, "A", ks2_level).astype(object)
    marks = np.clip(np.round(cfg.KS2_MARKS_MEAN + cfg.KS2_MARKS_PER_SD * k2), 0, 100)
    marks = marks.astype(np.int64)
    ks2_marks = np.where(absent.any(axis=1), -1, marks.sum(axis=1))

    # KS4 (age 16): capped best-8 points, new style (C = 40, A* = 58 per subject)
    k4 = (
        cfg.KS4_PER_ABILITY * ability
        + cfg.KS4_PER_FAMILY * family
        + school_effect
        + cfg.KS4_SD * rng.standard_normal(n)
    )
    ks4_points = np.clip(np.round(cfg.KS4_POINTS_MEAN + cfg.KS4_POINTS_PER_SD * k4, 1), 0, 464)

    # Post-16: A levels for about half the cohort
    stay = (
        cfg.STAY_ON_PER_KS4 * k4
        + cfg.STAY_ON_PER_AMBITION * ambition
        + cfg.STAY_ON_PER_FAMILY * family
        + rng.normal(0, cfg.STAY_ON_SD, n)
    )
    takes_alevels = stay > cfg.STAY_ON_ABOVE
    # true level-3 attainment; teachers predict it with optimism, exams add noise
    level = (
        cfg.LEVEL3_PER_ABILITY * ability
        + cfg.LEVEL3_PER_FAMILY * family
        + cfg.LEVEL3_SD * rng.standard_normal(n)
        + cfg.LEVEL3_PER_SCHOOL_EFFECT * school_effect
    )
    predicted_z = level + cfg.PREDICTION_SD * rng.standard_normal(n) + cfg.PREDICTION_OPTIMISM
    achieved_z = level + cfg.EXAM_SD * rng.standard_normal(n)
    tariff_achieved = np.where(takes_alevels, tariff_round(achieved_z), 0)
    aab = takes_alevels & (tariff_achieved >= AAB_TARIFF)
    aab_facilitating = aab & (rng.random(n) < cfg.AAB_FACILITATING_SHARE)
    return People(
        cohort=cohort,
        birth_year=birth_year,
        birth_month=birth_month,
        female=female,
        ethnic_group=ethnic_group,
        home_oa=home_oa,
        home_lsoa=home_lsoa,
        home_msoa=home_msoa,
        home_la=home_la,
        school=school,
        ability=ability,
        family_resources=family,
        ambition=ambition,
        pay_potential=pay_potential,
        employability=employability,
        fsm_by_year=fsm_by_year,
        fsm_ks4=fsm_by_year[:, 5],
        ever_fsm_6=fsm_by_year.any(axis=1),
        fsm_y12=fsm_y12,
        fsm_y13=fsm_y13,
        sen_provision=sen_provision,
        ks2_level=ks2_level,
        ks2_marks=ks2_marks,
        ks4_points=ks4_points,
        ks4_level2_em=k4 > cfg.KS4_LEVEL2_EM_ABOVE,
        ks4_five_ac=k4 > cfg.KS4_FIVE_AC_ABOVE,
        takes_alevels=takes_alevels,
        in_school_sixth_form=takes_alevels & schools.sixth_form[school],
        predicted_z=predicted_z,
        achieved_z=achieved_z,
        tariff_predicted=np.where(takes_alevels, tariff_round(predicted_z), 0),
        tariff_achieved=tariff_achieved,
        aab_facilitating=aab_facilitating,
    )
