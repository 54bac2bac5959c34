"""Notebook 03 (co-worker and neighbour spillovers), run with papermill.

Defaults and two other parameter sets go into temporary folders; assertions read the
results.json each run writes. Independent implementations check the headline numbers from the
estimation sample the notebook saves in work_dir: the IV by residualising on the absorbed effects with
pyhdfe and running linearmodels' IV2SLS (its SE rebuilt with the documented CR1 factor), the
enterprise-by-year model with linearmodels' AbsorbingLS, and the taxpayer figure with the
2020/21 rest-of-UK rules written out by hand.
"""

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pm = pytest.importorskip("papermill")
from support.notebook_runs import run_notebook  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXTRACT = ROOT / "data_synthetic"


def run(tmp, **params):
    return run_notebook("03_coworker_spillovers", tmp, **params)


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    return run(tmp_path_factory.mktemp("nb03_default"))


@pytest.fixture(scope="module")
def sample(default):
    return pd.read_parquet(default["work"] / "estimation_sample.parquet")


@pytest.fixture(scope="module")
def truth():
    return json.loads((EXTRACT / "truth.json").read_text())["spillovers"]


def inside(value, ci):
    return ci[0] <= value <= ci[1]


def test_results_json_has_the_common_shape(default):
    assert default["notebook"] == "03_coworker_spillovers"
    assert default["parameters"]["exposure"] == "coworkers"
    keys = {"name", "estimand", "estimate", "se", "ci", "n", "truth", "preferred"}
    for e in default["estimates"]:
        assert keys <= set(e)
        assert e["ci"][0] < e["estimate"] < e["ci"][1]
    assert [e["name"] for e in default["estimates"] if e["preferred"]] == ["theta_iv"]
    best = sorted(e["name"] for e in default["estimates"] if e.get("best_for_estimand"))
    assert best == ["kappa_firm_year", "lambda_movers", "theta_iv"]
    assert {"pandas", "pyfixest", "linearmodels", "leokit"} <= set(default["versions"])
    assert (default["folder"] / "ladder.png").exists()
    assert (default["folder"] / "taxpayer.png").exists()


def test_preferred_designs_recover_the_planted_spillovers(default, truth):
    e = default["by_name"]
    theta, kappa, lam = (
        truth["coworker_theta"],
        truth["degree_x_share_kappa"],
        truth["neighbour_lambda"],
    )
    assert e["theta_iv"]["truth"] == theta
    assert inside(theta, e["theta_iv"]["ci"]), e["theta_iv"]
    assert inside(kappa, e["kappa_firm_year"]["ci"]), e["kappa_firm_year"]
    assert inside(lam, e["lambda_movers"]["ci"]), e["lambda_movers"]
    # the naive rungs miss, upwards for the spillovers (sorting, demand shocks)
    for name in ("theta_pooled_ols", "theta_worker_fe", "theta_akm"):
        assert not inside(theta, e[name]["ci"]) and e[name]["ci"][0] > theta, e[name]
    assert not inside(kappa, e["kappa_pooled_ols"]["ci"])
    for name in ("lambda_pooled_ols", "lambda_worker_fe"):
        assert not inside(lam, e[name]["ci"]) and e[name]["ci"][0] > lam, e[name]
    # AKM's interval excludes even the IV point estimate's neighbourhood of the truth
    assert e["theta_akm"]["estimate"] > e["theta_iv"]["estimate"]
    iv = e["theta_iv"]
    assert iv["first_stage_F"] > 30 and iv["first_stage_coef"] > 0
    assert iv["n_clusters"] > 1000 and iv["cluster"] == "firm"


def test_theta_interval_uses_the_effective_number_of_clusters(default):
    """θ's reported interval is its CR1 SE with t(G*-1) critical values; the usual t(G-1) one is
    kept beside it, and the wild bootstrap Anderson-Rubin interval contains the estimate."""
    from scipy import stats

    e = default["by_name"]["theta_iv"]
    g_star = e["effective_clusters"]
    assert 1 < g_star < e["n_clusters"] / 10  # a few large enterprises dominate
    for key, df in (("ci", g_star - 1), ("ci_t_clusters", e["n_clusters"] - 1)):
        half = stats.t.ppf(0.975, df) * e["se"]
        assert e[key] == pytest.approx([e["estimate"] - half, e["estimate"] + half], abs=1e-9)
    assert e["ci"][1] - e["ci"][0] > e["ci_t_clusters"][1] - e["ci_t_clusters"][0]
    low, high = e["ci_wild_bootstrap_ar"]
    assert low < e["estimate"] < high


def test_linearmodels_and_pyfixest_agree(default):
    """AbsorbingLS(method='lsmr', debiased=True) and PanelOLS(group_debias=True) beside
    pyfixest, as the notebook reports them: coefficients to 1e-6, SEs under the matched
    convention (pyfixest fixef_rm='none', ssc(k_fixef='full'): every effect counted, singletons
    kept) to 1e-6."""
    checked = [e for e in default["estimates"] if "linearmodels_estimate" in e]
    assert {e["name"] for e in checked} >= {"theta_akm", "kappa_akm", "theta_worker_fe"}
    for e in checked:
        assert e["one_way_cluster"]
        assert abs(e["linearmodels_estimate"] - e["estimate"]) < 1e-6, e["name"]
        assert abs(e["linearmodels_se"] - e["pyfixest_matched_se"]) < 1e-6, e["name"]
        # pyfixest's default leaves out the effects nested in the clusters: a smaller SE
        assert e["se"] <= e["pyfixest_matched_se"] + 1e-12


def test_absorbing_ls_reproduces_the_enterprise_by_year_model(default, sample):
    pf = pytest.importorskip("pyfixest")
    from linearmodels.iv.absorbing import AbsorbingLS

    e = default["by_name"]["kappa_firm_year"]
    absorb = pd.DataFrame({c: pd.Categorical(sample[c]) for c in ("worker", "firm_year", "msoa")})
    lm = AbsorbingLS(sample.lny, sample[["gS", "N", "x2"]], absorb=absorb).fit(
        cov_type="clustered", clusters=sample.firm.to_numpy(), debiased=True, method="lsmr"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matched = pf.feols(
            "lny ~ gS + N + x2 | worker + firm_year + msoa",
            sample,
            vcov={"CRV1": "firm"},
            fixef_rm="none",
            ssc=pf.ssc(k_fixef="full"),
        )
    assert lm.params["gS"] == pytest.approx(e["estimate"], abs=1e-6)
    assert lm.std_errors["gS"] == pytest.approx(matched.se()["gS"], abs=1e-6)


def test_iv_reproduced_by_residualising_and_iv2sls(default, sample):
    """The two-step AKM + IV by hand: subtract κ̂ g S, drop singletons repeatedly, partial out
    worker, enterprise and year effects with pyhdfe, then IV2SLS. Its clustered SE without any
    small-sample factor, times G/(G-1) (N-1)/(N-k) with k = 2 slopes + the worker and year
    effects (enterprise effects are nested in the enterprise clusters), is pyfixest's."""
    pyhdfe = pytest.importorskip("pyhdfe")
    from linearmodels.iv import IV2SLS

    e = default["by_name"]["theta_iv"]
    d = sample.assign(y2=sample.lny - e["kappa_first_step"] * sample.gS)
    fe = ["worker", "firm", "year"]
    while True:
        single = np.zeros(len(d), bool)
        for c in fe:
            single |= d.groupby(c)[c].transform("size").to_numpy() == 1
        if not single.any():
            break
        d = d[~single]
    algorithm = pyhdfe.create(
        d[fe].to_numpy(),
        drop_singletons=False,
        compute_degrees=False,  # k is counted below
        residualize_method="map",
        options={"tol": 1e-11, "iteration_limit": 100000, "acceleration": "cg",
                 "transform": "symmetric"},
    )  # fmt: skip
    r = algorithm.residualize(d[["y2", "x2", "S", "Z"]].to_numpy())
    fit = IV2SLS(r[:, 0], r[:, 1:2], r[:, 2:3], r[:, 3:4]).fit(
        cov_type="clustered", clusters=d.firm.to_numpy(), debiased=False
    )
    n, g = len(d), d.firm.nunique()
    k = 2 + (d.worker.nunique() - 1) + (d.year.nunique() - 1)
    se = fit.std_errors.iloc[-1] * np.sqrt(g / (g - 1) * (n - 1) / (n - k))
    assert n == e["n"] and g == e["n_clusters"]
    assert fit.params.iloc[-1] == pytest.approx(e["estimate"], abs=1e-6)
    assert se == pytest.approx(e["se"], abs=1e-6)


def _tax_2020_21_by_hand(pay):
    """Income tax and Class 1 NICs (category A), 2020/21, rest of UK, written out from HMRC's
    published rates and thresholds: Personal Allowance £12,500 (tapered above £100,000),
    basic rate 20% on the first £37,500 of taxable income, 40% to £150,000, 45% above; employee
    12% from £9,500 to £50,000 and 2% above; employer 13.8% above £8,788."""
    allowance = np.maximum(12500 - np.maximum(pay - 100000, 0) / 2, 0)
    taxable = np.maximum(pay - allowance, 0)
    income_tax = (
        0.2 * np.minimum(taxable, 37500)
        + 0.4 * np.clip(taxable - 37500, 0, 150000 - 37500)
        + 0.45 * np.maximum(taxable - 150000, 0)
    )
    employee = 0.12 * np.clip(pay - 9500, 0, 50000 - 9500) + 0.02 * np.maximum(pay - 50000, 0)
    employer = 0.138 * np.maximum(pay - 8788, 0)
    return income_tax + employee + employer


def test_taxpayer_module_by_hand(default, sample):
    tax_row = default["by_name"]["tax_change_per_worker_year"]
    pay_row = default["by_name"]["pay_change_per_worker_year"]
    assert tax_row["tax_year"] == 202021 and tax_row["pay_year"] == 202021
    theta = default["by_name"]["theta_iv"]["estimate"]
    kappa = default["by_name"]["theta_iv"]["kappa_first_step"]
    last = sample[sample.year == 202021]
    pay = last.Earnings.to_numpy(float)
    after = pay * np.exp(0.10 * (theta + kappa * last.degree.to_numpy()))
    change = (_tax_2020_21_by_hand(after) - _tax_2020_21_by_hand(pay)).mean()
    assert change == pytest.approx(tax_row["estimate"], rel=1e-9)
    assert (after - pay).mean() == pytest.approx(pay_row["estimate"], rel=1e-9)
    # a progressive schedule: revenue rises proportionally more than pay
    assert tax_row["relative_change"] > 1.3 * pay_row["relative_change"] > 0
    assert tax_row["ci"][0] < tax_row["estimate"] < tax_row["ci"][1]
    assert inside(tax_row["truth"], tax_row["ci"])


def test_neighbours_with_match_effects_two_way_clusters_and_2024_25_rules(tmp_path, truth):
    res = run(
        tmp_path,
        exposure="neighbours",
        fixed_effects="spell",
        cluster="exposure+worker",
        tax_year=202425,
        age_range=[21, 64],
    )
    e = res["by_name"]
    assert [x["name"] for x in res["estimates"] if x["preferred"]] == ["lambda_movers"]
    assert e["lambda_movers"]["absorbed"] == "spell + firm_year + msoa"
    assert e["lambda_movers"]["cluster"] == "msoa+worker"
    assert e["theta_iv"]["absorbed"] == "spell + year"
    assert inside(truth["neighbour_lambda"], e["lambda_movers"]["ci"]), e["lambda_movers"]
    assert inside(truth["coworker_theta"], e["theta_iv"]["ci"]), e["theta_iv"]
    # two-way clusters: G is the smaller dimension, the MSOAs
    assert e["lambda_movers"]["n_clusters"] < 500
    assert all(not x["one_way_cluster"] for x in res["estimates"] if "one_way_cluster" in x)
    t = e["tax_change_per_worker_year"]
    assert t["tax_year"] == 202425 and t["pay_year"] == 202021
    assert "neighbours" in t["estimand"]
    assert t["relative_change"] > e["pay_change_per_worker_year"]["relative_change"] > 0


@pytest.fixture(scope="module")
def without_scheme(tmp_path_factory):
    """The extract as the real views would be: no lookup_placement_scheme."""
    folder = tmp_path_factory.mktemp("nb03_extract") / "extract"
    shutil.copytree(EXTRACT, folder)
    (folder / "lookup_placement_scheme.parquet").unlink()
    return folder


def test_no_instrument_larger_enterprises_later_years_worker_clusters(
    tmp_path, default, without_scheme
):
    res = run(
        tmp_path,
        extract=str(without_scheme),
        instrument=False,
        min_enterprise_size=10,
        tax_years=[201112, 202021],
        cluster="worker",
    )
    e = res["by_name"]
    assert "theta_iv" not in e
    assert [x["name"] for x in res["estimates"] if x["preferred"]] == ["theta_akm"]
    assert e["theta_akm"]["best_for_estimand"]
    assert e["theta_akm"]["n"] < default["by_name"]["theta_akm"]["n"]
    assert e["theta_akm"]["cluster"] == "worker" and e["theta_akm"]["n_clusters"] > 10000
    for x in res["estimates"]:
        if "linearmodels_estimate" in x:  # one-way clusters: the conventions match again
            assert abs(x["linearmodels_estimate"] - x["estimate"]) < 1e-6, x["name"]
            assert abs(x["linearmodels_se"] - x["pyfixest_matched_se"]) < 1e-6, x["name"]


def test_bad_parameters_fail_with_one_clear_message(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        run(tmp_path, exposure="coworker", clusterr="exposure", tax_year=200910)
    msg = str(err.value)
    assert "'clusterr' is not a parameter" in msg and "did you mean 'cluster'" in msg
    assert "exposure = 'coworker' is not one of" in msg and "did you mean 'coworkers'" in msg
    assert "tax_year = 200910 is outside" in msg
    assert not (tmp_path / "output").exists() and not (tmp_path / "work").exists()


def test_tax_years_out_of_order_are_explained(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        run(tmp_path, tax_years=[202021, 201011])
    assert "tax_years = [202021, 201011]: give [first, last]" in str(err.value)


def test_the_instrument_needs_the_scheme_lookup(tmp_path, without_scheme):
    with pytest.raises(pm.PapermillExecutionError) as err:
        run(tmp_path, extract=str(without_scheme))
    assert "instrument = True needs lookup_placement_scheme" in str(err.value)
