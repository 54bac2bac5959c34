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
#
# **In plain words.** Graduates of highly selective courses earn more, but they were also
# stronger and more ambitious applicants to begin with. If we compare students who applied to the
# same courses and got the same offers, and who then went to different places, most of the
# apparent premium for selectivity disappears: on this synthetic extract it falls from about
# 0.11 log points per standard deviation of entry requirements to close to the true 0.03, because
# the naive comparison mixes the effect of the course with the kind of person who gets in. Going
# to university at all still pays: among offer-holders with the same applications, those who
# enrolled earn roughly a sixth more (the planted effect is 0.15 log points). One UK twist matters: offers are made before A-level results,
# so the comparison only works once achieved grades are held fixed too.

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
PREFERRED = {"exact": "matched_exact", "coarse": "matched_coarse"}.get(
    set_definition, "self_revelation"
)
LOG_OUTCOME = outcome != "sustained_employment"

# %%
import json
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from linearmodels.iv.absorbing import AbsorbingLS

from leokit import derive, inference, results, sdc
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

# %%
flow = []  # (step, people kept): nothing is dropped silently


def keep(step, frame, unit="AE_ID"):
    flow.append((step, frame[unit].nunique()))
    return frame


pmr = ex.read("learner_ae_id_to_pmr_lookup").rename(columns={"PUPILMATCHINGREFANONYMOUS": "PMR"})
edukey = ex.read("learner_ae_id_to_edukey_lookup")

applicants = ex.read(
    "ucas_applicant",
    columns=[
        "unique_id_cycle",
        "PupilMatchingRefAnonymous",
        "application_cycle",
        "applicant_gender_code",
        "accept_flag",
        "accepted_course_identifier",
    ],
)
applicants = applicants[applicants.application_cycle.isin(cohorts)]
flow.append(("UCAS applications (applicant x cycle)", applicants.unique_id_cycle.nunique()))
applicants = applicants.merge(pmr, left_on="PupilMatchingRefAnonymous", right_on="PMR")
# someone who applied in two cycles is kept at the first
applicants = applicants.sort_values(["AE_ID", "application_cycle"]).drop_duplicates("AE_ID")
applicants = keep("people: applicants linked through PMR -> AE_ID", applicants)

# %% [markdown]
# **Selectivity.** A course's selectivity is its published standard offer in UCAS tariff points
# (`lookup_ucas_course.standard_offer_tariff`), standardised across courses (mean 0, SD 1), so
# coefficients are per standard deviation of entry requirements. The alternative,
# `provider_tariff`, uses the provider's average over its courses, closer to the institution-level
# rankings used in much of the literature.

# %%
courses = ex.read("lookup_ucas_course")
tariff = courses.standard_offer_tariff.astype(float)
if selectivity == "provider_tariff":
    tariff = tariff.groupby(courses.provider_id_anon).transform("mean")
courses["sel"] = (tariff - tariff.mean()) / tariff.std(ddof=0)
courses["band"] = pd.qcut(courses.sel.rank(method="first"), coarse_bands, labels=False) + 1

choices = ex.read(
    "ucas_application",
    columns=[
        "unique_id_cycle",
        "course_identifier",
        "application_route_code",
        "june30_hep_decision_code",
        "offer_tariff",
    ],
)
# main-scheme choices only: Extra and Clearing come after the offers we condition on
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
    choices.course_identifier
    + ":"
    + choices.june30_hep_decision_code
    + choices.offer_tariff.astype(str)
)
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
placed = courses[["course_identifier", "provider_id_anon", "sel"]].rename(
    columns={"course_identifier": "accepted_course_identifier", "provider_id_anon": "provider"}
)
applicants = applicants.merge(placed, how="left", on="accepted_course_identifier")
applicants = keep("... with main-scheme choices", applicants)

# %% [markdown]
# **School records.** KS4 has duplicate rows for some pupils (re-sits and school moves): keep
# the end-of-key-stage row with the best points. KS5 points are the best over the pupil's rows.
# Year of birth comes from the spring census; the outcome year is the tax year that starts in
# the calendar year the person turns `outcome_age`.

# %%
ks4 = ex.read(
    "ks4pupil_2002_to_2014",
    columns=[
        "KS4_PupilMatchingRefAnonymous",
        "KS4_URN_anon",
        "KS4_ENDKS",
        "KS4_FSM",
        "KS4_IDACI",
        "KS4_PTSCNEWE",
    ],
)
ks4 = ks4[ks4.KS4_ENDKS == 1].merge(pmr, left_on="KS4_PupilMatchingRefAnonymous", right_on="PMR")
ks4 = ks4.sort_values("KS4_PTSCNEWE", ascending=False).drop_duplicates("AE_ID")
ks5 = ex.read("ks5student_2003_to_2014", columns=["KS5_PupilMatchingRefAnonymous", "KS5_TOTPTS"])
ks5 = ks5.merge(pmr, left_on="KS5_PupilMatchingRefAnonymous", right_on="PMR")
ks5 = ks5.groupby("AE_ID", as_index=False).KS5_TOTPTS.max()
census = ex.read("spring_census", columns=["pupilmatchingrefanonymous", "yearofbirth"])
census = census.merge(pmr, left_on="pupilmatchingrefanonymous", right_on="PMR")
born = census.groupby("AE_ID", as_index=False).yearofbirth.min()

df = applicants.merge(
    ks4[["AE_ID", "KS4_URN_anon", "KS4_FSM", "KS4_IDACI", "KS4_PTSCNEWE"]], on="AE_ID"
)
df = keep("... with a KS4 record", df)
df = keep("... with KS5 points", df.merge(ks5, on="AE_ID"))
df = keep("... with a year of birth (census)", df.merge(born, on="AE_ID"))

# %% [markdown]
# **Entry to HE** is a first-degree instance in its first year in any `hesa_YYYY` view
# (`HE_XLEV601 = 4`, `HE_YEARSTU = 1`); completion is a first-degree qualification obtained.

# %%
hesa = ex.read(
    "hesa",
    columns=[
        "HE_PUPILMATCHINGREFANONYMOUS",
        "HE_XINSTID01__ANON",
        "HE_XLEV601",
        "HE_YEARSTU",
        "HE_XQOBTN01",
    ],
)
hesa = hesa.merge(pmr, left_on="HE_PUPILMATCHINGREFANONYMOUS", right_on="PMR")
entered = set(hesa.AE_ID[(hesa.HE_XLEV601 == 4) & (hesa.HE_YEARSTU == 1)])
completed = set(hesa.AE_ID[hesa.HE_XQOBTN01.isin(FIRST_DEGREE_QUALS)])
df["he"] = df.AE_ID.isin(entered).astype(int)
df["degree"] = df.AE_ID.isin(completed).astype(int)
df["female"] = (df.applicant_gender_code == "F").astype(int)
del hesa, ks4, ks5, census, choices

# %% [markdown]
# **Earnings.** `leo_earnings` has one row per EDUKEY and tax year; a person with two EDUKEYs
# has two rows in some years, so pay is summed over the person's keys. Sustained employment is
# the DfE definition (PAYE employment in at least five of the six months October to March, or a
# self-assessment record), and annualised pay divides pay by the days employed in the tax year,
# both from `leokit.derive`. No row in `leo_earnings` means no PAYE pay that year, not missing.
#
# Outcome definitions (`outcome`):
# * `log_earnings_sustained`: log annualised PAYE pay in a year of sustained employment (DfE's
#   headline measure; the planted effects are on log full-year pay, which this recovers);
# * `log_earnings_any`: log of the year's PAYE pay if positive (part-years included);
# * `sustained_employment`: 1 if in sustained employment, else 0 (a linear probability model).

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


df["y"] = outcome_at(df, outcome_age)
analysis = keep(f"... with the outcome at age {outcome_age} ({outcome})", df[df.y.notna()])
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
flow_table = release.round_counts(pd.DataFrame(flow, columns=["step", "people"]), ["people"],
                                  label="step", title="people kept at each link")  # fmt: skip
outputs.show("linkage_flow", flow_table, checks=[flow_table])

# %% [markdown]
# Most of the loss is by design: applicants who have not reached `outcome_age` by the last tax
# year in the data, and people not in sustained employment at that age. A few percent are lost
# to keys that do not link (orphan PMRs and EDUKEYs, pupils educated outside the NPD): in the
# SRS, compare these rates with the linkage rates DfE publishes.
#
# ## 2. The naive estimate
#
# Among entrants, regress the outcome on the selectivity of the course entered, with prior
# attainment (KS4 points, and a dummy for each level of KS5 points), free school meals, area
# deprivation (IDACI), sex and cohort as controls.

# %%
# Achieved A-level grades decide placement in steps (met the firm's conditions or not), so KS5
# points enter as a dummy for each value (for each of 30 quantile bins when there are more).
ks5 = analysis.KS5_TOTPTS
if ks5.nunique() > 30:
    ks5 = pd.qcut(ks5, 30, duplicates="drop")
KS5 = pd.get_dummies(pd.Categorical(ks5).codes, prefix="ks5", dtype=float)
KS5.index = analysis.index
analysis = analysis.join(KS5)
CONTROLS = ["KS4_PTSCNEWE", "KS4_FSM", "KS4_IDACI", "female"] + list(KS5.columns)


def varying(frame, columns):
    """The columns with variation in `frame`, leaving out the first KS5 dummy present there
    (the reference level: a subsample may lack some levels)."""
    out = [c for c in columns if frame[c].nunique() > 1]
    dummies = [c for c in out if c in KS5.columns]
    return [c for c in out if c != (dummies[0] if dummies else None)]


CLUSTER_COLUMN = {"provider": "provider", "school": "KS4_URN_anon", "set": "set_exact"}[cluster]
truth = {}
if isinstance(extract, str) and (Path(extract) / "truth.json").exists():
    truth = json.loads((Path(extract) / "truth.json").read_text())["returns_to_he"]
# the planted effects are on log full-year pay; other outcomes have no stated truth
TRUTH_SEL = truth.get("selectivity_return_per_sd") if outcome == "log_earnings_sustained" else None
TRUTH_HE = truth.get("he_return") if outcome == "log_earnings_sustained" else None

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
set_checks = [outputs.checked(sdc.safe_counts, members, "sets", unit="set", name="number of sets")]
for col in ("share in sets of 2+", "share in sets where selectivity varies"):
    set_checks.append(
        outputs.checked(sdc.safe_stat, members, "sets", col, stat="mean", unit="AE_ID")
    )
set_table = set_checks[0].set_index("sets")
for check, col in zip(
    set_checks[1:], ("share in sets of 2+", "share in sets where selectivity varies")
):
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
# used for the placement, should be balanced.


# %%
def within(frame, set_col, y, rhs):
    """OLS of y on rhs with set effects absorbed; singleton sets dropped first."""
    d = frame[frame.groupby(set_col)[set_col].transform("size") > 1]
    rhs = varying(d, rhs)
    model = AbsorbingLS(d[y], d[rhs], absorb=d[[set_col]].astype("category"), drop_absorbed=True)
    fit = model.fit(cov_type="clustered", clusters=d.cl.to_numpy(), debiased=True)
    return fit, d


entrants["ks4_z"] = (
    entrants.KS4_PTSCNEWE - entrants.KS4_PTSCNEWE.mean()
) / entrants.KS4_PTSCNEWE.std()


def slope(fit):
    se = fit.std_errors if hasattr(fit, "std_errors") else fit.bse
    return fit.params["sel"], se["sel"]


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
# the level at which selectivity varies. There are only about 30 providers, of very different
# sizes, and then the usual CR1 standard error (`debiased=True`: the factor
# G/(G-1)(N-1)/(N-K), K counting the absorbed set effects, as Stata's `reghdfe` and pyfixest
# do) is too small. We report it (`se_cr1`) but use the **CV3 cluster jackknife**
# (leave one provider out, refit, and measure the spread: MacKinnon, Nielsen and Webb 2023)
# with t(G-1) critical values for the intervals, and add the **wild cluster bootstrap**
# (restricted, Rademacher weights, CR1 t-statistic) p-value and interval. In Stata:
# `reghdfe ..., vce(cluster provider)` then `boottest sel`; `summclust` gives CV3.

# %%
rows = []


def report(name, estimand, fit, coef, frame, y, X, names, truth, absorb=None):
    """Add one estimate: CV3 (jackknife) SE and t(G-1) interval, the CR1 SE, and the wild
    cluster bootstrap. X is the design without absorbed effects; `absorb` names them."""
    b = float(fit.params[coef])
    se_cr1 = float(fit.std_errors[coef] if hasattr(fit, "std_errors") else fit.bse[coef])
    clusters = frame.cl.to_numpy()
    groups = None if absorb is None else frame[absorb].to_numpy()
    jack = inference.cluster_jackknife(y, X, clusters, names.index(coef), absorb=groups)
    assert abs(jack["estimate"] - b) < 1e-8, (name, jack["estimate"], b)
    low, high = inference.t_interval(b, jack["se"], jack["n_clusters"])
    extra = {"se_cr1": se_cr1, "n_clusters": jack["n_clusters"], "cluster": cluster,
             "dof": int(fit.df_resid)}  # fmt: skip
    if bootstrap_reps:
        if groups is not None:  # partial the set effects out once (Frisch-Waugh-Lovell)
            y, X = inference.demean(y, groups), inference.demean(X, groups)
        wcr = inference.wild_cluster_bootstrap(
            y, X, clusters, names.index(coef), reps=bootstrap_reps, seed=seed,
            k_absorbed=int(fit.df_model) - len(names) if groups is not None else 0,
        )  # fmt: skip
        assert abs(wcr["se"] - se_cr1) < 1e-8 * max(1, se_cr1), (name, wcr["se"], se_cr1)
        extra.update(p_wild_bootstrap=wcr["p_value"], ci_wild_bootstrap=list(wcr["ci"]))
    rows.append(
        results.estimate(
            name, estimand, b, jack["se"], (low, high), int(fit.nobs), truth=truth,
            preferred=name == PREFERRED, **extra,
        )
    )  # fmt: skip


def ols(frame, rhs, name, estimand, coef, truth):
    formula = "y ~ " + " + ".join(varying(frame, rhs + CONTROLS)) + " + C(application_cycle)"
    fit = smf.ols(formula, frame, missing="raise").fit(
        cov_type="cluster", cov_kwds={"groups": frame.cl}
    )
    m = fit.model
    report(name, estimand, fit, coef, frame, m.endog, m.exog, m.exog_names, truth)


def within_sets(frame, set_col, rhs, name, estimand, coef, truth):
    fit, d = within(frame, set_col, "y", rhs + CONTROLS)
    names = list(fit.params.index)  # without any control the set effects absorb
    report(name, estimand, fit, coef, d, d.y.to_numpy(), d[names].to_numpy(float), names,
           truth, absorb=set_col)  # fmt: skip
    return d  # the fit itself is not kept: Binder has 1 GB


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

# %%
E1 = "return to entering HE (applicants)"
applicants_a = analysis.copy()
applicants_a["cl"] = pd.factorize(
    applicants_a[CLUSTER_COLUMN].fillna("not placed")
    if cluster == "provider"
    else applicants_a[CLUSTER_COLUMN]
)[0]
ols(applicants_a, ["he"], "he_naive_ols", E1, "he", TRUTH_HE)
holders = applicants_a[applicants_a.accept_flag == 1].copy()
holders["cl"] = pd.factorize(holders[CLUSTER_COLUMN])[0]
holders_sample = within_sets(holders, "set_exact", ["he"], "he_within_sets", E1, "he", TRUTH_HE)

# %% [markdown]
# ### Side by side

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

# %% tags=["nbval-ignore-output"]
fig, ax = plt.subplots(figsize=(7, 3.6))
order = [
    "naive_ols",
    "matched_coarse",
    "self_revelation",
    "matched_exact",
    "he_naive_ols",
    "he_within_sets",
]
for i, name in enumerate(order):
    r = table.loc[name]
    colour = "tab:red" if "naive" in name else "tab:blue"
    ax.errorbar(
        r.estimate,
        i,
        xerr=[[r.estimate - r.ci[0]], [r.ci[1] - r.estimate]],
        fmt="o",
        color=colour,
        capsize=3,
    )
    if r.truth is not None and not pd.isna(r.truth):
        ax.plot(r.truth, i, marker="|", color="black", markersize=14)
ax.set_yticks(range(len(order)), order)
ax.axvline(0, color="grey", lw=0.8)
ax.invert_yaxis()
ax.set_xlabel("effect on the outcome (log points for earnings), 95% CI with t(G-1)")
ax.set_title("Returns to selectivity and to HE: naive versus matched (| = planted truth)")
fig.tight_layout()
plotted = table.loc[order, ["estimate", "ci", "truth"]].reset_index()
outputs.figure("coefficients", fig, table=plotted, models=[r for r in rows if r["name"] in order],
               description="the estimates of section 5 with 95% intervals")  # fmt: skip
plt.show()

# %% [markdown]
# ## 6. Checks
#
# **How much of the naive premium goes?** The share of the naive selectivity coefficient that
# the preferred design removes:

# %%
b = table.estimate
print(
    f"naive {b['naive_ols']:.3f} -> {PREFERRED} {b[PREFERRED]:.3f}: "
    f"{1 - b[PREFERRED] / b['naive_ols']:.0%} of the naive premium is selection"
)

# %% [markdown]
# **Does the premium fade?** Mountjoy and Hickman (2021) find selectivity premia that fade within a
# few years. Re-estimate the exact-set model with the outcome at each age in `fade_ages` (only
# cohorts old enough by the last tax year in the data contribute to the older ages).

# %%
fade, fade_models = [], []
for age in fade_ages:
    d = entrants.assign(y=outcome_at(entrants, age)).dropna(subset=["y"])
    if len(d) < 100:
        print(f"age {age}: too few people with the outcome by the last tax year; skipped")
        continue
    fit, used = within(d, "set_exact", "y", ["sel"] + CONTROLS)
    names = list(fit.params.index)
    jack = inference.cluster_jackknife(
        used.y, used[names].to_numpy(float), used.cl, 0, absorb=used.set_exact
    )
    low, high = inference.t_interval(fit.params["sel"], jack["se"], jack["n_clusters"])
    fade.append(
        {
            "age": age,
            "estimate": fit.params["sel"],
            "se": jack["se"],
            "ci_low": low,
            "ci_high": high,
            "N": int(sdc.round_half_up(float(fit.nobs))),
            "cohorts": used.application_cycle.nunique(),
        }
    )
    fade_models.append({"name": f"fade age {age}", "n": fit.nobs, "dof": fit.df_resid,
                        "n_clusters": jack["n_clusters"]})  # fmt: skip
fade = pd.DataFrame(fade).set_index("age")
outputs.show("fade_out", fade.round(3), models=fade_models, index=True,
             description="the exact-set estimate with the outcome at each age in fade_ages")  # fmt: skip

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
# ## 7. What it means
#
# * **The naive premium is mostly selection.** Per standard deviation of entry requirements the
#   naive estimate is several times the matched-applicant one. On this synthetic extract the
#   truth is known (`truth.json`: 0.03 per SD on log full-year pay, and 0.15 for entering HE):
#   the exact-set interval contains it and the naive one is far off, as in Dale and Krueger
#   (2002, 2014) and Mountjoy and Hickman (2021). The slow test
#   `tests/test_notebook_01_montecarlo.py` repeats this on 100 freshly generated extracts and
#   checks that the exact-set interval covers the truth in 90-99% of them.
# * **Coarser matching is less reliable.** Coarsened sets and the self-revelation controls do
#   not hold fixed the grades each offer asked for, so within them the course entered still
#   tracks whether an applicant met a demanding condition. On this extract both land well below
#   the truth; over many freshly generated extracts they average a little below it (the
#   self-revelation model more so), so part of what you see here is chance and part is bias.
#   Dale and Krueger's coarse bands, and the simulation in our methods note, left an upward bias
#   instead: the sign depends on how placement depends on grades, and only the exact
#   application-and-offer set holds the offers fixed.
# * **Inference with 30 providers.** CV3 standard errors are larger than CR1 here. In the
#   Monte Carlo test (100 extracts) the nominal 95% interval built on CR1 covered the truth in
#   about 91% of them, the CV3 one in about 98%: with few, unequal clusters, take the cautious
#   one.
# * **Grades after the sets matter.** Sets are fixed before results day, so firm-versus-insurance
#   placement depends on achieved grades: without KS5 points the exact-set estimate stays well
#   above the truth (exercise 2). With real UCAS data, also condition on whether the firm's
#   conditions were met, or use the Kirkeboen, Leuven and Mogstad (2016) design around the
#   conditions.
# * **HE pays.** Among offer-holders in the same set, enrolees earn more than those who did not
#   take up their place. The identifying assumption (non-take-up is as good as random within a
#   set) is built into the synthetic world; on real data it is the weak point. The naive
#   comparison of entrants with all other applicants, even with prior-attainment controls, is
#   not a safe substitute: it compares entrants with applicants who had no offer at all. For
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
print(
    f"CR1 SE with provider clusters {table.se_cr1['matched_exact']:.4f} (G = {exact_sample.cl.nunique()}); "
    f"with set clusters {by_set.std_errors['sel']:.4f} (G = {sol.cl.nunique()})"
)
# Clustering should follow the level at which the treatment varies and errors are shared:
# selectivity is a property of the course and provider, and a provider's graduates share pay
# shocks (local labour market, reputation). Set clusters allow for correlation among people
# with the same applications but not among a provider's graduates from different sets. With
# thousands of set clusters the t(G-1) interval uses an almost normal critical value; with 30
# providers it does not, and the bootstrap p-value above is the safer guide.

# %% [markdown]
# **2.** Drop KS5 points from the controls and re-estimate the exact-set model. What happens, and
# what does it say about UCAS sets fixed before results day?

# %%

# %% tags=["solution"]
no_ks5 = [c for c in CONTROLS if c not in KS5.columns]
fit, _ = within(entrants, "set_exact", "y", ["sel"] + no_ks5)
print(f"exact sets without KS5 points: {fit.params['sel']:.3f} (SE {fit.std_errors['sel']:.3f})")
# About twice the truth: whether an applicant met the firm's conditions decides the course
# within a set, and achieved grades carry ability, which also raises pay.

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
print(
    f"provider measure: naive {naive_p.params['sel']:.3f}, exact sets {exact_p.params['sel']:.3f} "
    f"(SE {exact_p.std_errors['sel']:.3f})"
)
raw = courses.standard_offer_tariff.astype(float)
within_share = 1 - raw.groupby(courses.provider_id_anon).transform("mean").var() / raw.var()
print(f"share of the variance of course tariffs within providers: {within_share:.2f}")
# Pay in this world depends on the course's own entry standard. Here a provider's courses have
# similar standards, so the provider average is close to the course's and little moves. On the
# real data standards vary widely within a provider (medicine beside a foundation year); the
# provider average then measures the course studied with error, and the coefficient is smaller
# and answers the institution question rather than the course one.

# %% [markdown]
# ## Results file
#
# `results.json` in `output_dir` (one shape for every notebook), and the estimation sample for
# cross-checks in R or Stata in `work_dir`: it is record-level (pseudonymised keys), so it stays
# in your project area and never goes to output checking. `outputs.finish()` writes the
# output-checking report and refuses if `output_dir` holds anything that was not checked.

# %%
sample = exact_sample[
    ["AE_ID", "y", "sel", "set_exact", "cl", "application_cycle", "KS5_TOTPTS", "KS4_URN_anon"]
    + [c for c in CONTROLS if c not in KS5.columns]
]
sample.to_parquet(Path(work_dir) / "estimation_sample_exact.parquet", index=False)
outputs.results(PARAMETERS, rows)
print(len(rows), "estimates in results.json; preferred:", PREFERRED)
print(outputs.finish())
