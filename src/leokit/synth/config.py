"""Sizes, calendars and the planted causal parameters of the synthetic England.

Every number a notebook is meant to recover is declared here once and written to
truth.json by `truth.py`; nothing else in the generator hard-codes an effect size.
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

# ---------------------------------------------------------------- planted effects
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
