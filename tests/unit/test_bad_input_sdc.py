"""Bad-input catalogue: leokit.sdc.

Every case is one clear ValueError raised by leokit naming what is wrong: not a DataFrame,
missing or repeated columns, no grouping, unknown or refused statistics (minima, maxima),
non-numeric or infinite values, thresholds, rounding bases and dominance parameters out of
range, counts of the wrong shape or kind, margins without a total label, duplicate labels, a
table that cannot be made from the rows given, and bins that would reveal single units.
Results that stay valid by design (an empty frame gives an empty count table) are tested in
test_sdc.py, not here.
"""

import numpy as np
import pandas as pd
import pytest
from support.bad_input import expect_error

from leokit import sdc

PEOPLE = pd.DataFrame(
    {
        "AE_ID": ["p" + str(i) for i in range(40)],
        "region": ["N", "S"] * 20,
        "sex": ["F"] * 20 + ["M"] * 20,
        "pay": np.linspace(10000, 50000, 40),
        "sustained": [0, 1] * 20,
    }
)
TABLE = pd.DataFrame(
    [[15.0, 20.0, 35.0], [25.0, 10.0, 35.0], [40.0, 30.0, 70.0]],
    index=pd.Index(["x", "y", "All"], name="row"),
    columns=pd.Index(["a", "b", "All"], name="col"),
)


def with_column(name, values):
    return PEOPLE.assign(**{name: values})


def case(id, call, *names):
    return pytest.param(call, names, id=id)


CASES = [
    # ---------------------------------------------------------------- safe_counts
    case("counts-not-a-frame", lambda: sdc.safe_counts([1, 2], "region"), "DataFrame", "list"),
    case("counts-missing-column", lambda: sdc.safe_counts(PEOPLE, "nope"), "nope"),
    case("counts-by-none", lambda: sdc.safe_counts(PEOPLE, None), "by=", "None"),
    case("counts-by-empty", lambda: sdc.safe_counts(PEOPLE, []), "by=", "empty"),
    case("counts-by-twice", lambda: sdc.safe_counts(PEOPLE, ["sex", "sex"]), "by=", "twice"),
    case("counts-unit-missing", lambda: sdc.safe_counts(PEOPLE, "sex", unit="EduKey"), "EduKey"),
    case(
        "counts-unit-has-gaps",
        lambda: sdc.safe_counts(with_column("AE_ID", [None] + list(PEOPLE.AE_ID[1:])), "sex", unit="AE_ID"),
        "unit column", "AE_ID", "missing values",
    ),  # fmt: skip
    case("counts-threshold-zero", lambda: sdc.safe_counts(PEOPLE, "sex", threshold=0), "threshold"),
    case(
        "counts-threshold-negative",
        lambda: sdc.safe_counts(PEOPLE, "sex", threshold=-1),
        "threshold",
        "-1",
    ),
    case(
        "counts-threshold-nan",
        lambda: sdc.safe_counts(PEOPLE, "sex", threshold=float("nan")),
        "threshold",
        "nan",
    ),
    case(
        "counts-threshold-text",
        lambda: sdc.safe_counts(PEOPLE, "sex", threshold="10"),
        "threshold",
        "'10'",
    ),
    case(
        "counts-round-base-zero",
        lambda: sdc.safe_counts(PEOPLE, "sex", round_base=0),
        "round_base",
    ),
    case(
        "counts-round-base-nan",
        lambda: sdc.safe_counts(PEOPLE, "sex", round_base=np.nan),
        "round_base",
    ),
    case(
        "counts-name-is-a-by-column",
        lambda: sdc.safe_counts(PEOPLE, "sex", name="sex"),
        "name=",
        "sex",
    ),
    case(
        "counts-missing-label-taken",
        lambda: sdc.safe_counts(with_column("sex", ["missing", None] * 20), "sex"),
        "sex",
        "missing",
    ),
    case(
        "counts-duplicate-columns",
        lambda: sdc.safe_counts(pd.concat([PEOPLE, PEOPLE[["sex"]]], axis=1), "sex"),
        "sex",
        "more than once",
    ),
    # ---------------------------------------------------------------- safe_stat
    case("stat-unknown", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "mode"), "mode"),
    case("stat-min", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "min"), "min", "minima"),
    case("stat-max", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "maximum"), "maximum"),
    case("stat-p0", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "p0"), "p0"),
    case("stat-p100", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "p100"), "p100"),
    case("stat-p150", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "p150"), "p150"),
    case("stat-not-a-frame", lambda: sdc.safe_stat({"a": 1}, "sex", "pay"), "DataFrame", "dict"),
    case("stat-by-none", lambda: sdc.safe_stat(PEOPLE, None, "pay"), "by="),
    case("stat-value-missing", lambda: sdc.safe_stat(PEOPLE, "sex", "Earnings"), "Earnings"),
    case("stat-value-text", lambda: sdc.safe_stat(PEOPLE, "sex", "region", "mean"), "region", "not numeric"),
    case(
        "stat-value-infinite",
        lambda: sdc.safe_stat(with_column("pay", [np.inf] + [1.0] * 39), "sex", "pay", "mean"),
        "pay", "infinite",
    ),  # fmt: skip
    case("stat-value-is-by", lambda: sdc.safe_stat(PEOPLE, "pay", "pay", "mean"), "pay", "different"),
    case(
        "stat-unit-is-value",
        lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "mean", unit="pay"),
        "unit",
        "different",
    ),
    case(
        "stat-rate-not-binary",
        lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "rate"),
        "stat='rate'",
        "pay",
        "0/1",
    ),
    case(
        "stat-sd-of-binary",
        lambda: sdc.safe_stat(PEOPLE, "sex", "sustained", "std"),
        "sustained",
        "rate",
    ),
    case("stat-nk-k-above-one", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "sum", nk=(2, 1.5)), "dominance k", "1.5"),
    case("stat-nk-n-zero", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "sum", nk=(0, 0.9)), "dominance n", "0"),
    case("stat-nk-n-fraction", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "sum", nk=(1.5, 0.9)), "dominance n", "1.5"),
    case("stat-nk-not-a-pair", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "sum", nk=0.9), "nk", "pair"),
    case("stat-p-zero", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "sum", p=0), "p%", "0"),
    case("stat-p-above-one", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", "sum", p=2), "p%", "2"),
    case("stat-round-to-negative", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", round_to=-100), "round_to", "-100"),
    case("stat-threshold-zero", lambda: sdc.safe_stat(PEOPLE, "sex", "pay", threshold=0), "threshold"),
    # ---------------------------------------------------------------- safe_crosstab
    case("crosstab-no-columns", lambda: sdc.safe_crosstab(PEOPLE, "sex", None), "columns="),
    case("crosstab-same-column", lambda: sdc.safe_crosstab(PEOPLE, "sex", "sex"), "same column", "sex"),
    case("crosstab-missing-column", lambda: sdc.safe_crosstab(PEOPLE, "sex", "nope"), "nope"),
    case(
        "crosstab-empty-frame",
        lambda: sdc.safe_crosstab(PEOPLE.iloc[:0], "sex", "region"),
        "no rows", "sex", "region",
    ),  # fmt: skip
    case(
        "crosstab-nothing-left-without-missing",
        lambda: sdc.safe_crosstab(with_column("region", None), "sex", "region", missing=None),
        "no rows",
    ),
    case(
        "crosstab-category-named-like-the-totals",
        lambda: sdc.safe_crosstab(with_column("region", ["All", "S"] * 20), "sex", "region"),
        "'All'", "margins_name",
    ),  # fmt: skip
    case(
        "crosstab-round-base-negative",
        lambda: sdc.safe_crosstab(PEOPLE, "sex", "region", round_base=-5),
        "round_base",
    ),
    case("crosstab-not-a-frame", lambda: sdc.safe_crosstab(PEOPLE.sex, "sex", "region"), "DataFrame", "Series"),
    # ---------------------------------------------------------------- secondary_suppression
    case("secondary-not-a-frame", lambda: sdc.secondary_suppression(TABLE["a"]), "DataFrame", "Series"),
    case(
        "secondary-margins-without-label",
        lambda: sdc.secondary_suppression(TABLE, margins_name="Total"),
        "'Total'", "margins_name",
    ),  # fmt: skip
    case(
        "secondary-values-wrong-shape",
        lambda: sdc.secondary_suppression(TABLE, values=np.ones((2, 2))),
        "values=", "(2, 2)", "(3, 3)",
    ),  # fmt: skip
    case(
        "secondary-duplicate-row-labels",
        lambda: sdc.secondary_suppression(TABLE.rename(index={"y": "x"})),
        "duplicate row labels", "x",
    ),  # fmt: skip
    case(
        "secondary-text-cells",
        lambda: sdc.secondary_suppression(TABLE.assign(a=["15", "25", "40"])),
        "numeric", "a",
    ),  # fmt: skip
    # ---------------------------------------------------------------- check_table
    case("check-not-a-frame", lambda: sdc.check_table([[10, 20]]), "DataFrame", "list"),
    case(
        "check-counts-wrong-shape",
        lambda: sdc.check_table(TABLE, counts=np.ones((2, 3))),
        "counts", "(2, 3)", "(3, 3)",
    ),  # fmt: skip
    case(
        "check-counts-text",
        lambda: sdc.check_table(TABLE, counts=[["a", "b", "c"]] * 3),
        "counts", "numbers",
    ),  # fmt: skip
    case("check-counts-negative", lambda: sdc.check_table(TABLE, counts=-np.ones((3, 3))), "counts", "negative"),
    case(
        "check-object-column",
        lambda: sdc.check_table(TABLE.assign(note="x"), columns=["a", "note"]),
        "note", "not numeric",
    ),  # fmt: skip
    case("check-no-numeric-columns", lambda: sdc.check_table(pd.DataFrame({"g": ["a", "b"]})), "no numeric columns"),
    case("check-infinite", lambda: sdc.check_table(TABLE.assign(a=[np.inf, 25.0, 40.0])), "infinite"),
    case(
        "check-duplicate-column-labels",
        lambda: sdc.check_table(TABLE.rename(columns={"b": "a"})),
        "duplicate column labels", "a",
    ),  # fmt: skip
    case(
        "check-margins-without-label",
        lambda: sdc.check_table(TABLE, margins=True, margins_name="Total"),
        "'Total'",
    ),
    case("check-threshold-nan", lambda: sdc.check_table(TABLE, threshold=np.nan), "threshold"),
    case("check-column-missing", lambda: sdc.check_table(TABLE, columns=["z"]), "z"),
    # ---------------------------------------------------------------- helpers
    case("round-base-zero", lambda: sdc.round_half_up([12], 0), "base", "positive"),
    case("round-base-text", lambda: sdc.round_half_up([12], "5"), "base", "'5'"),
    case("round-base-nan", lambda: sdc.round_half_up([12], float("nan")), "base", "nan"),
    case("dominance-n-zero", lambda: sdc.dominance_failure([1, 2], n=0), "dominance n"),
    case("dominance-k-negative", lambda: sdc.dominance_failure([1, 2], k=-0.1), "dominance k"),
    case("dominance-p-text", lambda: sdc.dominance_failure([1, 2], p="10%"), "p%", "10%"),
    case("rounded-rate-more-than-n", lambda: sdc.rounded_rate(12, 10), "with_outcome", "n"),
    case("rounded-rate-base-negative", lambda: sdc.rounded_rate(5, 10, base=-5), "base", "-5"),
    case("report-of-a-plain-frame", lambda: sdc.report_of(PEOPLE), "disclosure-control report"),
    case("report-unknown-kind", lambda: sdc.Report(kind="table"), "kind", "'table'"),
    # ---------------------------------------------------------------- safe_bins
    case("bins-number-without-limits", lambda: sdc.safe_bins(PEOPLE, "pay", "sustained", 10), "limits="),
    case("bins-zero", lambda: sdc.safe_bins(PEOPLE, "pay", "sustained", 0, limits=(0, 1)), "bins", "0"),
    case(
        "bins-limits-reversed",
        lambda: sdc.safe_bins(PEOPLE, "pay", "sustained", 4, limits=(5, 1)),
        "limits", "(5, 1)",
    ),  # fmt: skip
    case(
        "bins-edges-not-increasing",
        lambda: sdc.safe_bins(PEOPLE, "pay", "sustained", [0, 20000, 10000]),
        "edges", "increasing",
    ),  # fmt: skip
    case("bins-one-edge", lambda: sdc.safe_bins(PEOPLE, "pay", "sustained", [0]), "two edges"),
    case(
        "bins-edge-infinite",
        lambda: sdc.safe_bins(PEOPLE, "pay", "sustained", [0, 20000, np.inf]),
        "edges", "finite",
    ),  # fmt: skip
    case("bins-edges-text", lambda: sdc.safe_bins(PEOPLE, "pay", "sustained", "wide"), "bins", "wide"),
    case(
        "bins-cutoff-inside-a-bin",
        lambda: sdc.safe_bins(PEOPLE, "pay", "sustained", [0, 20000, 60000], cutoff=30000),
        "cutoff=30000", "edges",
    ),  # fmt: skip
    case("bins-x-text", lambda: sdc.safe_bins(PEOPLE, "region", "pay", [0, 1]), "region", "not numeric"),
    case("bins-x-is-y", lambda: sdc.safe_bins(PEOPLE, "pay", "pay", [0, 1]), "different"),
    case("bins-y-missing", lambda: sdc.safe_bins(PEOPLE, "pay", "nope", [0, 1]), "nope"),
    case("bins-stat-max", lambda: sdc.safe_bins(PEOPLE, "pay", "sustained", [0, 1], stat="max"), "max"),
]  # fmt: skip


@pytest.mark.parametrize("call, names", CASES)
def test_bad_input_to_sdc(call, names):
    expect_error(call, *names)


def test_the_catalogue_covers_sdc():
    assert len(CASES) >= 25
