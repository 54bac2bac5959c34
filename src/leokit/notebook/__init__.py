"""Notebook plumbing, kept out of the notebooks' sight: checks, prose, flow, truth, set-up, models.

    from leokit import notebook
    PARAMETERS = notebook.check(globals(), SPEC, NAME)     # parameters and folders, first
    notebook.setup()                                       # one BLAS thread, lean memory
    flow = notebook.Flow()                                 # people kept at each link
    applicants = flow.keep("applicants linked to a person", applicants)
    value = notebook.truth(ex, "returns_to_he.selectivity_return_per_sd")  # None on real data
    s = notebook.models.summary(fit, "sel")                # coef, se, ci, n, dof, clusters
    notebook.say(f"The estimate is {notebook.covers(row)}.", id="headline")  # generated prose
    outputs.results(PARAMETERS, rows, statements=notebook.statements())

Modules, each small and documented:

* ``checks``  parameter and folder checks, leokit's user errors shown as one line (the API of
  the former ``leokit/notebook.py``: ``check``, ``show_errors_briefly``, ``tax_year_range``,
  ``family_years``, ``USER_ERRORS``);
* ``prose``   Markdown generated from the results, and verdicts worded from numbers, each
  recorded as a statement for ``results.json`` so that tests can check the words;
* ``flow``    the linkage flow table (units kept at each step, released rounded to 5);
* ``planted`` the planted value from ``truth.json`` on a synthetic extract, None on real data;
* ``kernel``  thread and memory set-up (one BLAS thread, pyarrow's jemalloc pool,
  handing freed memory back);
* ``models``  fitted-model summaries from public attributes only (statsmodels,
  linearmodels, pyfixest).
"""

from . import checks, flow, kernel, models, planted, prose
from .checks import USER_ERRORS, check, family_years, show_errors_briefly, tax_year_range
from .flow import Flow
from .kernel import release_memory, setup
from .planted import truth
from .prose import (
    compare,
    covers,
    interval,
    num,
    order,
    pct,
    quote,
    ratio,
    removed,
    say,
    sign,
    statement,
    statements,
    strength,
)

__all__ = [
    # checks (the API before issue 16)
    "USER_ERRORS",
    "show_errors_briefly",
    "check",
    "tax_year_range",
    "family_years",
    # modules
    "checks",
    "flow",
    "kernel",
    "models",
    "planted",
    "prose",
    # the functions notebooks call most
    "Flow",
    "setup",
    "release_memory",
    "truth",
    "say",
    "statement",
    "statements",
    "num",
    "pct",
    "interval",
    "quote",
    "sign",
    "covers",
    "compare",
    "ratio",
    "strength",
    "order",
    "removed",
]
