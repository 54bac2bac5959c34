# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Start here: a guided tour of the LEO extract
#
# **What this is.** A first hour with England's Longitudinal Education Outcomes data: which
# views exist, how the three kinds of person key link school, university and tax records, the
# deliberate messiness you must handle, the DfE derived variables, and a first real result.
# **You will produce** a graduate-outcomes table and figure (sustained employment and median
# earnings one, three and five years after graduation, by free school meals at 16), checked for
# disclosure, and a `results.json`.
# **Runs** in Binder, on a laptop, or in the SRS (set `extract` to your SQL Server settings).
# Terms are explained in the [glossary](../docs/glossary.md), papers listed in the
# [references](../docs/references.md).
#
# **In plain words.** LEO follows the same people from their school records to their tax
# records. Doing so takes three different ID numbers and some care: records are duplicated,
# some people have two IDs, jobs that are still going end on "31 December 9999", and a year
# with no tax record means no pay, not missing pay. Once linked, the data answer real questions
# at once: here, whether graduates who had free school meals at 16 are as likely as others to
# be in sustained work after graduating, and what they earn when they are (section 6 says it
# in words computed from the data you run it on). The headline notebooks then ask *why*, with
# designs that separate cause from selection.
#
# Everything here is **synthetic**: the views, columns and codes are those of the real
# Iteration 2 extract, but every record was simulated (`data_synthetic/README.md`).

# %% tags=["parameters"]
extract = "../data_synthetic"  # in the SRS: {"odbc": "<connection string>", "schema": "<project>"}
output_dir = "../output/00_start_here"  # only what may leave the SRS (checked outputs)
work_dir = "../work/00_start_here"  # record-level files: stays in your project area
years_after_graduation = [1, 3, 5]

# %% [markdown]
# **Two folders.** `output_dir` receives only what may leave the SRS: tables and figures that
# passed disclosure control, `results.json`, and `output_check.md`, the report an output
# checker reads. Anything record-level goes to `work_dir`, which is never handed over. The next
# cell checks the parameters and both folders before any data are read, and stops with one
# message naming what is wrong.

# %% tags=["checks"]
from leokit import extract as lx
from leokit import notebook, release
from leokit.params import Param, duplicate_problems, refuse

SPEC = {
    "extract": Param((str, dict), help="a folder, a DuckDB file, or SRS connection settings"),
    "output_dir": Param(str, nonempty=True, help="folder for checked outputs"),
    "work_dir": Param(str, nonempty=True, help="folder for record-level files"),
    "years_after_graduation": Param(list, nonempty=True, each=Param(int, between=(1, 15))),
}
PARAMETERS = notebook.check(globals(), SPEC, "00_start_here")

# %% [markdown]
# Then what only the extract can tell: its tax years and HESA years, which bound the years after
# graduation anyone can reach. Only when all is well are the two folders created.

# %% tags=["checks"]
ex = lx.open_parameter(extract)
first_tax_year, last_tax_year = notebook.tax_year_range(ex)
hesa_years = notebook.family_years(ex, "hesa")
# the earliest graduates (the first HESA year) are the only ones who can reach the largest YAG
most_yag = last_tax_year // 100 - min(hesa_years) if hesa_years else 0
refuse(
    "00_start_here",
    duplicate_problems("years_after_graduation", years_after_graduation)
    + [
        f"years_after_graduation[{i}] = {n}: nobody can be {n} years after graduation in this "
        f"extract (HESA from {min(hesa_years, default='-')}, tax years to {last_tax_year}); "
        f"use values up to {most_yag}"
        for i, n in enumerate(years_after_graduation)
        if n > most_yag
    ],
)
outputs = release.Outputs(output_dir, work_dir, notebook="00_start_here")

# %% [markdown]
# The tour uses pandas and matplotlib, and `leokit` for the DfE definitions, disclosure
# control and the sentences generated from the results.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from leokit import derive, results, sdc
from leokit.notebook import order, quote, say, sign
from leokit.schema import REGISTRY
from leokit.schema.codes import FIRST_DEGREE_QUALS

warnings.filterwarnings("ignore", category=FutureWarning)
print(ex)

# %% [markdown]
# ## 1. What is in the extract
#
# The real extract lives in three SQL Server databases (`LEO_i2`, `NPD_i2`, `HESA_i2`), one view
# per table, some of them one view per year (`hesa_2013`, `spring_census_2010`). The schema
# registry in `leokit.schema` knows every view and column; the data card
# (`data_synthetic/README.md`) describes each one.

# %%
rows = (ex.manifest or {}).get("tables", {})
views = pd.DataFrame(
    [
        {
            "database": info.get("database", ""),
            "view family": info.get("view", name),
            "views": 1,
            "rows": info.get("rows", np.nan),
        }
        for name, info in sorted(rows.items())
    ]
)
if rows:  # the synthetic extract's manifest; the SRS views have none
    views = views.groupby(["database", "view family"], as_index=False).agg(
        views=("views", "sum"), rows=("rows", "sum")
    )
    views = release.round_counts(views, ["rows"], label="view family", title="rows per view")
    outputs.show("views", views, checks=[views])

# %% [markdown]
# ## 2. Three keys, one person
#
# * `PupilMatchingRefAnonymous` (PMR) identifies a pupil in the NPD; UCAS and HESA records carry
#   it too.
# * `EDUKEY` identifies a person in the HMRC and DWP records (`leo_earnings`, `leo_employment`,
#   `leo_benefit`, `leo_self_assessment`, `leo_geography`).
# * `AE_ID` is the person. `learner_ae_id_to_pmr_lookup` and `learner_ae_id_to_edukey_lookup`
#   map the other two to it.
#
# Some people have two PMRs (a second NPD record) or two EDUKEYs, and some keys link to no one.
# Always map keys to `AE_ID` first and then combine.

# %%
pmr = ex.read("learner_ae_id_to_pmr_lookup").rename(columns={"PUPILMATCHINGREFANONYMOUS": "PMR"})
edukey = ex.read("learner_ae_id_to_edukey_lookup")
keys = pd.DataFrame(
    {
        "people (AE_ID)": [pmr.AE_ID.nunique(), edukey.AE_ID.nunique()],
        "keys": [pmr.PMR.nunique(), edukey.EDUKEY.nunique()],
        "people with two or more keys": [
            (pmr.groupby("AE_ID").size() > 1).sum(),
            (edukey.groupby("AE_ID").size() > 1).sum(),
        ],
    },
    index=["PMR lookup", "EDUKEY lookup"],
)
keys = release.round_counts(keys, list(keys), title="people and keys in the person lookups")
outputs.show("keys", keys, checks=[keys], index=True)
earnings = ex.read("leo_earnings", columns=["Edukey", "TaxYear", "Earnings"])

# %% [markdown]
# ## 3. Per-year views
#
# The NPD census and HESA come as one view per year, and some column names carry the year
# (`fsmeligible_spr09`, `fsmeligible_spr10`). `ex.read("spring_census")` stacks every year,
# renames those columns to a common name and adds `year`:

# %%
census = ex.read("spring_census", columns=["pupilmatchingrefanonymous", "fsmeligible"])
per_year = outputs.checked(sdc.safe_counts, census, "year", name="rows")
outputs.show("census_rows", per_year.astype({"rows": "Int64"}), checks=[per_year],
         description="rows per spring census view")  # fmt: skip
view = REGISTRY.view("spring_census")
fsm_names = [view.column("fsmeligible", y).name_for(y) for y in (2009, 2012)]
print("the FSM column is called", " and ".join(fsm_names), "in those years")

# %% [markdown]
# ## 4. The mess, on purpose
#
# The synthetic extract has the quirks of the real one, at stated rates, so code written here
# handles them before it meets the real data. Each rate is a share of rows, released like any
# other rate (`leokit.sdc`: enough rows with and without the quirk):

# %%
ks4 = ex.read("ks4pupil_2002_to_2014", columns=["KS4_PupilMatchingRefAnonymous", "KS4_ENDKS"])
employment = ex.read("leo_employment")
quirks = {
    "KS4 rows repeating a pupil": ks4.KS4_PupilMatchingRefAnonymous.duplicated(),
    "employment spells still open (EndDate 9999-12-31)": employment.EndDate.astype(str)
    == "9999-12-31",
    "employment spells whose start was defaulted to 6 April": employment.UncertainStartDate == 1,
    "leo_earnings rows with zero pay": earnings.Earnings == 0,
    "leo_earnings rows whose EDUKEY is in no lookup (orphans)": ~earnings.Edukey.isin(
        edukey.EDUKEY
    ),
}
mess_checks = [
    outputs.checked(sdc.safe_stat, pd.DataFrame({"quirk": pd.Categorical([label] * len(flag)),
                                             "share": flag.to_numpy(int)}), "quirk", "share",
                stat="mean")
    for label, flag in quirks.items()
]  # fmt: skip
mess = pd.concat(mess_checks, ignore_index=True).rename(columns={"n": "rows", "mean": "share"})
mess["rows"] = mess.rows.astype("Int64")
outputs.show("quirks", mess, checks=mess_checks, formatters={"share": "{:.1%}".format},
         description="shares of rows with each deliberate quirk")  # fmt: skip

# %% [markdown]
# What to do about each: keep one KS4 row per pupil (the end-of-key-stage row with the best
# points); treat 9999-12-31 as "still employed at the end of the data"; distrust a 6 April start
# flagged uncertain (the job may have started later, so the pay looks like a full year's); and
# remember that **no** earnings row in a tax year means no PAYE pay, which is different from a
# row with zero pay and from missing data. The cookbook (`recipes/`) has a page on each.
#
# ## 5. DfE derived variables
#
# `leokit.derive` implements the DfE definitions used in the published graduate outcomes:
# tax years run 6 April to 5 April (201819 is 2018/19); one year after graduation (1 YAG) is
# the first full tax year after the academic year of graduation; **sustained employment** is
# PAYE employment in at least five of the six months October to March (or self-employment);
# **annualised earnings** divide the year's pay by the days employed.

# %%
print("2019/20 graduates: 1 YAG is tax year", derive.yag_tax_year(2020, 1))
print(
    "tax year of 1 Sept 2016:",
    derive.tax_year_of(pd.Series(pd.to_datetime(["2016-09-01"]))).iloc[0],
)

# %% [markdown]
# ## 6. A first result: graduate outcomes by free school meals
#
# Graduates are people with a first-degree qualification in HESA; the academic year of
# graduation is the one their instance ended in. Their free-school-meal status comes from the
# KS4 record, their employment and pay from the HMRC views, all linked through `AE_ID`.

# %%
hesa = ex.read("hesa", columns=["HE_PUPILMATCHINGREFANONYMOUS", "HE_ENDDATE", "HE_XQOBTN01"])
grads = hesa[hesa.HE_XQOBTN01.isin(FIRST_DEGREE_QUALS)].merge(
    pmr, left_on="HE_PUPILMATCHINGREFANONYMOUS", right_on="PMR"
)
grads["grad_year"] = derive.academic_year_of(pd.to_datetime(grads.HE_ENDDATE))
grads = grads.groupby("AE_ID", as_index=False).grad_year.min()

fsm = ex.read(
    "ks4pupil_2002_to_2014", columns=["KS4_PupilMatchingRefAnonymous", "KS4_ENDKS", "KS4_FSM"]
)
fsm = fsm[fsm.KS4_ENDKS == 1].merge(pmr, left_on="KS4_PupilMatchingRefAnonymous", right_on="PMR")
fsm = fsm.groupby("AE_ID", as_index=False).KS4_FSM.max()
grads = grads.merge(fsm, on="AE_ID")

# %% [markdown]
# One row per graduate and year after graduation, for the years the data reach; a year that
# too few graduates reach stops the notebook with a message.

# %%
rows = []
for n in years_after_graduation:
    g = grads.assign(YAG=n, TaxYear=derive.yag_tax_year(grads.grad_year.to_numpy(), n))
    rows.append(g[g.TaxYear <= earnings.TaxYear.max()])
panel = pd.concat(rows, ignore_index=True)
reached = panel.groupby("YAG").AE_ID.nunique().reindex(years_after_graduation, fill_value=0)
refuse("00_start_here", [
    f"years_after_graduation[{i}] = {n}: fewer than {sdc.THRESHOLD} graduates in the extract are "
    f"{n} years after graduation by {derive.tax_year_label(last_tax_year)}; choose fewer years"
    for i, n in enumerate(years_after_graduation) if reached[n] < sdc.THRESHOLD
])  # fmt: skip
people = panel[["AE_ID"]].drop_duplicates().merge(edukey, on="AE_ID")

# %% [markdown]
# Employment spells and self-assessment records give sustained employment (DfE's definition);
# pay summed over a person's EDUKEYs and divided by the days employed gives annualised pay.

# %%
emp = employment.merge(people, left_on="EduKey", right_on="EDUKEY")[
    ["AE_ID", "StartDate", "EndDate"]
]
sa = ex.read("leo_self_assessment", columns=["Edukey", "TaxYear"])
sa = sa.merge(people, left_on="Edukey", right_on="EDUKEY")[["AE_ID", "TaxYear"]]
data_end = derive.tax_year_end(earnings.TaxYear.max())
years = sorted(panel.TaxYear.unique())
sus = derive.sustained_employment(
    emp, tax_years=years, self_assessment=sa, person="AE_ID", data_end=data_end
)
pay = earnings.merge(people, left_on="Edukey", right_on="EDUKEY")
pay = pay[pay.TaxYear.isin(years)].groupby(["AE_ID", "TaxYear"], as_index=False).Earnings.sum()
pay = derive.annualised_earnings(pay, emp, person="AE_ID", data_end=data_end)

# %% [markdown]
# Both outcomes join the panel; a graduate with no sustained employment that year counts as
# not in sustained employment.

# %%
panel = panel.merge(sus[["AE_ID", "TaxYear", "sustained"]], how="left", on=["AE_ID", "TaxYear"])
panel["sustained"] = panel.sustained.eq(True).astype(int)
panel = panel.merge(
    pay[["AE_ID", "TaxYear", "annualised_earnings"]], how="left", on=["AE_ID", "TaxYear"]
)
panel["FSM at 16"] = np.where(panel.KS4_FSM == 1, "FSM", "not FSM")

# %% [markdown]
# Rates and medians are released only for cells of at least 10 people, counts are rounded to 5
# (`leokit.sdc`), and the table is registered for release: `outputs.show` writes it to
# `output_dir` and prints it with a line saying how many cells were suppressed. The reasons
# are in `output_check.md`, the report an output checker reads.

# %%
by = ["YAG", "FSM at 16"]
n = outputs.checked(sdc.safe_counts, panel, by, unit="AE_ID", name="graduates")
rate = outputs.checked(sdc.safe_stat, panel, by, "sustained", stat="mean", unit="AE_ID")
median = outputs.checked(sdc.safe_stat, panel[panel.sustained == 1], by, "annualised_earnings",
                     stat="median", unit="AE_ID", round_to=100)  # fmt: skip
table = n.merge(rate[by + ["mean"]], on=by).merge(
    median[by + ["median"]].rename(columns={"median": "median annualised pay (£)"}), on=by
)
table = table.rename(columns={"mean": "sustained employment"})
table["graduates"] = table.graduates.astype("Int64")
outputs.show("graduate_outcomes", table.round(3), checks=[n, rate, median],
         description="graduates, sustained employment and median annualised pay by years after "
         "graduation and free school meals at 16")  # fmt: skip

# %% [markdown]
# The same table as two panels of lines (suppressed cells are left out), on axes that start at
# zero so that the gaps look as large as they are:

# %% tags=["nbval-ignore-output"]
GROUPS = {"FSM": "had free school meals at 16", "not FSM": "did not"}
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
for label, part in table.groupby("FSM at 16"):
    axes[0].plot(part.YAG, 100 * part["sustained employment"], marker="o", label=GROUPS[label])
    axes[1].plot(part.YAG, part["median annualised pay (£)"] / 1000, marker="o",
                 label=GROUPS[label])  # fmt: skip
axes[0].set(title="In sustained employment", ylabel="% of graduates", ylim=(0, 100))
axes[1].set(title="Median annualised pay, if sustained", ylabel="£ thousand a year")
axes[1].set_ylim(0, None)
for ax in axes:
    ax.set_xlabel("years after graduation")
    ax.set_xticks(years_after_graduation)
    ax.legend(loc="lower right")
synthetic = notebook.planted.load(ex) is not None  # truth.json only beside a synthetic extract
fig.suptitle("Graduates by free school meals at 16" + (" (synthetic extract)" if synthetic else ""))
fig.tight_layout()
outputs.figure("graduate_outcomes", fig, table=table.round(3), checks=[n, rate, median],
           description="the graduate_outcomes table as lines")  # fmt: skip
plt.show()

# %% [markdown]
# **In words.** `results.json` takes the shares as released in the table (the rounded counts as
# N, so it reveals nothing the table does not), with a 95% interval for each share and for the
# difference between graduates who had free school meals and the others:

# %%
rows = []
released = rate.merge(n[by + ["graduates"]], on=by).dropna(subset=["mean", "graduates"])
last_fsm = released[released["FSM at 16"] == "FSM"].YAG.max()
for _, r in released.iterrows():
    p, size = float(r["mean"]), int(r.graduates)
    se = np.sqrt(p * (1 - p) / size)
    group = r["FSM at 16"]
    rows.append(
        results.estimate(
            f"sustained_yag{r.YAG}_{group.replace(' ', '_').lower()}",
            f"share in sustained employment {r.YAG} years after graduation ({group} at 16)",
            p, se, (p - 1.96 * se, p + 1.96 * se), size,
            preferred=(r.YAG == last_fsm and group == "FSM"), released_from="graduate_outcomes.csv",
            ci_method="binomial normal", truth_basis="none",
        )
    )  # fmt: skip
share = {e["name"]: e for e in rows}

# %% [markdown]
# The difference in shares at each year after graduation (FSM minus not FSM; the two groups are
# independent samples, so the variances add):

# %%
for yag in years_after_graduation:
    a, b = share.get(f"sustained_yag{yag}_fsm"), share.get(f"sustained_yag{yag}_not_fsm")
    if a is None or b is None:
        continue  # a suppressed cell: no difference to report
    gap, se = a["estimate"] - b["estimate"], float(np.hypot(a["se"], b["se"]))
    rows.append(
        results.estimate(
            f"sustained_gap_yag{yag}",
            f"FSM minus not-FSM share in sustained employment {yag} years after graduation",
            gap, se, (gap - 1.96 * se, gap + 1.96 * se), a["n"] + b["n"],
            released_from="graduate_outcomes.csv", ci_method="binomial normal",
            truth_basis="none",
        )
    )  # fmt: skip

# %% [markdown]
# And in sentences written from those numbers and the released medians:

# %%
medians = table.set_index(by)["median annualised pay (£)"]
PAY = {"smaller": "below", "larger": "above", "equal": "the same as"}
for row in [r for r in rows if r["name"].startswith("sustained_gap")]:
    yag = int(row["name"].rsplit("yag", 1)[1])
    fsm_share, other = share[f"sustained_yag{yag}_fsm"], share[f"sustained_yag{yag}_not_fsm"]
    years = f"{yag} year{'s' if yag != 1 else ''}"
    text = (f"**{years} after graduation**: {quote(fsm_share, percent=True)} of graduates "
            f"who had free school meals were in sustained employment, against "
            f"{quote(other, percent=True)} of the others; the difference in shares, {quote(row)}, is "
            f"{sign(row)}.")  # fmt: skip
    pay_fsm, pay_other = medians.get((yag, "FSM")), medians.get((yag, "not FSM"))
    if pd.notna(pay_fsm) and pd.notna(pay_other):
        text += (f" Their median annualised pay, if sustained, was £{quote(pay_fsm, digits=0)}, "
                 f"{order(pay_fsm, pay_other, digits=0, words=PAY)} the others' "
                 f"£{quote(pay_other, digits=0)}.")  # fmt: skip
    say(text, id=f"fsm_gap_yag{yag}")

# %% [markdown]
# These are raw gaps: FSM graduates differ in prior attainment, subject, university and where
# they live, and some of the gap in pay comes from those differences rather than from FSM
# itself. Separating them is what the headline notebooks do.
#
# ## 7. Where next
#
# | notebook or page | question |
# |---|---|
# | `01_returns_to_he_application_choices` | Does a more selective course pay, once applicants with the same applications and offers are compared? |
# | `02_contextual_offers` | Are lower (contextual) offers good for students and universities? (regression discontinuity) |
# | `03_coworker_spillovers` | Do graduate co-workers and neighbours raise pay, and what does that mean for the taxpayer? |
# | `recipes/` | One task per page in Python, R and Stata: linking, tax years, DfE outcomes, estimation, disclosure control |
#
# ## Exercises
#
# **1.** How many people have `leo_earnings` records under two different EDUKEYs? What goes
# wrong if you follow people by EDUKEY instead of by `AE_ID`?

# %%

# %% tags=["solution"]
two_keys = earnings.merge(edukey, left_on="Edukey", right_on="EDUKEY")
n_keys = two_keys.groupby("AE_ID", as_index=False).Edukey.nunique()
n_keys["EDUKEYs with earnings"] = np.where(n_keys.Edukey > 1, "two or more", "one")
people_by_keys = outputs.checked(sdc.safe_counts, n_keys, "EDUKEYs with earnings", unit="AE_ID",
                             name="people")  # fmt: skip
outputs.show(
    "exercise_edukeys", people_by_keys.astype({"people": "Int64"}), checks=[people_by_keys]
)
# Followed by EDUKEY, each of them looks like two people with gaps in their careers: years
# with pay under the other key look like years with no pay, so employment rates and pay
# growth are understated. Map EDUKEY -> AE_ID first, then build the panel.

# %% [markdown]
# **2.** Recompute the table for 3 YAG using raw annual pay (`Earnings`) instead of annualised
# pay, among everyone with a positive record. How do the medians compare with the annualised
# ones, and why?

# %%

# %% tags=["solution"]
raw = panel[panel.YAG == 3].merge(
    earnings.merge(edukey, left_on="Edukey", right_on="EDUKEY")
    .groupby(["AE_ID", "TaxYear"], as_index=False)
    .Earnings.sum(),
    on=["AE_ID", "TaxYear"],
)
raw = raw[raw.Earnings > 0]
raw_median = outputs.checked(sdc.safe_stat, raw, ["FSM at 16"], "Earnings", stat="median",
                         unit="AE_ID", round_to=100)  # fmt: skip
outputs.show("exercise_raw_pay", raw_median, checks=[raw_median], float_format="{:.0f}".format)
for group, value in raw_median.set_index("FSM at 16")["median"].items():
    annual = medians.get((3, group))
    if pd.notna(value) and pd.notna(annual):
        say(f"{group}: median raw pay £{quote(value, digits=0)}, "
            f"{order(value, annual, digits=0, words=PAY)} the median annualised pay of those in "
            f"sustained employment, £{quote(annual, digits=0)}.", id=f"exercise_raw_{group}")  # fmt: skip
# Raw pay includes part-year jobs (people who started or left during the year), which
# annualising scales up to a full year; sustained employment also drops the least attached.
# Both push raw pay down against annualised pay.

# %% [markdown]
# ## Results file and the output-checking report
#
# `results.json` (one shape for every notebook) holds the shares and differences above and the
# sentences written from them. `outputs.finish()` writes `output_check.md` and
# `output_check.json` and refuses if `output_dir` holds anything that was not checked and
# registered.

# %%
outputs.results(PARAMETERS, rows, statements=notebook.statements())
print(outputs.finish())
