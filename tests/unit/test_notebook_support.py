"""leokit.params, leokit.results and leokit.inference: what the notebooks lean on."""

import json
import math

import numpy as np
import pytest
import statsmodels.api as sm

from leokit import inference, results
from leokit.params import Param, ParameterError, check

SPEC = {
    "extract": Param((str, dict)),
    "ages": Param(list, nonempty=True, each=Param(int, between=(19, 40))),
    "outcome": Param(str, choices=["log_pay", "employment"]),
    "reps": Param(int, between=(0, None)),
    "share": Param(float, between=(0, 1), none_ok=True),
}


def ns(**over):
    base = {"extract": "x", "ages": [26], "outcome": "log_pay", "reps": 9, "share": 0.5}
    base.update(over)
    return {"__name__": "__main__", "json": json, "SPEC": SPEC, "In": [], **base}


def test_check_returns_the_parameters():
    assert check(ns(share=None), SPEC) == {
        "extract": "x", "ages": [26], "outcome": "log_pay", "reps": 9, "share": None,
    }  # fmt: skip
    assert check(ns(share=1), SPEC)["share"] == 1  # an int is a number


@pytest.mark.parametrize(
    "over, expected",
    [
        ({"outcom": "x"}, "'outcom' is not a parameter of nb; did you mean 'outcome'?"),
        ({"outcome": "log-pay"}, "outcome = 'log-pay' is not one of ['log_pay', 'employment'] (did you mean 'log_pay'?)"),
        ({"ages": [26, 99]}, "ages[1] = 99 is outside the allowed range 19..40"),
        ({"ages": []}, "ages is empty"),
        ({"ages": 26}, "ages = 26 has type int; expected a list of an integer"),
        ({"reps": True}, "reps = True has type bool"),
        ({"reps": -1}, "reps = -1 is outside the allowed range (at least 0)"),
        ({"extract": None}, "extract is None"),
    ],
)  # fmt: skip
def test_each_bad_parameter_is_named(over, expected):
    with pytest.raises(ParameterError) as err:
        check(ns(**over), SPEC, notebook="nb")
    assert expected in str(err.value)


def test_all_problems_in_one_message():
    with pytest.raises(ParameterError) as err:
        check(ns(outcome="x", reps=-2, extra=1), SPEC, notebook="nb")
    assert str(err.value).count("\n  - ") == 3


def test_results_write_is_atomic_and_shaped(tmp_path):
    rows = [
        results.estimate("a", "e", np.float64(0.1), 0.01, (0.08, 0.12), np.int64(100), truth=0.1, preferred=True, extra=3),
        results.estimate("b", "e", 0.2, float("nan"), (0.1, 0.3), 50),
    ]  # fmt: skip
    path = results.write(tmp_path / "out", "nb", {"p": 1}, rows)
    doc = results.read(tmp_path / "out")
    assert doc["estimates"][0] == {
        "name": "a", "estimand": "e", "estimate": 0.1, "se": 0.01, "ci": [0.08, 0.12],
        "n": 100, "truth": 0.1, "preferred": True, "extra": 3.0,
    }  # fmt: skip
    assert doc["estimates"][1]["se"] is None
    assert "python" in doc["versions"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["results.json"]
    with pytest.raises(ValueError, match="exactly one estimate must be marked preferred"):
        results.write(tmp_path / "out", "nb", {}, rows[1:])
    assert json.loads(open(path).read())["notebook"] == "nb"  # old file untouched


def _clustered(rng, G=20, n=600, beta=0.0):
    g = rng.integers(0, G, n)
    x = rng.normal(size=n) + rng.normal(size=G)[g]
    y = 1 + beta * x + 2 * rng.normal(size=G)[g] + rng.normal(size=n)
    return y, np.column_stack([np.ones(n), x]), g


def test_cluster_t_matches_statsmodels_cr1():
    y, X, g = _clustered(np.random.default_rng(1), beta=0.3)
    fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": g})
    b, se, t = inference.cluster_t(y, X, g, 1)
    assert b == pytest.approx(fit.params[1], abs=1e-12)
    assert se == pytest.approx(fit.bse[1], rel=1e-10)


def test_t_interval_uses_g_minus_1():
    low, high = inference.t_interval(1.0, 0.5, 11)
    assert high - 1.0 == pytest.approx(0.5 * 2.228138851986, rel=1e-9)  # t(10) 97.5%
    assert low == pytest.approx(2 - high)


def test_wild_bootstrap_interval_inverts_its_test():
    y, X, g = _clustered(np.random.default_rng(2), beta=0.3)
    r = inference.wild_cluster_bootstrap(y, X, g, 1, reps=999, seed=5)
    low, high = r["ci"]
    assert low < r["estimate"] < high
    boot = inference._WCR(
        y, X, g, 1, inference._weights("rademacher", 20, 999, np.random.default_rng(5)), 0
    )
    for edge, outward in ((low, -1), (high, 1)):
        assert boot.p_value(edge + outward * 1e-4) < 0.05 <= boot.p_value(edge - outward * 1e-4)
    again = inference.wild_cluster_bootstrap(y, X, g, 1, reps=999, seed=5)
    assert again == r  # reproducible from the seed


def test_wild_bootstrap_size_under_the_null():
    """Rejection rate at 5% over 200 clustered data sets with 12 clusters and beta = 0."""
    rng = np.random.default_rng(3)
    p = [inference.wild_cluster_bootstrap(*_clustered(rng, G=12, n=240), 1, reps=199, seed=s, weights="webb")["p_value"] for s in range(200)]  # fmt: skip
    rate = np.mean(np.array(p) < 0.05)
    assert 0.01 <= rate <= 0.10, rate


def test_wild_bootstrap_bad_input():
    y, X, g = _clustered(np.random.default_rng(4))
    with pytest.raises(ValueError, match="reps=10: use at least 99"):
        inference.wild_cluster_bootstrap(y, X, g, 1, reps=10)
    with pytest.raises(ValueError, match="column=5 is not a column"):
        inference.wild_cluster_bootstrap(y, X, g, 5)
    with pytest.raises(ValueError, match="weights='normal'"):
        inference.wild_cluster_bootstrap(y, X, g, 1, weights="normal")
    assert not math.isnan(inference.wild_cluster_bootstrap(y, X, g, 1, reps=99)["ci"][0])


def test_open_parameter_names_what_is_wrong():
    from leokit import extract as lx

    with pytest.raises(lx.ExtractError, match="expected a dict with 'odbc'"):
        lx.open_parameter({"dsn": "x"})
    with pytest.raises(lx.ExtractError, match="expected a path"):
        lx.open_parameter(3)
    with pytest.raises(lx.ExtractError, match="no extract at nowhere"):
        lx.open_parameter("nowhere")


def test_cluster_jackknife_refits_leaving_each_cluster_out():
    rng = np.random.default_rng(6)
    y, X, g = _clustered(rng, G=8, n=300, beta=0.5)
    r = inference.cluster_jackknife(y, X, g, 1)
    loo = [sm.OLS(y[g != c], X[g != c]).fit().params[1] for c in range(8)]
    assert np.allclose(r["leave_one_out"].to_numpy(), loo)
    assert r["se"] == pytest.approx(np.sqrt(7 / 8 * np.sum((np.array(loo) - r["estimate"]) ** 2)))
    # an absorbed effect is partialled out again in every leave-one-out sample: the same as
    # putting its dummies in X
    sets = rng.integers(0, 40, len(y))
    dummies = (sets[:, None] == np.arange(40)[None, :]).astype(float)
    absorbed = inference.cluster_jackknife(y, X[:, 1:], g, 0, absorb=sets)
    explicit = inference.cluster_jackknife(y, np.column_stack([X[:, 1:], dummies]), g, 0)
    assert absorbed["se"] == pytest.approx(explicit["se"], rel=1e-9)
    assert absorbed["estimate"] == pytest.approx(explicit["estimate"], rel=1e-9)


def _iv_data(rng, G=40, n=800, b=0.5, pi=0.6):
    """Clustered IV data: x endogenous (shares a cluster and a row shock with y), z exogenous."""
    g = rng.integers(0, G, n)
    common = rng.normal(size=G)[g]
    z = rng.normal(size=n) + 0.5 * rng.normal(size=G)[g]
    v = rng.normal(size=n)
    x = pi * z + v + common
    y = b * x + 0.8 * v + common + rng.normal(size=n)
    return y - y.mean(), x - x.mean(), z - z.mean(), g


def test_wild_bootstrap_ar_interval_inverts_its_test():
    y, x, z, g = _iv_data(np.random.default_rng(6))
    r = inference.wild_bootstrap_ar(y, x, z, g, reps=999, seed=7)
    assert r["estimate"] == pytest.approx((z @ y) / (z @ x), rel=1e-12)  # the IV estimate
    low, high = r["ci"]
    assert low < r["estimate"] < high
    ar = inference._AR(
        y, x, z, g, inference._weights("rademacher", 40, 999, np.random.default_rng(7))
    )
    for edge, outward in ((low, -1), (high, 1)):
        assert ar.p_value(edge + outward * 1e-4) < 0.05 <= ar.p_value(edge - outward * 1e-4)
    # the t statistic at b0 is the CR0 t of the reduced-form slope of y - b0 x on z
    a = y - 0.2 * x
    fit = sm.OLS(a, z[:, None]).fit(
        cov_type="cluster", cov_kwds={"groups": g, "use_correction": False}
    )
    assert ar._t(ar.zy - 0.2 * ar.zx) == pytest.approx(fit.tvalues[0], rel=1e-9)
    assert inference.wild_bootstrap_ar(y, x, z, g, reps=999, seed=7) == r


def test_wild_bootstrap_ar_size_power_and_weak_instrument():
    """Rejection rates at 5% over 150 data sets with 15 clusters: about 5% at the true value,
    most of the time at a false one; no bounded interval without a first stage."""
    rng = np.random.default_rng(8)
    data = [_iv_data(rng, G=15, n=300) for _ in range(150)]
    p_true = [inference.wild_bootstrap_ar(*d, reps=199, seed=s, null=0.5)["p_value"] for s, d in enumerate(data)]  # fmt: skip
    assert 0.01 <= np.mean(np.array(p_true) < 0.05) <= 0.10
    p_false = [inference.wild_bootstrap_ar(*d, reps=199, seed=s, null=-0.5)["p_value"] for s, d in enumerate(data[:40])]  # fmt: skip
    assert np.mean(np.array(p_false) < 0.05) > 0.5
    y, x, z, g = _iv_data(np.random.default_rng(9), pi=0.0)
    low, high = inference.wild_bootstrap_ar(y, x, z, g, reps=199, seed=1)["ci"]
    assert math.isinf(low) or math.isinf(high)


def test_effective_clusters():
    g = np.repeat(np.arange(10), 5)
    assert inference.effective_clusters(np.ones(50), g) == pytest.approx(10.0)
    scores = np.where(g == 0, 100.0, 1.0)
    assert inference.effective_clusters(scores, g) < 1.1
