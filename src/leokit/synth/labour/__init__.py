"""Stage 7: the labour market. Enterprises (IDBR), residence, employment, pay, benefits,
self-employment, and the leo_* outcome views.

    counts = make(people=people, he=he, areas=areas, keys=keys, sizes=sizes, rng=rng,
                  emit=emit, compact=False)

Sub-stages, in order (one module each; the random draws happen in this order):
  firms     enterprises, their pay effects, demand shocks and the placement scheme
  careers   residence, education status and jobs, by person and tax year
  exposure  the employed person-years as rows (JobYears) and each row's share of degree
            holders among co-workers and neighbours
  pay       the log-pay equation (pay.py's docstring writes it out), pounds in the year
  views     leo_geography, leo_earnings, leo_employment, leo_benefit, leo_self_assessment,
            idbr_enterprise_lookup and lookup_placement_scheme

Confounders of the spillover designs: workers sort into high-psi firms and high-pay areas on
ability; a firm-year demand shock eta raises both pay and the firm's graduate hiring; a
randomised graduate placement scheme (lookup_placement_scheme) moves the co-worker share and
nothing else (the instrument).

Memory: at national scale the person x year arrays and the job rows are the biggest things
the generator holds, so `make` lets each go (`del`) as soon as the last sub-stage that reads
it is done, and hands each view to `emit` as soon as it is made.
"""

import numpy as np

from .careers import education_status, employment, residence
from .columns import TextLookup
from .exposure import job_years, measure_exposure
from .firms import make_firms
from .pay import labour_market_counts, log_pay, pay_in_pounds, recorded
from .rows import index_dtype, keyed_rows
from .views import (
    benefit_view,
    earnings_view,
    employment_view,
    geography_view,
    idbr_view,
    scheme_view,
    self_assessment_view,
)


def make(*, people, he, areas, keys, sizes, rng, emit, compact=False):
    """The labour market. `emit` is given each view (a dict name -> frame) as soon as it is
    made, so that a big view can be written while the next is built; with `compact` the two
    biggest views hold compact columns (see columns.ViewColumns). Returns what the truth
    needs: employed person-years in the labour market and those of degree holders."""
    firms = make_firms(sizes, areas, rng)
    home = residence(people, areas, rng)
    status = education_status(people, he)
    careers, employers = employment(
        people=people, he=he, status=status, firms=firms, home=home, areas=areas, rng=rng
    )

    jobs = job_years(careers, employers, keys, rng)
    del employers  # (memory: jobs holds what is still needed of them)
    exposure, residents = measure_exposure(
        jobs=jobs,
        he=he,
        status=status,
        home=home,
        keys=keys,
        rng=rng,
        n_firms=len(firms),
        n_msoa=len(areas.msoa_rate),
    )
    # the geography view draws nothing: build it now and let its rows go
    edukeys = TextLookup(keys.edukey_table, dtype=keys.edukey_dtype() if compact else None)
    emit(
        {
            "leo_geography": geography_view(
                residents=residents,
                home=home,
                areas=areas,
                keys=keys,
                edukeys=edukeys,
                compact=compact,
            )
        }
    )
    del residents, home

    ln_pay = log_pay(
        people=people,
        he=he,
        firms=firms,
        areas=areas,
        jobs=jobs,
        exposure=exposure,
        status=status,
        rng=rng,
    )
    counts = labour_market_counts(jobs, exposure, status)
    del exposure
    earnings = pay_in_pounds(ln_pay, jobs, careers)
    del ln_pay
    below_lel = recorded(earnings, jobs, rng)

    # leo_earnings: rows with a key and above the LEL, sorted by (Edukey, TaxYear)
    shown_key = np.where(below_lel, keys.edukey_blank, jobs.edukey)
    rows = keyed_rows(shown_key, jobs.year, keys).astype(index_dtype(len(jobs)))
    del below_lel, shown_key
    emit(
        {
            "leo_earnings": earnings_view(
                firms=firms,
                edukeys=edukeys,
                rows=rows,
                jobs=jobs,
                careers=careers,
                earnings=earnings,
                compact=compact,
            )
        }
    )
    del rows, earnings

    emit({"leo_employment": employment_view(jobs, careers, keys, rng)})
    del jobs
    emit(
        {
            "leo_benefit": benefit_view(
                people=people, careers=careers, status=status, keys=keys, rng=rng
            )
        }
    )
    del careers
    emit({"leo_self_assessment": self_assessment_view(people, status, keys, rng)})
    emit(
        {"idbr_enterprise_lookup": idbr_view(firms), "lookup_placement_scheme": scheme_view(firms)}
    )
    return counts
