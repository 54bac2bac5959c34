"""Statistical disclosure control (SDC) for tables that leave the ONS Secure Research Service.

    from leokit import sdc
    table = sdc.safe_stat(df, by="region", value="Earnings", stat="median", unit="AE_ID")
    print(sdc.report_of(table))        # what was suppressed and why; safe to print and release

The rules, with the SRS rules of thumb as defaults (``THRESHOLD`` = 10, ``ROUND_BASE`` = 5):

* **Threshold.** At least ``threshold`` units behind every cell: distinct ``unit`` values
  (people, employers) when ``unit`` is given, otherwise rows. Smaller cells are suppressed.
* **Rounding.** Counts are shown rounded to ``round_base``, halves upwards (12.5 -> 15).
* **Zeros** in count tables count as small cells by default: a zero says that nobody in the
  group has the attribute.
* **Rates** (the mean of a 0/1 or True/False outcome: ``stat="rate"``, or ``stat="mean"`` on a
  column whose values are all 0/1, found automatically): at least ``threshold`` units *with*
  the outcome and ``threshold`` *without* it (the complement rule); otherwise a rate of 46 out
  of 52 gives away the 6 without. A rate of 0 or 1 (everyone or no one) is the limiting case
  and fails the same rule. The sum of a 0/1 column is a count (rounded, same rule); its
  standard deviation or variance is a function of the rate and is refused.
* **Rate precision.** A rate shown beside a count rounded to ``base`` is computed from rounded
  counts, ``rounded_rate(with, n, base)`` = round(with) / round(n): it then tells no more than
  two rounded counts, and every n that rounds to the shown count stays consistent with it, so
  neither the exact n nor the exact number with the outcome can be worked back out (a rate of
  the exact counts to 3 decimals often gives both away). It is within about base / n of the
  exact rate.
* **Percentiles** (``'median'``, ``'p1'`` .. ``'p99'``): at least ``threshold`` units at or
  below the percentile and ``threshold`` at or above it, so that it is not close to one
  unit's value (the median needs about 2 x threshold units, p10 and p90 about 10 x, p1 and
  p99 about 100 x). Minima and maxima (one unit's value each) are refused.
* **Class disclosure.** A cell in which every unit has the same value is suppressed for every
  statistic of a value (mean, sum, sd, variance, percentiles): the statistic is then that
  value, so it says something about each member of the group (e.g. that all had zero pay).
* **Dominance** for magnitudes (sums, means, sd, variance; not rates): the (n, k) rule with n=2, k=0.9
  (the two largest contributors hold more than 90% of the total) and the p% rule with p=0.10
  (the total less the two largest is under 10% of the largest, so the second-largest could
  estimate the largest to within 10%), on each unit's total contribution. These are the
  defaults of common output-checking practice (e.g. SACRO's ACRO); the SRS does not publish
  its own parameters.
* **Secondary suppression.** In a table with margins, a row or column with exactly one
  suppressed cell gives it away by subtraction, so the next smallest cell of that line is
  suppressed too (not a full audit against linear-programming attacks on linked tables).
* **Missing categories** of a grouping column are kept as their own row labelled
  ``missing='missing'``, so totals agree across tables; ``missing=None`` leaves those rows
  out (the report says so).

Every function returns its table with a ``Report`` of what it suppressed and why, in
``table.attrs["sdc_report"]`` (``report_of(table)``) or alongside it with
``return_report=True``. The report never shows a suppressed value or an exact small count: it
gives rules, reasons and the smallest count behind a shown cell as rounded in the table, so it
can be released with the outputs. ``check_table`` checks a table made some other way;
``safe_bins`` makes the binned means (and the x-range for fitted lines) of a binned scatter
plot, e.g. a regression-discontinuity plot.

Bad input raises one ``ValueError`` naming the argument or column and what was expected.
Runs unchanged on the SRS Python (3.7, pandas 1.0, numpy 1.18) and on current pandas; copy
the whole ``sdc`` folder into your SRS project area. Where things live: ``rules`` (the
parameters, rounding, rates, dominance), ``checks`` (argument checks), ``report``,
``grouping`` (missing categories, units per group), ``tables`` (safe_counts, safe_stat),
``bins`` (safe_bins), ``twoway`` (safe_crosstab, secondary_suppression), ``check``
(check_table).
"""

from .bins import safe_bins
from .check import check_table
from .report import Report, report_of
from .rules import (
    MISSING,
    NK_K,
    NK_N,
    P_RATIO,
    ROUND_BASE,
    THRESHOLD,
    dominance_failure,
    round_half_up,
    rounded_rate,
)
from .tables import safe_counts, safe_stat
from .twoway import safe_crosstab, secondary_suppression

__all__ = [
    "THRESHOLD",
    "ROUND_BASE",
    "NK_N",
    "NK_K",
    "P_RATIO",
    "MISSING",
    "Report",
    "report_of",
    "round_half_up",
    "rounded_rate",
    "dominance_failure",
    "safe_counts",
    "safe_crosstab",
    "safe_stat",
    "safe_bins",
    "secondary_suppression",
    "check_table",
]
