"""Labour sub-stage 4: pay. The log-pay equation, then pounds in the year and what the
extract loses of them.

    ln_pay = log_pay(people=people, he=he, firms=firms, areas=areas, jobs=jobs,
                     exposure=exposure, status=status, rng=rng)
    pounds = pay_in_pounds(ln_pay, jobs, careers)
    below_lel = recorded(pounds, jobs, rng)    # also sets the rows recorded as 0 to 0

Log full-year pay of person i in tax year t (a row of JobYears), main employer j = j(i,t),
MSOA of residence k = k(i,t), for person-years in the labour market:

  ln w_it = LOG_PAY_2010 + PAY_GROWTH * (t - 2010)               mu_t, the year
          + PAY_PER_EXPERIENCE_YEAR * x_it                       experience, x = max(age - 18, 0)
          + PAY_PER_EXPERIENCE_YEAR_SQ * x_it^2
          + BETA_HE * HE_it                                      entered HE and left before t
          + BETA_SEL * sel_i * HE_it                             selectivity of the course entered
          + (EARN_ABILITY * ability_i + EARN_AMBITION * ambition_i
             + EARN_FAMILY * family_i + SD_PERSON * pay_potential_i)   the person
          + psi_j                                                firm pay effect
          + eta_jt                                               firm demand shock
          + pay_k                                                local pay premium
          + THETA_COWORKER * S_it                                co-worker degree share
          + KAPPA_DEGREE_X_SHARE * g_it * (S_it - 0.5)           g: holds a degree at t
          + LAMBDA_NEIGHBOUR * N_it                              neighbour degree share
          + e_it,  e_it ~ N(0, SD_TRANSITORY)                    transitory

(S and N count as 0 where undefined.) Students' jobs pay
STUDENT_LOG_PAY_AT_16 + STUDENT_PAY_PER_YEAR_OF_AGE * (age - 16) + N(0, STUDENT_PAY_SD).
Pay in the year is full-year pay times the share of the year worked.

The terms are added one at a time, left to right, as written: floating-point addition is
not associative, so regrouping them would change the bytes of the extract.
"""

import numpy as np

from .. import config as cfg
from .careers import left_he
from .rows import blocks, uniform_below
from .taxyears import YEAR_DAYS, YEARS

PAY_BASE_YEAR = 2010
EXPERIENCE_FROM_AGE = 18
STUDENT_BASE_AGE = 16
LEL_UNTIL = 2013  # tax years before 2013/14 miss some rows below the LEL


def log_pay(*, people, he, firms, areas, jobs, exposure, status, rng):
    """ln w of every row of `jobs`: the equation of the module docstring, term by term.

    A block of rows at a time; the random terms are drawn a block at a time too, in row
    order, which gives the same numbers as one draw for all rows.
    """
    n = len(jobs)
    person_effect = (
        cfg.EARN_ABILITY * people.ability
        + cfg.EARN_AMBITION * people.ambition
        + cfg.EARN_FAMILY * people.family_resources
        + cfg.SD_PERSON * people.pay_potential
    )
    ln_w = np.empty(n)
    for a, b in blocks(n):
        i, ti, j = jobs.person[a:b], jobs.year[a:b], jobs.employer[a:b]
        t = YEARS[ti]
        x = np.clip(t - people.birth_year[i] - EXPERIENCE_FROM_AGE, 0, None)
        he_it = left_he(he, i, ti)
        g_it = exposure.degree[a:b]
        s_it = np.nan_to_num(exposure.coworker_share[a:b])
        n_it = np.nan_to_num(exposure.neighbour_share[a:b])
        v = cfg.LOG_PAY_2010 + cfg.PAY_GROWTH * (t - PAY_BASE_YEAR)
        v += cfg.PAY_PER_EXPERIENCE_YEAR * x
        v += cfg.PAY_PER_EXPERIENCE_YEAR_SQ * x**2
        v += cfg.BETA_HE * he_it
        v += cfg.BETA_SEL * he.selectivity[i] * he_it
        v += person_effect[i]
        v += firms.psi[j]
        v += firms.eta[j, ti]
        v += areas.msoa_pay[exposure.msoa[a:b]]
        v += cfg.THETA_COWORKER * s_it
        v += cfg.KAPPA_DEGREE_X_SHARE * g_it * (s_it - 0.5)
        v += cfg.LAMBDA_NEIGHBOUR * n_it
        v += rng.normal(0, cfg.SD_TRANSITORY, b - a)
        ln_w[a:b] = v
    # students (in education that year): their own pay, drawn after everybody's e_it
    for a, b in blocks(n):
        i, ti = jobs.person[a:b], jobs.year[a:b]
        age = YEARS[ti] - people.birth_year[i]
        noise = rng.normal(0, cfg.STUDENT_PAY_SD, b - a)
        student = (
            cfg.STUDENT_LOG_PAY_AT_16
            + cfg.STUDENT_PAY_PER_YEAR_OF_AGE * (age - STUDENT_BASE_AGE)
            + noise
        )
        ln_w[a:b] = np.where(status.labour[i, ti], ln_w[a:b], student)
    return ln_w


def pay_in_pounds(ln_pay, jobs, careers):
    """Pay in the tax year, whole pounds: full-year pay times the share of the year worked."""
    n = len(jobs)
    pounds = np.empty(n, dtype=np.int64)
    for a, b in blocks(n):
        i, ti = jobs.person[a:b], jobs.year[a:b]
        days = careers.end_day[i, ti] - careers.first_day[i, ti]
        frac = days.astype(float) / YEAR_DAYS[ti]
        pounds[a:b] = np.round(np.exp(ln_pay[a:b]) * frac)
    return pounds


def recorded(pounds, jobs, rng):
    """Set the rows recorded as 0 pounds to 0 (in place); return the rows missing from
    leo_earnings because they fall below the lower earnings limit (before 2013/14)."""
    n = len(jobs)
    pounds[uniform_below(rng, (n,), cfg.ZERO_EARNINGS)] = 0
    before = (YEARS < LEL_UNTIL)[jobs.year]
    return before & (pounds < cfg.LEL_POUNDS) & uniform_below(rng, (n,), cfg.LEL_DROP)


def labour_market_counts(jobs, exposure, status):
    """What truth.json reports: employed person-years in the labour market, and those of
    degree holders."""
    in_labour = status.labour[jobs.person, jobs.year]
    return {
        "labour_market": int(in_labour.sum()),
        "degree_holders_in_labour_market": int((in_labour & exposure.degree).sum()),
    }
