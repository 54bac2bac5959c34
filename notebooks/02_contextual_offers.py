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
# # Are contextual offers good for individuals and for universities?
#
# **Question.** Many selective universities make lower ("contextual") offers to applicants from
# areas where few young people go to university. Does the lower offer change where those
# applicants study, whether they stay the course, the degree they get and what they earn; and
# what does it do to the university's own drop-out and degree statistics?
# **You will produce** regression-discontinuity estimates (first stage, intention to treat and
# the effect on compliers) at the eligibility cutoff on the area participation index, with RD
# plots and validity checks (density, balance, placebo cutoffs, bandwidths, donut, and the same
# discontinuity before the schemes existed); the "university view" beside the causal effect; an
# event study of the schemes' staggered adoption; and a `results.json`.
# **Runs** in Binder, on a laptop, and in the ONS Secure Research Service (SRS): point the
# `extract` parameter at the SQL Server views (see the parameters cell) and nothing else changes.
#
# **In plain words.** Applicants who live just on the eligible side of the cutoff are, on
# average, just like those who live just on the other side; the only difference is the lower
# offer. Comparing them shows that eligibility moves about a third of applicants to a
# participating university. Whether that move helps them is harder to see: on this synthetic
# extract the effects on drop-out, degree class and pay are too small, relative to the noise,
# to be told apart from zero, although we planted small benefits (slightly less drop-out,
# slightly higher pay). What is clear is that the university's own figures point the wrong
# way: its contextual entrants drop out more often than its other entrants, because they arrive
# with lower grades, not because the place harms them. Schemes raise the share of entrants
# from low-participation areas at once, and cost the university's continuation rate little.

# %% tags=["parameters"]
# Where the data is: a synthetic folder or DuckDB file. In the SRS use a dict:
# {"odbc": "DRIVER={SQL Server};SERVER=...;Trusted_Connection=yes", "schema": "<project>"}
extract = "../data_synthetic"
output_dir = "../output/02_contextual_offers"  # only checked outputs
work_dir = "../work/02_contextual_offers"  # record-level files, never released
cohorts = [2008, 2009, 2010, 2011, 2012]  # UCAS application cycles (with and before schemes)
provider_tier = "all"  # scheme providers studied: "all", "H" (higher tariff) or "M" (medium)
cutoff = None  # eligibility cutoff on the participation rate; None: the one most schemes use
sample = "scheme_applicants"  # headline: "scheme_applicants", "marginal_grade", "all_applicants"
bandwidth = "mserd"  # an rdrobust rule ("mserd", "msetwo", "cerrd", ...) or a fixed h in pp
polynomial = 1  # order of the local polynomial
kernel = "triangular"  # "triangular", "epanechnikov" or "uniform"
donut = 0.0  # leave out areas this close to the cutoff (percentage points)
outcomes = ["log_earnings", "dropout_year1", "continue_year2", "good_degree", "enrol_any"]
earnings_ages = [25, 26]  # ages (start of the tax year) over which log pay is averaged
cluster = "msoa"  # "msoa" (the area that sets eligibility), "local_authority" or "none"
vce = "cr3"  # cluster-robust variance: "cr1" (Stata's default), "cr2" or "cr3" (jackknife-like)
placebo_cutoffs = [-4.0, -2.0, 2.0, 4.0]  # fake cutoffs (pp from the real one), one side each
bootstrap_reps = 999  # multiplier bootstrap draws for the event-study band
seed = 20261128

# %% [markdown]
# ## Check the parameters
#
# papermill only warns about a name this notebook does not have, so a misspelt parameter would
# silently leave the default in place. This cell stops with one message listing every problem,
# before any applicant's record is loaded: unknown names and bad values, folders that cannot be
# written (`work_dir`, for record-level files, must lie outside `output_dir`, which holds only
# what may leave the SRS), a cutoff no scheme uses, cohorts without a scheme, pay ages nobody
# reaches, and a donut or placebo cutoff that leaves too few areas (from the public area lookup)
# for a regression discontinuity.

# %% tags=["checks"]
import numpy as np

from leokit import extract as lx
from leokit import notebook, release
from leokit.params import Param, duplicate_problems, refuse

SPEC = {
    "extract": Param((str, dict), help="a folder, a DuckDB file, or SRS connection settings"),
    "output_dir": Param(str, nonempty=True, help="folder for checked outputs"),
    "work_dir": Param(str, nonempty=True, help="folder for record-level files"),
    "cohorts": Param(list, nonempty=True, each=Param(int, between=(2000, 2030))),
    "provider_tier": Param(str, choices=["all", "H", "M"]),
    "cutoff": Param(float, between=(0, 1), none_ok=True, help="a participation rate, 0-1"),
    "sample": Param(str, choices=["scheme_applicants", "marginal_grade", "all_applicants"]),
    "bandwidth": Param((str, float), help="an rdrobust rule such as 'mserd', or a number (pp)"),
    "polynomial": Param(int, between=(1, 3)),
    "kernel": Param(str, choices=["triangular", "epanechnikov", "uniform"]),
    "donut": Param(float, between=(0, 10)),
    "outcomes": Param(
        list,
        nonempty=True,
        each=Param(
            str,
            choices=[
                "log_earnings",
                "dropout_year1",
                "continue_year2",
                "good_degree",
                "enrol_any",
            ],
        ),
    ),  # fmt: skip
    "earnings_ages": Param(list, nonempty=True, each=Param(int, between=(21, 40))),
    "cluster": Param(str, choices=["msoa", "local_authority", "none"]),
    "vce": Param(str, choices=["cr1", "cr2", "cr3"]),
    "placebo_cutoffs": Param(list, each=Param(float, between=(-30, 30))),
    "bootstrap_reps": Param(int, between=(99, 99999)),
    "seed": Param(int, between=(0, None)),
}
PARAMETERS = notebook.check(globals(), SPEC, "02_contextual_offers")
NAME = "02_contextual_offers"
MIN_AREAS = 20  # areas (mass points of x) wanted on each side of a cutoff for an RD
BW_RULES = ["mserd", "msetwo", "msesum", "msecomb1", "msecomb2"]
BW_RULES += [r.replace("mse", "cer") for r in BW_RULES]
FIXED_H = None if isinstance(bandwidth, str) else float(bandwidth)
problems = duplicate_problems("outcomes", outcomes)
problems += duplicate_problems("placebo_cutoffs", placebo_cutoffs)
if isinstance(bandwidth, str) and bandwidth not in BW_RULES:
    problems.append(f"bandwidth = {bandwidth!r} is neither one of {BW_RULES} nor a number")
if FIXED_H is not None and not FIXED_H > 0:
    problems.append(f"bandwidth = {bandwidth!r}: a fixed bandwidth must be positive (pp)")
elif FIXED_H is not None and donut >= FIXED_H:
    problems.append(f"donut = {donut}: it must be smaller than the bandwidth ({FIXED_H} pp), or "
                    "nothing is left to fit")  # fmt: skip
if 0 in placebo_cutoffs:
    problems.append("placebo_cutoffs: 0 is the real cutoff, not a placebo")
refuse(NAME, problems)

# %% [markdown]
# The schemes come from the public policy lookup: is there one at this cutoff (in this tier),
# in these cohorts, and do applicants of the first policy cycle reach the pay ages by the last
# tax year?

# %% tags=["checks"]
ex = lx.open_parameter(extract)
policy = ex.read("lookup_contextual_policy")
courses = ex.read("lookup_ucas_course")
tier_of = courses.drop_duplicates("provider_id_anon").set_index("provider_id_anon")
tier_of = tier_of.he_provider_tariff_group
on = policy[policy.contextual_scheme == 1]
if cutoff is None:
    # the cutoff most provider-cycles use (the lower quintile boundary in the synthetic world)
    CUT = float(on.eligibility_cutoff.round(4).value_counts().sort_index().idxmax())
else:
    CUT = float(cutoff)
scheme = on[np.isclose(on.eligibility_cutoff.astype(float), CUT, atol=5e-5)]
if provider_tier != "all":
    scheme = scheme[scheme.provider_id_anon.map(tier_of) == provider_tier]
if scheme.empty:
    used = sorted(on.eligibility_cutoff.round(4).unique())
    refuse(NAME, [f"cutoff = {cutoff}: no provider runs a scheme with cutoff {CUT} "
                  f"(provider_tier = {provider_tier!r}); cutoffs in lookup_contextual_policy: "
                  f"{used}"])  # fmt: skip
cycles = set(ex.read("ucas_applicant", columns=["application_cycle"]).application_cycle)
problems = [f"cohorts[{i}] = {c}: the extract has UCAS cycles {min(cycles)} to {max(cycles)}"
            for i, c in enumerate(cohorts) if c not in cycles]  # fmt: skip
POLICY_CYCLES = sorted(int(c) for c in scheme.application_cycle.unique() if c in cohorts)
if not POLICY_CYCLES:
    problems.append(f"cohorts = {cohorts} include no cycle with a scheme at cutoff {CUT}; "
                    f"schemes run in {sorted(scheme.application_cycle.unique())}")  # fmt: skip
else:
    first_tax_year, last_tax_year = notebook.tax_year_range(ex)
    oldest = last_tax_year // 100 - (min(POLICY_CYCLES) - 19)  # born in cycle - 19 at the earliest
    if "log_earnings" in outcomes and min(earnings_ages) > oldest:
        problems.append(f"earnings_ages = {earnings_ages}: applicants of cycle "
                        f"{min(POLICY_CYCLES)} are at most {oldest} by the last tax year "
                        f"({last_tax_year}); choose younger ages or drop log_earnings")  # fmt: skip
refuse(NAME, problems)

# %% [markdown]
# Everyone in an area shares its margin $x$, so a regression discontinuity rests on the areas
# near the cutoff. From the public area lookup: enough areas on each side beyond the donut
# (within a fixed bandwidth), and on both sides of each placebo cutoff. Only when all is well
# are the two folders created.

# %% tags=["checks"]
problems = []
areas = ex.read("lookup_area").drop_duplicates("MSOA11CD")
x_area = 100 * (CUT - areas.young_participation_rate.to_numpy(float))
reach = FIXED_H if FIXED_H is not None else np.inf
near = (np.abs(x_area) >= donut) & (np.abs(x_area) <= reach)
sides = (int((near & (x_area > 0)).sum()), int((near & (x_area < 0)).sum()))
if min(sides) < MIN_AREAS:
    problems.append(
        f"donut = {donut}" + (f", bandwidth = {bandwidth}" if FIXED_H else "")
        + f": only {min(sides)} areas are left on one side of the cutoff; an RD needs at least "
        f"{MIN_AREAS} (eligible areas reach {x_area.max():.1f} pp); use a smaller donut"
    )  # fmt: skip
for i, c in enumerate(placebo_cutoffs):
    side = (
        x_area[(x_area > 0) & (x_area >= donut)]
        if c > 0
        else x_area[(x_area < 0) & (x_area <= -donut)]
    )
    inner, outer = int((np.abs(side) < abs(c)).sum()), int((np.abs(side) > abs(c)).sum())
    if min(inner, outer) < MIN_AREAS:
        problems.append(
            f"placebo_cutoffs[{i}] = {c}: only {min(inner, outer)} areas on one side of it; "
            f"a placebo RD needs at least {MIN_AREAS} (areas run from {x_area.min():.1f} to "
            f"{x_area.max():.1f} pp)"
        )  # fmt: skip
refuse(NAME, problems)
outputs = release.Outputs(output_dir, work_dir, notebook=NAME)
CLUSTER_COLUMN = {"msoa": "MSOA11CD", "local_authority": "LAD_anon", "none": None}[cluster]
PREFERRED = f"late_{sample}_{outcomes[0]}"

# %%
import contextlib
import io
import json
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import statsmodels.formula.api as smf
from rdrobust import rdrobust

from leokit import derive, did, inference, rd, results, sdc
from leokit.schema.codes import A_LEVEL_TARIFF

warnings.filterwarnings("ignore", category=FutureWarning)
pd.set_option("display.width", 120)
print(ex)
SCHEME_PC = set(zip(scheme.provider_id_anon, scheme.application_cycle))
EVER = set(scheme.provider_id_anon)
REDUCTION = scheme.groupby("provider_id_anon").grade_reduction_tariff.first().astype(int)
PRE_CYCLES = [c for c in cohorts if c < min(scheme.application_cycle)]
print(
    f"cutoff {CUT}: {len(EVER)} providers ({provider_tier}) run a scheme with it; "
    f"policy cycles {POLICY_CYCLES}, earlier cycles {PRE_CYCLES}; offers reduced by "
    f"{sorted(int(r) for r in REDUCTION.unique())} tariff points"
)

# %% [markdown]
# ## 1. Build the analysis file
#
# The running variable is the **young participation rate of the applicant's home area** (the
# continuous index behind POLAR4 quintiles, for the middle-layer super output area, MSOA). A
# provider running a scheme lowers its offer, by one or two A-level grades, to applicants whose
# home area's rate is below its cutoff. UCAS records only the quintile, so the continuous rate
# has to come from the home address the school census holds, through the public area lookup.
#
# | step | view | key |
# |---|---|---|
# | the schemes: who, from which cycle, what cutoff, how many points off | `lookup_contextual_policy` (public, ingested) | provider x cycle |
# | applicants, their five choices, offers, predicted grades | `ucas_applicant`, `ucas_application`, `ucas_qualification`, `lookup_ucas_course` | `unique_id_cycle` |
# | to the person | `learner_ae_id_to_pmr_lookup` | PMR -> `AE_ID` |
# | home area in year 11, ethnicity, birth year | `spring_census_*` -> `lookup_area` | PMR -> `AE_ID`; LSOA -> MSOA |
# | KS4 points, free school meals, IDACI | `ks4pupil_2002_to_2014` | PMR -> `AE_ID` |
# | entry, provider, drop-out, continuation, degree class | `hesa_YYYY` | PMR -> `AE_ID` |
# | pay and sustained employment | `learner_ae_id_to_edukey_lookup`, `leo_earnings`, `leo_employment`, `leo_self_assessment` | EDUKEY -> `AE_ID` |

# %%
flow = []  # (step, people kept): nothing is dropped silently


def keep(step, frame, unit="AE_ID"):
    flow.append((step, frame[unit].nunique()))
    return frame


# %%
pmr = ex.read("learner_ae_id_to_pmr_lookup").rename(columns={"PUPILMATCHINGREFANONYMOUS": "PMR"})
edukey = ex.read("learner_ae_id_to_edukey_lookup")
applicants = ex.read(
    "ucas_applicant",
    columns=[
        "unique_id_cycle",
        "PupilMatchingRefAnonymous",
        "application_cycle",
        "applicant_gender_code",
        "applicant_polar4_code",
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
# **Home area.** The spring census of year 11 holds the pupil's home LSOA (a dual registration
# adds a duplicate row, `recordstatus` 101 and above, which we drop). `lookup_area` maps the LSOA
# to its MSOA and the MSOA's young participation rate. The running variable is the **margin**
#
# $$x = 100 \times (\text{cutoff} - \text{rate of the home MSOA}),$$
#
# in percentage points, so applicants with $x > 0$ are eligible and the jump at $x = 0$ is
# "eligible minus not eligible". Everyone in an MSOA shares one $x$: the running variable has
# mass points, one per area.

# %%
census = ex.read(
    "spring_census",
    columns=[
        "pupilmatchingrefanonymous",
        "ncyearactual",
        "lsoa",
        "yearofbirth",
        "ethnicgroupmajor",
        "recordstatus",
    ],
)
census = census[(census.ncyearactual == "11") & ~(census.recordstatus >= 101).fillna(False)]
census = census.merge(pmr, left_on="pupilmatchingrefanonymous", right_on="PMR")
census = census.sort_values("year").drop_duplicates("AE_ID")
area = ex.read("lookup_area")
area = area.drop_duplicates("LSOA11CD")[
    ["LSOA11CD", "MSOA11CD", "LAD_anon", "young_participation_rate", "polar4_quintile"]
]
df = applicants.merge(census[["AE_ID", "lsoa", "yearofbirth", "ethnicgroupmajor"]], on="AE_ID")
df = keep("... with a year-11 census record (home LSOA)", df)
df = keep("... home LSOA in lookup_area", df.merge(area, left_on="lsoa", right_on="LSOA11CD"))
df["x"] = 100 * (CUT - df.young_participation_rate)
df["eligible"] = (df.x > 0).astype(int)
df["female"] = (df.applicant_gender_code == "F").astype(int)
# UCAS codes the quintile of the address on the form: a move since year 11 shows as a mismatch
agree = outputs.checked(
    sdc.safe_stat, df.assign(applicants="applicants",
                             agree=(df.applicant_polar4_code == df.polar4_quintile).astype(int)),
    "applicants", "agree", stat="rate", unit="AE_ID",
)  # fmt: skip
outputs.table("polar4_agreement", agree, checks=[agree])
share_agree = float(agree["rate"].iloc[0])
print(
    "UCAS POLAR4 quintile equals the year-11 census area's quintile for "
    + (f"{share_agree:.1%}" if share_agree == share_agree else "all but a few (under 10) "
       "applicants, or all of them: the share is suppressed by the complement rule")
)  # fmt: skip
df["white"] = (df.ethnicgroupmajor == "WHIT").astype(float).where(df.ethnicgroupmajor.notna())

# %% [markdown]
# **Predicted grades, applications and offers.** Offers are made on *predicted* grades
# (`ucas_qualification`, status Pending), before results. An applicant's **marginal grades**
# sit between a scheme provider's contextual and standard offer on a course they applied to:
# for them eligibility decides whether the grades asked for are within reach. A contextual
# offer shows in `ucas_application.offer_tariff` as a condition below the course's standard
# offer.

# %%
quals = ex.read("ucas_qualification")
quals = quals[quals.qualification_status == "Pending"]
pred = (
    quals.assign(points=quals.grade.map(A_LEVEL_TARIFF))
    .groupby("unique_id_cycle")
    .points.sum()
    .rename("pred_tariff")
)
df = df.merge(pred, left_on="unique_id_cycle", right_index=True, how="left")

apps = ex.read(
    "ucas_application",
    columns=[
        "unique_id_cycle",
        "application_cycle",
        "course_identifier",
        "provider_id_anon",
        "application_route_code",
        "june30_hep_decision_code",
        "offer_tariff",
    ],
)
apps = apps[
    (apps.application_route_code == "M") & apps.unique_id_cycle.isin(df.unique_id_cycle)
].merge(courses[["course_identifier", "standard_offer_tariff"]], on="course_identifier")
apps = apps.merge(pred, left_on="unique_id_cycle", right_index=True, how="left")
pc = list(zip(apps.provider_id_anon, apps.application_cycle))
apps["on"] = [p in SCHEME_PC for p in pc]
apps["ever"] = apps.provider_id_anon.isin(EVER)
low = apps.standard_offer_tariff - apps.provider_id_anon.map(REDUCTION)
apps["marginal"] = (
    apps.ever & (apps.pred_tariff >= low) & (apps.pred_tariff < apps.standard_offer_tariff)
)
apps["offer"] = apps.june30_hep_decision_code.isin(["C", "U"])
apps["reduced"] = apps.offer & (apps.offer_tariff < apps.standard_offer_tariff).fillna(False)
by_applicant = (
    apps.assign(
        scheme_applicant=apps.on,
        ever_applicant=apps.ever,
        marginal_on=apps.on & apps.marginal,
        marginal_ever=apps.marginal,
        offer_scheme=apps.on & apps.offer,
        reduced_offer=apps.on & apps.reduced,
    )
    .groupby("unique_id_cycle")[
        [
            "scheme_applicant",
            "ever_applicant",
            "marginal_on",
            "marginal_ever",
            "offer_scheme",
            "reduced_offer",
        ]
    ]
    .max()
)
df = df.merge(by_applicant, left_on="unique_id_cycle", right_index=True, how="left")
df[by_applicant.columns] = df[by_applicant.columns].fillna(False).astype(int)
# placed (accepted) at a participating provider, from the applicant's acceptance on results day
provider_of = courses.set_index("course_identifier").provider_id_anon
accepted_at = df.accepted_course_identifier.map(provider_of)
df["accept_scheme"] = [int((p, c) in SCHEME_PC) for p, c in zip(accepted_at, df.application_cycle)]
df = keep("... with main-scheme choices", df[df.unique_id_cycle.isin(apps.unique_id_cycle)])

# %% [markdown]
# **School records.** KS4 has duplicate rows for some pupils: keep the end-of-key-stage row with
# the best points. KS4 points, free school meals and IDACI are fixed before the application, so
# they can test the design (they should not jump at the cutoff).

# %%
ks4 = ex.read(
    "ks4pupil_2002_to_2014",
    columns=["KS4_PupilMatchingRefAnonymous", "KS4_ENDKS", "KS4_FSM", "KS4_IDACI", "KS4_PTSCNEWE"],
)
ks4 = ks4[ks4.KS4_ENDKS == 1].merge(pmr, left_on="KS4_PupilMatchingRefAnonymous", right_on="PMR")
ks4 = ks4.sort_values("KS4_PTSCNEWE", ascending=False).drop_duplicates("AE_ID")
df = keep(
    "... with a KS4 record",
    df.merge(ks4[["AE_ID", "KS4_FSM", "KS4_IDACI", "KS4_PTSCNEWE"]], on="AE_ID"),
)

# %% [markdown]
# **HE outcomes, coded for every applicant.** Entry is a first-degree instance in its first year
# (`HE_XLEV601 = 4`, `HE_YEARSTU = 1`) starting in the application cycle; the provider is
# `HE_XINSTID01__ANON` (read as `HE_PROVIDER` across the yearly views). *Drop-out in year 1*:
# that first-year record ended without a qualification (`HE_RSNEND` not 01). *Continuation*:
# a year-2 record exists. *Good degree*: a first or upper second (`HE_XCLASS01` 1 or 2).
# Applicants who never enter HE score 0 on all three: the outcomes are defined for everybody,
# because conditioning on entry would compare different kinds of people on each side of the
# cutoff (eligibility changes who enters).
#
# The **treatment** `D` is entering, in the application cycle, a provider that runs a scheme
# with this cutoff in that cycle.

# %%
hesa = ex.read(
    "hesa",
    columns=[
        "HE_PUPILMATCHINGREFANONYMOUS",
        "HE_PROVIDER",
        "HE_XLEV601",
        "HE_YEARSTU",
        "HE_COMDATE",
        "HE_ENDDATE",
        "HE_RSNEND",
        "HE_XCLASS01",
        "HE_XTARIFF",
    ],
)
hesa = hesa[hesa.HE_XLEV601 == 4].merge(pmr, left_on="HE_PUPILMATCHINGREFANONYMOUS", right_on="PMR")
hesa["start_year"] = pd.to_datetime(hesa.HE_COMDATE).dt.year
first = hesa[hesa.HE_YEARSTU == 1].sort_values(["start_year", "year"]).drop_duplicates("AE_ID")
first = first.assign(
    dropout_year1=(first.HE_ENDDATE.notna() & (first.HE_RSNEND != "01")).astype(int)
).rename(columns={"HE_PROVIDER": "provider", "HE_XTARIFF": "entry_tariff"})
df = df.merge(
    first[["AE_ID", "provider", "start_year", "dropout_year1", "entry_tariff"]],
    on="AE_ID",
    how="left",
)
entered = df.start_year == df.application_cycle
df.loc[~entered, ["provider", "entry_tariff"]] = np.nan
df["enrol_any"] = entered.astype(int)
df["dropout_year1"] = (df.dropout_year1.fillna(0) * entered).astype(int)


def in_entry_instance(rows):
    """1 where the applicant has one of `rows` (HESA records) in the instance they entered in
    the application cycle."""
    keys = rows[["AE_ID", "start_year"]].drop_duplicates()
    hit = df[["AE_ID", "application_cycle"]].merge(
        keys, how="left", left_on=["AE_ID", "application_cycle"], right_on=["AE_ID", "start_year"]
    )
    return (hit.start_year.notna().to_numpy() & entered.to_numpy()).astype(int)


df["continue_year2"] = in_entry_instance(hesa[hesa.HE_YEARSTU == 2])
df["good_degree"] = in_entry_instance(hesa[hesa.HE_XCLASS01.isin([1, 2])])
df["D"] = [int((p, c) in SCHEME_PC) for p, c in zip(df.provider, df.application_cycle)]
df["D_ever"] = df.provider.isin(EVER).astype(int)
df["enrol_higher_tariff"] = (df.provider.map(tier_of) == "H").astype(int)
del hesa, first, quals

# %% [markdown]
# **Pay.** `leo_earnings` has one row per EDUKEY and tax year; a person with two EDUKEYs has two
# rows in some years, so pay is summed over the person's keys. We use log annualised PAYE pay in
# years of sustained employment (DfE definitions, `leokit.derive`), averaged over the ages in
# `earnings_ages`; averaging two years halves the weight of one year's luck. Applicants not in
# sustained employment at those ages have no pay outcome. That is a selected sample only if
# eligibility changes who is employed; the balance of employment at the cutoff is one of the
# exercises.

# %%
people = df[["AE_ID", "yearofbirth"]].merge(edukey, on="AE_ID")
wanted = sorted({int(y + a) for y in df.yearofbirth.unique() for a in earnings_ages})
tax_years = [y * 100 + (y + 1) % 100 for y in wanted]
earn = ex.read("leo_earnings", columns=["Edukey", "TaxYear", "Earnings"])
last_tax_year = int(earn.TaxYear.max())
earn = earn[earn.TaxYear.isin(tax_years)].merge(people, left_on="Edukey", right_on="EDUKEY")
earn = earn.groupby(["AE_ID", "TaxYear"], as_index=False).Earnings.sum()
emp = ex.read("leo_employment").merge(people, left_on="EduKey", right_on="EDUKEY")
emp = emp[["AE_ID", "StartDate", "EndDate"]]
sa = ex.read("leo_self_assessment", columns=["Edukey", "TaxYear"])
sa = sa.merge(people, left_on="Edukey", right_on="EDUKEY")[["AE_ID", "TaxYear"]]
data_end = derive.tax_year_end(last_tax_year)
observed = [t for t in tax_years if t <= last_tax_year] or [last_tax_year]
sustained = derive.sustained_employment(  # later years are unknown: derive refuses them
    emp, tax_years=observed, self_assessment=sa, person="AE_ID", data_end=data_end
)
pay = derive.annualised_earnings(earn, emp, person="AE_ID", data_end=data_end)
pay = pay.merge(sustained[["AE_ID", "TaxYear", "sustained"]], on=["AE_ID", "TaxYear"])
pay = pay[pay.sustained & (pay.annualised_earnings > 0)].merge(
    df[["AE_ID", "yearofbirth"]], on="AE_ID"
)
pay = pay[(pay.TaxYear // 100 - pay.yearofbirth).isin(earnings_ages)]
log_pay = np.log(pay.annualised_earnings).groupby(pay.AE_ID).mean().rename("log_earnings")
df = df.merge(log_pay, left_on="AE_ID", right_index=True, how="left")
del earn, emp, sa, pay, sustained
flow.append((f"... of whom with pay at ages {earnings_ages} (sustained employment)", log_pay.size))

# %% [markdown]
# **Samples.** In the cycles when schemes run (`POLICY_CYCLES`):
#
# * `all_applicants`: every applicant (the whole pool);
# * `scheme_applicants`: those who applied to at least one provider running the scheme that
#   cycle (eligibility can only act through those applications);
# * `marginal_grade`: scheme applicants whose predicted grades lie between the contextual and
#   the standard offer of such a course (the largest first stage).
#
# The cycles before any scheme (`PRE_CYCLES`) give the same samples with the providers that
# adopt later: there, nothing should jump at the cutoff.

# %%
everyone = df.copy()  # the design B panel and the university view use every entrant
POLICY = df.application_cycle.isin(POLICY_CYCLES)
PRE = df.application_cycle.isin(PRE_CYCLES)
if donut > 0:
    # areas right at the cutoff are the likeliest to be misclassified or to have moved
    df = df[df.x.abs() >= donut]
    POLICY, PRE = POLICY[df.index], PRE[df.index]
df["cl"] = pd.factorize(df[CLUSTER_COLUMN])[0] if CLUSTER_COLUMN else np.arange(len(df))
SAMPLES = {
    "all_applicants": df[POLICY],
    "scheme_applicants": df[POLICY & (df.scheme_applicant == 1)],
    "marginal_grade": df[POLICY & (df.marginal_on == 1)],
}
EVER_SAMPLE = {"all_applicants": None, "scheme_applicants": "ever_applicant"}
EVER_SAMPLE["marginal_grade"] = "marginal_ever"
flow.append(("people in the policy cycles (all_applicants)", len(SAMPLES["all_applicants"])))
flow.append(("... scheme_applicants", len(SAMPLES["scheme_applicants"])))
flow.append(("... marginal_grade", len(SAMPLES["marginal_grade"])))
if len(SAMPLES[sample]) < 200:
    refuse(NAME, [f"sample = {sample!r}: fewer than 200 applicants in the policy cycles; too "
                  "few for a regression discontinuity; widen cohorts or choose another sample"])  # fmt: skip

# %% [markdown]
# Rows kept at each link (people, rounded to 5 as the SRS requires for counts; fewer than 10
# would be suppressed):

# %%
flow_table = release.round_counts(pd.DataFrame(flow, columns=["step", "people"]), ["people"],
                                  label="step", title="people kept at each link")  # fmt: skip
outputs.show("linkage_flow", flow_table, checks=[flow_table])

# %% [markdown]
# Most applicants link at every step; the few lost are pupils without a year-11 census or KS4
# record (independent schools, orphan keys). In the SRS, compare these rates with the linkage
# rates DfE publishes.
#
# ## 2. Two naive answers
#
# **The student's view.** Among applicants to participating providers, compare those who
# entered one (`D` = 1) with the rest, holding fixed what the records show. For pay, the
# comparison is among all these applicants; for drop-out, continuation and degree class it is
# among those who entered HE somewhere, which is how such comparisons are usually made (and a
# second source of bias: who enters depends on the offer). Two sets of controls: the usual
# LEO set (KS4 points, free school meals, sex, cycle), and the same plus predicted grades.
# Ordinary least squares, standard errors clustered by area.

# %%
CONTROL_SETS = {
    "KS4, FSM, sex, cycle": "KS4_PTSCNEWE + KS4_FSM + female + C(application_cycle)",
    "... + predicted grades": "KS4_PTSCNEWE + KS4_FSM + female + C(application_cycle) + pred_tariff",
}
truth_file = Path(extract) / "truth.json" if isinstance(extract, str) else None
TRUTH = {}
if truth_file is not None and truth_file.exists():
    planted = json.loads(truth_file.read_text())["contextual_offers"]["estimands"]
    TRUTH = next((b for b in planted.values() if abs(b["cutoff_value"] - CUT) < 5e-5), {})
# the planted complier averages are for every scheme provider and every cycle with a scheme
if provider_tier != "all" or not set(scheme.application_cycle) <= set(cohorts):
    TRUTH = {}
TRUTH_KEY = {"D": "enrol_scheme_provider", "offer_scheme": None, "accept_scheme": None}


def truth_of(sample_name, outcome, kind):
    """The planted value for a sample, outcome and estimand ('itt', 'late'), or None."""
    block = TRUTH.get(sample_name, {})
    if outcome == "D":
        return block.get("first_stage")
    entry = block.get(TRUTH_KEY.get(outcome, outcome))
    return entry.get(kind) if isinstance(entry, dict) else None


def ols_clustered(formula, frame):
    if CLUSTER_COLUMN:
        return smf.ols(formula, frame).fit(cov_type="cluster", cov_kwds={"groups": frame.cl})
    return smf.ols(formula, frame).fit(cov_type="HC1")


rows = []  # the estimates for results.json
naive = []
for y in [o for o in outcomes if o != "enrol_any"]:  # D = 1 implies entry: nothing to compare
    base = SAMPLES[sample]
    base = base if y == "log_earnings" else base[base.enrol_any == 1]
    for label, controls in CONTROL_SETS.items():
        d = base.dropna(subset=[y, "pred_tariff"])
        fit = ols_clustered(f"{y} ~ D + {controls}", d)
        low, high = fit.conf_int().loc["D"]
        naive.append({"outcome": y, "controls": label, "estimate": fit.params["D"],
                      "ci_low": low, "ci_high": high, "N": int(sdc.round_half_up(float(fit.nobs))),
                      "planted LATE": truth_of(sample, y, "late")})  # fmt: skip
        short = "naive_ols" if label.startswith("KS4") else "naive_ols_pred"
        rows.append(
            results.estimate(
                f"{short}_{y}", f"OLS of {y} on D, controls: {label}", fit.params["D"],
                fit.bse["D"], (low, high), int(fit.nobs), truth=truth_of(sample, y, "late"),
                dof=int(fit.df_resid),
            )
        )  # fmt: skip
naive = pd.DataFrame(naive).set_index(["outcome", "controls"])
print(f"OLS of each outcome on D ({sample}, policy cycles):")
outputs.show("naive_ols", naive.round(3), index=True,
             models=[r for r in rows if r["name"].startswith("naive_ols")])  # fmt: skip

# %% [markdown]
# With the usual controls, entering a participating provider looks like it pays several per cent
# more than the planted effect for the compliers: applicants who get in and go differ in
# ways KS4 results and free school meals do not show (ambition, family resources, the
# support behind a strong application), and those also raise pay. Predicted grades capture much
# of that here, and the gap shrinks. On real data nobody can tell how much is left, which is
# the point of a design. Two more problems remain whatever the controls: the entrant-only
# comparisons condition on entering HE, which the offer itself changes; and OLS averages over
# everyone who entered, while the policy question is about the students the lower offer moves.
#
# ## 3. The design: a regression discontinuity at the eligibility cutoff
#
# Take two applicants whose home areas' participation rates are 19.9% and 20.1%, either side of
# a cutoff of 20%. Their areas, schools and families are, on average, alike: the
# rate changes smoothly with everything that matters for outcomes. Only one of them gets the
# lower offer. So the jump in an outcome at the cutoff, divided by the jump in the chance of
# entering a participating provider, is the effect of entering it for the **compliers**: the
# applicants whom the lower offer moves there (Hahn, Todd and van der Klaauw 2001; a fuzzy
# RD).
#
# * **First stage**: the jump in `D` (entering a participating provider), and on the way
#   there in getting an offer from one and being placed there on results day (UCAS
#   acceptance); and in entering a higher-tariff provider at all.
# * **ITT** (intention to treat): the jump in an outcome, the effect of *eligibility*.
# * **LATE**: ITT / first stage, the effect of the *place* for compliers.
#
# Estimation follows Calonico, Cattaneo and Titiunik (2014) with `rdrobust`: local
# polynomial fits on each side within a bandwidth chosen to minimise the mean squared error
# (`bandwidth` rule), a `kernel` that weights applicants near the cutoff more, and
# **robust bias-corrected** confidence intervals (the point estimate is the conventional one;
# the interval allows for the bias a bandwidth of this size leaves). `masspoints="adjust"`
# because every applicant in an area shares its value of $x$, and standard errors are
# **clustered by area** (`cluster`), the level at which eligibility is assigned and at which
# local shocks are shared. The kernel puts most of the weight on the few dozen areas closest
# to the cutoff, some of them large, and with so few effective clusters the usual CR1 variance
# is too small (MacKinnon, Nielsen and Webb 2023). We use **CR3** (`vce`, Pustejovsky and
# Tipton 2018, built into `rdrobust`): over 60 generated extracts, CR1 intervals covered the
# planted pay effect in about 88% of them, CR3 intervals in 90-95% (the Monte Carlo test).
#
# Two conditions matter. Applicants must not be able to move to an eligible area for the sake of
# the offer (the density check below), and the lower offer must be the only thing that changes
# at the cutoff: no other policy may use the same cutoff. The LATE also needs the exclusion
# restriction: eligibility changes outcomes only through where the applicant enrols. Here
# eligibility also pulls a few applicants into HE who would not have gone at all, so the
# "treatment" is a bundle: entering a participating provider rather than wherever, or nowhere,
# the applicant would otherwise have gone.


# %%
def rd_fit(frame, y, fuzzy=None, h=None, b=None, p=None, c=0.0, k=None):
    """rdrobust of frame[y] on the margin x (cutoff c); its console messages are silenced."""
    d = frame.dropna(subset=[y] + ([fuzzy] if fuzzy else []))
    kw = {"c": c, "p": p or polynomial, "kernel": k or kernel, "masspoints": "adjust"}
    h = h if h is not None else FIXED_H
    if h is not None:
        kw.update(h=h, b=b if b is not None else h)
    else:
        kw["bwselect"] = bandwidth
    if CLUSTER_COLUMN:
        kw.update(cluster=d.cl.to_numpy(), vce=vce)
    else:
        kw["vce"] = vce.replace("cr", "hc")  # the same correction without clusters
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = rdrobust(
            d[y].to_numpy(float),
            d.x.to_numpy(float),
            fuzzy=None if fuzzy is None else d[fuzzy].to_numpy(float),
            **kw,
        )
    return fit, d


def summary(fit, d, c=0.0):
    """Conventional estimate, robust bias-corrected SE and interval, bandwidths and counts."""
    low, high = (float(v) for v in fit.ci.iloc[2])
    h, b = float(fit.bws.iloc[0, 0]), float(fit.bws.iloc[1, 0])
    near = (d.x - c).abs() <= h
    out = {
        "estimate": float(fit.coef.iloc[0, 0]),
        "se": float(fit.se.iloc[2, 0]),
        "ci": (low, high),
        "n": int(sum(fit.N_h)),
        "n_left": int(fit.N_h[0]),
        "n_right": int(fit.N_h[1]),
        "areas": int(d.loc[near, "MSOA11CD"].nunique()),
        "h": h,
        "b": b,
        "se_conventional": float(fit.se.iloc[0, 0]),
        "estimate_bias_corrected": float(fit.coef.iloc[1, 0]),
    }
    if fit.tau_T is not None:  # fuzzy: the first stage at this bandwidth
        out["first_stage"] = float(fit.tau_T.iloc[0, 0])
        out["first_stage_F"] = float((fit.tau_T.iloc[0, 0] / fit.se_T.iloc[0, 0]) ** 2)
    return out


def add(name, estimand, s, truth=None, **extra):
    keys = ("n_left", "n_right", "areas", "h", "b", "se_conventional")
    keys += ("estimate_bias_corrected", "first_stage", "first_stage_F")
    rows.append(
        results.estimate(
            name, estimand, s["estimate"], s["se"], s["ci"], s["n"], truth=truth,
            preferred=name == PREFERRED, **{k: s[k] for k in keys if k in s}, **extra,
        )
    )  # fmt: skip
    return rows[-1]


# %% [markdown]
# ### RD plots
#
# Each dot is the mean in a bin of the margin $x$, checked by `sdc.safe_bins` as the SRS
# requires: bins never straddle the cutoff, a bin with fewer than 10 applicants is not drawn,
# nor a share with fewer than 10 applicants with or without the outcome (the complement rule).
# The lines are local fits with the estimates' kernel and polynomial, within a bandwidth (here
# the first stage's; below, each outcome's own), drawn only over the checked bins, never out
# to one applicant's extreme value. Each figure is released with the table of its bins.
# First, the first stage in the headline sample:

# %%
FIRST = {
    "offer_scheme": "offer from a participating provider",
    "accept_scheme": "placed at a participating provider",
    "D": "entered a participating provider (D)",
    "enrol_higher_tariff": "entered a higher-tariff provider",
    "enrol_any": "entered HE anywhere",
}
LABEL = {
    "log_earnings": f"log annualised pay, ages {'-'.join(map(str, earnings_ages))}",
    "dropout_year1": "dropped out in year 1",
    "continue_year2": "continued into year 2",
    "good_degree": "first or 2:1",
    "enrol_any": "entered HE anywhere",
}
KERNEL_W = {
    "triangular": lambda u: np.clip(1 - np.abs(u), 0, None),
    "epanechnikov": lambda u: np.clip(0.75 * (1 - u**2), 0, None),
    "uniform": lambda u: (np.abs(u) <= 1) * 0.5,
}[kernel]


# the plotting window comes from the bandwidth and the public area lookup, never from one
# applicant's extreme value
X_REACH = float(np.abs(x_area).max())


def rd_panel(ax, frame, y, label, h):
    """Checked bin means (sdc.safe_bins: threshold, complement for rates, class, dominance)
    and local fits drawn only over the checked bins within the bandwidth. Returns the bins."""
    d = frame.dropna(subset=[y])
    lim = min(max(3 * h, 6.0), X_REACH)
    right = np.linspace(lim / 10, lim, 10)  # ten bins a side; 0 exactly an edge
    edges = np.concatenate([-right[::-1], [0.0], right])
    bins = outputs.checked(sdc.safe_bins, d, "x", y, edges, unit="AE_ID", cutoff=0.0)
    ax.plot(bins.x_centre, bins["mean"], "o", color="tab:blue", ms=4)
    for side, span in bins.attrs["fit_range"].items():
        if span is None:
            continue
        lo, hi = max(span[0], -h), min(span[1], h)
        s = d[(d.x >= lo) & (d.x <= hi) & ((d.x < 0) if side == "below" else (d.x >= 0))]
        if hi <= lo or s.x.nunique() <= polynomial:
            continue
        coef = np.polyfit(s.x, s[y], polynomial, w=np.sqrt(KERNEL_W(s.x / h)))
        grid = np.linspace(lo, hi, 50)
        ax.plot(grid, np.polyval(coef, grid), color="tab:red")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_title(label, fontsize=10)
    ax.set_xlabel("home area's rate below the cutoff (pp)")
    ax.set_ylabel("share of applicants" if y != "log_earnings" else "mean log pay (log points)")
    return bins.assign(outcome=y)


head = SAMPLES[sample]
fs_fit, fs_d = rd_fit(head, "D")
H_FS = float(fs_fit.bws.iloc[0, 0])

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(3, 2, figsize=(9, 9.5))
panels = [rd_panel(ax, head, y, label, H_FS) for ax, (y, label) in zip(axes.ravel(), FIRST.items())]
axes.ravel()[-1].axis("off")
fig.suptitle(f"First stage at the cutoff ({sample}, policy cycles)")
fig.tight_layout()
outputs.figure("rd_first_stage", fig, table=pd.concat(panels, ignore_index=True), checks=panels,
               description="RD plots of the first stage: checked bin means, fits within h")  # fmt: skip
plt.show()

# %% [markdown]
# And the outcomes (intention to treat: the jump is the effect of eligibility, before dividing
# by the first stage):

# %% tags=["nbval-ignore-output"]
n_panels = len(outcomes)
fig, axes = plt.subplots((n_panels + 1) // 2, 2, figsize=(9, 3.2 * ((n_panels + 1) // 2)))
panels = []
for ax, y in zip(axes.ravel(), outcomes):
    h_y = float(rd_fit(head, y, fuzzy="D")[0].bws.iloc[0, 0])
    panels.append(rd_panel(ax, head, y, LABEL[y], h_y))
for ax in axes.ravel()[n_panels:]:
    ax.axis("off")
fig.suptitle(f"Outcomes at the cutoff ({sample}, policy cycles)")
fig.tight_layout()
outputs.figure("rd_outcomes", fig, table=pd.concat(panels, ignore_index=True), checks=panels,
               description="RD plots of the outcomes: checked bin means, fits within h")  # fmt: skip
plt.show()

# %% [markdown]
# ## 4. Estimates
#
# For each sample: the first stage with its own bandwidth; then, for each outcome, the fuzzy RD
# (LATE, with the bandwidth chosen for it) and the ITT at that same bandwidth, so that the LATE
# is the ITT divided by the first stage at that bandwidth (`first_stage`). `F` is the squared
# t-statistic of the first stage (conventional SE); the weak-instrument worry starts below
# about 10.

# %%
for name, frame in SAMPLES.items():
    fit, d = rd_fit(frame, "D")
    s = add(
        f"first_stage_{name}",
        "first stage: jump in entering a participating provider (D)",
        summary(fit, d),
        truth=truth_of(name, "D", "itt"),
        sample=name,
        outcome="D",
        kind="first_stage",
    )
    s["F"] = (s["estimate"] / s["se_conventional"]) ** 2
    for y in ("offer_scheme", "accept_scheme", "enrol_higher_tariff"):
        fit, d = rd_fit(frame, y)
        add(f"itt_{name}_{y}", f"ITT on {FIRST[y]}", summary(fit, d),
            truth=truth_of(name, y, "itt"), sample=name, outcome=y, kind="itt")  # fmt: skip
    for y in outcomes:
        fit, d = rd_fit(frame, y, fuzzy="D")
        late = summary(fit, d)
        add(f"late_{name}_{y}", f"LATE of entering a participating provider on {LABEL[y]}",
            late, truth=truth_of(name, y, "late"), sample=name, outcome=y, kind="late")  # fmt: skip
        fit, d = rd_fit(frame, y, h=late["h"], b=late["b"])
        add(f"itt_{name}_{y}", f"ITT of eligibility on {LABEL[y]}", summary(fit, d),
            truth=truth_of(name, y, "itt"), sample=name, outcome=y, kind="itt")  # fmt: skip

table = pd.DataFrame(rows)
table["ci"] = [f"[{lo:.3f}, {hi:.3f}]" for lo, hi in table.ci]
table["N"] = sdc.round_half_up(table.n.to_numpy(float)).astype(int)
table["F"] = table.F.fillna(table.first_stage_F)  # of the first stage at that bandwidth
table["areas"] = table.areas.astype("Int64")
for name in SAMPLES:
    t = table[table["sample"] == name].set_index(["kind", "outcome"])
    t = t[["estimate", "se", "ci", "h", "N", "areas", "first_stage", "F", "truth"]]
    print(f"\n{name}: estimate (conventional), robust SE and 95% CI, h in pp, N within h")
    outputs.show(f"rd_estimates_{name}", t.round(3), index=True,
                 models=[r for r in rows if r.get("sample") == name])  # fmt: skip

# %% [markdown]
# **Reading the table.** The first stage is large and precise in every sample: eligibility
# moves roughly a quarter of all applicants, and more than a third of those with marginal
# grades, to a participating provider. The planted values (`truth`, complier averages computed
# from the simulated potential outcomes, `truth.json`) are inside the intervals. The effects on
# outcomes are another matter. The LATE intervals are wide, tens of percentage points for
# drop-out and degree class and several tenths of a log point for pay, because only the
# compliers (a third of the applicants or fewer) carry the jump and the jump is divided by
# the first stage. They contain the small planted effects, but also zero and effects of either
# sign several times larger. An honest reading is: *this extract cannot tell whether the place
# helps or harms*. The test suite repeats the notebook on a nine-times-larger generated extract
# (`tests/test_notebook_02_montecarlo.py`): the intervals shrink by a factor of three to four and
# still cover the truth, and still include zero for pay and drop-out. That is a property of the
# question, not of the synthetic data: the planted effects are small because a contextual
# place moves students one step up the selectivity ladder, not from no university to a
# university.
#
# ## 5. Is the design valid here?
#
# ### Density of the running variable: can areas sort?
#
# If applicants or schools could nudge an area's index below the cutoff, there would be too
# many areas just below it. Eligibility is set by the **area**, so the test is on areas, one
# observation per MSOA (`lookup_area`); applicants share their area's value, so a histogram of
# applicants has mass points and would confuse bigger areas with sorting. We use McCrary's
# (2008) test (`leokit.rd.mccrary_test`: `rddensity` is not available here or in the SRS) and a
# binomial test of equal numbers of areas within 1 and 2 pp either side.

# %%
areas = ex.read("lookup_area").drop_duplicates("MSOA11CD")
x_area = 100 * (CUT - areas.young_participation_rate.to_numpy(float))
dens = rd.mccrary_test(x_area)
binom = [rd.binomial_test(x_area, 0, w) for w in (1.0, 2.0)]
print(
    f"McCrary: log difference in density at the cutoff {dens['theta']:.3f} "
    f"(SE {dens['se']:.3f}, p = {dens['p_value']:.3f}); {dens['n']} areas, bin width "
    f"{dens['bin_width']:.2f} pp, bandwidth {dens['bandwidth']:.1f} pp"
)
for bt in binom:
    print(
        f"within {bt['window']:.0f} pp: share of areas on the eligible side "
        f"{bt['share_above']:.3f} (binomial p = {bt['p_value']:.3f})"
    )
rows.append(
    results.estimate(
        "density_mccrary_areas", "log jump in the density of areas at the cutoff",
        dens["theta"], dens["se"], (dens["theta"] - 1.96 * dens["se"], dens["theta"] + 1.96 * dens["se"]),
        dens["n"], truth=0.0 if TRUTH else None, p_value=dens["p_value"],
    )
)  # fmt: skip

# %% tags=["nbval-ignore-output"]
fig, ax = plt.subplots(figsize=(7, 3.6))
mid, height = dens["bins"]["midpoint"], dens["bins"]["height"]
ax.bar(mid, height, width=dens["bin_width"] * 0.9, color="lightsteelblue")
for side in (mid < 0, mid >= 0):
    m, hh = mid[side], height[side]
    near = np.abs(m) < dens["bandwidth"]
    coef = np.polyfit(m[near], hh[near], 1, w=np.sqrt(1 - np.abs(m[near]) / dens["bandwidth"]))
    grid = np.linspace(m[near].min(), 0, 20) if side[0] else np.linspace(0, m[near].max(), 20)
    ax.plot(grid, np.polyval(coef, grid), color="tab:red")
ax.axvline(0, color="grey", lw=0.8)
ax.set_xlabel("area's rate below the cutoff (pp); eligible to the right")
ax.set_ylabel("density of areas (per pp)")
ax.set_title("Areas (MSOAs) by participation rate: no bunching at the cutoff")
fig.tight_layout()
outputs.figure("density_areas", fig, table=pd.DataFrame({"midpoint": mid, "height": height}),
               public="areas' young participation rates (OfS POLAR4 MSOA file, via lookup_area); "
               "no LEO records", description="density of areas by the margin x")  # fmt: skip
plt.show()

# %% [markdown]
# No bunching: in this synthetic world nobody can move an area's participation rate. In
# England the index is computed by the Office for Students from past cohorts, so sorting would
# mean families moving house for the offer. That leaves a trace in the data: UCAS codes the
# POLAR4 quintile of the address on the application, and a family that moved into an eligible
# area after year 11 would have a UCAS quintile lower than the census area's. Section 1 printed
# how often the two agree.
#
# ### Covariate balance
#
# Characteristics fixed before the application should not jump at the cutoff. Each row is a
# sharp RD of a characteristic, with its own bandwidth, in the headline sample.

# %%
head = head.assign(ks4_z=(head.KS4_PTSCNEWE - head.KS4_PTSCNEWE.mean()) / head.KS4_PTSCNEWE.std())
BALANCE = {
    "ks4_z": "KS4 points (SD)",
    "pred_tariff": "predicted tariff (points)",
    "KS4_FSM": "free school meals at 16",
    "female": "female",
    "white": "white British (census)",
    "KS4_IDACI": "IDACI score of the home LSOA",
}
balance, balance_models = [], []
for y, label in BALANCE.items():
    fit, d = rd_fit(head, y)
    s = summary(fit, d)
    balance.append({"characteristic": label, "jump": s["estimate"], "se": s["se"],
                    "ci_low": s["ci"][0], "ci_high": s["ci"][1], "h": s["h"],
                    "N": int(sdc.round_half_up(float(s["n"])))})  # fmt: skip
    balance_models.append(dict(s, name=f"balance {y}"))
balance = pd.DataFrame(balance).set_index("characteristic")
outputs.show("rd_balance", balance.round(3), models=balance_models, index=True)
rejected = int(((balance.ci_low > 0) | (balance.ci_high < 0)).sum())
print(f"intervals excluding zero: {rejected} of {len(balance)}")

# %% [markdown]
# Each interval should contain zero. With six characteristics, at least one interval excludes
# zero by chance about a quarter of the time ($1 - 0.95^6$), so a single rejection calls for a
# look at its size, not for a verdict. Area characteristics (IDACI) deserve the least weight:
# everyone in an LSOA shares the value, so they rest on the few dozen areas within the
# bandwidth. Predicted grades are included because offers respond to them: a school that
# inflated predictions for eligible pupils would show here. Achieved grades are *not* a valid
# balance check (they come after the offer, which may change effort).
#
# ### Placebo cutoffs, bandwidths, polynomial, donut
#
# At a fake cutoff, using only data on one side of the real one, nothing should jump. Then the
# first stage and the headline LATE are re-estimated with half and double the bandwidth,
# a quadratic, a uniform kernel, and a donut that drops areas within 0.5 or 1 pp of the cutoff
# (the areas most exposed to measurement error in the index).

# %%
placebo, placebo_models = [], []
for c in placebo_cutoffs:
    side = head[head.x > 0] if c > 0 else head[head.x < 0]
    for y in ("D", outcomes[0]):
        try:
            fit, d = rd_fit(side, y, c=c)
        except Exception as err:  # too few areas on one side of a fake cutoff
            print(f"placebo cutoff {c:+.1f} pp, {y}: not estimable ({str(err)[:60]})")
            continue
        s = summary(fit, d, c=c)
        placebo.append({"cutoff (pp)": c, "outcome": y, "jump": s["estimate"],
                        "ci": f"[{s['ci'][0]:.3f}, {s['ci'][1]:.3f}]",
                        "covers 0": s["ci"][0] <= 0 <= s["ci"][1], "areas": s["areas"],
                        "N": int(sdc.round_half_up(float(s["n"])))})  # fmt: skip
        placebo_models.append(dict(s, name=f"placebo {c:+.1f} {y}"))
if placebo:
    placebo = pd.DataFrame(placebo)
    outputs.show("rd_placebo_cutoffs", placebo.round(3), models=placebo_models)
    print(f"placebo intervals excluding zero: {(~placebo['covers 0']).sum()} of {len(placebo)}")
else:
    print("no placebo cutoffs (`placebo_cutoffs` is empty)")

# %% [markdown]
# Placebo jumps should be zero, and their intervals should mostly contain zero. Read the
# `areas` column too: only a fifth of areas are on the eligible side, so a placebo there rests on
# two or three dozen areas, and cluster-robust intervals with that few clusters are too narrow
# (MacKinnon, Nielsen and Webb 2023; `rdrobust` offers `vce="cr3"` as the cautious choice). An
# interval that excludes zero with few areas behind it, and a jump of no consistent sign across
# placebos, is noise; a jump at every placebo near the real cutoff would mean the fit is wrong.

# %%
main_late = next(r for r in rows if r["name"] == f"late_{sample}_{outcomes[0]}")
main_fs = next(r for r in rows if r["name"] == f"first_stage_{sample}")
variants = {
    "main": {},
    "half bandwidth": {"h": 0.5},
    "double bandwidth": {"h": 2.0},
    f"polynomial {polynomial + 1}": {"p": polynomial + 1},
    "uniform kernel": {"k": "uniform"},
    "donut 0.5 pp": {"donut": 0.5},
    "donut 1 pp": {"donut": 1.0},
}
sens, sens_models = [], []
for label, v in variants.items():
    for what, base_row, fuzzy, y in (
        ("first stage", main_fs, None, "D"),
        (f"LATE {outcomes[0]}", main_late, "D", outcomes[0]),
    ):
        frame = head[head.x.abs() >= v["donut"]] if "donut" in v else head
        h = base_row["h"] * v["h"] if "h" in v else None
        fit, d = rd_fit(frame, y, fuzzy=fuzzy, h=h, p=v.get("p"), k=v.get("k"))
        s = summary(fit, d)
        sens.append({"variant": label, "estimate of": what, "estimate": s["estimate"],
                     "ci": f"[{s['ci'][0]:.3f}, {s['ci'][1]:.3f}]", "h": s["h"],
                     "N": int(sdc.round_half_up(float(s["n"])))})  # fmt: skip
        sens_models.append(dict(s, name=f"{what}, {label}"))
sens = (
    pd.DataFrame(sens)
    .set_index(["estimate of", "variant"])
    .sort_index(level=0, sort_remaining=False)
)
outputs.show("rd_sensitivity", sens.round(3), models=sens_models, index=True)

# %% [markdown]
# The first stage barely moves across bandwidths, polynomials and donuts. The LATE moves a
# lot, but within its own wide interval: with this much noise, a specification search could
# produce almost any sign. That is a reason to fix the specification in advance (a
# pre-analysis plan) and to report all of these rows, not to pick one.
#
# ### The same cutoff before the schemes existed (difference in discontinuities)
#
# Something else could change at the cutoff: an area-based widening-participation programme,
# say, that also uses the participation index. In the cycles before any provider ran a scheme
# with this cutoff (`PRE_CYCLES`), the same comparison should show no jump. We pool the two
# periods in one local linear regression (the bandwidth of the headline first stage, the same
# kernel weights) with separate intercepts and slopes on each side in each period; the
# coefficient on eligible x policy period is the **difference in discontinuities** (Grembi,
# Nannicini and Troiano 2016). Both periods use the providers that ever run the scheme, and
# the treatment "entered one of them".


# %%
def disc_in_disc(y, h):
    flag = EVER_SAMPLE[sample]
    post = df[POLICY & (df[flag] == 1)] if flag else df[POLICY]
    pre = df[PRE & (df[flag] == 1)] if flag else df[PRE]
    d = pd.concat([post.assign(post=1), pre.assign(post=0)]).dropna(subset=[y])
    d = d[d.x.abs() < h].assign(w=lambda f: KERNEL_W(f.x / h))
    fit = smf.wls(f"{y} ~ (eligible + x + eligible:x) * post", d, weights=d.w)
    fit = (
        fit.fit(cov_type="cluster", cov_kwds={"groups": d.cl})
        if CLUSTER_COLUMN
        else fit.fit(cov_type="HC1")
    )
    ci = fit.conf_int()
    return {
        "jump before": fit.params["eligible"],
        "ci before": f"[{ci.loc['eligible', 0]:.3f}, {ci.loc['eligible', 1]:.3f}]",
        "jump with schemes": fit.params["eligible"] + fit.params["eligible:post"],
        "difference": fit.params["eligible:post"],
        "se": fit.bse["eligible:post"],
        "ci difference": f"[{ci.loc['eligible:post', 0]:.3f}, {ci.loc['eligible:post', 1]:.3f}]",
        "N before": int(sdc.round_half_up(float((d.post == 0).sum()))),
    }, fit


if PRE_CYCLES:
    did_rows = {}
    for y in ["D_ever"] + list(outcomes):
        res, fit = disc_in_disc(y, main_fs["h"])
        did_rows[y] = res
        low, high = fit.conf_int().loc["eligible"]
        rows.append(
            results.estimate(
                f"pre_policy_jump_{y}", f"jump at the cutoff before the schemes ({y})",
                res["jump before"], fit.bse["eligible"], (low, high), int(res["N before"]),
                truth=0.0 if TRUTH else None, dof=int(fit.df_resid),
            )
        )  # fmt: skip
    did_table = pd.DataFrame(did_rows).T
    numeric = ["jump before", "jump with schemes", "difference", "se"]
    did_table[numeric] = did_table[numeric].astype(float)
    outputs.show("difference_in_discontinuities", did_table.round(3), index=True,
                 models=[r for r in rows if r["name"].startswith("pre_policy_jump_")])  # fmt: skip
else:
    print("no cycle before the schemes in `cohorts`: the difference in discontinuities is skipped")

# %% [markdown]
# Before the schemes there is no jump in entering the providers that later adopt one, nor in any
# outcome; with the schemes the first stage appears. In the real data this check is worth the
# most when another area-based policy might share the cutoff: a jump before the policy would
# then be subtracted.
#
# ## 6. The university's view: composition versus effect
#
# A university looking at its own records compares its **contextual entrants** (admitted on a
# reduced offer: `offer_tariff` below the course's standard offer, on the application to the
# provider they entered) with its **standard entrants**. That comparison mixes two things:
#
# * **composition**: contextual entrants arrive with lower grades and, in this world, less of
#   the unobserved resources that keep students on course; and
# * **effect**: what the place does to a student, compared with where they would otherwise
#   have gone. That is the LATE above. (The LATEs count every applicant: a complier pulled
#   into HE who would otherwise not have gone adds to continuation, or, on leaving, to
#   drop-out. Most of the planted continuation LATE is that entry margin.)
#
# The raw gap is computed among entrants at participating providers in the policy cycles, with
# provider x cycle effects (each university compares its own entrants). With about a dozen
# providers, the standard error is the leave-one-provider-out jackknife (CV3) with t(G-1)
# critical values, as in notebook 01.

# %%
entrants = everyone[everyone.application_cycle.isin(POLICY_CYCLES) & (everyone.D == 1)].copy()
entered_app = apps[["unique_id_cycle", "provider_id_anon", "reduced", "standard_offer_tariff"]]
entrants = entrants.merge(
    entered_app,
    how="left",
    left_on=["unique_id_cycle", "provider"],
    right_on=["unique_id_cycle", "provider_id_anon"],
)
entrants["contextual"] = entrants.reduced.fillna(False).astype(int)  # clearing: standard
entrants["group"] = np.where(entrants.contextual == 1, "contextual", "standard")
uni, uni_checks = {}, []
for y in ["dropout_year1", "continue_year2", "good_degree", "entry_tariff"]:
    stat = outputs.checked(sdc.safe_stat, entrants, "group", y, stat="mean", unit="AE_ID")
    uni[y] = stat.set_index("group")["mean"]
    uni_checks.append(stat)
uni_table = pd.DataFrame(uni)
uni_n = outputs.checked(sdc.safe_counts, entrants, "group", unit="AE_ID", name="N")
uni_table["N"] = uni_n.set_index("group")["N"].astype("Int64")
outputs.show("university_view", uni_table.round(3), checks=uni_checks + [uni_n], index=True,
             description="entrants at participating providers: contextual and standard")  # fmt: skip

# %%
G = entrants.provider.nunique()
cells = entrants.provider + ":" + entrants.application_cycle.astype(str)
gaps = {}
for y in ["dropout_year1", "continue_year2", "good_degree"]:
    # within provider x cycle (each university compares its own entrants); CV3 jackknife SE
    # and t(G-1): about a dozen providers are far too few clusters for the usual CR1
    if G >= 3:
        jack = inference.cluster_jackknife(
            entrants[y], entrants[["contextual"]], entrants.provider, 0, absorb=cells
        )
        low, high = inference.t_interval(jack["estimate"], jack["se"], G)
    else:  # one or two providers: no provider-level inference is possible; say so
        fit = smf.ols(f"{y} ~ contextual + C(cells)", entrants.assign(cells=cells)).fit(
            cov_type="HC1"
        )
        jack = {"estimate": fit.params["contextual"], "se": fit.bse["contextual"]}
        low, high = fit.conf_int().loc["contextual"]
    # the RD LATE beside it, when this outcome is among `outcomes`
    late = next((r for r in rows if r["name"] == f"late_{sample}_{y}"), None)
    late = late or {"estimate": None, "ci": (None, None), "truth": None}
    gaps[y] = {
        "raw gap": jack["estimate"],
        "gap low": low,
        "gap high": high,
        "LATE": late["estimate"],
        "LATE low": late["ci"][0],
        "LATE high": late["ci"][1],
        "planted LATE": late["truth"],
    }
    rows.append(
        results.estimate(
            f"raw_gap_{y}", f"contextual minus standard entrants, within provider x cycle ({y})",
            jack["estimate"], jack["se"], (low, high), len(entrants), n_clusters=G,
            dof=len(entrants) - cells.nunique() - 1,
        )
    )  # fmt: skip
print(
    f"entrants at {G} participating providers, policy cycles: raw gap (contextual minus "
    "standard, within provider x cycle; "
    + ("CV3 SE, t(G-1) 95% CI" if G >= 3 else "robust SE, no provider clustering with G < 3")
    + ") beside the RD LATE"
)
outputs.show("raw_gap_and_late", pd.DataFrame(gaps).T.astype(float).round(3), index=True,
             models=[r for r in rows if r["name"].startswith("raw_gap_")
                     or r["name"] in [f"late_{sample}_{y}" for y in gaps]])  # fmt: skip

# %% [markdown]
# The signs disagree. Contextual entrants drop out **more** often than standard entrants at
# the same university, and get fewer good degrees: the university sees a cost. For the students
# the lower offer moved, the planted effect of the place on drop-out is **negative** (a more
# selective course keeps students on course in this world); the RD interval, wide as it is,
# contains that value (and zero). The raw gap is composition: contextual entrants arrived with
# about a grade less than standard entrants (the entry tariff row). This is the pattern in the
# UK descriptive evidence (Crawford 2014; Boliver and Jones 2025: contextual entrants at
# Durham pass at high rates but get fewer firsts), read correctly.
#
# **The provider's metrics with contextual offers switched off.** Without the scheme, the
# contextual entrants whose achieved grades fell short of the standard offer would not have
# come; everyone else would (we assume no displacement: places are not capped, and standard
# entrants' choices do not depend on the scheme). The difference is the composition effect on
# the metric the regulator sees.

# %%
entrants["needed_reduction"] = (
    (entrants.contextual == 1) & (entrants.entry_tariff < entrants.standard_offer_tariff)
).astype(int)
# the two groups' rates are checked (each needs 10 entrants with and without the outcome);
# the metric with the scheme on is their average weighted by the rounded counts, so nothing
# here says more than the checked rates and counts
needed = entrants.assign(needed=np.where(entrants.needed_reduction == 1, "needed", "did not"))
need_checks = [outputs.checked(sdc.safe_stat, needed, "needed", y, stat="rate", unit="AE_ID")
               for y in ("continue_year2", "good_degree")]  # fmt: skip
by_need = dict(zip(("continue_year2", "good_degree"), (t.set_index("needed") for t in need_checks)))
switched = {}
for y, t in by_need.items():
    n0, n1, r0, r1 = t.n["did not"], t.n.get("needed", 0.0), t.rate["did not"], t.rate.get("needed")
    with_scheme = (n0 * r0 + n1 * r1) / (n0 + n1) if n1 > 0 and r1 == r1 else np.nan
    switched[y] = {"with contextual offers": with_scheme, "switched off": r0,
                   "composition effect": with_scheme - r0}  # fmt: skip
switched = pd.DataFrame(switched).T
counts_need = by_need["continue_year2"].n
share = counts_need.get("needed", np.nan) / counts_need.sum()
outputs.show("switched_off", switched.round(4), index=True,
             checks=need_checks,
             description="provider metrics with and without the entrants who needed the "
             "reduction")  # fmt: skip
print(
    f"entrants who needed the reduction: {share:.1%} of entrants at participating providers "
    f"(N = {counts_need.get('needed', np.nan):.0f}, rounded)"
)
rows.append(
    results.estimate(
        "composition_continuation", "provider continuation rate: with minus without the "
        "contextual entrants who needed the reduction", switched.loc["continue_year2",
        "composition effect"], None, (None, None), len(entrants),
    )
)  # fmt: skip

# %% [markdown]
# The composition effect on the continuation rate is a fraction of a percentage point, far
# from the OfS B3 threshold of 80%; the schemes cost the providers little on their metrics.
# The causal effect points the other way for the students themselves: had they gone where
# their grades would otherwise have taken them, the planted LATE says their continuation would
# have been lower. So the sector's continuation rises a little while the participating
# provider's falls a little. Which one a policy-maker should look at depends on the question:
# "is my university doing well?" or "did the students gain?".
#
# ## 7. Design B: the staggered adoption of schemes (event study)
#
# Providers adopted schemes in different cycles (`lookup_contextual_policy`). Comparing each
# adopter's entrants before and after adoption with providers that never adopted, cycle by
# cycle, estimates what a scheme did to the provider: the share of its entrants from eligible
# areas (the access target) and its continuation rate (the regulator's metric). This is the
# university's question answered causally, composition included. With staggered adoption, a
# two-way fixed-effects regression would also compare later with earlier adopters (already
# treated) and can weight effects negatively (Goodman-Bacon 2021); we use the Callaway and
# Sant'Anna (2021) group-time effects instead, with never-adopters as the comparison
# (`leokit.did`), on provider x cycle means, each provider weighted equally.

# %%
first_cycle = policy[policy.contextual_scheme == 1].groupby("provider_id_anon").application_cycle
first_cycle = first_cycle.min()
if provider_tier != "all":  # adopters of another tier leave; never-adopters stay as controls
    other = first_cycle.index[first_cycle.index.map(tier_of) != provider_tier]
    first_cycle = first_cycle.drop(other)
ent_all = everyone[(everyone.enrol_any == 1) & everyone.provider.notna()]
if provider_tier != "all":
    ent_all = ent_all[~ent_all.provider.isin(other)]
panel = (
    ent_all.assign(eligible_area=ent_all.eligible)
    .groupby(["provider", "application_cycle"])
    .agg(
        eligible_share=("eligible_area", "mean"),
        continuation=("continue_year2", "mean"),
        entrants=("AE_ID", "size"),
    )
    .reset_index()
)
panel["first_cycle"] = panel.provider.map(first_cycle).fillna(0)
cohort_sizes = panel.drop_duplicates("provider").first_cycle.value_counts().sort_index()
print("providers by first scheme cycle (0 = never; public information):")
cohort_sizes = cohort_sizes.rename(lambda c: "never" if c == 0 else int(c)).rename("providers")
outputs.show("scheme_adoption", cohort_sizes.to_frame(), index=True,
             public="providers' scheme start years (lookup_contextual_policy, from providers' "
             "published admissions policies)")  # fmt: skip
# the event-study estimates rest on every entrant at these providers (provider x cycle means)
EVENT_MODEL = {"n": int(panel.entrants.sum()), "n_clusters": int(panel.provider.nunique())}
events = {}
for y in ("eligible_share", "continuation"):
    gt = did.att_gt(panel, y, "provider", "application_cycle", "first_cycle", control="never")
    ev, overall = did.event_study(gt, reps=bootstrap_reps, seed=seed)
    events[y] = ev
    rows.append(
        results.estimate(
            f"event_study_{y}", f"average effect of adopting a scheme on the provider's {y} "
            "(Callaway-Sant'Anna, never-adopters as controls, post-adoption average)",
            overall["estimate"], overall["se"], overall["ci"], overall["n_units"],
            ci_bootstrap=list(overall["ci_bootstrap"]), n_treated=overall["n_treated"],
            dropped_providers=len(gt.dropped), n_entrants=EVENT_MODEL["n"],
        )
    )  # fmt: skip
    print(f"\n{y}: effect by cycles since adoption (event), 95% CI (t) and uniform band")
    outputs.show(f"event_study_{y}", ev.set_index("event").round(3), index=True,
                 models=[dict(EVENT_MODEL, name=f"event study {y}")])  # fmt: skip
    print(
        f"post-adoption average {overall['estimate']:.3f} (SE {overall['se']:.3f}); "
        f"{overall['n_treated']} adopters, {overall['n_units']} providers"
    )

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
titles = {
    "eligible_share": "share of entrants from eligible areas",
    "continuation": "continuation rate into year 2",
}
for ax, (y, ev) in zip(axes, events.items()):
    ax.fill_between(ev.event, ev.band_low, ev.band_high, color="lightsteelblue", label="95% band")
    ax.errorbar(ev.event, ev.estimate, yerr=[ev.estimate - ev.ci_low, ev.ci_high - ev.estimate],
                fmt="o", color="tab:blue", capsize=3, label="estimate, 95% CI")  # fmt: skip
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(-0.5, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("application cycles since the provider adopted a scheme")
    ax.set_ylabel("effect (proportion)")
    ax.set_title(titles[y], fontsize=10)
axes[0].legend(fontsize=8)
fig.suptitle("Event study of scheme adoption (Callaway-Sant'Anna, never-adopters as controls)")
fig.tight_layout()
outputs.figure("event_study", fig, models=[dict(EVENT_MODEL, name="event study")],
               table=pd.concat([ev.assign(outcome=y) for y, ev in events.items()]),
               description="the event-study tables as a figure")  # fmt: skip
plt.show()

# %% [markdown]
# Adopting a scheme raises the share of a provider's entrants from eligible areas at once, by
# more than ten percentage points, with no movement before adoption. The effect on the
# continuation rate is small, as the switched-off calculation in section 6 suggested, and
# cannot be told apart from zero. Three caveats:
#
# * **Few clusters.** There are 30 providers, about a dozen adopters, and some event times rest
#   on a handful of them. The intervals use t critical values with as many degrees of freedom
#   as adopters minus one and a wild (Webb) bootstrap over providers, but with so few units
#   any interval is approximate (MacKinnon, Nielsen and Webb 2023); randomisation inference
#   over which providers adopt is an alternative.
# * **Spillovers.** An applicant pulled into an adopter is an applicant another provider did not
#   get. Never-adopters lose some eligible entrants when others adopt, so the comparison
#   overstates the effect on the adopters (and there is no planted truth for it).
# * **Comparability.** Never-adopters here are mostly lower-tariff providers. The design needs
#   only parallel trends, which the pre-adoption estimates support, not equal levels.
#
# ## 8. What it means
#
# * **Eligibility works as intended.** The lower offer moves a large share of applicants near
#   the cutoff into participating providers (the first stage), and the providers' intake from
#   eligible areas rises when they adopt a scheme (design B), as Boliver, Crawford, Powell and
#   Craige (2017) expected of grade reductions.
# * **Whether the move helps the students cannot be read off this extract.** On the default
#   extract, the LATEs for drop-out, degree class and pay contain the planted effects and zero.
#   The planted effects are small, a point or so on drop-out and a few per cent on pay:
#   a contextual place moves students one step up the selectivity ladder, not into HE from
#   nothing. The Monte Carlo test (`tests/test_notebook_02_montecarlo.py`) shows the intervals
#   cover the planted values at the nominal rate over many generated extracts, and that even a
#   nine-times-larger extract does not resolve the sign of the pay effect. On the real data,
#   with all of England's applicants (about sixty times this extract), the intervals would be
#   about an eighth as wide: enough to detect a pay effect of a few per cent, still not a
#   drop-out effect of one point.
# * **The university's raw comparison has the wrong sign.** Contextual entrants drop out
#   more than standard entrants at the same university, because they arrive with lower
#   grades; for the students who were moved, the planted effect of the place is a small fall
#   in drop-out. The provider's continuation metric falls by a fraction of a point through
#   composition alone.
# * **The literature.** No published UK regression discontinuity on POLAR or IMD eligibility
#   cutoffs was found when this notebook was written (methods note, 2026); the UK evidence is
#   descriptive: Crawford (2014) on socio-economic gaps in drop-out and degree class among
#   students on the same course; Boliver, Gorard and Siddiqui (2021), who argue entry
#   requirements can fall substantially without setting students up to fail; Boliver and Jones
#   (2025) on Durham's contextual entrants. The quasi-experimental evidence is from the United
#   States and Chile: Bleemer's regression discontinuity on California's ELC programme finds
#   that barely eligible applicants shifted to selective campuses gained in degree completion
#   and early-career pay; Black, Denning and Rothstein (2023) find that students pulled into
#   Texas flagships by the top-10% rule gained and those pushed out did not measurably lose;
#   in Chile, the randomised expansion of the PACE programme's guaranteed places raised
#   expected programme earnings a little.
#   A UK study would add a first-stage, pay and drop-out design of exactly this shape.
# * **In the SRS**, the continuous participation rate must be merged from the OfS POLAR4 MSOA
#   file (or an IMD/IDACI rank from the LSOA), through the pupil's census LSOA; scheme rules
#   (cutoffs, reductions, start years) have to be collected from providers' admissions pages,
#   as `lookup_contextual_policy` stands in for here; pooling providers with different cutoffs
#   calls for normalising each to its own cutoff (`rdmulti`).
#
# ## 9. Disclosure control
#
# Every table and figure above was registered with `outputs` (`leokit.release`) as it was shown.
# Counts are rounded to 5 with cells under 10 suppressed (`leokit.sdc`: the linkage flow, N in
# every table). The RD plots show bins checked by `sdc.safe_bins` (at least 10 applicants, and
# for shares at least 10 with and 10 without the outcome), and their fitted lines stop at the
# checked bins, never at one applicant's extreme value. The university table goes through
# `sdc.safe_stat`. Counts of providers by adoption cycle and the density of areas come from
# public lookups. For model output the SRS rules of thumb ask for at least 10 people behind each
# estimate; for an RD the people that matter are those within the bandwidth **on each side**,
# which `outputs` checks for every estimate shown, and we also ask for at least 10 areas.

# %%
print(outputs.summary().to_string(index=False))
few_areas = [r["name"] for r in rows if "areas" in r and r["areas"] < sdc.THRESHOLD]
print("RD estimates resting on fewer than 10 areas:", few_areas or "none")
small_cells = int((panel.entrants < sdc.THRESHOLD).sum())
print(
    f"provider x cycle cells with fewer than 10 entrants (used in design B, never shown): "
    f"{small_cells}"
)

# %% [markdown]
# ## Exercises
#
# **1. Is the pay sample selected?** Pay is observed only for applicants in sustained employment
# at the ages in `earnings_ages`. If eligibility changed who is employed then, the pay LATE would
# compare different kinds of people on each side. Estimate the jump at the cutoff in having a
# pay outcome at all, in the headline sample. What would you conclude if it were large?

# %%

# %% tags=["solution"]
has_pay = head.assign(has_pay=head.log_earnings.notna().astype(int), sample=sample)
fit, d = rd_fit(has_pay, "has_pay")
s = summary(fit, d)
pay_rate = outputs.checked(sdc.safe_stat, has_pay, "sample", "has_pay", stat="rate", unit="AE_ID")
outputs.table("exercise_has_pay", pay_rate, checks=[pay_rate],
              models=[dict(s, name="jump in having pay")])  # fmt: skip
print(
    f"jump in having pay at ages {earnings_ages}: {s['estimate']:.3f} "
    f"[{s['ci'][0]:.3f}, {s['ci'][1]:.3f}]; mean {float(pay_rate['rate'].iloc[0]):.3f}"
)
# Here the interval covers zero: eligibility does not visibly change who is in sustained
# employment at these ages, so the pay comparison is between comparable groups. Had it
# jumped, the pay LATE would mix the effect on pay with the effect on who works; bounds
# (Lee 2009: trim the side with more workers) or pay coded for everyone (zeros included, in
# levels) would be the way forward.

# %% [markdown]
# **2. A different treatment.** Take "entered a higher-tariff provider" (`enrol_higher_tariff`)
# as the treatment instead of `D`, and re-estimate the fuzzy RD for `outcomes[0]`. Why is the
# first stage smaller, and why is this LATE harder to interpret?

# %%

# %% tags=["solution"]
fit, d = rd_fit(head, outcomes[0], fuzzy="enrol_higher_tariff")
s = summary(fit, d)
print(
    f"LATE of a higher-tariff place on {outcomes[0]}: {s['estimate']:.3f} "
    f"[{s['ci'][0]:.3f}, {s['ci'][1]:.3f}]; first stage {s['first_stage']:.3f} "
    f"(F = {s['first_stage_F']:.1f}) against {main_fs['estimate']:.3f} for D"
)
# Some participating providers are medium tariff, so part of the movement eligibility causes is
# between medium-tariff providers and does not change this treatment: the first stage shrinks
# and the interval widens. Worse, eligibility still moves applicants between providers that
# the new treatment does not count (medium-tariff scheme providers, HE at all), and those moves
# may change outcomes too: the exclusion restriction fails, and the ratio no longer
# measures the effect of a higher-tariff place for anybody in particular.

# %% [markdown]
# **3. The regression everyone runs first.** Estimate design B with a two-way fixed-effects
# regression: the provider's eligible-area share on a dummy for "scheme in force", with provider
# and cycle effects, clustered by provider. Compare it with the Callaway-Sant'Anna average. When
# would the two differ a lot?

# %%

# %% tags=["solution"]
twfe_data = panel.assign(
    treated=((panel.first_cycle > 0) & (panel.application_cycle >= panel.first_cycle)).astype(int)
)
twfe = smf.ols("eligible_share ~ treated + C(provider) + C(application_cycle)", twfe_data).fit(
    cov_type="cluster", cov_kwds={"groups": pd.factorize(twfe_data.provider)[0]}
)
cs = next(r for r in rows if r["name"] == "event_study_eligible_share")
print(
    f"two-way fixed effects: {twfe.params['treated']:.3f} (SE {twfe.bse['treated']:.3f}); "
    f"Callaway-Sant'Anna post-adoption average: {cs['estimate']:.3f} (SE {cs['se']:.3f})"
)
# Close here: the effect is similar across adoption cohorts and fades only a little. The
# two-way regression also uses early adopters as controls for late ones; when effects grow or
# shrink with time since adoption, those comparisons subtract part of the effect, and with
# strong dynamics some cohorts even get negative weights (Goodman-Bacon 2021). Averaging clean
# group-time comparisons avoids that.

# %% [markdown]
# ## Results file
#
# `results.json` in `output_dir` (one shape for every notebook), and the estimation sample for
# cross-checks in R or Stata in `work_dir`: it is record-level (pseudonymised keys), so it stays
# in your project area and never goes to output checking. `outputs.finish()` writes the
# output-checking report and refuses if `output_dir` holds anything that was not checked.

# %%
sample_columns = ["AE_ID", "application_cycle", "MSOA11CD", "LAD_anon", "cl", "x", "eligible"]
sample_columns += ["D", "D_ever", "offer_scheme", "accept_scheme", "enrol_higher_tariff"]
sample_columns += ["scheme_applicant"]
sample_columns += ["ever_applicant", "marginal_on", "marginal_ever", "KS4_PTSCNEWE"]
sample_columns += ["pred_tariff", "KS4_FSM", "female", "log_earnings", "dropout_year1"]
sample_columns += ["continue_year2", "good_degree", "enrol_any"]
estimation_sample = df[sample_columns].assign(
    policy_cycle=POLICY.astype(int), pre_cycle=PRE.astype(int)
)
estimation_sample.to_parquet(Path(work_dir) / "estimation_sample.parquet", index=False)
outputs.results(PARAMETERS, rows)
print(len(rows), "estimates in results.json; preferred:", PREFERRED)
print(outputs.finish())
