"""leokit.rd (density tests) and leokit.did (Callaway-Sant'Anna group-time effects)."""

import numpy as np
import pandas as pd
import pytest

from leokit import did, rd

# ------------------------------------------------------------------ density tests


def test_mccrary_finds_no_jump_in_a_smooth_density_at_the_nominal_rate():
    rng = np.random.default_rng(7)
    z = [rd.mccrary_test(rng.normal(0.3, 1, 2000))["z"] for _ in range(200)]
    rejects = np.mean(np.abs(z) > 1.96)
    assert 0.0 <= rejects <= 0.10, rejects


def test_mccrary_recovers_a_planted_jump():
    rng = np.random.default_rng(8)
    # density 1/2.4 left of 0 and 1.4/2.4 right: a log jump of log(1.4)
    x = np.concatenate([rng.uniform(-1, 1, 20000), rng.uniform(0, 1, 4000)])
    r = rd.mccrary_test(x, bin_width=0.02, bandwidth=0.5)
    assert r["theta"] == pytest.approx(np.log(1.4), abs=3 * r["se"])
    assert r["p_value"] < 0.001
    assert r["n_left"] + r["n_right"] == r["n"] == x.size
    assert r["f_right"] / r["f_left"] == pytest.approx(1.4, rel=0.1)


def test_mccrary_cutoff_and_bins_do_not_straddle():
    rng = np.random.default_rng(9)
    x = rng.uniform(2, 8, 5000)
    r = rd.mccrary_test(x, cutoff=5.0, bin_width=0.25)
    mid = r["bins"]["midpoint"]
    assert np.allclose((mid - 5.0) / 0.25 % 1, 0.5)  # bin edges on the cutoff's grid
    assert r["bins"]["height"].sum() * 0.25 == pytest.approx(1.0)  # a density
    assert abs(r["z"]) < 3


@pytest.mark.parametrize(
    "x, kwargs, message",
    [
        ([], {}, "empty"),
        ([0.1, np.nan, 0.3], {}, "missing or infinite"),
        ([0.1, 0.2, 0.3], {"cutoff": 5}, "no units on one side"),
        ([-0.2, -0.1, 0.1, 0.2], {"bin_width": 0}, "bin_width must be positive"),
        ([-0.2, -0.1, 0.1, 0.2], {"bin_width": 0.1}, "too few bins"),
    ],
)
def test_mccrary_bad_input_says_what_is_wrong(x, kwargs, message):
    with pytest.raises(ValueError, match=message):
        rd.mccrary_test(np.array(x, float), **kwargs)


def test_binomial_test_counts_each_side_of_the_window():
    x = np.array([-3, -1.5, -0.5, -0.1, 0.0, 0.2, 0.9, 1.5, 2.5])
    r = rd.binomial_test(x, 0, 1.0)
    assert (r["n_below"], r["n_above"]) == (2, 3)  # 0 counts above, as in rdrobust
    assert r["share_above"] == pytest.approx(0.6)
    assert r["p_value"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="window must be a positive number"):
        rd.binomial_test(x, 0, None)
    skewed = np.concatenate([np.full(5, -0.5), np.full(40, 0.5)])
    assert rd.binomial_test(skewed, 0, 1)["p_value"] < 1e-5


# ------------------------------------------------------------------ staggered DiD


def staggered_panel(effect=(0.0, 0.0, 0.0), seed=0, units=60, trend=True):
    """units x 6 periods; cohorts 3, 4, 5 (and never); effect e after adoption by event time."""
    rng = np.random.default_rng(seed)
    cohort = np.repeat([3, 4, 5, 0], units // 4)
    rows = []
    for i, g in enumerate(cohort):
        a = rng.normal()
        for t in range(1, 7):
            y = a + (0.3 * t if trend else 0) + rng.normal(0, 0.5)
            if g and t >= g:
                y += effect[min(t - g, len(effect) - 1)]
            rows.append((i, t, g, y))
    return pd.DataFrame(rows, columns=["unit", "time", "cohort", "y"])


def test_att_gt_is_the_two_by_two_difference_in_means():
    d = staggered_panel(effect=(1.0, 2.0, 3.0), seed=1)
    gt = did.att_gt(d, "y", "unit", "time", "cohort")
    row = gt.table.query("cohort == 4 and time == 6").iloc[0]
    wide = d.pivot(index="unit", columns="time", values="y")
    g = d.drop_duplicates("unit").set_index("unit").cohort
    diff = wide[6] - wide[3]
    expected = diff[g == 4].mean() - diff[g == 0].mean()
    assert row.att == pytest.approx(expected, abs=1e-12)
    assert row.event == 2 and row.base == 3
    s1, s0 = diff[g == 4].var(ddof=1), diff[g == 0].var(ddof=1)
    assert row.se == pytest.approx(np.sqrt(s1 / 15 + s0 / 15), abs=1e-12)  # Welch
    # placebo periods use the period before (the varying base)
    pre = gt.table.query("cohort == 5 and time == 3").iloc[0]
    assert pre.base == 2 and pre.event == -2


def test_event_study_recovers_dynamic_effects_and_flat_pre_trends():
    d = staggered_panel(effect=(1.0, 2.0, 3.0), seed=2, units=400)
    gt = did.att_gt(d, "y", "unit", "time", "cohort")
    ev, overall = did.event_study(gt, reps=499, seed=3)
    ev = ev.set_index("event")
    for e, truth in ((0, 1.0), (1, 2.0), (2, 3.0)):
        assert ev.estimate[e] == pytest.approx(truth, abs=4 * ev.se[e])
        assert ev.band_low[e] < ev.estimate[e] < ev.band_high[e]
    for e in (-1, -2, -3):
        assert abs(ev.estimate[e]) < 4 * ev.se[e]
    # the band is uniform over event times: wider than each pointwise normal interval
    assert ((ev.band_high - ev.estimate) > 1.96 * ev.se * 0.99).all()
    assert overall["events"] == [0, 1, 2, 3]
    assert overall["n_treated"] == 300 and overall["n_units"] == 400
    assert overall["ci"][0] < overall["estimate"] < overall["ci"][1]


def test_universal_base_and_not_yet_treated_controls():
    d = staggered_panel(effect=(1.0,), seed=4)
    uni = did.att_gt(d, "y", "unit", "time", "cohort", base="universal").table
    assert (uni.event != -1).all()  # normalised to zero, left out
    assert (uni.base == uni.cohort - 1).all()
    ny = did.att_gt(d, "y", "unit", "time", "cohort", control="notyet").table
    row = ny.query("cohort == 3 and time == 3").iloc[0]
    assert row.n_control == 45  # never-treated plus cohorts 4 and 5, not yet treated at 3
    later = ny.query("cohort == 3 and time == 5").iloc[0]
    assert later.n_control == 15  # at 5 only the never-treated remain


def test_unbalanced_units_are_dropped_and_bad_input_is_refused():
    d = staggered_panel(seed=5)
    d.loc[(d.unit == 0) & (d.time == 2), "y"] = np.nan
    gt = did.att_gt(d, "y", "unit", "time", "cohort")
    assert gt.dropped == [0] and 0 not in gt.units
    with pytest.raises(ValueError, match="more than one row"):
        did.att_gt(pd.concat([d, d.head(1)]), "y", "unit", "time", "cohort")
    with pytest.raises(ValueError, match="no never-treated units"):
        did.att_gt(d[d.cohort > 0], "y", "unit", "time", "cohort")
    with pytest.raises(ValueError, match="control="):
        did.att_gt(d, "y", "unit", "time", "cohort", control="later")
    with pytest.raises(ValueError, match="no column"):
        did.att_gt(d, "pay", "unit", "time", "cohort")
