"""Notebook 01 (returns to HE conditional on application choices), run with papermill.

Defaults and two other parameter sets go into temporary folders; assertions read the
results.json each run writes. The headline coefficient and its clustered SE are refitted
with pyfixest from the estimation sample the notebook saves in work_dir (an independent
implementation). Each non-null truth is checked against the estimand of its estimator, and the
sentences the notebook generates are checked against its results on two fresh extracts
(``support.statements``).
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

pm = pytest.importorskip("papermill")
from support import statements  # noqa: E402
from support.lecture import cell_problems  # noqa: E402
from support.notebook_runs import run_notebook  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXTRACT = ROOT / "data_synthetic"
NAME = "01_returns_to_he_application_choices"
#: the statements every run on a synthetic extract with the default outcome makes
SAID = ["selectivity", "selectivity_truth", "selectivity_others", "he", "he_truth",
        "selection_share", "fade", "fsm", "exercise_no_ks5", "exercise_provider"]  # fmt: skip


def run(tmp, **params):
    return run_notebook("01_returns_to_he_application_choices", tmp, **params)


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nb01_default")
    return tmp, run(tmp)


@pytest.fixture(scope="module")
def truth():
    return json.loads((EXTRACT / "truth.json").read_text())["returns_to_he"]


def inside(value, ci):
    return ci[0] <= value <= ci[1]


def test_results_json_has_the_common_shape(default):
    _, res = default
    assert res["notebook"] == "01_returns_to_he_application_choices"
    assert res["parameters"]["outcome_age"] == 26
    keys = {"name", "estimand", "estimate", "se", "ci", "n", "truth", "preferred"}
    for e in res["estimates"]:
        assert keys <= set(e)
        assert e["ci"][0] < e["estimate"] < e["ci"][1]
    assert [e["name"] for e in res["estimates"] if e["preferred"]] == ["matched_exact"]
    assert {"pandas", "linearmodels", "statsmodels", "leokit"} <= set(res["versions"])
    assert {e["ci_method"] for e in res["estimates"]} == {"CV3 t(G-1)"}
    assert {e["name"]: e["truth_basis"] for e in res["estimates"]} == {
        "naive_ols": "parameter", "matched_exact": "parameter", "matched_coarse": "parameter",
        "self_revelation": "parameter", "he_naive_ols": "sample", "he_within_sets": "sample",
    }  # fmt: skip
    assert "truth" in res["conventions"]


def test_generated_statements_follow_the_results(default):
    _, res = default
    statements.assert_true(res, required=SAID)
    said = statements.verdicts(res)
    assert said["selectivity_truth"]["covers"] in ("inside", "outside")


def test_cells_are_short_and_introduced():
    assert not cell_problems(ROOT / "notebooks" / f"{NAME}.py")


def test_notebook_links_the_glossary_and_references():
    text = (ROOT / "notebooks" / f"{NAME}.py").read_text()
    assert "../docs/glossary.md" in text and "../docs/references.md" in text


def test_matched_applicants_recover_the_planted_selectivity_return(default, truth):
    _, res = default
    e = res["by_name"]
    planted = truth["selectivity_return_per_sd"]
    assert e["matched_exact"]["truth"] == planted
    assert inside(planted, e["matched_exact"]["ci"]), e["matched_exact"]
    assert not inside(e["naive_ols"]["estimate"], e["matched_exact"]["ci"])
    assert not inside(planted, e["naive_ols"]["ci"]), e["naive_ols"]
    assert e["naive_ols"]["estimate"] > planted + 0.05  # biased up, as selection implies
    # the bootstrap agrees that the naive premium is not the matched one
    lo, hi = e["matched_exact"]["ci_wild_bootstrap"]
    assert lo <= planted <= hi and not lo <= e["naive_ols"]["estimate"] <= hi
    # fewer people identify the matched estimate (non-singleton sets only)
    assert 5000 < e["matched_exact"]["n"] < e["naive_ols"]["n"]


def test_he_return_within_sets_contains_its_truth(default):
    _, res = default
    e = res["by_name"]["he_within_sets"]
    assert inside(e["truth"], e["ci"]), e


def test_each_truth_is_the_estimand_of_its_estimator(default, truth):
    """Selectivity: the constant planted return. Entering HE: 0.15 + 0.03 x the selectivity
    of the course entered, averaged over the entrants the estimator compares (from the
    estimation sample); and close to what OLS within sets converges to when the outcome is the
    planted effect alone (regression weights, via pyfixest): the estimand of that estimator."""
    pf = pytest.importorskip("pyfixest")
    _, res = default
    e = res["by_name"]
    for name in ("naive_ols", "matched_exact", "matched_coarse", "self_revelation"):
        assert e[name]["truth"] == truth["selectivity_return_per_sd"]
    d = pd.read_parquet(res["work"] / "estimation_sample_he.parquet")
    tau = truth["he_return"] + truth["selectivity_return_per_sd"] * d.course_sel
    assert not tau[d.he == 1].isna().any()  # every entrant's course is known
    assert e["he_naive_ols"]["truth"] == pytest.approx(tau[d.he == 1].mean(), abs=1e-12)
    inside_sets = d.within_sets == 1
    assert e["he_within_sets"]["truth"] == pytest.approx(
        tau[inside_sets & (d.he == 1)].mean(), abs=1e-12
    )
    holders = d[inside_sets].assign(effect=(tau * d.he)[inside_sets])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols("effect ~ he + KS4_PTSCNEWE + KS4_FSM + KS4_IDACI + female | set_exact + "
                       "KS5_TOTPTS", holders)  # fmt: skip
    assert fit.coef()["he"] == pytest.approx(e["he_within_sets"]["truth"], abs=0.003)


def test_statements_on_fresh_extracts(fresh_extracts, tmp_path_factory):
    """Seed 1 with the defaults (fewer bootstrap draws), seed 2 with the provider measure of
    selectivity, which has no planted coefficient: the sentences follow each run's numbers."""
    (seed1, ex1), (seed2, ex2) = fresh_extracts
    res = run(tmp_path_factory.mktemp(f"nb01_seed{seed1}"), extract=str(ex1), bootstrap_reps=199)
    statements.assert_true(res, required=SAID)
    res = run(tmp_path_factory.mktemp(f"nb01_seed{seed2}"), extract=str(ex2),
              selectivity="provider_tariff", bootstrap_reps=0, fade_ages=[26])  # fmt: skip
    statements.assert_true(res, required=["selectivity", "he", "he_truth", "selection_share"])
    e = res["by_name"]
    assert all(e[n]["truth"] is None for n in ("naive_ols", "matched_exact", "matched_coarse",
                                              "self_revelation"))  # fmt: skip
    assert e["he_within_sets"]["truth"] is not None  # the course entered is still known
    said = {s["id"] for s in res["statements"]}
    assert "selectivity_truth" not in said and "fade" not in said


def test_pyfixest_reproduces_the_matched_estimate_and_clustered_se(default):
    """pyfixest on the estimation sample the notebook saves, KS5 points as a second absorbed
    effect (the notebook uses a dummy per value). Conventions:
    CR1 = G/(G-1)(N-1)/(N-K), K counting the absorbed effects (not nested in the clusters):
    linearmodels AbsorbingLS(debiased=True) there, pyfixest's default here;
    CV3 = sqrt((G-1)/G sum_g (b_(g) - b)^2) (MacKinnon, Nielsen & Webb): pyfixest's CRV3
    without its small-sample factor, times sqrt((G-1)/G); intervals t(G-1)."""
    pf = pytest.importorskip("pyfixest")
    _, res = default
    d = pd.read_parquet(res["work"] / "estimation_sample_exact.parquet")
    fml = "y ~ sel + KS4_PTSCNEWE + KS4_FSM + KS4_IDACI + female | set_exact + KS5_TOTPTS"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cr1 = pf.feols(fml, d, vcov={"CRV1": "cl"})
        cv3 = pf.feols(fml, d, vcov={"CRV3": "cl"}, ssc=pf.ssc(k_adj=False, G_adj=False))
    e = res["by_name"]["matched_exact"]
    G = d.cl.nunique()
    assert G == e["n_clusters"] and int(cr1._N) == e["n"]
    assert cr1.coef()["sel"] == pytest.approx(e["estimate"], abs=1e-6)
    assert cr1.se()["sel"] == pytest.approx(e["se_cr1"], abs=1e-6)
    assert cv3.se()["sel"] * np.sqrt((G - 1) / G) == pytest.approx(e["se"], abs=1e-6)
    q = stats.t.ppf(0.975, G - 1)
    assert np.allclose(e["ci"], [e["estimate"] - q * e["se"], e["estimate"] + q * e["se"]])
    assert e["se"] > e["se_cr1"]  # few, unequal clusters: CV3 is the cautious one


def test_coarse_sets_as_preferred_with_eight_bands(tmp_path, default):
    res = run(tmp_path, set_definition="coarse", coarse_bands=8, bootstrap_reps=0)
    e = res["by_name"]
    assert [x["name"] for x in res["estimates"] if x["preferred"]] == ["matched_coarse"]
    assert "p_wild_bootstrap" not in e["matched_coarse"]
    # the exact-set estimate does not depend on the coarsening
    exact_default = default[1]["by_name"]["matched_exact"]
    assert e["matched_exact"]["estimate"] == pytest.approx(exact_default["estimate"], abs=1e-12)
    assert e["matched_coarse"]["estimate"] != pytest.approx(
        default[1]["by_name"]["matched_coarse"]["estimate"], abs=1e-9
    )


def test_employment_outcome_at_another_age_clustered_by_school(tmp_path):
    res = run(
        tmp_path,
        outcome="sustained_employment",
        outcome_age=24,
        fade_ages=[24],
        cluster="school",
        bootstrap_reps=0,
    )
    e = res["by_name"]
    assert all(x["truth"] is None for x in res["estimates"])  # no planted employment effect
    assert e["matched_exact"]["cluster"] == "school"
    assert e["matched_exact"]["n_clusters"] > 100
    for x in res["estimates"]:
        assert -1 < x["estimate"] < 1 and x["se"] > 0


def test_bad_parameters_fail_with_one_clear_message(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        run(tmp_path, outcome_agee=28, outcome="log_earning_sustained", cohorts=[2008, 1990])
    msg = str(err.value)
    assert "'outcome_agee' is not a parameter" in msg and "did you mean 'outcome_age'" in msg
    assert "outcome = 'log_earning_sustained' is not one of" in msg
    assert "cohorts[1] = 1990 is outside" in msg
    assert not (tmp_path / "output").exists() and not (tmp_path / "work").exists()


def test_an_age_nobody_reaches_is_explained_before_any_data(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        run(tmp_path, outcome_age=38, bootstrap_reps=0)
    msg = str(err.value)
    assert "outcome_age = 38: applicants of cycle 2008 are born in 1989 or later" in msg
    assert "by the last tax year in the data (202021)" in msg
    assert not (tmp_path / "output").exists()
