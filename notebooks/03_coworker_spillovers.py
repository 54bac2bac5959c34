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
# # Co-worker and neighbour skill spillovers, for individuals and the taxpayer
#
# **Question.** When the share of graduates among a person's co-workers (or neighbours) rises,
# does that person earn more, does a degree pay more, and what does the Exchequer gain?
# **You will produce** an estimator ladder (pooled OLS, worker effects, AKM, AKM with an
# instrument, worker plus enterprise-by-year effects, the neighbour analogue) in one table and one
# figure, pyfixest and linearmodels side by side, the change in income tax and National Insurance
# per worker-year, and a `results.json`.
# **Runs** in Binder, on a laptop and in the ONS Secure Research Service (SRS): point the
# `extract` parameter at the SQL Server views (see the parameters cell). The synthetic extract
# has a randomised graduate placement scheme to use as an instrument; the real one does not
# (section 8 says what to use instead).
#
# **In plain words.** People who work alongside many graduates earn more, but mostly because
# able people and well-paying employers seek each other out, and because employers that are
# doing well pay more and hire more graduates at the same time. Comparing the same person over
# time, in the same employer, and using a placement scheme that sent graduates to employers at
# random, the pay gain from ten more graduates in every hundred co-workers shrinks from a
# misleading 20% (a simple comparison) to about 1% on this synthetic extract, close to the
# planted truth. Graduates gain a little more than non-graduates from graduate co-workers, and
# living among graduates helps a little too. Because income tax and National Insurance rise
# faster than pay, the Exchequer's take rises about 1.6 times as fast as pay: roughly £160 a
# year per worker for that 1% pay rise.

# %% tags=["parameters"]
# Where the data is: a synthetic folder or DuckDB file. In the SRS use a dict:
# {"odbc": "DRIVER={SQL Server};SERVER=...;Trusted_Connection=yes", "schema": "<project>"}
extract = "../data_synthetic"
output_dir = "../output/03_coworker_spillovers"  # only checked outputs
work_dir = "../work/03_coworker_spillovers"  # record-level files, never released
tax_years = [200910, 202021]  # first and last tax year of the panel
age_range = [19, 64]  # ages (at the start of the tax year) kept
min_enterprise_size = 0  # employees on the IDBR (lower end of the band); 0 keeps every enterprise
exposure = "coworkers"  # the headline spillover: "coworkers" or "neighbours"
fixed_effects = "worker"  # preferred models: "worker" or "spell" (worker x enterprise) effects
instrument = True  # instrument the co-worker share with the placement scheme
cluster = "exposure"  # "exposure" (enterprise, or MSOA for neighbours), "exposure+worker", "worker"
tax_year = 202021  # rest-of-UK schedule for the taxpayer module
share_change = 0.10  # rise in the graduate share priced by the taxpayer module: 0.10 is 10 points

# %% [markdown]
# ## Check the parameters
#
# papermill only warns about a name this notebook does not have, so a misspelt parameter would
# silently leave the default in place. This cell stops with one message listing every problem,
# before any data are loaded: unknown names and bad values, folders that cannot be written
# (`work_dir`, for record-level files, must lie outside `output_dir`, which holds only what may
# leave the SRS), tax years and ages the extract does not cover, and an instrument the extract
# cannot supply.

# %% tags=["checks"]
from leokit import extract as lx
from leokit import notebook, release
from leokit.params import Param, pair_problems, refuse

SPEC = {
    "extract": Param((str, dict), help="a folder, a DuckDB file, or SRS connection settings"),
    "output_dir": Param(str, nonempty=True, help="folder for checked outputs"),
    "work_dir": Param(str, nonempty=True, help="folder for record-level files"),
    "tax_years": Param(list, each=Param(int, between=(200405, 202526)), help="[first, last]"),
    "age_range": Param(list, each=Param(int, between=(16, 70)), help="[youngest, oldest]"),
    "min_enterprise_size": Param(int, between=(0, 1000)),
    "exposure": Param(str, choices=["coworkers", "neighbours"]),
    "fixed_effects": Param(str, choices=["worker", "spell"]),
    "instrument": Param(bool),
    "cluster": Param(str, choices=["exposure", "exposure+worker", "worker"]),
    "tax_year": Param(int, between=(201011, 202526)),
    "share_change": Param(float, between=(0.01, 0.5)),
}
PARAMETERS = notebook.check(globals(), SPEC, "03_coworker_spillovers")
NAME = "03_coworker_spillovers"
problems = pair_problems("tax_years", tax_years) + pair_problems("age_range", age_range)
if any(y % 100 != (y // 100 + 1) % 100 for y in tax_years + [tax_year]):
    problems.append(
        f"tax_years = {tax_years}, tax_year = {tax_year}: tax years are written YYYYyy, "
        "e.g. 201819 for 6 April 2018 to 5 April 2019"
    )
refuse(NAME, problems)

# %% [markdown]
# Then what only the extract can tell (its tax years, and the birth years in the census, read
# from two columns); only when all is well are the two folders created.

# %% tags=["checks"]
import pyarrow as pa

# Binder allows 1 GB. pyarrow's default memory pool (mimalloc) keeps what the Parquet reads
# used; jemalloc's hands it back. Chosen before the first read.
try:
    pa.set_memory_pool(pa.jemalloc_memory_pool())
except NotImplementedError:  # a pyarrow built without jemalloc
    pa.set_memory_pool(pa.system_memory_pool())
ex = lx.open_parameter(extract)
first_year_in_data, last_year_in_data = notebook.tax_year_range(ex)
if tax_years[1] < first_year_in_data or tax_years[0] > last_year_in_data:
    problems.append(f"tax_years = {tax_years}: the data run from {first_year_in_data} to "
                    f"{last_year_in_data}")  # fmt: skip
else:  # the ages anyone in the extract can have within those tax years
    births = ex.read("spring_census", columns=["yearofbirth"]).yearofbirth.dropna()
    seen = (max(tax_years[0], first_year_in_data) // 100 - int(births.max()),
            min(tax_years[1], last_year_in_data) // 100 - int(births.min()))  # fmt: skip
    if age_range[1] < seen[0] or age_range[0] > seen[1]:
        problems.append(f"age_range = {age_range}: people in the extract are {seen[0]} to "
                        f"{seen[1]} in tax_years {tax_years}")  # fmt: skip
if instrument and not ex.has("lookup_placement_scheme"):
    problems.append(
        "instrument = True needs lookup_placement_scheme, which exists only in the synthetic "
        "extract: on the real views set instrument = False (or build an instrument: section 8)"
    )
refuse(NAME, problems)
outputs = release.Outputs(output_dir, work_dir, notebook=NAME)
PREFERRED = {
    ("coworkers", True): "theta_iv",
    ("coworkers", False): "theta_akm",
}.get((exposure, instrument), "lambda_movers")
# absorbed person effects in the preferred models: the worker, or the worker-enterprise match
PERSON_FE = "worker" if fixed_effects == "worker" else "spell"

# %%
import ctypes
import gc
import json
import os
import re
import time
import warnings
from pathlib import Path

# Many small BLAS calls (the LSMR iterations below) run slower on two threads than on one when
# the machine has two cores, as Binder and the SRS desktops do; set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyfixest as pf
from linearmodels import PanelOLS
from linearmodels.iv.absorbing import AbsorbingLS
from pyfixest.estimation import demean
from scipy import stats
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from leokit import derive, inference, results, sdc, tax
from leokit.schema.codes import FIRST_DEGREE_QUALS

# pyfixest announces the singletons it drops; the notebook counts them itself (section 4)
warnings.filterwarnings("ignore", module="pyfixest")
warnings.filterwarnings("ignore", category=FutureWarning)
pd.set_option("display.width", 120)


def release_memory():
    """Hand freed memory back to the operating system: pandas leaves the heap fragmented after
    big frames are dropped. malloc_trim exists on Linux (glibc) only."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


print(ex)

# %% [markdown]
# ## 1. Build the person-year panel the way it must be built in the SRS
#
# Pay and the employer come from HMRC (`leo_earnings`, keyed by `EDUKEY`); degrees from HESA
# (keyed by the pupil matching reference, PMR); residence from DWP (`leo_geography`, `EDUKEY`);
# enterprise characteristics from the business register (IDBR). The two lookups map both keys to
# one person, `AE_ID`.
#
# | step | view | key |
# |---|---|---|
# | person keys | `learner_ae_id_to_pmr_lookup`, `learner_ae_id_to_edukey_lookup` | PMR, EDUKEY -> `AE_ID` |
# | degree held, and when | `hesa_YYYY` (a first-degree qualification and its end date) | PMR |
# | year of birth | `spring_census_YYYY` | PMR |
# | pay and the main employer | `leo_earnings` (`main_enterprise` = IDBR `ENTKEY`) | EDUKEY, TaxYear |
# | full-year employment | `leo_employment` | EDUKEY |
# | residence (small area) | `leo_geography` -> `lookup_area` (output area -> MSOA) | EDUKEY, TaxYear |
# | enterprise size, sector, legal status | `idbr_enterprise_lookup` (SourceYear rule below) | ENTKEY |
# | the instrument | `lookup_placement_scheme` (synthetic only) | ENTKEY, TaxYear |
#
# **Degree holder.** A person holds a degree in tax year *t* if a HESA record shows a first-degree
# qualification (`HE_XQOBTN01` in H00, H11, H16, J00, M22) with an end date before 6 April of *t*.
# Degrees are predetermined: the exposure is built from who holds a degree, never from anyone's
# pay (which would bring back Manski's reflection problem).

# %%
flow = []  # (step, people, person-years): nothing is dropped silently


def keep(step, frame):
    flow.append((step, frame.AE_ID.nunique(), len(frame)))
    return frame


pmr = ex.read("learner_ae_id_to_pmr_lookup").rename(columns={"PUPILMATCHINGREFANONYMOUS": "PMR"})
edukey = ex.read("learner_ae_id_to_edukey_lookup")
to_person = edukey.set_index("EDUKEY").AE_ID
pmr_person = pmr.set_index("PMR").AE_ID
# people whose education records are linked: only their degree status is known
educated = pmr.AE_ID.unique()

hesa = ex.read(
    "hesa", columns=["HE_PUPILMATCHINGREFANONYMOUS", "HE_COMDATE", "HE_ENDDATE", "HE_XQOBTN01"]
)
hesa["AE_ID"] = hesa.HE_PUPILMATCHINGREFANONYMOUS.map(pmr_person)
hesa = hesa[hesa.AE_ID.notna()].astype({"AE_ID": "int64"})
hesa["start"] = pd.to_datetime(hesa.HE_COMDATE)
hesa["end"] = pd.to_datetime(hesa.HE_ENDDATE)
degree_end = hesa[hesa.HE_XQOBTN01.isin(FIRST_DEGREE_QUALS)].groupby("AE_ID").end.min()
# one row per HE instance; an instance still running at the last HESA year has no end yet
instances = hesa.groupby(["AE_ID", "start"], as_index=False).end.max()
instances["end"] = instances.end.fillna(pd.Timestamp("2099-12-31"))
census = ex.read("spring_census", columns=["pupilmatchingrefanonymous", "yearofbirth"])
census["AE_ID"] = census.pupilmatchingrefanonymous.map(pmr_person)
born = census.groupby("AE_ID").yearofbirth.min()
del hesa, census


def degree_at_start(frame):
    """1 if the person held a first degree on 6 April of the row's tax year."""
    return (frame.AE_ID.map(degree_end) < derive.tax_year_start(frame.TaxYear)).astype(float)


# %% [markdown]
# **The exposure.** For person *i* with main employer *j* in tax year *t*, the co-worker degree
# share is the share of degree holders among the *other* people whose main employer is *j* in *t*:
#
# S<sub>-i,jt</sub> = (degree holders at *j* in *t*, not counting *i*) / (people at *j* in *t*, not counting *i*).
#
# Leaving *i* out matters: with *i* included, a graduate raises their own exposure and the
# coefficient mixes the return to one's own degree with the spillover. The neighbour share
# N<sub>-i,kt</sub> is the same among the residents of *i*'s middle-layer super output area (MSOA,
# about 7,000 people) in *t*.
#
# **Only co-workers inside LEO are seen.** LEO holds people with English school or university
# records since about 2002, so a real enterprise's "co-workers" here are its young,
# English-educated staff whose keys link to education records; older staff, people educated
# elsewhere and people whose records do not link are invisible. Three consequences on the real
# data: (1) S measures the enterprise's true graduate mix with sampling error, large where few
# LEO co-workers are seen, which pulls OLS and fixed-effects estimates towards zero (fixed effects
# make it worse: they remove the stable signal and keep the noise); (2) the visible co-workers
# are a selected group (young, English-educated), so S is the graduate share among them, not
# among all staff; (3) an instrument that moves the true graduate mix corrects (1) but not (2).
# The synthetic world plants its spillover on exactly this visible share, so here the estimand is
# well defined; on the real views, say which share you estimate the effect of.


# %%
def leave_one_out_share(frame, group):
    """Degree share among the other seen members of the same (group, TaxYear)."""
    seen = frame.seen.astype(float)
    cells = frame.degree.where(frame.seen).groupby([frame[group], frame.TaxYear], observed=True)
    n, k = cells.transform("count"), cells.transform("sum")
    others = n - seen
    return ((k - seen * frame.degree) / others).where(others > 0)


earn = ex.read("leo_earnings", columns=["Edukey", "TaxYear", "Earnings", "main_enterprise"])
# text keys cost memory (Binder has 1 GB): the person as AE_ID, the enterprise as a category
earn["AE_ID"] = earn.pop("Edukey").map(to_person)
earn["main_enterprise"] = earn.main_enterprise.astype("category")
earn["seen"] = earn.AE_ID.isin(educated) & earn.main_enterprise.notna()
earn["degree"] = degree_at_start(earn)
earn["S"] = leave_one_out_share(earn, "main_enterprise")
earn["n_seen"] = earn.seen.groupby([earn.main_enterprise, earn.TaxYear], observed=True).transform(
    "sum"
)
flow.append(("leo_earnings rows (EDUKEY x tax year)", np.nan, len(earn)))
panel = earn[earn.AE_ID.notna()].astype({"AE_ID": "int64"})
panel = keep("... EDUKEY linked to a person (AE_ID)", panel)
panel = keep("... with education records (degree status known)", panel[panel.seen])
panel = keep("... with at least one other seen co-worker", panel[panel.S.notna()])
in_years = panel.TaxYear.between(*tax_years)
panel = keep(f"... in tax years {tax_years[0]} to {tax_years[1]}", panel[in_years])
del earn, in_years

geo = ex.read("leo_geography", columns=["Edukey", "TaxYear", "COA_2011"])
geo["AE_ID"] = geo.pop("Edukey").map(to_person)
geo = geo[geo.AE_ID.notna()].astype({"AE_ID": "int64"})
msoa_of = ex.read("lookup_area", columns=["OA11CD", "MSOA11CD"]).set_index("OA11CD").MSOA11CD
geo["MSOA11CD"] = geo.pop("COA_2011").map(msoa_of).astype("category")
geo["seen"] = geo.AE_ID.isin(educated) & geo.MSOA11CD.notna()
geo["degree"] = degree_at_start(geo)
geo["N"] = leave_one_out_share(geo, "MSOA11CD")
geo = geo[["AE_ID", "TaxYear", "MSOA11CD", "N"]]

# %% [markdown]
# **Pay.** The planted effects are on log *full-year* pay, so we keep person-years employed on
# every day of the tax year (`leo_employment` spells, via `leokit.derive.days_employed`). One trap:
# a spell whose start date was unknown was defaulted to 6 April (`UncertainStartDate = 1`), so it
# looks full-year in the year it began; those person-years are left out. We also drop years
# spent partly in higher education (any HESA instance overlapping the tax year) and keep ages in
# `age_range`.

# %%
emp = ex.read("leo_employment", columns=["EduKey", "StartDate", "EndDate", "UncertainStartDate"])
emp["AE_ID"] = emp.EduKey.map(to_person)
emp = emp[emp.AE_ID.isin(panel.AE_ID.unique())]
days = derive.days_employed(
    emp[["AE_ID", "StartDate", "EndDate"]],
    person="AE_ID",
    data_end=derive.tax_year_end(last_year_in_data),
)
full = days[days.days_employed >= derive.days_in_tax_year(days.TaxYear)][["AE_ID", "TaxYear"]]
guessed = emp[emp.UncertainStartDate == 1]
guessed = pd.DataFrame(
    {"AE_ID": guessed.AE_ID.to_numpy(), "TaxYear": derive.tax_year_of(guessed.StartDate).to_numpy()}
).assign(guessed=True)
full = full.merge(guessed.drop_duplicates(), how="left", on=["AE_ID", "TaxYear"])
full = full[full.guessed.isna()].drop(columns="guessed")
panel = keep("... employed all year (start date not a default)", panel.merge(full))
panel = panel[panel.Earnings > 0].copy()
panel["yob"] = panel.AE_ID.map(born)
panel = panel[panel.yob.notna()]
panel["age"] = panel.TaxYear // 100 - panel.yob.astype(int)
panel = keep(f"... aged {age_range[0]} to {age_range[1]} (year of birth from the census)",
             panel[panel.age.between(*age_range)])  # fmt: skip
spans = panel[["AE_ID", "TaxYear"]].assign(
    ty0=derive.tax_year_start(panel.TaxYear).to_numpy(),
    ty1=derive.tax_year_end(panel.TaxYear).to_numpy(),
)
overlap = spans.merge(instances, on="AE_ID")
studying = overlap[(overlap.start <= overlap.ty1) & (overlap.end >= overlap.ty0)]
studying = studying[["AE_ID", "TaxYear"]].drop_duplicates().assign(studying=True)
panel = panel.merge(studying, how="left", on=["AE_ID", "TaxYear"])
panel = keep("... not in higher education during the year", panel[panel.studying.isna()])
left_he = instances.groupby("AE_ID").end.max()
panel["he_done"] = (panel.AE_ID.map(left_he) < derive.tax_year_start(panel.TaxYear)).astype(float)
panel = panel.merge(geo, how="left", on=["AE_ID", "TaxYear"])
panel = keep("... with a residence in England and a seen neighbour", panel[panel.N.notna()])
del emp, days, full, spans, overlap, studying, geo, to_person, pmr_person, pmr, edukey
release_memory()

# %% [markdown]
# **The enterprise.** `main_enterprise` is the IDBR enterprise reference (`ENTKEY`) of the
# employer paying most in the year. The IDBR lookup comes in extracts (`SourceYear`): tax years up
# to 2016/17 link to the `SourceYear = '2019'` extract, later ones to `'2020'` (the rule in the
# data card; check it against your project's IDBR documentation). From it we take the employment
# band (for `min_enterprise_size`: the lower end of the band), the SIC section and the legal
# status (central and local government, 5 and 6, set pay by national scales). The placement
# scheme lookup says which enterprises took placed graduates in which year.

# %%
idbr = ex.read(
    "idbr_enterprise_lookup",
    columns=["ENTKEY", "SourceYear", "Employees", "legalstatus", "SECTIONNAME"],
)
panel["SourceYear"] = np.where(panel.TaxYear <= 201617, "2019", "2020")
panel = panel.merge(
    idbr.rename(columns={"ENTKEY": "main_enterprise"}),
    how="left",
    on=["main_enterprise", "SourceYear"],
)
unmatched = panel.Employees.isna()
panel["employees_min"] = panel.Employees.str.extract(r"^(\d+)", expand=False).astype(float)
panel = keep(
    f"... enterprise on the IDBR with at least {min_enterprise_size} employees",
    panel[~unmatched & (panel.employees_min >= min_enterprise_size)],
)
if ex.has("lookup_placement_scheme"):
    scheme = ex.read("lookup_placement_scheme")
else:  # the real views: no scheme, no instrument (the check cell refused instrument = True)
    scheme = pd.DataFrame({"ENTKEY": pd.Series([], dtype=object),
                           "TaxYear": pd.Series([], dtype="int64"), "scheme": pd.Series([], dtype=float)})  # fmt: skip
scheme = scheme.rename(columns={"ENTKEY": "main_enterprise"})
panel = panel.merge(scheme, how="left", on=["main_enterprise", "TaxYear"])
panel["Z"] = panel.scheme.fillna(0.0)
# the enterprise's scheme status in the next tax year, for a placebo check
ahead = scheme.assign(TaxYear=scheme.TaxYear - 101).rename(columns={"scheme": "Z_next"})
panel = panel.merge(ahead, how="left", on=["main_enterprise", "TaxYear"])
panel["Z_next"] = panel.Z_next.fillna(0.0)
del idbr

# %% [markdown]
# **The connected set.** Worker and enterprise effects are only comparable within a set of
# enterprises linked by workers who move between them (Abowd, Kramarz and Margolis 1999). We keep
# the largest connected set of the worker-enterprise graph.

# %%
worker = pd.factorize(panel.AE_ID)[0]
firm = pd.factorize(panel.main_enterprise)[0]
n_workers, n_firms = worker.max() + 1, firm.max() + 1
graph = coo_matrix(
    (np.ones(len(panel)), (worker, n_workers + firm)), shape=(n_workers + n_firms,) * 2
)
n_sets, which = connected_components(graph, directed=False)
largest = which[worker] == np.bincount(which[worker]).argmax()
# only what the analysis uses, to keep memory low
panel = panel.loc[largest, ["AE_ID", "main_enterprise", "TaxYear", "Earnings", "degree", "S",
                            "n_seen", "N", "MSOA11CD", "he_done", "age", "Employees",
                            "legalstatus", "Z", "Z_next"]]  # fmt: skip
panel = keep("... in the largest connected set", panel)
if len(panel) < 1000:
    refuse(NAME, [
        f"tax_years = {tax_years}, age_range = {age_range}, min_enterprise_size = "
        f"{min_enterprise_size}: fewer than 1,000 person-years are left; widen tax_years or "
        "age_range, or lower min_enterprise_size"
    ])  # fmt: skip

# integer codes for the absorbed effects (faster than text keys) and the regressors
panel["worker"] = pd.factorize(panel.AE_ID)[0]
panel["firm"] = pd.factorize(panel.main_enterprise)[0]
panel["firm_year"] = pd.factorize(panel.firm * 10000 + panel.TaxYear % 10000)[0]
panel["spell"] = pd.factorize(panel.worker.astype(np.int64) * (n_firms + 1) + panel.firm)[0]
panel["msoa"] = pd.factorize(panel.MSOA11CD)[0]
panel["year"] = panel.TaxYear
panel["lny"] = np.log(panel.Earnings)
panel["gS"] = panel.degree * panel.S
panel["age2"] = panel.age.astype(float) ** 2
panel["x2"] = (panel.age - 18.0) ** 2
for col in ("main_enterprise", "Employees", "legalstatus"):
    panel[col] = panel[col].astype("category")
panel = panel.reset_index(drop=True)
release_memory()

# %% [markdown]
# People and person-years kept at each step (rounded to 5, as the SRS requires for counts; a
# cell under 10 would be suppressed):

# %%
flow_table = release.round_counts(
    pd.DataFrame(flow, columns=["step", "people", "person-years"]),
    ["people", "person-years"],
    label="step",
    title="people and person-years kept at each step",
)
outputs.show("linkage_flow", flow_table, checks=[flow_table])
print(f"\n{n_sets} connected set(s) of workers and enterprises before the last step")

# %% [markdown]
# Most of the loss is by design: part-year jobs (student jobs, entries and exits) and years in
# education. A few percent are lost to keys that do not link: in the SRS, compare these rates with
# the linkage rates DfE publishes.
#
# ## 2. What the exposure looks like
#
# Enterprise-level statistics are magnitudes about a few businesses, so the SRS output checkers
# apply a dominance rule as well as the threshold: `sdc.safe_stat` suppresses a cell where one or
# two enterprises contribute most of the total. Here, by IDBR employment band: the number of
# enterprises, the mean co-worker degree share (each enterprise's contribution is the sum over
# its person-years) and the median pay of the people in the panel.

# %%
BAND_ORDER = ["0-4", "5-9", "10-19", "20-49", "50-99", "100-249", "250-499", "500-999", "1000+"]
firms_by_band = outputs.checked(sdc.safe_counts, panel, "Employees", unit="main_enterprise",
                                name="enterprises")  # fmt: skip
share_by_band = outputs.checked(sdc.safe_stat, panel, "Employees", "S", stat="mean",
                                unit="main_enterprise")  # fmt: skip
pay_by_band = outputs.checked(sdc.safe_stat, panel, "Employees", "Earnings", stat="median",
                              unit="AE_ID", round_to=100)  # fmt: skip
describe = (
    firms_by_band.set_index("Employees")
    .join(share_by_band.set_index("Employees").rename(columns={"n": "n_ent", "mean": "mean S"}))
    .join(
        pay_by_band.set_index("Employees").rename(columns={"n": "people", "median": "median pay"})
    )
    .drop(columns="n_ent")
    .reindex([b for b in BAND_ORDER if b in set(panel.Employees)])
)
outputs.show("exposure_by_size", describe, checks=[firms_by_band, share_by_band, pay_by_band],
             index=True, float_format=lambda v: f"{v:,.3f}" if v < 1 else f"{v:,.0f}",
             description="enterprises, mean co-worker degree share and median pay by IDBR "
             "employment band")  # fmt: skip

# %% [markdown]
# ## 3. The naive estimate and why it misleads
#
# The model (Moretti 2004; Cornelissen, Dustmann and Schönberg 2017) is
#
# ln w<sub>ijt</sub> = α<sub>i</sub> + ψ<sub>j</sub> + τ<sub>t</sub> + θ S<sub>-i,jt</sub> + κ g<sub>i</sub> S<sub>-i,jt</sub> + λ N<sub>-i,kt</sub> + f(age) + ε,
#
# with g<sub>i</sub> = 1 for a degree holder: θ is the spillover to everyone, κ the change in the
# return to a degree, λ the neighbour spillover. Pooled OLS with controls for the person's own
# degree, HE entry, age and year compares people in graduate-rich and graduate-poor workplaces.
# Three things make it misleading, all present in the synthetic world as in the literature:
#
# * **sorting**: able people (α high) work at high-paying enterprises (ψ high), which employ more
#   graduates;
# * **enterprise-year demand shocks**: an enterprise doing well this year pays more *and* hires
#   more graduates;
# * **area sorting**: high earners live in graduate-rich areas with higher local pay.
#
# **Standard errors** (every model): clustered by the unit at which the exposure varies: the
# enterprise for S, the MSOA for N (`cluster = "exposure"`), as methods note section 4b advises.
# The reported SE is pyfixest's CR1: G/(G-1) x (N-1)/(N-k), where k leaves out fixed effects nested
# in the clusters and singletons are dropped first (the reghdfe and R fixest convention); 95%
# intervals use t(G-1) critical values. Section 5 sets linearmodels beside it.

# %%
CLUSTER = {
    "exposure": ("firm", "msoa"),
    "exposure+worker": ("firm+worker", "msoa+worker"),
    "worker": ("worker", "worker"),
}[cluster]
truth = {}
if isinstance(extract, str) and (Path(extract) / "truth.json").exists():
    truth = json.loads((Path(extract) / "truth.json").read_text())["spillovers"]
TRUTH = {
    "theta": truth.get("coworker_theta"),
    "kappa": truth.get("degree_x_share_kappa"),
    "lambda": truth.get("neighbour_lambda"),
}
ESTIMAND = {
    "theta": "co-worker degree share spillover (log pay per unit share)",
    "kappa": "degree x co-worker share interaction (log pay)",
    "lambda": "neighbour (MSOA) degree share spillover (log pay per unit share)",
}
COEF = {"theta": "S", "kappa": "gS", "lambda": "N"}
BEST = {"theta": "theta_iv" if instrument else "theta_akm", "kappa": "kappa_firm_year",
        "lambda": "lambda_movers"}  # fmt: skip
rows, fits = [], {}


class Fitted:
    """What the notebook keeps of a pyfixest fit: slopes, N and, for each clustering asked for,
    SEs, t(G-1) intervals and G. The fit itself is let go: a few of them would not fit in
    Binder's 1 GB. `fit.vcov(...)` recomputes the variance for another clustering, no refit."""

    def __init__(self, fit, clusters, seconds):
        self.coef, self.N, self.seconds = fit.coef().copy(), int(fit._N), seconds
        self.dof = int(fit._N - fit._df_k)  # residual degrees of freedom
        self.se, self.ci, self.G = {}, {}, {}
        for i, cl in enumerate(dict.fromkeys(clusters)):
            if i:
                fit.vcov({"CRV1": cl})
            self.se[cl], self.ci[cl] = fit.se().copy(), fit.confint().copy()
            self.G[cl] = int(min(fit._G))


def used_columns(formula, clusters, data):
    """The columns a formula and its clusterings use: pyfixest then converts only those."""
    words = set(re.findall(r"\w+", formula + " " + " ".join(clusters)))
    return [c for c in data.columns if c in words]


def feols(formula, clusters, data=None):
    t0 = time.perf_counter()
    data = panel if data is None else data
    fit = pf.feols(formula, data[used_columns(formula, clusters, data)],
                   vcov={"CRV1": clusters[0]}, copy_data=False)  # fmt: skip
    kept = Fitted(fit, clusters, time.perf_counter() - t0)
    del fit
    release_memory()  # a pyfixest fit refers to itself: only the cycle collector frees it
    return kept


def add(name, param, fit, rung, absorbed, cluster, **extra):
    """One row of results.json from a kept fit, with its SE for `cluster`."""
    coef = COEF[param]
    low, high = fit.ci[cluster].loc[coef]
    rows.append(
        results.estimate(
            name, ESTIMAND[param], fit.coef[coef], fit.se[cluster][coef], (low, high), fit.N,
            truth=TRUTH[param], preferred=name == PREFERRED, best_for_estimand=BEST[param] == name,
            rung=rung, absorbed=absorbed, cluster=cluster, n_clusters=fit.G[cluster], dof=fit.dof,
            se_convention="pyfixest CRV1 default (fixest/reghdfe)", **extra,
        )
    )  # fmt: skip


pooled = feols("lny ~ S + gS + N + degree + he_done + age + age2 | year", CLUSTER)
add("theta_pooled_ols", "theta", pooled, "pooled OLS", "year", CLUSTER[0])
add("kappa_pooled_ols", "kappa", pooled, "pooled OLS", "year", CLUSTER[0])
add("lambda_pooled_ols", "lambda", pooled, "pooled OLS", "year", CLUSTER[1])
fits["pooled OLS"] = pooled
print(
    f"pooled OLS: S {pooled.coef['S']:.3f}, degree x S {pooled.coef['gS']:.3f}, "
    f"N {pooled.coef['N']:.3f}; N = {sdc.round_half_up(pooled.N):.0f} person-years"
)

# %% [markdown]
# A coefficient above 1 on a share means that moving from no graduate co-workers to all
# graduates would more than double pay: far more than any study finds (section 8). Pooled OLS
# is measuring who works where.
#
# ## 4. The ladder: fixed effects, then an instrument
#
# 1. **Worker effects** (α<sub>i</sub>, plus year effects) compare the same person over time, so
#    fixed ability drops out; enterprise pay premiums still come along with moves to graduate-rich
#    enterprises.
# 2. **AKM** (worker + enterprise + year effects, Abowd, Kramarz and Margolis 1999; Card, Heining
#    and Kline 2013) removes enterprise premiums: θ is identified from changes in the mix within
#    an enterprise and from movers. Enterprise-year demand shocks remain.
# 3. **AKM + IV.** The placement scheme (`lookup_placement_scheme`) sent a random 35% of job-seeking
#    graduates to enterprises drawn at random among the larger half; an enterprise in the scheme
#    in year *t* gains graduate co-workers for reasons unrelated to its demand. Z<sub>jt</sub> = 1
#    if the main employer is in the scheme in *t* instruments S. pyfixest allows **one endogenous
#    regressor** with absorbed effects (methods note section 5), and g x S is endogenous too, so we
#    use two steps: take κ̂ from step 4, subtract κ̂ g S from log pay, and instrument S alone.
#    The extra uncertainty from κ̂ is small here (printed below). The interval for θ uses
#    t(G*-1) critical values, G* the *effective* number of enterprise clusters: a few very
#    large enterprises carry most of the information, and the usual t(G-1) interval is too
#    narrow (section 6 shows why and what it costs).
# 4. **Worker + enterprise-by-year effects** absorb every enterprise-year shock, so θ is no longer
#    identified, but κ is: it compares graduates with non-graduates in the same enterprise and
#    year as the enterprise's graduate share changes. Area effects (MSOA) are added for step 5.
# 5. **The neighbour analogue.** N varies by MSOA and year; with worker, MSOA and
#    enterprise-by-year effects, λ is identified from people who move home (and from changes in an
#    area's mix over time), net of stable area pay levels and of everything about the employer in
#    that year. It comes from the same model as step 4, clustered by MSOA.
#
# With `fixed_effects = "spell"` steps 3-5 absorb worker x enterprise match effects instead of
# worker effects: the comparison is then within a job, as in Nix (2020).

# %%
wfe = feols("lny ~ S + gS + N + x2 | worker + year", CLUSTER)
add("theta_worker_fe", "theta", wfe, "worker effects", "worker + year", CLUSTER[0])
add("lambda_worker_fe", "lambda", wfe, "worker effects", "worker + year", CLUSTER[1])
fits["worker effects"] = wfe

akm = feols("lny ~ S + gS + N + x2 | worker + firm + year", CLUSTER)
add("theta_akm", "theta", akm, "AKM", "worker + enterprise + year", CLUSTER[0])
add("kappa_akm", "kappa", akm, "AKM", "worker + enterprise + year", CLUSTER[0])
fits["AKM"] = akm

ABSORB_FY = f"{PERSON_FE} + firm_year + msoa"
fy = feols(f"lny ~ gS + N + x2 | {ABSORB_FY}", CLUSTER)
add("kappa_firm_year", "kappa", fy, "worker + enterprise-by-year", ABSORB_FY, CLUSTER[0])
add("lambda_movers", "lambda", fy, "neighbours: movers", ABSORB_FY, CLUSTER[1])
kappa_hat, kappa_se = float(fy.coef["gS"]), float(fy.se[CLUSTER[0]]["gS"])
fits["worker + enterprise-by-year"] = fy

if instrument:
    panel["lny_net"] = panel.lny - kappa_hat * panel.gS
    ABSORB_IV = "worker + firm + year" if PERSON_FE == "worker" else "spell + year"
    # the two-way clustering is kept for exercise 1
    iv = feols(f"lny_net ~ x2 | {ABSORB_IV} | S ~ Z", [CLUSTER[0], "firm+worker"])
    # the first stage, fitted on its own (pyfixest's iv.first_stage() refits it inside the IV
    # object: more memory at once). With one instrument the cluster-robust F, the squared t, is
    # also the effective F of Montiel Olea and Pflueger (2013).
    first = feols(f"S ~ Z + x2 | {ABSORB_IV}", CLUSTER[:1])
    first_coef = float(first.coef["Z"])
    first_F = float((first_coef / first.se[CLUSTER[0]]["Z"]) ** 2)
    add(
        "theta_iv", "theta", iv, "AKM + IV" if PERSON_FE == "worker" else "match effects + IV",
        ABSORB_IV, CLUSTER[0], kappa_first_step=kappa_hat, first_stage_coef=first_coef,
        first_stage_F=first_F,
    )  # fmt: skip
    fits["AKM + IV"] = iv
    # The effective number of clusters (Carter, Schnepel and Steigerwald 2017) from the IV's
    # scores, instrument x residual, with the absorbed effects and age partialled out
    # (Frisch-Waugh-Lovell); the same partialled data serve the bootstrap in section 6.
    absorbed_iv = [c.strip() for c in ABSORB_IV.split("+")]
    partialled, converged = demean(
        panel[["lny_net", "S", "Z", "x2"]].to_numpy(float),
        panel[absorbed_iv].to_numpy().astype(np.uint64),
        np.ones(len(panel)),
        tol=1e-10,
    )
    assert converged, "partialling out the absorbed effects did not converge"
    y_t, s_t, z_t, age_t = partialled.T
    y_t, s_t, z_t = (v - age_t * (age_t @ v) / (age_t @ age_t) for v in (y_t, s_t, z_t))
    del partialled, age_t
    cl_name = CLUSTER[0].split("+")[0]  # the effective count and the bootstrap are one-way
    theta_hat, se_iv = float(iv.coef["S"]), float(iv.se[CLUSTER[0]]["S"])
    g_star = inference.effective_clusters(z_t * (y_t - theta_hat * s_t), panel[cl_name])
    q = stats.t.ppf(0.975, max(g_star - 1, 1))
    row = next(r for r in rows if r["name"] == "theta_iv")
    row.update(ci_t_clusters=list(row["ci"]), effective_clusters=g_star,
               ci=[theta_hat - q * se_iv, theta_hat + q * se_iv],
               ci_rule=f"CR1 SE with t(G*-1) critical values, G* = {g_star:.1f}")  # fmt: skip
    # θ̂ moves by -π̂ per unit error in κ̂, π̂ the IV slope of g S on S: about the graduate share
    # of person-years, a rate released like any other
    years = panel[["AE_ID", "degree"]].assign(panel="person-years")
    grad_share = outputs.checked(sdc.safe_stat, years, "panel", "degree", stat="mean", unit="AE_ID")
    outputs.table("graduate_share", grad_share, checks=[grad_share])
    share = float(grad_share["mean"].iloc[0])
    print(
        f"first stage: the scheme raises S by {first_coef:.3f} (cluster-robust F = {first_F:.0f})\n"
        f"two-step: κ̂ = {kappa_hat:.4f} with SE {kappa_se:.4f}; times the graduate share "
        f"({share:.2f}) that is about {share * kappa_se:.4f}, small next to the SE of θ̂ "
        f"({iv.se[CLUSTER[0]]['S']:.4f})"
    )

# %% [markdown]
# ### The ladder in one table
#
# `N` is the number of person-years used (singletons dropped), `G` the number of clusters; the
# interval is the estimate ± t(G-1) x SE. `best` marks the design each parameter should be read
# from; `truth` is the planted value (`truth.json`), shown because the extract is synthetic.

# %%
ORDER = ["theta_pooled_ols", "theta_worker_fe", "theta_akm", "theta_iv", "kappa_pooled_ols",
         "kappa_akm", "kappa_firm_year", "lambda_pooled_ols", "lambda_worker_fe", "lambda_movers"]  # fmt: skip
rows.sort(key=lambda r: ORDER.index(r["name"]))
table = pd.DataFrame(rows).set_index("name")
show = table[
    ["rung", "estimate", "se", "ci", "n", "n_clusters", "truth", "best_for_estimand"]
].copy()
show["ci"] = [f"[{lo:.3f}, {hi:.3f}]" for lo, hi in table.ci]
show["n"] = sdc.round_half_up(table.n.to_numpy(float)).astype(int)
show["n_clusters"] = show.n_clusters.astype(int)
show["best_for_estimand"] = np.where(show.best_for_estimand, "yes", "")
show = show.rename(columns={"n": "N", "n_clusters": "G", "best_for_estimand": "best"})
outputs.show("ladder", show.round(4), models=rows, index=True,
             description="the estimator ladder for theta, kappa and lambda")  # fmt: skip

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), sharey=False)
for ax, param in zip(axes, ["theta", "kappa", "lambda"]):
    sub = table[table.index.str.startswith(param + "_")]
    for i, (_, r) in enumerate(sub.iterrows()):
        colour = "tab:blue" if r.best_for_estimand else "tab:red"
        ax.errorbar(r.estimate, i, xerr=[[r.estimate - r.ci[0]], [r.ci[1] - r.estimate]],
                    fmt="o", color=colour, capsize=3)  # fmt: skip
    if TRUTH[param] is not None:
        ax.axvline(TRUTH[param], color="black", ls="--", lw=1, label="planted truth")
        ax.legend(loc="lower right", fontsize=8)
    ax.axvline(0, color="grey", lw=0.6)
    ax.set_yticks(range(len(sub)), sub.rung)
    ax.invert_yaxis()
    ax.set_xscale("symlog", linthresh=0.2)
    ax.set_title({"theta": "θ: co-worker share", "kappa": "κ: degree x co-worker share",
                  "lambda": "λ: neighbour share"}[param])  # fmt: skip
    ax.set_xlabel("log pay per unit share (symlog scale), 95% CI")
fig.suptitle("Estimator ladder: naive (red) versus preferred (blue) designs")
fig.tight_layout()
outputs.figure("ladder", fig, table=table[["rung", "estimate", "ci", "truth"]].reset_index(),
               models=rows, description="the ladder table as a figure")  # fmt: skip
plt.show()

# %% [markdown]
# **Singletons.** A worker seen in one year only (or an enterprise-year cell with one person)
# is fitted exactly by its own effect and says nothing about the slopes. pyfixest drops such
# singletons (repeatedly, across all absorbed effects) before estimating; linearmodels and the
# older Stata `areg` keep them. The slopes are the same; N and the degrees of freedom, hence the
# standard errors, differ slightly.

# %%
singletons = pd.DataFrame(
    {
        "person-years": [len(panel)] * len(fits),
        "used": [f.N for f in fits.values()],
    },
    index=list(fits),
)
singletons["singletons dropped"] = singletons["person-years"] - singletons["used"]
singletons = release.round_counts(singletons, list(singletons), title="person-years by model")
outputs.show("singletons", singletons, checks=[singletons], index=True)
# workers, enterprises and areas in the panel, and the shares of workers who move
moves = panel.groupby("worker").agg(firms=("firm", "nunique"), areas=("msoa", "nunique"))
moves = pd.DataFrame({"panel": "workers", "worker": moves.index,
                      "change enterprise": (moves.firms > 1).astype(int).to_numpy(),
                      "change MSOA": (moves.areas > 1).astype(int).to_numpy()})  # fmt: skip
in_panel = panel[["worker", "firm", "msoa"]].assign(panel="workers")
unit_checks = [outputs.checked(sdc.safe_counts, in_panel, "panel", unit=u, name=label)
               for u, label in (("worker", "workers"), ("firm", "enterprises"), ("msoa", "MSOAs"))]  # fmt: skip
unit_checks += [outputs.checked(sdc.safe_stat, moves, "panel", col, stat="mean", unit="worker")
                for col in ("change enterprise", "change MSOA")]  # fmt: skip
units = pd.concat([c.set_index("panel").iloc[:, -1:] for c in unit_checks], axis=1)
units.columns = ["workers", "enterprises", "MSOAs", "share changing enterprise",
                 "share changing MSOA"]  # fmt: skip
outputs.show("panel_units", units.round(3), checks=unit_checks, counts=["workers", "enterprises", "MSOAs"],
             formatters={c: "{:.0f}".format for c in ("workers", "enterprises", "MSOAs")})  # fmt: skip

# %% [markdown]
# ## 5. pyfixest and linearmodels side by side
#
# Same data, same models. linearmodels has no IV with absorbed effects (its `AbsorbingLS` is OLS
# only), and `PanelOLS` takes at most two effects, so: worker + year effects with `PanelOLS`,
# AKM with `AbsorbingLS(..., method="lsmr")` (the enterprise-by-year model works the same way:
# `absorb` with the worker, enterprise-year and MSOA codes; `tests/test_notebook_03.py` checks it). The LSMR solver
# matters: linearmodels' default absorber (pyhdfe's alternating projections without
# acceleration) did not finish in 20 minutes on a 2-million-row panel with little mobility, where
# LSMR took 19 s and pyfixest 3.5 s (shared research notes, stack section 3). `tools/bench_akm.py`
# repeats the comparison: on 2 million rows, linearmodels' LSMR took 3.8 times as long as
# pyfixest on a well-connected panel and 6.8 times as long as pyfixest's LSMR demeaner on one
# with little mobility (where pyfixest's default demeaner slows down too).
#
# The coefficients agree. The standard errors differ only by the small-sample factor, and each
# package's convention can be reproduced in the other:
#
# | package, call | factor on the clustered variance | singletons |
# |---|---|---|
# | pyfixest default (`CRV1`) | G/(G-1) x (N-1)/(N-k), k without effects nested in the clusters | dropped |
# | linearmodels `AbsorbingLS.fit(cov_type="clustered", debiased=True)` | G/(G-1) x (N-1)/(N-k), k with every absorbed effect | kept |
# | linearmodels `PanelOLS.fit(cov_type="clustered", group_debias=True)` | the same (linearmodels 7.1 counts the worker effects even when clustering by worker) | kept |
# | = pyfixest `fixef_rm="none", ssc=pf.ssc(k_fixef="full")` | the same | kept |
# | linearmodels `AbsorbingLS` default (`debiased=False`) | none at all: too small | kept |
#
# With two-way clustering the packages also differ in G (pyfixest and reghdfe use the smaller
# G for the whole factor, linearmodels each dimension's own), so only one-way SEs are matched.

# %%
LM = {"AKM": ("AbsorbingLS", ["S", "gS", "N", "x2"], ["worker", "firm", "year"]),
      "worker effects": ("PanelOLS", ["S", "gS", "N", "x2"], ["worker", "year"])}  # fmt: skip
PF_FORMULA = {
    "AKM": "lny ~ S + gS + N + x2 | worker + firm + year",
    "worker effects": "lny ~ S + gS + N + x2 | worker + year",
}
one_way = "+" not in CLUSTER[0]
side, timing = [], []
for model, (kind, X, absorb) in LM.items():
    t0 = time.perf_counter()
    if kind == "PanelOLS":
        d = panel[["lny", *X, "worker", "year", "firm"]].set_index(["worker", "year"], drop=False)
        lm = PanelOLS(d.lny, d[X], entity_effects=True, time_effects=True).fit(
            cov_type="clustered", clusters=d[CLUSTER[0].split("+")], group_debias=True,
            low_memory=True,
        )  # fmt: skip
    else:
        d = pd.DataFrame({c: pd.Categorical(panel[c]) for c in absorb})
        lm = AbsorbingLS(panel.lny, panel[X], absorb=d).fit(
            cov_type="clustered", clusters=panel[CLUSTER[0].split("+")].to_numpy(),
            debiased=True, method="lsmr",
        )  # fmt: skip
    lm_seconds = time.perf_counter() - t0
    lm_coef, lm_se = lm.params.copy(), lm.std_errors.copy()
    del lm, d  # one model in memory at a time
    release_memory()
    cols = used_columns(PF_FORMULA[model], CLUSTER[:1], panel)
    matched = pf.feols(PF_FORMULA[model], panel[cols], vcov={"CRV1": CLUSTER[0]}, fixef_rm="none",
                       ssc=pf.ssc(k_fixef="full"), copy_data=False, store_data=False).se()  # fmt: skip
    release_memory()
    default = fits[model]
    timing.append((model, kind, lm_seconds, default.seconds))
    for coef in X[:-1]:
        side.append(
            {
                "model": model,
                "coef": coef,
                "pyfixest": default.coef[coef],
                "linearmodels": lm_coef[coef],
                # the gap is solver noise (1e-10 or less), different in every run: not printed
                "agree to 1e-6": abs(default.coef[coef] - lm_coef[coef]) < 1e-6,
                "SE pyfixest default": default.se[CLUSTER[0]][coef],
                "SE pyfixest matched": matched[coef],
                "SE linearmodels": lm_se[coef],
            }
        )
        for r in rows:  # keep both packages' numbers for the tests and for readers
            same = r["rung"] == model and COEF[r["name"].split("_")[0]] == coef
            if same and not r["name"].startswith("lambda"):  # λ rows are clustered by MSOA
                r.update(linearmodels_estimate=float(lm_coef[coef]),
                         linearmodels_se=float(lm_se[coef]), linearmodels_call=kind,
                         pyfixest_matched_se=float(matched[coef]), one_way_cluster=one_way)  # fmt: skip
side = pd.DataFrame(side).set_index(["model", "coef"])
outputs.show("packages", side, models=[r for r in rows if r["rung"] in LM], index=True,
             float_format="{:.6f}".format,
             description="pyfixest and linearmodels on the same models")  # fmt: skip

# %% [markdown]
# The coefficients agree to the solver tolerance (well under 1e-6) and, with one-way clusters, the
# matched standard errors agree with linearmodels' to the same precision; pyfixest's default SE is
# a little smaller because it does not count effects nested in the clusters. Time for each fit
# on this panel (seconds; pyfixest's first call also compiles its demeaning code):

# %% tags=["nbval-ignore-output"]
print(pd.DataFrame(timing, columns=["model", "linearmodels", "seconds lm", "seconds pyfixest"])
      .set_index("model").round(2).to_string())  # fmt: skip

# %% [markdown]
# ## 6. Checks
#
# **First stage and a placebo.** A valid instrument moves the exposure (first stage, above) and
# affects pay only through it. The scheme is redrawn every year, so an enterprise's scheme status
# *next* year cannot have caused anything this year: in the reduced form (log pay, net of the κ̂
# term, on this year's and next year's scheme status, with AKM effects), next year's coefficient
# should be close to zero. The last tax year has no "next year" and is left out.

# %%
if instrument:
    placebo = feols(
        f"lny_net ~ Z + Z_next + x2 | {ABSORB_IV}",
        CLUSTER[:1],
        data=panel[panel.year < panel.year.max()],
    )
    reduced = pd.DataFrame({"estimate": placebo.coef, "SE": placebo.se[CLUSTER[0]]})
    reduced = reduced.join(placebo.ci[CLUSTER[0]]).loc[["Z", "Z_next"]]
    outputs.show("placebo_reduced_form", reduced.round(4), index=True,
                 models=[{"name": "reduced form with next year's scheme", "n": placebo.N,
                          "dof": placebo.dof, "n_clusters": placebo.G[CLUSTER[0]]}])  # fmt: skip
    print(f"this year's scheme: reduced form / first stage = "
          f"{placebo.coef['Z'] / first_coef:.3f}, close to θ̂: the IV estimate is this ratio "
          "when both are fitted on the same sample")  # fmt: skip
else:
    print("instrument = False: no first stage or placebo; θ comes from AKM alone (biased up)")

# %% [markdown]
# **How many enterprises does the interval rest on?** The clustered SE treats the 1,100 or so
# enterprises as that many independent pieces of information. But enterprise sizes are very
# unequal, each enterprise's workers share its demand shocks, and placed graduates go to scheme
# enterprises in proportion to their size: a handful of very large enterprises carry most of the
# variance of the IV's score (instrument x residual, summed by enterprise). The *effective*
# number of clusters (the inverse of the sum of squared variance shares) says how many. When it
# is small, t(G-1) intervals are too narrow (MacKinnon, Nielsen and Webb 2023). Three intervals
# for θ:
#
# * CR1 with t(G-1) critical values, the usual one;
# * the wild cluster bootstrap of the Anderson-Rubin test (`leokit.inference.wild_bootstrap_ar`:
#   test each value θ0 by regressing log pay - θ0 S on the instrument, with the absorbed
#   effects and age partialled out, and keep the values not rejected), also robust to a weak
#   instrument;
# * CR1 with t(G*-1) critical values, a conservative rule.
#
# Which to trust was settled by simulation, not taste: the slow test
# `tests/test_notebook_03_montecarlo.py` reruns this notebook on 50 freshly generated extracts
# (G* had a median of 8). The spread of θ̂ across them was 0.060 while the mean CR1 SE was 0.046;
# the t(G-1) interval covered the planted θ in 88% of the runs, the wild bootstrap Anderson-Rubin
# interval in 90%, the t(G*-1) interval in 96%. So the reported interval (in the ladder,
# `results.json` and the taxpayer module) is the t(G*-1) one: wider, but honest. On the real
# data, compute G* before you trust a clustered IV interval.

# %%
if instrument:
    ar = inference.wild_bootstrap_ar(y_t, s_t, z_t, panel[cl_name], reps=999, seed=20261128)
    row.update(ci_wild_bootstrap_ar=list(ar["ci"]), p_wild_bootstrap_ar=ar["p_value"])
    intervals = pd.DataFrame(
        [row["ci_t_clusters"], ar["ci"], row["ci"]],
        columns=["low", "high"],
        index=[f"CR1, t(G-1), G = {row['n_clusters']:.0f}", "wild bootstrap Anderson-Rubin (999)",
               f"CR1, t(G*-1), G* = {g_star:.0f} (reported)"],
    )  # fmt: skip
    label = {"firm": "enterprise", "worker": "worker"}[cl_name]
    print(f"θ̂ = {theta_hat:.4f}; effective number of {label} clusters G* = {g_star:.1f} of "
          f"{panel[cl_name].nunique():,}")  # fmt: skip
    outputs.show("theta_intervals", intervals.round(4), index=True,
                 models=[r for r in rows if r["name"] == "theta_iv"])  # fmt: skip
    print(f"wild bootstrap p-value of θ = 0: {ar['p_value']:.3f}")

# %% [markdown]
# **Balance, and a trap.** The scheme is random by design here, so there is nothing to balance;
# on real data one would check that an instrument is unrelated to what was fixed before it. Beware
# a tempting check: "among incumbents (people already at the enterprise last year), is the degree
# share different in scheme years, holding the enterprise fixed?" It fails even for a perfectly
# random scheme, because placed graduates stay: the enterprise's *other* years, after earlier
# scheme years, hold more graduate incumbents, so scheme years look graduate-poor by comparison.
# Effects that persist make within-enterprise comparisons of incumbents invalid as balance
# checks; the IV itself is unaffected, since this year's scheme draw is independent of pay
# shocks in every year.

# %% [markdown]
# ## 7. The taxpayer
#
# A spillover raises pay, and pay is taxed. `leokit.tax` computes income tax and employee and
# employer Class 1 National Insurance for a year's employment earnings under the rest-of-UK
# schedule of a tax year (2010/11 to 2025/26, from HMRC's published rates and thresholds; tested
# against HMRC's worked examples). We take the full-year pay of the panel's last tax year, raise
# each person's log pay by the estimated effect of a rise of `share_change` in the exposure share
# (θ̂ for everyone plus κ̂ for graduates, or λ̂ for neighbours), and compare tax before and after
# under the `tax_year` schedule (pay is not uprated when the schedule is from another year: the
# figure is "this pay under that year's rules").
#
# **Why tax rises proportionally more than pay.** Under a progressive schedule the marginal rate
# exceeds the average rate: the elasticity of tax to pay is the marginal rate over the average
# rate, above 1 for almost everyone who pays tax. A basic-rate taxpayer on £30,000 in 2020/21 pays
# about 20% of it in income tax and employee NICs, but 32p of the next pound.

# %%
last = int(panel.year.max())
base = panel.loc[panel.year == last, ["AE_ID", "Earnings", "degree", "S", "N"]].copy()
exposure_coefs = {
    "coworkers": {"theta": table.estimate[BEST["theta"]], "kappa": kappa_hat},
    "neighbours": {"lambda": table.estimate["lambda_movers"]},
}[exposure]


def log_pay_change(coefs, frame, change):
    """Change in log pay when the exposure share rises by `change` (a number or per row)."""
    if "lambda" in coefs:
        return change * coefs["lambda"] * np.ones(len(frame))
    return change * (coefs["theta"] + coefs["kappa"] * frame.degree.to_numpy())


def fiscal(coefs, frame=base, change=share_change):
    """Mean pay, tax and their changes per worker-year when log pay changes as `coefs` say."""
    pay = frame.Earnings.to_numpy(float)
    after = pay * np.exp(log_pay_change(coefs, frame, change))
    t0, t1 = tax.tax_and_nics(pay, tax_year), tax.tax_and_nics(after, tax_year)
    return {
        "pay": pay.mean(),
        "pay_change": (after - pay).mean(),
        "tax": t0.to_exchequer.mean(),
        "tax_change": (t1.to_exchequer - t0.to_exchequer).mean(),
        "income_tax_change": (t1.income_tax - t0.income_tax).mean(),
        "employee_nics_change": (t1.employee_nics - t0.employee_nics).mean(),
        "employer_nics_change": (t1.employer_nics - t0.employer_nics).mean(),
        "per_person_tax_change": (t1.to_exchequer - t0.to_exchequer).to_numpy(),
        "per_person_pay_change": after - pay,
    }


main_param = "theta" if exposure == "coworkers" else "lambda"
main_name = PREFERRED if exposure == "coworkers" else "lambda_movers"
est = fiscal(exposure_coefs)
# the interval: the preferred estimate's CI end points (the change is monotone in it)
ends = []
for end in table.ci[main_name]:
    coefs = dict(exposure_coefs, **{main_param: end})
    ends.append(fiscal(coefs)["tax_change"])
planted = None
if all(TRUTH[k] is not None for k in exposure_coefs):
    planted = fiscal({k: TRUTH[k] for k in exposure_coefs})
# the means are magnitudes over people: released through sdc.safe_stat (threshold, dominance)
per_person = pd.DataFrame({"AE_ID": base.AE_ID.to_numpy(), "scope": "worker-years",
                           "pay": base.Earnings.to_numpy(float),
                           "pay_change": est["per_person_pay_change"],
                           "tax_change": est["per_person_tax_change"]})  # fmt: skip
t_before, t_after = (tax.tax_and_nics(p, tax_year) for p in
                     (per_person.pay.to_numpy(), per_person.pay.to_numpy() + est["per_person_pay_change"]))  # fmt: skip
per_person["tax"] = t_before.to_exchequer.to_numpy()
for part in ("income_tax", "employee_nics", "employer_nics"):
    per_person[part + "_change"] = (getattr(t_after, part) - getattr(t_before, part)).to_numpy()
fiscal_checks = {col: outputs.checked(sdc.safe_stat, per_person, "scope", col, stat="mean",
                                      unit="AE_ID")
                 for col in ("pay", "pay_change", "tax", "tax_change", "income_tax_change",
                             "employee_nics_change", "employer_nics_change")}  # fmt: skip
fiscal_table = pd.DataFrame({"mean per worker-year (£)": {c: float(t["mean"].iloc[0])
                                                        for c, t in fiscal_checks.items()}})  # fmt: skip
outputs.table("taxpayer", fiscal_table.round(2), checks=list(fiscal_checks.values()), index=True,
              description="mean pay and tax, and their changes, in the last tax year")  # fmt: skip
est.update(fiscal_table["mean per worker-year (£)"].to_dict())
people_shown = int(fiscal_checks["pay"]["n"].iloc[0])
print(
    f"{people_shown:,} person-years in {derive.tax_year_label(last)} (rounded), taxed under the "
    f"{derive.tax_year_label(tax_year)} schedule; +{100 * share_change:g} percentage points of the "
    f"{'co-worker' if exposure == 'coworkers' else 'neighbour'} degree share:\n"
    f"  mean pay £{est['pay']:,.0f} rises by £{est['pay_change']:,.0f} "
    f"({est['pay_change'] / est['pay']:.2%})\n"
    f"  income tax + employee NICs + employer NICs: £{est['tax']:,.0f} rises by "
    f"£{est['tax_change']:,.0f} ({est['tax_change'] / est['tax']:.2%}); 95% CI "
    f"£{min(ends):,.0f} to £{max(ends):,.0f}\n"
    f"  of which income tax £{est['income_tax_change']:,.0f}, employee NICs "
    f"£{est['employee_nics_change']:,.0f}, employer NICs £{est['employer_nics_change']:,.0f}\n"
    f"  revenue rises {est['tax_change'] / est['tax'] / (est['pay_change'] / est['pay']):.2f} "
    "times as fast as pay in percentage terms"
)
if planted is not None:
    print(f"  with the planted effects instead: £{planted['tax_change']:,.0f} per worker-year")

# %% [markdown]
# By pay band (quintiles of pay in the last year; means over people, so the threshold and
# dominance rules apply through `sdc.safe_stat`):

# %%
base["pay band"] = pd.qcut(
    base.Earnings.rank(method="first"), 5, labels=[f"Q{i}" for i in range(1, 6)]
)
base["tax change"] = est["per_person_tax_change"]
base["pay change"] = est["per_person_pay_change"]
t_before = tax.tax_and_nics(base.Earnings.to_numpy(float), tax_year).to_exchequer.to_numpy()
base["tax"] = t_before
by_band = {}
for col in ("Earnings", "pay change", "tax", "tax change"):
    by_band[col] = outputs.checked(sdc.safe_stat, base, "pay band", col, stat="mean", unit="AE_ID")
bands = pd.DataFrame({c: v.set_index("pay band")["mean"] for c, v in by_band.items()})
bands.insert(0, "people", by_band["Earnings"].set_index("pay band")["n"])
bands["% pay change"] = 100 * bands["pay change"] / bands["Earnings"]
bands["% tax change"] = 100 * bands["tax change"] / bands["tax"]
bands["people"] = bands["people"].astype("Int64")
pounds = ["Earnings", "pay change", "tax", "tax change"]
outputs.show("taxpayer_by_pay_band", bands.rename(columns={c: c + " (£)" for c in pounds}),
             checks=list(by_band.values()), index=True, float_format="{:.2f}".format,
             formatters={c + " (£)": "{:,.0f}".format for c in pounds})  # fmt: skip

# %% tags=["nbval-ignore-output"]
grid = np.linspace(1000, 100000, 400)
sched = tax.tax_and_nics(grid, tax_year)
marg = tax.marginal_rates(grid, tax_year)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
ax1.plot(grid / 1000, 100 * sched.to_exchequer / grid, label="average rate")
ax1.plot(grid / 1000, 100 * (marg.income_tax + marg.employee_nics + marg.employer_nics),
         label="marginal rate", drawstyle="steps-post")  # fmt: skip
# percentiles of pay are released like any other statistic (enough people at each)
quartiles = [outputs.checked(sdc.safe_stat, per_person, "scope", "pay", stat=q, unit="AE_ID",
                             round_to=100) for q in ("p25", "median", "p75")]  # fmt: skip
for check, lab in zip(quartiles, ("p25", "median", "p75")):
    value = float(check[check.columns[-1]].iloc[0])
    ax1.axvline(value / 1000, color="grey", ls=":", lw=1)
    ax1.text(value / 1000, 2, lab, rotation=90, fontsize=8, color="grey")
ax1.set_xlabel("annual pay (£ thousand)")
ax1.set_ylabel("income tax + employee and employer NICs, % of pay")
ax1.set_title(f"Rest-of-UK schedule {derive.tax_year_label(tax_year)}")
ax1.legend()
x = np.arange(len(bands))
ax2.bar(x - 0.2, bands["% pay change"], width=0.4, label="pay")
ax2.bar(x + 0.2, bands["% tax change"], width=0.4, label="tax + NICs")
ax2.set_xticks(x, bands.index)
ax2.set_xlabel("pay quintile")
ax2.set_ylabel(f"% change, +{100 * share_change:g} points of share")
ax2.set_title("Revenue rises faster than pay")
ax2.legend()
fig.tight_layout()
behind = pd.concat([bands.reset_index(), pd.DataFrame({
    "pay percentile": ["p25", "median", "p75"],
    "pay (£)": [float(c[c.columns[-1]].iloc[0]) for c in quartiles]})], ignore_index=True)  # fmt: skip
outputs.figure("taxpayer", fig, table=behind, checks=list(by_band.values()) + quartiles,
               description="the tax schedule with quartiles of pay, and % changes by pay band")  # fmt: skip
plt.show()

# %% [markdown]
# The gap is largest in the bottom quintiles, where pay is near the personal allowance and the
# NIC thresholds: little tax is paid on the pay already there (a small base), but each extra
# pound is taxed at the full marginal rate. In the top quintile the average rate is already
# close to the marginal one.
#
# ## 8. What it means
#
# * **Sorting dominates the raw correlation.** Pooled OLS puts the co-worker spillover an order
#   of magnitude above the truth planted in `truth.json` (0.10 log points per unit share, that is
#   1% more pay for 10 points more graduates among co-workers); worker effects remove most of the
#   gap and AKM more, but AKM stays above the truth because enterprise-year demand shocks raise
#   pay and graduate hiring together. Only the instrument (AKM + IV) recovers θ; its interval is
#   wide (on the default extract it reaches just below zero): a randomised scheme at 3% of
#   enterprises a year is a modest source of variation, and a few very large enterprises carry
#   most of it (section 6). The slow test `tests/test_notebook_03_montecarlo.py` repeats the
#   whole notebook on freshly generated extracts and checks the intervals' coverage.
# * **Degrees pay more among graduates.** Worker plus enterprise-by-year effects recover κ
#   (planted 0.05): ten points more graduate co-workers raise a graduate's pay by about half a per
#   cent more than a non-graduate's. This is the robust "returns to skills" result, because it
#   needs no instrument: every enterprise-year shock is absorbed.
# * **Neighbours matter less than they seem.** The raw neighbour correlation is large; with worker,
#   area and enterprise-by-year effects (identified from people who move home) λ is close to the
#   planted 0.06.
# * **Literature.** Moretti (2004) finds 0.4-1.9% higher wages per percentage point of college
#   share across US cities, much larger than here; Cornelissen, Dustmann and Schönberg (2017),
#   with worker and firm-by-occupation effects in Munich, find small peer effects on average and
#   larger ones in low-skilled repetitive jobs; Nix (2020) finds 0.3% more pay a year later for 10
#   points more co-worker education in Sweden, persistent, larger for the young and in interactive
#   occupations; Jarosch, Oberfield and Rossi-Hansberg (2021) put learning from better-paid
#   co-workers at 4-9% of total compensation. The planted 1% per 10 points is about three times
#   Nix's within-firm estimate. The ladder reproduces the literature's lesson: cross-sectional
#   and even worker-effect estimates overstate spillovers several-fold.
# * **The taxpayer.** Because tax and NICs rise faster than pay, a spillover's fiscal value is
#   proportionally larger than its private value: counting the gain only in pay understates what
#   the Exchequer receives from graduates' effect on others. A social return to degrees that
#   ignores co-worker spillovers misses this term (exercise 3 prices one more graduate).
# * **On the real data** there is no placement scheme: use exits of graduate co-workers at state
#   pension age or through death (Jäger and Heining), or shift-share predicted local graduate
#   supply from university expansions (Moretti 2004), and report the effective first-stage F.
#   Only LEO co-workers are seen (section 1), the IDBR employment band gives the true size, and
#   public-sector pay (legal status 5, 6) is set by scales: check the estimates without it.
#
# ## 9. Disclosure control
#
# Every table and figure above was registered with `outputs` (`leokit.release`) as it was shown.
# Counts are rounded to 5 and cells under 10 suppressed (linkage flow, singletons, units);
# enterprise-level magnitudes (the mean co-worker share by size band) passed the threshold and
# dominance rules in `sdc.safe_stat`, and so did the means by pay band, the taxpayer means and
# the quartiles of pay marked on the figure. Model output follows the SRS rules of thumb: every
# estimate rests on at least 10 people and 10 residual degrees of freedom, which `outputs`
# checks (and would refuse to release otherwise). What is registered so far:

# %%
print(outputs.summary().to_string(index=False))
few_clusters = [r["name"] for r in rows if r["n_clusters"] < sdc.THRESHOLD]
print("estimates resting on fewer than 10 clusters:", few_clusters or "none")

# %% [markdown]
# ## Exercises
#
# **1.** Cluster by enterprise *and* worker (two-way) instead of by enterprise, for AKM + IV (or
# rerun with `cluster = "exposure+worker"`). How does the standard error change, and why is the
# enterprise the cluster that matters most here?

# %%

# %% tags=["solution"]
if instrument:
    # section 4 kept both: pyfixest's fit.vcov({"CRV1": "firm+worker"}) recomputes the variance
    # of a fitted model for another clustering without refitting it
    print(f"AKM + IV: SE clustered by {CLUSTER[0]} {iv.se[CLUSTER[0]]['S']:.4f}; by firm and "
          f"worker {iv.se['firm+worker']['S']:.4f}")  # fmt: skip
# The exposure and the instrument vary by enterprise and year, and enterprise-year shocks are
# shared by everyone there, so the enterprise cluster carries most of the correlation. The
# two-way variance adds the worker-clustered variance and subtracts the variance clustered by
# worker x enterprise; when a person's errors are barely correlated across employers that
# difference is small and can even be negative, so the two-way SE can come out a little
# *smaller* than the one-way one, as here. It does not make the estimate more precise: report
# the larger of the two (Cameron, Gelbach and Miller 2011 discuss the subtraction).

# %% [markdown]
# **2.** Leave out the public sector (IDBR legal status 5, central government, and 6, local
# authority), where pay follows national scales, and re-estimate κ with worker + enterprise-by-year
# effects. Does the interaction change?

# %%

# %% tags=["solution"]
private = panel[~panel.legalstatus.isin(["5", "6"])]
fit_private = feols(f"lny ~ gS + N + x2 | {ABSORB_FY}", ["firm"], data=private)
print(f"κ̂ without the public sector: {fit_private.coef['gS']:.4f} (SE {fit_private.se['firm']['gS']:.4f}); "
      f"all enterprises: {kappa_hat:.4f}")  # fmt: skip
sector = panel[["AE_ID"]].assign(sector=np.where(panel.legalstatus.isin(["5", "6"]), "public",
                                                 "private and other"))  # fmt: skip
by_sector = outputs.checked(sdc.safe_counts, sector, "sector", name="person-years")
outputs.show("exercise_sectors", by_sector, checks=[by_sector], float_format="{:.0f}".format)
# In the synthetic world pay scales are not simulated, so κ is the same in both sectors and the
# estimate barely moves; on the real data a smaller effect in the public sector is expected.

# %% [markdown]
# **3.** Price one more graduate. In an enterprise with *n* seen workers, one more graduate
# raises each co-worker's share by about (1 - S)/n. Using θ̂ and κ̂, compute the extra pay and the
# extra tax and NICs that one more graduate brings to their co-workers in a year (a fiscal
# externality of the degree), per enterprise, in the last tax year. Report the mean over
# enterprises through `sdc.safe_stat` (an enterprise-level magnitude: dominance applies).

# %%

# %% tags=["solution"]
now = panel[panel.year == last].copy()
coefs = {"theta": table.estimate[BEST["theta"]], "kappa": kappa_hat}
bump = ((1 - now.S) / now.n_seen).to_numpy()
after = now.Earnings * np.exp(log_pay_change(coefs, now, bump))
now["extra_pay"] = after - now.Earnings
now["extra_tax"] = (tax.tax_and_nics(after, tax_year).to_exchequer
                    - tax.tax_and_nics(now.Earnings, tax_year).to_exchequer)  # fmt: skip
per_firm = now.groupby("main_enterprise").agg(
    extra_pay=("extra_pay", "sum"), extra_tax=("extra_tax", "sum"), in_panel=("S", "size"),
    n=("n_seen", "first"),
)  # fmt: skip
# the panel holds only full-year co-workers: scale up to all the enterprise's seen workers
for col in ("extra_pay", "extra_tax"):
    per_firm[col] *= per_firm.n / per_firm.in_panel
per_firm = per_firm.reset_index().assign(scope="all enterprises")
for col in ("extra_pay", "extra_tax"):
    per_enterprise = outputs.checked(sdc.safe_stat, per_firm, "scope", col, stat="mean",
                                     unit="main_enterprise", round_to=10)  # fmt: skip
    outputs.show(f"exercise_{col}", per_enterprise, checks=[per_enterprise],
                 float_format="{:,.0f}".format)  # fmt: skip
# Per enterprise, one more graduate raises co-workers' pay by some £1,000-2,000 a year, and
# close to half of that goes to the Exchequer: the marginal rate (income tax, employee and
# employer NICs) on basic-rate pay is about 46%, far above the average rate. It accrues every
# year the graduate stays; a private return to a degree leaves it out.

# %% [markdown]
# ## Results file
#
# `results.json` in `output_dir` (one shape for every notebook), and the estimation sample for
# cross-checks in R or Stata in `work_dir`: it is record-level (pseudonymised keys), so it stays
# in your project area and never goes to output checking. `outputs.finish()` writes the
# output-checking report and refuses if `output_dir` holds anything that was not checked.

# %%
for key, fx in (("tax_change_per_worker_year", "tax_change"),
                ("pay_change_per_worker_year", "pay_change")):  # fmt: skip
    lo_hi = [fiscal(dict(exposure_coefs, **{main_param: end}))[fx] for end in table.ci[main_name]]
    rows.append(
        results.estimate(
            key, f"£ per worker-year for +{share_change:g} of the {exposure} degree share, "
            f"{derive.tax_year_label(tax_year)} schedule", est[fx], None, (min(lo_hi), max(lo_hi)),
            len(base), truth=None if planted is None else planted[fx], preferred=False,
            tax_year=tax_year, pay_year=last, share_change=share_change,
            relative_change=est[fx] / est["tax" if fx == "tax_change" else "pay"],
        )
    )  # fmt: skip
sample_cols = ["AE_ID", "worker", "firm", "firm_year", "spell", "msoa", "year", "lny", "S", "gS",
               "N", "degree", "he_done", "age", "age2", "x2", "Z", "Z_next", "Earnings"]  # fmt: skip
panel[sample_cols].to_parquet(Path(work_dir) / "estimation_sample.parquet", index=False)
outputs.results(PARAMETERS, rows)
print(len(rows), "estimates in results.json; preferred:", PREFERRED)
print(outputs.finish())
