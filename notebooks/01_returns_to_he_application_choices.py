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
# # Returns to higher education, conditional on application choices
#
# **Question.** Does a more selective course pay off, and does university pay off at all, once we
# compare people who applied to, and were offered places at, the same courses?
# **You will produce** one table and one coefficient plot that set the naive estimate beside
# matched-applicant, coarsened-set and self-revelation estimates, with checks (balance, fade-out,
# free school meals) and a `results.json`.
# **Runs** in Binder, on a laptop, and in the ONS Secure Research Service (SRS): point the
# `extract` parameter at the SQL Server views (see the parameters cell) and nothing else changes.
# Terms are explained in the [glossary](../docs/glossary.md), papers listed in the
# [references](../docs/references.md).
#
# **In plain words.** Graduates of highly selective courses earn more, but they were also
# stronger and more ambitious applicants to begin with, so a plain comparison mixes the effect of
# the course with the kind of person who gets in. This notebook compares students who applied to
# the same courses and got the same offers, and then went to different places; and, among
# people holding a place, those who enrolled with those who did not. On the synthetic extract
# the true effects are known, so you can see which comparison recovers them. One UK twist
# matters: offers are made before A-level results, so achieved grades must be held fixed too.
# What this run finds is written from its own estimates at the end of section 5 and in
# section 7, so it stays true on another extract or on the real data.

# %% tags=["parameters"]
# Where the data is: a synthetic folder or DuckDB file. In the SRS use a dict:
# {"odbc": "DRIVER={SQL Server};SERVER=...;Trusted_Connection=yes", "schema": "<project>"}
extract = "../data_synthetic"
output_dir = "../output/01_returns_to_he_application_choices"  # only checked outputs
work_dir = "../work/01_returns_to_he_application_choices"  # record-level files, never released
cohorts = [2008, 2009, 2010, 2011, 2012]  # UCAS application cycles
outcome_age = 26  # age at the start of the tax year in which earnings are measured
fade_ages = [24, 26, 28]  # ages for the fade-out check
outcome = "log_earnings_sustained"  # or "log_earnings_any", "sustained_employment"
selectivity = "course_tariff"  # or "provider_tariff"
set_definition = "exact"  # the preferred estimator: "exact", "coarse" or "self_revelation"
coarse_bands = 5  # selectivity bands for the coarsened sets
cluster = "provider"  # "provider" (attended), "school" (KS4) or "set"
bootstrap_reps = 999  # wild cluster bootstrap replications (0 to skip)
seed = 20261128

# %% [markdown]
# ## Check the parameters
#
# papermill only warns about a name this notebook does not have, so a misspelt parameter would
# silently leave the default in place. This cell stops with one message listing every problem,
# before any data are loaded: unknown names and bad values, folders that cannot be written
# (`work_dir`, for record-level files, must lie outside `output_dir`, which holds only what may
# leave the SRS), cohorts the extract does not have and ages nobody reaches by its last tax
# year.

# %% tags=["checks"]
from leokit import extract as lx
from leokit import notebook, release
from leokit.params import Param, duplicate_problems, refuse

SPEC = {
    "extract": Param((str, dict), help="a folder, a DuckDB file, or SRS connection settings"),
    "output_dir": Param(str, nonempty=True, help="folder for checked outputs"),
    "work_dir": Param(str, nonempty=True, help="folder for record-level files"),
    "cohorts": Param(list, nonempty=True, each=Param(int, between=(2000, 2030))),
    "outcome_age": Param(int, between=(19, 40)),
    "fade_ages": Param(list, each=Param(int, between=(19, 40))),
    "outcome": Param(
        str, choices=["log_earnings_sustained", "log_earnings_any", "sustained_employment"]
    ),
    "selectivity": Param(str, choices=["course_tariff", "provider_tariff"]),
    "set_definition": Param(str, choices=["exact", "coarse", "self_revelation"]),
    "coarse_bands": Param(int, between=(2, 20)),
    "cluster": Param(str, choices=["provider", "school", "set"]),
    "bootstrap_reps": Param(int, between=(0, 99999)),
    "seed": Param(int, between=(0, None)),
}
PARAMETERS = notebook.check(globals(), SPEC, "01_returns_to_he_application_choices")
NAME = "01_returns_to_he_application_choices"

# %% [markdown]
# Then what only the extract can tell (its UCAS cycles and last tax year, read from two
# columns); only when all is well are the two folders created.

# %% tags=["checks"]
ex = lx.open_parameter(extract)
cycles = sorted(int(c) for c in ex.read("ucas_applicant", columns=["application_cycle"])
                .application_cycle.unique())  # fmt: skip
first_tax_year, last_tax_year = notebook.tax_year_range(ex)
# applicants of cycle c are 17 or 18 on 31 August of c: born in c - 19 at the earliest
oldest = last_tax_year // 100 - (min(cohorts) - 19)
problems = duplicate_problems("cohorts", cohorts) + duplicate_problems("fade_ages", fade_ages)
problems += [f"cohorts[{i}] = {c}: the extract has UCAS cycles {cycles[0]} to {cycles[-1]}"
             for i, c in enumerate(cohorts) if c not in cycles]  # fmt: skip
problems += [
    f"{label} = {age}: applicants of cycle {min(cohorts)} are born in {min(cohorts) - 19} or "
    f"later, so nobody is {age} by the last tax year in the data ({last_tax_year}); choose an "
    f"age of at most {oldest} or earlier cohorts"
    for label, age in [("outcome_age", outcome_age)]
    + [(f"fade_ages[{i}]", a) for i, a in enumerate(fade_ages)]
    if age > oldest
]
if 0 < bootstrap_reps < 99:
    problems.append(f"bootstrap_reps = {bootstrap_reps}: use 0 (skip) or at least 99")
refuse(NAME, problems)
outputs = release.Outputs(output_dir, work_dir, notebook=NAME)

# %% [markdown]
# Settings that follow from the parameters: the preferred estimator and, on a synthetic
# extract, the planted effects (`notebook.truth` returns None on real data).

# %%
PREFERRED = {"exact": "matched_exact", "coarse": "matched_coarse"}.get(
    set_definition, "self_revelation"
)
LOG_OUTCOME = outcome != "sustained_employment"
# the planted effects are on log full-year pay, per SD of the course's own standard offer
planted = notebook.truth(ex, "returns_to_he") if outcome == "log_earnings_sustained" else None

# %% [markdown]
# The analysis uses pandas, statsmodels and linearmodels; `leokit` supplies the DfE
# definitions, disclosure control and few-cluster inference, and `leokit.notebook` the
# sentences generated from the results.

# %%
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from linearmodels.iv.absorbing import AbsorbingLS

from leokit import derive, inference, results, sdc
from leokit.notebook import compare, covers, order, quote, removed, say, sign
from leokit.schema.codes import FIRST_DEGREE_QUALS

warnings.filterwarnings("ignore", category=FutureWarning)
pd.set_option("display.width", 120)
print(ex)

# %% [markdown]
# ## 1. Build the analysis file the way it must be built in the SRS
#
# Five sources, three kinds of person key. UCAS and the NPD share the pupil matching reference
# (PMR); HESA carries the PMR too; earnings carry the HMRC/DWP `EDUKEY`. The lookups
# `learner_ae_id_to_pmr_lookup` and `learner_ae_id_to_edukey_lookup` map each key to one person,
# `AE_ID`. A person can hold two PMRs or two EDUKEYs, so we always join **on the person** and
# then aggregate, never on a key alone.
#
# | step | view | key |
# |---|---|---|
# | applicants and their five choices | `ucas_applicant`, `ucas_application`, `lookup_ucas_course` | `unique_id_cycle` |
# | to the person | `learner_ae_id_to_pmr_lookup` | PMR -> `AE_ID` |
# | prior attainment, free school meals, school | `ks4pupil_2002_to_2014`, `ks5student_2003_to_2014`, `spring_census_*` | PMR -> `AE_ID` |
# | entry and completion | `hesa_YYYY` (first-degree instances) | PMR -> `AE_ID` |
# | earnings and employment | `learner_ae_id_to_edukey_lookup`, `leo_earnings`, `leo_employment` | EDUKEY -> `AE_ID` |
#
# `flow` records how many people survive each link, so nothing is dropped silently.

# %%
flow = notebook.Flow(unit="AE_ID", label="people")
pmr = ex.read("learner_ae_id_to_pmr_lookup").rename(columns={"PUPILMATCHINGREFANONYMOUS": "PMR"})
edukey = ex.read("learner_ae_id_to_edukey_lookup")
applicants = ex.read("ucas_applicant", columns=[
    "unique_id_cycle", "PupilMatchingRefAnonymous", "application_cycle",
    "applicant_gender_code", "accept_flag", "accepted_course_identifier",
])  # fmt: skip
applicants = applicants[applicants.application_cycle.isin(cohorts)]
flow.count("UCAS applications (applicant x cycle)", applicants.unique_id_cycle.nunique())
applicants = applicants.merge(pmr, left_on="PupilMatchingRefAnonymous", right_on="PMR")
# someone who applied in two cycles is kept at the first
applicants = applicants.sort_values(["AE_ID", "application_cycle"]).drop_duplicates("AE_ID")
applicants = flow.keep("people: applicants linked through PMR -> AE_ID", applicants)

# %% [markdown]
# **Selectivity.** A course's selectivity is its published standard offer in UCAS tariff points
# (`lookup_ucas_course.standard_offer_tariff`), standardised across courses (mean 0, SD 1), so
# coefficients are per standard deviation of entry requirements. The alternative,
# `provider_tariff`, uses the provider's average over its courses, closer to the institution-level
# rankings used in much of the literature. The course's own measure is kept as `course_sel`
# whichever is chosen: the planted effect of entering HE depends on it.

# %%
courses = ex.read("lookup_ucas_course")
course_tariff = courses.standard_offer_tariff.astype(float)
tariff = course_tariff
if selectivity == "provider_tariff":
    tariff = course_tariff.groupby(courses.provider_id_anon).transform("mean")
courses["sel"] = (tariff - tariff.mean()) / tariff.std(ddof=0)
courses["course_sel"] = (course_tariff - course_tariff.mean()) / course_tariff.std(ddof=0)
courses["band"] = pd.qcut(courses.sel.rank(method="first"), coarse_bands, labels=False) + 1

# %% [markdown]
# The applicants' main-scheme choices and the decision on each (Extra and Clearing come after
# the offers we condition on), released as counts by decision:

# %%
choices = ex.read("ucas_application", columns=[
    "unique_id_cycle", "course_identifier", "application_route_code",
    "june30_hep_decision_code", "offer_tariff",
])  # fmt: skip
choices = choices[
    (choices.application_route_code == "M")
    & choices.unique_id_cycle.isin(applicants.unique_id_cycle)
]
choices = choices.merge(courses[["course_identifier", "sel", "band"]], on="course_identifier")
choices["offer"] = choices.june30_hep_decision_code.isin(["C", "U"]).astype(int)
decisions = outputs.checked(sdc.safe_counts, choices, "june30_hep_decision_code", name="choices")
outputs.show("decisions", decisions, checks=[decisions], float_format="{:.0f}".format,
         description="main-scheme choices by the provider's decision on 30 June")  # fmt: skip

# %% [markdown]
# **Application-and-offer sets.** Following Dale and Krueger (2002), the *exact* set of an
# applicant is the list of courses applied to with the decision on each (and the grades asked
# for), within a cycle. The *coarsened* set keeps only the selectivity band of each course and
# whether it made an offer, as Dale and Krueger did with Barron's bands. The *self-revelation*
# model replaces set effects with three numbers: the mean selectivity of the courses applied to,
# the number of applications and the number of offers.

# %%
choices["item"] = (
    choices.course_identifier + ":" + choices.june30_hep_decision_code
    + choices.offer_tariff.astype(str)
)  # fmt: skip
choices["coarse_item"] = choices.band.astype(str) + ":" + choices.offer.astype(str)
sets = choices.groupby("unique_id_cycle").agg(
    exact_items=("item", lambda s: ";".join(sorted(s))),
    coarse_items=("coarse_item", lambda s: ";".join(sorted(s))),
    mean_app_sel=("sel", "mean"),
    n_app=("sel", "size"),
    n_offer=("offer", "sum"),
)
applicants = applicants.merge(sets.reset_index(), on="unique_id_cycle")
cycle = applicants.application_cycle.astype(str)
applicants["set_exact"] = cycle + "|" + applicants.exact_items
applicants["set_coarse"] = cycle + "|" + applicants.coarse_items
placed = courses[["course_identifier", "provider_id_anon", "sel", "course_sel"]].rename(
    columns={"course_identifier": "accepted_course_identifier", "provider_id_anon": "provider"}
)
applicants = applicants.merge(placed, how="left", on="accepted_course_identifier")
applicants = flow.keep("... with main-scheme choices", applicants)

# %% [markdown]
# **School records.** KS4 has duplicate rows for some pupils (re-sits and school moves): keep
# the end-of-key-stage row with the best points. KS5 points are the best over the pupil's rows.
# Year of birth comes from the spring census.

# %%
ks4 = ex.read("ks4pupil_2002_to_2014", columns=[
    "KS4_PupilMatchingRefAnonymous", "KS4_URN_anon", "KS4_ENDKS", "KS4_FSM", "KS4_IDACI",
    "KS4_PTSCNEWE",
])  # fmt: skip
ks4 = ks4[ks4.KS4_ENDKS == 1].merge(pmr, left_on="KS4_PupilMatchingRefAnonymous", right_on="PMR")
ks4 = ks4.sort_values("KS4_PTSCNEWE", ascending=False).drop_duplicates("AE_ID")
ks5 = ex.read("ks5student_2003_to_2014", columns=["KS5_PupilMatchingRefAnonymous", "KS5_TOTPTS"])
ks5 = ks5.merge(pmr, left_on="KS5_PupilMatchingRefAnonymous", right_on="PMR")
ks5 = ks5.groupby("AE_ID", as_index=False).KS5_TOTPTS.max()
census = ex.read("spring_census", columns=["pupilmatchingrefanonymous", "yearofbirth"])
census = census.merge(pmr, left_on="pupilmatchingrefanonymous", right_on="PMR")
born = census.groupby("AE_ID", as_index=False).yearofbirth.min()

school = ["AE_ID", "KS4_URN_anon", "KS4_FSM", "KS4_IDACI", "KS4_PTSCNEWE"]
df = flow.keep("... with a KS4 record", applicants.merge(ks4[school], on="AE_ID"))
df = flow.keep("... with KS5 points", df.merge(ks5, on="AE_ID"))
df = flow.keep("... with a year of birth (census)", df.merge(born, on="AE_ID"))

# %% [markdown]
# **Entry to HE** is a first-degree instance in its first year in any `hesa_YYYY` view
# (`HE_XLEV601 = 4`, `HE_YEARSTU = 1`); completion is a first-degree qualification obtained.

# %%
hesa = ex.read("hesa", columns=[
    "HE_PUPILMATCHINGREFANONYMOUS", "HE_XINSTID01__ANON", "HE_XLEV601", "HE_YEARSTU",
    "HE_XQOBTN01",
])  # fmt: skip
hesa = hesa.merge(pmr, left_on="HE_PUPILMATCHINGREFANONYMOUS", right_on="PMR")
entered = set(hesa.AE_ID[(hesa.HE_XLEV601 == 4) & (hesa.HE_YEARSTU == 1)])
completed = set(hesa.AE_ID[hesa.HE_XQOBTN01.isin(FIRST_DEGREE_QUALS)])
df["he"] = df.AE_ID.isin(entered).astype(int)
df["degree"] = df.AE_ID.isin(completed).astype(int)
df["female"] = (df.applicant_gender_code == "F").astype(int)
del hesa, ks4, ks5, census, choices

# %% [markdown]
# **Earnings.** `leo_earnings` has one row per EDUKEY and tax year; a person with two EDUKEYs
# has two rows in some years, so pay is summed over the person's keys. The outcome year is the
# tax year that starts in the calendar year the person turns `outcome_age`. No row in
# `leo_earnings` means no PAYE pay that year, not missing.

# %%
ages = sorted(set([outcome_age] + list(fade_ages)))
people = df[["AE_ID", "yearofbirth"]].merge(edukey, on="AE_ID")
wanted_years = sorted({int(y + a) for y in df.yearofbirth.unique() for a in ages})
tax_years = [y * 100 + (y + 1) % 100 for y in wanted_years]

earn = ex.read("leo_earnings", columns=["Edukey", "TaxYear", "Earnings"])
tax_years_in_data = sorted(earn.TaxYear.unique())
earn = earn[earn.TaxYear.isin(tax_years)].merge(people, left_on="Edukey", right_on="EDUKEY")
earn = earn.groupby(["AE_ID", "TaxYear"], as_index=False).Earnings.sum()
emp = ex.read("leo_employment").merge(people, left_on="EduKey", right_on="EDUKEY")
emp = emp[["AE_ID", "StartDate", "EndDate"]]
sa = ex.read("leo_self_assessment", columns=["Edukey", "TaxYear"])
sa = sa.merge(people, left_on="Edukey", right_on="EDUKEY")[["AE_ID", "TaxYear"]]

# %% [markdown]
# Sustained employment is the DfE definition (PAYE employment in at least five of the six
# months October to March, or a self-assessment record), and annualised pay divides pay by the
# days employed in the tax year, both from `leokit.derive`.

# %%
data_end = derive.tax_year_end(tax_years_in_data[-1])
observed = [t for t in tax_years if t <= tax_years_in_data[-1]] or tax_years_in_data[-1:]
sustained = derive.sustained_employment(  # later years are unknown: derive refuses them
    emp, tax_years=observed, self_assessment=sa, person="AE_ID", data_end=data_end
)
pay = derive.annualised_earnings(earn, emp, person="AE_ID", data_end=data_end)
panel = sustained[["AE_ID", "TaxYear", "sustained"]].merge(
    pay[["AE_ID", "TaxYear", "Earnings", "annualised_earnings"]],
    how="left",
    on=["AE_ID", "TaxYear"],
)
panel["Earnings"] = panel.Earnings.fillna(0)
del earn, emp, sa, pay, sustained  # Binder has 1 GB: keep only what the analysis uses

# %% [markdown]
# Outcome definitions (`outcome`):
# * `log_earnings_sustained`: log annualised PAYE pay in a year of sustained employment (DfE's
#   headline measure; the planted effects are on log full-year pay, which this recovers);
# * `log_earnings_any`: log of the year's PAYE pay if positive (part-years included);
# * `sustained_employment`: 1 if in sustained employment, else 0 (a linear probability model).


# %%
def outcome_at(frame, age):
    """The outcome at `age` for each person in `frame` (NaN where not defined)."""
    year = frame.yearofbirth + age
    out = frame[["AE_ID"]].assign(TaxYear=year * 100 + (year + 1) % 100)
    out = out.merge(panel, how="left", on=["AE_ID", "TaxYear"])
    out["sustained"] = out.sustained.fillna(False).astype(int)
    if outcome == "sustained_employment":
        y = out.sustained.astype(float)
        # a tax year after the last one in the data is unknown, not "not employed"
        y[out.TaxYear > max(tax_years_in_data)] = np.nan
    elif outcome == "log_earnings_sustained":
        ok = (out.sustained == 1) & (out.annualised_earnings > 0)
        y = np.log(out.annualised_earnings.where(ok))
    else:
        y = np.log(out.Earnings.where(out.Earnings > 0))
    return y.to_numpy()


# %% [markdown]
# The analysis file keeps the people with the outcome at `outcome_age`; too few stops the
# notebook with a message.

# %%
df["y"] = outcome_at(df, outcome_age)
analysis = flow.keep(f"... with the outcome at age {outcome_age} ({outcome})", df[df.y.notna()])
if len(analysis) < 100:
    refuse(NAME, [
        f"outcome_age = {outcome_age}: fewer than 100 people have the outcome at that age by "
        f"the last tax year in the data ({tax_years_in_data[-1]}); choose a younger "
        "outcome_age or earlier cohorts"
    ])  # fmt: skip

# %% [markdown]
# Rows kept at each link (people, rounded to 5 as the SRS requires for counts; fewer than 10
# would be suppressed):

# %%
flow_table = flow.table(title="people kept at each link")
outputs.show("linkage_flow", flow_table, checks=[flow_table])

# %% [markdown]
# Most of the loss is by design: applicants who have not reached `outcome_age` by the last tax
# year in the data, and people not in sustained employment at that age. Some are lost to keys
# that do not link (orphan PMRs and EDUKEYs, pupils educated outside the NPD): in the SRS,
# compare these rates with the linkage rates DfE publishes.
#
# ## 2. The naive estimate
#
# Among entrants, regress the outcome on the selectivity of the course entered, with prior
# attainment (KS4 points, and a dummy for each level of KS5 points), free school meals, area
# deprivation (IDACI), sex and cohort as controls. Achieved A-level grades decide placement in
# steps (met the firm's conditions or not), so KS5 points enter as a dummy for each value (for
# each of 30 quantile bins when there are more).

# %%
ks5 = analysis.KS5_TOTPTS
if ks5.nunique() > 30:
    ks5 = pd.qcut(ks5, 30, duplicates="drop")
KS5 = pd.get_dummies(pd.Categorical(ks5).codes, prefix="ks5", dtype=float)
KS5.index = analysis.index
analysis = analysis.join(KS5)
CONTROLS = ["KS4_PTSCNEWE", "KS4_FSM", "KS4_IDACI", "female"] + list(KS5.columns)
CLUSTER_COLUMN = {"provider": "provider", "school": "KS4_URN_anon", "set": "set_exact"}[cluster]


def varying(frame, columns):
    """The columns with variation in `frame`, leaving out the first KS5 dummy present there
    (the reference level: a subsample may lack some levels)."""
    out = [c for c in columns if frame[c].nunique() > 1]
    dummies = [c for c in out if c in KS5.columns]
    return [c for c in out if c != (dummies[0] if dummies else None)]


# %% [markdown]
# The naive model, clustered by the chosen `cluster` (CR1 standard errors for now; section 5
# explains why the notebook reports more cautious ones):

# %%
entrants = analysis[(analysis.he == 1) & analysis.sel.notna()].copy()
entrants["cl"] = pd.factorize(entrants[CLUSTER_COLUMN])[0]
naive = smf.ols(
    "y ~ sel + " + " + ".join(varying(entrants, CONTROLS)) + " + C(application_cycle)", entrants
).fit(cov_type="cluster", cov_kwds={"groups": entrants.cl})
G = entrants.cl.nunique()
print(
    f"naive OLS: {naive.params['sel']:.3f} per SD (CR1 SE {naive.bse['sel']:.3f}); "
    f"N = {sdc.round_half_up(naive.nobs):.0f} entrants, {G} clusters ({cluster})"
)

# %% [markdown]
# ## 3. Why the naive estimate is biased
#
# Selective courses admit applicants who are stronger on paper, and the controls capture that
# part. They also admit applicants who are stronger in ways the records do not show: ambition,
# a good personal statement, a strong reference. Those applicants also earn more wherever they
# study, so the naive coefficient mixes the course's effect with who gets in. Applications and
# offers reveal some of that unobserved strength: an applicant who applies to, and is offered
# places at, highly selective courses is telling us something about themselves.
#
# ## 4. The design: compare people with the same applications and offers
#
# Within a set of applicants who applied to the same courses and received the same decisions,
# where each ends up is assumed to depend on tastes, family and luck, not on their earnings
# potential (Dale and Krueger's assumption). A set with one member says nothing about the
# within-set comparison: only people in sets of two or more identify the estimate.


# %%
def set_membership(frame, col, label):
    """One row per entrant: the set, and whether it has two or more members and whether the
    selectivity of the course entered varies within it."""
    size = frame.groupby(col)[col].transform("size")
    varies = frame.groupby(col).sel.transform("nunique") > 1
    return pd.DataFrame({
        "sets": label, "set": frame[col].to_numpy(), "AE_ID": frame.AE_ID.to_numpy(),
        "share in sets of 2+": (size > 1).astype(int).to_numpy(),
        "share in sets where selectivity varies": ((size > 1) & varies).astype(int).to_numpy(),
    })  # fmt: skip


members = pd.concat([set_membership(entrants, "set_exact", "exact"),
                     set_membership(entrants, "set_coarse", "coarse")], ignore_index=True)  # fmt: skip

# %% [markdown]
# How many sets there are, and what share of entrants sit in sets that identify the estimate
# (counts rounded to 5, shares released only with enough people on each side):

# %%
SHARES = ("share in sets of 2+", "share in sets where selectivity varies")
set_checks = [outputs.checked(sdc.safe_counts, members, "sets", unit="set", name="number of sets")]
for col in SHARES:
    set_checks.append(
        outputs.checked(sdc.safe_stat, members, "sets", col, stat="mean", unit="AE_ID")
    )
set_table = set_checks[0].set_index("sets")
for check, col in zip(set_checks[1:], SHARES):
    set_table[col] = check.set_index("sets")["mean"]
set_table = set_table.loc[["exact", "coarse"]].round(3)
outputs.show("application_sets", set_table, checks=set_checks, index=True,
             formatters={"number of sets": "{:.0f}".format},
             description="exact and coarsened application-and-offer sets among entrants")  # fmt: skip

# %% [markdown]
# **Balance.** If the sets absorb who gets in, prior attainment should not predict the selectivity
# of the course entered once we compare within sets. There is a twist that the US literature does
# not have: the sets are fixed on 30 June, *before* A-level results, and an applicant who misses
# the grades asked by their firm choice goes to their insurance choice. Within a set, who ends up
# at the more selective course therefore depends on the grades achieved, and those grades carry
# ability. So we compare within sets *and* given KS5 points; then KS4 points, earlier and not
# used for the placement, should be balanced. `within` fits a model with set effects absorbed.


# %%
def within(frame, set_col, y, rhs):
    """OLS of y on rhs with set effects absorbed; singleton sets dropped first."""
    d = frame[frame.groupby(set_col)[set_col].transform("size") > 1]
    rhs = varying(d, rhs)
    model = AbsorbingLS(d[y], d[rhs], absorb=d[[set_col]].astype("category"), drop_absorbed=True)
    fit = model.fit(cov_type="clustered", clusters=d.cl.to_numpy(), debiased=True)
    return fit, d


def slope(fit):
    se = fit.std_errors if hasattr(fit, "std_errors") else fit.bse
    return fit.params["sel"], se["sel"]


entrants["ks4_z"] = (
    entrants.KS4_PTSCNEWE - entrants.KS4_PTSCNEWE.mean()
) / entrants.KS4_PTSCNEWE.std()

# %% [markdown]
# KS4 points (in SD) regressed on the selectivity of the course entered: across all entrants,
# within exact sets, and within exact sets given KS5 points.

# %%
balance_fits = {
    "across all entrants": smf.ols("ks4_z ~ sel", entrants).fit(
        cov_type="cluster", cov_kwds={"groups": entrants.cl}
    ),
    "within exact sets": within(entrants, "set_exact", "ks4_z", ["sel"])[0],
    "within exact sets, given KS5 points": within(
        entrants, "set_exact", "ks4_z", ["sel"] + list(KS5.columns)
    )[0],
}
balance_table = pd.DataFrame(
    {label: slope(fit) for label, fit in balance_fits.items()},
    index=["KS4 (SD) per SD of selectivity", "CR1 se"],
).T
outputs.show("balance", balance_table.round(3), index=True,
             models=[{"name": f"balance {label}", "n": fit.nobs, "dof": fit.df_resid}
                     for label, fit in balance_fits.items()],
             description="KS4 points on the selectivity of the course entered")  # fmt: skip

# %% [markdown]
# ## 5. Estimates
#
# All models use the same controls, KS5 dummies among them (see the balance check). Set effects
# are absorbed with `linearmodels.AbsorbingLS` after dropping singleton sets.
#
# **Standard errors** are clustered by the chosen `cluster`: by default the provider attended,
# the level at which selectivity varies. The synthetic extract has about 30 providers, of very
# different sizes (`n_clusters` in the table), and then the usual CR1 standard error (`debiased=True`: the factor
# G/(G-1)(N-1)/(N-K), K counting the absorbed set effects, as Stata's `reghdfe` and pyfixest
# do) is too small. We report it (`se_cr1`) but use the **CV3 cluster jackknife**
# (leave one provider out, refit, and measure the spread: MacKinnon, Nielsen and Webb 2023)
# with t(G-1) critical values for the intervals, and add the **wild cluster bootstrap**
# (restricted, Rademacher weights, CR1 t-statistic) p-value and interval as a cross-check. In
# Stata: `reghdfe ..., vce(cluster provider)` then `boottest sel`; `summclust` gives CV3.
#
# **Which interval to trust: CV3 with t(G-1).** It is the one whose coverage we measured: in
# the Monte Carlo test (`tests/notebooks/test_notebook_01_montecarlo.py`, 100 freshly generated
# extracts) the CV3 interval of the exact-set estimate covered the planted return in 98% of
# them, the same interval with CR1 standard errors in 91%. When the bootstrap interval and the
# CV3 interval disagree, go by CV3; the bootstrap is there to show how much the conclusion
# leans on the choice.

# %%
rows = []
CI_METHOD = "CV3 t(G-1)"


def cv3(fit, coef, frame, y, X, names, groups):
    """The CV3 (cluster jackknife) SE and its t(G-1) interval; checks the jackknife refits
    the same estimate as the model."""
    b = float(fit.params[coef])
    jack = inference.cluster_jackknife(y, X, frame.cl.to_numpy(), names.index(coef),
                                       absorb=groups)  # fmt: skip
    assert abs(jack["estimate"] - b) < 1e-8, (coef, jack["estimate"], b)
    return b, jack["se"], inference.t_interval(b, jack["se"], jack["n_clusters"]), jack


def wild(fit, coef, frame, y, X, names, groups, se_cr1):
    """The wild cluster bootstrap p-value and interval (set effects partialled out first)."""
    if groups is not None:  # Frisch-Waugh-Lovell: partial the set effects out once
        y, X = inference.demean(y, groups), inference.demean(X, groups)
    wcr = inference.wild_cluster_bootstrap(
        y, X, frame.cl.to_numpy(), names.index(coef), reps=bootstrap_reps, seed=seed,
        k_absorbed=int(fit.df_model) - len(names) if groups is not None else 0,
    )  # fmt: skip
    assert abs(wcr["se"] - se_cr1) < 1e-8 * max(1, se_cr1), (coef, wcr["se"], se_cr1)
    return {"p_wild_bootstrap": wcr["p_value"], "ci_wild_bootstrap": list(wcr["ci"])}


# %% [markdown]
# `report` adds one row to `results.json`: the estimate with its CV3 standard error and
# interval, the CR1 standard error, the bootstrap, and the planted value of what this estimator
# targets (`truth`, null on real data).


# %%
def report(name, estimand, fit, coef, frame, y, X, names, truth, basis, absorb=None):
    groups = None if absorb is None else frame[absorb].to_numpy()
    se_cr1 = float(fit.std_errors[coef] if hasattr(fit, "std_errors") else fit.bse[coef])
    b, se, ci, jack = cv3(fit, coef, frame, y, X, names, groups)
    extra = {"ci_method": CI_METHOD, "se_cr1": se_cr1, "n_clusters": jack["n_clusters"],
             "cluster": cluster, "dof": int(fit.df_resid),
             "truth_basis": basis if truth is not None else "none"}  # fmt: skip
    if bootstrap_reps:
        extra.update(wild(fit, coef, frame, y, X, names, groups, se_cr1))
    rows.append(results.estimate(name, estimand, b, se, ci, int(fit.nobs), truth=truth,
                                 preferred=name == PREFERRED, **extra))  # fmt: skip


# %% [markdown]
# `ols` fits a model with the controls and cohort effects; `within_sets` absorbs the set
# effects. Both pass the fit to `report`.


# %%
def ols(frame, rhs, name, estimand, coef, truth, basis="parameter"):
    formula = "y ~ " + " + ".join(varying(frame, rhs + CONTROLS)) + " + C(application_cycle)"
    fit = smf.ols(formula, frame, missing="raise").fit(
        cov_type="cluster", cov_kwds={"groups": frame.cl}
    )
    m = fit.model
    report(name, estimand, fit, coef, frame, m.endog, m.exog, m.exog_names, truth, basis)


def within_sets(frame, set_col, rhs, name, estimand, coef, truth, basis="parameter"):
    fit, d = within(frame, set_col, "y", rhs + CONTROLS)
    names = list(fit.params.index)  # without any control the set effects absorb
    report(name, estimand, fit, coef, d, d.y.to_numpy(), d[names].to_numpy(float), names,
           truth, basis, absorb=set_col)  # fmt: skip
    return d  # the fit itself is not kept: Binder has 1 GB


# %% [markdown]
# **The return to selectivity.** The planted effect is 0.03 log points per SD of the *course's*
# standard offer, the same for everyone (`truth.json`), so each of the four estimators of it
# targets that number. With `selectivity = "provider_tariff"` the regressor is a provider
# average, which has no planted coefficient: `truth` is then null.

# %%
TRUTH_SEL = None
if planted is not None and selectivity == "course_tariff":
    TRUTH_SEL = planted["selectivity_return_per_sd"]
E2 = "return per SD of course selectivity (entrants)"
ols(entrants, ["sel"], "naive_ols", E2, "sel", TRUTH_SEL)
exact_sample = within_sets(entrants, "set_exact", ["sel"], "matched_exact", E2, "sel", TRUTH_SEL)
coarse_sample = within_sets(entrants, "set_coarse", ["sel"], "matched_coarse", E2, "sel", TRUTH_SEL)
ols(entrants, ["sel", "mean_app_sel", "n_app", "n_offer"], "self_revelation", E2, "sel", TRUTH_SEL)

# %% [markdown]
# **Going to university at all.** Among applicants who were placed (they accepted an offer), some
# do not enrol. Comparing enrolees with non-enrolees *in the same exact set* identifies the return
# to entering HE if, given the set, not taking up the place is as good as random (a family or
# local-job shock, say). That is a strong assumption on real data: state it. The naive comparison
# uses every applicant with the same controls. Both are clustered by the provider of the place
# (or the chosen `cluster`); in the naive model, applicants without a place form one cluster.
#
# The planted effect of entering HE is 0.15 log points plus 0.03 per SD of the selectivity of
# the course entered (`truth.json`), so what an estimator targets depends on whom it compares:
# `he_truth` averages it over the entrants in the estimator's sample.


# %%
def he_truth(frame):
    """The planted effect of entering HE, averaged over the entrants in `frame` whose course is
    known; None on real data or for an outcome without a planted effect."""
    if planted is None:
        return None
    course = frame.course_sel[(frame.he == 1) & frame.course_sel.notna()]
    return planted["he_return"] + planted["selectivity_return_per_sd"] * course.mean()


E1 = "return to entering HE among the entrants compared (applicants)"
applicants_a = analysis.copy()
placed_cluster = applicants_a[CLUSTER_COLUMN]
if cluster == "provider":
    placed_cluster = placed_cluster.fillna("not placed")
applicants_a["cl"] = pd.factorize(placed_cluster)[0]
ols(applicants_a, ["he"], "he_naive_ols", E1, "he", he_truth(applicants_a), "sample")
holders = applicants_a[applicants_a.accept_flag == 1].copy()
holders["cl"] = pd.factorize(holders[CLUSTER_COLUMN])[0]
holders_in_sets = holders[holders.groupby("set_exact").set_exact.transform("size") > 1]
holders_sample = within_sets(holders, "set_exact", ["he"], "he_within_sets", E1, "he",
                             he_truth(holders_in_sets), "sample")  # fmt: skip

# %% [markdown]
# ### Side by side
#
# Every estimate with its CV3 standard error and t(G-1) interval, the CR1 standard error, the
# number of clusters and, on the synthetic extract, the planted value it targets:

# %%
table = pd.DataFrame(rows).set_index("name")
table["N"] = sdc.round_half_up(table.n.to_numpy(float)).astype(int)
show = ["estimate", "se", "se_cr1", "ci", "N", "n_clusters", "truth", "preferred"]
if bootstrap_reps:
    show.insert(4, "p_wild_bootstrap")
side = table[show].copy()
side["ci"] = [f"[{lo:.3f}, {hi:.3f}]" for lo, hi in table.ci]
outputs.show("estimates", side.round(3), models=rows, index=True,
             description="every estimate of section 5 with CV3 and CR1 SEs")  # fmt: skip

# %% [markdown]
# Two helpers draw the figure: one panel of estimates, and the legend.


# %%
def plot_estimates(ax, names, title):
    """One panel: estimates with 95% intervals, the design's estimate in bold, planted values
    as black bars."""
    for i, name in enumerate(names):
        r, bold = table.loc[name], name in BOLD
        ax.errorbar(r.estimate, i, xerr=[[r.estimate - r.ci[0]], [r.ci[1] - r.estimate]],
                    fmt="o", color="tab:red" if "naive" in name else "tab:blue", capsize=3,
                    ms=8 if bold else 5, lw=2.4 if bold else 1.2)  # fmt: skip
        if r.truth is not None and not pd.isna(r.truth):
            ax.plot(r.truth, i, marker="|", color="black", markersize=18, mew=2.5, zorder=1)
    ax.set_yticks(range(len(names)), [LABELS[n] + (" (preferred)" if n == PREFERRED else "")
                                      for n in names])  # fmt: skip
    for label, name in zip(ax.get_yticklabels(), names):
        label.set_fontweight("bold" if name in BOLD else "normal")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_title(title, fontsize=10, loc="left")


# %% [markdown]
# The legend says what the colours and the black bars mean.


# %%
def legend_handles():
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color="tab:red", marker="o", label="naive comparison"),
        Line2D([], [], color="tab:blue", marker="o", label="design using the applications"),
    ]
    if table.truth.notna().any():
        handles.append(
            Line2D([], [], color="black", marker="|", ls="", ms=12, mew=2.5, label="planted value")
        )
    return handles  # fmt: skip


# %% [markdown]
# The same estimates as a picture: each dot is an estimate with its 95% CV3 interval; the
# preferred estimate, and the within-set estimate of the return to HE, are in bold; a black bar
# marks the planted value where there is one.

# %% tags=["nbval-ignore-output"]
LABELS = {
    "naive_ols": "naive OLS, all entrants",
    "self_revelation": "self-revelation controls",
    "matched_coarse": "coarsened application sets",
    "matched_exact": "exact application-and-offer sets",
    "he_naive_ols": "naive OLS, all applicants",
    "he_within_sets": "offer-holders within exact sets",
}
BOLD = {PREFERRED, "he_within_sets"}
PANELS = [("Return to course selectivity\n(log points of pay per SD of entry requirements)",
           ["naive_ols", "self_revelation", "matched_coarse", "matched_exact"]),
          ("Return to entering HE\n(log points of pay)", ["he_naive_ols", "he_within_sets"])]  # fmt: skip
fig, axes = plt.subplots(2, 1, figsize=(8.5, 5), height_ratios=[4, 2.4])
for ax, (title, names) in zip(axes, PANELS):
    plot_estimates(ax, names, title)
axes[-1].set_xlabel("estimate and 95% interval (CV3 standard errors, t(G-1))")
fig.legend(handles=legend_handles(), loc="lower center", ncol=3, frameon=False)
fig.tight_layout(rect=(0, 0.07, 1, 1))
plotted = table.loc[list(LABELS), ["estimate", "ci", "truth"]].reset_index()
outputs.figure("coefficients", fig, table=plotted, models=[r for r in rows if r["name"] in LABELS],
               description="the estimates of section 5 with 95% intervals")  # fmt: skip
plt.show()

# %% [markdown]
# ### What the estimates say
#
# The sentences below are written by the code from the estimates above (`leokit.notebook.say`),
# so they change with the data; `results.json` keeps them with the numbers they quote.

# %%
COVERS_WORDS = {"inside": "95% interval {ci} contains it", "outside": "95% interval {ci} misses it"}
COMPARE_WORDS = {code: f"The naive estimate lies {code} the preferred interval {{ci}}"
                 for code in ("above", "below", "inside")}  # fmt: skip
ORDER_WORDS = {"larger": "above", "smaller": "below", "equal": "equal to"}
OTHER_WORDS = {"inside": "its interval {ci} contains the planted return",
               "outside": "its interval {ci} misses the planted return"}  # fmt: skip
e = {r["name"]: r for r in rows}
best, crude = e[PREFERRED], e["naive_ols"]
say(f"**Selectivity.** The naive estimate is {quote(crude)} log points per SD of entry "
    f"requirements; the preferred design ({LABELS[PREFERRED]}) gives {quote(best)}, "
    f"{sign(best)}. {compare(crude, best, words=COMPARE_WORDS)}.", id="selectivity")  # fmt: skip
if TRUTH_SEL is not None:
    say(f"The planted return is {quote(best, 'truth')} per SD: the preferred estimate's "
        f"{covers(best, words=COVERS_WORDS)}, and the naive estimate's "
        f"{covers(crude, words=COVERS_WORDS)}.", id="selectivity_truth")  # fmt: skip
others = [e[n] for n in ("matched_coarse", "self_revelation", "matched_exact") if n != PREFERRED]
say("The other designs give " + " and ".join(
    f"{quote(o)} ({LABELS[o['name']]}" + (f"; {covers(o, words=OTHER_WORDS)})"
                                          if o["truth"] is not None else ")") for o in others
) + ".", id="selectivity_others")  # fmt: skip

# %% [markdown]
# And for entering HE:

# %%
he, he_crude = e["he_within_sets"], e["he_naive_ols"]
say(f"**Entering HE.** Among offer-holders in the same exact set, those who enrolled earn "
    f"{quote(he)} log points more, {sign(he)}; the naive comparison of entrants with all "
    f"other applicants gives {quote(he_crude)}, {sign(he_crude)}.", id="he")  # fmt: skip
if he["truth"] is not None:
    say(f"The planted effect for the entrants each compares is {quote(he, 'truth')} within sets "
        f"and {quote(he_crude, 'truth')} for the naive comparison: the within-set estimate's "
        f"{covers(he, words=COVERS_WORDS)}; the naive estimate is "
        f"{order(he_crude, he_crude, field_b='truth', words=ORDER_WORDS)} it and its "
        f"{covers(he_crude, words=COVERS_WORDS)}.", id="he_truth")  # fmt: skip

# %% [markdown]
# ## 6. Checks
#
# **How much of the naive premium goes?** The share of the naive selectivity coefficient that
# the preferred design removes (defined only when the preferred estimate lies between zero and
# the naive one):

# %%
share = removed(crude, best, words={"share": "{share} of the naive premium",
                                    "none": "no share of the naive premium"})  # fmt: skip
say(f"The preferred design removes {share} ({quote(crude)} to {quote(best)}): what it removes "
    "is the part of the naive premium that comes from who gets in.", id="selection_share")  # fmt: skip

# %% [markdown]
# **Does the premium fade?** Mountjoy and Hickman (2021) find selectivity premia that fade within a
# few years. Re-estimate the exact-set model with the outcome at each age in `fade_ages` (only
# cohorts old enough by the last tax year in the data contribute to the older ages).


# %%
def fade_row(age):
    """The exact-set estimate with the outcome at `age` (CV3 SE, t(G-1) interval), or None
    when fewer than 100 people have the outcome by the last tax year."""
    d = entrants.assign(y=outcome_at(entrants, age)).dropna(subset=["y"])
    if len(d) < 100:
        print(f"age {age}: too few people with the outcome by the last tax year; skipped")
        return None
    fit, used = within(d, "set_exact", "y", ["sel"] + CONTROLS)
    names = list(fit.params.index)
    b, se, (low, high), jack = cv3(fit, "sel", used, used.y, used[names].to_numpy(float),
                                   names, used.set_exact)  # fmt: skip
    row = {"age": age, "estimate": b, "se": se, "ci_low": low, "ci_high": high,
           "N": int(sdc.round_half_up(float(fit.nobs))),
           "cohorts": used.application_cycle.nunique()}  # fmt: skip
    model = {"name": f"fade age {age}", "n": fit.nobs, "dof": fit.df_resid,
             "n_clusters": jack["n_clusters"]}  # fmt: skip
    return row, model


# %% [markdown]
# One row per age:

# %%
fade_runs = [r for r in map(fade_row, fade_ages) if r is not None]
fade = pd.DataFrame([r for r, _ in fade_runs]).set_index("age")
outputs.show("fade_out", fade.round(3), models=[m for _, m in fade_runs], index=True,
             description="the exact-set estimate with the outcome at each age in fade_ages")  # fmt: skip
if len(fade) > 1:
    young, old = fade.iloc[0], fade.iloc[-1]
    moved = compare((old.estimate, None), (young.estimate, (young.ci_low, young.ci_high)),
                    words={c: f"which lies {c} the interval {{ci}} at age {fade.index[0]}"
                           for c in ("above", "below", "inside")})  # fmt: skip
    say(f"At age {fade.index[0]} the exact-set estimate is {quote(young.estimate)}; at age "
        f"{fade.index[-1]} it is {quote(old.estimate)}, {moved}.", id="fade")  # fmt: skip

# %% [markdown]
# **Who gains?** Dale and Krueger found larger returns to selective colleges for students from
# low-income families. Interact selectivity with free school meals at KS4 (within exact sets):

# %%
entrants["sel_x_fsm"] = entrants.sel * entrants.KS4_FSM
het, het_sample = within(entrants, "set_exact", "y", ["sel", "sel_x_fsm"] + CONTROLS)
het_table = pd.DataFrame(
    {"estimate": het.params[["sel", "sel_x_fsm"]], "CR1 SE": het.std_errors[["sel", "sel_x_fsm"]]}
).rename(index={"sel": "selectivity, not FSM", "sel_x_fsm": "extra for FSM pupils"})
outputs.show("fsm_heterogeneity", het_table.round(3), index=True,
             models=[{"name": "selectivity x FSM", "n": het.nobs, "dof": het.df_resid}])  # fmt: skip
fsm_entrants = outputs.checked(sdc.safe_counts, het_sample.assign(FSM=het_sample.KS4_FSM),
                               "FSM", unit="AE_ID", name="entrants in sets of 2+")  # fmt: skip
outputs.show("fsm_entrants", fsm_entrants, checks=[fsm_entrants], float_format="{:.0f}".format)

# %% [markdown]
# In words (the interval here is the CR1 one of the table, with normal critical values):

# %%
extra_fsm = het.params["sel_x_fsm"]
fsm_ci = (extra_fsm - 1.96 * het.std_errors["sel_x_fsm"],
          extra_fsm + 1.96 * het.std_errors["sel_x_fsm"])  # fmt: skip
say(f"The extra return to selectivity for pupils who had free school meals is "
    f"{quote(extra_fsm)} per SD, {sign((extra_fsm, fsm_ci))}.", id="fsm")  # fmt: skip

# %% [markdown]
# ## 7. What it means
#
# * **The naive premium mixes the course with who gets in.** Section 5 says, from this run's
#   numbers, how far the naive estimate lies from the exact-set one and, on the synthetic
#   extract, whether each interval contains the planted return. In Dale and Krueger (2002,
#   2014) and Mountjoy and Hickman (2021) the matched estimates are likewise far below the
#   naive ones. The slow test `tests/notebooks/test_notebook_01_montecarlo.py` repeats the
#   analysis on 100 freshly generated extracts and checks that the exact-set interval covers the
#   truth in 90-99% of them.
# * **Coarser matching holds less fixed.** Coarsened sets and the self-revelation controls do
#   not hold fixed the grades each offer asked for, so within them the course entered still
#   tracks whether an applicant met a demanding condition. Which way that biases them depends
#   on how placement depends on grades: only the exact application-and-offer set holds the
#   offers fixed. Section 5 says where they land in this run.
# * **Inference with few providers.** Report the CV3 interval with t(G-1) (section 5 says
#   why); CR1 standard errors are too small with few, unequal clusters.
# * **Grades after the sets matter.** Sets are fixed before results day, so firm-versus-insurance
#   placement depends on achieved grades; exercise 2 shows the exact-set estimate without KS5
#   points. With real UCAS data, also condition on whether the firm's conditions were met, or
#   use the Kirkeboen, Leuven and Mogstad (2016) design around the conditions.
# * **Does HE pay?** The within-set comparison of enrolees with offer-holders who did not take
#   up their place rests on non-take-up being as good as random within a set. That holds by
#   construction in the synthetic world; on real data it is the weak point. The naive comparison
#   of entrants with all other applicants, even with prior-attainment controls, compares
#   entrants with applicants who had no offer at all, and its bias has no fixed sign. For
#   England the benchmark is the IFS estimate at age 29 with rich controls (Belfield et al.
#   2018: about 26% for women and 6% for men), and for selectivity the conditional Russell
#   Group premium of about 10-13% (Belfield et al., June 2018), which has no application-set
#   control and so is closer to our naive estimate in spirit.
# * **On the real data** the sets are sparser (about 130 providers and tens of thousands of
#   courses), so fewer people sit in non-singleton sets; the cluster count is larger (inference
#   improves) but the selectivity measure must be built from published entry tariffs; earnings
#   at 26-29 limit the cohorts; and DfE's sustained-employment definition uses its own
#   treatment of self-assessment, which `leokit.derive` approximates.
#
# ## 8. Disclosure control
#
# Every table and figure above was registered with `outputs` (`leokit.release`) as it was shown:
# counts rounded to 5 with cells under 10 suppressed and rates and medians checked by
# `leokit.sdc` (the linkage flow, decisions, sets, FSM entrants), or model estimates. For model
# output the SRS applies rules of thumb: each estimate must rest on at least 10 people and 10
# residual degrees of freedom; `outputs` checks both for every estimate shown and would refuse
# to finish if one failed. What is registered so far (the report, `output_check.md`, is written
# at the end):

# %%
print(outputs.summary().to_string(index=False))

# %% [markdown]
# ## Exercises
#
# **1.** Cluster by application set instead of provider (`cluster="set"` when you run the whole
# notebook, or refit below). How do the standard error and the t(G-1) interval of the exact-set
# estimate change, and why is the provider the better choice here?

# %%

# %% tags=["solution"]
sol = exact_sample.assign(cl=pd.factorize(exact_sample.set_exact)[0])
by_set, _ = within(sol, "set_exact", "y", ["sel"] + CONTROLS)
print(f"CR1 SE with provider clusters {table.se_cr1['matched_exact']:.4f} "
      f"(G = {exact_sample.cl.nunique()}); with set clusters {by_set.std_errors['sel']:.4f} "
      f"(G = {sol.cl.nunique()})")  # fmt: skip
# Clustering should follow the level at which the treatment varies and errors are shared:
# selectivity is a property of the course and provider, and a provider's graduates share pay
# shocks (local labour market, reputation). Set clusters allow for correlation among people
# with the same applications but not among a provider's graduates from different sets, so
# their standard error understates the uncertainty whatever it prints. Keep provider clusters,
# and with few of them report the CV3 interval with t(G-1), as section 5 does.

# %% [markdown]
# **2.** Drop KS5 points from the controls and re-estimate the exact-set model. What happens, and
# what does it say about UCAS sets fixed before results day?

# %%

# %% tags=["solution"]
no_ks5 = [c for c in CONTROLS if c not in KS5.columns]
fit, _ = within(entrants, "set_exact", "y", ["sel"] + no_ks5)
print(
    f"exact sets without KS5 points: {fit.params['sel']:.3f} (CR1 SE {fit.std_errors['sel']:.3f})"
)
if TRUTH_SEL is not None:
    say(f"Without KS5 points the exact-set estimate is {quote(fit.params['sel'])}, "
        f"{order(fit.params['sel'], TRUTH_SEL, words=ORDER_WORDS)} the planted "
        f"{quote(TRUTH_SEL)}.", id="exercise_no_ks5")  # fmt: skip
# Whether an applicant met the firm's conditions decides the course within a set, and achieved
# grades carry ability, which also raises pay: without them the estimate picks that up.

# %% [markdown]
# **3.** Measure selectivity at the provider instead of the course: the provider's average
# standard offer, standardised (the notebook's `selectivity="provider_tariff"`). Refit the naive
# and exact-set models. Why does the exact-set estimate move, and what is it now an estimate of?

# %%

# %% tags=["solution"]
prov = courses.standard_offer_tariff.astype(float).groupby(courses.provider_id_anon).mean()
prov = (prov - prov.mean()) / prov.std(ddof=0)
alt = entrants.assign(sel=entrants.provider.map(prov))
naive_p = smf.ols(
    "y ~ sel + " + " + ".join(varying(alt, CONTROLS)) + " + C(application_cycle)", alt
).fit(cov_type="cluster", cov_kwds={"groups": alt.cl})
exact_p, _ = within(alt, "set_exact", "y", ["sel"] + CONTROLS)
raw = courses.standard_offer_tariff.astype(float)
within_share = 1 - raw.groupby(courses.provider_id_anon).transform("mean").var() / raw.var()
say(f"With the provider measure: naive {quote(naive_p.params['sel'])}, exact sets "
    f"{quote(exact_p.params['sel'])} (CR1 SE {quote(exact_p.std_errors['sel'])}); "
    f"{quote(within_share, percent=True)} of the variance of course tariffs lies within "
    "providers.", id="exercise_provider")  # fmt: skip
# Pay in this world depends on the course's own entry standard. The more of the variance lies
# within providers, the further the provider average is from the course studied: it measures
# the course with error, and the coefficient answers the institution question rather than the
# course one. It has no planted value (results.json gives null).

# %% [markdown]
# ## Results file
#
# `results.json` in `output_dir` (one shape for every notebook, with the sentences above and
# the numbers they quote), and the estimation samples for cross-checks in R or Stata in
# `work_dir`: they are record-level (pseudonymised keys), so they stay in your project area
# and never go to output checking. `outputs.finish()` writes the output-checking report and
# refuses if `output_dir` holds anything that was not checked.

# %%
no_ks5 = [c for c in CONTROLS if c not in KS5.columns]
sample = exact_sample[
    ["AE_ID", "y", "sel", "course_sel", "set_exact", "cl", "application_cycle", "KS5_TOTPTS",
     "KS4_URN_anon"] + no_ks5
]  # fmt: skip
sample.to_parquet(Path(work_dir) / "estimation_sample_exact.parquet", index=False)
he_columns = ["AE_ID", "y", "he", "course_sel", "accept_flag", "set_exact", "cl", "KS5_TOTPTS"]
he_sample = applicants_a[he_columns + no_ks5].assign(
    within_sets=applicants_a.AE_ID.isin(holders_sample.AE_ID).astype(int)
)
he_sample.to_parquet(Path(work_dir) / "estimation_sample_he.parquet", index=False)
outputs.results(PARAMETERS, rows, statements=notebook.statements())
print(len(rows), "estimates in results.json; preferred:", PREFERRED)
print(outputs.finish())
