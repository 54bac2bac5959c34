"""Sizes, calendars and every behaviour parameter of the synthetic England, in one place.

    from leokit.synth import config as cfg
    cfg.BETA_HE                     # the planted return to HE, log points
    cfg.Sizes(0.017).pupils_per_cohort

The planted effects a notebook is meant to recover come first and are written to truth.json
by `truth.py`. Then, stage by stage, the numbers that shape behaviour: probabilities, rates,
coefficients and noise scales. They are calibration, chosen so that the extract's shares and
medians land near public figures (the data card and tests/synth/test_synth.py check them);
none is fitted to real records. Stage modules hold structure only (code lists, calendars,
key formats); nothing else in the generator hard-codes an effect size or a rate.

Units: "SD" means one standard deviation of the latent or standardised score it multiplies
(latent traits are standard normal within a cohort, up to the area shift); "logit" terms add
to a log-odds; "log pay" terms add to log full-year pay in pounds; shares are probabilities.
Changing any value changes the bytes of the extract: regenerate data_synthetic/ afterwards.
"""

import numpy as np

# Five KS4 cohorts (academic year of the end of KS4): UCAS cycles 2008-2012, first degrees
# ending 2011-2016, and 5 years after graduation observed by the last tax year (2020/21).
COHORTS = (2006, 2007, 2008, 2009, 2010)
NATIONAL_COHORT = 600_000  # pupils per cohort at scale 1 (England: about 556k-600k)
FIRST_TAX_YEAR = 2004  # tax year starting 6 April 2004 (TaxYear 200405)
LAST_TAX_YEAR = 2020  # 2020/21, the last year of the real extract
HESA_YEARS = (2009, 2020)
CENSUS_YEARS = (2006, 2012)

# ================================================================ planted effects (truth.json)
# Earnings: log full-year pay. HE = entered a first degree; sel = standardised published
# standard offer (tariff points) of the course entered, mean 0 / SD 1 across courses.
BETA_HE = 0.15
BETA_SEL = 0.03
# Latent traits also drive earnings (the confounding the designs must remove).
EARN_ABILITY = 0.20
EARN_AMBITION = 0.15
EARN_FAMILY = 0.10
SD_PERSON = 0.28  # permanent person component unrelated to education choices
SD_TRANSITORY = 0.20

# Course selectivity changes drop-out and degree class (what a contextual place does).
DROPOUT_PER_SD_SEL = -0.02  # on the year-1 drop-out probability, per SD of selectivity
GOOD_DEGREE_LOGIT_PER_SD_SEL = -0.25  # on the logit of a first or 2:1: stronger peers, harder marks

# Co-worker and neighbour spillovers (log full-year pay per unit share, 0..1).
THETA_COWORKER = 0.10
KAPPA_DEGREE_X_SHARE = 0.05
LAMBDA_NEIGHBOUR = 0.06

# Contextual offers: cutoffs on the MSOA young participation rate (quantiles of MSOAs).
CUTOFF_QUANTILES = (0.20, 0.40)

# ================================================================ areas
# Population share of the nine English regions (order of schema.codes.REGIONS: North East,
# North West, Yorkshire, East Midlands, West Midlands, East, London, South East, South West).
REGION_SHARE = (0.05, 0.13, 0.10, 0.09, 0.105, 0.11, 0.16, 0.165, 0.09)
# Young participation (logit shift) and local pay (log pay) by region: London high on both.
REGION_PARTICIPATION_LOGIT = (-0.30, -0.10, -0.15, -0.10, -0.10, 0.05, 0.45, 0.10, 0.0)
REGION_LOG_PAY = (-0.06, -0.03, -0.04, -0.03, -0.03, 0.0, 0.12, 0.04, -0.02)
LA_SIZE_SD_LOG = 0.5  # SD of log authority size (how unequal authorities' MSOA counts are)
# MSOA young participation rate: expit(mean + region + authority + MSOA), clipped
PARTICIPATION_LOGIT_MEAN = -0.62  # about 35% of young people enter HE
PARTICIPATION_LA_SD = 0.35  # SD of the authority effect, logit
PARTICIPATION_MSOA_SD = 0.65  # SD of the MSOA effect, logit
PARTICIPATION_RANGE = (0.02, 0.95)
# Amenity (latent, never written): graduates move towards it and it carries a local pay
# premium, the confounding that makes pooled neighbour regressions too large.
AMENITY_PER_PARTICIPATION_SD = 0.6  # amenity per SD of the standardised participation logit
AMENITY_SD = 0.8  # SD of the rest of amenity
LOCAL_PAY_PER_AMENITY = 0.04  # log pay per unit of amenity
LOCAL_PAY_SD = 0.03  # SD of the rest of the MSOA pay premium, log pay
# LSOA IDACI score: expit(mean + slope * participation SD + noise)
IDACI_LOGIT_MEAN = -1.45
IDACI_PER_PARTICIPATION_SD = -0.55  # poorer where fewer go to HE
IDACI_SD = 0.45
OA_SIZE_SHAPE = 6.0  # gamma shape of output-area population weights (larger: more equal)
ONE_CONSTITUENCY = 0.5  # authorities with one parliamentary constituency (the rest two)

# ================================================================ schools
# Shares of the KS4 institution types (schema.codes NFTYPE 20..25).
NFTYPE_SHARE = {20: 0.38, 21: 0.15, 22: 0.05, 23: 0.14, 24: 0.22, 25: 0.06}
SCHOOL_EFFECT_SD = 0.15  # value added of a school, SD of attainment
INDEPENDENT_EFFECT = 0.25  # NFTYPE 25 adds this to attainment, SD
ACADEMY_EFFECT = 0.03  # NFTYPE 24 adds this to attainment, SD
SIXTH_FORM_SHARE = 0.55  # schools with a sixth form (the rest send A-level pupils to a college)

# ================================================================ pupils
FEMALE_SHARE = 0.5
ETHNIC_SHARE = {  # major ethnic group codes of the census
    "WHIT": 0.775,
    "ASIA": 0.10,
    "BLAC": 0.055,
    "MIXD": 0.045,
    "CHIN": 0.005,
    "AOEG": 0.01,
    "UNCL": 0.01,
}
# Latent traits (standard normal but for the area shift; z = the home MSOA's standardised
# participation logit). Ambition correlates 0.3 with ability and has unit variance.
ABILITY_PER_AREA_SD = 0.30
ABILITY_SD = 0.95
FAMILY_PER_AREA_SD = 0.45
FAMILY_SD = 0.90
AMBITION_PER_ABILITY = 0.30
AMBITION_SD = np.sqrt(0.91)
# Free school meals: a persistent poverty propensity plus yearly noise above a threshold
# (about 14% eligible on census day, about 27% ever in the six years Y6-Y11).
POVERTY_PER_FAMILY = -1.05
POVERTY_SD = 0.55
FSM_YEAR_SD = 0.55
FSM_THRESHOLD = 1.42
# Special educational needs: a score falling with ability; codes S > P > A above cut points.
SEN_PER_ABILITY = -0.9
SEN_SD = 0.8
SEN_CUTS = {"S": 2.2, "P": 1.7, "A": 1.25}
# KS2 (age 11): three subjects, a level from cut points on a score, marks 60 + 22 * score.
KS2_PER_ABILITY = 0.80
KS2_PER_FAMILY = 0.15
KS2_SUBJECT_SD = 0.5
KS2_LEVEL_CUTS = {"5": 0.75, "4": -0.9, "3": -1.9, "2": -2.6}  # below the last: "B"
KS2_ABSENT = 0.01  # each subject's result is "A" (absent); then no total marks
KS2_MARKS_MEAN = 60
KS2_MARKS_PER_SD = 22
# KS4 (age 16): a score; capped points 310 + 62 * score; thresholds on the score.
KS4_PER_ABILITY = 0.85
KS4_PER_FAMILY = 0.20
KS4_SD = 0.45
KS4_POINTS_MEAN = 310
KS4_POINTS_PER_SD = 62
KS4_LEVEL2_EM_ABOVE = -0.05  # score above which English and maths are passed
KS4_FIVE_AC_ABOVE = -0.30  # score above which five A*-C are achieved
# Post-16: A levels when a stay-on score passes a threshold (about half the cohort).
STAY_ON_PER_KS4 = 0.9
STAY_ON_PER_AMBITION = 0.35
STAY_ON_PER_FAMILY = 0.12
STAY_ON_SD = 0.6
STAY_ON_ABOVE = -0.35
# Level-3 attainment: teachers predict it with optimism, exams add noise.
LEVEL3_PER_ABILITY = 0.75
LEVEL3_PER_FAMILY = 0.20
LEVEL3_SD = 0.35
LEVEL3_PER_SCHOOL_EFFECT = 0.5
PREDICTION_SD = 0.25
PREDICTION_OPTIMISM = 0.10  # predicted grades run this many SD above the true level
EXAM_SD = 0.30
TARIFF_MEAN = 112  # best three A levels, tariff points, of the average A-level pupil (BBC)
TARIFF_PER_SD = 24  # tariff points per SD of attainment (also scales offer noise in UCAS)
AAB_FACILITATING_SHARE = 0.6  # pupils with AAB or better whose subjects are facilitating

# ================================================================ NPD record messiness
DUP_CENSUS = 0.005  # dual registrations: a main record (status 1) and a duplicate (101)
CENSUS_ETHNICITY_MISSING = 0.01  # census rows with no ethnic group
KS4_EXTRA_RECORD = 0.015  # an extra, non-end-of-KS4 record (early entry at another school)
KS4_EXTRA_POINTS_SHARE = (0.2, 0.6)  # its points: uniform share of the pupil's final points
KS4_EXACT_DUP = 0.005
KS5_EXTRA_RECORD = 0.01
KS5_EXTRA_POINTS_SHARE = 0.4  # an extra KS5 record's points, share of the final tariff
NO_KS2 = 0.02

# ================================================================ person keys (links.py)
# Rates stated in the data card and checked by tests.
SECOND_PMR = 0.02  # people holding a second PMR, used on some education records
SECOND_PMR_USE = 0.35  # education records of such people that carry the second PMR
SECOND_EDUKEY = 0.015  # people holding a second EDUKEY, carrying their outcomes from a year
SECOND_EDUKEY_FROM = (2010, 2019)  # tax year (start) when the second EDUKEY takes over: [lo, hi)
ORPHAN_PMR = 0.005  # people whose PMRs are missing from learner_ae_id_to_pmr_lookup
UNMATCHED_CIS = 0.03  # never matched to DWP CIS: EDUKEYs absent from the EDUKEY lookup
BLANK_KEY = 0.0005  # rows of keyed views whose key is '' (as in the real data)

# ================================================================ UCAS
SUBJECT_SHARE = (0.40, 0.35, 0.25)  # applicants by subject group (sciences, social, arts)
N_CHOICES = {5: 0.75, 4: 0.10, 3: 0.07, 2: 0.05, 1: 0.03}  # main-scheme choices used
# Courses: provider quality is standard normal; a course's selectivity adds noise.
COURSE_SELECTIVITY_SD = 0.25
STANDARD_OFFER_MEAN = 112  # tariff points of a course of average selectivity
STANDARD_OFFER_PER_SD = 18  # tariff points per SD of course selectivity
STANDARD_OFFER_RANGE = (64, 160)
# Contextual schemes: who adopts (by tariff group), from which cycle, with what cutoff and
# grade reduction (tariff points).
SCHEME_ADOPTION = {"H": 0.9, "M": 0.5, "L": 0.0}
SCHEME_START = {2010: 0.5, 2011: 0.3, 2012: 0.2}
SCHEME_SECOND_CUTOFF = 0.2  # adopters whose cutoff is the second quantile, not the first
SCHEME_REDUCTION = (16, 8)  # a reduction of two grades, else one
SCHEME_TWO_GRADES = 0.85  # adopters whose reduction is the first of SCHEME_REDUCTION
# Applying: an index of predicted attainment, ambition and family resources above zero.
APPLY_INTERCEPT = 1.3
APPLY_PER_PREDICTED = 1.0
APPLY_PER_AMBITION = 0.8
APPLY_PER_FAMILY = 0.2
# Where to aim (in SDs of course selectivity), then a portfolio around the target.
AIM_PER_PREDICTED = 0.6
AIM_PER_AMBITION = 0.5
AIM_PER_FAMILY = 0.15
AIM_SD = 0.4
TARGET_SD = 0.5  # noise between the aim and the target of the portfolio
PORTFOLIO_OFFSETS = (0.7, 0.35, 0.0, -0.35, -0.9)  # aspiration to safety, SDs from the target
PORTFOLIO_JITTER_SD = 0.15
# Offers: providers see predicted grades plus a statement and reference (unseen by
# researchers) that rise with ambition; offer_noise is in SDs, times TARIFF_PER_SD points.
OFFER_PER_AMBITION = 0.3
OFFER_NOISE = 0.5  # SD (in attainment units) of what providers see beyond predicted grades
OFFER_SLACK = 8  # offers go to applicants predicted this many tariff points below the condition
UNCONDITIONAL_OFFER = 0.03  # offers of lower-tariff providers that carry no condition
FIRM_PER_SD_SEL = 0.8  # utility of firming an offer, per SD of course selectivity
CONTEXTUAL_FIRM_PREF = 1.5  # extra utility of firming an offer whose conditions were reduced
NEAR_MISS_ACCEPT = 0.35  # providers still confirm an offer missed by one grade
CLEARING = 0.6  # unplaced applicants who look for a place in clearing
TAKE_UP = 0.88  # placed applicants who enrol; the rest defer or do not turn up, at random
UCAS_AGE_ZERO = 0.005  # applicant rows whose age is 0 (a recording error, as in the real data)

# ================================================================ HESA
# Year-1 drop-out probability: linear in the traits and selectivity, clipped.
DROPOUT_Y1_BASE = 0.075
DROPOUT_Y1_PER_ABILITY = -0.025
DROPOUT_Y1_PER_FAMILY = -0.015
DROPOUT_Y1_RANGE = (0.005, 0.6)
DROPOUT_Y2_BASE = 0.03  # year-2 drop-out probability of those who stayed
DROPOUT_Y2_PER_ABILITY = -0.01
DROPOUT_Y2_RANGE = (0.002, 0.3)
# Degree class: an ordered logit on a performance index.
PERFORMANCE_PER_ABILITY = 1.0
PERFORMANCE_PER_FAMILY = 0.3
PERFORMANCE_PER_AMBITION = 0.2
CLASS_CUTS = (1.45, -0.55, -2.35, -3.9)  # first | 2:1 | 2:2 | third | unclassified
FOUR_YEAR_COURSE = 0.22  # first-degree entrants on four-year courses
INTEGRATED_MASTERS = 0.5  # four-year courses that are integrated masters (M22)
MASTERS_AFTER = 0.12  # graduates who start a taught masters straight after
MASTERS_COMPLETION = 0.9

# ================================================================ labour market
# Firms (IDBR enterprises). Sections in the order of SECTION_SHARE; their pay premium is
# the mean of the firm effect psi (log pay).
SECTION_SHARE = {
    "G": 0.15,
    "Q": 0.13,
    "P": 0.09,
    "C": 0.08,
    "N": 0.09,
    "M": 0.08,
    "I": 0.08,
    "F": 0.06,
    "H": 0.05,
    "J": 0.04,
    "K": 0.04,
    "O": 0.05,
    "S": 0.02,
    "R": 0.02,
    "L": 0.02,
    "A": 0.01,
    "D": 0.01,
    "E": 0.01,
    "B": 0.005,
}
SECTION_PAY = {
    "G": -0.10,
    "Q": 0,
    "P": 0.02,
    "C": 0.04,
    "N": -0.06,
    "M": 0.10,
    "I": -0.15,
    "F": 0.03,
    "H": 0,
    "J": 0.12,
    "K": 0.15,
    "O": 0.03,
    "S": -0.08,
    "R": -0.08,
    "L": 0.02,
    "A": -0.10,
    "D": 0.10,
    "E": 0.02,
    "B": 0.12,
}
FIRM_PAY_SD = 0.12  # SD of the firm pay effect psi around its section's premium, log pay
FIRM_SIZE_SD_LOG = 1.4  # SD of log firm size (the weight of a firm in job choice)
FIRM_BORN_BEFORE_DATA = 0.85  # firms born before the first tax year
FIRM_DIES = 0.10  # firms that die before the end of the data (from 2008)
SIC_CHANGED_2020 = 0.05  # firms whose SIC code differs in the 2020 IDBR
BAND_CHANGED_2020 = 0.1  # firms whose employee band moves one band in the 2020 IDBR
# Employee bands by rank of firm size: the share of firms below each band boundary.
EMPLOYEE_BAND_QUANTILES = (0.30, 0.45, 0.58, 0.70, 0.80, 0.88, 0.93, 0.97)
PUBLIC_LEGAL_STATUS = 0.5  # firms in sections O, P, Q with a public legal status (5 or 6)
PUBLIC_LEGAL_STATUS_5 = 0.5  # of those, status 5 (the rest 6)
LEGAL_STATUS_SHARE = {"1": 0.82, "2": 0.08, "3": 0.06, "4": 0.04}  # the rest
# Firm-year demand shock eta (log pay): AR(1).
ETA_RHO, ETA_SD = 0.7, 0.05
ETA_GRAD_TILT = 4.0  # graduates' job choice weight exp(4 * eta): demand shocks pull graduates in
# The graduate placement scheme (the instrument for the co-worker share).
SCHEME_SHARE = 0.03  # firms in the placement scheme each year (drawn among the bigger half)
PLACED_SHARE = 0.35  # degree holders changing or starting jobs who are placed by the scheme

# Residence: adults move home; high-ability movers sort towards amenity.
MOVE_HOME = 0.07  # adults who move home in a year
MOVE_FAR = 0.45  # moves to another MSOA anywhere (the rest stay in their MSOA)
MOBILE_ABILITY_ABOVE = 0.4  # ability above which far movers are drawn to amenity
AMENITY_PULL = 0.9  # their weight on an MSOA: population * exp(0.9 * amenity)

# Employment, by person and tax year.
STUDENT_JOB = 0.45  # students with a term-time or summer job in a year
STUDENT_JOB_DAYS = (40, 220)  # its length in days: uniform [lo, hi)
EMPLOY_LOGIT = 2.0  # logit of finding a job in a year, out of work or entering
EMPLOY_LOGIT_PER_EMPLOYABILITY = 0.9
STAY_LOGIT = 2.4  # logit of staying employed into the next year
STAY_LOGIT_PER_EMPLOYABILITY = 0.6
RECESSION_YEARS = (2009, 2012)  # tax years (start) of the recession, inclusive
RECESSION_LOGIT = -0.5  # added to the stay logit; finding a job is 1 + this / 2 times as likely
STAY_WHOLE_YEAR = 0.93  # of those who stay employed, employed all year
MOVE_RATE = 0.13  # of those who stay employed, the share who change employer
NATIONAL_JOB_SEARCH = 0.10  # job seekers choosing among firms anywhere, not in their region
# Sorting into firms: workers choose along the firm pay ladder at a quantile that rises
# with ability and pay potential.
SORT_PER_ABILITY = 0.8
SORT_PER_PAY_POTENTIAL = 0.6
SORT_NOISE_SD = 0.25  # yearly noise on that quantile

# What the extract shows.
UNLINKED_PAYE = 0.03  # earnings rows with no ENTKEY
GEOGRAPHY_GAP = 0.03  # person-years with no leo_geography row
ABROAD = 0.005  # leo_geography rows abroad (no area)

# Pay (log full-year pay; see labour/pay.py for the equation).
LOG_PAY_2010 = 9.12  # mu_t in 2010/11 at zero experience: about 9,100 pounds a full year
PAY_GROWTH = 0.025  # mu_t rises by this much each tax year
PAY_PER_EXPERIENCE_YEAR = 0.062  # x = years since age 18
PAY_PER_EXPERIENCE_YEAR_SQ = -0.0014
STUDENT_LOG_PAY_AT_16 = 8.9  # students' full-year log pay at 16 (they work part of a year)
STUDENT_PAY_PER_YEAR_OF_AGE = 0.1
STUDENT_PAY_SD = 0.35
ZERO_EARNINGS = 0.01  # earnings rows of 0 pounds
LEL_POUNDS = 5000  # rows below this in tax years before 2013/14 may be missing ...
LEL_DROP = 0.3  # ... with this probability (below the lower earnings limit)

# Employment spells and benefits.
UNCERTAIN_START = 0.05  # spells whose start date is defaulted to 6 April
UNCERTAIN_END = 0.02  # closed spells whose end date is flagged uncertain
LEGACY_BENEFIT_SHARE = {"JSA": 0.8, "ESA": 0.12, "IS": 0.08}  # a claimant's benefit before UC
UC_BENEFIT_SHARE = {"UAA": 0.4, "UBC": 0.25, "UCE": 0.1, "UDF": 0.05, "UAB": 0.15, "UNA": 0.05}
CLAIM_WHEN_IDLE = 0.5  # people in the labour market without a job all year who claim
CLAIM_WHEN_PART_IDLE = 0.3  # those out of work for more than PART_IDLE_DAYS who claim
PART_IDLE_DAYS = 60
CLAIM_GAP_DAYS = 7  # days between a job's end (or before its start) and the claim
CLAIM_DELAY = 0.3  # a claim starts after up to this share of the idle days
CLAIM_MIN_DAYS = 14
DISABILITY_BENEFIT = 0.015  # people with a long in-work disability benefit (DLA, later PIP)

# Self-assessment.
SELF_EMPLOYED = 0.035  # people who are ever self-employed
SELF_ASSESSMENT_FILED = 0.7  # their tax years from 2013/14 with a return
SELF_EMPLOYMENT_LOG_POUNDS = (9.0, 0.9)  # mean and SD of log profits
PARTNERSHIP = 0.15  # returns whose profits are from a partnership, not a sole trade


class Sizes:
    """Counts that follow from the scale (fraction of a national cohort)."""

    def __init__(self, scale):
        if not (isinstance(scale, (int, float)) and np.isfinite(scale) and scale > 0):
            raise ValueError(
                f"scale must be a positive number (1 = a national cohort), got {scale!r}"
            )
        self.scale = float(scale)
        self.pupils_per_cohort = max(200, int(round(NATIONAL_COHORT * scale)))
        spread = min(1.0, 4.0 * scale)  # small extracts keep fewer, fuller areas
        self.msoas = max(60, int(round(6800 * spread)))
        self.las = max(12, int(round(150 * min(1.0, 6.0 * scale))))
        self.schools = max(40, int(round(3200 * spread)))
        self.firms = max(150, int(round(70_000 * scale)))
        self.providers = 30  # HE providers; fixed so application sets overlap at any scale


def tax_year_code(start_year):
    """2018 -> 201819 (the TaxYear format of the extract)."""
    start_year = np.asarray(start_year)
    return start_year * 100 + (start_year + 1) % 100
