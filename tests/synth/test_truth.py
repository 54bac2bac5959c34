"""Planted truth: on the default extract the right estimator's 95% CI contains the planted
effect and the naive estimator's does not. Estimators are pyfixest fits on analysis files
built from the views (tests/support/analysis.py), never from the generator's internals.
"""

import warnings

import pytest
from support import analysis as A

pf = pytest.importorskip("pyfixest")
warnings.filterwarnings("ignore", module="pyfixest")


def ci(fit, name):
    b, se = float(fit.coef()[name]), float(fit.se()[name])
    return b - 1.96 * se, b + 1.96 * se


def inside(interval, value):
    return interval[0] <= value <= interval[1]


@pytest.fixture(scope="module")
def q1(world):
    return A.q1_file(world.tables)


@pytest.fixture(scope="module")
def q3(world):
    return A.q3_panel(world.tables)


def test_selectivity_return_matched_applicants(world, q1):
    truth = world.truth["returns_to_he"]["selectivity_return_per_sd"]
    ent = q1[q1.he == 1]
    ctrl = "KS5_TOTPTS + KS4_PTSCNEWE + KS4_FSM"
    naive = pf.feols("lny ~ sel + " + ctrl, ent, vcov={"CRV1": "provider_id_anon"})
    matched = pf.feols("lny ~ sel + " + ctrl + " | appset", ent, vcov={"CRV1": "provider_id_anon"})
    assert inside(ci(matched, "sel"), truth), ci(matched, "sel")
    assert not inside(ci(naive, "sel"), truth) and naive.coef()["sel"] > truth + 0.05
    assert not inside(ci(matched, "sel"), float(naive.coef()["sel"]))


def test_he_return_among_offer_holders_in_sets(world, q1):
    truth = world.truth["returns_to_he"]["he_return"]
    placed = q1[q1.accept_flag == 1]
    within = pf.feols(
        "lny ~ he + KS5_TOTPTS + KS4_PTSCNEWE + KS4_FSM | appset", placed, vcov={"CRV1": "appset"}
    )
    naive = pf.feols("lny ~ he", q1, vcov="hetero")
    assert inside(ci(within, "he"), truth), ci(within, "he")
    assert not inside(ci(naive, "he"), truth)


def test_degree_x_share_with_worker_and_firm_by_year_effects(world, q3):
    truth = world.truth["spillovers"]["degree_x_share_kappa"]
    fit = pf.feols(
        "lny ~ gS + g + he_done + sel_done + x2 | AE_ID + main_enterprise^TaxYear",
        q3,
        vcov={"CRV1": "main_enterprise"},
    )
    assert inside(ci(fit, "gS"), truth), ci(fit, "gS")
    pooled = pf.feols("lny ~ S + gS + g", q3, vcov={"CRV1": "main_enterprise"})
    assert not inside(ci(pooled, "gS"), truth)


def test_coworker_spillover_akm_iv(world, q3):
    truth = world.truth["spillovers"]["coworker_theta"]
    rhs = "g + he_done + sel_done + x2"
    kappa = pf.feols(
        "lny ~ gS + " + rhs + " | AE_ID + main_enterprise^TaxYear",
        q3,
        vcov={"CRV1": "main_enterprise"},
    ).coef()["gS"]
    d = q3.assign(y2=q3.lny - kappa * q3.gS)  # two-step: pyfixest IV takes one endogenous regressor
    iv = pf.feols(
        "y2 ~ " + rhs + " | AE_ID + main_enterprise + TaxYear | S ~ Z",
        d,
        vcov={"CRV1": "main_enterprise"},
    )
    akm = pf.feols(
        "lny ~ S + gS + " + rhs + " | AE_ID + main_enterprise + TaxYear",
        q3,
        vcov={"CRV1": "main_enterprise"},
    )
    pooled = pf.feols("lny ~ S + gS + " + rhs, q3, vcov={"CRV1": "main_enterprise"})
    assert inside(ci(iv, "S"), truth), ci(iv, "S")
    assert not inside(ci(akm, "S"), truth), ci(akm, "S")
    assert not inside(ci(pooled, "S"), truth)


def test_neighbour_spillover_movers(world, q3):
    truth = world.truth["spillovers"]["neighbour_lambda"]
    fit = pf.feols(
        "lny ~ N + gS + g + he_done + sel_done + x2 | AE_ID + main_enterprise^TaxYear + MSOA11CD",
        q3,
        vcov={"CRV1": "MSOA11CD"},
    )
    pooled = pf.feols("lny ~ N + g + he_done", q3, vcov={"CRV1": "MSOA11CD"})
    assert inside(ci(fit, "N"), truth), ci(fit, "N")
    assert not inside(ci(pooled, "N"), truth)


def test_contextual_offer_estimands_are_consistent(world):
    """The complier averages in truth.json follow from the structural parameters."""
    est = world.truth["contextual_offers"]["estimands"]["cutoff_q1"]
    for sample in ("all_applicants", "scheme_applicants", "marginal_grade"):
        row = est[sample]
        assert row["first_stage"] > 0 and row["n_near_cutoff"] > 100
        assert row["enrol_scheme_provider"]["late"] == pytest.approx(1.0)
        # earnings LATE = HE margin x 0.15 + selectivity shift x 0.03: between the two bounds
        late = row["log_earnings"]["late"]
        assert 0 < late < 0.15 * row["enrol_any"]["late"] + 0.03 * 4 + 1e-9


# ---------------------------------------------------------------- contextual offers (RD)
rd = pytest.importorskip("rdrobust")
LARGER_SCALE = 0.15  # 9x the default: enough applicants near the cutoff for fuzzy-RD precision


def rd_ci(y, x, cluster, fuzzy=None):
    fit = rd.rdrobust(y, x, c=0, fuzzy=fuzzy, cluster=cluster, masspoints="adjust")
    low, high = (float(v) for v in fit.ci.iloc[2])  # robust bias-corrected
    return float(fit.coef.iloc[0, 0]), (low, high)


@pytest.fixture(scope="module")
def q2(world):
    return A.q2_file(world.tables, 0)[0]


def test_contextual_first_stage_and_placebo_on_default_extract(world, q2):
    truth = world.truth["contextual_offers"]["estimands"]["cutoff_q1"]
    s = q2[q2.policy_era & q2.scheme_applicant]
    b, interval = rd_ci(s.D, s.x, s.MSOA11CD)
    assert inside(interval, truth["scheme_applicants"]["first_stage"]), interval
    assert interval[0] > 0.15  # a strong first stage
    pre = q2[~q2.policy_era & q2.ever_scheme_applicant]
    _, placebo = rd_ci(pre.D_ever, pre.x, pre.MSOA11CD)
    assert inside(placebo, 0.0), placebo  # no jump before the schemes existed


def test_contextual_earnings_naive_versus_rd_on_default_extract(world, q2):
    late = world.truth["contextual_offers"]["estimands"]["cutoff_q1"]["scheme_applicants"][
        "log_earnings"
    ]["late"]
    s = q2[q2.policy_era & q2.scheme_applicant].dropna(subset=["lny"])
    _, interval = rd_ci(s.lny, s.x, s.MSOA11CD, fuzzy=s.D)
    assert inside(interval, late), interval
    naive = pf.feols("lny ~ D + KS4_PTSCNEWE + KS4_FSM", s, vcov="hetero")
    assert not inside(ci(naive, "D"), late)


def test_contextual_fuzzy_rd_recovers_complier_effects_at_larger_scale():
    from leokit.synth import generate

    big = generate(scale=LARGER_SCALE)
    d, _ = A.q2_file(big.tables, 0)
    truth = big.truth["contextual_offers"]["estimands"]["cutoff_q1"]["scheme_applicants"]
    s = d[d.policy_era & d.scheme_applicant]
    _, fs = rd_ci(s.D, s.x, s.MSOA11CD)
    assert inside(fs, truth["first_stage"]), fs
    for outcome, key in (
        ("enrol_any", "enrol_any"),
        ("dropout_year1", "dropout_year1"),
        ("good_degree", "good_degree"),
        ("lny", "log_earnings"),
    ):
        ss = s.dropna(subset=[outcome])
        _, interval = rd_ci(ss[outcome], ss.x, ss.MSOA11CD, fuzzy=ss.D)
        assert inside(interval, truth[key]["late"]), (outcome, interval, truth[key]["late"])
